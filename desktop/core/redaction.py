"""Scrubbing secrets out of text meant for people or files (crash reports, logs).

Two nets: patterns that look like secrets wherever they come from (a password in a URL or
a libpq `password=` setting, a PEM private key, a `"password"`/`"private_key"` JSON value),
and the exact values this process has handled as secrets (`remember()`: keyring passwords,
typed passwords, revealed plugin credentials, service-account keys). The remembered values
live in memory only, for this run.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from typing import Any

MASK = "***"
#: The PEM armour of a private key ("-----BEGIN … PRIVATE KEY-----"), in parts.
_PEM = "-----"
_KEY = "PRIVATE KEY"
#: Shorter values are not remembered: masking "a" everywhere would make reports unreadable.
MIN_SECRET_CHARS = 4

_lock = threading.Lock()
_remembered: set[str] = set()

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # scheme://user:password@host  (SQLAlchemy and libpq URLs)
    (re.compile(r"(?P<pre>[a-zA-Z][\w+.-]*://[^:/?#@\s]*:)[^@\s/]+(?=@)"), r"\g<pre>" + MASK),
    # libpq / ini style: password=secret, PGPASSWORD=secret
    (
        re.compile(r"(?P<pre>\b(?:pg)?pass(?:word)?\s*[=:]\s*)(?!['\"{\[])[^\s,;&'\"]+", re.I),
        r"\g<pre>" + MASK,
    ),
    # JSON / Python reprs: "password": "secret", 'private_key': '...'
    (
        re.compile(
            r"(?P<pre>['\"](?:[\w-]*pass(?:word)?|[\w-]*secret[\w-]*|private_key(?:_id)?|"
            r"api_key|token|credentials?)['\"]\s*:\s*)(?P<q>['\"])(?:\\.|(?!(?P=q)).)*(?P=q)",
            re.I,
        ),
        r"\g<pre>'" + MASK + "'",
    ),
    # PEM private keys, escaped (\n) or not
    (
        re.compile(rf"{_PEM}BEGIN [A-Z ]*{_KEY}{_PEM}.*?{_PEM}END [A-Z ]*{_KEY}{_PEM}", re.S),
        f"{_PEM}BEGIN {_KEY}{_PEM}{MASK}{_PEM}END {_KEY}{_PEM}",
    ),
)


def remember(*values: str | None) -> None:
    """Treat each value as a secret from now on (in memory, this run only)."""
    with _lock:
        for value in values:
            if isinstance(value, str) and len(value.strip()) >= MIN_SECRET_CHARS:
                _remembered.add(value)
                stripped = value.strip()
                if stripped != value:
                    _remembered.add(stripped)


def remember_leaves(value: Any) -> None:
    """Remember every string leaf of a JSON value (plugin credentials, a service account)."""
    remember(*_leaves(value))


def _leaves(value: Any) -> Iterable[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    elif isinstance(value, str):  # numbers and flags are not secrets, and too common
        yield value


def forget_all() -> None:
    """Drop every remembered value (tests)."""
    with _lock:
        _remembered.clear()


def scrub(text: str) -> str:
    """`text` with every remembered secret and every secret-looking pattern masked."""
    with _lock:
        known = sorted(_remembered, key=len, reverse=True)  # longest first: no partial leaks
    for secret in known:
        if secret in text:
            text = text.replace(secret, MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text
