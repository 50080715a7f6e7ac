"""Near-duplicate de-duplication of collected items: MinHash + LSH over character shingles.

Reposts are seldom byte-identical: a site adds "转发：" or "原标题：", a footer
"（责任编辑：张三）", another headline, full-width punctuation, or drops the last paragraph.
``NearDupIndex`` finds them incrementally — every new item is checked against the index and
then added to it, without rebuilding — in two tiers:

1. **Exact.** The item's fingerprint is its screening form (``clean_text``: boilerplate, URLs
   and traditional characters handled), lower-cased, without punctuation, symbols or
   whitespace (the rule of ``fingerprint_text``). An item whose fingerprint was seen before
   is a duplicate with similarity 1.
2. **Near.** The fingerprint's character ``shingle``-grams are summarised by a MinHash of
   ``num_perm`` values in datasketch's "affine32" scheme: the same permutations and the same
   values as ``datasketch.MinHash(num_perm, seed=SEED, hashfunc=…).update_batch(…)``, but
   computed with numpy for the whole text at once (``minhash`` returns a datasketch
   ``LeanMinHash``). LSH bands of the MinHash find candidates; each candidate is verified and
   counts only when the MinHash estimate of the Jaccard similarity is at least ``threshold``,
   so LSH false positives never become duplicates.

**The first seen wins.** A duplicate points to the first-seen item of its cluster: when B
repeats A and C repeats B (but not A), C → A. When an item matches two clusters, the older
cluster wins. ``Match.nearest`` names the most similar earlier item, ``similarity`` is the
estimate for that pair.

**Short texts** (fewer than ``MIN_CHARS`` fingerprint characters) get the exact tier only:
a one-character edit changes a large share of their few shingles, and two short texts that
are almost equal ("产品质量差，要求退货") are usually two people, not a repost. An item with an
empty fingerprint (no letters or digits at all) is never a duplicate.

**Parameters** (measured with ``benchmarks/bench_dedup.py`` on two labelled sets: the demo
generator's reposts and reviewed near-duplicate pairs of the shared news corpus):

- ``DEFAULT_THRESHOLD`` 0.7, the estimated Jaccard similarity of character 5-gram sets.
  Demo reposts that drop a sentence and gain "转发：" fall to 0.6–0.8; templated records of
  two different consumers, patients or firms reach 0.6–0.8 too. 0.7 has the highest F1
  averaged over the sets (demo media 0.996, with complaints 0.991, news 0.975; at 0.65 news
  gains 0.01 and the demo loses 0.01–0.02). The deployment setting is
  ``PQRISK_NEARDUP_THRESHOLD``.
- ``DEFAULT_SHINGLE`` 5: 3- and 4-grams join more templated complaints (demo precision
  0.95 instead of 0.99) at the same recall; 6-grams lose news recall.
- ``DEFAULT_NUM_PERM`` 128: the estimate's standard error at J = 0.7 is 0.04 (0.057 with 64,
  which cost 0.01–0.02 F1). The MinHash F1 is within 0.003 of exact Jaccard's.
- Bands: datasketch's ``MinHashLSH`` optimiser balances false positives against false
  negatives and gives a pair at J = 0.7 a 44 % chance to become a candidate; since every
  candidate is verified anyway, ``choose_bands`` takes the longest bands that still make a pair
  at the threshold a candidate with probability ≥ ``BAND_RECALL`` (25 bands × 5 rows at 0.7).

**Why not datasketch's ``MinHashLSH`` for the buckets:** measured here it took ~0.2 ms per
query + insert and 5.2 KB per item at 16 bands (a bytes key and a Python set per band). Here
each band is one 64-bit key in a single dict (the first row per key; later rows in a side
dict): 2.9 KB per item in memory at 25 bands, 0.5 KB on disk.

**Speed.** numpy costs microseconds per call, so texts are hashed in batches:
``check_and_add_many`` on ``clean_text`` output takes 80–100 µs of CPU per 300-character
item, ``check_and_add`` 190–250 µs (runs on this shared machine vary by a quarter);
``clean_text`` itself 90–100 µs, which the screening step already pays (pass
``cleaned=True``). Screening should call ``check_and_add_many`` once per chunk.

**Persistence.** ``save`` writes one ``.npz`` file (numpy arrays, no pickle): ids, cluster
pointers, fingerprint digests and the MinHash matrix; the band table is recomputed from the
MinHash matrix on ``load`` (~16 µs per item). The file records the format version, every
parameter and a digest of the hash constants; ``load`` refuses a file of another version, or
whose parameters differ from those asked for.

Not thread-safe: one writer per index (screening runs per partition).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sys
import tempfile
import unicodedata
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from pqrisk.core.text.normalize import clean_text

if TYPE_CHECKING:
    from datasketch import LeanMinHash

FORMAT = "pqrisk-neardup"
FORMAT_VERSION = 1
DEFAULT_THRESHOLD = 0.7
DEFAULT_NUM_PERM = 128
DEFAULT_SHINGLE = 5
# Fingerprint characters below which a text gets the exact tier only (see module docstring).
MIN_CHARS = 30
# Seed of datasketch's permutations and of our shingle and band hashes.
SEED = 1
# A pair exactly at the threshold becomes an LSH candidate with at least this probability.
BAND_RECALL = 0.97
# datasketch's permutation scheme (since datasketch 2.0: a * fmix32(h) + b mod 2^32).
SCHEME = "affine32"
# Shingles per block of (num_perm × shingles) products: 4 MB at 128 permutations.
_BLOCK = 8192
# Texts hashed together by check_and_add_many (measured: 32–64 short texts are fastest).
_BATCH = 64
# Unicode categories dropped from a fingerprint: the rule of ``fingerprint_text``.
_DROP_CATEGORIES = ("P", "Z", "So", "Sk")

_KIND_ORIGINAL, _KIND_EXACT, _KIND_NEAR, _KIND_EMPTY = 0, 1, 2, 3

U32 = npt.NDArray[np.uint32]
U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]


class NearDupIndexError(ValueError):
    """A saved index that cannot be used as asked."""


class IndexVersionError(NearDupIndexError):
    """The file is not a near-duplicate index of this version."""


class IndexParameterError(NearDupIndexError):
    """The file was built with other parameters than those asked for."""


@dataclass(frozen=True, slots=True)
class Match:
    """An item is a duplicate of ``duplicate_of``, the first-seen item of its cluster."""

    duplicate_of: str
    similarity: float  # estimated Jaccard similarity with ``nearest``; 1.0 when exact
    nearest: str  # the most similar earlier item (``duplicate_of`` unless through a chain)
    exact: bool  # the fingerprints are equal


# --------------------------------------------------------------------------- fingerprint


def _dropped(ch: str) -> bool:
    return unicodedata.category(ch).startswith(_DROP_CATEGORIES) or ch.isspace()


@cache
def _bmp_keep() -> npt.NDArray[np.bool_]:
    """For each code point of the Basic Multilingual Plane: kept in a fingerprint (≈ 20 ms
    once per process)."""
    return np.array([not _dropped(chr(c)) for c in range(0x10000)], dtype=np.bool_)


def _keep_mask(codes: U32) -> npt.NDArray[np.bool_]:
    if not codes.size or int(codes.max()) <= 0xFFFF:
        return _bmp_keep()[codes]
    keep = _bmp_keep()[np.minimum(codes, 0xFFFF)]
    astral = np.flatnonzero(codes > 0xFFFF)
    keep[astral] = [not _dropped(chr(int(c))) for c in codes[astral]]
    return keep


def _encode(text: str, cleaned: bool) -> bytes:
    return (text if cleaned else clean_text(text)).lower().encode("utf-32-le", "surrogatepass")


def fingerprint_codes(text: str, *, cleaned: bool = False) -> U32:
    """The fingerprint of ``text`` as code points: ``clean_text(text)`` lower-cased, without
    punctuation, decorative symbols or whitespace.

    ``cleaned=True`` says ``text`` is already the output of ``clean_text`` (the screening
    step has it): the result is the same, ~90 µs sooner per 300 characters.
    """
    codes = np.frombuffer(_encode(text, cleaned), dtype=np.uint32)
    return codes[_keep_mask(codes)]


def _digest(data: bytes | memoryview) -> int:
    """64-bit digest of a fingerprint's UTF-32 bytes, for the exact tier."""
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


# --------------------------------------------------------------------------- hashing


def _fmix32(h: U32) -> U32:
    """MurmurHash3's 32-bit finalizer, as datasketch applies it before its permutations."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def _odd_constants(seed: int, n: int) -> U64:
    """``n`` random odd 64-bit constants; RandomState's stream is stable across numpy versions."""
    rng = np.random.RandomState(seed)
    high = rng.randint(0, 1 << 32, size=n, dtype=np.uint64) << np.uint64(32)
    low = rng.randint(0, 1 << 32, size=n, dtype=np.uint64)
    return high | low | np.uint64(1)


@cache
def _shingle_base() -> np.uint64:
    return np.uint64(_odd_constants(SEED + 1, 1)[0])


@dataclass(frozen=True)
class _Hashing:
    """Everything derived from (num_perm, shingle, bands, rows): the same on every machine."""

    a: U32  # datasketch's permutations, as columns: (num_perm, 1)
    b: U32
    band_mult: U64  # (bands, rows): equal rows in two bands give two different keys
    check: str  # digest of all constants, written to saved files


@cache
def _hashing(num_perm: int, shingle: int, bands: int, rows: int) -> _Hashing:
    from datasketch import MinHash

    a, b = MinHash(num_perm=num_perm, seed=SEED, scheme=SCHEME).permutations
    a = np.ascontiguousarray(a, dtype=np.uint32).reshape(-1, 1)
    b = np.ascontiguousarray(b, dtype=np.uint32).reshape(-1, 1)
    band_mult = _odd_constants(SEED + 2, bands * rows).reshape(bands, rows)
    digest = hashlib.sha256()
    for part in (a, b, np.array([_shingle_base(), shingle], dtype=np.uint64), band_mult):
        digest.update(part.tobytes())
    return _Hashing(a, b, band_mult, digest.hexdigest()[:16])


def shingle_hashes(codes: U32, shingle: int) -> U32:
    """A 32-bit hash of each character ``shingle``-gram of ``codes``, in order: a polynomial
    hash mod 2^64 (Horner, odd random base, multiplied after every character), upper half.
    This is the "hashfunc" of our datasketch MinHash."""
    base = _shingle_base()
    n = codes.size - shingle + 1
    if n <= 0:
        return np.empty(0, dtype=np.uint32)
    h = codes[:n] * base  # uint32 × uint64 → uint64, wrapping
    for j in range(1, shingle):
        h += codes[j : j + n]
        h *= base  # after the last character too: its bits must reach the upper half
    return (h >> np.uint64(32)).astype(np.uint32)


def choose_bands(threshold: float, num_perm: int, recall: float = BAND_RECALL) -> tuple[int, int]:
    """(bands, rows per band): the longest bands (fewest chance candidates) such that a pair
    with Jaccard similarity ``threshold`` shares a band with probability ≥ ``recall``."""
    for rows in range(num_perm // 2, 0, -1):
        bands = num_perm // rows
        if 1.0 - (1.0 - threshold**rows) ** bands >= recall:
            return bands, rows
    return num_perm, 1


@dataclass
class _Prepared:
    """Fingerprints and MinHashes of a batch of texts."""

    digests: list[int]  # 0 for an empty fingerprint
    sizes: list[int]  # fingerprint characters
    near: list[int]  # per text: its row in ``sig``, -1 when below min_chars
    sig: U32  # (texts in the near tier, num_perm)
    keys: list[list[int]]  # band keys per row of ``sig``


class _Hasher:
    """Fingerprints, MinHashes and band keys of many texts at once: numpy's per-call cost
    (microseconds) is paid once per batch, and the (permutations × shingles) products are
    reduced along contiguous memory; about 2.5× less CPU per text than one at a time."""

    def __init__(self, num_perm: int, shingle: int, bands: int, rows: int, min_chars: int):
        self.num_perm, self.shingle, self.min_chars = num_perm, shingle, min_chars
        self.h = _hashing(num_perm, shingle, bands, rows)
        self.bands, self.rows = bands, rows
        self._buf = np.empty((num_perm, 0), dtype=np.uint32)

    def prepare(self, texts: Sequence[str], cleaned: bool) -> _Prepared:
        if len(texts) == 1:
            return self._prepare_one(texts[0], cleaned)
        encoded = [_encode(t, cleaned) for t in texts]
        raw = np.frombuffer(b"".join(encoded), dtype=np.uint32)
        keep = _keep_mask(raw)
        codes = raw[keep]
        cum = np.zeros(raw.size + 1, dtype=np.int64)
        np.cumsum(keep, out=cum[1:])
        lengths = np.fromiter((len(e) >> 2 for e in encoded), dtype=np.int64, count=len(texts))
        ends = cum[np.cumsum(lengths)]
        starts = np.empty_like(ends)
        starts[:1], starts[1:] = 0, ends[:-1]
        sizes = (ends - starts).tolist()
        data = memoryview(codes.tobytes())
        digests = [
            _digest(data[4 * s : 4 * e]) if e > s else 0
            for s, e in zip(starts.tolist(), ends.tolist(), strict=True)
        ]
        near = [-1] * len(texts)
        chosen = [i for i, size in enumerate(sizes) if size >= self.min_chars]
        for row, i in enumerate(chosen):
            near[i] = row
        sig = self._minhash(codes, starts[chosen], ends[chosen])
        keys = self.band_keys(sig).tolist()
        return _Prepared(digests, sizes, near, sig, keys)

    def _prepare_one(self, text: str, cleaned: bool) -> _Prepared:
        """``prepare`` for one text, in fewer numpy calls (each costs microseconds)."""
        codes = fingerprint_codes(text, cleaned=cleaned)
        size = int(codes.size)
        digest = _digest(codes.tobytes()) if size else 0
        if size < self.min_chars:
            return _Prepared([digest], [size], [-1], np.empty((0, self.num_perm), np.uint32), [])
        if size - self.shingle + 1 > _BLOCK:
            sig = self._minhash(codes, np.zeros(1, dtype=np.int64), np.array([size]))
        else:
            block = self.h.a * _fmix32(shingle_hashes(codes, self.shingle))
            block += self.h.b
            sig = block.min(axis=1)[None, :]
        return _Prepared([digest], [size], [0], sig, self.band_keys(sig).tolist())

    def _minhash(self, codes: U32, starts: I64, ends: I64) -> U32:
        """datasketch's affine32 MinHash of each text's shingles: min over a·fmix32(h) + b."""
        k = self.shingle
        out = np.empty((starts.size, self.num_perm), dtype=np.uint32)
        if not starts.size:
            return out
        hv = _fmix32(shingle_hashes(codes, k))
        # Shingles that start and end inside one text: [start, end - k] of each.
        counts = ends - starts - k + 1
        index = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
        hv = hv[index]
        offsets = np.zeros(counts.size + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        first = 0
        while first < counts.size:
            # Texts whose shingles fit one block together, or one long text in pieces.
            last = int(np.searchsorted(offsets, offsets[first] + _BLOCK, side="right")) - 1
            last = max(last, first + 1)
            lo, hi = int(offsets[first]), int(offsets[last])
            if hi - lo <= _BLOCK:
                block = self._products(hv[lo:hi])
                out[first:last] = np.minimum.reduceat(block, offsets[first:last] - lo, axis=1).T
            else:
                acc = np.full(self.num_perm, 0xFFFFFFFF, dtype=np.uint32)
                for piece in range(lo, hi, _BLOCK):
                    np.minimum(
                        acc,
                        self._products(hv[piece : min(hi, piece + _BLOCK)]).min(axis=1),
                        out=acc,
                    )
                out[first] = acc
            first = last
        return out

    def _products(self, hv: U32) -> U32:
        """a·hv + b for every permutation (rows) and shingle (columns), in a reused buffer."""
        if self._buf.shape[1] < hv.size:
            self._buf = np.empty((self.num_perm, max(_BLOCK, hv.size)), dtype=np.uint32)
        block = self._buf[:, : hv.size]
        np.multiply(self.h.a, hv, out=block)
        np.add(block, self.h.b, out=block)
        return block

    def band_keys(self, sig: U32) -> U64:
        """One 64-bit key per band of each MinHash (rows of ``sig``): a multilinear hash of the
        band's values. Keys live only in memory (``load`` recomputes them)."""
        s = sig[:, : self.bands * self.rows].reshape(-1, self.bands, self.rows)
        return (s.astype(np.uint64) * self.h.band_mult).sum(axis=2, dtype=np.uint64)


# --------------------------------------------------------------------------- the index


class NearDupIndex:
    """Exact and near-duplicate detection over a growing set of items (see module docs)."""

    def __init__(
        self,
        threshold: float = DEFAULT_THRESHOLD,
        num_perm: int = DEFAULT_NUM_PERM,
        shingle: int = DEFAULT_SHINGLE,
        *,
        min_chars: int = MIN_CHARS,
    ) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {threshold!r}")
        if not 16 <= num_perm <= 1024:
            raise ValueError(f"num_perm must be between 16 and 1024, got {num_perm!r}")
        if not 1 <= shingle <= 16:
            raise ValueError(f"shingle must be between 1 and 16 characters, got {shingle!r}")
        if min_chars < shingle:
            raise ValueError(f"min_chars ({min_chars}) must be at least shingle ({shingle})")
        self.threshold = float(threshold)
        self.num_perm = int(num_perm)
        self.shingle = int(shingle)
        self.min_chars = int(min_chars)
        self.bands, self.rows = choose_bands(self.threshold, self.num_perm)
        self._hasher = _Hasher(self.num_perm, self.shingle, self.bands, self.rows, self.min_chars)
        # An estimate k / num_perm is at least the threshold when k reaches this.
        self._min_agree = math.ceil(self.threshold * self.num_perm - 1e-9)
        # Per item, in the order first seen (ordinal = position).
        self._ids: list[str] = []
        self._pos: dict[str, int] = {}
        self._root = array("i")  # ordinal of the first-seen item of the cluster
        self._nearest = array("i")  # ordinal of the most similar earlier item (self if none)
        self._agree = array("H")  # MinHash values equal with nearest (num_perm when exact)
        self._kind = array("b")
        self._digest = array("Q")
        self._row = array("i")  # row in the MinHash matrix, -1 when not in the near tier
        # Exact tier: fingerprint digest → ordinal of the first item with that fingerprint.
        self._exact: dict[int, int] = {}
        # Near tier: MinHash matrix, its owners, and band key → first row (+ later rows).
        self._sig = np.empty((0, self.num_perm), dtype=np.uint32)
        self._nrows = 0
        self._owner = array("i")
        self._table: dict[int, int] = {}
        self._more: dict[int, list[int]] = {}

    # ------------------------------------------------------------------ public API
    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._pos

    def params(self) -> dict[str, Any]:
        return {
            "threshold": self.threshold,
            "num_perm": self.num_perm,
            "shingle": self.shingle,
            "min_chars": self.min_chars,
            "bands": self.bands,
            "rows": self.rows,
        }

    def minhash(self, text: str, *, cleaned: bool = False) -> LeanMinHash:
        """The datasketch ``LeanMinHash`` of ``text``'s fingerprint shingles (any length)."""
        from datasketch import LeanMinHash

        codes = fingerprint_codes(text, cleaned=cleaned)
        if codes.size < self.shingle:
            raise ValueError(f"a MinHash needs at least {self.shingle} fingerprint characters")
        ends = np.array([codes.size], dtype=np.int64)
        sig = self._hasher._minhash(codes, np.zeros(1, dtype=np.int64), ends)[0]
        return LeanMinHash(seed=SEED, hashvalues=sig, scheme=SCHEME)

    def check_and_add(self, item_id: str, text: str, *, cleaned: bool = False) -> Match | None:
        """The first-seen item ``text`` duplicates (None for a new item), then remember it.

        Idempotent: an id seen before gets its first answer again; the same id with another
        text is an error (an id names one text). ``cleaned``: see ``fingerprint_codes``.
        ``check_and_add_many`` gives the same answers several times faster.
        """
        return self.check_and_add_many([(item_id, text)], cleaned=cleaned)[0]

    def check_and_add_many(
        self, items: Sequence[tuple[str, str]], *, cleaned: bool = False
    ) -> list[Match | None]:
        """``check_and_add`` for each (item_id, text) in order: an item may duplicate an
        earlier item of the same batch. Hashes the batch at once; batches of a few dozen
        short texts are fastest (screening's chunks of 500 are split as needed)."""
        answers: list[Match | None] = []
        for lo in range(0, len(items), _BATCH):
            batch = items[lo : lo + _BATCH]
            prepared = self._hasher.prepare([text for _, text in batch], cleaned)
            for i, (item_id, _) in enumerate(batch):
                answers.append(self._check_and_add(item_id, prepared, i))
        return answers

    def query(self, text: str, *, cleaned: bool = False) -> Match | None:
        """What ``check_and_add`` would answer for a new item with ``text``, without adding it."""
        prepared = self._hasher.prepare([text], cleaned)
        digest, size, row = prepared.digests[0], prepared.sizes[0], prepared.near[0]
        if not size:
            return None
        first = self._exact.get(digest)
        if first is not None:
            return Match(self._ids[self._root[first]], 1.0, self._ids[first], True)
        if row < 0:
            return None
        found = self._search(prepared.sig[row], prepared.keys[row])
        if found is None:
            return None
        root, nearest, agree = found
        return Match(self._ids[root], agree / self.num_perm, self._ids[nearest], False)

    def duplicate_of(self, item_id: str) -> str | None:
        """The first-seen item of ``item_id``'s cluster, None when it is the first itself
        (KeyError for an id never indexed)."""
        answer = self._answer(self._pos[item_id])
        return answer.duplicate_of if answer else None

    # ------------------------------------------------------------------ internals
    def _check_and_add(self, item_id: str, prepared: _Prepared, i: int) -> Match | None:
        digest, size, near = prepared.digests[i], prepared.sizes[i], prepared.near[i]
        known = self._pos.get(item_id)
        if known is not None:
            if digest != self._digest[known]:
                raise ValueError(f"item {item_id!r} is already indexed with a different text")
            return self._answer(known)
        ordinal = len(self._ids)
        if not size:
            self._record(item_id, _KIND_EMPTY, ordinal, ordinal, 0, 0, -1)
            return None
        first = self._exact.get(digest)
        if first is not None:
            root = self._root[first]
            self._record(item_id, _KIND_EXACT, root, first, self.num_perm, digest, -1)
            return self._answer(ordinal)
        self._exact[digest] = ordinal
        if near < 0:  # short: exact tier only
            self._record(item_id, _KIND_ORIGINAL, ordinal, ordinal, 0, digest, -1)
            return None
        sig, keys = prepared.sig[near], prepared.keys[near]
        found = self._search(sig, keys)
        row = self._add_row(sig, keys, ordinal)
        if found is None:
            self._record(item_id, _KIND_ORIGINAL, ordinal, ordinal, 0, digest, row)
            return None
        root, nearest, agree = found
        self._record(item_id, _KIND_NEAR, root, nearest, agree, digest, row)
        return self._answer(ordinal)

    def _answer(self, ordinal: int) -> Match | None:
        kind = self._kind[ordinal]
        if kind not in (_KIND_EXACT, _KIND_NEAR):
            return None
        return Match(
            self._ids[self._root[ordinal]],
            self._agree[ordinal] / self.num_perm,
            self._ids[self._nearest[ordinal]],
            kind == _KIND_EXACT,
        )

    def _record(
        self, item_id: str, kind: int, root: int, nearest: int, agree: int, digest: int, row: int
    ) -> None:
        self._pos[item_id] = len(self._ids)
        self._ids.append(item_id)
        self._kind.append(kind)
        self._root.append(root)
        self._nearest.append(nearest)
        self._agree.append(agree)
        self._digest.append(digest)
        self._row.append(row)

    def _search(self, sig: U32, keys: list[int]) -> tuple[int, int, int] | None:
        """(root, nearest, agreeing values) of the best verified candidate, or None."""
        table = self._table
        if table.keys().isdisjoint(keys):
            return None
        rows: set[int] = set()
        for key in keys:
            row = table.get(key)
            if row is not None:
                rows.add(row)
                more = self._more.get(key)
                if more:
                    rows.update(more)
        cand = np.fromiter(rows, dtype=np.intp, count=len(rows))
        agree = np.count_nonzero(self._sig[cand] == sig, axis=1)
        ok = np.flatnonzero(agree >= self._min_agree)
        if not ok.size:
            return None
        best: tuple[int, int, int] | None = None  # (root, -agree, nearest): smallest wins
        for i in ok.tolist():
            nearest = self._owner[int(cand[i])]
            rank = (self._root[nearest], -int(agree[i]), nearest)
            if best is None or rank < best:
                best = rank
        assert best is not None
        return best[0], best[2], -best[1]

    def _add_row(self, sig: U32, keys: list[int], ordinal: int) -> int:
        row = self._nrows
        if row == self._sig.shape[0]:
            grown = np.empty((max(1024, row + row // 2), self.num_perm), dtype=np.uint32)
            grown[:row] = self._sig[:row]
            self._sig = grown
        self._sig[row] = sig
        self._nrows += 1
        self._owner.append(ordinal)
        table = self._table
        if table.keys().isdisjoint(keys):
            table.update(zip(keys, repeat(row)))
        else:
            for key in keys:
                if table.setdefault(key, row) != row:
                    self._more.setdefault(key, []).append(row)
        return row

    # ------------------------------------------------------------------ size
    def bytes_per_item(self) -> float:
        """Memory held by the index per item, in bytes (containers, keys, ids, the MinHash
        matrix as allocated). Walks the whole index: for benchmarks and checks, not hot paths."""
        if not self._ids:
            return 0.0
        size = self._sig.nbytes
        for column in (self._root, self._nearest, self._agree, self._kind, self._digest):
            size += sys.getsizeof(column)
        size += sys.getsizeof(self._row) + sys.getsizeof(self._owner)
        size += sys.getsizeof(self._ids) + sys.getsizeof(self._pos)
        size += sum(sys.getsizeof(i) for i in self._ids)
        size += sys.getsizeof(self._exact) + sum(sys.getsizeof(k) for k in self._exact)
        size += sys.getsizeof(self._table) + sum(sys.getsizeof(k) for k in self._table)
        size += sys.getsizeof(self._more)
        size += sum(sys.getsizeof(k) + sys.getsizeof(v) for k, v in self._more.items())
        # Row and ordinal ints outside the small-int cache: one object per row or item.
        size += 32 * (max(0, self._nrows - 256) + max(0, len(self._ids) - 256))
        return size / len(self._ids)

    # ------------------------------------------------------------------ persistence
    def _meta(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            **self.params(),
            "seed": SEED,
            "scheme": SCHEME,
            "hash_check": self._hasher.h.check,
            "items": len(self._ids),
            "rows_used": self._nrows,
        }

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the index to ``path`` (a .npz file), atomically: a crash leaves the old file."""
        path = Path(path)
        encoded = [i.encode("utf-8", "surrogatepass") for i in self._ids]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(e) for e in encoded], out=offsets[1:])
        arrays: dict[str, Any] = {
            "meta": np.frombuffer(json.dumps(self._meta()).encode("utf-8"), dtype=np.uint8),
            "id_bytes": np.frombuffer(b"".join(encoded), dtype=np.uint8),
            "id_offsets": offsets,
            "root": np.frombuffer(self._root, dtype=np.int32),
            "nearest": np.frombuffer(self._nearest, dtype=np.int32),
            "agree": np.frombuffer(self._agree, dtype=np.uint16),
            "kind": np.frombuffer(self._kind, dtype=np.int8),
            "digest": np.frombuffer(self._digest, dtype=np.uint64),
            "row": np.frombuffer(self._row, dtype=np.int32),
            "owner": np.frombuffer(self._owner, dtype=np.int32),
            "minhash": self._sig[: self._nrows],
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, **arrays)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str],
        *,
        threshold: float | None = None,
        num_perm: int | None = None,
        shingle: int | None = None,
        min_chars: int | None = None,
    ) -> NearDupIndex:
        """Read an index written by ``save``; it continues incrementally.

        Parameters given here must equal those the file was built with (IndexParameterError
        otherwise: rebuild the index, or keep the old setting); a file of another format
        version raises IndexVersionError.
        """
        path = Path(path)
        try:
            data = np.load(path, allow_pickle=False)
        except FileNotFoundError:
            raise
        except Exception as exc:
            raise IndexVersionError(f"{path} is not a near-duplicate index ({exc})") from exc
        with data:
            try:
                meta = json.loads(bytes(data["meta"]).decode("utf-8"))
            except (KeyError, ValueError) as exc:
                raise IndexVersionError(f"{path} is not a near-duplicate index ({exc})") from exc
            if not isinstance(meta, dict) or meta.get("format") != FORMAT:
                raise IndexVersionError(f"{path} is not a near-duplicate index ({FORMAT})")
            if meta.get("version") != FORMAT_VERSION:
                raise IndexVersionError(
                    f"{path} was written by {FORMAT} version {meta.get('version')!r}; this is "
                    f"version {FORMAT_VERSION}: rebuild the index from the stored items"
                )
            asked = {
                "threshold": threshold,
                "num_perm": num_perm,
                "shingle": shingle,
                "min_chars": min_chars,
            }
            differ = [
                f"{name} {meta[name]!r} (asked {value!r})"
                for name, value in asked.items()
                if value is not None and value != meta[name]
            ]
            if differ:
                raise IndexParameterError(
                    f"{path} was built with " + ", ".join(differ) + ": rebuild the index or "
                    "keep the setting it was built with"
                )
            index = cls(
                meta["threshold"], meta["num_perm"], meta["shingle"], min_chars=meta["min_chars"]
            )
            if (
                index.bands,
                index.rows,
                index._hasher.h.check,
                meta.get("scheme"),
                meta.get("seed"),
            ) != (
                meta["bands"],
                meta["rows"],
                meta["hash_check"],
                SCHEME,
                SEED,
            ):
                raise IndexVersionError(
                    f"{path} was written with other hash functions (datasketch or pqrisk "
                    "changed them): rebuild the index from the stored items"
                )
            try:
                index._fill(data, meta)
            except KeyError as exc:
                raise IndexVersionError(f"{path} is incomplete: no {exc} array") from exc
        return index

    def _fill(self, data: Any, meta: dict[str, Any]) -> None:
        blob = data["id_bytes"].tobytes()
        offsets = data["id_offsets"].tolist()
        self._ids = [
            blob[offsets[i] : offsets[i + 1]].decode("utf-8", "surrogatepass")
            for i in range(len(offsets) - 1)
        ]
        if len(self._ids) != meta["items"]:
            raise IndexVersionError("the index file is truncated (item count differs)")
        self._pos = {item_id: i for i, item_id in enumerate(self._ids)}
        self._root = array("i", data["root"].astype(np.int32).tobytes())
        self._nearest = array("i", data["nearest"].astype(np.int32).tobytes())
        self._agree = array("H", data["agree"].astype(np.uint16).tobytes())
        self._kind = array("b", data["kind"].astype(np.int8).tobytes())
        self._digest = array("Q", data["digest"].astype(np.uint64).tobytes())
        self._row = array("i", data["row"].astype(np.int32).tobytes())
        self._owner = array("i", data["owner"].astype(np.int32).tobytes())
        kinds = data["kind"]
        digests = data["digest"]
        # The first item of each fingerprint (in order seen), except empty fingerprints.
        with_text = np.flatnonzero(kinds != _KIND_EMPTY)
        uniq, first = np.unique(digests[with_text], return_index=True)
        self._exact = dict(zip(uniq.tolist(), with_text[first].tolist(), strict=True))
        sig = np.ascontiguousarray(data["minhash"], dtype=np.uint32)
        self._nrows = sig.shape[0]
        self._sig = np.empty((max(1024, self._nrows), self.num_perm), dtype=np.uint32)
        self._sig[: self._nrows] = sig
        self._table, self._more = {}, {}
        if self._nrows:
            keys = self._hasher.band_keys(sig).ravel()
            rows = np.repeat(np.arange(self._nrows, dtype=np.int64), self.bands)
            order = np.argsort(keys, kind="stable")  # equal keys keep their rows in order
            keys, rows = keys[order], rows[order]
            head = np.ones(keys.size, dtype=np.bool_)
            head[1:] = keys[1:] != keys[:-1]
            self._table = dict(zip(keys[head].tolist(), rows[head].tolist(), strict=True))
            for key, row in zip(keys[~head].tolist(), rows[~head].tolist(), strict=True):
                self._more.setdefault(key, []).append(row)

    @classmethod
    def load_or_new(
        cls,
        path: str | os.PathLike[str],
        threshold: float = DEFAULT_THRESHOLD,
        num_perm: int = DEFAULT_NUM_PERM,
        shingle: int = DEFAULT_SHINGLE,
        *,
        min_chars: int = MIN_CHARS,
    ) -> NearDupIndex:
        """The index saved at ``path`` (which must have these parameters), or a new one."""
        if Path(path).exists():
            return cls.load(
                path, threshold=threshold, num_perm=num_perm, shingle=shingle, min_chars=min_chars
            )
        return cls(threshold, num_perm, shingle, min_chars=min_chars)
