"""Numbers from URLs and query strings, parsed one way everywhere.

`str.isdigit()` accepts "²" and "١" (which `int()` then refuses or reads as other digits), and a 30-digit id
overflows SQLite's integers: both answered 500. Here only ASCII digits within a stated range are a number.
"""

from __future__ import annotations

MAX_ID = 2**63 - 1  # the largest id either database stores


def parse_int(raw: str | None, *, low: int = 0, high: int = MAX_ID) -> int | None:
    """The integer `raw` spells in ASCII digits, if it lies in [low, high]; None for anything else."""
    if raw is None:
        return None
    raw = raw.strip()
    if not raw or not raw.isascii() or not raw.isdigit() or len(raw) > len(str(high)):
        return None
    value = int(raw)
    return value if low <= value <= high else None


def is_number(raw: str) -> bool:
    """Whether a URL part names something by number (a record id) rather than by slug."""
    return bool(raw) and raw.isascii() and raw.isdigit()
