"""A rare term's trigram scan is driven by its rarest pieces, which the term implies."""

from __future__ import annotations

import re
from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from desktop.services.trigram_drive import Frequencies, drive, trigrams

NAMES = ["grace tanaka", "grace smith", "zoe tanaka", "zoe haddad"] * 250
SAMPLE = Frequencies(
    len(NAMES), {"email": Counter(t for n in NAMES for t in trigrams(n.replace(" ", ".")))}
)


def like(pattern: str, text: str) -> bool:
    """LIKE `pattern` (only % wildcards, no escapes in these pieces) on `text`, ignoring case."""
    regex = ".*".join(re.escape(piece) for piece in pattern.split("%"))
    return re.fullmatch(regex, text, flags=re.IGNORECASE | re.DOTALL) is not None


def test_the_common_parts_are_left_to_the_whole_terms_filter() -> None:
    patterns = drive("grace.tanaka6711028", SAMPLE, 10_000_000)
    assert patterns is not None
    # Only the number drives the index: no sampled value has its trigrams.
    assert re.fullmatch(r"%[0-9%]+%", patterns["email"]), patterns
    assert like(patterns["email"], "grace.tanaka6711028")


def test_a_term_whose_every_trigram_is_needed_drives_with_itself() -> None:
    assert drive("zoe", SAMPLE, 10_000_000) is None  # one trigram
    assert drive("ab", SAMPLE, 10_000_000) is None  # none


@given(
    term=st.text(alphabet="abcxyz0129.-_%é İ", min_size=1, max_size=30),
    common=st.lists(st.text(alphabet="abcxyz0129", min_size=3, max_size=3), max_size=20),
    rows=st.integers(min_value=1, max_value=10**8),
)
def test_every_drive_pattern_matches_the_term_itself(
    term: str, common: list[str], rows: int
) -> None:
    """The pieces are the term's own, in order and apart: any value containing the term
    matches the drive, so the scan it drives loses no row."""
    frequencies = Frequencies(100, {"name": Counter({t: 60 for t in common}), "email": Counter()})
    patterns = drive(term, frequencies, rows)
    if patterns is None:
        return
    for pattern in patterns.values():
        assert "_" not in pattern and "\\" not in pattern
        assert like(pattern, "x" + term + "y"), (pattern, term)
