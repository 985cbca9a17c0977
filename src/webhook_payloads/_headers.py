"""Case-insensitive header lookup over whatever mapping a web framework hands us."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeAlias, cast

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


def _text(value: str | bytes | bytearray) -> str:
    # HTTP header bytes are ISO-8859-1 by definition; this never fails.
    if isinstance(value, (bytes, bytearray)):
        # Codec names are case-insensitive: "LATIN-1" is the same codec (equivalent mutant).
        return value.decode("latin-1")  # pragma: no mutate
    return value


def header_values(headers: Headers | None, lower_name: str) -> list[str]:
    """Every value of the header ``lower_name`` (lower-case ASCII), in the order received.

    Iterating ``items()`` (rather than calling ``get``) is what makes the lookup
    case-insensitive for a plain ``dict`` and lets repeated headers, which Werkzeug and
    Starlette keep, be seen and refused instead of silently picking one of them.

    Raises:
        ConfigurationError: ``headers`` has no ``items()``, or a name or value is neither
            ``str`` nor ``bytes`` (a value of ``None`` counts as absent).
    """
    if headers is None:
        return []
    if not callable(getattr(headers, "items", None)):
        raise ConfigurationError(
            "The headers must be a mapping of names to values (a dict or the framework's "
            f"request.headers), not {type(headers).__name__}."
        )
    size = len(lower_name)
    found: list[str] = []
    # Typed callers pass str or bytes; untyped ones may pass anything, so check each pair.
    # cast() does nothing at run time, whatever its type string says (equivalent mutants).
    # One cast for the whole iterable: typing.cast is a function call, too dear per header.
    pairs = cast("Iterable[tuple[object, object]]", headers.items())  # pragma: no mutate
    for pair in pairs:
        try:
            name, value = pair
        except (TypeError, ValueError):  # items() of an odd object: not (name, value) pairs
            raise ConfigurationError(
                "The headers' items() must give (name, value) pairs, like a dict's."
            ) from None
        # This runs on every request, over every header. A str name and value, what web
        # frameworks hand over, need none of the checks below; the others get all of them.
        # Sending a str pair through the checks too changes nothing (equivalent mutants).
        if type(name) is not str or type(value) is not str:  # pragma: no mutate
            # A mapping filled with headers.get(...) holds None for a header that was not sent.
            if value is None:
                continue
            if not isinstance(name, (str, bytes, bytearray)) or not isinstance(
                value, (str, bytes, bytearray)
            ):
                raise ConfigurationError(
                    "Header names and values must be str or bytes, "
                    f"not {type(name).__name__} and {type(value).__name__}."
                )
            name = _text(name)
        # Compare lengths first, so the other headers are not lowered. It cannot skip a
        # match: a bytes name decodes (latin-1) to as many characters, and a name whose
        # lower() is ASCII has the same length (the one character that lowers to two, U+0130,
        # lowers to a non-ASCII pair).
        if len(name) == size and name.lower() == lower_name:
            found.append(_text(value))
    return found
