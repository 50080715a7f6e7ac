"""What a consumer advisory (风险提示) tells people: how to recognise the product (brand,
model, batch, photos) and what to do, in plain words; and how urgent the evidence is.

Drafts are pre-filled from their risk information — the brands, models and batches the
screening found in the items — and the bureau edits them before review. Photos are
checked to be real images (Pillow) and stored under random names.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from PIL import Image, UnidentifiedImageError

from pqrisk.audit.services import record as audit
from pqrisk.core.levels import Urgency
from pqrisk.core.warning.rules import urgency_of
from pqrisk.screening.models import RiskInfo

from .models import Warning, WarningPhoto

# At most this many of each kind of identifier go into a draft: an advisory lists the
# products people are likely to own, not every string the screening extracted.
MAX_IDENTIFIERS = 8

# What consumers should do, by hazard (plain words; the bureau edits per warning).
HAZARD_ADVICE = {
    "electric_shock": "如发现外壳破损、漏电或插头发热，请立即断电停用，不要自行拆修。",
    "fire": "请勿在无人看管时使用或充电，远离可燃物；发现异味、冒烟或异常发热请立即断电。",
    "burns": "使用时注意高温部件和热液，避免儿童接触。",
    "explosion": "请勿在高温环境使用或存放，发现鼓包、变形或异常声响请立即停止使用。",
    "choking": "请勿让三岁以下儿童接触含小零件的产品，发现部件松动脱落请停止使用。",
    "ingestion": "请将产品放在儿童接触不到的地方；如怀疑误吞磁体或纽扣电池，请立即就医。",
    "suffocation": "请勿让婴幼儿单独使用，注意口鼻不被覆盖。",
    "strangulation": "请将绳带收短或剪除，不要让儿童接触拉绳、挂绳。",
    "drowning": "涉水使用时须有成人全程看护，不要把该产品当作救生设备。",
    "entrapment": "检查开口和缝隙，防止儿童头颈、手指被卡。",
    "mechanical": "使用前检查结构和连接件是否牢固，发现松动、开裂请停止使用。",
    "cuts": "注意锐利边缘和尖端，破损后请停止使用。",
    "falls": "使用前检查是否稳固，按说明书安装和使用。",
    "crash": "发现制动失灵、部件断裂或失控请立即停止骑行，到正规维修点检查。",
    "chemical": "发现异味请停止使用并通风，避免儿童啃咬、长时间皮肤接触。",
    "poisoning": "请在通风良好处使用，出现头晕、恶心等症状请立即离开并就医。",
    "health_risk": "出现皮肤过敏、刺激等不适请停止使用并就医。",
    "protective_failure": "安全防护产品失效可能危及生命，请停止依赖该产品并及时更换合格产品。",
}
GENERAL_ADVICE = (
    "请通过正规渠道购买，保存购物凭证；按说明书正确使用，"
    "使用中发现异常请立即停止使用，可拨打12315投诉举报。"
)


def consumer_advice(infos: Iterable[RiskInfo]) -> str:
    """Plain-language advice for consumers from the hazards and product of the items."""
    infos = list(infos)
    lines = []
    hazards = Counter(i.hazard.code for i in infos if i.hazard_id and i.hazard)
    for code, _ in hazards.most_common():
        if code in HAZARD_ADVICE:
            lines.append(HAZARD_ADVICE[code])
    categories = [i.product_category for i in infos if i.product_category_id]
    if any(c is not None and c.ccc for c in categories):
        lines.append("购买时请认准CCC强制性认证标志。")
    lines.append(GENERAL_ADVICE)
    return "\n".join(dict.fromkeys(lines))


def _top(values: Iterable[str]) -> str:
    counted = Counter(v.strip() for v in values if v and v.strip())
    return "、".join(v for v, _ in counted.most_common(MAX_IDENTIFIERS))


def identification(infos: Iterable[RiskInfo]) -> dict[str, str]:
    """Brands, models and batches the items name, most frequent first."""
    infos = list(infos)
    brands: list[str] = []
    models: list[str] = []
    batches: list[str] = []
    for info in infos:
        tags = info.tags or {}
        brands.append(info.brand)
        brands.extend(str(b) for b in tags.get("brands") or ())
        models.extend(str(m) for m in tags.get("models") or ())
        batches.extend(str(b) for b in tags.get("batches") or ())
    return {
        "brands": _top(brands)[:300],
        "product_models": _top(models)[:500],
        "batches": _top(batches)[:500],
    }


# Signals are "rising" when the latest half of this window holds more items than the first
# half, and at least RISING_MIN of them (project defaults; the statistical signals of the
# detection step refine this).
RISING_WINDOW = timedelta(days=28)
RISING_MIN = 2


def signals_rising(infos: Iterable[RiskInfo], now: datetime | None = None) -> bool:
    """More items in the last half of RISING_WINDOW (to the latest item) than the first."""
    times = sorted(i.occurred_at for i in infos if i.occurred_at is not None)
    if not times:
        return False
    end = now or times[-1]
    half = RISING_WINDOW / 2
    recent = sum(1 for t in times if end - half < t <= end)
    earlier = sum(1 for t in times if end - RISING_WINDOW < t <= end - half)
    return recent >= RISING_MIN and recent > earlier


# Severity hints (pqrisk/core/screening/extract.py): 3 = hospitalised or seriously injured,
# 4 = death. Harm of that degree already happening makes a warning urgent (紧急); minor
# injuries and routine hospital injury records are the background of most products.
URGENT_SEVERITY = 3


def injury_occurred(infos: Iterable[RiskInfo]) -> bool:
    """Whether serious harm (severity hint 3 or 4) is being done now: an item reporting it
    within RISING_WINDOW of the latest item (undated items count)."""
    infos = list(infos)
    times = [i.occurred_at for i in infos if i.occurred_at is not None]
    since = max(times) - RISING_WINDOW if times else None
    return any(
        (i.severity_hint or 0) >= URGENT_SEVERITY
        and (since is None or i.occurred_at is None or i.occurred_at >= since)
        for i in infos
    )


def evidence_urgency(infos: Iterable[RiskInfo]) -> Urgency:
    infos = list(infos)
    return urgency_of(injury_occurred=injury_occurred(infos), signals_rising=signals_rising(infos))


def prefill(warning: Warning, infos: Iterable[RiskInfo]) -> None:
    """Fill the empty identification and advice fields of ``warning`` from ``infos``
    (not saved)."""
    infos = list(infos)
    for field, value in identification(infos).items():
        if not getattr(warning, field):
            setattr(warning, field, value)
    if not warning.advice:
        warning.advice = consumer_advice(infos)


# ---------------------------------------------------------------- photos

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTOS = 12
PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}


class PhotoRefused(Exception):
    def __init__(self, message_zh: str) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh


def check_photo(upload: UploadedFile) -> str:
    """The image's file suffix, or PhotoRefused with the reason (size, not an image)."""
    if upload.size is not None and upload.size > MAX_PHOTO_BYTES:
        raise PhotoRefused(f"图片超过{MAX_PHOTO_BYTES // (1024 * 1024)}MB，请压缩后上传")
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            kind = image.format or ""
            image.verify()
    except Image.DecompressionBombError as exc:  # a few bytes declaring billions of pixels
        raise PhotoRefused("图片像素过多（疑似解压炸弹），请上传正常尺寸的产品图片") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise PhotoRefused("文件不是可识别的图片（支持 JPEG、PNG、WebP、GIF）") from exc
    finally:
        upload.seek(0)
    if kind not in PHOTO_FORMATS:
        raise PhotoRefused("文件不是可识别的图片（支持 JPEG、PNG、WebP、GIF）")
    return PHOTO_FORMATS[kind]


def can_manage_photos(warning: Warning, user: Any) -> bool:
    from pqrisk.accounts.choices import Role

    if not getattr(user, "is_authenticated", False) or warning.status == "lifted":
        return False
    if user.has_role(Role.CITY_SUPERVISOR, Role.CITY_ADMIN, Role.ANALYST):
        return True
    return (
        user.has_role(Role.DISTRICT_OFFICER)
        and warning.status in ("draft", "rejected")
        and warning.district_id == user.district_id
    )


@transaction.atomic
def add_photo(warning: Warning, user: Any, upload: UploadedFile, caption: str = "") -> WarningPhoto:
    """Attach a product photo to ``warning``; audited."""
    from .services import WarningError

    if not can_manage_photos(warning, user):
        raise WarningError("无权为该预警上传产品图片")
    if warning.photos.count() >= MAX_PHOTOS:
        raise WarningError(f"每条预警最多{MAX_PHOTOS}张产品图片")
    try:
        suffix = check_photo(upload)
    except PhotoRefused as exc:
        raise WarningError(exc.message_zh) from exc
    upload.name = f"photo.{suffix}"
    photo = WarningPhoto.objects.create(
        warning=warning, image=upload, caption=caption.strip()[:200], uploaded_by=user
    )
    audit(
        "add_photo",
        warning,
        actor=user,
        message=f"上传产品图片：{photo.caption or '（无说明）'}",
        detail={"photo": photo.pk, "version": warning.version},
    )
    return photo


@transaction.atomic
def remove_photo(photo: WarningPhoto, user: Any) -> None:
    from .services import WarningError

    warning = photo.warning
    if not can_manage_photos(warning, user):
        raise WarningError("无权删除该预警的产品图片")
    caption = photo.caption or "（无说明）"
    photo.image.delete(save=False)
    photo.delete()
    audit(
        "remove_photo",
        warning,
        actor=user,
        message=f"删除产品图片：{caption}",
        detail={"version": warning.version},
    )
