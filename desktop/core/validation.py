"""Field rules shared by every form and import: what the schema accepts, said plainly."""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

from desktop.core.errors import KnownError

MAX_NAME = 255
MAX_EMAIL = 320  # RFC 5321: 64 for the local part + @ + 255 for the domain
MAX_TEXT = 1_000
MAX_JSON_BYTES = 1_000_000
#: The largest id PostgreSQL's bigint holds; a larger one would be a database error.
MAX_ID = 2**63 - 1
#: Deeper JSON is refused: real settings never nest this far, and Python's parser and
#: serialiser recurse (a RecursionError is not a message for people).
MAX_JSON_DEPTH = 100

# Deliberately simple: one @, no spaces, a dot in the domain. Real validation is delivery.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


#: Invisible characters that change how text around them is shown: bidirectional embeddings,
#: overrides, isolates and marks (Trojan Source, CVE-2021-42574), and zero-width characters.
INVISIBLE = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    "\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff\u180e\u00ad"
)
#: Control characters (C0, DEL, C1: category Cc), line and paragraph separators, and
#: surrogates (not characters at all).
_UNSAFE_CATEGORIES = frozenset({"Cc", "Zl", "Zp", "Cs"})


def is_unsafe_char(char: str) -> bool:
    """A character that must not reach a terminal or a single-line label unescaped: a
    control character (C0, DEL, C1 such as U+009B CSI), a line separator, or one of
    INVISIBLE (bidi overrides and isolates, zero-width characters)."""
    return char in INVISIBLE or unicodedata.category(char) in _UNSAFE_CATEGORIES


def describe_char(char: str) -> str:
    """`U+202E RIGHT-TO-LEFT OVERRIDE`: a character named safely, for a message."""
    name = unicodedata.name(char, "")
    if not name and unicodedata.category(char) == "Cc":
        name = "control character"
    return f"U+{ord(char):04X} {name}".rstrip()


def first_unsafe_char(value: str) -> str | None:
    """The first character of `value` for which `is_unsafe_char` holds, or None."""
    return next((c for c in value if is_unsafe_char(c)), None)


def refuse_unsafe_chars(label: str, value: str) -> None:
    """Raise ValueError naming the first control, bidi-control or zero-width character."""
    char = first_unsafe_char(value)
    if char is not None:
        raise ValueError(
            f"{label} must not contain control or invisible characters "
            f"(found {describe_char(char)})."
        )


def escape_unsafe(text: str, *, keep: str = "") -> str:
    """`text` with every unsafe character (see `is_unsafe_char`, except those in `keep`)
    written as a visible escape (\\x1b, \\u202e): safe to print to a terminal."""
    if not any(is_unsafe_char(c) and c not in keep for c in text):
        return text
    out = []
    for char in text:
        if char in keep or not is_unsafe_char(char):
            out.append(char)
        elif ord(char) < 0x100:
            out.append(f"\\x{ord(char):02x}")
        else:
            out.append(f"\\u{ord(char):04x}")
    return "".join(out)


class ValidationError(KnownError):
    """One or more fields are wrong; `problems` maps each field to its message."""

    def __init__(self, problems: dict[str, str]) -> None:
        first_field, first_message = next(iter(problems.items()))
        super().__init__(first_message, field=first_field)
        self.problems = problems


def text_field(label: str, value: Any, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    """A single-line string: no NUL, not blank when required, at most `limit` characters."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValueError(f"{label} must be text.")
    if "\x00" in value:
        raise ValueError(f"{label} contains a NUL character, which PostgreSQL cannot store.")
    stripped = value.strip()
    if required and not stripped:
        raise ValueError(f"{label} is required.")
    if len(stripped) > limit:
        raise ValueError(f"{label} is too long ({len(stripped):,} characters; at most {limit:,}).")
    return stripped


def email_field(value: Any) -> str:
    email = text_field("Email", value, limit=MAX_EMAIL)
    refuse_unsafe_chars("Email", email)
    if not _EMAIL.match(email):
        raise ValueError(f"{email!r} is not a valid email address.")
    return email


def json_field(label: str, value: Any) -> Any:
    """Parse JSON text (or accept an already-parsed object); must be an object or array."""
    if isinstance(value, dict | list):
        parsed = value
        if _value_depth(value) > MAX_JSON_DEPTH:
            raise ValueError(f"{label} is nested too deeply (at most {MAX_JSON_DEPTH} levels).")
        size = len(json.dumps(value))
    else:
        raw = text_field(label, value, limit=MAX_JSON_BYTES * 4)
        size = len(raw.encode())
        if size > MAX_JSON_BYTES:
            limit_mb = MAX_JSON_BYTES / 1e6
            raise ValueError(
                f"{label} is too large ({size / 1e6:.1f} MB; at most {limit_mb:.0f} MB)."
            )
        if _bracket_depth(raw) > MAX_JSON_DEPTH:
            raise ValueError(f"{label} is nested too deeply (at most {MAX_JSON_DEPTH} levels).")
        try:
            parsed = json.loads(raw, parse_constant=lambda name: _no_constant(label, name))
        except json.JSONDecodeError as exc:
            raise ValueError(
                f"{label} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
            ) from None
        except ValueError as exc:  # NaN / Infinity (above), or an integer of 4,300+ digits
            if str(exc).startswith(label):
                raise
            raise ValueError(f"{label} is not valid JSON: a number has too many digits.") from None
    if size > MAX_JSON_BYTES:
        raise ValueError(f"{label} is too large (at most {MAX_JSON_BYTES / 1e6:.0f} MB).")
    if not isinstance(parsed, dict | list):
        raise ValueError(f"{label} must be a JSON object or array.")
    try:
        # What PostgreSQL's json type accepts: no NaN/Infinity (nor numbers too big for a
        # float, which Python reads as infinity), no lone UTF-16 surrogates.
        json.dumps(parsed, allow_nan=False, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:  # (a ValueError too: checked first)
        raise ValueError(
            f"{label} contains an invalid \\u escape (half of a surrogate pair)."
        ) from None
    except ValueError:
        raise ValueError(
            f"{label} contains NaN, Infinity or a number too large for JSON."
        ) from None
    if "\\u0000" in json.dumps(parsed):
        raise ValueError(f"{label} contains a NUL character, which PostgreSQL cannot store.")
    return parsed


def _no_constant(label: str, name: str) -> Any:
    raise ValueError(f"{label} is not valid JSON: {name} is not a JSON value.")


def _bracket_depth(raw: str) -> int:
    """The deepest [ / { nesting of JSON text, ignoring brackets inside strings."""
    depth = deepest = 0
    in_string = escaped = False
    for char in raw:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _value_depth(value: Any) -> int:
    """The nesting depth of a parsed JSON value, without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if depth > MAX_JSON_DEPTH:
                break
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest


def collect(checks: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Run `field -> zero-argument check` callables; return (clean values, problems)."""
    clean: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for field, check in checks.items():
        try:
            clean[field] = check()
        except ValueError as exc:
            problems[field] = str(exc)
    return clean, problems
