"""Case-insensitive header lookup over whatever mapping a web framework hands us."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from operator import itemgetter
from typing import Any, Final, Protocol, TypeAlias, cast

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


def header_values(
    headers: Headers | None,
    lower_name: str,
    spelling: str = "",  # pragma: no mutate - only speeds a dict up; see below
) -> list[str]:
    """Every value of the header ``lower_name`` (lower-case ASCII), in the order received.

    Iterating ``items()`` (rather than calling ``get``) is what makes the lookup
    case-insensitive for a plain ``dict`` and lets repeated headers, which Werkzeug and
    Starlette keep, be seen and refused instead of silently picking one of them (see
    :func:`_scan`). A plain ``dict`` of ``str``, and the header objects of Django and of
    Flask (Werkzeug's ``EnvironHeaders``), are answered without that loop, with the same
    result; ``spelling`` (the provider's documented spelling) is looked up first.

    Only the header looked up has its value checked: the other headers are none of our
    business, whatever they hold.

    Raises:
        ConfigurationError: ``headers`` has no ``items()``, a name is neither ``str`` nor
            ``bytes``, or the header's value is neither (a value of ``None`` counts as absent).
    """
    # Whatever a shortcut does not answer (it returns None), _scan() does, with the same
    # result: skipping or weakening one changes only the speed (equivalent mutants, here,
    # in _from_dict and in the framework lookups; tests/test_fast_paths.py checks that each
    # agrees with the scan).
    kind = type(headers)  # pragma: no mutate
    quick: list[str] | None = None
    try:
        # (Pyright sees no overlap between dict and the protocols, which dict satisfies.)
        if kind is dict:  # pyright: ignore[reportUnnecessaryComparison]  # pragma: no mutate
            # The common case in tests and hand-built requests, one a lookup can answer.
            quick = _from_dict(headers, lower_name, spelling)  # pragma: no mutate
        else:
            # A web framework's own header object: its own case-insensitive lookup is one
            # dict access where walking items() decodes every header (_FRAMEWORK_LOOKUPS).
            lookup = _FRAMEWORK_LOOKUPS.get(
                (kind.__module__, kind.__qualname__)
            )  # pragma: no mutate
            if lookup is not None:  # pragma: no mutate
                quick = lookup(headers, spelling or lower_name)  # pragma: no mutate
    except Exception:  # noqa: BLE001 - a broken object: _scan() reports it as ours
        quick = None
    if quick is not None:  # pragma: no mutate
        return quick
    return _scan(headers, lower_name)


def _scan(headers: Headers | None, lower_name: str) -> list[str]:
    """:func:`header_values` by walking ``items()``: every case, every error."""
    if headers is None:
        return []
    if not callable(getattr(headers, "items", None)):
        raise ConfigurationError(
            "The headers must be a mapping of names to values (a dict or the framework's "
            f"request.headers), not {type(headers).__name__}."
        )
    try:
        return _walk(headers, lower_name)
    except ConfigurationError:
        raise
    except Exception as error:  # noqa: BLE001 - whatever a broken mapping raises, see below
        failure = type(error).__name__
    # A headers object whose items() fails (Starlette's Headers built by hand with str
    # values, a mapping with a bug) is the caller's to fix, like any other wrong argument;
    # raised here, outside the except block, so no value read from it rides along.
    raise ConfigurationError(
        f"Reading the request headers failed ({failure}); pass the framework's "
        "request.headers or a dict of str."
    )


def _walk(headers: Headers, lower_name: str) -> list[str]:
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
        # A str name, what web frameworks hand over, needs none of the checks below.
        # Sending a str name through them too changes nothing (equivalent mutant).
        if type(name) is not str:  # pragma: no mutate
            if not isinstance(name, (str, bytes, bytearray)):
                raise _bad_pair(name, value)
            name = _text(name)
        # Compare lengths first, so the other headers are not lowered. It cannot skip a
        # match: a bytes name decodes (latin-1) to as many characters, and a name whose
        # lower() is ASCII has the same length (the one character that lowers to two, U+0130,
        # lowers to a non-ASCII pair).
        if len(name) == size and name.lower() == lower_name:
            # As for names, a str value skips checks it would pass (equivalent mutant).
            if type(value) is not str:  # pragma: no mutate
                # A mapping filled with headers.get(...) holds None for a header not sent.
                if value is None:
                    continue
                if not isinstance(value, (str, bytes, bytearray)):
                    raise _bad_pair(name, value)
                value = _text(value)
            found.append(value)
    return found


def _bad_pair(name: object, value: object) -> ConfigurationError:
    return ConfigurationError(
        "Header names and values must be str or bytes, "
        f"not {type(name).__name__} and {type(value).__name__}."
    )


def _from_dict(headers: Any, lower_name: str, spelling: str) -> list[str] | None:
    """:func:`header_values` of a plain ``dict``, or ``None`` to take the general path.

    Two lookups find the documented and the lower-case spelling; what is left to prove is
    that no other name folds to ``lower_name``. Every name doing so contains it once
    lowered, so counting ``lower_name`` in all the names lowered together (by C code, not
    a Python loop over the headers) proves it when the count is 1: the name found is that
    one. No match at all means the header is absent. Anything else (a repeated header, a
    name merely containing this one, a name or value that is not ``str``) takes the
    general path, which gives the answer or the error.
    """
    value = headers.get(spelling) if spelling else None  # pragma: no mutate
    if value is None:  # pragma: no mutate
        value = headers.get(lower_name)  # pragma: no mutate
    # A name that is not str raises TypeError here: header_values() hands over to _scan.
    # Names cannot span the separator: lower_name has no newline, and lower() makes none.
    folded = "\n".join(headers).lower()  # pragma: no mutate
    hits = folded.count(lower_name)  # pragma: no mutate
    if hits == 1 and type(value) is str:  # pragma: no mutate
        return [value]
    if hits == 0:
        return []
    return None


def _case_insensitive_get(headers: Any, name: str) -> list[str] | None:
    # Django's HttpHeaders keeps one entry per lower-cased name (str.lower, as here), so its
    # get() finds what walking its items() would, and nothing can be repeated in it: the
    # server or Django has joined repeats into one value (which then fails as malformed).
    # A failing call hands over to _scan (see header_values): equivalent mutants.
    value = headers.get(name)  # pragma: no mutate
    if value is None:
        return []
    return [value] if type(value) is str else None  # pragma: no mutate - else: general path


def _wsgi_environ_get(headers: Any, name: str) -> list[str] | None:
    # Werkzeug's EnvironHeaders (Flask's request.headers) reads the WSGI environ, where the
    # server has written each header once under HTTP_<NAME> (upper case, "_" for "-") and
    # joined repeats into one value. Its own lookup reads that one key; walking its items()
    # instead converts every environ key, which is what costs microseconds.
    try:
        value = headers[name]  # pragma: no mutate - None: the general path
    except KeyError:  # absent (any other failure: header_values() hands over to _scan)
        return []
    return [value] if type(value) is str else None  # pragma: no mutate - else: general path


def _asgi_raw_getlist(headers: Any, name: str) -> list[str] | None:
    # Starlette's Headers (FastAPI's request.headers) hold the ASGI (name, value) byte pairs,
    # repeats included, and getlist() returns the values under the lower-case name, which
    # is how ASGI servers send every name. Counting the name in all the names lowered
    # together (C code, as for a dict) proves no other spelling is there: then getlist()
    # has them all. Otherwise, or on names that are not bytes, the general path decides;
    # any failure here hands over to it too (see header_values), so breaking these lines
    # changes only the speed (equivalent mutants). As for every header object, only the
    # header looked up is read: a value of another header that Starlette could not decode
    # (a hand-built list with str values) fails its items(), which _scan reports.
    target = name.lower().encode("latin-1")  # pragma: no mutate
    raw: list[tuple[bytes, bytes]] = headers.raw  # pragma: no mutate
    names = list(map(itemgetter(0), raw))  # pragma: no mutate
    hits = b"\n".join(names).lower().count(target)  # pragma: no mutate
    if not hits:
        return []
    if hits == 1 and target in names:  # pragma: no mutate
        # The one name holding it is the lower-case name itself: take its value (a pair
        # that is not a pair fails to unpack, and _scan reports it).
        _, value = raw[names.index(target)]  # pragma: no mutate
        return [value.decode("latin-1")]  # pragma: no mutate
    found: list[str] = headers.getlist(name)  # pragma: no mutate
    return found if len(found) == hits else None  # pragma: no mutate - else: general path


_FRAMEWORK_LOOKUPS: Final[dict[tuple[str, str], Callable[[Any, str], list[str] | None]]] = {
    ("django.http.request", "HttpHeaders"): _case_insensitive_get,
    ("werkzeug.datastructures.headers", "EnvironHeaders"): _wsgi_environ_get,
    ("werkzeug.datastructures", "EnvironHeaders"): _wsgi_environ_get,  # Werkzeug < 2.3
    ("starlette.datastructures", "Headers"): _asgi_raw_getlist,
}
"""Header classes of web frameworks, by (module, qualified name), with a lookup that gives
what :func:`header_values` gives for them. Matched by name so no framework is imported;
subclasses take the general path. A lookup returns ``None`` to hand over to the general
path, which gives the answer or the error."""
