"""Choices of 长三角 (Yangtze River Delta) sharing packages."""

from django.db import models


class PackageDirection(models.TextChoices):
    SENT = "sent", "发出"
    RECEIVED = "received", "收到"


class PackageStatus(models.TextChoices):
    ISSUED = "issued", "已签发"
    ACCEPTED = "accepted", "已接收"
    REFUSED = "refused", "已拒收"


class RefusalCode(models.TextChoices):
    """Why a received package was refused (the message says what to do about it)."""

    MALFORMED = "malformed", "格式错误"
    TOO_LARGE = "too_large", "文件过大"
    UNSIGNED = "unsigned", "未签名"
    UNKNOWN_ISSUER = "unknown_issuer", "签发单位未登记"
    INACTIVE_ISSUER = "inactive_issuer", "签发单位已停用"
    OWN_PACKAGE = "own_package", "本平台自己的共享包"
    WRONG_KEY = "wrong_key", "签名密钥不符"
    BAD_SIGNATURE = "bad_signature", "签名验证失败"
    REPLAY = "replay", "重复导入"
    BROKEN_CHAIN = "broken_chain", "哈希链断裂"
    OUT_OF_ORDER = "out_of_order", "顺序错误"


# Audit actions of this app, as users read them.
ACTION_LABELS = {
    "yrd_export": "签发长三角共享包",
    "yrd_import": "接收长三角共享包",
    "yrd_refuse": "拒收长三角共享包",
    "yrd_partner_register": "登记合作单位",
    "yrd_partner_update": "更新合作单位",
}
