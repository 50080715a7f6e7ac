"""Statistical signal detection (信号检测): temporal aberrations, simulation and evaluation.

See docs/signals.md. Disproportionality and the space-time scan live in their own modules.
"""

from pqrisk.core.signals.evaluate import MethodScore, evaluate, fixed_threshold, score
from pqrisk.core.signals.simulate import Simulation, SimulationConfig, simulate
from pqrisk.core.signals.temporal import (
    ALARM,
    INSUFFICIENT_BASELINE,
    METHODS,
    NO_ALARM,
    Detection,
    SeriesInputError,
    cusum,
    detect,
    ears,
    farrington,
)

__all__ = [
    "ALARM",
    "INSUFFICIENT_BASELINE",
    "METHODS",
    "NO_ALARM",
    "Detection",
    "MethodScore",
    "SeriesInputError",
    "Simulation",
    "SimulationConfig",
    "cusum",
    "detect",
    "ears",
    "evaluate",
    "farrington",
    "fixed_threshold",
    "score",
    "simulate",
]
