"""Exact behaviour of the verification and dispatch code, down to each message.

These are the tests the mutation run leans on (``.ci/mutation_score.py``): each asserts what
one branch of ``_parse``, ``_signing``, ``_headers`` or ``_registry`` does, so a changed
operator, constant or message is noticed. They use Payscore's documented verifier as the
concrete header-signing scheme, and the registry for everything else.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import importlib
import json
import sys
from collections.abc import Iterator
from typing import Annotated, ClassVar, Literal

import pytest
from pydantic import Field

from webhook_payloads import (
    BodyTooLargeError,
    ConfigurationError,
    EventModel,
    MalformedPayloadError,
    PayloadError,
    PayloadValidationError,
    Provider,
    SignatureError,
    UnknownEvent,
    UnknownEventError,
    UnknownProviderError,
    Webhook,
    WebhookError,
    WebhookEvent,
    _parse,
    _webhook,
    parse,
)
from webhook_payloads._headers import HeaderName, header_value
from webhook_payloads._registry import (
    _SPEC_MODULES,
    ProviderSpec,
    get_spec,
    registered_providers,
)
from webhook_payloads._samples import sample_body, sample_names
from webhook_payloads._signing import (
    HexHeaderScheme,
    HmacKey,
    as_bytes,
    hmac_sha256,
    normalize_secrets,
    signing_key,
)

BODY = b'{"code": "VERIFICATION_STARTED", "verification_id": "v-1"}'
KEY = b"s3cr3t"
SCHEME = HexHeaderScheme(provider="acme", header="X-Acme-Signature")
HEADER = "Verification-Signature"


def good() -> str:
    return hmac.new(KEY, BODY, hashlib.sha256).hexdigest()


@pytest.fixture(autouse=True)
def _fresh_parse_cache() -> Iterator[None]:
    # Some tests here swap a provider's spec: parse() must not reuse a Webhook built on
    # another test's spec, nor leave one built on a swapped spec to the tests after.
    _parse.clear_caches()
    yield
    _parse.clear_caches()


# --- _registry ---------------------------------------------------------------------------


def test_registered_providers_are_the_registry_in_order() -> None:
    assert registered_providers() == list(_SPEC_MODULES)
    assert all(isinstance(p, Provider) for p in registered_providers())
    assert {Provider.PAYSCORE, Provider.PAYSCORE_V1} <= set(registered_providers())


def test_provider_str_is_its_id() -> None:
    assert str(Provider.PAYSCORE) == "payscore"
    assert f"{Provider.PAYSCORE_V1}" == "payscore_v1"


@pytest.mark.parametrize("provider", registered_providers(), ids=str)
def test_get_spec_accepts_the_member_and_the_plain_id(provider: Provider) -> None:
    spec = get_spec(provider)
    assert get_spec(provider.value) is spec
    assert spec.provider is provider
    assert spec.adapter is spec.adapter
    for tag, cls in spec.event_classes.items():
        field = next(
            info
            for name, info in cls.model_fields.items()
            if (info.alias or name) == spec.discriminator
        )
        assert field.annotation is not None
        assert tag in repr(field.annotation)


def test_event_classes_follow_the_union_order() -> None:
    spec = get_spec("payscore")
    assert list(spec.event_classes) == [
        "VERIFICATION_STARTED",
        "VERIFICATION_COMPLETED",
        "REPORT_READY",
    ]
    with pytest.raises(TypeError):
        spec.event_classes["X"] = object  # type: ignore[index]


def test_get_spec_imports_the_module_once(monkeypatch: pytest.MonkeyPatch) -> None:
    path = _SPEC_MODULES[Provider.PAYSCORE]
    spec = get_spec(Provider.PAYSCORE)
    calls: list[str] = []
    monkeypatch.setattr(importlib, "import_module", calls.append)
    assert get_spec("payscore") is spec
    assert calls == []
    # A module that is not loaded yet is imported.
    module = sys.modules[path]
    monkeypatch.setattr(importlib, "import_module", lambda name: calls.append(name) or module)
    monkeypatch.delitem(sys.modules, path)
    assert get_spec("payscore") is spec
    assert calls == [path]


@pytest.mark.parametrize(
    ("provider", "shown"),
    [
        ("nope", "'nope'"),
        ("x" * 100, repr("x" * 64)),
        (3, "'int'"),
        (None, "'NoneType'"),
        ("", "''"),
    ],
)
def test_unknown_providers(provider: object, shown: str) -> None:
    with pytest.raises(UnknownProviderError) as caught:
        get_spec(provider)
    known = ", ".join(p.value for p in registered_providers())
    assert str(caught.value) == f"Unknown webhook provider {shown}; use one of: {known}."
    assert caught.value.known == tuple(p.value for p in registered_providers())


def test_parse_loads_a_provider_on_first_use(monkeypatch: pytest.MonkeyPatch) -> None:
    path = _SPEC_MODULES[Provider.PAYSCORE]
    module = sys.modules[path]
    calls: list[str] = []
    monkeypatch.setattr(importlib, "import_module", lambda name: calls.append(name) or module)
    monkeypatch.delitem(sys.modules, path)
    event = parse("payscore", BODY, {HEADER: good()}, secret=KEY)
    assert (event.event_type, calls) == ("VERIFICATION_STARTED", [path])


class _Unhashable:
    def __hash__(self) -> int:
        raise RuntimeError("no hash")


class _KeyCollidingWithTheHeader(str):
    """A dict key that hashes like the signature header and fails when compared."""

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("no comparison")

    def __hash__(self) -> int:
        return hash(HEADER)


def test_objects_that_fail_to_hash_or_compare_are_ours_to_report() -> None:
    with pytest.raises(UnknownProviderError):
        parse(_Unhashable(), BODY, verify=False)  # type: ignore[call-overload]
    # The dict lookup fails on the odd key: a mapping that cannot be read is the caller's.
    headers = {_KeyCollidingWithTheHeader("x"): good()}
    with pytest.raises(ConfigurationError, match=r"headers failed \(RuntimeError\)") as caught:
        parse("payscore", BODY, headers, secret=KEY)
    assert caught.value.__context__ is None


@pytest.mark.parametrize("provider", ["nope", b"payscore", None, ["payscore"]])
def test_parse_refuses_an_unknown_provider(provider: object) -> None:
    with pytest.raises(UnknownProviderError) as caught:
        parse(provider, BODY, verify=False)  # type: ignore[call-overload]
    shown = repr(provider) if isinstance(provider, str) else repr(type(provider).__name__)
    assert str(caught.value).startswith(f"Unknown webhook provider {shown};")


def test_a_provider_without_a_module_is_unknown() -> None:
    unregistered = [p for p in Provider if p not in _SPEC_MODULES]
    for provider in unregistered:
        with pytest.raises(UnknownProviderError):
            get_spec(provider)


# --- _headers ----------------------------------------------------------------------------

SIG = HeaderName(HEADER)


def test_header_name_keeps_both_spellings() -> None:
    assert (SIG.name, SIG.lower) == (HEADER, HEADER.lower())


def test_header_value_any_case_str_or_bytes() -> None:
    class Pairs:
        def items(self) -> list[tuple[object, object]]:
            return [("X-A", "1"), (b"VERIFICATION-signature", b"\xe9"), ("x-b", "3")]

    assert header_value(Pairs(), SIG) == "\xe9"  # type: ignore[arg-type]
    assert header_value({"X-A": "1"}, SIG) is None
    assert header_value(None, SIG) is None
    assert header_value({}, SIG) is None


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({HEADER: "a"}, "a"),
        ({HEADER.lower(): "a"}, "a"),
        ({HEADER.upper(): "a"}, "a"),
        # The documented spelling first, then the lower case, then a walk.
        ({HEADER.upper(): "c", HEADER.lower(): "b", HEADER: "a"}, "a"),
        ({HEADER.upper(): "c", HEADER.lower(): "b"}, "b"),
        ({"X-" + HEADER: "x", HEADER: "a"}, "a"),
        ({"X-" + HEADER: "x"}, None),
        ({HEADER + "-Old": "x", "Verification": "y"}, None),
        ({HEADER: None}, None),
        ({HEADER: None, HEADER.lower(): None, HEADER.upper(): "c"}, "c"),
        ({HEADER: b"a"}, "a"),
        ({HEADER: bytearray(b"a")}, "a"),
        ({b"verification-signature": b"a"}, "a"),
    ],
)
def test_dict_lookup_by_spelling_lower_case_then_walk(
    headers: dict[object, object], expected: str | None
) -> None:
    assert header_value(headers, SIG) == expected  # type: ignore[arg-type]


class _NotPairs:
    """A mapping look-alike whose items() are not (name, value) pairs."""

    def items(self) -> list[object]:
        return ["abc", 5]


NOT_A_MAPPING = (
    "The headers must be a mapping of names to values (a dict or the framework's "
    "request.headers), not {}."
)


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ([("x-a", "1")], NOT_A_MAPPING.format("list")),
        ("x-a: 1", NOT_A_MAPPING.format("str")),
        ({1: "1"}, "Header names and values must be str or bytes, not int."),
        ({HEADER: 1}, "Header names and values must be str or bytes, not int."),
        (
            {HEADER: memoryview(b"1")},
            "Header names and values must be str or bytes, not memoryview.",
        ),
        (
            _NotPairs(),
            "Reading the request headers failed (ValueError); pass the framework's "
            "request.headers or a dict of str.",
        ),
    ],
)
def test_headers_of_the_wrong_shape_are_a_configuration_error(
    headers: object, message: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        header_value(headers, SIG)  # type: ignore[arg-type]
    assert str(caught.value) == message
    with pytest.raises(ConfigurationError) as caught:
        parse("payscore", BODY, headers, secret=KEY)  # type: ignore[arg-type]
    assert str(caught.value) == message


class _Broken:
    """A mapping look-alike whose items() fails, part way or at once."""

    def __init__(self, at_once: bool) -> None:
        self.at_once = at_once

    def items(self) -> object:
        if self.at_once:
            raise RuntimeError(good())  # the message must not reach ours
        return iter([("x-a", "1"), 5 // int("0")])


@pytest.mark.parametrize("at_once", [True, False])
def test_headers_whose_items_fail_are_a_configuration_error(at_once: bool) -> None:
    for call in (
        lambda: header_value(_Broken(at_once), SIG),  # type: ignore[arg-type]
        lambda: parse("payscore", BODY, _Broken(at_once), secret=KEY),  # type: ignore[call-overload]
    ):
        with pytest.raises(ConfigurationError) as caught:
            call()
        failure = "RuntimeError" if at_once else "ZeroDivisionError"
        assert str(caught.value) == (
            f"Reading the request headers failed ({failure}); pass the framework's "
            "request.headers or a dict of str."
        )
        assert caught.value.__cause__ is None
        assert caught.value.__context__ is None


@pytest.mark.parametrize("value", [1, None, memoryview(b"1"), ["x"]])
def test_only_the_header_looked_up_has_its_value_checked(value: object) -> None:
    # The other headers are none of our business, whatever a test or an app put there.
    for headers in (
        {"Content-Length": value, HEADER: good()},
        {HEADER.upper(): good(), "Content-Length": value},
    ):
        assert header_value(headers, SIG) == good()  # type: ignore[arg-type]
        assert parse("payscore", BODY, headers, secret=KEY)  # type: ignore[arg-type]


# --- _signing ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("secret", "keys"),
    [
        ("k", (b"k",)),
        (b"k", (b"k",)),
        ("é", ("é".encode(),)),
        (["a", b"b"], (b"a", b"b")),
        (("a",), (b"a",)),
        ("a b", (b"a b",)),
        (b"\x00k", (b"\x00k",)),
    ],
)
def test_normalize_secrets(secret: object, keys: tuple[bytes, ...]) -> None:
    got = normalize_secrets(secret, provider="p")
    assert got == keys
    assert all(type(k) is bytes for k in got)
    assert signing_key(secret, provider="p") == keys[0]


EMPTY = (
    "A webhook secret is empty, or only whitespace or NUL bytes; check that the setting or "
    "environment variable holding it is set."
)
SURROUNDED = (
    "A webhook secret starts or ends with a newline or space; strip it where the setting "
    "is read (a secrets file often ends with a newline)."
)


def _not_a_secret(kind: str) -> str:
    return (
        "A webhook secret must be str or bytes, or a list or tuple of them (for key "
        f"rotation), not {kind}."
    )


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        ("", EMPTY),
        (["a", b""], EMPTY),
        # A secret file or variable holding only a newline was never filled in.
        ("\n", EMPTY),
        (" \t\r\n", EMPTY),
        (b"  ", EMPTY),
        (["a", "\n"], EMPTY),
        # HMAC pads keys with zero bytes: a key of NULs signs like the empty key.
        ("\x00", EMPTY),
        (b"\x00\x00", EMPTY),
        (["real", b"\x00"], EMPTY),
        (b" \x00\n", EMPTY),
        ("s3cr3t\n", SURROUNDED),
        (" s3cr3t", SURROUNDED),
        (b"s3cr3t\r\n", SURROUNDED),
        ("s3cr3t\u00a0", SURROUNDED),
        (["ok", "bad\n"], SURROUNDED),
        ([], "An empty list of secrets was given; pass at least one secret."),
        ((), "An empty list of secrets was given; pass at least one secret."),
        ([None], "A webhook secret must be str or bytes, not NoneType."),
        (["a", 1], "A webhook secret must be str or bytes, not int."),
        ([bytearray(b"z")], "A webhook secret must be str or bytes, not bytearray."),
        ([["a"]], "A webhook secret must be str or bytes, not list."),
        ("\ud800", "A webhook secret is a str that cannot be encoded as UTF-8; check the setting."),
        (12345, _not_a_secret("int")),
        (object(), _not_a_secret("object")),
        # A settings dict passed whole must never turn its public keys into HMAC keys.
        ({"payscore": "real"}, _not_a_secret("dict")),
        ({"a", "b"}, _not_a_secret("set")),
        (frozenset({"a"}), _not_a_secret("frozenset")),
        (iter(["a"]), _not_a_secret("list_iterator")),
        ((s for s in ["a"]), _not_a_secret("generator")),
        (bytearray(b"k"), _not_a_secret("bytearray")),
        (memoryview(b"k"), _not_a_secret("memoryview")),
    ],
)
def test_bad_secrets(secret: object, message: str) -> None:
    for call in (normalize_secrets, signing_key):
        with pytest.raises(ConfigurationError) as caught:
            call(secret, provider="p")
        assert str(caught.value) == message
        assert caught.value.provider == "p"
        assert caught.value.__cause__ is None
        assert caught.value.__suppress_context__ or caught.value.__context__ is None


# RFC 4231, section 4: HMAC-SHA-256 test cases 1, 2, 3, 4, 6 and 7 (case 5 truncates its
# output). Cases 6 and 7 use a 131-byte key, longer than SHA-256's 64-byte block.
RFC_4231 = [
    (b"\x0b" * 20, b"Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
    (
        b"Jefe",
        b"what do ya want for nothing?",
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    ),
    (
        b"\xaa" * 20,
        b"\xdd" * 50,
        "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
    ),
    (
        bytes(range(1, 26)),
        b"\xcd" * 50,
        "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
    ),
    (
        b"\xaa" * 131,
        b"Test Using Larger Than Block-Size Key - Hash Key First",
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
    ),
    (
        b"\xaa" * 131,
        b"This is a test using a larger than block-size key and a larger than block-size data."
        b" The key needs to be hashed before being used by the HMAC algorithm.",
        "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
    ),
]


@pytest.mark.parametrize(("key", "data", "expected"), RFC_4231)
def test_hmac_sha256_gives_rfc_4231_digests(key: bytes, data: bytes, expected: str) -> None:
    assert hmac_sha256(key, data).hex() == expected
    # A prepared key gives the same digest every time: its state is copied, never used up.
    prepared = HmacKey(key)
    assert prepared.digest(data).hex() == expected
    assert prepared.digest(data).hex() == expected


@pytest.mark.parametrize("size", [0, 1, 63, 64, 65, 128, 129])
def test_hmac_sha256_agrees_with_the_stdlib_around_the_block_size(size: int) -> None:
    # A key of exactly one block is used as it is; one byte more is hashed first.
    key = bytes((7 * i + 1) % 256 for i in range(size))
    for body in (b"", BODY):
        assert hmac_sha256(key, body) == hmac.digest(key, body, "sha256")


def test_as_bytes() -> None:
    assert as_bytes("é") == "é".encode()
    assert as_bytes(bytearray(b"a")) == b"a"
    assert type(as_bytes(memoryview(b"a"))) is bytes
    assert as_bytes(b"abc", limit=3) == b"abc"
    with pytest.raises(BodyTooLargeError):
        as_bytes(b"abcd", limit=3)
    # The limit counts bytes: two characters of two bytes each are four.
    with pytest.raises(BodyTooLargeError):
        as_bytes("éé", limit=3)
    with pytest.raises(BodyTooLargeError):
        as_bytes(memoryview(b"abcd"), limit=3)


def test_a_released_memoryview_is_a_configuration_error() -> None:
    view = memoryview(b"{}")
    view.release()
    with pytest.raises(ConfigurationError) as caught:
        as_bytes(view, provider="p")
    assert str(caught.value) == (
        "The body is a released memoryview; pass the bytes while they are still held."
    )
    assert caught.value.__context__ is None
    with pytest.raises(ConfigurationError):
        parse("payscore", view, verify=False)


def _verify(value: str | None, keys: tuple[bytes, ...] = (KEY,)) -> None:
    headers = {} if value is None else {"X-Acme-Signature": value}
    SCHEME.prepare(keys, None)(BODY, headers)


def test_hex_check_accepts_a_match_in_any_hex_case_and_any_key_position() -> None:
    _verify(good())
    _verify(good().upper())
    _verify(f"  {good()}\t")
    _verify(good(), (b"other", KEY))
    _verify(good(), (KEY, b"other"))


MALFORMED_HEX = "The X-Acme-Signature header is not a hex HMAC-SHA256 digest (64 hex characters)."


@pytest.mark.parametrize(
    ("received", "reason", "message"),
    [
        (
            None,
            "missing",
            "The X-Acme-Signature header is missing; this request was not signed by acme.",
        ),
        ("0" * 63, "malformed", MALFORMED_HEX),
        ("0" * 65, "malformed", MALFORMED_HEX),
        ("g" * 64, "malformed", MALFORMED_HEX),
        ("0 " * 32, "malformed", MALFORMED_HEX),
        ("", "malformed", MALFORMED_HEX),
        (
            "0" * 64,
            "mismatch",
            "The X-Acme-Signature header does not match the body under any configured secret; "
            "check the secret, and that the body is passed exactly as received.",
        ),
    ],
)
def test_hex_check_refusals(received: str | None, reason: str, message: str) -> None:
    with pytest.raises(SignatureError) as caught:
        _verify(received)
    assert (caught.value.reason, str(caught.value), caught.value.provider) == (
        reason,
        message,
        "acme",
    )
    assert caught.value.__context__ is None


def test_hex_check_refuses_when_no_key_matches() -> None:
    with pytest.raises(SignatureError, match="does not match"):
        _verify(good(), (b"a", b"b", b"c"))


def test_hex_header_scheme_signs_and_verifies() -> None:
    assert SCHEME.sign(BODY, KEY) == good()
    assert SCHEME.sign(BODY.decode(), KEY.decode()) == good()
    # A rotation list signs with its first (current) secret.
    assert SCHEME.sign(BODY, [KEY, b"old"]) == good()
    assert SCHEME.sign(BODY, (KEY.decode(), "old")) == good()
    assert SCHEME.signed_headers(BODY, [KEY, b"old"]) == {
        "X-Acme-Signature": good(),
        "Content-Type": "application/json",
    }
    assert SCHEME.sign_request(BODY, KEY, None) == (BODY, SCHEME.signed_headers(BODY, KEY))
    SCHEME.verify(BODY, {"x-acme-signature": good()}, KEY)
    SCHEME.verify(BODY.decode(), {"X-ACME-SIGNATURE": good()}, [b"x", KEY])
    with pytest.raises(
        SignatureError,
        match="X-Acme-Signature header is missing; this request was not signed by acme",
    ):
        SCHEME.verify(BODY, {HEADER: good()}, KEY)
    for bad in ("", {"k": "v"}, memoryview(b"k")):
        with pytest.raises(ConfigurationError):
            SCHEME.sign(BODY, bad)  # type: ignore[arg-type]


def test_hex_header_scheme_takes_no_scheme() -> None:
    message = "acme has a single documented signature scheme; do not pass signature_scheme."
    with pytest.raises(ConfigurationError) as verifying:
        SCHEME.prepare((KEY,), "hex")
    with pytest.raises(ConfigurationError) as signing:
        SCHEME.sign_request(BODY, KEY, "hex")
    for caught in (verifying, signing):
        assert (str(caught.value), caught.value.provider) == (message, "acme")


# --- _parse: configuration, then size, then signature, then payload --------------------


def test_parse_verifies_then_validates() -> None:
    event = parse("payscore", BODY, {HEADER: good()}, secret=KEY)
    assert event.event_type == "VERIFICATION_STARTED"
    assert parse(Provider.PAYSCORE, bytearray(BODY), {HEADER: good()}, secret=KEY) == event
    assert parse("payscore", memoryview(BODY), {HEADER: good()}, secret=[b"x", KEY]) == event
    assert parse("payscore", BODY.decode(), {HEADER: good()}, secret=KEY.decode()) == event
    assert parse("payscore", BODY, verify=False) == event
    assert parse("payscore", BODY, {}, secret=KEY, verify=False) == event


def test_no_secret_for_a_signed_provider() -> None:
    with pytest.raises(ConfigurationError) as caught:
        parse("payscore", BODY, {HEADER: good()})
    assert str(caught.value) == (
        "payscore signs its webhooks but no secret was given; pass secret=... "
        "(or verify=False to skip verification, in tests only)."
    )
    assert caught.value.provider == "payscore"


def test_configuration_is_checked_before_the_body() -> None:
    with pytest.raises(ConfigurationError, match="no secret was given"):
        parse("payscore", b"x" * 10, max_body_size=1)
    with pytest.raises(ConfigurationError, match="single documented signature scheme"):
        parse("payscore", BODY, {HEADER: good()}, secret=KEY, signature_scheme="hex")
    # A secret or scheme given with verify=False is still checked: a wrong setting fails
    # now, not on the day verification is switched on.
    with pytest.raises(ConfigurationError, match="single documented signature scheme"):
        parse("payscore", BODY, secret=KEY, verify=False, signature_scheme="x")
    with pytest.raises(ConfigurationError, match="not dict"):
        parse("payscore", BODY, secret={"payscore": "k"}, verify=False)  # type: ignore[call-overload]
    assert parse("payscore", BODY, secret=KEY, verify=False).event_type


def test_the_size_limit_comes_before_the_signature() -> None:
    with pytest.raises(BodyTooLargeError) as caught:
        parse("payscore", BODY, {HEADER: "bad"}, secret=KEY, max_body_size=len(BODY) - 1)
    assert (caught.value.size, caught.value.limit) == (len(BODY), len(BODY) - 1)
    assert str(caught.value) == (
        f"Webhook body of {len(BODY)} bytes exceeds the limit of {len(BODY) - 1} bytes; "
        "raise max_body_size if the provider really sends bodies this large."
    )
    assert parse("payscore", BODY, {HEADER: good()}, secret=KEY, max_body_size=len(BODY)).event_type
    with pytest.raises(SignatureError):
        parse("payscore", BODY, {HEADER: "0" * 64}, secret=KEY, max_body_size=len(BODY))


def test_sizes_of_every_body_type() -> None:
    for body in (BODY, bytearray(BODY), memoryview(BODY), BODY.decode()):
        with pytest.raises(BodyTooLargeError) as caught:
            parse("payscore", body, verify=False, max_body_size=len(BODY) - 1)
        assert caught.value.size == len(BODY)
        assert parse("payscore", body, verify=False, max_body_size=len(BODY)).event_type
    # A str within the limit in characters but not in UTF-8 bytes.
    text = '{"code": "VERIFICATION_STARTED", "verification_id": "ééé"}'
    with pytest.raises(BodyTooLargeError) as caught:
        parse("payscore", text, verify=False, max_body_size=len(text))
    assert (caught.value.size, caught.value.limit) == (len(text) + 3, len(text))
    assert (
        parse("payscore", text, verify=False, max_body_size=len(text) + 3).verification_id == "ééé"
    )  # type: ignore[union-attr]


@pytest.mark.parametrize("body", [{"code": "x"}, None, 12, ["x"]], ids=repr)
def test_parsed_json_is_not_a_body(body: object) -> None:
    with pytest.raises(ConfigurationError) as caught:
        parse("payscore", body, verify=False)  # type: ignore[arg-type]
    assert str(caught.value) == (
        f"The body must be the raw request bytes (or str), not {type(body).__name__}; "
        "pass request.body, not parsed JSON."
    )


@pytest.mark.parametrize("limit", [0, -5, False, True, 2.0, None])
def test_max_body_size_must_be_a_positive_int(limit: object) -> None:
    with pytest.raises(ConfigurationError) as caught:
        parse("payscore", BODY, verify=False, max_body_size=limit)  # type: ignore[arg-type]
    assert str(caught.value) == "max_body_size must be a positive number of bytes."
    assert caught.value.provider == "payscore"
    assert parse("payscore", BODY, verify=False, max_body_size=10**9).event_type


def test_payload_errors() -> None:
    with pytest.raises(MalformedPayloadError) as caught:
        parse("payscore", b"{", verify=False)
    assert (
        str(caught.value)
        == "The webhook body is not valid JSON (EOF while parsing an object at line 1 column 1)."
    )
    with pytest.raises(MalformedPayloadError) as caught:
        parse("payscore", b"\xef\xbb\xbf" + BODY, verify=False)
    assert (
        str(caught.value)
        == "The webhook body is not valid JSON (it starts with a UTF-8 byte order mark)."
    )
    with pytest.raises(MalformedPayloadError) as caught:
        parse("payscore", b" \xef\xbb\xbf" + BODY, verify=False)
    assert "byte order mark" not in str(caught.value)
    with pytest.raises(MalformedPayloadError) as caught:
        parse("payscore", b"[1]", verify=False)
    assert str(caught.value) == "The webhook body is JSON but not a JSON object."
    assert caught.value.provider == "payscore"


def test_unknown_events() -> None:
    body = b'{"code": "NEW_THING", "x": 1}'
    with pytest.raises(UnknownEventError) as caught:
        parse("payscore", body, verify=False)
    assert (caught.value.event_type, dict(caught.value.payload)) == (
        "NEW_THING",
        {"code": "NEW_THING", "x": 1},
    )
    assert caught.value.provider == "payscore"
    event = parse("payscore", body, verify=False, allow_unknown=True)
    assert isinstance(event, UnknownEvent)
    assert (event.provider, event.event_type, event.payload) == (
        "payscore",
        "NEW_THING",
        {"code": "NEW_THING", "x": 1},
    )
    with pytest.raises(UnknownEventError):
        parse("payscore", body, verify=False, allow_unknown=False)


@pytest.mark.parametrize(
    ("body", "msg"),
    [
        (b'{"x": 1}', "Field required"),
        (b'{"code": null}', "Input should be a valid string"),
        (b'{"code": 5}', "Input should be a valid string"),
        (b'{"code": ["A"]}', "Input should be a valid string"),
    ],
)
def test_a_missing_or_non_string_event_type(body: bytes, msg: str) -> None:
    for allow_unknown in (False, True):
        with pytest.raises(PayloadValidationError) as caught:
            parse("payscore", body, verify=False, allow_unknown=allow_unknown)
        assert caught.value.errors == ({"loc": ("code",), "type": "event_type", "msg": msg},)
        assert str(caught.value) == (
            f"Webhook payload failed validation at code: {msg}; "
            "see .errors for every failing field."
        )


def test_field_errors_are_located_in_wire_names() -> None:
    body = b'{"code": "REPORT_READY", "applicant_group_id": 1, "report_id": "r"}'
    with pytest.raises(PayloadValidationError) as caught:
        parse("payscore", body, verify=False)
    assert caught.value.errors == (
        {
            "loc": ("applicant_group_id",),
            "type": "string_type",
            "msg": "Input should be a valid string",
        },
        {"loc": ("report_type",), "type": "missing", "msg": "Field required"},
    )
    assert caught.value.provider == "payscore"
    nested = (
        b'{"code": "APPLICANT_ADDED", "screening_group_id": "g", "screening_id": "s", '
        b'"value": {"applicant_first_name": 1}}'
    )
    with pytest.raises(PayloadValidationError) as caught:
        parse("payscore_v1", nested, verify=False)
    assert caught.value.errors[0]["loc"][:2] == ("value", "applicant_first_name")


def test_signature_errors_come_from_the_verifier() -> None:
    with pytest.raises(SignatureError) as caught:
        parse("payscore", BODY, {HEADER: "0" * 64}, secret=KEY)
    assert caught.value.reason == "mismatch"
    assert "Verification-Signature header does not match" in str(caught.value)
    with pytest.raises(
        SignatureError,
        match="Verification-Signature header is missing; this request was not signed by payscore",
    ):
        parse("payscore", BODY, None, secret=KEY)
    # Verified before decoding: a bad signature on a broken body is a signature error.
    with pytest.raises(SignatureError):
        parse("payscore", b"{", {HEADER: good()}, secret=KEY)


def test_unsigned_providers_refuse_secrets_and_schemes(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = get_spec("payscore")
    unsigned = dataclasses.replace(spec, verifier=None, unsigned_reason="acme signs nothing.")
    monkeypatch.setattr(sys.modules[_SPEC_MODULES[Provider.PAYSCORE]], "SPEC", unsigned)
    assert parse("payscore", BODY).event_type == "VERIFICATION_STARTED"
    assert parse("payscore", BODY, verify=False).event_type == "VERIFICATION_STARTED"
    for options in ({"secret": KEY}, {"signature_scheme": "x"}, {"secret": KEY, "verify": False}):
        with pytest.raises(ConfigurationError) as caught:
            parse("payscore", BODY, **options)  # type: ignore[arg-type]
        assert (str(caught.value), caught.value.provider) == ("acme signs nothing.", "payscore")


# --- what the first mutation run left alive --------------------------------------------


def test_every_error_names_the_provider() -> None:
    cases: list[tuple[object, dict[str, object]]] = [
        (BODY, {"secret": ""}),
        (BODY, {"secret": 12345}),
        (BODY, {"verify": False, "max_body_size": 0}),
        ({"code": "x"}, {"verify": False}),
        (BODY, {"verify": False, "max_body_size": 3}),
        ("é" * 40, {"verify": False, "max_body_size": 60}),
        ("\ud800", {"verify": False}),
        (b"{", {"verify": False}),
        (b"[]", {"verify": False}),
        (b'{"code": 1}', {"verify": False}),
        (b'{"code": "NEW"}', {"verify": False}),
        (b'{"code": "REPORT_READY"}', {"verify": False}),
        (BODY, {"secret": KEY}),
    ]
    for body, options in cases:
        with pytest.raises((ConfigurationError, SignatureError, PayloadError)) as caught:
            parse("payscore", body, {}, **options)  # type: ignore[arg-type]
        assert caught.value.provider == "payscore", (body, options)
    for call in (SCHEME.sign, SCHEME.signed_headers):
        with pytest.raises(ConfigurationError) as caught:
            call(BODY, "")
        assert caught.value.provider == "acme"
    with pytest.raises(ConfigurationError) as caught:
        SCHEME.verify(BODY, {}, [])
    assert caught.value.provider == "acme"


def test_a_str_that_is_not_utf8() -> None:
    with pytest.raises(MalformedPayloadError) as caught:
        parse("payscore", '{"code": "\ud800"}', verify=False)
    assert str(caught.value) == (
        "The webhook body is a str that cannot be encoded as UTF-8; pass the raw bytes."
    )
    assert caught.value.provider == "payscore"
    assert caught.value.__context__ is None


def test_a_limit_of_one_byte_is_a_limit() -> None:
    with pytest.raises(MalformedPayloadError):
        parse("payscore", b"{", verify=False, max_body_size=1)
    with pytest.raises(BodyTooLargeError):
        parse("payscore", b"{}", verify=False, max_body_size=1)


def test_a_memoryview_is_measured_in_bytes() -> None:
    import array

    wide = memoryview(array.array("I", [0x20202020] * 20))  # 20 items, 80 bytes of spaces
    with pytest.raises(BodyTooLargeError) as caught:
        parse("payscore", wide, verify=False, max_body_size=79)
    assert caught.value.size == 80
    with pytest.raises(MalformedPayloadError):
        parse("payscore", wide, verify=False, max_body_size=80)


def validate(
    spec: ProviderSpec, data: bytes, *, allow_unknown: bool = False
) -> WebhookEvent | UnknownEvent:
    """What a Webhook of ``spec``, verifying nothing, makes of ``data``."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_webhook, "get_spec", lambda provider: spec)
        webhook = Webhook(spec.provider, verify=False, allow_unknown=allow_unknown)
    return webhook.parse(data)


def test_validate_refuses_unknown_events_by_default() -> None:
    spec = get_spec("payscore")
    with pytest.raises(UnknownEventError):
        validate(spec, b'{"code": "NEW"}')
    assert isinstance(validate(spec, b'{"code": "NEW"}', allow_unknown=True), UnknownEvent)
    assert validate(spec, BODY).event_type == "VERIFICATION_STARTED"  # type: ignore[union-attr]


class _Circle(EventModel):
    shape: Literal["circle"]
    radius: int


class _Square(EventModel):
    shape: Literal["square"]
    side: int


class _Drawn(WebhookEvent):
    event_type_field: ClassVar[str] = "kind"
    provider: ClassVar[str] = "payscore"
    kind: Literal["drawn"]
    figure: Annotated[_Circle | _Square, Field(discriminator="shape")]


class _Erased(WebhookEvent):
    event_type_field: ClassVar[str] = "kind"
    provider: ClassVar[str] = "payscore"
    kind: Literal["erased"]


_UNION = Annotated[_Drawn | _Erased, Field(discriminator="kind")]


def _spec() -> ProviderSpec:
    return ProviderSpec(
        provider=Provider.PAYSCORE, union=_UNION, discriminator="kind", verifier=None
    )


def test_a_spec_derives_its_table_and_adapter_from_the_union() -> None:
    spec = _spec()
    assert dict(spec.event_classes) == {"drawn": _Drawn, "erased": _Erased}
    assert spec.adapter.validate_python({"kind": "erased"}) == _Erased(kind="erased")
    # Every registered spec, rebuilt now, derives the same table as when it was loaded.
    for provider in registered_providers():
        loaded = get_spec(provider)
        rebuilt = dataclasses.replace(loaded)
        assert dict(rebuilt.event_classes) == dict(loaded.event_classes)
        assert list(rebuilt.event_classes) == list(loaded.event_classes)
        assert all(isinstance(c, type) for c in rebuilt.event_classes.values())


def test_a_union_member_without_the_discriminator_is_a_type_error() -> None:
    with pytest.raises(TypeError) as caught:
        ProviderSpec(provider=Provider.PAYSCORE, union=_UNION, discriminator="shape", verifier=None)
    assert str(caught.value) == "_Drawn has no field for 'shape'"


def test_an_unknown_tag_inside_the_event_is_a_validation_error() -> None:
    # Only the event's own tag makes an UnknownEventError; a nested one is a field error.
    spec = _spec()
    with pytest.raises(PayloadValidationError) as caught:
        validate(spec, b'{"kind": "drawn", "figure": {"shape": "hexagon"}}')
    assert caught.value.errors[0]["loc"] == ("figure",)
    assert caught.value.errors[0]["type"] == "union_tag_invalid"
    with pytest.raises(PayloadValidationError) as caught:
        validate(spec, b'{"kind": "drawn", "figure": {}}')
    assert caught.value.errors[0]["type"] == "union_tag_not_found"
    with pytest.raises(UnknownEventError):
        validate(spec, b'{"kind": "painted"}')


@pytest.mark.parametrize("provider", [[], {}, {"payscore"}, b"payscore"], ids=repr)
def test_unhashable_or_non_str_providers_are_unknown(provider: object) -> None:
    with pytest.raises(UnknownProviderError) as caught:
        get_spec(provider)
    assert str(caught.value).startswith(f"Unknown webhook provider '{type(provider).__name__}'")


def test_an_unknown_event_payload_decodes_escaped_text() -> None:
    # pydantic-core before 2.20 decoded escapes wrongly in from_json ("Ã©" for "\u00e9").
    body = b'{"code": "NEW_\\u00e9\\ud83d\\ude00", "name": "Jos\\u00e9", "raw": "\xc3\xa9"}'
    with pytest.raises(UnknownEventError) as caught:
        parse("payscore", body, verify=False)
    assert caught.value.event_type == "NEW_\u00e9\U0001f600"
    assert dict(caught.value.payload) == {
        "code": "NEW_\u00e9\U0001f600",
        "name": "Jos\u00e9",
        "raw": "\u00e9",
    }
    event = parse("payscore", body, verify=False, allow_unknown=True)
    assert isinstance(event, UnknownEvent)
    assert event.payload["name"] == "Jos\u00e9"


def test_a_secret_with_a_lone_surrogate_is_a_configuration_error() -> None:
    message = "A webhook secret is a str that cannot be encoded as UTF-8; check the setting."
    for secret in ("\ud800", ["ok", "bad\udfff"]):
        with pytest.raises(ConfigurationError) as caught:
            normalize_secrets(secret, provider="payscore")
        assert str(caught.value) == message
        assert caught.value.provider == "payscore"
        with pytest.raises(ConfigurationError):
            parse("payscore", BODY, {}, secret=secret)


def test_a_str_body_with_a_lone_surrogate_in_the_signing_helpers() -> None:
    from webhook_payloads import MalformedPayloadError, payscore

    with pytest.raises(MalformedPayloadError) as caught:
        payscore.verify_signature("\ud800", {}, "k")
    assert str(caught.value) == (
        "The webhook body is a str that cannot be encoded as UTF-8; pass the raw bytes."
    )
    with pytest.raises(MalformedPayloadError):
        payscore.sign("\ud800", "k")


def test_a_zero_limit_is_refused_even_for_an_empty_body() -> None:
    # The fast path for raw bytes must not take a limit of 0 as "anything up to 0 bytes".
    with pytest.raises(ConfigurationError, match="max_body_size"):
        parse("payscore", b"", verify=False, max_body_size=0)


@pytest.mark.parametrize("verify", [None, 0, 1, "", "false", "no"])
@pytest.mark.parametrize("provider", registered_providers(), ids=str)
def test_verify_must_be_written_out_as_a_bool(provider: Provider, verify: object) -> None:
    # Only a written-out False skips verification: a setting read back as None, "" or 0
    # must not silently turn it off (nor a truthy stand-in silently turn it on).
    with pytest.raises(ConfigurationError) as caught:
        parse(provider, b"{}", {}, verify=verify)  # type: ignore[call-overload]
    assert str(caught.value) == f"verify must be True or False, not {type(verify).__name__}."
    assert caught.value.provider == provider.value


def _shadowing_cases() -> list[tuple[Provider, str, str, str]]:
    # (provider, event type, attribute name, wire name) for every field whose names differ
    # and whose wire name the event's documented example carries.
    cases = []
    for provider in registered_providers():
        spec = get_spec(provider)
        for event_type in sample_names(provider.value):
            cls = spec.event_classes[event_type]
            sample = json.loads(sample_body(provider.value, event_type))
            for name, info in sorted(cls.model_fields.items()):
                if info.alias and info.alias != name and info.alias in sample:
                    cases.append((provider, event_type, name, info.alias))
    return cases


SHADOWING = _shadowing_cases()


def test_every_aliased_field_is_listed_for_the_shadow_check() -> None:
    # Mastercard's two families (camelCase) and AndDone (PascalCase) have such fields;
    # Payscore's wire names are its attribute names, so none of its keys can shadow anything.
    assert {p for p, *_ in SHADOWING} == {
        Provider.MASTERCARD,
        Provider.ANDDONE,
        Provider.MASTERCARD_CONNECT,
    }
    for provider in registered_providers():
        # Rebuilt here: the registered specs were made when their modules were imported.
        spec = dataclasses.replace(get_spec(provider))
        expected = {
            n: i.alias
            for cls in spec.event_classes.values()
            for n, i in cls.model_fields.items()
            if i.alias not in (None, n)
        }
        assert dict(spec.attribute_names) == expected
    assert (
        dict(dataclasses.replace(get_spec("anddone")).attribute_names).items()
        >= {
            "event_body": "EventBody",
            "event_code": "EventCode",
            "event_date_time": "EventDateTime",
            "additional_fields": "AdditionalFields",
        }.items()
    )


def test_a_spec_without_aliases_has_nothing_to_shadow() -> None:
    # Attribute names equal to wire names (or no alias at all) shadow nothing.
    assert dict(_spec().attribute_names) == {}


@pytest.mark.parametrize(
    ("provider", "event_type", "name", "alias"),
    SHADOWING,
    ids=[f"{p}-{e}-{n}" for p, e, n, _ in SHADOWING],
)
def test_a_key_equal_to_an_attribute_name_is_refused_not_kept_as_a_shadow(
    provider: Provider, event_type: str, name: str, alias: str
) -> None:
    # Kept as an extra, such a key would stand in for the field in model_dump() (extras are
    # written after fields), e.g. an unsigned "event_body" for the signed "EventBody".
    body = json.loads(sample_body(provider.value, event_type))
    body[name] = "shadow"
    raw = json.dumps(body).encode()
    for call in (
        lambda: validate(get_spec(provider), raw),
        lambda: parse_unverified(provider, raw),
    ):
        with pytest.raises(PayloadValidationError) as caught:
            call()
        assert caught.value.errors == (
            {
                "loc": (name,),
                "type": "attribute_name_key",
                "msg": f"Only wire names are accepted; this is the attribute name of {alias!r}",
            },
        )
        assert caught.value.provider == provider.value


def parse_unverified(provider: Provider, body: bytes) -> object:
    verify = get_spec(provider).verifier is None
    return parse(provider, body, verify=verify) if verify else parse(provider, body, verify=False)


def test_other_unknown_keys_are_still_kept() -> None:
    body = json.loads(sample_body("anddone", "ReportGenerated"))
    event = parse("anddone", json.dumps({**body, "NewField": 1, "event_code_x": 2}), verify=False)
    assert event.model_extra == {"NewField": 1, "event_code_x": 2}


def test_an_unsigned_event_body_cannot_stand_in_for_the_signed_one() -> None:
    # AndDone's EVENT_BODY scheme signs the EventBody value only: an added top-level
    # "event_body" verifies, and would have replaced the signed one in model_dump().
    from webhook_payloads import anddone

    key = "6b" * 32
    scheme = anddone.SignatureScheme(
        signed=anddone.SignedContent.EVENT_BODY, key=anddone.KeyEncoding.HEX_DECODED
    )
    genuine = anddone.sign(
        b'{"EventCode": "ReportGenerated", "EventDateTime": "12-15-2023 00:02:51",'
        b' "EventBody": {"MerchantId": "M1", "ReportId": "R-GENUINE"}}',
        key,
        scheme,
    )
    assert (
        parse("anddone", genuine, secret=key, signature_scheme=scheme).model_dump()["event_body"][
            "report_id"
        ]
        == "R-GENUINE"
    )
    forged = genuine[:-1] + b', "event_body": {"MerchantId": "EVIL", "ReportId": "R-EVIL"}}'
    with pytest.raises(PayloadValidationError) as caught:
        parse("anddone", forged, secret=key, signature_scheme=scheme)
    assert caught.value.errors[0]["loc"] == ("event_body",)


def test_body_errors_name_the_provider_for_every_body_type() -> None:
    view = memoryview(b"{}")
    view.release()
    for body, error in [
        ("x" * 10, BodyTooLargeError),
        ("é" * 3, BodyTooLargeError),  # 3 characters, 6 bytes
        (memoryview(b"x" * 10), BodyTooLargeError),
        (bytearray(b"x" * 10), BodyTooLargeError),
        (view, ConfigurationError),
        ({"code": "x"}, ConfigurationError),
    ]:
        with pytest.raises(error) as caught:
            as_bytes(body, "acme", 5)
        assert caught.value.provider == "acme"


def test_the_signing_helpers_name_their_provider() -> None:
    for call in (
        lambda: SCHEME.sign(object(), KEY),
        lambda: SCHEME.signed_headers(object(), KEY),
        lambda: SCHEME.verify(object(), {}, KEY),
        lambda: SCHEME.sign("\ud800", KEY),
    ):
        with pytest.raises(WebhookError) as caught:
            call()  # type: ignore[no-untyped-call]
        assert caught.value.provider == "acme"


def test_a_header_value_of_a_str_subclass_is_read_as_it_is() -> None:
    class Text(str):
        __slots__ = ()

    assert header_value({HEADER: Text("abc")}, SIG) == "abc"


def test_a_spec_knows_every_field_name_of_its_models_nested_ones_included() -> None:
    # Rebuilt here: the registered specs were made when their modules were imported.
    mastercard = dataclasses.replace(get_spec("mastercard"))
    assert {"eventName", "event_name", "customerId", "label", "shown"} <= mastercard.field_names
    anddone = dataclasses.replace(get_spec("anddone"))
    assert {"EventBody", "MerchantId", "merchant_id", "ReportGenerationLogId"} <= (
        anddone.field_names
    )
    assert "<unknown key>" not in anddone.field_names
    assert dataclasses.replace(_spec()).field_names == {"kind", "figure", "shape", "radius", "side"}


def test_a_body_is_read_by_wire_names_only() -> None:
    # Attribute names are for building events in Python: a body with event_name for
    # eventName is refused, not read as the event's name.
    with pytest.raises(PayloadValidationError) as caught:
        parse("mastercard", b'{"event_name": "done", "id": "x", "status": "s"}')
    assert caught.value.errors[0]["type"] == "attribute_name_key"
    assert parse("mastercard", b'{"eventName": "done", "id": "x", "status": "s"}').event_type
