"""Training data for the screening classifiers, from data the project has.

- **Risk category**: the shared Chinese food-safety news (``shared/data/news``, train fold
  only; the dev fold is kept for the one final report). Labels ``0``–``3`` as the source gives
  them; their names are inferred by the data manifest, not stated by the source.
- **Relevance** (is an item about a product quality-safety risk at all?):
  positives are the shared news (train fold) and the demo generator's risk records
  (complaints, injury reports, media posts, recalls, penalties, failed spot checks);
  negatives are the synthetic irrelevant media texts of ``pqrisk.demo.noise``, the demo
  generator's records that carry no risk signal (licence notices, passed spot checks),
  word salad from jieba's dictionary and Django's Chinese interface messages. None of the
  negatives is a real media item: the model has never seen a real irrelevant news story.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pqrisk.core.csvlimit import csv_field_limit
from pqrisk.core.screening.classify import (
    CANDIDATES,
    IRRELEVANT,
    RELEVANT,
    ClassifierConfig,
    TrainingSource,
    sha256_file,
    sha256_rows,
)

# The data manifest infers this mapping from class sizes and sample texts; the source
# repository lists the four categories without their numbers.
CATEGORY_LABEL_NAMES = {
    "0": "假冒伪劣",
    "1": "食品添加剂",
    "2": "农药残留与重金属",
    "3": "乳制品",
}

# Chosen by 5-fold cross-validation on the train fold (``scripts/train_models.py --select``
# runs this grid again; the dev fold is not used). Macro-F1 measured there: this config 0.698;
# the same without jieba words 0.692; first 400 characters 0.656; LinearSVC (sigmoid-
# calibrated) 0.635. Whole-text models measured while exploring: 0.62–0.66.
CATEGORY_CONFIG = ClassifierConfig(
    char_ngrams=(1, 3), word_ngrams=(1, 2), head_chars=120, model="logreg", C=2.0
)
CATEGORY_CANDIDATES = CANDIDATES

# Relevance: short items (posts, complaints) and long articles alike; the lead of an article
# says what it is about.
RELEVANCE_CONFIG = ClassifierConfig(
    char_ngrams=(1, 3), word_ngrams=None, head_chars=300, model="logreg", C=2.0
)
# Screening prefers reading a noise item to dropping a risk: the threshold keeps this share
# of the risk texts (out-of-fold) at or above it. Our choice.
RELEVANCE_MIN_RECALL = 0.99

NEWS_TRAIN = "news/food_safety_train.csv"
NEWS_DEV = "news/food_safety_dev.csv"
RISK_SOURCES = ("complaint", "injury", "media", "recall", "penalty")


@dataclass(frozen=True)
class Corpus:
    texts: list[str]
    labels: list[str]
    sources: list[TrainingSource]
    kinds: list[str]  # where each row came from (for reports)


def read_labelled_csv(
    path: Path, text_col: str = "text", label_col: str = "label"
) -> tuple[list[str], list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh, csv_field_limit(16 * 1024 * 1024):
        rows = list(csv.DictReader(fh))
    return [r[text_col] or "" for r in rows], [r[label_col] or "" for r in rows]


def category_corpus(shared: Path) -> Corpus:
    path = shared / NEWS_TRAIN
    texts, labels = read_labelled_csv(path)
    source = TrainingSource(f"shared/data/{NEWS_TRAIN}", sha256_file(path), len(texts))
    return Corpus(texts, labels, [source], ["news"] * len(texts))


def _record_text(rec: dict[str, object]) -> str:
    return f"{rec.get('title') or ''} {rec.get('text') or ''}".strip()


def _taxonomy_terms() -> tuple[list[str], list[str], list[str]]:
    """Product names (leaves of the catalogue), Chinese hazard terms and hazard descriptions."""
    from pqrisk.taxonomy.loader import load_hazards, load_products

    products = sorted({p.name for p in load_products() if p.is_leaf})
    hazards = load_hazards()
    terms = sorted({t for h in hazards for t in h.keywords if not t.isascii()})
    texts = [h.description for h in hazards if h.description]
    return products, terms, texts


def relevance_corpus(
    shared: Path,
    seed: int = 20261126,
    per_source: int = 500,
    n_noise: int = 3200,
    n_salad: int = 1500,
    n_hazard_salad: int = 1500,
) -> Corpus:
    """Positives and negatives for the relevance model (see the module docstring).

    The demo generator runs for a year at half scale; at most ``per_source`` records of each
    risk source and of passed spot checks are drawn, so no one template family dominates.
    """
    from pqrisk.demo.generator import generate
    from pqrisk.demo.noise import django_messages, noise_items, word_salad

    rng = random.Random(seed)
    texts: list[str] = []
    labels: list[str] = []
    kinds: list[str] = []

    def add(rows: Sequence[str], label: str, kind: str) -> None:
        texts.extend(rows)
        labels.extend([label] * len(rows))
        kinds.extend([kind] * len(rows))

    news_path = shared / NEWS_TRAIN
    news, _ = read_labelled_csv(news_path)
    add(news, RELEVANT, "news")

    data = generate(seed=seed, n_enterprises=600, days=365, scale=0.5)
    by_kind: dict[str, list[str]] = {}
    for rec in data.records:
        source = str(rec["source"])
        if source == "spot_check":
            failed = rec["details"].get("conclusion") == "不合格"
            kind = "spot_check_failed" if failed else "spot_check_passed"
        else:
            kind = source
        by_kind.setdefault(kind, []).append(_record_text(rec))
    for kind in (*RISK_SOURCES, "spot_check_failed"):
        rows = by_kind.get(kind, [])
        add(rng.sample(rows, min(per_source, len(rows))), RELEVANT, f"demo:{kind}")
    for kind in ("licensing", "spot_check_passed"):
        rows = by_kind.get(kind, [])
        add(rng.sample(rows, min(per_source, len(rows))), IRRELEVANT, f"demo:{kind}")
    add([f"{t} {x}" for t, x in noise_items(seed, n_noise)], IRRELEVANT, "noise")
    # Word salad on both sides: common words alone are no evidence (negatives), the
    # catalogue's product names and the hazard terms of hazards.csv among them are (positives).
    products, hazard_terms, hazard_texts = _taxonomy_terms()
    add(word_salad(seed, n_salad, exclude=frozenset(hazard_terms)), IRRELEVANT, "salad")

    def hazard_phrases(r: random.Random) -> list[str]:
        phrases = [r.choice(products), *r.sample(hazard_terms, r.choice((1, 1, 2)))]
        if r.random() < 0.3:
            phrases.append(r.choice(hazard_texts))
        return phrases

    add(
        word_salad(seed + 1, n_hazard_salad, inject=hazard_phrases),
        RELEVANT,
        "hazard_salad",
    )
    add(django_messages(), IRRELEVANT, "django")

    def rows_of(*wanted: str) -> tuple[list[str], list[str]]:
        picked = [(t, lab) for t, lab, k in zip(texts, labels, kinds, strict=True) if k in wanted]
        return [t for t, _ in picked], [lab for _, lab in picked]

    demo_kinds = sorted({k for k in kinds if k.startswith("demo:")})
    sources = [TrainingSource(f"shared/data/{NEWS_TRAIN}", sha256_file(news_path), len(news))]
    for name, wanted in (
        (f"pqrisk.demo.generator seed={seed} (risk and no-risk records)", demo_kinds),
        (f"pqrisk.demo.noise.noise_items seed={seed} (synthetic irrelevant texts)", ["noise"]),
        (f"pqrisk.demo.noise.word_salad seed={seed} (jieba dictionary words)", ["salad"]),
        (
            f"word_salad seed={seed + 1} with product names and hazard terms (taxonomy)",
            ["hazard_salad"],
        ),
        ("pqrisk.demo.noise.django_messages (Django zh_Hans interface messages)", ["django"]),
    ):
        rows, row_labels = rows_of(*wanted)
        sources.append(TrainingSource(name, sha256_rows(rows, row_labels), len(rows)))
    return Corpus(texts, labels, sources, kinds)
