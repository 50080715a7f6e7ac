from pqrisk.core.levels import RiskLevel, WarningLevel
from pqrisk.web.templatetags.pqrisk_tags import level_badge, mode_label, risk_badge, warning_badge


def test_warning_badge_takes_colour_and_label_from_the_enum() -> None:
    for level in WarningLevel:
        html = warning_badge(level.value)
        assert level.colour in html
        assert level.label in html


def test_badges_accept_members_and_values_and_survive_unknown_values() -> None:
    assert RiskLevel.HIGH.label in risk_badge(RiskLevel.HIGH)
    assert WarningLevel.RED.label in level_badge(WarningLevel.RED)
    assert RiskLevel.LOW.label in level_badge("low")
    assert "purple" in warning_badge("purple")
    assert mode_label("consumer_advisory") == "风险提示"


def test_yellow_badge_uses_dark_text() -> None:
    assert "--badge-ink: #1f2933" in warning_badge(WarningLevel.YELLOW)
    assert "--badge-ink: #fff" in warning_badge(WarningLevel.RED)
