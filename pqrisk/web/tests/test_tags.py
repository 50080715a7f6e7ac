from pqrisk.core.levels import RiskLevel, WarningLevel
from pqrisk.web.templatetags.pqrisk_tags import (
    level_badge,
    mode_label,
    risk_badge,
    severity_label,
    similarity_percent,
    source_counts,
    source_label,
    warning_badge,
)


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


def test_similarity_reads_as_a_whole_percentage_never_rounded_up_to_identical() -> None:
    assert similarity_percent(0.93) == "93%"
    assert similarity_percent(0.812) == "81%"
    assert similarity_percent(0.999) == "99%"
    assert similarity_percent(1.0) == "100%"
    assert similarity_percent(None) == ""


def test_sources_read_in_chinese_most_first() -> None:
    assert source_label("complaint") == "投诉举报"
    assert source_label("somewhere") == "somewhere"
    assert source_counts({"media": 1, "complaint": 2}) == [("投诉举报", 2), ("网络舆情", 1)]
    assert source_counts(None) == []


def test_severity_reads_with_its_meaning() -> None:
    assert severity_label(4) == "4 级（致死或>10%永久残疾）"
    assert severity_label(None) == ""
