"""The rarest pieces of a search term, to drive a trigram index scan with.

A GIN trigram scan reads the posting list of every trigram of the pattern. For a rare term
made of common parts (`grace.tanaka6711028`: a first name, a surname and a number) most
of that work is on the common ones: at ten million users the email index read 2,340
pages for it, and 148 for `6711028` alone. The index is therefore asked for the term's
rarest pieces only (`%671%1028%`, in the term's order), and every row it returns is then
filtered by the whole term, so the rows found are exactly the term's.

How rare a trigram is comes from a sample of each searched column (`SAMPLE_ROWS` rows,
read once per database and view, at connect).
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select, tablesample
from sqlalchemy.engine import Connection

from desktop.db import queries

SAMPLE_ROWS = 3_000
#: Rows the chosen pieces may still match (by the sample, trigrams taken as independent)
#: before another piece is added; at most `MAX_PIECES` trigrams drive the scan.
CANDIDATES = 50
MAX_PIECES = 4
#: pg_trgm's words: runs of letters and digits.
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Frequencies:
    """In how many sampled values each trigram occurs, per searched column."""

    sampled: int
    columns: dict[str, Counter[str]]


_cache: dict[tuple[str, str], Frequencies] = {}
_lock = threading.Lock()


def trigrams(value: str) -> set[str]:
    """The trigrams inside the words of `value` (no padding), lower case."""
    return {word[i : i + 3] for word in _WORD.findall(value.lower()) for i in range(len(word) - 2)}


def sample(connection: Connection, view: str, table_rows: int) -> Frequencies:
    """The trigram frequencies of the view's searched columns (read once per database)."""
    key = (connection.engine.url.render_as_string(hide_password=True), view)
    with _lock:
        known = _cache.get(key)
    if known is not None:
        return known
    table = queries.TABLES[view]
    percent = min(100.0, 100.0 * SAMPLE_ROWS / max(table_rows, 1))
    sampled = tablesample(table, func.system(percent), name="sampled")
    columns = queries.SEARCHED[view]
    values = connection.execute(select(*(sampled.c[c] for c in columns)).limit(SAMPLE_ROWS)).all()
    counts: dict[str, Counter[str]] = {c: Counter() for c in columns}
    for row in values:
        for column, value in zip(columns, row, strict=True):
            if value:
                counts[column].update(trigrams(str(value)))
    found = Frequencies(len(values), counts)
    with _lock:
        _cache[key] = found
    return found


def drive(term: str, frequencies: Frequencies, table_rows: int) -> dict[str, str] | None:
    """Per searched column, a LIKE pattern of the term's rarest pieces (implied by the
    term: its own substrings, in order, apart); None when the whole term is as good."""
    windows = [
        (match.start() + i, match.group()[i : i + 3])
        for match in _WORD.finditer(term)
        for i in range(len(match.group()) - 2)
    ]
    if len(windows) <= 1 or frequencies.sampled == 0:
        return None
    patterns: dict[str, str] = {}
    for column, counts in frequencies.columns.items():
        share = {pos: (counts[tri.lower()] + 0.5) / frequencies.sampled for pos, tri in windows}
        chosen: list[int] = []
        expected = float(table_rows)
        for pos in sorted(share, key=lambda p: (share[p], -p)):
            if expected <= CANDIDATES or len(chosen) == MAX_PIECES:
                break
            chosen.append(pos)
            expected *= share[pos]
        if len(chosen) == len(windows):
            return None  # every trigram is needed: the whole term drives the scan
        patterns[column] = _pattern(term, sorted(chosen))
    return patterns


def _pattern(term: str, starts: list[int]) -> str:
    """`%piece%piece%` of the trigrams starting at `starts`, overlapping ones merged."""
    pieces: list[tuple[int, int]] = []
    for start in starts:
        if pieces and start <= pieces[-1][1]:
            pieces[-1] = (pieces[-1][0], start + 3)
        else:
            pieces.append((start, start + 3))
    return "%" + "%".join(term[a:b] for a, b in pieces) + "%"
