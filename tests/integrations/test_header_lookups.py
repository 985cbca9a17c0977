"""The frameworks' header objects are looked up directly, with the answer a full scan gives."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webhook_payloads import ConfigurationError, SignatureError, parse
from webhook_payloads._headers import _FRAMEWORK_LOOKUPS, _scan, header_values
from webhook_payloads.payscore import sign

TARGET = "verification-signature"
SPELLING = "Verification-Signature"
BODY = b'{"code": "VERIFICATION_STARTED", "verification_id": "v-1"}'

# Header names as a WSGI server writes them into the environ: HTTP_ + upper case, "_" for "-".
names = st.one_of(
    st.sampled_from([SPELLING, TARGET, "X-Request-Id", "Content-Type", "Content-Length", "Host"]),
    st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,20}", fullmatch=True),
)
values = st.one_of(st.text(max_size=10), st.none(), st.integers(), st.binary(max_size=4))


def environ_of(headers: list[tuple[str, object]]) -> dict[str, Any]:
    environ: dict[str, Any] = {"REQUEST_METHOD": "POST", "SERVER_NAME": "x", "wsgi.x": 1}
    for name, value in headers:
        key = name.upper().replace("-", "_")
        environ[key if key in {"CONTENT_TYPE", "CONTENT_LENGTH"} else f"HTTP_{key}"] = value
    return environ


def outcome(lookup: Any) -> object:
    try:
        return lookup()
    except ConfigurationError as error:
        return ("error", str(error))


def werkzeug_headers(environ: dict[str, Any]) -> object:
    datastructures = pytest.importorskip("werkzeug.datastructures", exc_type=ImportError)
    return datastructures.EnvironHeaders(environ)


def django_headers(environ: dict[str, Any]) -> object:
    request = pytest.importorskip("django.http.request", exc_type=ImportError)
    return request.HttpHeaders(environ)


FRAMEWORKS = [werkzeug_headers, django_headers]


@pytest.mark.parametrize("make", FRAMEWORKS, ids=lambda f: f.__name__)
def test_the_framework_class_is_recognised(make: Any) -> None:
    headers = make(environ_of([(SPELLING, "abc")]))
    kind = type(headers)
    assert (kind.__module__, kind.__qualname__) in _FRAMEWORK_LOOKUPS
    assert header_values(headers, TARGET, SPELLING) == ["abc"]


@pytest.mark.parametrize("make", FRAMEWORKS, ids=lambda f: f.__name__)
@given(st.lists(st.tuples(names, values), max_size=8))
def test_the_framework_lookup_gives_what_the_scan_gives(
    make: Any, headers: list[tuple[str, object]]
) -> None:
    framework_headers = make(environ_of(headers))
    scanned = outcome(lambda: _scan(framework_headers, TARGET))
    assert outcome(lambda: header_values(framework_headers, TARGET, SPELLING)) == scanned
    assert outcome(lambda: header_values(framework_headers, TARGET)) == scanned


@pytest.mark.parametrize("make", FRAMEWORKS, ids=lambda f: f.__name__)
def test_parse_verifies_through_the_framework_headers(make: Any) -> None:
    good = make(environ_of([("Host", "h"), (SPELLING, sign(BODY, "s"))]))
    assert parse("payscore", BODY, good, secret="s").event_type == "VERIFICATION_STARTED"
    for environ, reason in (
        (environ_of([("Host", "h")]), "missing"),
        (environ_of([(SPELLING, sign(BODY, "s") + "," + sign(BODY, "s"))]), "malformed"),
        (environ_of([(SPELLING, sign(BODY, "other"))]), "mismatch"),
    ):
        with pytest.raises(SignatureError) as caught:
            parse("payscore", BODY, make(environ), secret="s")
        assert caught.value.reason == reason


# ASGI header pairs: names as servers send them (lower case) and as they must not (any case),
# repeated or not; values bytes, or what a hand-built list might hold instead.
raw_names = st.one_of(
    names.map(str.lower),
    st.sampled_from([SPELLING, TARGET.upper(), "X-" + TARGET, TARGET + "-old"]),
).map(lambda name: name.encode("latin-1"))
raw_values = st.binary(max_size=6)


def starlette_headers(raw: list[tuple[bytes, object]]) -> object:
    datastructures = pytest.importorskip("starlette.datastructures", exc_type=ImportError)
    return datastructures.Headers(raw=raw)


def test_starlette_headers_are_recognised() -> None:
    headers = starlette_headers([(b"host", b"h"), (TARGET.encode(), b"abc")])
    kind = type(headers)
    assert (kind.__module__, kind.__qualname__) in _FRAMEWORK_LOOKUPS
    assert header_values(headers, TARGET, SPELLING) == ["abc"]
    assert header_values(starlette_headers([(b"host", b"h")]), TARGET, SPELLING) == []


@given(st.lists(st.tuples(raw_names, raw_values), max_size=8))
def test_the_starlette_lookup_gives_what_the_scan_gives(raw: list[tuple[bytes, object]]) -> None:
    headers = starlette_headers(raw)
    scanned = outcome(lambda: _scan(headers, TARGET))
    assert outcome(lambda: header_values(headers, TARGET, SPELLING)) == scanned


def test_starlette_headers_built_by_hand_with_str_values_are_refused() -> None:
    # Starlette's own items() and getlist() fail on them; the error is ours, not theirs.
    headers = starlette_headers([(b"host", b"h"), (TARGET.encode(), "abc")])
    with pytest.raises(ConfigurationError, match="Reading the request headers failed"):
        header_values(headers, TARGET, SPELLING)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "raw",
    [
        [(TARGET.encode(), b"a"), (TARGET.encode(), b"b")],
        [(TARGET.encode(), b"a"), (SPELLING.encode(), b"b")],
        [(TARGET.upper().encode(), b"a"), (b"x-" + TARGET.encode(), b"x")],
    ],
)
def test_starlette_repeats_in_any_case_are_all_seen(raw: list[tuple[bytes, bytes]]) -> None:
    headers = starlette_headers(raw)  # type: ignore[arg-type]
    assert header_values(headers, TARGET, SPELLING) == _scan(headers, TARGET)  # type: ignore[arg-type]
    if len(_scan(headers, TARGET)) > 1:  # type: ignore[arg-type]
        with pytest.raises(SignatureError) as caught:
            parse("payscore", BODY, headers, secret="s")  # type: ignore[arg-type]
        assert caught.value.reason == "malformed"


def test_broken_framework_header_objects_are_a_configuration_error() -> None:
    # Each shortcut hands a failure over to the full walk, which reports it as ours.
    werkzeug = pytest.importorskip("werkzeug.datastructures", exc_type=ImportError)
    broken: list[object] = [werkzeug.EnvironHeaders(None), werkzeug.EnvironHeaders([])]
    try:
        starlette = pytest.importorskip("starlette.datastructures", exc_type=ImportError)
    except pytest.skip.Exception:
        pass
    else:
        broken.append(starlette.Headers(raw=[(TARGET.encode(), b"ab", b"x")]))
    for headers in broken:
        with pytest.raises(ConfigurationError, match="Reading the request headers failed"):
            parse("payscore", BODY, headers, secret="s")  # type: ignore[arg-type]
