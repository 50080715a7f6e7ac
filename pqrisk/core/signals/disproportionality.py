"""Disproportionality of product × hazard pairs: PRR, ROR, IC and EBGM (METHODS §5).

Input is a contingency table of report counts, products in rows and hazards in columns. For
one pair (product i, hazard j) the 2 × 2 table is

    a = reports of hazard j for product i       b = other hazards, product i
    c = hazard j, other products                d = other hazards, other products

with N = a + b + c + d the table total and E = (a + b)(a + c) / N the count expected if
product and hazard were independent. Every metric is computed for all observed pairs (a ≥ 1)
at once with numpy; nothing loops over pairs.

Metrics and the variants chosen (the peer library ``vigipy`` 3.5.1 is the cross-check in
tests/core/signals/test_disproportionality.py):

- **PRR** = [a / (a + b)] / [c / (c + d)] with Pearson χ² (1 df) with Yates' continuity
  correction, χ² = N (|ad − bc| − N/2)² / [(a + b)(c + d)(a + c)(b + d)], 0 when
  |ad − bc| ≤ N/2 (as ``scipy.stats.chi2_contingency(correction=True)``). Signal rule of the
  MHRA (Evans, Waller & Davis 2001, Pharmacoepidemiol Drug Saf 10:483): PRR ≥ 2, χ² ≥ 4, N ≥ 3.
- **ROR** = ad / bc with Woolf's 95 % interval exp(ln ROR ± 1.96 √(1/a + 1/b + 1/c + 1/d));
  signal when the lower limit > 1 (van Puijenbroek et al. 2002).
- For PRR and ROR a 2 × 2 table with a zero cell gets the Haldane–Anscombe correction
  (+0.5 in all four cells) — as ``vigipy.prr``/``vigipy.ror`` with
  ``continuity_correction=True``; χ² always uses the raw counts.
- **IC** (BCPNN): the closed-form shrinkage observed-to-expected ratio of Norén, Hopstadius
  & Bate 2013 (Stat Methods Med Res 22:57), IC = log2((a + 0.5) / (E + 0.5)), and its
  credibility interval from the Gamma(a + 0.5, rate E + 0.5) posterior of the ratio:
  IC025 = log2(Γ⁻¹(0.025; a + 0.5) / (E + 0.5)). Signal when IC025 > 0. The older
  Beta/Dirichlet BCPNN (Bate 1998; Norén 2006 expectation with a normal interval, vigipy's
  ``bcpnn(MC=False)``) is :func:`bcpnn_beta_ic`, kept for comparison.
- **EBGM/EB05**: DuMouchel's (1999, Am Stat 53:177) gamma-Poisson shrinker. a ~ Poisson(λE),
  λ ~ P·Gamma(α1, β1) + (1 − P)·Gamma(α2, β2); the five hyperparameters are fitted by maximum
  likelihood of the negative-binomial mixture over **all** cells of the table (zeros
  included, the 1999 paper's likelihood) with ``scipy.optimize`` (L-BFGS-B, analytic
  gradient, several starts). EBGM = exp E[ln λ | a], EB05 and EB95 the posterior 5th and 95th
  percentiles. Signal when EB05 ≥ 2 (Szarfman, Machado & O'Neill 2002).

A pair with fewer than ``min_reports`` (3, METHODS §5) reports has the status 数据不足:
its metrics are shown but it is never a signal.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize
from scipy.special import digamma, expit, gammainc, gammaincinv, gammaln, polygamma

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

# METHODS §5 signal rules.
PRR_MIN = 2.0
CHI2_MIN = 4.0
MIN_REPORTS = 3
EB05_MIN = 2.0
# Two-sided 95 % normal quantile for Woolf's interval.
Z_975 = 1.959963984540054


class InvalidContingencyTable(ValueError):
    """The counts cannot be analysed; the message says why, in Chinese, for the user."""


class PairStatus(StrEnum):
    SIGNAL = "signal"
    NO_SIGNAL = "no_signal"
    INSUFFICIENT = "insufficient_data"

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self.value]


_STATUS_LABELS = {"signal": "信号", "no_signal": "无信号", "insufficient_data": "数据不足"}


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check_count(value: object, where: str) -> int:
    if value is None or (_is_number(value) and math.isnan(float(value))):  # type: ignore[arg-type]
        raise InvalidContingencyTable(f"{where}缺少计数")
    if not _is_number(value) or not math.isfinite(float(value)):  # type: ignore[arg-type]
        raise InvalidContingencyTable(f"{where}的计数应为非负整数，实际为{value!r}")
    number = float(value)  # type: ignore[arg-type]
    if number < 0:
        raise InvalidContingencyTable(f"{where}的计数为负数（{value!r}）")
    if number != int(number):
        raise InvalidContingencyTable(f"{where}的计数应为整数，实际为{value!r}")
    return int(number)


def _check_name(value: object, kind: str, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidContingencyTable(f"{where}缺少{kind}名称")
    return value.strip()


class ContingencyTable:
    """Report counts, products × hazards (一行一个产品，一列一类危害), checked on creation."""

    __slots__ = ("counts", "hazards", "products")

    def __init__(self, products: Sequence[str], hazards: Sequence[str], counts: ArrayLike) -> None:
        products, hazards = tuple(products), tuple(hazards)
        counts = np.asarray(counts)
        if not products or not hazards or counts.size == 0:
            raise InvalidContingencyTable("列联表为空：没有任何产品或危害")
        if counts.shape != (len(products), len(hazards)):
            raise InvalidContingencyTable(
                f"计数矩阵形状{counts.shape}与产品数{len(products)}、危害数{len(hazards)}不符"
            )
        for names, kind in ((products, "产品"), (hazards, "危害")):
            seen: set[str] = set()
            for name in names:
                _check_name(name, kind, "列联表")
                if name in seen:
                    raise InvalidContingencyTable(f"{kind}“{name}”重复出现")
                seen.add(name)
        if counts.dtype.kind not in "iuf":
            raise InvalidContingencyTable("计数矩阵应为数值")
        as_float = counts.astype(np.float64)
        if np.isnan(as_float).any():
            i, j = np.argwhere(np.isnan(as_float))[0]
            raise InvalidContingencyTable(f"产品“{products[i]}”×危害“{hazards[j]}”缺少计数")
        if not np.isfinite(as_float).all() or (as_float != np.round(as_float)).any():
            raise InvalidContingencyTable("计数应为非负整数")
        if (as_float < 0).any():
            i, j = np.argwhere(as_float < 0)[0]
            raise InvalidContingencyTable(
                f"产品“{products[i]}”×危害“{hazards[j]}”的计数为负数（{counts[i, j]}）"
            )
        self.products: tuple[str, ...] = products
        self.hazards: tuple[str, ...] = hazards
        self.counts: IntArray = as_float.astype(np.int64)

    def __repr__(self) -> str:
        return (
            f"ContingencyTable({len(self.products)} products × {len(self.hazards)} hazards, "
            f"{int(self.counts.sum())} reports)"
        )

    @classmethod
    def from_records(cls, records: Iterable[Sequence[object]]) -> ContingencyTable:
        """Build from ``(product, hazard, count)`` rows; repeated pairs are added up."""
        totals: dict[tuple[str, str], int] = {}
        for number, record in enumerate(records, start=1):
            where = f"第{number}条记录"
            if len(record) != 3:
                raise InvalidContingencyTable(f"{where}应为（产品, 危害, 计数）三项")
            product = _check_name(record[0], "产品", where)
            hazard = _check_name(record[1], "危害", where)
            count = _check_count(record[2], where)
            totals[(product, hazard)] = totals.get((product, hazard), 0) + count
        if not totals:
            raise InvalidContingencyTable("列联表为空：没有任何记录")
        products = sorted({p for p, _ in totals})
        hazards = sorted({h for _, h in totals})
        row = {p: i for i, p in enumerate(products)}
        col = {h: j for j, h in enumerate(hazards)}
        counts = np.zeros((len(products), len(hazards)), dtype=np.int64)
        for (product, hazard), count in totals.items():
            counts[row[product], col[hazard]] = count
        return cls(tuple(products), tuple(hazards), counts)


# --------------------------------------------------------------------------- frequentist


def _chi2_yates(a: FloatArray, b: FloatArray, c: FloatArray, d: FloatArray) -> FloatArray:
    n = a + b + c + d
    excess = np.maximum(np.abs(a * d - b * c) - n / 2.0, 0.0)
    denominator = (a + b) * (c + d) * (a + c) * (b + d)
    with np.errstate(divide="ignore", invalid="ignore"):
        chi2 = n * excess**2 / denominator
    return np.where(denominator > 0, chi2, 0.0)


def _haldane(
    a: FloatArray, b: FloatArray, c: FloatArray, d: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    add = 0.5 * ((a <= 0) | (b <= 0) | (c <= 0) | (d <= 0))
    return a + add, b + add, c + add, d + add


def bcpnn_beta_ic(
    a: ArrayLike, row: ArrayLike, col: ArrayLike, n: float
) -> tuple[FloatArray, FloatArray]:
    """IC and IC025 of the Beta/Dirichlet BCPNN (Bate et al. 1998; expectation as Norén 2006,
    normal approximation of the interval), in the closed form of ``vigipy.bcpnn(MC=False)``.

    Not the method we flag signals with (see the module docstring); kept so that the two
    published IC variants can be compared on our data.
    """
    a, row, col = (np.asarray(x, dtype=np.float64) for x in (a, row, col))
    p1, p2 = 1.0 + row, 1.0 + n - row
    q1, q2 = 1.0 + col, 1.0 + n - col
    r1 = 1.0 + a
    r2b = n - a - 1.0 + (2.0 + n) ** 2 / (q1 * p1)
    ln2 = math.log(2.0)
    ic = (
        digamma(r1)
        - digamma(r1 + r2b)
        - (digamma(p1) - digamma(p1 + p2) + digamma(q1) - digamma(q1 + q2))
    ) / ln2
    variance = (
        polygamma(1, r1)
        - polygamma(1, r1 + r2b)
        + polygamma(1, p1)
        - polygamma(1, p1 + p2)
        + polygamma(1, q1)
        - polygamma(1, q1 + q2)
    ) / ln2**2
    return ic, ic - Z_975 * np.sqrt(variance)


# --------------------------------------------------------------------------- gamma-Poisson


@dataclass(frozen=True)
class GammaMixturePrior:
    """λ ~ weight·Gamma(alpha1, rate beta1) + (1 − weight)·Gamma(alpha2, rate beta2)."""

    alpha1: float
    beta1: float
    alpha2: float
    beta2: float
    weight: float

    def __post_init__(self) -> None:
        for name in ("alpha1", "beta1", "alpha2", "beta2"):
            value = getattr(self, name)
            if not _is_number(value) or not math.isfinite(value) or value <= 0:
                raise InvalidContingencyTable(f"先验参数{name}应为正数，实际为{value!r}")
        if not _is_number(self.weight) or not 0 <= self.weight <= 1:
            raise InvalidContingencyTable(f"先验混合权重应在0到1之间，实际为{self.weight!r}")

    def as_array(self) -> FloatArray:
        return np.array([self.alpha1, self.beta1, self.alpha2, self.beta2, self.weight])


# DuMouchel's (1999) estimates on the FDA SRS table — PhViD's and vigipy's default start.
DUMOUCHEL_1999_FDA = GammaMixturePrior(0.2041, 0.05816, 1.415, 1.838, 0.0969)
# Further starts (ours): a flat-ish background with a small elevated component, and the
# reverse; the likelihood is multimodal, so the best of a few local fits is kept.
_STARTS = (
    DUMOUCHEL_1999_FDA,
    GammaMixturePrior(0.2, 0.1, 2.0, 4.0, 1 / 3),
    GammaMixturePrior(1.0, 1.0, 3.0, 1.0, 0.9),
)
# Box for the log-parameters: keeps the optimiser away from degenerate gammas (α or β → 0/∞).
_LOG_BOUND = 9.0
_LOGIT_BOUND = 12.0


@dataclass(frozen=True)
class PriorFit:
    prior: GammaMixturePrior
    log_likelihood: float
    converged: bool
    message: str
    cells: int


def _data_term(n: FloatArray, e: FloatArray) -> FloatArray:
    """n ln E − ln n!, the part of the negative-binomial log pmf free of α and β."""
    log_e = np.log(e, where=e > 0, out=np.zeros_like(e))
    return n * log_e - gammaln(n + 1.0)


def _nb_log_pmf(
    n: FloatArray, alpha: float, beta: float, log_beta_e: FloatArray, data_term: FloatArray
) -> FloatArray:
    # Marginal of a ~ Poisson(λE), λ ~ Gamma(α, rate β): negative binomial of size α and
    # p = β/(β + E); log_beta_e = ln(β + E).
    return (
        gammaln(n + alpha)
        - gammaln(alpha)
        + alpha * math.log(beta)
        - (alpha + n) * log_beta_e
        + data_term
    )


def mixture_log_likelihood(
    prior: GammaMixturePrior, observed: ArrayLike, expected: ArrayLike
) -> float:
    """Log marginal likelihood of the counts under the gamma-mixture prior (DuMouchel eq. 5)."""
    n = np.asarray(observed, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    data = _data_term(n, e)
    l1 = _nb_log_pmf(n, prior.alpha1, prior.beta1, np.log(prior.beta1 + e), data)
    l2 = _nb_log_pmf(n, prior.alpha2, prior.beta2, np.log(prior.beta2 + e), data)
    w = prior.weight
    with np.errstate(divide="ignore"):
        both = np.logaddexp(np.log(w) + l1, np.log1p(-w) + l2)
    return float(both.sum())


def _objective(
    theta: FloatArray, n: FloatArray, e: FloatArray, data: FloatArray
) -> tuple[float, FloatArray]:
    """Negative log-likelihood and its gradient in (ln α1, ln β1, ln α2, ln β2, logit w)."""
    la1, lb1, la2, lb2, lw = theta
    a1, b1, a2, b2 = math.exp(la1), math.exp(lb1), math.exp(la2), math.exp(lb2)
    w = float(expit(lw))
    log_b1e, log_b2e = np.log(b1 + e), np.log(b2 + e)
    l1 = _nb_log_pmf(n, a1, b1, log_b1e, data)
    l2 = _nb_log_pmf(n, a2, b2, log_b2e, data)
    log_w, log_1w = math.log(w), math.log1p(-w)
    total = np.logaddexp(log_w + l1, log_1w + l2)
    r1 = np.exp(log_w + l1 - total)  # posterior share of component 1 (DuMouchel's Q_n)
    r2 = 1.0 - r1
    # d ln f_k / dα_k = ψ(n + α) − ψ(α) + ln β − ln(β + E); d ln f_k / dβ_k = α/β − (α + n)/(β + E)
    da1 = digamma(n + a1) - digamma(a1) + math.log(b1) - log_b1e
    db1 = a1 / b1 - (a1 + n) / (b1 + e)
    da2 = digamma(n + a2) - digamma(a2) + math.log(b2) - log_b2e
    db2 = a2 / b2 - (a2 + n) / (b2 + e)
    # elementwise products, not BLAS dot products: a threaded BLAS costs more than it saves here
    grad = np.array(
        [
            a1 * float((r1 * da1).sum()),
            b1 * float((r1 * db1).sum()),
            a2 * float((r2 * da2).sum()),
            b2 * float((r2 * db2).sum()),
            float((r1 - w).sum()),
        ]
    )
    return -float(total.sum()), -grad


def fit_gamma_poisson_prior(
    observed: ArrayLike,
    expected: ArrayLike,
    starts: Sequence[GammaMixturePrior] = _STARTS,
) -> PriorFit:
    """Maximum-likelihood fit of DuMouchel's two-gamma prior to all cells (zeros included).

    The parameters are optimised on the log scale (α, β) and logit scale (weight) with
    L-BFGS-B and the analytic gradient; each start is a local fit and the best is kept. The
    components are returned with component 1 the one of smaller prior mean α/β.
    """
    n = np.asarray(observed, dtype=np.float64).ravel()
    e = np.asarray(expected, dtype=np.float64).ravel()
    keep = e > 0  # a cell with E = 0 has a = 0 with certainty and no information
    n, e = n[keep], e[keep]
    if n.size == 0 or n.sum() <= 0:
        raise InvalidContingencyTable("没有可用于估计先验的报告")
    data = _data_term(n, e)
    bounds = [(-_LOG_BOUND, _LOG_BOUND)] * 4 + [(-_LOGIT_BOUND, _LOGIT_BOUND)]
    best = None
    for start in starts:
        p = start.as_array()
        theta0 = np.clip(
            np.array([*np.log(p[:4]), math.log(p[4] / (1 - p[4]))]),
            [b[0] for b in bounds],
            [b[1] for b in bounds],
        )
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            out = minimize(
                _objective,
                theta0,
                args=(n, e, data),
                jac=True,
                method="L-BFGS-B",
                bounds=bounds,
                options={"maxiter": 2000, "ftol": 1e-12, "gtol": 1e-8},
            )
        if np.isfinite(out.fun) and (best is None or out.fun < best.fun):
            best = out
    if best is None:
        raise InvalidContingencyTable("伽马-泊松先验估计失败：似然无有限值")
    la1, lb1, la2, lb2, lw = best.x
    w = float(expit(lw))
    comps = [(math.exp(la1), math.exp(lb1), w), (math.exp(la2), math.exp(lb2), 1.0 - w)]
    comps.sort(key=lambda c: c[0] / c[1])
    (a1, b1, w1), (a2, b2, _) = comps
    prior = GammaMixturePrior(a1, b1, a2, b2, w1)
    # L-BFGS-B may stop with an "abnormal" line search when it is already at the optimum to
    # machine precision; a gradient that is ~0 per cell counts as converged.
    flat = float(np.abs(best.jac).max()) <= 1e-6 * n.size
    return PriorFit(
        prior=prior,
        log_likelihood=-float(best.fun),
        converged=bool(best.success) or flat,
        message=str(best.message),
        cells=int(n.size),
    )


def _posterior_weight(prior: GammaMixturePrior, n: FloatArray, e: FloatArray) -> FloatArray:
    """Q_n, the posterior probability that λ comes from component 1 (DuMouchel eq. 9)."""
    data = _data_term(n, e)
    with np.errstate(divide="ignore", invalid="ignore"):
        l1 = np.log(prior.weight) + _nb_log_pmf(
            n, prior.alpha1, prior.beta1, np.log(prior.beta1 + e), data
        )
        l2 = np.log1p(-prior.weight) + _nb_log_pmf(
            n, prior.alpha2, prior.beta2, np.log(prior.beta2 + e), data
        )
        q = np.exp(l1 - np.logaddexp(l1, l2))
    return np.nan_to_num(q, nan=prior.weight)


def _mixture_quantile(
    prob: float, q: FloatArray, a1: FloatArray, b1: FloatArray, a2: FloatArray, b2: FloatArray
) -> FloatArray:
    """The ``prob`` quantile of q·Gamma(a1, b1) + (1 − q)·Gamma(a2, b2), elementwise.

    The root lies between the two components' own quantiles; Newton steps on ln x inside that
    bracket, with bisection when a step leaves it.
    """
    x1 = gammaincinv(a1, prob) / b1
    x2 = gammaincinv(a2, prob) / b2
    lo, hi = np.log(np.minimum(x1, x2)), np.log(np.maximum(x1, x2))
    u = np.where(q >= 0.5, np.log(x1), np.log(x2))
    for _ in range(100):
        x = np.exp(u)
        cdf = q * gammainc(a1, b1 * x) + (1 - q) * gammainc(a2, b2 * x)
        gap = cdf - prob
        lo = np.where(gap < 0, u, lo)
        hi = np.where(gap > 0, u, hi)
        # x·density: dF/d ln x
        dens = q * np.exp(a1 * np.log(b1 * x) - b1 * x - gammaln(a1)) + (1 - q) * np.exp(
            a2 * np.log(b2 * x) - b2 * x - gammaln(a2)
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            step = u - gap / dens
        inside = np.isfinite(step) & (step > lo) & (step < hi)
        new_u = np.where(inside, step, 0.5 * (lo + hi))
        done = (np.abs(gap) < 1e-13) | (hi - lo < 1e-13)
        new_u = np.where(done, u, new_u)
        if done.all():
            break
        u = new_u
    return np.exp(u)


def gamma_poisson_posterior(
    prior: GammaMixturePrior, observed: ArrayLike, expected: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """EBGM, EB05 and EB95 of each cell given the prior (DuMouchel 1999, eqs. 8–11)."""
    n = np.asarray(observed, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    q = _posterior_weight(prior, n, e)
    a1, b1 = prior.alpha1 + n, prior.beta1 + e
    a2, b2 = prior.alpha2 + n, prior.beta2 + e
    log_gm = q * (digamma(a1) - np.log(b1)) + (1 - q) * (digamma(a2) - np.log(b2))
    eb05 = _mixture_quantile(0.05, q, a1, b1, a2, b2)
    eb95 = _mixture_quantile(0.95, q, a1, b1, a2, b2)
    return np.exp(log_gm), eb05, eb95


# --------------------------------------------------------------------------- result


@dataclass(frozen=True)
class PairDisproportionality:
    """All metrics of one product × hazard pair, with its signal flags and reasons (Chinese)."""

    product: str
    hazard: str
    a: int
    b: int
    c: int
    d: int
    expected: float
    prr: float
    chi2: float
    ror: float
    ror_low: float
    ror_high: float
    ic: float
    ic025: float
    ic975: float
    ebgm: float
    eb05: float
    eb95: float
    prr_signal: bool
    ror_signal: bool
    ic_signal: bool
    ebgm_signal: bool
    status: PairStatus
    reasons: tuple[str, ...]

    @property
    def methods_signalling(self) -> tuple[str, ...]:
        flags = (
            ("PRR", self.prr_signal),
            ("ROR", self.ror_signal),
            ("IC", self.ic_signal),
            ("EBGM", self.ebgm_signal),
        )
        return tuple(name for name, flag in flags if flag)


def _verdict(flag: bool) -> str:
    return "提示信号" if flag else "未达信号标准"


@dataclass(frozen=True, eq=False)
class DisproportionalityResult:
    """Metrics for every observed pair (a ≥ 1), as numpy arrays in the same order.

    Pairs are in row-major order of the table (product, then hazard). ``pairs()`` turns them
    into :class:`PairDisproportionality` records with the Chinese rule lines.
    """

    products: tuple[str, ...]
    hazards: tuple[str, ...]
    product_index: IntArray
    hazard_index: IntArray
    a: IntArray
    b: IntArray
    c: IntArray
    d: IntArray
    expected: FloatArray
    prr: FloatArray
    chi2: FloatArray
    ror: FloatArray
    ror_low: FloatArray
    ror_high: FloatArray
    ic: FloatArray
    ic025: FloatArray
    ic975: FloatArray
    ebgm: FloatArray
    eb05: FloatArray
    eb95: FloatArray
    sufficient: NDArray[np.bool_]
    prr_signal: NDArray[np.bool_]
    ror_signal: NDArray[np.bool_]
    ic_signal: NDArray[np.bool_]
    ebgm_signal: NDArray[np.bool_]
    prior_fit: PriorFit | None
    prior: GammaMixturePrior
    min_reports: int
    total: int = field(default=0)

    def __len__(self) -> int:
        return int(self.a.size)

    @property
    def any_signal(self) -> NDArray[np.bool_]:
        return self.prr_signal | self.ror_signal | self.ic_signal | self.ebgm_signal

    def pair(self, k: int) -> PairDisproportionality:
        a = int(self.a[k])
        flags = (
            bool(self.prr_signal[k]),
            bool(self.ror_signal[k]),
            bool(self.ic_signal[k]),
            bool(self.ebgm_signal[k]),
        )
        if not self.sufficient[k]:
            status = PairStatus.INSUFFICIENT
        elif any(flags):
            status = PairStatus.SIGNAL
        else:
            status = PairStatus.NO_SIGNAL
        reasons = [
            f"PRR={self.prr[k]:.2f}，χ²={self.chi2[k]:.2f}，报告数N={a}；"
            f"规则PRR≥2且χ²≥4且N≥3：{_verdict(flags[0])}",
            f"ROR={self.ror[k]:.2f}（95%置信区间{self.ror_low[k]:.2f}–{self.ror_high[k]:.2f}）；"
            f"规则置信下限>1：{_verdict(flags[1])}",
            f"IC={self.ic[k]:.2f}（IC025={self.ic025[k]:.2f}）；规则IC025>0：{_verdict(flags[2])}",
            f"EBGM={self.ebgm[k]:.2f}（EB05={self.eb05[k]:.2f}）；规则EB05≥2：{_verdict(flags[3])}",
        ]
        if status is PairStatus.INSUFFICIENT:
            reasons.insert(0, f"报告数N={a}，少于{self.min_reports}份：数据不足，不判定信号")
        return PairDisproportionality(
            product=self.products[int(self.product_index[k])],
            hazard=self.hazards[int(self.hazard_index[k])],
            a=a,
            b=int(self.b[k]),
            c=int(self.c[k]),
            d=int(self.d[k]),
            expected=float(self.expected[k]),
            prr=float(self.prr[k]),
            chi2=float(self.chi2[k]),
            ror=float(self.ror[k]),
            ror_low=float(self.ror_low[k]),
            ror_high=float(self.ror_high[k]),
            ic=float(self.ic[k]),
            ic025=float(self.ic025[k]),
            ic975=float(self.ic975[k]),
            ebgm=float(self.ebgm[k]),
            eb05=float(self.eb05[k]),
            eb95=float(self.eb95[k]),
            prr_signal=flags[0],
            ror_signal=flags[1],
            ic_signal=flags[2],
            ebgm_signal=flags[3],
            status=status,
            reasons=tuple(reasons),
        )

    def pairs(self, *, signals_only: bool = False) -> list[PairDisproportionality]:
        chosen = np.flatnonzero(self.any_signal) if signals_only else range(len(self))
        return [self.pair(int(k)) for k in chosen]

    def find(self, product: str, hazard: str) -> PairDisproportionality:
        if product not in self.products or hazard not in self.hazards:
            raise KeyError(f"列联表中没有产品“{product}”或危害“{hazard}”")
        i, j = self.products.index(product), self.hazards.index(hazard)
        hit = np.flatnonzero((self.product_index == i) & (self.hazard_index == j))
        if hit.size == 0:
            raise KeyError(f"产品“{product}”×危害“{hazard}”没有报告")
        return self.pair(int(hit[0]))


def disproportionality(
    table: ContingencyTable,
    *,
    min_reports: int = MIN_REPORTS,
    prior: GammaMixturePrior | None = None,
) -> DisproportionalityResult:
    """PRR/χ², ROR, IC and EBGM for every observed pair of ``table``, with METHODS §5 flags.

    ``prior`` fixes the gamma-Poisson prior (e.g. last month's fit); by default it is fitted
    to this table.
    """
    if not isinstance(table, ContingencyTable):
        raise InvalidContingencyTable("输入应为ContingencyTable")
    if not isinstance(min_reports, int) or min_reports < 1:
        raise InvalidContingencyTable(f"最少报告数应为正整数，实际为{min_reports!r}")
    counts = table.counts
    total = int(counts.sum())
    if total <= 0:
        raise InvalidContingencyTable("列联表总数为零：没有任何报告")
    rows = counts.sum(axis=1)
    cols = counts.sum(axis=0)
    if (rows > 0).sum() < 2 or (cols > 0).sum() < 2:
        raise InvalidContingencyTable("至少需要两个有报告的产品和两类有报告的危害才能比较")

    pi, hj = np.nonzero(counts)
    a = counts[pi, hj].astype(np.float64)
    row = rows[pi].astype(np.float64)
    col = cols[hj].astype(np.float64)
    n = float(total)
    b, c = row - a, col - a
    d = n - row - col + a
    expected = row * col / n

    chi2 = _chi2_yates(a, b, c, d)
    ah, bh, ch, dh = _haldane(a, b, c, d)
    prr = (ah / (ah + bh)) / (ch / (ch + dh))
    log_ror = np.log(ah) + np.log(dh) - np.log(bh) - np.log(ch)
    se = np.sqrt(1 / ah + 1 / bh + 1 / ch + 1 / dh)
    ror = np.exp(log_ror)
    ror_low, ror_high = np.exp(log_ror - Z_975 * se), np.exp(log_ror + Z_975 * se)

    ln2 = math.log(2.0)
    ic = np.log2((a + 0.5) / (expected + 0.5))
    ic025 = np.log(gammaincinv(a + 0.5, 0.025) / (expected + 0.5)) / ln2
    ic975 = np.log(gammaincinv(a + 0.5, 0.975) / (expected + 0.5)) / ln2

    fit = None
    if prior is None:
        all_expected = np.outer(rows, cols).astype(np.float64) / n
        fit = fit_gamma_poisson_prior(counts.astype(np.float64), all_expected)
        prior = fit.prior
    ebgm, eb05, eb95 = gamma_poisson_posterior(prior, a, expected)

    sufficient = a >= min_reports
    as_int = np.int64
    return DisproportionalityResult(
        products=table.products,
        hazards=table.hazards,
        product_index=pi.astype(as_int),
        hazard_index=hj.astype(as_int),
        a=a.astype(as_int),
        b=b.astype(as_int),
        c=c.astype(as_int),
        d=d.astype(as_int),
        expected=expected,
        prr=prr,
        chi2=chi2,
        ror=ror,
        ror_low=ror_low,
        ror_high=ror_high,
        ic=ic,
        ic025=ic025,
        ic975=ic975,
        ebgm=ebgm,
        eb05=eb05,
        eb95=eb95,
        sufficient=sufficient,
        prr_signal=sufficient & (prr >= PRR_MIN) & (chi2 >= CHI2_MIN),
        ror_signal=sufficient & (ror_low > 1.0),
        ic_signal=sufficient & (ic025 > 0.0),
        ebgm_signal=sufficient & (eb05 >= EB05_MIN),
        prior_fit=fit,
        prior=prior,
        min_reports=min_reports,
        total=total,
    )
