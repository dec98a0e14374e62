"""Hostile text for property tests: NUL, quotes, LIKE wildcards, backslashes, emoji, long."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from hypothesis import strategies as st

#: Characters that break naive SQL, LIKE patterns, CSV, JSON, shells and terminals.
NASTY = [
    "\x00",
    "'",
    '"',
    "%",
    "_",
    "\\",
    "\\%",
    "\\_",
    ";",
    "--",
    "/*",
    "*/",
    "\n",
    "\r",
    "\r\n",
    "\t",
    ",",
    "\u200b",
    "\u202e",
    "\ufeff",
    "\u00a0",
    "🙂",
    "👩‍👩‍👧",
    "𝕏",
    "Ω",
    "ß",
    "İ",
    "中文",
    "\x1b[31m",
    "$1",
    "%s",
    "%(x)s",
    "{0}",
    ":name",
    "?",
    "NULL",
    "null",
    "DROP TABLE",
    '"; DROP TABLE "user"; --',
    "\\u0000",
    "\\ud800",
    "@",
]

#: Any Unicode except surrogates (which cannot be encoded as UTF-8 at all).
unicode_chars = st.characters(blacklist_categories=("Cs",))

#: Short hostile fragments glued together, plain Unicode, and very long strings.
hostile_text = st.one_of(
    st.lists(st.sampled_from(NASTY) | st.text(unicode_chars, max_size=6), max_size=8).map("".join),
    st.text(unicode_chars, max_size=60),
    st.builds(
        lambda piece, n: (piece or "x") * n,
        st.sampled_from(NASTY) | st.text(unicode_chars, min_size=1, max_size=3),
        st.integers(200, 5_000),
    ),
)

#: Mostly plausible email-like text, with hostile parts.
hostile_email = st.one_of(
    hostile_text,
    st.builds(
        lambda local, domain, tld: f"{local}@{domain}.{tld}",
        hostile_text,
        hostile_text,
        st.sampled_from(["com", "org", "io", "🙂", "%", ""]),
    ),
)

json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    hostile_text,
)
json_values = st.recursive(
    json_leaf,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(hostile_text, children, max_size=4)
    ),
    max_leaves=12,
)


def _deep(n: int) -> str:
    return "[" * n + "]" * n


#: What someone may paste into a JSON editor: valid JSON of any shape, broken JSON,
#: escapes PostgreSQL refuses (\u0000, lone surrogates), NaN, absurd nesting.
json_text = st.one_of(
    json_values.map(json.dumps),
    json_values.map(lambda v: json.dumps(v, ensure_ascii=False)),
    hostile_text,
    st.sampled_from(
        [
            "",
            "{",
            "[1,]",
            '{"a": NaN}',
            '{"a": Infinity}',
            '{"a": "\\u0000"}',
            '{"a": "\\ud800"}',
            '{"a": "\\udc00\\ud800"}',
            '{"a": 1e999}',
            '{"a": -Infinity}',
            "[1" + "0" * 5_000 + "]",
            '{"a": "\\ud83d\\ude42"}',
            '{"a": 1, "a": 2}',
            "null",
            "true",
            "42",
            '"text"',
            "\ufeff{}",
            _deep(50),
            _deep(5_000),
            _deep(200_000),
        ]
    ),
)


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """The strategy, or a value of the wrong type altogether."""
    return st.one_of(
        strategy,
        st.none(),
        st.integers(-5, 10**20),
        st.booleans(),
        st.lists(st.integers(), max_size=2),
    )


@cache
def generated_pem(traditional: bool = False) -> str:
    """A private key made for this test run (PKCS#8, or the traditional "RSA" form): tests
    generate their keys, the repository holds none."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    kind = serialization.PrivateFormat
    return key.private_bytes(
        serialization.Encoding.PEM,
        kind.TraditionalOpenSSL if traditional else kind.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def pem_frame(traditional: bool = False) -> tuple[str, str]:
    """The first and last line of a generated key: its BEGIN and END markers."""
    lines = generated_pem(traditional).strip().splitlines()
    return lines[0], lines[-1]
