"""A stand-in catalogue built from the scenario names, for tests that must not depend on it."""

from __future__ import annotations

from pqrisk.demo.generator import Leaf, Taxonomy
from pqrisk.demo.scenarios import HAZARD_SHORT, SCENARIOS

LICENSED = {"wire", "plastic_tableware"}


def stub_taxonomy() -> Taxonomy:
    leaves: list[Leaf] = []
    counter: dict[str, int] = {}
    for scen in SCENARIOS:
        counter[scen.family] = counter.get(scen.family, 0) + 1
        code = f"{scen.family}01{counter[scen.family]:02d}"
        leaves.append(Leaf(code, scen.names[0], scen.key in LICENSED))
    for family in sorted(counter):
        leaves.append(Leaf(f"{family}0199", f"其他{family}类产品"))
    return Taxonomy(tuple(leaves), frozenset(HAZARD_SHORT))
