from django.apps import AppConfig


class EnterprisesConfig(AppConfig):
    name = "pqrisk.enterprises"
    verbose_name = "企业与产品"

    def ready(self) -> None:
        from pqrisk.audit.labels import register

        from .models import MatchStatus

        register(
            "enterprises.recordmatch",
            actions={"confirm": "确认匹配", "reject": "否定匹配"},
            states=dict(MatchStatus.choices),
        )
        register(
            "screening.riskinfo",
            actions={"match_link": "关联企业/产品", "match_unlink": "解除企业/产品关联"},
        )
