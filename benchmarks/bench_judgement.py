"""Risk-judgement model against the demo generator's ground truth, on a held-out seed.

Usage: .venv/bin/python benchmarks/bench_judgement.py [--train-seeds A,B,C] [--holdout SEED]
       [--model FILE] [--cache DIR]

Trains the model exactly as ``scripts/train_judgement.py`` does (demo seeds ``TRAIN_SEEDS`` +
the CPSC hazard calibration, C and class weighting chosen by leave-one-seed-out
cross-validation), or loads ``--model``; then generates, ingests and screens the held-out
seed (never used in training or model selection) and judges every event and lone risk signal
of it against its derived label (docs/assessment.md: injected incidents → serious/high,
background → the matrix level capped at medium, then the hard rules). Prints per-level
precision / recall / F1, macro-F1 and the confusion matrix for:

- the model with its hard rules (what ``suggest`` stores),
- the scorer alone (no rules),
- reference 1: the highest level of the items' own first assessments (系统初评, the risk
  matrix per item), what the platform shows without the model,
- reference 2: always the majority level;

the same on the cases whose label no hard rule set (most background cases labelled high are
labelled so by a rule, which the suggestion applies too, so those agree by construction; the
low / medium split of background cases is the matrix's in both label and suggestion, so it
agrees by construction as well); and, apart, how the injected incidents fare (incident
events suggested high or serious) and the background cases suggested high or serious.
About 2–3 minutes (four demo years).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import train_judgement as tj  # noqa: E402

from pqrisk.core.assessment.judgement import (  # noqa: E402
    LEVELS,
    JudgementModel,
    confusion,
    macro_f1,
    predict_levels,
)
from pqrisk.core.levels import RiskLevel  # noqa: E402

SHORT = {"low": "低", "medium": "中", "high": "高", "serious": "严重"}


def report(name: str, truth: list[RiskLevel], predicted: list[RiskLevel]) -> dict[str, float]:
    f1, per = macro_f1(truth, predicted)
    print(f"\n{name}: macro-F1 {f1:.3f}")
    head = ("level", "precision", "recall", "F1", "support", "predicted")
    print("  {:8s} {:>9s} {:>7s} {:>6s} {:>8s} {:>9s}".format(*head))
    for lv in LEVELS:
        d = per[lv.value]
        print(
            f"  {lv.value:8s} {d['precision']:9.3f} {d['recall']:7.3f} {d['f1']:6.3f} "
            f"{int(d['support']):8d} {int(d['predicted']):9d}"
        )
    matrix = confusion(truth, predicted)
    columns = " ".join(SHORT[lv.value] for lv in LEVELS)
    print(f"  confusion (rows true, columns predicted): {columns}")
    for lv, row in zip(LEVELS, matrix, strict=True):
        print(f"  {SHORT[lv.value]:>4s} " + " ".join(f"{n:6d}" for n in row))
    return {"macro_f1": round(f1, 4), **{k: round(v["f1"], 4) for k, v in per.items()}}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--train-seeds", default=",".join(str(s) for s in tj.TRAIN_SEEDS))
    parser.add_argument("--holdout", type=int, default=tj.HOLDOUT_SEED)
    parser.add_argument("--model", type=Path, help="judge with this model file instead")
    parser.add_argument("--cache", type=Path, help="keep and reuse each seed's examples here")
    parser.add_argument("--shared", type=Path, default=tj.DEFAULT_SHARED)
    args = parser.parse_args()
    train_seeds = tuple(int(s) for s in args.train_seeds.split(",") if s.strip())
    if args.holdout in train_seeds:
        raise SystemExit("the held-out seed must not be a training seed")

    started = time.perf_counter()
    seeds = (*train_seeds, args.holdout) if args.model is None else (args.holdout,)
    payloads = tj.seeds_rows(seeds, args.cache)
    print(f"demo seeds {seeds} generated, ingested, screened, labelled: "
          f"{time.perf_counter() - started:.0f} s")  # fmt: skip
    if args.model is not None:
        model = JudgementModel.load(args.model)
        print(f"model {args.model} ({model.version})")
    else:
        started = time.perf_counter()
        print(f"training on seeds {train_seeds} (+ CPSC hazard calibration):")
        model = tj.train(
            {s: payloads[s] for s in train_seeds}, tj.calibration_from(args.shared), log=print
        )
        print(f"trained in {time.perf_counter() - started:.0f} s")
    for line in model.describe_zh():
        print("  " + line)

    held = payloads[args.holdout]
    rows = tj.sorted_rows(held)
    examples = tj.to_examples(held)
    truth = [e.level for e in examples]
    counts = Counter(lv.value for lv in truth)
    rule_labels = sum(1 for r in rows if r["rules"])
    print(
        f"\nheld-out seed {args.holdout}: {len(examples)} cases "
        f"({', '.join(f'{lv.value} {counts.get(lv.value, 0)}' for lv in LEVELS)}); "
        f"{rule_labels} labels set by a hard rule"
    )
    with_rules = predict_levels(model, examples, rules=True)
    scorer = predict_levels(model, examples, rules=False)
    matrix = [e.facts.matrix_level or RiskLevel.MEDIUM for e in examples if e.facts]
    majority = RiskLevel(counts.most_common(1)[0][0])
    figures = {
        "model_with_rules": report("model + hard rules (the suggestion)", truth, with_rules),
        "scorer_only": report("scorer alone (no rules)", truth, scorer),
        "matrix_reference": report(
            "reference 1: highest first assessment of the items (risk matrix)", truth, matrix
        ),
        "majority_reference": report(
            f"reference 2: always {majority.value}", truth, [majority] * len(truth)
        ),
    }

    # Most high labels of background cases are set by a hard rule, which the suggestion
    # applies too: the same figures on the cases whose label no rule set.
    plain = [i for i, row in enumerate(rows) if not row["rules"]]
    print(f"\n--- the {len(plain)} cases whose label no hard rule set ---")
    figures["model_with_rules_no_rule_labels"] = report(
        "model + hard rules", [truth[i] for i in plain], [with_rules[i] for i in plain]
    )
    figures["matrix_reference_no_rule_labels"] = report(
        "reference 1 (risk matrix)", [truth[i] for i in plain], [matrix[i] for i in plain]
    )

    # The injected incidents: did the cases holding them come out high or serious?
    print("\ninjected incidents (events labelled from the ground truth):")
    print(f"  {'incident':30s} {'case':14s} {'label':8s} {'model':8s} {'matrix':8s}")
    hit = total = 0
    for row, e, got, ref in zip(rows, examples, with_rules, matrix, strict=True):
        if row["incident"] and row["derived"] in ("high", "serious"):
            total += 1
            hit += got.rank >= RiskLevel.HIGH.rank
            print(
                f"  {row['incident']:30s} {row['key']:14s} {e.level.value:8s} "
                f"{got.value:8s} {ref.value:8s}"
            )
    # Background cases (no incident) whose label is medium or low: suggested high or serious
    # is a false alarm. (Background cases a hard rule labels high are counted in the tables.)
    quiet = [
        (got, ref)
        for row, e, got, ref in zip(rows, examples, with_rules, matrix, strict=True)
        if row["derived"] not in ("high", "serious") and e.level.rank <= RiskLevel.MEDIUM.rank
    ]
    alarms = sum(1 for got, _ in quiet if got.rank >= RiskLevel.HIGH.rank)
    ref_alarms = sum(1 for _, ref in quiet if ref.rank >= RiskLevel.HIGH.rank)
    print(
        f"  incident cases suggested high or serious: {hit}/{total}; background cases labelled "
        f"medium or low but suggested high or serious: {alarms}/{len(quiet)} "
        f"(reference 1: {ref_alarms})"
    )
    print(json.dumps({"model": model.version, "holdout": args.holdout, **figures}))


if __name__ == "__main__":
    main()
