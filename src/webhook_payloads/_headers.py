"""The signature header's lookup, over whatever mapping a web framework hands us."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .exceptions import ConfigurationError

if TYPE_CHECKING:
    from ._types import Headers

__all__ = ["HeaderName", "header_value"]


class HeaderName:
    """A header's documented spelling and its lower-case spelling, derived once."""

    __slots__ = ("lower", "name")

    def __init__(self, name: str) -> None:
        """Keep ``name`` as the provider documents it, and its lower case."""
        self.name = name
        self.lower = name.lower()


def header_value(headers: Headers | None, header: HeaderName) -> str | None:
    """The value of ``header`` in ``headers``, or ``None`` when it is absent.

    The mapping's own ``get`` is asked for the documented spelling, then for the lower-case
    one (the header objects of Django, Werkzeug and Starlette are case-insensitive already;
    a plain ``dict`` usually holds one of the two). Only when neither finds it are the
    items walked, comparing names without regard to case. Whichever value a framework
    returns for a repeated header must still match the signature, so nothing forged passes.

    Raises:
        ConfigurationError: ``headers`` is not a mapping, or the header's name or value is
            neither ``str`` nor ``bytes``.
    """
    if headers is None:
        return None
    try:
        get = getattr(headers, "get", None)
        value = None if get is None else get(header.name)
        if type(value) is str:  # what nearly every request finds: the documented spelling
            return value
        if value is None and get is not None:
            value = get(header.lower)
        if value is None:
            value = _walk(headers, header)
        return None if value is None else _text(value)
    except ConfigurationError:
        raise
    except Exception as error:  # noqa: BLE001 - a broken mapping is the caller's to fix
        failure = type(error).__name__
    # Raised outside the except block, so no header value rides along as __context__.
    raise ConfigurationError(
        f"Reading the request headers failed ({failure}); pass the framework's "
        "request.headers or a dict of str."
    )


def _walk(headers: Any, header: HeaderName) -> object:
    if not callable(getattr(headers, "items", None)):
        raise ConfigurationError(
            "The headers must be a mapping of names to values (a dict or the framework's "
            f"request.headers), not {type(headers).__name__}."
        )
    for name, value in headers.items():
        if value is not None and _text(name).lower() == header.lower:
            return value
    return None


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    # HTTP header bytes are ISO-8859-1 by definition; decoding them never fails.
    if isinstance(value, (bytes, bytearray)):
        return value.decode("latin-1")  # pragma: no mutate
    raise ConfigurationError(
        f"Header names and values must be str or bytes, not {type(value).__name__}."
    )
