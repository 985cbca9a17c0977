"""Case-insensitive header lookup over whatever mapping a web framework hands us."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeAlias

__all__ = ["Headers", "header_values"]


class _SupportsItems(Protocol):
    """Anything with ``items()``: dict, Django HttpHeaders, Werkzeug and Starlette Headers."""

    def items(self) -> Iterable[tuple[str | bytes, str | bytes]]: ...  # pragma: no cover


class _SupportsStrItems(Protocol):
    def items(self) -> Iterable[tuple[str, str]]: ...  # pragma: no cover


class _SupportsBytesItems(Protocol):
    def items(self) -> Iterable[tuple[bytes, bytes]]: ...  # pragma: no cover


Headers: TypeAlias = _SupportsStrItems | _SupportsBytesItems | _SupportsItems
"""A mapping of header names to values (``str`` or ``bytes``), in any letter case."""


def _text(value: str | bytes) -> str:
    # HTTP header bytes are ISO-8859-1 by definition; this never fails.
    return value.decode("latin-1") if isinstance(value, (bytes, bytearray)) else value


def header_values(headers: Headers | None, lower_name: str) -> list[str]:
    """Every value of the header ``lower_name`` (lower-case ASCII), in the order received.

    Iterating ``items()`` (rather than calling ``get``) is what makes the lookup
    case-insensitive for a plain ``dict`` and lets repeated headers, which Werkzeug and
    Starlette keep, be seen and refused instead of silently picking one of them.
    """
    if headers is None:
        return []
    size = len(lower_name)
    found: list[str] = []
    for name, value in headers.items():
        # This runs on every request, over every header: compare lengths first so the other
        # headers are skipped without being decoded or lowered. It cannot skip a match: a
        # bytes name decodes (latin-1) to as many characters, and a name whose lower() is
        # ASCII has the same length (the one character that lowers to two, U+0130, lowers
        # to a non-ASCII pair).
        if (
            len(name) == size
            and (name.lower() if type(name) is str else _text(name).lower()) == lower_name
        ):
            found.append(value if type(value) is str else _text(value))
    return found
