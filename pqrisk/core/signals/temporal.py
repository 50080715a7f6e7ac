"""Temporal aberration detection over many count series at once (时间序列异常检测).

Every detector takes a 2-D array ``counts`` (series × periods, non-negative, equally spaced
periods) and returns a :class:`Detection` with, per series × evaluated period, the statistic,
the threshold it is compared with, the expected count, the alarm flag and a status
(alarm / no alarm / insufficient baseline). Defaults follow ../shared/METHODS.md §5.

Methods
-------
- EARS C1, C2, C3 (Hutwagner et al. 2003; Fricker et al. 2008) with negative-binomial
  thresholds fitted by the method of moments to the 7-period baseline instead of the normal
  approximation (METHODS §5: the normal approximation gives ~2.4 % false alarms at
  alpha = 0.001).
- Farrington flexible and its Noufaily improvement, as ``surveillance::farringtonFlexible``
  (Farrington et al. 1996; Noufaily et al. 2013, Stat Med 32:1206; Salmon et al. 2016,
  JSS 70(10)). The quasi-Poisson GLMs of all (series, period) pairs share one design matrix
  once time is centred on the period being judged, so they are fitted together by a batch
  Newton/IRLS solver that exploits the block structure of the design (one intercept per
  seasonal block plus one trend column): no per-series Python loop.
- CUSUM on counts standardised by a trailing baseline (Fricker et al. 2008's adaptive CUSUM),
  k = 1.04, h = 2.26, reset after an alarm.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import special

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

NO_ALARM = 0
ALARM = 1
INSUFFICIENT_BASELINE = 2
STATUS_CODES = {
    NO_ALARM: "no_alarm",
    ALARM: "alarm",
    INSUFFICIENT_BASELINE: "insufficient_baseline",
}
STATUS_LABELS_ZH = {NO_ALARM: "无报警", ALARM: "报警", INSUFFICIENT_BASELINE: "基线不足"}

# METHODS §5 defaults, with their sources.
EARS_BASELINE = 7  # CDC EARS: 7-period baseline
EARS_LAG = 2  # C2/C3: 2-period guard band between baseline and the period judged
EARS_ALPHA = 0.001  # METHODS §5 compares NB and normal thresholds at alpha = 0.001
# A baseline of seven zeros does not mean the next count must be zero: the expected count is
# floored at half a case over the baseline (a continuity correction), otherwise a single case
# after seven empty periods would always alarm.
EARS_MIN_MEAN = 0.5 / EARS_BASELINE
CUSUM_K = 1.04  # METHODS §5 (standardised units)
CUSUM_H = 2.26  # METHODS §5
FARRINGTON_B = 5  # years back (Noufaily et al. 2013; farringtonFlexible default)
FARRINGTON_W = 3  # half window, periods
FARRINGTON_ALPHA = 0.05  # farringtonFlexible default, one-sided
FARRINGTON_WEIGHTS_THRESHOLD = 2.58  # farringtonFlexible default (Farrington 1996 used 1)
FARRINGTON_TREND_P = 0.05
FARRINGTON_LIMIT54 = (5, 4)  # no alarm with fewer than 5 cases in the last 4 periods


class SeriesInputError(ValueError):
    """Counts or dates that no method can use; the message is for a person (Chinese)."""


@dataclass(frozen=True)
class Detection:
    """One method's verdicts: arrays of shape (series, evaluated periods).

    ``first`` is the index of the first evaluated period in the input. ``statistic`` and
    ``threshold`` are on the method's own scale (counts for C1, C2 and Farrington, a sum of
    exceedances for C3, the CUSUM sum for CUSUM); the alarm is ``statistic > threshold``
    (Farrington also needs ``FARRINGTON_LIMIT54``). Where the status is insufficient
    baseline they are NaN and there is no alarm.
    """

    method: str
    first: int
    statistic: FloatArray
    threshold: FloatArray
    expected: FloatArray
    alarm: BoolArray
    status: NDArray[np.int8]


def _status(alarm: BoolArray, ok: BoolArray) -> NDArray[np.int8]:
    status = np.full(alarm.shape, INSUFFICIENT_BASELINE, dtype=np.int8)
    status[ok] = NO_ALARM
    status[ok & alarm] = ALARM
    return status


def validate_counts(counts: Any, names: list[str] | None = None) -> FloatArray:
    """Counts as a float array (series × periods), or a SeriesInputError naming the series."""
    try:
        arr = np.asarray(counts, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise SeriesInputError(f"计数不是数值：{exc}") from exc
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2:
        raise SeriesInputError("计数须为二维数组（序列 × 时期）")
    if arr.shape[1] == 0:
        raise SeriesInputError("没有任何时期的计数")

    def name(i: int) -> str:
        return names[i] if names is not None and i < len(names) else f"第 {i + 1} 个"

    bad = ~np.isfinite(arr)
    if bad.any():
        i, t = np.argwhere(bad)[0]
        raise SeriesInputError(
            f"序列 {name(int(i))} 第 {int(t) + 1} 个时期的计数缺失或不是有限数值"
        )
    neg = arr < 0
    if neg.any():
        i, t = np.argwhere(neg)[0]
        raise SeriesInputError(
            f"序列 {name(int(i))} 第 {int(t) + 1} 个时期的计数为负数（{arr[i, t]:g}）"
        )
    return arr


def periods_per_year(dates: Any) -> int:
    """52 for weekly and 365 for daily dates; other spacings are refused."""
    d = np.asarray(dates, dtype="datetime64[D]")
    if d.size < 2:
        return 52
    step = np.diff(d).astype(np.int64)
    if (step <= 0).any():
        i = int(np.argmax(step <= 0))
        raise SeriesInputError(f"日期未按时间先后排列或有重复：{d[i]} 之后是 {d[i + 1]}")
    if (step != step[0]).any():
        i = int(np.argmax(step != step[0]))
        raise SeriesInputError(f"日期间隔不一致：{d[i]} 到 {d[i + 1]} 与前面的间隔不同")
    if step[0] == 7:
        return 52
    if step[0] == 1:
        return 365
    raise SeriesInputError(f"只支持按日或按周的序列，日期间隔为 {int(step[0])} 天")


# --------------------------------------------------------------------------------------------
# Count-distribution helpers
# --------------------------------------------------------------------------------------------


def _nb_params(mean: FloatArray, var: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Method-of-moments NB (size, success probability); size = inf marks Poisson rows."""
    over = var > mean
    with np.errstate(divide="ignore", invalid="ignore"):
        size = np.where(over, mean * mean / (var - mean), np.inf)
        prob = np.where(over, mean / var, 1.0)
    return size, prob


def _cdf(k: FloatArray, mean: FloatArray, size: FloatArray, prob: FloatArray) -> FloatArray:
    """P(Y <= k) for NB(size, prob), or Poisson(mean) where size is infinite."""
    k = np.floor(k)
    out = np.zeros(k.shape)
    pos = k >= 0
    pois = pos & ~np.isfinite(size)
    nb = pos & np.isfinite(size)
    out[pois] = special.pdtr(k[pois], mean[pois])
    out[nb] = special.betainc(size[nb], k[nb] + 1.0, prob[nb])
    return out


def count_quantile(q: float, mean: FloatArray, size: FloatArray, prob: FloatArray) -> FloatArray:
    """Smallest integer k with P(Y <= k) >= q, vectorised (NB, or Poisson where size = inf).

    A normal guess is corrected by stepping with exact CDF evaluations (betainc / pdtr), which
    is several times faster than ``scipy.stats.nbinom.ppf`` and gives the same integers.
    """
    mean = np.asarray(mean, dtype=np.float64)
    shape = mean.shape
    mean = mean.ravel()
    size = np.broadcast_to(size, shape).ravel()
    prob = np.broadcast_to(prob, shape).ravel()
    out = np.zeros(mean.shape)
    live = mean > 0
    m, s, p = mean[live], size[live], prob[live]
    var = np.where(np.isfinite(s), m / p, m)
    z = float(special.ndtri(q))
    k = np.maximum(np.floor(m + z * np.sqrt(var)), 0.0)
    idx = np.arange(k.size)
    # Step up while P(Y <= k) < q.
    todo = idx
    while todo.size:
        low = _cdf(k[todo], m[todo], s[todo], p[todo]) < q
        todo = todo[low]
        k[todo] += 1.0
    # Step down while P(Y <= k - 1) >= q.
    todo = idx[k > 0]
    while todo.size:
        high = _cdf(k[todo] - 1.0, m[todo], s[todo], p[todo]) >= q
        todo = todo[high]
        k[todo] -= 1.0
        todo = todo[k[todo] > 0]
    out[live] = k
    return out.reshape(shape)


def _nb_quantiles(q: float, mean: FloatArray, size: FloatArray, prob: FloatArray) -> FloatArray:
    """``count_quantile`` by summing the probability function (compiled); the rows where that
    could underflow or run long still go through ``count_quantile``."""
    from . import _farrington_jit as jit

    mean = np.ascontiguousarray(mean, dtype=np.float64)
    out = np.empty_like(mean)
    jit.nb_quantiles(q, mean, np.ascontiguousarray(size), np.ascontiguousarray(prob), out)
    hard = np.isnan(out)
    if hard.any():
        out[hard] = count_quantile(q, mean[hard], size[hard], prob[hard])
    return out


def _unique_quantile(q: float, mean: FloatArray, var: FloatArray) -> FloatArray:
    """count_quantile of the method-of-moments NB, computed once per distinct (mean, var)."""
    key = mean.ravel() + 1j * var.ravel()
    uniq, inverse = np.unique(key, return_inverse=True)
    size, prob = _nb_params(uniq.real.copy(), uniq.imag.copy())
    return count_quantile(q, uniq.real.copy(), size, prob)[inverse].reshape(mean.shape)


# --------------------------------------------------------------------------------------------
# EARS
# --------------------------------------------------------------------------------------------


def _rolling_mean_var(counts: FloatArray, n: int, lag: int) -> tuple[FloatArray, FloatArray]:
    """Mean and sample variance of counts[t-lag-n : t-lag] for every t (NaN where short).

    Whole-number counts are summed in int64, so the variance is exact (0 for a constant
    baseline) and equal baselines give bit-identical (mean, variance) pairs.
    """
    s, t = counts.shape
    exact = bool(np.all(counts == np.floor(counts))) and (counts.max(initial=0) < 2**24)
    dtype = np.int64 if exact else np.float64
    y = counts.astype(dtype)
    c1 = np.zeros((s, t + 1), dtype=dtype)
    c2 = np.zeros((s, t + 1), dtype=dtype)
    np.cumsum(y, axis=1, out=c1[:, 1:])
    np.cumsum(y * y, axis=1, out=c2[:, 1:])
    mean = np.full((s, t), np.nan)
    var = np.full((s, t), np.nan)
    start = n + lag
    if t > start:
        hi = np.arange(start, t) - lag  # exclusive end of the baseline
        s1 = c1[:, hi] - c1[:, hi - n]
        s2 = c2[:, hi] - c2[:, hi - n]
        mean[:, start:] = s1 / n
        var[:, start:] = np.maximum((n * s2 - s1 * s1) / (n * (n - 1)), 0.0)
    return mean, var


def _ears_baseline(counts: FloatArray, lag: int, baseline: int) -> tuple[FloatArray, FloatArray]:
    mean, var = _rolling_mean_var(counts, baseline, lag)
    return np.maximum(mean, 0.5 / baseline), var


def ears(
    counts: Any,
    variant: str = "C1",
    *,
    alpha: float = EARS_ALPHA,
    baseline: int = EARS_BASELINE,
    first: int = 0,
) -> Detection:
    """EARS C1 (lag 0), C2 (lag 2) or C3 with negative-binomial thresholds.

    C1/C2: the count is compared with the (1 - alpha) quantile of the method-of-moments NB
    (Poisson when the baseline is not over-dispersed) of the 7-period baseline.
    C3: CDC's sum of the last three C2 exceedances, sum max(0, z - 1), where each z is the
    NB-calibrated C2 statistic z = Φ⁻¹(F(y - 1)) (so z ≥ Φ⁻¹(1 - alpha) is exactly the C2 NB
    alarm); the threshold is the (1 - alpha) quantile of that sum for three independent
    standard normal z, computed numerically.
    """
    y = validate_counts(counts)
    variant = variant.upper()
    if variant not in {"C1", "C2", "C3"}:
        raise SeriesInputError(f"未知的 EARS 方法：{variant}（可选 C1、C2、C3）")
    return _by_series_chunks(
        y, first, lambda part: _ears_block(part, variant, alpha, baseline, first)
    )


def _by_series_chunks(
    y: FloatArray, first: int, run: Callable[[FloatArray], Detection], chunk: int = 8192
) -> Detection:
    """Run a per-series method over blocks of series, so temporaries stay small."""
    if y.shape[0] <= chunk:
        return run(y)
    parts = [run(y[i : i + chunk]) for i in range(0, y.shape[0], chunk)]
    return Detection(
        parts[0].method,
        parts[0].first,
        np.concatenate([p.statistic for p in parts]),
        np.concatenate([p.threshold for p in parts]),
        np.concatenate([p.expected for p in parts]),
        np.concatenate([p.alarm for p in parts]),
        np.concatenate([p.status for p in parts]),
    )


def _ears_block(y: FloatArray, variant: str, alpha: float, baseline: int, first: int) -> Detection:
    lag = 0 if variant == "C1" else EARS_LAG
    s, t = y.shape
    first = min(max(first, 0), t)
    need = baseline + lag + (2 if variant == "C3" else 0)
    if variant != "C3":
        lo = max(first, baseline + lag)
        mean, var = _ears_baseline(y[:, :t], lag, baseline)
        expected = mean[:, first:]
        threshold = np.full((s, t - first), np.nan)
        if lo < t:
            threshold[:, lo - first :] = _unique_quantile(1.0 - alpha, mean[:, lo:], var[:, lo:])
        statistic = y[:, first:].copy()
        ok = np.zeros((s, t - first), dtype=bool)
        ok[:, max(lo - first, 0) :] = True
        statistic[~ok] = np.nan
        alarm = ok & (statistic > threshold)
        return Detection(variant, first, statistic, threshold, expected, alarm, _status(alarm, ok))

    # C3
    lo2 = baseline + lag
    mean, var = _ears_baseline(y, lag, baseline)
    z = np.full((s, t), np.nan)
    if lo2 < t:
        m, v, obs = mean[:, lo2:], var[:, lo2:], y[:, lo2:]
        size, prob = _nb_params(m, v)
        cdf = _cdf(obs - 1.0, m, size, prob)
        # Clip so that a count far in the tail gives a large finite z, not inf.
        z[:, lo2:] = special.ndtri(np.clip(cdf, 1e-300, 1.0 - 1e-16))
    excess = np.maximum(z - 1.0, 0.0)
    c3 = np.full((s, t), np.nan)
    if need < t:
        c3[:, need:] = excess[:, need:] + excess[:, need - 1 : t - 1] + excess[:, need - 2 : t - 2]
    statistic = c3[:, first:]
    ok = np.isfinite(statistic)
    threshold = np.where(ok, c3_threshold(alpha), np.nan)
    alarm = ok & (statistic > threshold)
    return Detection("C3", first, statistic, threshold, mean[:, first:], alarm, _status(alarm, ok))


@lru_cache(maxsize=16)
def c3_threshold(alpha: float) -> float:
    """(1 - alpha) quantile of sum_{j=1..3} max(0, Z_j - 1), Z_j iid N(0, 1).

    max(0, Z - 1) has an atom Φ(1) at 0 and density φ(x + 1) for x > 0; the sum's distribution
    is the threefold convolution, done on a fine grid (step 1e-4) with the FFT.
    """
    step = 1e-4
    grid = np.arange(0.0, 12.0, step)
    # Probability mass of each grid cell [x, x + step) for x > 0, plus the atom at 0.
    cell = np.diff(special.ndtr(np.append(grid, grid[-1] + step) + 1.0))
    cell[0] += special.ndtr(1.0)
    n = 4 * grid.size
    f = np.fft.rfft(cell, n)
    pmf = np.fft.irfft(f * f * f, n)[: 3 * grid.size]
    tail = 1.0 - np.cumsum(np.clip(pmf, 0.0, None))
    idx = int(np.argmax(tail <= alpha))
    return float((idx + 1) * step)


# --------------------------------------------------------------------------------------------
# CUSUM
# --------------------------------------------------------------------------------------------


def cusum(
    counts: Any,
    *,
    k: float = CUSUM_K,
    h: float = CUSUM_H,
    baseline: int = EARS_BASELINE,
    lag: int = EARS_LAG,
    first: int = 0,
) -> Detection:
    """Upper CUSUM of standardised counts, reset to 0 after each alarm.

    z_t = (y_t - m_t) / s_t where m_t and s_t are the mean and standard deviation of the
    trailing baseline t-lag-baseline .. t-lag-1 (7 periods with a 2-period guard band, the
    C2 baseline, as in Fricker et al. 2008's adaptive CUSUM); s_t is at least the Poisson
    standard deviation sqrt(max(m_t, EARS_MIN_MEAN)) so empty baselines do not divide by 0.
    S_t = max(0, S_{t-1} + z_t - k); alarm when S_t > h.
    """
    y = validate_counts(counts)
    return _by_series_chunks(y, first, lambda part: _cusum_block(part, k, h, baseline, lag, first))


def _cusum_block(
    y: FloatArray, k: float, h: float, baseline: int, lag: int, first: int
) -> Detection:
    s, t = y.shape
    first = min(max(first, 0), t)
    mean, var = _rolling_mean_var(y, baseline, lag)
    m = np.maximum(mean, 0.5 / baseline)
    sd = np.sqrt(np.maximum(var, m))
    z = (y - mean) / sd
    start = baseline + lag
    stat = np.full((s, t), np.nan)
    alarm = np.zeros((s, t), dtype=bool)
    acc = np.zeros(s)
    for i in range(start, t):
        acc = np.maximum(acc + z[:, i] - k, 0.0)
        stat[:, i] = acc
        hit = acc > h
        alarm[:, i] = hit
        acc[hit] = 0.0
    statistic = stat[:, first:]
    ok = np.isfinite(statistic)
    threshold = np.where(ok, h, np.nan)
    al = alarm[:, first:] & ok
    return Detection("cusum", first, statistic, threshold, mean[:, first:], al, _status(al, ok))


# --------------------------------------------------------------------------------------------
# Farrington flexible / Noufaily
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FarringtonDesign:
    """The baseline of period t0 as offsets from t0, with each offset's seasonal block.

    Block 0 is the window of 2w+1 periods around t0 in past years (the period judged falls in
    it); blocks 1..noPeriods-1 split the rest of each year as ``surveillance::blocks`` does.
    """

    offsets: NDArray[np.int64]
    block: NDArray[np.int64]
    n_blocks: int
    history: int  # periods needed before t0


def farrington_design(
    ppy: int, b: int, w: int, no_periods: int, past_not_included: int
) -> FarringtonDesign:
    span = b * ppy + w
    # Factor of every offset -span..0 (index 0 = offset -span); -1 = not in the baseline.
    fac = np.full(span + 1, -1, dtype=np.int64)

    def at(offset: int) -> int:
        return offset + span

    refs = [-ppy * y for y in range(b + 1)]  # refs[0] = t0
    for y in range(1, b + 1):
        ref = refs[y]
        fac[at(ref - w) : at(ref + w) + 1] = 0
        if no_periods > 1:
            gap = refs[y - 1] - 2 * w - 1 - ref
            if gap < no_periods - 1:
                raise SeriesInputError("季节分段数过多：每段至少需要一个时期")
            lengths = np.full(no_periods - 1, gap // (no_periods - 1))
            lengths[: gap % (no_periods - 1)] += 1
            pos = ref + w + 1
            for j, length in enumerate(lengths, start=1):
                fac[at(pos) : at(pos + int(length))] = j
                pos += int(length)
    fac[at(-past_not_included) :] = -1
    keep = np.flatnonzero(fac >= 0)
    offsets = keep - span
    return FarringtonDesign(offsets.astype(np.int64), fac[keep], max(no_periods, 1), span)


@dataclass
class _Fit:
    alpha: FloatArray  # (R, K) block intercepts, _EMPTY for all-zero blocks
    beta: FloatArray  # (R,) trend per year (0 without trend)
    mu: FloatArray  # (R, n)
    a: FloatArray  # (R, K) sum of working weights per block
    bsum: FloatArray  # (R, K) sum of working weight × time per block
    d: FloatArray  # (R,) Schur complement of the trend (inf without trend)
    dispersion: FloatArray  # (R,) Pearson X² / df, not floored
    converged: BoolArray | None = None  # (R,) Newton's last step within tolerance (trend)


# Intercept of a block whose counts are all zero: the MLE is -inf; a finite stand-in keeps
# matrix products free of inf * 0 while exp() still gives exactly 0.
_EMPTY = -1e4


class _BlockTrendGLM:
    """Poisson log-link GLMs y ~ block + time for many rows sharing one design.

    The design has one indicator per block and one centred time column, so X'WX is an
    "arrow" matrix (diagonal plus one row and column): Newton steps solve it in O(K) per row
    via the Schur complement of the time column, and the sums it needs are matrix products
    of the (rows × n) working weights with fixed (n × K) matrices.
    """

    def __init__(self, block: NDArray[np.int64], n_blocks: int, time: FloatArray) -> None:
        self.block = block
        self.k = n_blocks
        self.t = time
        g = np.zeros((block.size, n_blocks))
        g[np.arange(block.size), block] = 1.0
        self.g = g
        self.h = np.hstack([g, g * time[:, None], (time * time)[:, None]])
        self.gt = np.hstack([g, time[:, None]])
        self.xt = np.ascontiguousarray(self.gt.T)  # (K+1, n): eta = [alpha, beta] @ xt

    def fit(
        self,
        y: FloatArray,
        weights: FloatArray | None,
        trend: bool,
        start: tuple[FloatArray, FloatArray] | None = None,
        max_iter: int = 100,
        tol: float = 1e-5,
    ) -> _Fit:
        k = self.k
        wy = y if weights is None else weights * y
        sums = wy @ self.gt  # (R, K+1): per-block sum of w y, then sum of w y t
        sy = sums[:, :k]
        zero = sy <= 0.0
        if weights is None:
            wsum = np.broadcast_to(self.g.sum(axis=0), sy.shape)
        else:
            wsum = weights @ self.g
        with np.errstate(divide="ignore"):
            alpha = np.where(zero, _EMPTY, np.log(np.where(zero, 1.0, sy) / wsum))
        beta = np.zeros(y.shape[0])
        empty: BoolArray = np.asarray(zero.all(axis=1), dtype=bool)
        if trend:
            if start is not None:
                alpha = np.where(zero, _EMPTY, np.where(np.isfinite(start[0]), start[0], alpha))
                beta = np.where(np.isfinite(start[1]), start[1], 0.0)
            params = np.hstack([alpha, beta[:, None]])
            # Converged rows keep taking (vanishing) Newton steps until every row has
            # converged: cheaper than copying the live rows out at every iteration.
            for _ in range(max_iter):
                mu = np.exp(params @ self.xt)
                om = mu if weights is None else np.multiply(weights, mu, out=mu)
                step = self._newton_step(om @ self.h, params, sy, sums[:, k], zero, empty)
                if not (step > tol).any():
                    break
            converged = step <= tol  # NaN steps are not convergence either
            alpha = np.where(zero, _EMPTY, params[:, :k])
            beta = params[:, k]
        eta = np.hstack([alpha, beta[:, None]]) @ self.xt
        mu = np.exp(eta)
        om = mu if weights is None else weights * mu
        hs = om @ self.h
        a, bs, c = hs[:, :k], hs[:, k : 2 * k], hs[:, 2 * k]
        a_safe = np.where(zero, 1.0, a)
        if trend:
            bz = np.where(zero, 0.0, bs)
            d = np.where(empty, np.inf, c - (bz * bz / a_safe).sum(axis=1))
        else:
            d = np.full(y.shape[0], np.inf)
        resid = y - mu
        resid *= resid
        if weights is not None:
            resid *= weights
        pearson = np.divide(resid, mu, out=np.zeros_like(mu), where=mu > 0)
        df = y.shape[1] - k - (1 if trend else 0)
        dispersion = pearson.sum(axis=1) / max(df, 1)
        return _Fit(alpha, beta, mu, a_safe, bs, d, dispersion, converged if trend else None)

    def _newton_step(
        self,
        hs: FloatArray,
        params: FloatArray,
        sy: FloatArray,
        sty: FloatArray,
        zero: BoolArray,
        empty: BoolArray,
    ) -> FloatArray:
        """One Newton step on params (in place) from the weighted sums hs; returns |step|."""
        k = self.k
        a, bs, c = hs[:, :k], hs[:, k : 2 * k], hs[:, 2 * k]
        a_safe = np.where(zero, 1.0, a)
        bz = np.where(zero, 0.0, bs)
        sa = np.where(zero, 0.0, sy - a)
        sb = sty - bs.sum(axis=1)
        d = c - (bz * bz / a_safe).sum(axis=1)
        # An all-zero baseline has no trend to estimate (mu = 0 everywhere).
        d = np.where(empty | (d <= 0.0), np.inf, d)
        db = (sb - (bz * sa / a_safe).sum(axis=1)) / d
        da = (sa - bz * db[:, None]) / a_safe
        # Newton steps for the Poisson log link need no damping near the optimum; a clip
        # keeps a poor start from overflowing exp().
        np.clip(db, -5.0, 5.0, out=db)
        np.clip(da, -5.0, 5.0, out=da)
        params[:, :k] += da
        params[:, k] += db
        step: FloatArray = np.maximum(np.abs(da).max(axis=1), np.abs(db))
        return step

    def hat(self, fit: _Fit, weights: FloatArray | None) -> FloatArray:
        """Diagonal of the hat matrix W^½ X (X'WX)⁻¹ X' W^½, from the arrow inverse."""
        om = fit.mu if weights is None else weights * fit.mu
        inv_a = 1.0 / fit.a
        lev = inv_a[:, self.block]
        if np.isfinite(fit.d).any():
            m = fit.bsum * inv_a
            dev = self.t[None, :] - m[:, self.block]
            with np.errstate(divide="ignore", invalid="ignore"):
                lev = lev + np.where(np.isfinite(fit.d)[:, None], dev * dev / fit.d[:, None], 0.0)
        return om * lev


def _reweight(
    y: FloatArray, y23: FloatArray, fit: _Fit, hat: FloatArray, phi: FloatArray, threshold: float
) -> FloatArray:
    """Farrington (1996) weights from scaled Anscombe residuals, normalised to sum n.

    The scaled residual is s = 3/2 (y^(2/3) - mu^(2/3)) / mu^(1/6) / sqrt(phi (1 - h));
    points with s > threshold get weight proportional to s^-2, the others a common weight.
    Above the mean the Anscombe residual never exceeds the Pearson residual (y - mu) / sqrt(mu)
    (x - 1 >= 3/2 (x^(2/3) - 1) for x = y / mu >= 1), so s is computed only where the Pearson
    residual passes the threshold; ``y23`` is y^(2/3).
    """
    mu = fit.mu
    excess = y - mu
    lim = (threshold * threshold) * phi[:, None] * (1.0 - hat)
    lim *= mu
    candidate = (excess > 0.0) & (excess * excess > lim)
    ri, ji = np.nonzero(candidate)
    m3 = np.cbrt(mu[ri, ji])
    one_minus_h = np.maximum(1.0 - hat[ri, ji], 1e-12)
    s = 1.5 * (y23[ri, ji] - m3 * m3) / np.sqrt(m3 * phi[ri] * one_minus_h)
    hit = s > threshold
    ri, ji, s = ri[hit], ji[hit], s[hit]
    weights = np.ones_like(mu)
    weights[ri, ji] = 1.0 / (s * s)
    n = mu.shape[1]
    total = n - np.bincount(ri, weights=1.0 - 1.0 / (s * s), minlength=mu.shape[0])
    weights *= (n / total)[:, None]
    return weights


def _fit_reweighted(
    glm: _BlockTrendGLM, y: FloatArray, y23: FloatArray, trend: bool, reweight_threshold: float
) -> _Fit:
    fit = glm.fit(y, None, trend)
    phi = np.maximum(fit.dispersion, 1.0)
    weights = _reweight(y, y23, fit, glm.hat(fit, None), phi, reweight_threshold)
    final = glm.fit(y, weights, trend, start=(fit.alpha, fit.beta))
    if fit.converged is not None and final.converged is not None:
        # Like R's glm, a fit whose Newton iterations did not settle (a trend running off to
        # infinity, e.g. one case at the edge of the baseline) has no trend estimate: the
        # model without trend is used instead (see ``_farrington``).
        final.beta = np.where(fit.converged & final.converged, final.beta, np.nan)
    return final


class _CompiledDesign:
    """The design laid out for the compiled kernel (``_farrington_jit``): baseline points
    ordered by seasonal block, and the block's runs of consecutive offsets."""

    def __init__(self, design: FarringtonDesign, ppy: int) -> None:
        order = np.lexsort((design.offsets, design.block))
        offsets = np.ascontiguousarray(design.offsets[order]).astype(np.int64)
        block = design.block[order]
        self.k = design.n_blocks
        self.ppy = int(ppy)
        t = offsets / ppy
        count = np.bincount(block, minlength=self.k).astype(np.float64)
        tsum = np.bincount(block, weights=t, minlength=self.k)
        brk = np.flatnonzero((np.diff(offsets) != 1) | (np.diff(block) != 0)) + 1
        run_start = np.r_[0, brk].astype(np.int64)
        run_len = (np.r_[brk, offsets.size] - run_start).astype(np.int64)
        run_blk = block[run_start].astype(np.int64)
        # Run start a = c - m ppy with 0 <= c < ppy: q^a from q^c and (q^ppy)^-m.
        starts = offsets[run_start]
        run_c = np.mod(starts, ppy).astype(np.int64)
        run_m = ((run_c - starts) // ppy).astype(np.int64)
        a = starts.astype(np.float64)
        consts = np.ascontiguousarray(np.vstack([a / ppy, a * a / ppy**2, 2.0 * a / ppy**2]))
        self.arrays = (offsets, t, count, tsum, run_start, run_len, run_blk, run_c, run_m, consts)

    def fit(
        self,
        y: FloatArray,
        s0: int,
        s1: int,
        times: NDArray[np.int64],
        trend: bool,
        threshold: float,
        t_critical: float,
    ) -> tuple[_Fit | None, _Fit, FloatArray, BoolArray]:
        """Fits with (if ``trend``) and without trend of series s0..s1-1 at ``times``, as
        ``_fit_reweighted`` would give them, each baseline's largest count and whether the
        trend model is kept (the fit without trend is then skipped: NaN)."""
        from . import _farrington_jit as jit

        out = np.empty((s1 - s0, times.size, jit.N_OUT))
        jit.farrington_fits(
            y,
            s0,
            s1,
            times.astype(np.int64),
            self.arrays,
            self.k,
            self.ppy,
            trend,
            threshold,
            t_critical,
            out,
        )
        o = out.reshape(-1, jit.N_OUT)
        fit_t = None
        if trend:
            fit_t = _Fit(o[:, 0:1], o[:, 1], _NO_MU, o[:, 4:5], o[:, 5:6], o[:, 3], o[:, 2])
        rows = o.shape[0]
        fit_0 = _Fit(
            o[:, 6:7], np.zeros(rows), _NO_MU, o[:, 8:9], _NO_MU, np.full(rows, np.inf), o[:, 7]
        )
        return fit_t, fit_0, o[:, 9], o[:, 10] > 0.0


# Fits that are not followed by hat values or re-weighting keep no per-point means.
_NO_MU: FloatArray = np.empty((0, 0))


def farrington(
    counts: Any,
    *,
    ppy: int = 52,
    variant: str = "noufaily",
    b: int = FARRINGTON_B,
    w: int = FARRINGTON_W,
    alpha: float = FARRINGTON_ALPHA,
    weights_threshold: float = FARRINGTON_WEIGHTS_THRESHOLD,
    trend: bool = True,
    p_trend: float = FARRINGTON_TREND_P,
    limit54: tuple[int, int] = FARRINGTON_LIMIT54,
    first: int = 0,
    chunk_elements: int = 60_000,
) -> Detection:
    """Farrington flexible (``variant="farrington"``) or its Noufaily improvement.

    farrington: noPeriods = 1 (only the ±w windows of the b past years),
    pastWeeksNotIncluded = w, threshold from the 2/3-power transformation.
    noufaily: noPeriods = 10 seasonal blocks over the whole b years,
    pastWeeksNotIncluded = 26, negative-binomial plug-in threshold (quantile 1 - alpha of the
    NB with mean mu0 and variance phi * mu0; Poisson when phi = 1).
    Both: quasi-Poisson GLM with trend, refitted with Farrington weights (Anscombe residuals
    above ``weights_threshold`` down-weighted); the trend is kept only if significant at
    ``p_trend``, b >= 3 and the prediction does not exceed the largest baseline count.
    """
    y = validate_counts(counts)
    return _farrington(
        y,
        ppy,
        variant,
        b,
        w,
        alpha,
        weights_threshold,
        trend,
        p_trend,
        limit54,
        first,
        chunk_elements,
        reference=False,
    )


def _farrington(
    y: FloatArray,
    ppy: int,
    variant: str,
    b: int,
    w: int,
    alpha: float,
    weights_threshold: float,
    trend: bool,
    p_trend: float,
    limit54: tuple[int, int],
    first: int,
    chunk_elements: int,
    *,
    reference: bool,
) -> Detection:
    """``farrington`` on validated counts; ``reference=True`` fits every model point by point
    (``_fit_reweighted``), the slower original the fast path is tested against."""
    if variant == "farrington":
        design = farrington_design(ppy, b, w, 1, w)
    elif variant == "noufaily":
        design = farrington_design(ppy, b, w, 10, 26)
    else:
        raise SeriesInputError(f"未知的 Farrington 方法：{variant}（可选 farrington、noufaily）")
    s, t = y.shape
    first = min(max(first, 0), t)
    n_eval = t - first
    statistic = np.full((s, n_eval), np.nan)
    threshold = np.full((s, n_eval), np.nan)
    expected = np.full((s, n_eval), np.nan)
    alarm = np.zeros((s, n_eval), dtype=bool)
    lo = max(first, design.history)
    name = variant
    if lo >= t:
        ok = np.zeros((s, n_eval), dtype=bool)
        return Detection(name, first, statistic, threshold, expected, alarm, _status(alarm, ok))

    glm = _BlockTrendGLM(design.block, design.n_blocks, design.offsets / ppy)
    compiled = None if reference else _CompiledDesign(design, ppy)
    times = np.arange(lo, t)
    window = np.cumsum(np.pad(y, ((0, 0), (1, 0))), axis=1)
    recent = window[:, limit54[1] :] - window[:, : -limit54[1]]  # sum of last limit54[1]
    # The compiled fits hold no per-point arrays, so they take chunks of many more periods.
    budget = chunk_elements if reference else 50 * chunk_elements
    t_critical = special.stdtrit(design.offsets.size - design.n_blocks - 1, 1.0 - p_trend / 2.0)
    per_chunk = max(1, budget // (design.offsets.size * times.size))
    z = float(special.ndtri(1.0 - alpha))
    for s0 in range(0, s, per_chunk):
        s1 = min(s, s0 + per_chunk)
        ps = np.repeat(np.arange(s0, s1), times.size)
        pt = np.tile(times, s1 - s0)
        fit_t: _Fit | None
        if compiled is None:
            yb = y[ps[:, None], pt[:, None] + design.offsets[None, :]]
            ymax = yb.max(axis=1)
            y23 = np.cbrt(yb * yb)
            fit_t = _fit_reweighted(glm, yb, y23, True, weights_threshold) if trend else None
            fit_0 = _fit_reweighted(glm, yb, y23, False, weights_threshold)
        else:
            fit_t, fit_0, ymax, kept = compiled.fit(
                y, s0, s1, times, trend, weights_threshold, t_critical if b >= 3 else np.inf
            )
        if fit_t is not None and compiled is not None:
            keep = kept  # the same rule, applied in the kernel
        elif fit_t is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                tstat = fit_t.beta / np.sqrt(fit_t.dispersion / fit_t.d)
            # p < p_trend (two-sided) exactly when |t| exceeds the critical value.
            significant = np.abs(np.nan_to_num(tstat)) > t_critical
            mu0_t = np.exp(fit_t.alpha[:, 0])
            # R falls back to the model without trend when the fit does not converge.
            converged = np.isfinite(fit_t.beta)
            keep = converged & (b >= 3) & significant & (mu0_t <= ymax)
        else:
            keep = np.zeros(ps.size, dtype=bool)
        eta0 = np.where(keep, fit_t.alpha[:, 0] if fit_t else 0.0, fit_0.alpha[:, 0])
        mu0 = np.exp(eta0)
        disp = np.where(keep, fit_t.dispersion if fit_t else 0.0, fit_0.dispersion)
        phi = np.maximum(disp, 1.0)
        a0 = np.where(keep, fit_t.a[:, 0] if fit_t else 1.0, fit_0.a[:, 0])
        var_eta = disp / a0
        if fit_t is not None:
            m0 = fit_t.bsum[:, 0] / fit_t.a[:, 0]
            with np.errstate(divide="ignore", invalid="ignore"):
                var_eta = np.where(keep, disp * (1.0 / fit_t.a[:, 0] + m0 * m0 / fit_t.d), var_eta)
        if variant == "farrington":
            tau = phi + mu0 * var_eta
            se = np.sqrt(4.0 / 9.0 * np.cbrt(mu0) * tau)
            upper = np.power(np.cbrt(mu0 * mu0) + z * se, 1.5)
        else:
            nb = phi > 1.0
            with np.errstate(divide="ignore", invalid="ignore"):
                size = np.where(nb, mu0 / (phi - 1.0), np.inf)
            prob = np.where(nb, 1.0 / phi, 1.0)
            if compiled is None:
                upper = count_quantile(1.0 - alpha, mu0, size, prob)
            else:
                upper = _nb_quantiles(1.0 - alpha, mu0, size, prob)
        obs = y[ps, pt]
        enough = recent[ps, pt + 1 - limit54[1]] >= limit54[0]
        hit = (obs > upper) & (obs > 0) & enough
        col = pt - first
        statistic[ps, col] = obs
        threshold[ps, col] = upper
        expected[ps, col] = mu0
        alarm[ps, col] = hit
    ok = np.isfinite(statistic)
    return Detection(name, first, statistic, threshold, expected, alarm, _status(alarm, ok))


# --------------------------------------------------------------------------------------------
# Dispatch
# --------------------------------------------------------------------------------------------

METHODS: dict[str, Callable[..., Detection]] = {
    "C1": lambda counts, **kw: ears(counts, "C1", **kw),
    "C2": lambda counts, **kw: ears(counts, "C2", **kw),
    "C3": lambda counts, **kw: ears(counts, "C3", **kw),
    "farrington": lambda counts, ppy=52, **kw: farrington(
        counts, ppy=ppy, variant="farrington", **kw
    ),
    "noufaily": lambda counts, ppy=52, **kw: farrington(counts, ppy=ppy, variant="noufaily", **kw),
    "cusum": lambda counts, **kw: cusum(counts, **kw),
}
METHOD_LABELS_ZH = {
    "C1": "EARS C1",
    "C2": "EARS C2",
    "C3": "EARS C3",
    "farrington": "Farrington 灵活法",
    "noufaily": "Noufaily 改进法",
    "cusum": "CUSUM 累积和",
}


def detect(counts: Any, method: str, *, ppy: int = 52, first: int = 0) -> Detection:
    """Run one method by name (see METHODS) with its METHODS.md §5 defaults."""
    if method not in METHODS:
        raise SeriesInputError(f"未知的检测方法：{method}（可选 {'、'.join(METHODS)}）")
    if method in {"farrington", "noufaily"}:
        return METHODS[method](counts, ppy=ppy, first=first)
    return METHODS[method](counts, first=first)
