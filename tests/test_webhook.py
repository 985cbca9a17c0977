"""Webhook: every option checked when built, then one straight line per request."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webhook_payloads import (
    DEFAULT_MAX_BODY_SIZE,
    BodyTooLargeError,
    ConfigurationError,
    PayloadValidationError,
    Provider,
    SignatureError,
    UnknownEvent,
    UnknownEventError,
    UnknownProviderError,
    Webhook,
    parse,
)
from webhook_payloads import _parse as parse_module
from webhook_payloads._samples import sample_names
from webhook_payloads.anddone import ALL_SCHEMES, KeyEncoding, SignatureScheme, SignedContent
from webhook_payloads.payscore import VerificationStarted, sign, signed_headers
from webhook_payloads.testing import build_request, is_signed, providers

BODY = b'{"code": "VERIFICATION_STARTED", "verification_id": "v-1"}'
SECRET = "s3cr3t"
HEX_KEY = "6b" * 32
HEX_SCHEME = SignatureScheme(
    signed=SignedContent.BODY_WITHOUT_SIGNATURE, key=KeyEncoding.HEX_DECODED
)


@pytest.fixture(autouse=True)
def _fresh_parse_cache() -> None:
    parse_module.clear_caches()


def test_a_webhook_verifies_then_parses() -> None:
    webhook = Webhook("payscore", secret=SECRET)
    event = webhook.parse(BODY, signed_headers(BODY, SECRET))
    assert event == VerificationStarted(code="VERIFICATION_STARTED", verification_id="v-1")
    with pytest.raises(SignatureError):
        webhook.parse(BODY, signed_headers(BODY, "other"))
    # The same Webhook serves any number of requests: nothing is used up.
    for _ in range(3):
        assert webhook.parse(BODY, signed_headers(BODY, SECRET)) == event


def test_its_options_are_readable() -> None:
    webhook = Webhook(Provider.PAYSCORE, secret=SECRET, allow_unknown=True, max_body_size=99)
    assert (webhook.provider, webhook.verify, webhook.allow_unknown, webhook.max_body_size) == (
        Provider.PAYSCORE,
        True,
        True,
        99,
    )
    assert webhook.signature_scheme is None
    assert Webhook("payscore", verify=False).provider is Provider.PAYSCORE


AT_CONSTRUCTION = [
    ({"provider": "payscore"}, "no secret was given"),
    ({"provider": "payscore", "secret": ""}, "empty"),
    ({"provider": "payscore", "secret": "s3cr3t\n"}, "newline or space"),
    ({"provider": "payscore", "secret": "\x00"}, "NUL"),
    ({"provider": "payscore", "secret": {"payscore": SECRET}}, "not dict"),
    ({"provider": "payscore", "secret": {SECRET}}, "not set"),
    ({"provider": "payscore", "secret": iter([SECRET])}, "not list_iterator"),
    ({"provider": "payscore", "secret": []}, "empty list"),
    ({"provider": "payscore", "secret": SECRET, "signature_scheme": "hex"}, "single documented"),
    ({"provider": "payscore", "verify": None}, "verify must be True or False"),
    ({"provider": "payscore", "verify": 0}, "verify must be True or False"),
    ({"provider": "payscore", "verify": False, "allow_unknown": "yes"}, "allow_unknown must be"),
    ({"provider": "payscore", "verify": False, "max_body_size": 0}, "max_body_size"),
    ({"provider": "payscore", "verify": False, "max_body_size": -1}, "max_body_size"),
    ({"provider": "payscore", "verify": False, "max_body_size": True}, "max_body_size"),
    ({"provider": "payscore", "verify": False, "max_body_size": 1.5}, "max_body_size"),
    ({"provider": "payscore", "verify": False, "max_body_size": "10"}, "max_body_size"),
    ({"provider": "mastercard", "secret": SECRET}, "does not sign"),
    ({"provider": "mastercard", "signature_scheme": HEX_SCHEME}, "does not sign"),
    ({"provider": "mastercard", "secret": SECRET, "verify": False}, "does not sign"),
    ({"provider": "anddone", "secret": HEX_KEY}, "explicit choice"),
    ({"provider": "anddone", "secret": HEX_KEY, "signature_scheme": "x"}, "SignatureScheme"),
    ({"provider": "anddone", "secret": "not hex", "signature_scheme": HEX_SCHEME}, "not hex"),
    ({"provider": "anddone", "secret": "00" * 32, "signature_scheme": HEX_SCHEME}, "zero bytes"),
    # A wrong secret or scheme is refused even with verify=False: it fails at start-up,
    # not on the day verification is switched on.
    ({"provider": "payscore", "secret": {"k": "v"}, "verify": False}, "not dict"),
]


@pytest.mark.parametrize(("options", "message"), AT_CONSTRUCTION, ids=repr)
def test_every_configuration_error_comes_from_the_constructor(
    options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message) as caught:
        Webhook(**options)
    assert caught.value.provider == Provider(options["provider"]).value
    assert caught.value.__context__ is None or caught.value.__suppress_context__
    # parse() with the same options gives the same error.
    options = dict(options)
    provider = options.pop("provider")
    with pytest.raises(ConfigurationError, match=message):
        parse(provider, BODY, {}, **options)


@pytest.mark.parametrize("provider", ["stripe", "", None, b"payscore", ["payscore"], {}])
def test_an_unknown_provider_is_refused_when_built(provider: object) -> None:
    with pytest.raises(UnknownProviderError):
        Webhook(provider, verify=False)  # type: ignore[call-overload]


def test_a_webhook_is_immutable() -> None:
    webhook = Webhook("payscore", secret=SECRET)
    for name, value in [("verify", False), ("_check", None), ("provider", "mastercard")]:
        with pytest.raises(AttributeError, match="immutable"):
            setattr(webhook, name, value)
    with pytest.raises(AttributeError, match="immutable"):
        del webhook.verify
    with pytest.raises(AttributeError):
        webhook.__dict__  # noqa: B018 - slots only: no dict to write into behind its back
    assert webhook.parse(BODY, signed_headers(BODY, SECRET)).event_type == "VERIFICATION_STARTED"


secrets = st.text(min_size=4, max_size=40).filter(lambda s: s.strip() == s and s.strip("\x00"))


@given(secret=secrets)
def test_repr_names_the_options_never_the_secret(secret: str) -> None:
    webhook = Webhook("payscore", secret=[secret, "other-secret"], max_body_size=2048)
    shown = repr(webhook)
    # The same text whatever the secret: it cannot show it.
    assert shown == (
        "Webhook('payscore', secret='***', verify=True, allow_unknown=False, max_body_size=2048)"
    )


def test_repr_of_webhooks_without_a_secret_and_with_a_scheme() -> None:
    assert repr(Webhook("mastercard")) == (
        "Webhook('mastercard', verify=True, allow_unknown=False, max_body_size=1048576)"
    )
    anddone = Webhook("anddone", secret=HEX_KEY, signature_scheme=HEX_SCHEME)
    assert repr(anddone) == (
        "Webhook('anddone', secret='***', verify=True, allow_unknown=False, "
        "max_body_size=1048576, signature_scheme=body_without_signature, key hex_decoded)"
    )
    assert HEX_KEY not in repr(anddone)


def test_verify_false_skips_the_signature_and_allow_unknown_gives_unknown_events() -> None:
    lenient = Webhook("payscore", verify=False, allow_unknown=True)
    assert lenient.parse(BODY).event_type == "VERIFICATION_STARTED"
    unknown = lenient.parse(b'{"code": "NEW"}')
    assert isinstance(unknown, UnknownEvent)
    assert unknown.event_type == "NEW"
    with pytest.raises(UnknownEventError):
        Webhook("payscore", verify=False).parse(b'{"code": "NEW"}')


def test_the_size_limit_comes_first() -> None:
    webhook = Webhook("payscore", secret=SECRET, max_body_size=len(BODY) - 1)
    with pytest.raises(BodyTooLargeError) as caught:
        webhook.parse(BODY, {})
    assert caught.value.http_status == 413


def test_key_rotation() -> None:
    webhook = Webhook("payscore", secret=["new", "old"])
    for secret in ("new", "old"):
        assert webhook.parse(BODY, signed_headers(BODY, secret))
    with pytest.raises(SignatureError):
        webhook.parse(BODY, signed_headers(BODY, "older"))


def _signed_options(provider: str) -> dict[str, Any]:
    if not is_signed(provider):
        return {}
    scheme = ALL_SCHEMES[0] if provider == "anddone" else None
    return {"secret": HEX_KEY, "signature_scheme": scheme}


REQUESTS = [(p, e) for p in providers() for e in sample_names(p)]


@pytest.mark.parametrize(("provider", "event_type"), REQUESTS, ids=str)
def test_a_webhook_and_parse_agree_on_every_sample(provider: str, event_type: str) -> None:
    options = _signed_options(provider)
    body, headers = build_request(provider, event_type, **options)
    webhook = Webhook(provider, **options)
    assert webhook.parse(body, headers) == parse(provider, body, headers, **options)
    assert webhook.parse(body, headers).event_type == event_type


def test_one_webhook_from_many_threads() -> None:
    webhook = Webhook("payscore", secret=SECRET)
    bodies = [
        json.dumps({"code": "VERIFICATION_STARTED", "verification_id": f"v-{i}"}).encode()
        for i in range(200)
    ]
    results: dict[int, list[str]] = {}

    def run(worker: int) -> None:
        results[worker] = [
            webhook.parse(body, {"Verification-Signature": sign(body, SECRET)}).idempotency_key
            for body in bodies
        ]

    threads = [threading.Thread(target=run, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    expected = [f"payscore:VERIFICATION_STARTED:v-{i}" for i in range(200)]
    assert results == dict.fromkeys(range(8), expected)


# --- parse(): a bounded cache of Webhooks -------------------------------------------------


def _defaults_kept() -> int:
    return sum(map(len, parse_module._DEFAULTS.values()))


def test_parse_reuses_the_webhook_built_for_the_same_options() -> None:
    headers = signed_headers(BODY, SECRET)
    # Every option but the secret at its default: built once, then found by one lookup.
    parse("payscore", BODY, headers, secret=SECRET)
    parse("payscore", BODY, headers, secret=SECRET)
    info = parse_module._webhook.cache_info()
    assert (info.hits, info.misses) == (0, 1)
    assert _defaults_kept() == 1
    # A list of secrets is the same option as the tuple.
    parse("payscore", BODY, headers, secret=[SECRET, "old"])
    parse("payscore", BODY, headers, secret=(SECRET, "old"))
    assert parse_module._webhook.cache_info().misses == 2
    assert _defaults_kept() == 2
    # Other options go through the typed cache.
    parse("payscore", BODY, headers, secret=SECRET, allow_unknown=True)
    parse("payscore", BODY, headers, secret=SECRET, allow_unknown=True)
    assert parse_module._webhook.cache_info().hits == 1
    assert parse_module._webhook.cache_info().maxsize == 64
    assert _defaults_kept() == 2


def test_parse_serves_no_stand_in_the_webhook_built_for_another_type() -> None:
    # memoryview(b"k") == b"k" and they hash alike: keyed by value alone, the memoryview
    # would be served the Webhook built for the bytes instead of being refused.
    key = SECRET.encode()
    parse("payscore", BODY, signed_headers(BODY, SECRET), secret=key)
    with pytest.raises(ConfigurationError, match="must be str or bytes"):
        parse("payscore", BODY, signed_headers(BODY, SECRET), secret=memoryview(key))  # type: ignore[call-overload]
    # A max_body_size equal to the default but another object takes the general path.
    limit = int(str(DEFAULT_MAX_BODY_SIZE))
    assert parse("payscore", BODY, verify=False, max_body_size=limit).event_type


@pytest.mark.parametrize("rotation", [list, tuple])
@pytest.mark.parametrize("max_body_size", [DEFAULT_MAX_BODY_SIZE, 5000])
def test_parse_serves_no_stand_in_inside_a_rotation(
    rotation: type[Any], max_body_size: int
) -> None:
    # A tuple hashes by its items: (memoryview(b"k"),) would find the Webhook cached for
    # (b"k",), on the fast path as through the typed cache, and skip the refusal.
    key = SECRET.encode()
    headers = signed_headers(BODY, SECRET)
    parse("payscore", BODY, headers, secret=rotation([key]), max_body_size=max_body_size)
    with pytest.raises(ConfigurationError, match="must be str or bytes"):
        parse(
            "payscore",
            BODY,
            headers,
            secret=rotation([memoryview(key)]),
            max_body_size=max_body_size,
        )


def test_parse_caches_stay_bounded() -> None:
    for number in range(100):
        parse("payscore", BODY, signed_headers(BODY, f"s{number}"), secret=f"s{number}")
    assert _defaults_kept() == 64
    assert parse_module._webhook.cache_info().currsize <= 64


def test_a_refused_configuration_carries_no_cache_lookup_as_context() -> None:
    # The lookup's KeyError holds the options, the secret among them: it must not ride
    # along as __context__ of the ConfigurationError into tracebacks and error trackers.
    with pytest.raises(ConfigurationError) as caught:
        parse("mastercard", b"{}", secret="do-not-show")  # type: ignore[call-overload]
    assert caught.value.__context__ is None


def test_parse_never_mistakes_a_truthy_stand_in_for_a_bool() -> None:
    # 1 == True and hash(1) == hash(True): the cache must not hand verify=1 the Webhook
    # built for verify=True, nor verify=0 the one built for verify=False.
    parse("payscore", BODY, verify=False)
    for verify in (0, 0.0):
        with pytest.raises(ConfigurationError, match="verify must be True or False"):
            parse("payscore", BODY, verify=verify)  # type: ignore[call-overload]


def test_parse_refuses_unhashable_options_with_the_constructor_error() -> None:
    for secret in ({"payscore": SECRET}, {SECRET}, [[SECRET]], [{"k": "v"}]):
        with pytest.raises(ConfigurationError, match="must be str or bytes"):
            parse("payscore", BODY, {}, secret=secret)  # type: ignore[call-overload]
    with pytest.raises(ConfigurationError, match="SignatureScheme"):
        parse("anddone", b"{}", secret=HEX_KEY, signature_scheme=["unhashable"])  # type: ignore[call-overload]


def test_errors_from_a_webhook_are_not_cached_as_results() -> None:
    with pytest.raises(PayloadValidationError):
        parse("payscore", b'{"code": "VERIFICATION_STARTED"}', verify=False)
    assert parse("payscore", BODY, verify=False).event_type == "VERIFICATION_STARTED"
