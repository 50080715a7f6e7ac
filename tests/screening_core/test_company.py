"""Enterprise names: parsing, mentions in text, matching to registered firms, and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from pqrisk.cli import main
from pqrisk.core.text.company import (
    CompanyMatcher,
    CompanyMentionFinder,
    CompanyName,
    MatchMethod,
    _matching_copy,
    _text_char,
    clean_company_name,
    find_company_mentions,
    normalize_company_name,
    parse_company,
)
from pqrisk.core.uscc import complete_uscc

ROOT = Path(__file__).resolve().parents[2]


def parts(name: object) -> tuple[str, str, str, str, str]:
    c = parse_company(name)
    return (c.place, c.brand, c.industry, c.org_form, c.branch)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("上海华东电器有限公司", ("上海", "华东", "电器", "有限公司", "")),
        ("上海市浦东新区华东电器有限公司", ("上海市浦东新区", "华东", "电器", "有限公司", "")),
        ("上海晨光文具股份有限公司", ("上海", "晨光", "文具", "股份有限公司", "")),
        ("上海市松江区宝乐玩具厂", ("上海市松江区", "宝乐", "玩具", "厂", "")),
        ("上海东润车业有限公司", ("上海", "东润", "车业", "有限公司", "")),
        ("上海宏达电子商务有限公司", ("上海", "宏达", "电子商务", "有限公司", "")),
        ("上海佳禾日用品有限公司", ("上海", "佳禾", "日用品", "有限公司", "")),
        ("上海新世纪实业有限公司", ("上海", "新世纪", "实业", "有限公司", "")),
        ("江苏省苏州市吴中区华东电子科技有限公司", ("江苏省苏州市吴中区", "华东", "电子科技", "有限公司", "")),  # noqa: E501
        ("浙江义乌小红玩具厂", ("浙江义乌", "小红", "玩具", "厂", "")),
        ("上海三枪（集团）有限公司", ("上海", "三枪", "", "（集团）有限公司", "")),
        ("广州林嘉帮进出口贸易有限公司", ("广州", "林嘉帮", "进出口贸易", "有限公司", "")),
    ],
)  # fmt: skip
def test_typical_names_split_into_place_brand_industry_and_form(
    name: str, expected: tuple[str, ...]
) -> None:
    assert parts(name) == expected


def test_a_place_word_after_the_place_is_the_brand_when_it_lies_elsewhere() -> None:
    # 光明 is a district of Shenzhen, 东方 a city in Hainan: neither lies in Shanghai.
    assert parts("上海光明电器有限公司")[:2] == ("上海", "光明")
    assert parts("上海东方明珠电器有限公司")[:2] == ("上海", "东方明珠")
    # A county's short form alone at the start gives way to the trade name.
    assert parts("永安电器有限公司")[:2] == ("", "永安")
    assert parts("栖霞山综合开发公司")[:3] == ("", "栖霞山", "综合开发")
    # 陕西省 stays whole; its 省 is not taken into the trade name.
    assert parts("陕西省外经贸综合服务公司")[:2] == ("陕西省", "外经贸")


def test_a_name_without_a_trade_name_keeps_place_and_industry() -> None:
    assert parts("上海电器有限公司") == ("上海", "", "电器", "有限公司", "")


@pytest.mark.parametrize(
    ("name", "place", "brand", "industry"),
    [
        ("华东电器（上海）有限公司", "上海", "华东", "电器"),
        ("华东电器(上海)有限公司", "上海", "华东", "电器"),
        ("西门子（上海）电气传动设备有限公司", "上海", "西门子", "电气传动设备"),
        ("飞利浦（中国）投资有限公司", "中国", "飞利浦", "投资"),
        ("力赛佳管道支架技术上海有限公司", "上海", "力赛佳", "管道支架技术"),
    ],
)
def test_a_place_in_brackets_or_before_the_form_is_the_place(
    name: str, place: str, brand: str, industry: str
) -> None:
    c = parse_company(name)
    assert (c.place, c.brand, c.industry, c.org_form) == (place, brand, industry, "有限公司")


def test_branches_keep_the_head_office_form_and_their_own_tail() -> None:
    assert parts("上海华东电器有限公司浦东分公司") == (
        "上海", "华东", "电器", "有限公司", "浦东分公司",
    )  # fmt: skip
    assert parts("中国平安财产保险股份有限公司上海分公司") == (
        "中国", "平安", "财产保险", "股份有限公司", "上海分公司",
    )  # fmt: skip
    assert parts("上海联华超市股份有限公司第二十分店")[4] == "第二十分店"


def test_individual_businesses_keep_their_marker_and_town() -> None:
    assert parts("上海市浦东新区张江镇小丽日用品商店（个体工商户）") == (
        "上海市浦东新区张江镇", "小丽", "日用品", "商店（个体工商户）", "",
    )  # fmt: skip
    assert parts("上海市闵行区七宝镇宏发五金经营部")[3] == "经营部"
    assert parts("上海泰和投资中心(有限合伙)")[3] == "中心（有限合伙）"


def test_full_width_letters_spaces_and_quotes_are_cleaned() -> None:
    c = parse_company("“上海ＡＢＣ电子 有限公司”")
    assert c.name == "上海ABC电子有限公司"
    assert (c.place, c.brand, c.industry) == ("上海", "ABC", "电子")
    assert clean_company_name("  上海 华东 电器 有限公司 ") == "上海华东电器有限公司"


def test_a_name_without_organisation_form_still_splits() -> None:
    assert parts("上海华东电器") == ("上海", "华东", "电器", "", "")
    assert parts("华东电器") == ("", "华东", "电器", "", "")
    assert parts("华东") == ("", "华东", "", "", "")


@pytest.mark.parametrize(
    "junk", ["", "   ", "!!!", "12345", "ABC Trading Co., Ltd.", None, 42, b"x"]
)
def test_empty_or_garbage_input_gives_an_empty_result(junk: object) -> None:
    c = parse_company(junk)
    assert isinstance(c, CompanyName)
    assert not c.recognised
    assert (c.place, c.brand, c.industry, c.org_form, c.branch) == ("", "", "", "", "")


def test_a_form_alone_or_a_long_run_of_text_does_not_crash() -> None:
    assert parts("有限公司") == ("", "", "", "有限公司", "")
    assert parse_company("电器" * 500).recognised
    assert parse_company("（（（）））有限公司").org_form == "有限公司"


_NAME_CHARS = st.sampled_from(
    list("上海市浦东新区华东电器科技有限公司厂店江苏省中国光明分部镇第一A1 ")
)


@settings(max_examples=300, deadline=None)
@given(st.text(_NAME_CHARS, max_size=30))
def test_parts_make_up_the_name_and_parsing_is_idempotent(text: str) -> None:
    c = parse_company(text)
    joined = c.place + c.brand + c.industry + c.org_form + c.branch
    # Every character lands in one part, except in a name with no Chinese at all (no parts).
    assert sorted(joined) == sorted(c.name) or (not c.recognised and c.name.isascii())
    assert parse_company(c.name) == c


def test_spellings_of_one_enterprise_normalise_alike() -> None:
    key = normalize_company_name("上海华东电器有限公司")
    assert key == "华东电器"
    for other in ("华东电器（上海）有限公司", "上海市华东电器有限责任公司", "上海 华东电器"):
        assert normalize_company_name(other) == key
    assert normalize_company_name("上海华东电器有限公司浦东分公司") == "华东电器|浦东分公司"
    assert normalize_company_name("上海电器有限公司") == "上海电器"


# --- mentions ------------------------------------------------------------------------------
def spans(text: str) -> list[str]:
    return [m.text for m in find_company_mentions(text)]


def test_a_name_in_a_sentence_is_found_with_its_span() -> None:
    text = "上海华东电器有限公司生产的电热水壶"
    [m] = find_company_mentions(text)
    assert (m.start, m.end) == (0, 10)
    assert text[m.start : m.end] == m.text == "上海华东电器有限公司"
    assert (m.company.brand, m.company.industry) == ("华东", "电器")


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("消费者投诉上海华东电器有限公司销售的插座冒烟", ["上海华东电器有限公司"]),
        ("据通报，宏达电子商务有限公司的产品不合格", ["宏达电子商务有限公司"]),
        ("小明在华东电器有限公司购买了电风扇", ["华东电器有限公司"]),
        ("标称华东电器(上海)有限公司制造的电热毯", ["华东电器(上海)有限公司"]),
        ("涉及上海东方明珠电器有限公司和浙江义乌小红玩具厂", ["上海东方明珠电器有限公司", "浙江义乌小红玩具厂"]),  # noqa: E501
        ("上海华东电器有限公司浦东分公司召回电暖器", ["上海华东电器有限公司浦东分公司"]),
        ("浦东新区阿强百货商店（个体工商户）出售三无玩具", ["浦东新区阿强百货商店（个体工商户）"]),
        ("购自上海市徐汇区乐乐玩具店的积木", ["上海市徐汇区乐乐玩具店"]),
        ("检验机构：上海电器设备检测所有限公司", ["上海电器设备检测所有限公司"]),
        ("消费者反映华东电器有限公司的产品漏电", ["华东电器有限公司"]),
    ],
)  # fmt: skip
def test_names_are_found_in_complaint_and_news_sentences(text: str, names: list[str]) -> None:
    assert spans(text) == names


@pytest.mark.parametrize(
    "text",
    [
        "该公司表示将整改",
        "我们公司是一家生产电动车的厂家",
        "涉事公司已整改",
        "厂家未回复",
        "电器行业协会发布报告",
        "",
        "没有企业名称的句子",
        None,
    ],
)
def test_no_mention_without_a_name(text: str | None) -> None:
    assert find_company_mentions(text) == []


def test_spans_refer_to_the_original_text_with_full_width_characters() -> None:
    text = "报道：ＡＢＣ电子（上海）有限公司的充电宝起火"
    [m] = find_company_mentions(text)
    assert m.text == "ＡＢＣ电子（上海）有限公司"
    assert text[m.start : m.end] == m.text
    assert m.company.brand == "ABC"


def test_a_finder_finds_the_same_names_when_it_meets_a_text_again() -> None:
    # A finder keeps parsed names, places and starts: what it has seen changes nothing.
    texts = [
        "消费者投诉上海华东电器有限公司销售的插座冒烟",
        "据通报，宏达电子商务有限公司的产品不合格，上海华东电器有限公司已整改",
        "涉及上海东方明珠电器有限公司和浙江义乌小红玩具厂",
        "记者随后赶往该野力公司，小区门口的五金店已关门",
        "上海华东电器有限公司浦东分公司召回电暖器",
    ]
    finder = CompanyMentionFinder()
    first = [finder.find(t) for t in texts]
    assert [finder.find(t) for t in texts] == first
    assert [CompanyMentionFinder().find(t) for t in texts] == first
    assert [m.text for m in first[1]] == ["宏达电子商务有限公司", "上海华东电器有限公司"]


@pytest.mark.parametrize("before", ["", "据报道。", "消费者投诉称，", "（图）", "Ａ："])
def test_a_name_is_found_alike_whatever_sentence_stands_before_it(before: str) -> None:
    [m] = find_company_mentions(before + "上海华东电器有限公司生产的电热水壶")
    assert (m.start - len(before), m.end - len(before)) == (0, 10)
    assert m.text == "上海华东电器有限公司"


_COPY_CHARS = st.one_of(
    st.sampled_from(list("华东电器有限公司，：；！？()（）〔〕…℃Ⅱ①\u3000ＡＢ１ a\u0301\xa0")),
    st.sampled_from(list("豈⼚㈱\U0002f800\U0001d400")),  # compatibility ideographs and letters
    st.characters(),
)


@settings(max_examples=500, deadline=None)
@given(st.text(_COPY_CHARS, max_size=40))
def test_the_matching_copy_changes_each_character_on_its_own(text: str) -> None:
    # Made fast (str.replace and an NFKC check), the copy still maps one character to one, so
    # the offsets of a mention are those of the original text.
    assert _matching_copy()(text) == "".join(map(_text_char, text))


def test_no_character_that_nfkc_changes_stands_in_nfkc_text() -> None:
    # What the fast copy relies on (such characters' NFKC quick check is No), for every one.
    for i in range(sys.maxunicode + 1):
        ch = chr(i)
        if not unicodedata.is_normalized("NFKC", ch):
            for text in (f"中{ch}中", f"a{ch}", f"{ch}\u0301", f"e{ch}"):
                assert not unicodedata.is_normalized("NFKC", text), hex(i)


# --- matching ------------------------------------------------------------------------------
USCC_A = complete_uscc("91310115MA1K00001")
USCC_B = complete_uscc("91320506MA1K00002")
ROWS = [
    (1, "上海华东电器有限公司", USCC_A),
    (2, "江苏华东电器有限公司", USCC_B),
    (3, "上海晨光文具股份有限公司", None),
    (4, "上海宏达电子商务有限公司", None),
    (5, "上海宏达电子商务有限公司杭州分公司", None),
]


@pytest.fixture(scope="module")
def matcher() -> CompanyMatcher:
    return CompanyMatcher(ROWS)


def test_match_by_uscc_first(matcher: CompanyMatcher) -> None:
    m = matcher.match("随便写的名字", uscc=USCC_B.lower())
    assert (m.method, m.enterprise_id) == (MatchMethod.USCC, 2)


def test_match_the_exact_name_and_its_other_spellings(matcher: CompanyMatcher) -> None:
    assert matcher.match("上海晨光文具股份有限公司").method is MatchMethod.EXACT
    m = matcher.match("晨光文具（上海）有限公司")
    assert (m.method, m.enterprise_id) == (MatchMethod.NORMALIZED, 3)
    m = matcher.match("晨光公司")
    assert (m.method, m.enterprise_id) == (MatchMethod.BRAND, 3)


def test_a_name_two_firms_share_is_ambiguous_not_guessed(matcher: CompanyMatcher) -> None:
    m = matcher.match("华东电器有限公司")
    assert m.method is MatchMethod.AMBIGUOUS
    assert m.enterprise_id is None and set(m.candidates) == {1, 2}
    assert not m.matched


def test_a_place_in_the_mention_decides_between_them(matcher: CompanyMatcher) -> None:
    assert matcher.match("上海市浦东新区华东电器有限公司").enterprise_id == 1
    assert matcher.match("江苏省华东电器厂").enterprise_id == 2
    # A firm registered elsewhere is never taken for the one named.
    assert matcher.match("浙江晨光文具有限公司").method is MatchMethod.NONE


def test_a_branch_is_matched_to_itself_not_the_head_office(matcher: CompanyMatcher) -> None:
    assert matcher.match("上海宏达电子商务有限公司杭州分公司").enterprise_id == 5
    assert matcher.match("宏达电子商务（上海）有限公司").enterprise_id == 4


def test_unknown_or_empty_names_match_nothing(matcher: CompanyMatcher) -> None:
    assert matcher.match("上海不存在贸易有限公司").method is MatchMethod.NONE
    assert matcher.match("").method is MatchMethod.NONE
    assert matcher.match("", uscc="123").method is MatchMethod.NONE


# --- CLI -----------------------------------------------------------------------------------
def run(args: list[str], stdin: bytes | None = None) -> tuple[int, list[dict[str, str]], str]:
    result = CliRunner().invoke(main, ["extract", "company", *args], input=stdin)
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return result.exit_code, rows, result.output


def test_cli_prints_one_json_line_per_name_and_skips_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "names.txt"
    path.write_text("上海华东电器有限公司\n\n   \n华东电器（上海）有限公司\n", encoding="utf-8")
    code, rows, _ = run([str(path)])
    assert code == 0
    assert [r["name"] for r in rows] == ["上海华东电器有限公司", "华东电器（上海）有限公司"]
    assert rows[0] == {
        "name": "上海华东电器有限公司",
        "place": "上海",
        "brand": "华东",
        "industry": "电器",
        "org_form": "有限公司",
        "branch": "",
    }


def test_cli_reads_stdin_in_gbk_too() -> None:
    code, rows, _ = run(["-"], "上海晨光文具股份有限公司\n".encode("gbk"))
    assert code == 0
    assert rows[0]["brand"] == "晨光"


def test_cli_refuses_a_binary_or_missing_file_with_a_message(tmp_path: Path) -> None:
    code, rows, out = run(["-"], b"\x00\x01\x02binary")
    assert code == 1 and not rows and "二进制" in out
    code, rows, out = run([str(tmp_path / "nope.txt")])
    assert code == 1 and "文件不存在" in out


def test_cli_output_is_readable_chinese_not_escapes(tmp_path: Path) -> None:
    path = tmp_path / "names.txt"
    path.write_text("上海华东电器有限公司\n", encoding="utf-8-sig")  # with a BOM
    _, _, out = run([str(path)])
    assert "华东" in out and "\\u" not in out


# --- dictionaries --------------------------------------------------------------------------
SHARED = ROOT.parent / "shared" / "data" / "companyname_dicts"


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data not present")
def test_the_build_script_reproduces_the_shipped_dictionaries(tmp_path: Path) -> None:
    labelled = tmp_path / "labelled.jsonl"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "build_company_dicts.py"),
            "--out",
            str(tmp_path),
            "--labelled",
            str(labelled),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    shipped = ROOT / "pqrisk" / "core" / "text" / "data"
    for name in ("company_places.tsv", "company_industries.txt", "company_org_forms.txt"):
        assert (tmp_path / name).read_bytes() == (shipped / name).read_bytes(), name
    composed = [r for r in map(json.loads, labelled.open(encoding="utf-8"))]
    benchmark = ROOT / "benchmarks" / "data" / "company_names_labelled.jsonl"
    expected = [r for r in map(json.loads, benchmark.open(encoding="utf-8"))]
    assert composed == [r for r in expected if r["set"] == "composed"]


def test_a_brand_list_if_given_decides_between_splits(tmp_path: Path) -> None:
    import gzip

    from pqrisk.core.text.company import CompanyDictionaries, CompanyNameParser

    brands = tmp_path / "brands.txt.gz"
    brands.write_bytes(gzip.compress("阳光电源\n".encode()))
    parser = CompanyNameParser(CompanyDictionaries.load(brands=brands))
    # Without the list, 电源 is the industry; a known brand keeps it.
    assert parse_company("阳光电源股份有限公司").brand == "阳光"
    assert parser.parse("阳光电源股份有限公司").brand == "阳光电源"
