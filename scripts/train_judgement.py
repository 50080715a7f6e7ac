"""Rebuild the shipped risk-judgement model: ``python scripts/train_judgement.py``.

Writes ``pqrisk/core/assessment/data/judgement.joblib``. Training data:

- the demo generator's years for the training seeds (``TRAIN_SEEDS``), each generated,
  ingested and screened on a throw-away SQLite database in a child process, its events
  labelled against the generator's ground truth (``pqrisk.assessment.judgement.demo_examples``;
  derived labels, see docs/assessment.md);
- the hazard calibration from ``shared/data/cpsc_recalls_recent.csv``
  (``pqrisk.core.assessment.judgement.cpsc_calibration``);
- optionally expert overrides exported from a platform database (``--overrides FILE``, JSON
  lines written by ``pqrisk.assessment.judgement.export_overrides``), each weighted
  ``OVERRIDE_WEIGHT``; they join every training fold and are never held out.

The regularisation C and the weight given to rare levels are chosen by leave-one-seed-out
cross-validation (macro-F1 of the final suggestion, rules included), then the model is fitted
on all the data. ``HOLDOUT_SEED`` is never read here: ``benchmarks/bench_judgement.py`` reports
on it. Deterministic: the same seeds, data and library versions give the same model; set
SOURCE_DATE_EPOCH for a fixed ``created_at`` (the version string carries the date).

``--cache DIR`` keeps each seed's examples (``DIR/seed-N.json``) and reuses them; without it
every seed is rebuilt (about 30 s each).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pqrisk.core.assessment.judgement import (  # noqa: E402
    MODEL_PATH,
    CaseFacts,
    Example,
    HazardCalibration,
    JudgementModel,
    cpsc_calibration,
    cross_validate,
    examples_from_overrides,
    sha256_examples,
)
from pqrisk.core.levels import RiskLevel  # noqa: E402

TRAIN_SEEDS = (20261126, 20261127, 20261128)
HOLDOUT_SEED = 20270615
# Candidates of (C, power of the rare-level weight), chosen by cross-validation.
GRID = tuple((c, p) for c in (0.003, 0.01, 0.1, 1.0) for p in (0.0, 0.25, 0.5))
DEFAULT_SHARED = Path(os.environ.get("PQRISK_SHARED_DATA", str(ROOT.parent / "shared" / "data")))
RECENT_RECALLS = "cpsc_recalls_recent.csv"
LABEL_SCHEME = (
    "演示数据生成器的事件按其真值派生标签：包含某一注入事件≥5条记录或过半为注入记录的事件为该事件，"
    "危害默认严重程度4级且≥10条记录为严重风险，否则为高风险；其余为背景，取其信息系统初评矩阵等级的最高值、"
    "封顶中风险；再按硬规则调整。事件按其第 ⌊n/2⌋+1 条信息到达时的状态研判（约一半信息已到）。"
)


# ----------------------------------------------------------------------------- one seed


def build_seed(seed: int, out: Path) -> None:
    """Child process: generate, ingest and screen the demo year of ``seed`` on a throw-away
    SQLite database and write its labelled examples to ``out``."""
    tmp = Path(tempfile.mkdtemp(prefix=f"pqrisk-judgement-{seed}-"))
    os.environ["PQRISK_VAR_DIR"] = str(tmp)
    os.environ["PQRISK_SCREENING_DIR"] = str(tmp / "screening")
    os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "pqrisk.settings.dev"
    import logging

    import django

    django.setup()
    logging.disable(logging.WARNING)
    from django.conf import settings
    from django.core.management import call_command

    settings.DEBUG = False
    from pqrisk.assessment.judgement import demo_examples
    from pqrisk.demo.generator import generate
    from pqrisk.enterprises.services import upsert_enterprises
    from pqrisk.intake.services import ingest_file
    from pqrisk.screening.services import screen_pending

    call_command("migrate", verbosity=0)
    data = generate(seed=seed)
    files = data.write(tmp / "demo")
    upsert_enterprises(data.enterprises, source_label="train_judgement")
    for name, path in files.items():
        if path.suffix == ".jsonl" and name != "enterprises":
            ingest_file(path)
    screen_pending()
    truth_bytes = (tmp / "demo" / "ground_truth.json").read_bytes()
    rows = demo_examples(json.loads(truth_bytes))
    payload = {
        "seed": seed,
        "meta": data.meta,
        "ground_truth_sha256": hashlib.sha256(truth_bytes).hexdigest(),
        "rows": rows,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")


def seed_rows(seed: int, cache: Path | None = None) -> dict[str, Any]:
    """The labelled examples of one demo seed (from ``cache`` if there, else built in a
    child process)."""
    if cache is not None and (cache / f"seed-{seed}.json").exists():
        return json.loads((cache / f"seed-{seed}.json").read_text("utf-8"))
    target = (cache or Path(tempfile.mkdtemp(prefix="pqrisk-judgement-"))) / f"seed-{seed}.json"
    script = str(Path(__file__).resolve())
    command = [sys.executable, script, "--build-seed", str(seed), "--out", str(target)]
    # A fixed hash seed: string-set order must not change which ids the stored events get.
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"seed {seed} failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(target.read_text("utf-8"))


def seeds_rows(seeds: tuple[int, ...], cache: Path | None = None) -> dict[int, dict[str, Any]]:
    """Several seeds, two at a time."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(seeds, pool.map(lambda s: seed_rows(s, cache), seeds), strict=True))


def _canonical(row: dict[str, Any]) -> str:
    """A row without database ids: rows sort the same however the ids came out."""
    facts = dict(row["facts"])
    facts["items"] = sorted(
        json.dumps({k: v for k, v in i.items() if k != "id"}, sort_keys=True)
        for i in facts["items"]
    )
    return json.dumps([row["label"], facts], sort_keys=True)


def sorted_rows(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The seed's rows in a canonical order: the fitted model must not depend on the order
    the database happened to give them."""
    return sorted(payload["rows"], key=_canonical)


def to_examples(payload: dict[str, Any]) -> list[Example]:
    """The seed's examples, in the order of ``sorted_rows``."""
    group = f"seed {payload['seed']}"
    return [
        Example(
            RiskLevel(row["label"]),
            facts=CaseFacts.from_dict(row["facts"]),
            group=group,
            key=f"{group} {row['key']}",
        )
        for row in sorted_rows(payload)
    ]


# ----------------------------------------------------------------------------- training


def calibration_from(shared: Path) -> HazardCalibration:
    path = shared / RECENT_RECALLS
    if not path.exists():
        raise SystemExit(f"{path} not found: set PQRISK_SHARED_DATA or --shared")
    return cpsc_calibration(path)


def read_overrides(path: Path) -> list[Example]:
    rows = []
    for line in path.read_text("utf-8").splitlines():
        if line.strip():
            obj = json.loads(line)
            rows.append((obj.get("features") or {}, str(obj.get("level", ""))))
    return examples_from_overrides(rows)


def train(
    payloads: dict[int, dict[str, Any]],
    calibration: HazardCalibration,
    overrides: list[Example] | None = None,
    *,
    overrides_source: dict[str, Any] | None = None,
    log: Any = print,
) -> JudgementModel:
    """Choose (C, power) by cross-validation, fit on everything, return the model."""
    examples = [e for seed in sorted(payloads) for e in to_examples(payloads[seed])]
    extra = list(overrides or [])
    reports = []
    for c, power in GRID:
        started = time.perf_counter()
        report = cross_validate(examples + extra, calibration, c=c, power=power)
        reports.append(report)
        log(
            f"  C={c:<5} power={power:<4} CV macro-F1 {report['macro_f1']:.3f} "
            f"(without rules {report['macro_f1_without_rules']:.3f}) "
            f"[{time.perf_counter() - started:.1f} s]"
        )
    # Best macro-F1; ties go to the stronger regularisation and the milder weighting.
    best = max(reports, key=lambda r: (r["macro_f1"], -r["C"], -r["level_weight_power"]))
    training = [
        {
            "name": f"demo generator seed {seed} ({len(payloads[seed]['rows'])} cases)",
            "sha256": sha256_examples(to_examples(payloads[seed]), calibration),
            "ground_truth_sha256": payloads[seed]["ground_truth_sha256"],
            "rows": len(payloads[seed]["rows"]),
        }
        for seed in sorted(payloads)
    ]
    training += [dict(s) for s in calibration.sources]
    if extra:
        training.append(
            {
                **(overrides_source or {"name": "expert overrides"}),
                "sha256": sha256_examples(extra, calibration),
                "rows": len(extra),
            }
        )
    cv = {
        **best,
        "grid": [{k: r[k] for k in ("C", "level_weight_power", "macro_f1")} for r in reports],
    }
    return JudgementModel.fit(
        examples + extra,
        calibration,
        c=best["C"],
        power=best["level_weight_power"],
        training=training,
        cv=cv,
        label_scheme=LABEL_SCHEME,
        notes=(
            "cpsc_recalls_legacy.jsonl was checked and not used: it has hazard labels but no "
            "injury, death or unit counts and no severity wording"
        ),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default=",".join(str(s) for s in TRAIN_SEEDS))
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--overrides", type=Path, help="JSON lines from export_overrides")
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--cache", type=Path, help="keep and reuse each seed's examples here")
    parser.add_argument("--build-seed", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build_seed is not None:
        build_seed(args.build_seed, args.out)
        return
    seeds = tuple(int(s) for s in args.seeds.split(",") if s.strip())
    if HOLDOUT_SEED in seeds:
        raise SystemExit(f"seed {HOLDOUT_SEED} is the benchmark's held-out seed")
    started = time.perf_counter()
    payloads = seeds_rows(seeds, args.cache)
    print(f"demo seeds {seeds}: built in {time.perf_counter() - started:.0f} s")
    calibration = calibration_from(args.shared)
    overrides = read_overrides(args.overrides) if args.overrides else []
    source = None
    if args.overrides:
        source = {"name": args.overrides.name, "file_sha256": _sha256(args.overrides)}
        print(f"expert overrides: {len(overrides)} rows")
    model = train(payloads, calibration, overrides, overrides_source=source)
    model.save(args.out)
    print(f"model → {args.out} ({args.out.stat().st_size / 1024:.1f} KB)")
    for line in model.describe_zh():
        print("  " + line)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


if __name__ == "__main__":
    main()
