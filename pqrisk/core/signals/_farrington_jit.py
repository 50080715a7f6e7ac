"""Compiled (numba) kernel for the Farrington / Noufaily fits of every (series, period).

The models, the re-weighting and the outputs are those of the point-by-point reference
``temporal._fit_reweighted`` (quasi-Poisson GLM y ~ block + time, refitted with Farrington
weights); tests hold the results to 1e-8 of it. What differs is how the estimates are found,
one (series, period) at a time so that nothing of size (points × baseline) is materialised:

- **Profile likelihood.** For a fixed trend beta the block intercepts have a closed form,
  alpha_j = log(sum_j w y / sum_j w exp(beta t)), so the fit is a one-dimensional Newton
  iteration on beta. Its derivative is the Schur complement d of the trend column in X'WX,
  which the threshold needs anyway. The estimates are the same maximum-likelihood estimates
  the reference's joint Newton converges to.
- **Runs.** Baseline points are ordered by seasonal block; within a block they come in runs
  of consecutive offsets a, a+1, …, a+L-1. Sums of exp(beta t) (1, t, t²) over a run are
  q^a sum_{k<L} q^k (a+k)^m / ppy^m with q = exp(beta / ppy), and q^a comes from a table
  of q^c (c = a mod ppy) and q^(-ppy): one exponential per Newton step, not one per point.
- **Warm starts.** The unweighted fit of period t starts from the estimate of period t-1
  of the same series (the baselines overlap almost entirely); the weighted refit starts from
  the unweighted fit, as in the reference.
- **Screening by run.** A point is down-weighted only if its count is well above its fitted
  mean; a run whose largest count is below a lower bound of that limit over the run cannot
  hold a candidate and is skipped.
- Dispersions use sum (y - mu)² / mu = sum y² / mu - 2 sum y + sum mu, with sum y² / mu
  again by runs.

``nb_quantiles`` gives the negative-binomial / Poisson upper quantile by summing the
probability function, for the plug-in threshold; rows it cannot do safely are left NaN
for the scipy-based ``temporal.count_quantile``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

EMPTY = -1e4  # intercept of an all-zero block (see temporal._EMPTY)
TOL = 1e-5  # Newton stops after a step no larger than this (as the reference)

OUT_COLUMNS = (
    "alpha_t0",  # trend fit: intercept of block 0 (the period judged)
    "beta_t",  # trend fit: trend per year
    "disp_t",  # trend fit: Pearson X² / df of the weighted fit (not floored)
    "d_t",  # trend fit: Schur complement of the trend column (inf: no trend estimable)
    "a_t0",  # trend fit: sum of working weights of block 0
    "bsum_t0",  # trend fit: sum of working weight × time of block 0
    "alpha_f0",  # fit without trend: intercept of block 0
    "disp_f",  # fit without trend: Pearson X² / df
    "a_f0",  # fit without trend: sum of working weights of block 0
    "ymax",  # largest baseline count
    "keep_trend",  # 1: the trend model is used (converged, significant, mu0 <= ymax)
)
N_OUT = len(OUT_COLUMNS)


@njit(cache=True, nogil=True, error_model="numpy")
def _clip5(x: float) -> float:
    # NaN passes through, as with np.clip.
    if x > 5.0:
        return 5.0
    if x < -5.0:
        return -5.0
    return x


@njit(cache=True, nogil=True, error_model="numpy")
def _powers(beta, ppy, run_c, run_m, qp, qm, er):
    """qp[i] = q^i (i < ppy + longest run) and er[r] = q^a_r for every run start
    a_r = c_r - m_r ppy (0 <= c_r < ppy), q = exp(beta / ppy): products of at most ~70
    factors, relative rounding below 1e-14."""
    q = math.exp(beta / ppy)
    q2 = q * q
    qp[0] = 1.0
    qp[1] = q
    qp[2] = q2
    qp[3] = q2 * q
    q4 = q2 * q2
    for i in range(4, qp.size):  # four independent chains
        qp[i] = qp[i - 4] * q4
    back = 1.0 / qp[ppy]
    qm[0] = 1.0
    for i in range(1, qm.size):
        qm[i] = qm[i - 1] * back
    for r in range(run_c.size):
        er[r] = qp[run_c[r]] * qm[run_m[r]]


@njit(cache=True, nogil=True, error_model="numpy")
def _exp_sums(beta, k, ppy, runs, lmax, work, sums):
    """sums[0|1|2, j] = sum over block j of exp(beta t) (1, t, t²); leaves qp, er at beta."""
    run_len, run_blk, run_c, run_m, ra1, ra2, rb = runs
    pw, qp, qm, er = work
    _powers(beta, ppy, run_c, run_m, qp, qm, er)
    s0 = 0.0
    s1 = 0.0
    s2 = 0.0
    for kk in range(lmax):
        e = qp[kk]
        s0 += e
        s1 += e * kk
        s2 += e * kk * kk
        pw[0, kk + 1] = s0
        pw[1, kk + 1] = s1
        pw[2, kk + 1] = s2
    for j in range(k):
        sums[0, j] = 0.0
        sums[1, j] = 0.0
        sums[2, j] = 0.0
    inv_p = 1.0 / ppy
    inv_p2 = inv_p * inv_p
    # Runs are ordered by block: accumulate a block in registers, store it once.
    j = run_blk[0]
    a0 = 0.0
    a1 = 0.0
    a2 = 0.0
    for r in range(run_len.size):
        if run_blk[r] != j:
            sums[0, j] = a0
            sums[1, j] = a1
            sums[2, j] = a2
            j = run_blk[r]
            a0 = 0.0
            a1 = 0.0
            a2 = 0.0
        n_run = run_len[r]
        big = er[r]
        g0 = big * pw[0, n_run]
        g1 = big * pw[1, n_run]
        g2 = big * pw[2, n_run]
        # t = (a + kk) / ppy: ra1 = a / ppy, ra2 = a² / ppy², rb = 2a / ppy².
        a0 += g0
        a1 += g0 * ra1[r] + g1 * inv_p
        a2 += g0 * ra2[r] + g1 * rb[r] + g2 * inv_p2
    sums[0, j] = a0
    sums[1, j] = a1
    sums[2, j] = a2


@njit(cache=True, nogil=True, error_model="numpy")
def _weighted_sums(beta, k, ppy, runs, lmax, work, sums, outl, n_out, reuse):
    """_exp_sums minus the down-weighted share loss × exp(beta t) at the outliers. With
    ``reuse``, ``sums`` and the powers already hold _exp_sums at this beta (the sums do not
    depend on the counts)."""
    if not reuse:
        _exp_sums(beta, k, ppy, runs, lmax, work, sums)
    o_run, o_kk, o_t, o_loss, o_blk = outl
    qp = work[1]
    er = work[3]
    for m in range(n_out):
        e = o_loss[m] * er[o_run[m]] * qp[o_kk[m]]
        t = o_t[m]
        j = o_blk[m]
        sums[0, j] -= e
        sums[1, j] -= e * t
        sums[2, j] -= e * t * t


@njit(cache=True, nogil=True, error_model="numpy")
def _profile_fit(beta, sy, sty, zero, empty, k, ppy, runs, lmax, work, sums, outl, n_out, reuse):
    """Newton on the profile likelihood of beta from ``beta``; returns (beta, d, converged)
    with ``sums`` evaluated at the returned beta. An all-zero baseline keeps its start.
    Converged: the last step was within TOL (at most 100 steps, as the reference).
    ``reuse``: ``sums`` and the powers already hold the unweighted sums at the start."""
    if empty:
        _weighted_sums(beta, k, ppy, runs, lmax, work, sums, outl, n_out, reuse)
        return beta, np.inf, True
    last = np.inf
    d = np.inf
    for _ in range(101):
        _weighted_sums(beta, k, ppy, runs, lmax, work, sums, outl, n_out, reuse)
        reuse = False
        g = sty
        d = 0.0
        for j in range(k):
            if not zero[j]:
                m1 = sums[1, j] / sums[0, j]
                g -= sy[j] * m1
                d += sy[j] * (sums[2, j] / sums[0, j] - m1 * m1)
        if not last > TOL:
            break
        if not d > 0.0:
            d = np.inf
            break
        step = _clip5(g / d)
        last = abs(step)
        beta += step
    return beta, d, last <= TOL


@njit(cache=True, nogil=True, error_model="numpy")
def _anscombe(y, m3, hat, phi, threshold, y23):
    """Down-weighting loss 1 - s^-2 when the scaled Anscombe residual s > threshold, else 0;
    m3 = mu^(1/3), ``y23`` the table of k^(2/3) for whole counts k."""
    whole = int(y)
    yy = y23[whole] if whole == y and 0 <= whole < y23.size else np.cbrt(y * y)
    omh = 1.0 - hat
    if omh < 1e-12:
        omh = 1e-12
    s = 1.5 * (yy - m3 * m3) / math.sqrt(m3 * phi * omh)
    if s > threshold:
        return 1.0 - 1.0 / (s * s)
    return 0.0


@njit(cache=True, nogil=True, error_model="numpy")
def _y2_over_mu(ea, zero, nr, run_start, run_len, run_blk, qp, er, row, base0, off):
    """sum over points of y² / (ea_j exp(beta t)), with qp, er the powers of 1/q."""
    total = 0.0
    j = run_blk[0]
    block = 0.0
    for r in range(nr):
        if run_blk[r] != j:
            if not zero[j]:  # y = 0 throughout an all-zero block
                total += block / ea[j]
            j = run_blk[r]
            block = 0.0
        base = base0 + off[run_start[r]]
        acc = 0.0
        for kk in range(run_len[r]):
            v = row[base + kk]
            acc += v * v * qp[kk]
        block += er[r] * acc
    if not zero[j]:
        total += block / ea[j]
    return total


@njit(cache=True, nogil=True, error_model="numpy")
def farrington_fits(
    y,
    s0,
    s1,
    times,
    design,
    k,
    ppy,
    trend,
    threshold,
    t_critical,
    out,
):
    """Fit series s0..s1-1 of y at every period in ``times``; results into out[s - s0, ti].

    The trend model is kept when its trend is significant (|t| > ``t_critical``; inf when
    b < 3) and its prediction does not exceed the largest baseline count; then the model
    without trend is not needed and not fitted (its columns are NaN).

    ``design`` = (offsets, tv, count, tsum, run_start, run_len, run_blk, run_c, run_m,
    run_consts): points in block order, their times in years, per-block point counts and
    time sums, the runs and their constants (see ``temporal._CompiledDesign``).
    """
    off, tv, count, tsum, run_start, run_len, run_blk, run_c, run_m, run_consts = design
    n = off.size
    nr = run_len.size
    lmax = 0
    for r in range(nr):
        if run_len[r] > lmax:
            lmax = run_len[r]
    rmax = np.empty(nr)
    o_run = np.empty(n, dtype=np.int64)
    o_kk = np.empty(n, dtype=np.int64)
    o_t = np.empty(n)
    o_loss = np.empty(n)
    o_blk = np.empty(n, dtype=np.int64)
    o_y = np.empty(n)
    outl = (o_run, o_kk, o_t, o_loss, o_blk)
    sy = np.empty(k)
    wsy = np.empty(k)
    wsum = np.empty(k)
    wts = np.empty(k)
    y2s = np.empty(k)
    zero = np.empty(k, dtype=np.bool_)
    mub = np.empty(k)
    inv_a = np.empty(k)
    mt = np.empty(k)
    bound = np.empty(k)
    hatb = np.empty(k)
    m3b = np.empty(k)
    y23 = np.cbrt(np.arange(1024.0) ** 2)  # k^(2/3), as np.cbrt(k * k)
    sums = np.empty((3, k))
    sums_prev = np.empty((3, k))
    pw = np.zeros((3, lmax + 1))
    qp = np.empty(ppy + lmax)
    qm = np.empty(run_m.max() + 1)
    er = np.empty(nr)
    runs = (run_len, run_blk, run_c, run_m, run_consts[0], run_consts[1], run_consts[2])
    work = (pw, qp, qm, er)
    df_t = max(n - k - 1, 1)
    df_f = max(n - k, 1)
    thr2 = threshold * threshold
    for s in range(s0, s1):
        row = y[s]
        beta_prev = 0.0
        have_prev = False
        for ti in range(times.size):
            t0 = times[ti]
            o = out[s - s0, ti]
            # Gather the baseline: per-block sums, per-run maxima.
            sty = 0.0
            ymax = -np.inf
            for j in range(k):
                sy[j] = 0.0
                y2s[j] = 0.0
            for r in range(nr):
                i0 = run_start[r]
                j = run_blk[r]
                base = t0 + off[i0]
                m = -np.inf
                a_sum = 0.0
                b_sum = 0.0
                c_sum = 0.0
                for kk in range(run_len[r]):
                    v = row[base + kk]
                    a_sum += v
                    b_sum += v * tv[i0 + kk]
                    c_sum += v * v
                    if v > m:
                        m = v
                rmax[r] = m
                sy[j] += a_sum
                sty += b_sum
                y2s[j] += c_sum
                if m > ymax:
                    ymax = m
            o[9] = ymax
            empty = True
            for j in range(k):
                zero[j] = sy[j] <= 0.0
                if not zero[j]:
                    empty = False

            # ---- with trend --------------------------------------------------------------
            ok = False
            beta = 0.0
            d = np.inf
            if trend:
                # Warm start from the previous period; the sums at that beta were kept.
                reuse = have_prev
                if reuse:
                    sums[:, :] = sums_prev
                beta, d, ok = _profile_fit(
                    beta_prev, sy, sty, zero, empty, k, ppy, runs, lmax, work, sums, outl, 0, reuse
                )
                if not ok and beta_prev != 0.0:  # the reference starts from 0
                    beta, d, ok = _profile_fit(
                        0.0, sy, sty, zero, empty, k, ppy, runs, lmax, work, sums, outl, 0, False
                    )
                if not ok:
                    # No trend estimate (see temporal._fit_reweighted): the model without
                    # trend is used for this period.
                    beta_prev = 0.0
                    have_prev = False
                    for c in range(6):
                        o[c] = np.nan
                else:
                    beta_prev = beta
                    have_prev = True
                    sums_prev[:, :] = sums
            if trend and ok:
                sum_sy = 0.0
                for j in range(k):
                    sum_sy += sy[j]
                    if zero[j]:
                        mub[j] = 0.0  # exp(EMPTY)
                        inv_a[j] = 1.0
                        mt[j] = 0.0
                    else:
                        mub[j] = sy[j] / sums[0, j]  # exp(alpha_j)
                        inv_a[j] = 1.0 / sy[j]  # a_j = exp(alpha_j) * sums[0, j] = sy_j
                        mt[j] = sums[1, j] / sums[0, j]  # b_j / a_j
                if empty:
                    d = np.inf
                # Unweighted Pearson X² = sum y²/mu - 2 sum y + sum mu, and sum mu = sum y at
                # the closed-form intercepts (leaves the powers of 1/q in qp, er).
                _powers(-beta, ppy, run_c, run_m, qp, qm, er)
                pear = _y2_over_mu(mub, zero, nr, run_start, run_len, run_blk, qp, er, row, t0, off)
                pear -= sum_sy
                disp = pear / df_t
                phi = disp if disp > 1.0 else 1.0
                c_lim = thr2 * phi
                inv_d = 1.0 / d if math.isfinite(d) else 0.0
                # Candidates for down-weighting, screened run by run: inside a run mu is
                # monotone in t and the hat value is largest at an end, so the limit
                # mu + sqrt(thr² phi (1 - h) mu) is bounded below by its value at the
                # smallest mu and the largest h.
                _powers(beta, ppy, run_c, run_m, qp, qm, er)
                n_out = 0
                lost = 0.0
                for r in range(nr):
                    j = run_blk[r]
                    if zero[j]:
                        continue
                    length = run_len[r]
                    mu_a = mub[j] * er[r]
                    mu_b = mu_a * qp[length - 1]
                    i0 = run_start[r]
                    dev_a = tv[i0] - mt[j]
                    dev_b = tv[i0 + length - 1] - mt[j]
                    dev2 = max(dev_a * dev_a, dev_b * dev_b)
                    mu_lo = min(mu_a, mu_b)
                    h_hi = max(mu_a, mu_b) * (dev2 * inv_d + inv_a[j])
                    # Skip unless rmax > mu_lo + sqrt(max(1 - h_hi, 0) c_lim mu_lo), with a
                    # margin for rounding.
                    gap = rmax[r] - mu_lo * (1.0 - 1e-9)
                    room = (1.0 - h_hi) * c_lim * mu_lo
                    if gap <= 0.0 or (room > 0.0 and gap * gap * (1.0 + 1e-9) <= room):
                        continue
                    for kk in range(length):
                        i = i0 + kk
                        mu_i = mu_a * qp[kk]
                        v = row[t0 + off[i]]
                        ex = v - mu_i
                        if ex <= 0.0:
                            continue
                        dev = tv[i] - mt[j]
                        h = mu_i * (dev * dev * inv_d + inv_a[j])
                        if ex * ex > (1.0 - h) * c_lim * mu_i:
                            loss = _anscombe(v, np.cbrt(mu_i), h, phi, threshold, y23)
                            if loss != 0.0:
                                o_run[n_out] = r
                                o_kk[n_out] = kk
                                o_t[n_out] = tv[i]
                                o_loss[n_out] = loss
                                o_blk[n_out] = j
                                o_y[n_out] = v
                                n_out += 1
                                lost += loss
                scale = n / (n - lost)
                if n_out > 0:
                    # Weighted refit from the unweighted estimate.
                    wsty = sty
                    for j in range(k):
                        wsy[j] = sy[j]
                    for m in range(n_out):
                        ly = o_loss[m] * o_y[m]
                        wsy[o_blk[m]] -= ly
                        wsty -= ly * o_t[m]
                    # From the unweighted estimate, whose sums and powers are at hand.
                    beta, d, ok = _profile_fit(
                        beta,
                        wsy,
                        wsty,
                        zero,
                        empty,
                        k,
                        ppy,
                        runs,
                        lmax,
                        work,
                        sums,
                        outl,
                        n_out,
                        True,
                    )
                    if empty:
                        d = np.inf
                    for j in range(k):
                        mub[j] = 0.0 if zero[j] else wsy[j] / sums[0, j]
                    # Unweighted sum of mu at the final estimates, for the Pearson X².
                    sum_mu = 0.0
                    sub0 = 0.0
                    for m in range(n_out):
                        mo = mub[o_blk[m]] * er[o_run[m]] * qp[o_kk[m]]
                        ex = o_y[m] - mo
                        sub0 += o_loss[m] * ex * ex / mo
                        sum_mu += o_loss[m] * mo  # the down-weighted share, added back
                    for j in range(k):
                        if not zero[j]:
                            sum_mu += wsy[j]  # exp(alpha_j) * weighted sums[0, j]
                    _powers(-beta, ppy, run_c, run_m, qp, qm, er)
                    pear = _y2_over_mu(
                        mub, zero, nr, run_start, run_len, run_blk, qp, er, row, t0, off
                    )
                    pear += sum_mu - 2.0 * sum_sy - sub0
                    disp = scale * pear / df_t
                    a0 = wsy[0]
                else:
                    a0 = sy[0]
                # Scaled weighted sums of block 0 and the Schur complement.
                o[0] = EMPTY if zero[0] else math.log(mub[0])
                o[1] = beta if ok else np.nan
                o[2] = disp
                o[3] = d * scale if math.isfinite(d) else np.inf
                o[4] = 1.0 if zero[0] else a0 * scale
                o[5] = (a0 * sums[1, 0] / sums[0, 0] * scale) if not zero[0] else 0.0
                # As temporal._farrington: t = beta / sqrt(disp / d), NaN as 0, inf as large.
                tstat = beta / math.sqrt(o[2] / o[3])
                if tstat != tstat:
                    tstat = 0.0
                if ok and abs(tstat) > t_critical and math.exp(o[0]) <= ymax:
                    o[10] = 1.0
                    for c in range(6, 9):
                        o[c] = np.nan
                    continue
            elif not trend:
                for c in range(6):
                    o[c] = np.nan
            o[10] = 0.0

            # ---- without trend (closed form per block) ------------------------------------
            pear = 0.0
            for j in range(k):
                if zero[j]:
                    mub[j] = 0.0  # exp(EMPTY)
                else:
                    mub[j] = sy[j] / count[j]
                    pear += y2s[j] / mub[j] - 2.0 * sy[j] + mub[j] * count[j]
            disp = pear / df_f
            phi = disp if disp > 1.0 else 1.0
            for j in range(k):
                m3b[j] = -1.0  # mu^(1/3), computed when needed
                a_safe = 1.0 if zero[j] else mub[j] * count[j]
                h = mub[j] / a_safe
                lim = thr2 * phi * (1.0 - h) * mub[j]
                bound[j] = mub[j] + math.sqrt(lim) * (1.0 - 1e-9)
                hatb[j] = h
            n_out = 0
            lost = 0.0
            for r in range(nr):
                j = run_blk[r]
                if rmax[r] <= bound[j]:
                    continue
                i0 = run_start[r]
                for kk in range(run_len[r]):
                    i = i0 + kk
                    v = row[t0 + off[i]]
                    if v > bound[j]:
                        if m3b[j] < 0.0:
                            m3b[j] = np.cbrt(mub[j])
                        loss = _anscombe(v, m3b[j], hatb[j], phi, threshold, y23)
                        if loss != 0.0:
                            o_loss[n_out] = loss
                            o_blk[n_out] = j
                            o_y[n_out] = v
                            o_t[n_out] = tv[i]
                            n_out += 1
                            lost += loss
            scale = n / (n - lost)
            for j in range(k):
                wsy[j] = sy[j]
                wsum[j] = count[j]
                wts[j] = tsum[j]
            for m in range(n_out):
                j = o_blk[m]
                wsy[j] -= o_loss[m] * o_y[m]
                wsum[j] -= o_loss[m]
                wts[j] -= o_loss[m] * o_t[m]
            pear = 0.0
            for j in range(k):
                if zero[j]:
                    mub[j] = 0.0
                else:
                    mub[j] = wsy[j] / wsum[j]
                    pear += y2s[j] / mub[j] - 2.0 * sy[j] + count[j] * mub[j]
            for m in range(n_out):
                mo = mub[o_blk[m]]
                ex = o_y[m] - mo
                pear -= o_loss[m] * ex * ex / mo
            o[6] = EMPTY if zero[0] else math.log(mub[0])
            o[7] = scale * pear / df_f
            o[8] = 1.0 if zero[0] else scale * mub[0] * wsum[0]


@njit(cache=True, nogil=True, error_model="numpy")
def nb_quantiles(q, mean, size, prob, out):
    """Smallest k with P(Y <= k) >= q for NB(size, prob), Poisson(mean) where size = inf,
    by summing the probability function from 0; NaN where that could underflow or run long
    (left to the scipy-based ``temporal.count_quantile``)."""
    for i in range(mean.size):
        m = mean[i]
        if not m > 0.0:
            out[i] = 0.0
            continue
        r = size[i]
        log_p0 = -m if math.isinf(r) else r * math.log(prob[i])
        if log_p0 < -600.0 or m > 5000.0:
            out[i] = np.nan
            continue
        p = math.exp(log_p0)
        cdf = p
        kk = 0
        fail = 1.0 - prob[i]
        while cdf < q and kk < 100000:
            kk += 1
            if math.isinf(r):
                p *= m / kk
            else:
                p *= (kk - 1 + r) / kk * fail
            cdf += p
        out[i] = kk if cdf >= q else np.nan
