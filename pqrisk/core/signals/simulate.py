"""Simulated count series with injected outbreaks, for evaluating the detectors (模拟评估).

Baselines follow Noufaily et al. (2013, Stat Med 32:1206, §4): the expected count is
mu_t = exp(theta + beta t + sum_j gamma_j1 cos(2 pi j t / P) + gamma_j2 sin(2 pi j t / P))
with P the periods per year, and counts are negative binomial with mean mu_t and variance
phi * mu_t (phi = 1 gives Poisson). The mean level theta varies across series.

Outbreaks: one per series, starting at a uniformly drawn period of the evaluation window,
lasting ``duration`` periods (drawn uniformly between the bounds) and ending inside the
window. Two ways of sizing them:

- ``"excess"`` (default): in each outbreak period the outbreak adds Poisson(k × mu_t)
  cases, i.e. an outbreak of size k × the expected count of that period.
- ``"noufaily"``: Noufaily et al. (2013): the outbreak's total is Poisson(k × sd) cases, sd
  the baseline standard deviation sqrt(phi mu) at the start period, spread over the outbreak
  periods (here evenly, multinomially; Noufaily used a log-normal onset curve).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class SimulationConfig:
    n_series: int = 1000
    n_periods: int = 312
    ppy: int = 52  # periods per year: 52 weekly, 365 daily
    eval_periods: int = 52  # the last eval_periods periods are the evaluation window
    mean_range: tuple[float, float] = (1.0, 30.0)  # baseline mean level, log-uniform
    harmonics: int = 1  # seasonal harmonics
    seasonal_amplitude: tuple[float, float] = (0.0, 0.6)  # of each harmonic, log scale
    trend_per_year: tuple[float, float] = (0.0, 0.0)  # log-scale trend, uniform range
    dispersion: tuple[float, float] = (1.0, 3.0)  # phi = variance / mean, uniform
    outbreak_size: float = 2.0  # k
    outbreak_model: str = "excess"
    duration: tuple[int, int] = (2, 4)  # periods, inclusive
    outbreak_share: float = 1.0  # share of series that get an outbreak
    seed: int = 1


@dataclass(frozen=True)
class Simulation:
    counts: NDArray[np.float64]  # (series, periods)
    expected: NDArray[np.float64]  # baseline mean mu_t
    outbreak: NDArray[np.bool_]  # periods that belong to an outbreak
    start: NDArray[np.int64]  # outbreak start period, -1 for none
    duration: NDArray[np.int64]  # 0 for none
    eval_start: int
    dates: NDArray[np.datetime64]
    config: SimulationConfig


def simulate(config: SimulationConfig | None = None) -> Simulation:
    """Draw baselines and outbreaks; the same config (and seed) gives the same arrays."""
    cfg = config or SimulationConfig()
    if cfg.eval_periods > cfg.n_periods or cfg.eval_periods < cfg.duration[1]:
        raise ValueError("评估窗口须不长于序列且不短于最长暴发持续期")
    if cfg.outbreak_model not in {"excess", "noufaily"}:
        raise ValueError(f"未知的暴发模型：{cfg.outbreak_model}")
    rng = np.random.default_rng(cfg.seed)
    s, t = cfg.n_series, cfg.n_periods
    time = np.arange(t, dtype=np.float64)

    lo, hi = np.log(cfg.mean_range[0]), np.log(cfg.mean_range[1])
    theta = rng.uniform(lo, hi, size=s)
    eta = np.repeat(theta[:, None], t, axis=1)
    for j in range(1, cfg.harmonics + 1):
        amp = rng.uniform(*cfg.seasonal_amplitude, size=s)
        phase = rng.uniform(0.0, 2.0 * np.pi, size=s)
        eta += amp[:, None] * np.cos(2.0 * np.pi * j * time[None, :] / cfg.ppy + phase[:, None])
    slope = rng.uniform(*cfg.trend_per_year, size=s)
    eta += slope[:, None] * (time[None, :] - t) / cfg.ppy
    mu = np.exp(eta)
    phi = rng.uniform(*cfg.dispersion, size=s)
    counts = _neg_binomial(rng, mu, phi[:, None])

    eval_start = t - cfg.eval_periods
    has = rng.random(s) < cfg.outbreak_share
    duration = rng.integers(cfg.duration[0], cfg.duration[1] + 1, size=s)
    start = eval_start + np.floor(rng.random(s) * (cfg.eval_periods - duration + 1)).astype(
        np.int64
    )
    start = np.where(has, start, -1)
    duration = np.where(has, duration, 0)
    outbreak = (time[None, :] >= start[:, None]) & (time[None, :] < (start + duration)[:, None])

    extra = np.zeros((s, t))
    if cfg.outbreak_model == "excess":
        extra[outbreak] = rng.poisson(cfg.outbreak_size * mu[outbreak])
    else:
        rows = np.flatnonzero(has)
        sd0 = np.sqrt(phi[rows] * mu[rows, start[rows]])
        total = rng.poisson(cfg.outbreak_size * sd0)
        for r, n_cases in zip(rows, total, strict=True):
            d = int(duration[r])
            extra[r, start[r] : start[r] + d] = rng.multinomial(int(n_cases), np.full(d, 1.0 / d))
    counts = counts + extra
    origin = np.datetime64("2020-01-06")
    step = 7 if cfg.ppy == 52 else 1
    dates = origin + np.arange(t) * np.timedelta64(step, "D")
    return Simulation(counts, mu, outbreak, start, duration, eval_start, dates, cfg)


def _neg_binomial(
    rng: np.random.Generator, mu: NDArray[np.float64], phi: NDArray[np.float64]
) -> NDArray[np.float64]:
    """NB counts with mean mu and variance phi * mu (Poisson where phi == 1)."""
    phi = np.broadcast_to(phi, mu.shape)
    over = phi > 1.0
    lam = mu.copy()
    # Gamma-Poisson mixture: size r = mu / (phi - 1) gives variance mu + mu^2 / r = phi mu.
    r = mu[over] / (phi[over] - 1.0)
    lam[over] = rng.gamma(r, mu[over] / r)
    return rng.poisson(lam).astype(np.float64)
