"""The signature header is found in every framework's header object, in any letter case."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webhook_payloads import ConfigurationError, SignatureError, Webhook
from webhook_payloads._headers import HeaderName, header_value
from webhook_payloads.payscore import sign

SPELLING = "Verification-Signature"
HEADER = HeaderName(SPELLING)
BODY = b'{"code": "VERIFICATION_STARTED", "verification_id": "v-1"}'
SECRET = "s3cr3t"
PAYSCORE = Webhook("payscore", secret=SECRET)


def environ_of(headers: list[tuple[str, object]]) -> dict[str, Any]:
    # As a WSGI server writes headers into the environ: HTTP_ + upper case, "_" for "-".
    environ: dict[str, Any] = {"REQUEST_METHOD": "POST", "SERVER_NAME": "x"}
    for name, value in headers:
        environ[f"HTTP_{name.upper().replace('-', '_')}"] = value
    return environ


def django_headers(pairs: list[tuple[str, str]]) -> object:
    request = pytest.importorskip("django.http.request", exc_type=ImportError)
    return request.HttpHeaders(environ_of(list(pairs)))


def werkzeug_environ_headers(pairs: list[tuple[str, str]]) -> object:
    datastructures = pytest.importorskip("werkzeug.datastructures", exc_type=ImportError)
    return datastructures.EnvironHeaders(environ_of(list(pairs)))


def werkzeug_headers(pairs: list[tuple[str, str]]) -> object:
    datastructures = pytest.importorskip("werkzeug.datastructures", exc_type=ImportError)
    return datastructures.Headers(pairs)


def starlette_headers(pairs: list[tuple[str, str]]) -> object:
    datastructures = pytest.importorskip("starlette.datastructures", exc_type=ImportError)
    raw = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in pairs]
    return datastructures.Headers(raw=raw)


def scope_headers(pairs: list[tuple[str, str]]) -> object:
    # The receivers' view of the ASGI scope's list, with names as an ASGI server writes them.
    starlette = pytest.importorskip("webhook_payloads.integrations.starlette", exc_type=ImportError)
    raw = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in pairs]
    return starlette._ScopeHeaders(raw)


def scope_headers_as_added(pairs: list[tuple[str, str]]) -> object:
    # The same, with names as a middleware may append them: in capitals.
    starlette = pytest.importorskip("webhook_payloads.integrations.starlette", exc_type=ImportError)
    raw = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in pairs]
    return starlette._ScopeHeaders(raw)


def plain_dict(pairs: list[tuple[str, str]]) -> object:
    return dict(pairs)


def bytes_dict(pairs: list[tuple[str, str]]) -> object:
    return {name.encode(): value.encode() for name, value in pairs}


class ItemsOnly:
    """A mapping-like object with items() and no get(), as some adapters hand over."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = pairs

    def items(self) -> list[tuple[str, str]]:
        return list(self._pairs)


MAKERS = [
    django_headers,
    werkzeug_environ_headers,
    werkzeug_headers,
    starlette_headers,
    scope_headers,
    scope_headers_as_added,
    plain_dict,
    bytes_dict,
    ItemsOnly,
]
SPELLINGS = [SPELLING, SPELLING.lower(), SPELLING.upper(), "vERIFICATION-sIGNATURE"]


@pytest.mark.parametrize("make", MAKERS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("spelling", SPELLINGS)
def test_a_signed_request_verifies_whatever_the_spelling(make: Any, spelling: str) -> None:
    headers = make([("Content-Type", "application/json"), (spelling, sign(BODY, SECRET))])
    assert PAYSCORE.parse(BODY, headers).event_type == "VERIFICATION_STARTED"


@pytest.mark.parametrize("make", MAKERS, ids=lambda f: f.__name__)
def test_a_missing_header_is_a_missing_signature(make: Any) -> None:
    headers = make([("Content-Type", "application/json"), ("X-Verification-Signature", "00")])
    with pytest.raises(SignatureError) as caught:
        PAYSCORE.parse(BODY, headers)
    assert caught.value.reason == "missing"


@pytest.mark.parametrize(
    "make", [werkzeug_headers, starlette_headers, scope_headers], ids=lambda f: f.__name__
)
def test_a_repeated_header_passes_only_if_the_value_the_framework_gives_matches(
    make: Any,
) -> None:
    forged = "0" * 64
    genuine = sign(BODY, SECRET)
    # Werkzeug and Starlette hand back the first of repeated headers.
    assert PAYSCORE.parse(BODY, make([(SPELLING, genuine), (SPELLING, forged)]))
    with pytest.raises(SignatureError):
        PAYSCORE.parse(BODY, make([(SPELLING, forged), (SPELLING, genuine)]))
    # A forged body never passes, whichever copies are sent.
    with pytest.raises(SignatureError):
        PAYSCORE.parse(BODY + b" ", make([(SPELLING, genuine), (SPELLING, genuine)]))


def test_a_value_of_none_counts_as_absent() -> None:
    # A dict filled with request.headers.get(...) holds None for a header not sent.
    assert header_value({SPELLING: None, "x": "y"}, HEADER) is None
    assert header_value({SPELLING.lower(): None, SPELLING.upper(): "v"}, HEADER) == "v"


def test_bytes_values_are_latin_1() -> None:
    assert header_value({SPELLING: b"caf\xe9"}, HEADER) == "café"
    assert header_value({b"VERIFICATION-SIGNATURE": b"\xff"}, HEADER) == "ÿ"


@pytest.mark.parametrize(
    ("headers", "named"),
    [
        (["not", "a", "mapping"], "list"),
        (42, "int"),
        ({SPELLING: 5}, "int"),
        ({"Other": "x", 7: "y"}, "int"),
    ],
)
def test_what_is_not_a_mapping_of_str_or_bytes_is_a_configuration_error(
    headers: object, named: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        header_value(headers, HEADER)  # type: ignore[arg-type]
    assert named in str(caught.value)


class Broken:
    def get(self, name: str) -> str:
        raise RuntimeError("secret-value-123")

    def items(self) -> list[tuple[str, str]]:
        raise RuntimeError("secret-value-123")


def test_a_broken_mapping_is_a_configuration_error_that_carries_nothing_of_it() -> None:
    with pytest.raises(ConfigurationError) as caught:
        header_value(Broken(), HEADER)  # type: ignore[arg-type]
    assert "RuntimeError" in str(caught.value)
    assert "secret-value-123" not in repr(caught.value)
    assert caught.value.__context__ is None


names = st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,24}", fullmatch=True)


@given(
    others=st.dictionaries(names, st.text(max_size=8), max_size=6),
    spelling=st.sampled_from(SPELLINGS),
    value=st.text(max_size=70),
)
def test_the_one_header_that_folds_to_the_name_is_found_among_any_others(
    others: dict[str, str], spelling: str, value: str
) -> None:
    headers = {k: v for k, v in others.items() if k.lower() != HEADER.lower}
    assert header_value(headers, HEADER) is None
    headers[spelling] = value
    assert header_value(headers, HEADER) == value


latin_1 = st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=12)
lines = st.lists(st.tuples(st.one_of(names, st.sampled_from(SPELLINGS)), latin_1), max_size=8)


@given(pairs=lines)
def test_the_scope_view_finds_what_starlettes_headers_find(pairs: list[tuple[str, str]]) -> None:
    # Names in any case (a middleware may append capitals), repeats, any latin-1 value: the
    # receivers' view of the scope answers as Starlette's own Headers over the same list.
    datastructures = pytest.importorskip("starlette.datastructures", exc_type=ImportError)
    starlette = pytest.importorskip("webhook_payloads.integrations.starlette", exc_type=ImportError)
    raw = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in pairs]
    view, theirs = starlette._ScopeHeaders(raw), datastructures.Headers(raw=raw)
    assert list(view.items()) == list(theirs.items())
    assert header_value(view, HEADER) == header_value(theirs, HEADER)
    assert view.get("content-length") == theirs.get("content-length")
