"""Case-insensitive header lookup over whatever mapping a web framework hands us."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeAlias

from .exceptions import ConfigurationError

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


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        # HTTP header bytes are ISO-8859-1 by definition; this never fails.
        return bytes(value).decode("latin-1")
    raise TypeError


def header_values(headers: Headers | None, lower_name: str) -> list[str]:
    """Every value of the header ``lower_name`` (lower-case ASCII), in the order received.

    Iterating ``items()`` (rather than calling ``get``) is what makes the lookup
    case-insensitive for a plain ``dict`` and lets repeated headers, which Werkzeug and
    Starlette keep, be seen and refused instead of silently picking one of them.

    Raises:
        ConfigurationError: ``headers`` is not a mapping of str/bytes names to str/bytes values.
    """
    if headers is None:
        return []
    size = len(lower_name)
    found: list[str] = []
    try:
        for name, value in headers.items():
            # This runs on every request, over every header: compare lengths first so the
            # other headers are not lowered. It cannot skip a match: a bytes name decodes
            # (latin-1) to as many characters, and a name whose lower() is ASCII has the same
            # length (the one character that lowers to two, U+0130, lowers to a non-ASCII
            # pair). Every name is still checked to be str or bytes.
            text = name if type(name) is str else _text(name)
            if len(text) == size and text.lower() == lower_name:
                found.append(value if type(value) is str else _text(value))
    except (AttributeError, TypeError, ValueError):
        raise ConfigurationError(
            "headers must be a mapping of header names to str or bytes values, "
            "such as request.headers.",
        ) from None
    return found
