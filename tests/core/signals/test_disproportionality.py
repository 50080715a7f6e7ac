"""Disproportionality of product × hazard pairs: known answers, vigipy agreement, bad input."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.stats import chi2_contingency, gamma, spearmanr

from pqrisk.core.signals.disproportionality import (
    DUMOUCHEL_1999_FDA,
    ContingencyTable,
    GammaMixturePrior,
    InvalidContingencyTable,
    PairStatus,
    bcpnn_beta_ic,
    disproportionality,
    fit_gamma_poisson_prior,
    gamma_poisson_posterior,
    mixture_log_likelihood,
)

PLANTED = {("p00", "h00"): 4.0, ("p05", "h03"): 3.0, ("p10", "h07"): 6.0}


def realistic_table(seed: int = 3) -> ContingencyTable:
    """30 products × 20 hazards, ~3,000 reports, independent margins but three planted pairs."""
    rng = np.random.default_rng(seed)
    products = tuple(f"p{i:02d}" for i in range(30))
    hazards = tuple(f"h{j:02d}" for j in range(20))
    rate = np.outer(rng.gamma(2, 1, 30), rng.gamma(2, 1, 20))
    rate *= 3000 / rate.sum()
    for (p, h), rr in PLANTED.items():
        rate[products.index(p), hazards.index(h)] *= rr
    return ContingencyTable(products, hazards, rng.poisson(rate))


@pytest.fixture(scope="module")
def table() -> ContingencyTable:
    return realistic_table()


@pytest.fixture(scope="module")
def result(table: ContingencyTable) -> Any:
    return disproportionality(table)


# --------------------------------------------------------------------------- known answers


def heater_table() -> ContingencyTable:
    """20 burn reports for the heater among its 100 reports; 100 burns among 1,900 others."""
    return ContingencyTable(("取暖器", "其他产品"), ("烫伤", "其他危害"), [[20, 80], [100, 1800]])


def test_prr_chi2_ror_ic_by_hand() -> None:
    pair = disproportionality(heater_table()).find("取暖器", "烫伤")
    assert (pair.a, pair.b, pair.c, pair.d) == (20, 80, 100, 1800)
    assert pair.expected == pytest.approx(100 * 120 / 2000)  # 6
    assert pair.prr == pytest.approx((20 / 100) / (100 / 1900), rel=1e-12)  # 3.8
    # Yates: N (|ad − bc| − N/2)² / [(a+b)(c+d)(a+c)(b+d)] = 2000·27000² / (100·1900·120·1880)
    assert pair.chi2 == pytest.approx(34.014557670772676, rel=1e-12)
    assert pair.ror == pytest.approx(4.5, rel=1e-12)
    se = math.sqrt(1 / 20 + 1 / 80 + 1 / 100 + 1 / 1800)
    assert pair.ror_low == pytest.approx(4.5 * math.exp(-1.959963984540054 * se), rel=1e-12)
    assert pair.ror_high == pytest.approx(4.5 * math.exp(1.959963984540054 * se), rel=1e-12)
    assert pair.ic == pytest.approx(math.log2(20.5 / 6.5), rel=1e-12)
    posterior = gamma(20.5, scale=1 / 6.5)  # Norén 2013: Gamma(a + ½, rate E + ½)
    assert pair.ic025 == pytest.approx(math.log2(posterior.ppf(0.025)), rel=1e-10)
    assert pair.ic975 == pytest.approx(math.log2(posterior.ppf(0.975)), rel=1e-10)
    assert pair.status is PairStatus.SIGNAL
    assert {"PRR", "ROR", "IC"} <= set(pair.methods_signalling)
    assert pair.reasons[0].startswith("PRR=3.80，χ²=34.01，报告数N=20")
    assert "提示信号" in pair.reasons[0]


def test_chi2_is_scipys_yates_chi2_for_every_pair(result: Any) -> None:
    for k in range(len(result)):
        a, b, c, d = (int(x[k]) for x in (result.a, result.b, result.c, result.d))
        expected = chi2_contingency([[a, b], [c, d]], correction=True)[0]
        assert result.chi2[k] == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_zero_cell_gets_the_haldane_correction() -> None:
    # the hazard is reported only for this product: c = 0
    pair = disproportionality(ContingencyTable(("A", "B"), ("H1", "H2"), [[5, 10], [0, 30]])).find(
        "A", "H1"
    )
    a, b, c, d = 5.5, 10.5, 0.5, 30.5
    assert pair.c == 0
    assert pair.ror == pytest.approx(a * d / (b * c))
    assert pair.prr == pytest.approx((a / (a + b)) / (c / (c + d)))
    assert math.isfinite(pair.ror_low) and math.isfinite(pair.chi2)


def test_few_reports_are_insufficient_not_a_signal() -> None:
    table = ContingencyTable(("A", "B", "C"), ("H1", "H2"), [[2, 0], [1, 50], [1, 60]])
    pair = disproportionality(table).find("A", "H1")
    assert pair.prr > 2 and pair.ror_low > 1  # large, but on two reports only
    assert pair.status is PairStatus.INSUFFICIENT
    assert pair.status.label == "数据不足"
    assert pair.methods_signalling == ()
    assert pair.reasons[0] == "报告数N=2，少于3份：数据不足，不判定信号"


def test_planted_pairs_are_found_by_every_method(result: Any) -> None:
    for product, hazard in PLANTED:
        pair = result.find(product, hazard)
        assert pair.status is PairStatus.SIGNAL
        assert pair.methods_signalling == ("PRR", "ROR", "IC", "EBGM")
    flagged = {(p.product, p.hazard) for p in result.pairs(signals_only=True) if p.ebgm_signal}
    assert flagged == set(PLANTED)


def test_records_are_summed_and_arranged() -> None:
    table = ContingencyTable.from_records(
        [("电热毯", "火灾", 2), ("电热毯", "火灾", 3), ("童车", "夹伤", 4), ("电热毯", "触电", 1)]
    )
    assert table.products == ("电热毯", "童车")
    assert table.hazards == ("夹伤", "火灾", "触电")
    assert table.counts.tolist() == [[0, 5, 1], [4, 0, 0]]


# --------------------------------------------------------------------------- gamma-Poisson


def test_prior_fit_recovers_simulated_parameters() -> None:
    rng = np.random.default_rng(11)
    truth = GammaMixturePrior(alpha1=20.0, beta1=20.0, alpha2=3.0, beta2=1.0, weight=0.9)
    cells = 40_000
    expected = rng.gamma(1.0, 2.0, cells)
    from_first = rng.random(cells) < truth.weight
    lam = np.where(
        from_first,
        rng.gamma(truth.alpha1, 1 / truth.beta1, cells),
        rng.gamma(truth.alpha2, 1 / truth.beta2, cells),
    )
    observed = rng.poisson(lam * expected)
    fit = fit_gamma_poisson_prior(observed, expected)
    got = fit.prior
    assert fit.converged
    assert got.weight == pytest.approx(0.9, abs=0.03)
    assert got.alpha1 / got.beta1 == pytest.approx(1.0, rel=0.05)  # component means
    assert got.alpha2 / got.beta2 == pytest.approx(3.0, rel=0.15)
    assert got.alpha1 / got.beta1**2 == pytest.approx(0.05, rel=0.6)  # and variances, roughly
    assert got.alpha2 / got.beta2**2 == pytest.approx(3.0, rel=0.5)
    assert fit.log_likelihood >= mixture_log_likelihood(truth, observed, expected)


def test_fit_is_at_least_as_likely_as_each_start(table: ContingencyTable, result: Any) -> None:
    counts = table.counts.astype(float)
    expected = np.outer(counts.sum(1), counts.sum(0)) / counts.sum()
    assert result.prior_fit.converged
    for start in (DUMOUCHEL_1999_FDA, GammaMixturePrior(1.0, 1.0, 2.0, 1.0, 0.5)):
        assert result.prior_fit.log_likelihood >= mixture_log_likelihood(start, counts, expected)


def test_posterior_against_direct_integration() -> None:
    prior = GammaMixturePrior(0.8, 0.6, 3.0, 1.2, 0.7)
    n, e = np.array([0.0, 3.0, 12.0]), np.array([1.5, 0.8, 4.0])
    ebgm, eb05, eb95 = gamma_poisson_posterior(prior, n, e)
    u = np.linspace(-40.0, 4.0, 400_001)  # ln λ: the prior's density is unbounded at λ = 0
    lam = np.exp(u)
    prior_pdf = prior.weight * gamma.pdf(lam, prior.alpha1, scale=1 / prior.beta1) + (
        1 - prior.weight
    ) * gamma.pdf(lam, prior.alpha2, scale=1 / prior.beta2)
    for k in range(3):
        post = lam ** n[k] * np.exp(-lam * e[k]) * prior_pdf * lam  # density of ln λ
        post /= np.trapezoid(post, u)
        assert ebgm[k] == pytest.approx(math.exp(np.trapezoid(u * post, u)), rel=1e-6)
        cdf = np.concatenate([[0.0], np.cumsum((post[1:] + post[:-1]) / 2 * np.diff(u))])
        assert eb05[k] == pytest.approx(math.exp(np.interp(0.05, cdf, u)), rel=1e-4)
        assert eb95[k] == pytest.approx(math.exp(np.interp(0.95, cdf, u)), rel=1e-4)


def test_a_given_prior_is_used_as_is(table: ContingencyTable) -> None:
    fixed = disproportionality(table, prior=DUMOUCHEL_1999_FDA)
    assert fixed.prior == DUMOUCHEL_1999_FDA
    assert fixed.prior_fit is None


# --------------------------------------------------------------------------- vigipy 3.5.1


@pytest.fixture(scope="module")
def vigipy_input(table: ContingencyTable) -> Any:
    vigipy = pytest.importorskip("vigipy", reason="vigipy (test dependency) is not installed")
    pd = pytest.importorskip("pandas", reason="vigipy needs pandas")
    rows = [
        (p, h, int(table.counts[i, j]))
        for i, p in enumerate(table.products)
        for j, h in enumerate(table.hazards)
        if table.counts[i, j] > 0
    ]
    frame = pd.DataFrame(rows, columns=["name", "AE", "count"])
    return vigipy, vigipy.convert(frame)


def _aligned(result: Any, frame: Any, column: str) -> tuple[np.ndarray, np.ndarray]:
    """vigipy's column in our pair order: (our indices, their values)."""
    ours = {
        (result.products[i], result.hazards[j]): k
        for k, (i, j) in enumerate(zip(result.product_index, result.hazard_index, strict=True))
    }
    index = np.array(
        [ours[pair] for pair in zip(frame["Product"], frame["Adverse Event"], strict=True)]
    )
    return index, frame[column].to_numpy(dtype=float)


def test_prr_and_ror_equal_vigipys(vigipy_input: Any, result: Any) -> None:
    vigipy, container = vigipy_input
    prr = vigipy.prr(container, min_events=1).all_signals
    ror = vigipy.ror(container, min_events=1).all_signals
    assert len(prr) == len(ror) == len(result)  # every observed pair, zero cells corrected alike
    idx, theirs = _aligned(result, prr, "PRR")
    np.testing.assert_allclose(result.prr[idx], theirs, rtol=1e-12)
    idx, theirs = _aligned(result, ror, "ROR")
    np.testing.assert_allclose(result.ror[idx], theirs, rtol=1e-12)
    idx, theirs = _aligned(result, ror, "CI Lower")
    np.testing.assert_allclose(result.ror_low[idx], theirs, rtol=1e-12)
    idx, theirs = _aligned(result, ror, "CI Upper")
    np.testing.assert_allclose(result.ror_high[idx], theirs, rtol=1e-12)


def test_beta_bcpnn_equals_vigipys_closed_form(vigipy_input: Any, result: Any) -> None:
    vigipy, container = vigipy_input
    frame = vigipy.bcpnn(container, min_events=1).all_signals
    idx, theirs = _aligned(result, frame, "quantile")
    _, ic025 = bcpnn_beta_ic(
        result.a.astype(float),
        (result.a + result.b).astype(float),
        (result.a + result.c).astype(float),
        float(result.total),
    )
    np.testing.assert_allclose(ic025[idx], theirs, rtol=0, atol=1e-10)


def test_noren_ic025_agrees_with_vigipys_bcpnn_in_rank_and_verdict(
    vigipy_input: Any, result: Any
) -> None:
    """Different IC variants (Norén 2013 gamma vs Beta BCPNN): same order, same verdicts,
    and close once a pair has a few reports."""
    vigipy, container = vigipy_input
    frame = vigipy.bcpnn(container, min_events=1).all_signals
    idx, theirs = _aligned(result, frame, "quantile")
    ours, a = result.ic025[idx], result.a[idx]
    assert spearmanr(ours, theirs).statistic >= 0.99
    assert np.mean((ours > 0) == (theirs > 0)) >= 0.98
    assert np.abs(ours - theirs)[a >= 5].max() <= 0.25
    assert np.abs(ours - theirs)[a >= 20].max() <= 0.15


def test_gps_posterior_equals_vigipys_for_the_same_prior(vigipy_input: Any, result: Any) -> None:
    vigipy, container = vigipy_input
    frame = vigipy.gps(container, min_events=1, prior_param=list(result.prior.as_array()))
    frame = frame.all_signals
    idx, theirs = _aligned(result, frame, "EBGM")
    np.testing.assert_allclose(result.ebgm[idx], theirs, rtol=1e-8)
    # vigipy's quantiles are a bisection stopped at |F − p| < 1e-5
    idx, theirs = _aligned(result, frame, "LowerBound")
    np.testing.assert_allclose(result.eb05[idx], theirs, rtol=1e-3)
    idx, theirs = _aligned(result, frame, "UpperBound")
    np.testing.assert_allclose(result.eb95[idx], theirs, rtol=1e-3)


def test_our_prior_fit_is_more_likely_than_vigipys(
    vigipy_input: Any, table: ContingencyTable, result: Any
) -> None:
    """vigipy fits in the raw parameters inside a box (α ≤ 20, β ≤ 10); ours is the
    unconstrained-scale ML fit, so its likelihood is at least as high, and the EBGM order
    is much the same."""
    vigipy, container = vigipy_input
    counts = table.counts.astype(float)
    expected = np.outer(counts.sum(1), counts.sum(0)) / counts.sum()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for options in ({}, {"truncate": False}):
            fitted = vigipy.gps(container, min_events=1, **options)
            a1, b1, a2, b2, w = (float(x) for x in fitted.params["prior_param"])
            theirs = GammaMixturePrior(  # vigipy may return a parameter at its bound ε or 0
                max(a1, 1e-9), max(b1, 1e-9), max(a2, 1e-9), max(b2, 1e-9), w
            )
            assert result.prior_fit.log_likelihood >= mixture_log_likelihood(
                theirs, counts, expected
            )
            idx, ebgm = _aligned(result, fitted.all_signals, "EBGM")
            assert spearmanr(result.ebgm[idx], ebgm).statistic >= 0.85


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("records", "message"),
    [
        ([("电热毯", "火灾", -1)], "负数"),
        ([("电热毯", "火灾", None)], "缺少计数"),
        ([("电热毯", "火灾", float("nan"))], "缺少计数"),
        ([("电热毯", "火灾", 2.5)], "整数"),
        ([("电热毯", "火灾", "3")], "非负整数"),
        ([("", "火灾", 3)], "缺少产品名称"),
        ([("电热毯", None, 3)], "缺少危害名称"),
        ([("电热毯", "火灾")], "三项"),
        ([], "列联表为空"),
    ],
)
def test_bad_records_are_refused_with_a_reason(records: list[Any], message: str) -> None:
    with pytest.raises(InvalidContingencyTable, match=message):
        ContingencyTable.from_records(records)


def test_bad_tables_are_refused_with_a_reason() -> None:
    with pytest.raises(InvalidContingencyTable, match="负数"):
        ContingencyTable(("A", "B"), ("H1", "H2"), [[1, -2], [3, 4]])
    with pytest.raises(InvalidContingencyTable, match="缺少计数"):
        ContingencyTable(("A", "B"), ("H1", "H2"), np.array([[1, np.nan], [3, 4]]))
    with pytest.raises(InvalidContingencyTable, match="形状"):
        ContingencyTable(("A",), ("H1", "H2"), [[1, 2], [3, 4]])
    with pytest.raises(InvalidContingencyTable, match="重复"):
        ContingencyTable(("A", "A"), ("H1", "H2"), [[1, 2], [3, 4]])
    with pytest.raises(InvalidContingencyTable, match="为空"):
        ContingencyTable((), (), np.zeros((0, 0)))
    with pytest.raises(InvalidContingencyTable, match="总数为零"):
        disproportionality(ContingencyTable(("A", "B"), ("H1", "H2"), [[0, 0], [0, 0]]))
    with pytest.raises(InvalidContingencyTable, match="两个有报告的产品"):
        disproportionality(ContingencyTable(("A", "B"), ("H1", "H2"), [[3, 4], [0, 0]]))
    with pytest.raises(InvalidContingencyTable, match="最少报告数"):
        disproportionality(heater_table(), min_reports=0)
    with pytest.raises(InvalidContingencyTable, match="先验参数"):
        GammaMixturePrior(0.0, 1.0, 1.0, 1.0, 0.5)


def test_vectors_match_records(result: Any) -> None:
    records = result.pairs()
    assert len(records) == len(result) == int((result.a > 0).sum())
    assert all(r.a >= 1 for r in records)
    statuses = {r.status for r in records}
    assert statuses == {PairStatus.SIGNAL, PairStatus.NO_SIGNAL, PairStatus.INSUFFICIENT}
    assert all(len(r.reasons) in (4, 5) for r in records)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(st.integers(min_value=0, max_value=60), min_size=3, max_size=3),
        min_size=3,
        max_size=5,
    )
)
def test_intervals_are_ordered_and_flags_follow_the_rules(rows: list[list[int]]) -> None:
    counts = np.array(rows)
    assume((counts.sum(axis=1) > 0).sum() >= 2 and (counts.sum(axis=0) > 0).sum() >= 2)
    table = ContingencyTable(tuple(f"p{i}" for i in range(len(rows))), ("h0", "h1", "h2"), counts)
    r = disproportionality(table, prior=DUMOUCHEL_1999_FDA)
    assert (r.ror_low <= r.ror).all() and (r.ror <= r.ror_high).all()
    assert (r.ic025 <= r.ic).all() and (r.ic <= r.ic975).all()
    assert (r.eb05 <= r.ebgm).all() and (r.ebgm <= r.eb95).all()
    assert (r.chi2 >= 0).all()
    assert (r.a + r.b + r.c + r.d == counts.sum()).all()
    assert np.array_equal(r.prr_signal, (r.a >= 3) & (r.prr >= 2) & (r.chi2 >= 4))
    assert np.array_equal(r.ror_signal, (r.a >= 3) & (r.ror_low > 1))
    assert np.array_equal(r.ic_signal, (r.a >= 3) & (r.ic025 > 0))
    assert np.array_equal(r.ebgm_signal, (r.a >= 3) & (r.eb05 >= 2))
