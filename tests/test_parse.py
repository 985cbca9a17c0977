"""parse(): configuration checks, body handling, size limit, error translation."""

from __future__ import annotations

import contextlib
import json
import pickle

import pytest

from webhook_payloads import (
    DEFAULT_MAX_BODY_SIZE,
    BodyTooLargeError,
    ConfigurationError,
    MalformedPayloadError,
    PayloadError,
    PayloadValidationError,
    Provider,
    SignatureError,
    UnknownEvent,
    UnknownEventError,
    UnknownProviderError,
    WebhookError,
    parse,
)
from webhook_payloads._registry import get_spec
from webhook_payloads._samples import sample_body, sample_names
from webhook_payloads.payscore import ReportReady, VerificationStarted, signed_headers
from webhook_payloads.testing import providers

STARTED = b'{"code": "VERIFICATION_STARTED", "verification_id": "v-1"}'
# Samples of the providers whose wire names differ from the attribute names.
ALIASED_SAMPLES = [
    (p, e) for p in providers() if get_spec(p).attribute_names for e in sample_names(p)
]


@pytest.mark.parametrize("provider", ["payscore", Provider.PAYSCORE])
def test_provider_as_string_or_enum_member(provider: str) -> None:
    event = parse(provider, STARTED, verify=False)
    assert event == VerificationStarted(code="VERIFICATION_STARTED", verification_id="v-1")


@pytest.mark.parametrize("provider", ["stripe", "PAYSCORE", "", None, 3, ["payscore"]])
def test_unknown_provider(provider: object) -> None:
    with pytest.raises(UnknownProviderError) as info:
        parse(provider, STARTED, verify=False)  # type: ignore[call-overload]
    assert isinstance(info.value, LookupError)
    assert isinstance(info.value, ConfigurationError)
    assert "payscore" in info.value.known
    assert info.value.http_status == 500


def test_signed_provider_without_secret_fails_closed() -> None:
    with pytest.raises(ConfigurationError, match="verify=False"):
        parse("payscore", STARTED)


def test_verify_false_is_the_written_out_way_to_skip() -> None:
    assert parse("payscore", STARTED, verify=False).event_type == "VERIFICATION_STARTED"


def test_signature_scheme_is_refused_for_payscore(secret: str) -> None:
    with pytest.raises(ConfigurationError, match="signature_scheme"):
        parse(
            "payscore",
            STARTED,
            signed_headers(STARTED, secret),
            secret=secret,
            signature_scheme=object(),
        )


@pytest.mark.parametrize("secret", ["", b"", [], ["ok", ""], [b"ok", 5], 7], ids=repr)
def test_unusable_secrets_are_configuration_errors(secret: object) -> None:
    with pytest.raises(ConfigurationError):
        parse("payscore", STARTED, {}, secret=secret)  # type: ignore[call-overload]


@pytest.mark.parametrize(
    "body",
    [STARTED, bytearray(STARTED), memoryview(STARTED), STARTED.decode()],
    ids=["bytes", "bytearray", "memoryview", "str"],
)
def test_body_types(body: bytes) -> None:
    assert isinstance(parse("payscore", body, verify=False), VerificationStarted)


@pytest.mark.parametrize("body", [{"code": "x"}, None, 12, ["x"]], ids=repr)
def test_parsed_json_instead_of_bytes_is_a_configuration_error(body: object) -> None:
    with pytest.raises(ConfigurationError, match="raw request bytes"):
        parse("payscore", body, verify=False)  # type: ignore[call-overload]


def test_str_body_that_cannot_be_utf8_is_a_payload_error() -> None:
    with pytest.raises(MalformedPayloadError):
        parse("payscore", '{"code": "\ud800"}', verify=False)


def test_size_limit_boundary() -> None:
    body = STARTED + b" " * 10
    assert parse("payscore", body, verify=False, max_body_size=len(body))
    with pytest.raises(BodyTooLargeError) as info:
        parse("payscore", body, verify=False, max_body_size=len(body) - 1)
    assert (info.value.size, info.value.limit) == (len(body), len(body) - 1)
    assert info.value.http_status == 413
    assert isinstance(info.value, PayloadError)


def test_default_limit_is_one_mebibyte() -> None:
    assert DEFAULT_MAX_BODY_SIZE == 1024 * 1024
    too_big = b" " * (DEFAULT_MAX_BODY_SIZE + 1)
    with pytest.raises(BodyTooLargeError):
        parse("payscore", too_big, verify=False)
    with pytest.raises(BodyTooLargeError):
        parse("payscore", memoryview(too_big), verify=False)


def test_size_limit_comes_before_signature_check(secret: str) -> None:
    # A huge unsigned body must be refused for its size, without hashing a byte of it.
    with pytest.raises(BodyTooLargeError):
        parse("payscore", b"x" * 100, {}, secret=secret, max_body_size=10)


def test_multibyte_str_is_measured_in_bytes() -> None:
    body = '{"code": "VERIFICATION_STARTED", "verification_id": "' + "é" * 20 + '"}'
    limit = len(body) + 5  # fits in characters, not in UTF-8 bytes
    with pytest.raises(BodyTooLargeError) as info:
        parse("payscore", body, verify=False, max_body_size=limit)
    assert info.value.size == len(body.encode())


@pytest.mark.parametrize("limit", [0, -1, True, 1.5, "10"], ids=repr)
def test_bad_limit_is_a_configuration_error(limit: object) -> None:
    with pytest.raises(ConfigurationError, match="max_body_size"):
        parse("payscore", STARTED, verify=False, max_body_size=limit)  # type: ignore[call-overload]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"", "not valid JSON"),
        (b"{", "not valid JSON"),
        (b"\xff\xfe{}", "not valid JSON"),
        (b"\xef\xbb\xbf" + STARTED, "byte order mark"),
        (b"[" * 5000 + b"]" * 5000, "not valid JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'"text"', "not a JSON object"),
        (b"null", "not a JSON object"),
        (b"42", "not a JSON object"),
    ],
    ids=["empty", "truncated", "not-utf8", "bom", "deep", "array", "string", "null", "number"],
)
def test_malformed_bodies(body: bytes, fragment: str) -> None:
    with pytest.raises(MalformedPayloadError, match=fragment) as info:
        parse("payscore", body, verify=False)
    assert isinstance(info.value, ValueError)
    assert info.value.provider == "payscore"


def test_validation_error_reports_wire_paths_without_values() -> None:
    body = b'{"code": "REPORT_READY", "applicant_group_id": 5, "report_id": "r", "secret": 1}'
    with pytest.raises(PayloadValidationError) as info:
        parse("payscore", body, verify=False)
    error = info.value
    locs = [detail["loc"] for detail in error.errors]
    assert ("applicant_group_id",) in locs
    assert ("report_type",) in locs
    assert all("input" not in detail for detail in error.errors)
    assert "applicant_group_id" in str(error)


def test_nested_validation_path() -> None:
    body = (
        b'{"code": "APPLICANT_ADDED", "screening_group_id": "g", "screening_id": "s",'
        b' "value": {"applicant_first_name": "Ann"}}'
    )
    with pytest.raises(PayloadValidationError) as info:
        parse("payscore_v1", body, verify=False)
    assert ("value", "applicant_last_name") in [d["loc"] for d in info.value.errors]


@pytest.mark.parametrize(
    ("body", "msg"),
    [
        (b"{}", "Field required"),
        (b'{"code": null}', "valid string"),
        (b'{"code": 5}', "valid string"),
    ],
)
def test_missing_or_non_string_discriminator(body: bytes, msg: str) -> None:
    with pytest.raises(PayloadValidationError) as info:
        parse("payscore", body, verify=False)
    assert info.value.errors[0]["loc"] == ("code",)
    assert msg in info.value.errors[0]["msg"]


def test_unknown_event_raises_with_type_and_payload() -> None:
    body = b'{"code": "IDENTITY_FLAGGED", "verification_id": "v", "score": 3}'
    with pytest.raises(UnknownEventError) as info:
        parse("payscore", body, verify=False)
    assert info.value.event_type == "IDENTITY_FLAGGED"
    assert info.value.payload == {"code": "IDENTITY_FLAGGED", "verification_id": "v", "score": 3}
    assert "verification_id" not in repr(info.value)
    assert "IDENTITY_FLAGGED" in str(info.value)


def test_unknown_event_type_is_truncated_in_the_message() -> None:
    body = b'{"code": "' + b"A" * 10_000 + b'"}'
    with pytest.raises(UnknownEventError) as info:
        parse("payscore", body, verify=False)
    assert len(str(info.value)) < 300
    assert len(info.value.event_type) == 10_000


def test_allow_unknown_returns_a_generic_event_outside_the_union() -> None:
    body = b'{"code": "IDENTITY_FLAGGED", "verification_id": "v"}'
    event = parse("payscore", body, verify=False, allow_unknown=True)
    assert isinstance(event, UnknownEvent)
    assert (event.provider, event.event_type) == ("payscore", "IDENTITY_FLAGGED")
    assert event.payload["verification_id"] == "v"
    assert "verification_id" not in repr(event)
    assert event.idempotency_key.startswith("payscore:IDENTITY_FLAGGED:~")
    same = parse("payscore", body, verify=False, allow_unknown=True)
    assert same.idempotency_key == event.idempotency_key
    other = parse("payscore", body.replace(b'"v"', b'"w"'), verify=False, allow_unknown=True)
    assert other.idempotency_key != event.idempotency_key


def test_allow_unknown_does_not_hide_other_errors() -> None:
    with pytest.raises(PayloadValidationError):
        parse("payscore", b'{"code": "REPORT_READY"}', verify=False, allow_unknown=True)
    known = parse("payscore", STARTED, verify=False, allow_unknown=True)
    assert isinstance(known, VerificationStarted)


def test_translated_errors_carry_no_pydantic_context() -> None:
    with pytest.raises(PayloadValidationError) as info:
        parse("payscore", b'{"code": "REPORT_READY", "report_id": "SSN-123-45-6789"}', verify=False)
    assert info.value.__cause__ is None
    assert info.value.__context__ is None
    assert "SSN" not in str(info.value)


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (ConfigurationError("x"), 500),
        (SignatureError("x", reason="missing"), 401),
        (PayloadError("x"), 400),
        (MalformedPayloadError("x"), 400),
    ],
)
def test_http_status(error: WebhookError, status: int) -> None:
    assert error.http_status == status


def test_errors_pickle_with_their_attributes() -> None:
    with pytest.raises(UnknownEventError) as info:
        parse("payscore", b'{"code": "NEW"}', verify=False)
    copy = pickle.loads(pickle.dumps(info.value))
    assert type(copy) is UnknownEventError
    assert (copy.event_type, copy.payload, str(copy)) == ("NEW", {"code": "NEW"}, str(info.value))
    with pytest.raises(PayloadValidationError) as validation:
        parse("payscore", b'{"code": "REPORT_READY"}', verify=False)
    assert pickle.loads(pickle.dumps(validation.value)).errors == validation.value.errors


def test_report_ready_match_statement() -> None:
    body = (
        b'{"code": "REPORT_READY", "applicant_group_id": "g", "report_id": "r",'
        b' "report_type": "income"}'
    )
    event = parse("payscore", body, verify=False)
    match event:
        case ReportReady(report_type="income"):
            matched = "income"
        case _:
            matched = "other"
    assert matched == "income"


# --- properties ------------------------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402 - grouped with the property tests below
from hypothesis import strategies as st  # noqa: E402

from webhook_payloads._registry import get_spec, registered_providers  # noqa: E402

header_text = st.one_of(st.text(max_size=80), st.binary(max_size=80))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300)
@given(
    provider=st.sampled_from(registered_providers()),
    body=st.one_of(st.binary(max_size=300), st.text(max_size=300)),
    headers=st.dictionaries(header_text, header_text, max_size=4),
    secret=st.one_of(st.none(), st.text(min_size=1, max_size=20)),
    verify=st.booleans(),
)
def test_arbitrary_input_raises_only_webhook_errors(
    provider: Provider, body: bytes, headers: dict[str, str], secret: str | None, verify: bool
) -> None:
    with contextlib.suppress(WebhookError):
        parse(provider, body, headers, secret=secret, verify=verify)


@settings(max_examples=300)
@given(
    provider=st.sampled_from(registered_providers()),
    payload=st.dictionaries(st.text(max_size=20), json_values, max_size=6),
    code=st.one_of(st.text(max_size=30), json_values),
)
def test_arbitrary_json_objects_raise_only_webhook_errors(
    provider: Provider, payload: dict[str, object], code: object
) -> None:
    payload["code"] = code
    try:
        event = parse(provider, json.dumps(payload), verify=False, allow_unknown=True)
    except WebhookError:
        return
    assert event.event_type == code


def test_unicode_escapes_in_keys_and_values_decode_exactly() -> None:
    # pydantic 2.7's JSON parser garbled escaped non-ASCII text (and crashed on some of it),
    # which is why the lowest supported pydantic is 2.8: keep that floor honest.
    body = rb'{"code": "NEW_\u00a8", "\u00fe\ud83d\ude00": ["\u00e9"]}'
    event = parse("payscore", body, verify=False, allow_unknown=True)
    assert event.event_type == "NEW_\u00a8"
    assert event.payload == {"code": "NEW_\u00a8", "\u00fe\U0001f600": ["\u00e9"]}


@pytest.mark.parametrize(
    "headers",
    [
        [("Verification-Signature", "00")],
        {None: "x"},
        {"Verification-Signature": 5},
        "Verification-Signature: 00",
    ],
    ids=["list-of-pairs", "none-name", "int-value", "string"],
)
def test_headers_that_are_not_a_mapping_of_text(headers: object) -> None:
    with pytest.raises(ConfigurationError, match=r"(?i)headers must be a mapping|must be str"):
        parse("payscore", STARTED, headers, secret="s")  # type: ignore[call-overload]


def test_header_names_and_values_may_be_bytes_or_bytearray(secret: str) -> None:
    from webhook_payloads.payscore import sign

    signature = sign(STARTED, secret)
    for headers in (
        {b"verification-signature": signature.encode()},
        {"Verification-Signature": bytearray(signature.encode())},
    ):
        assert parse("payscore", STARTED, headers, secret=secret).event_type


def test_headers_whose_items_are_not_pairs() -> None:
    class Odd:
        def items(self) -> list[object]:
            return ["abc", 5]

    with pytest.raises(ConfigurationError, match=r"headers failed \(ValueError\)"):
        parse("payscore", STARTED, Odd(), secret="s")  # type: ignore[call-overload]


@pytest.mark.parametrize("provider", registered_providers(), ids=str)
def test_an_unknown_event_is_hashable_and_restores_from_its_json(provider: Provider) -> None:
    # Frozen events are hashable (EventModel); the payload is a dict, so hashing uses the
    # provider and event type, which equal events share.
    tag = get_spec(provider).discriminator
    body = json.dumps({tag: "NEW", "nested": {"a": [1, 2]}}).encode()
    first, again = (parse(provider, body, verify=False, allow_unknown=True) for _ in range(2))
    assert isinstance(first, UnknownEvent)
    assert first == again
    assert hash(first) == hash(again)
    assert len({first, again}) == 1
    assert UnknownEvent.model_validate_json(first.model_dump_json()) == first


# --- wire names only, finite numbers, repeated keys ---------------------------------------


def test_attribute_names_are_not_read_from_a_body() -> None:
    # Attribute names are for building events in Python; a body has the provider's names.
    for body in (
        b'{"event_name": "done", "id": "x", "status": "s"}',
        b'{"eventName": "done", "id": "x", "status": "s", "consumer_ssn": "9999"}',
    ):
        with pytest.raises(PayloadValidationError) as caught:
            parse("mastercard", body)
        (error,) = caught.value.errors
        assert error["type"] == "attribute_name_key"
        assert "9999" not in str(caught.value)
    # The discriminator's attribute name beside the wire name points at the right key.
    with pytest.raises(PayloadValidationError) as caught:
        parse(
            "mastercard", b'{"eventName": "done", "event_name": "failed", "id": "x", "status": "s"}'
        )
    assert caught.value.errors[0]["loc"] == ("event_name",)
    assert str(caught.value) == (
        "Webhook payload failed validation at event_name: Only wire names are accepted; this "
        "is the attribute name of 'eventName'; see .errors for every failing field."
    )


@pytest.mark.parametrize(("provider", "event_type"), ALIASED_SAMPLES, ids=str)
def test_renaming_any_wire_key_to_its_attribute_name_is_refused(
    provider: str, event_type: str
) -> None:
    sample = json.loads(sample_body(provider, event_type))
    spec = get_spec(provider)
    wire_to_attribute = {wire: name for name, wire in spec.attribute_names.items()}
    renamed = 0
    for wire in sample:
        if wire in wire_to_attribute:
            body = {wire_to_attribute[wire] if k == wire else k: v for k, v in sample.items()}
            with pytest.raises(PayloadValidationError):
                parse(provider, json.dumps(body), verify=False)
            renamed += 1
    assert renamed


def test_a_numeric_customer_id_must_be_finite() -> None:
    base = b'{"eventName": "done", "id": "x", "status": "s", "customerId": %s}'
    assert parse("mastercard", base % b"1463546").customer_id == "1463546"
    assert parse("mastercard", base % b'"inf"').customer_id == "inf"  # a string is a string
    for number in (b"1e999", b"-1e999", b"NaN", b"Infinity"):
        with pytest.raises(PayloadValidationError) as caught:
            parse("mastercard", base % number)
        assert caught.value.errors[0]["loc"] == ("customerId",)


def test_the_last_of_repeated_keys_wins_on_every_supported_pydantic() -> None:
    # pydantic 2.8 kept the first; from 2.11, the lowest version supported, the last wins,
    # as in JavaScript's JSON.parse and Python's json module.
    event = parse(
        "payscore",
        b'{"code": "VERIFICATION_STARTED", "verification_id": "a", "verification_id": "b"}',
        verify=False,
    )
    assert event.verification_id == "b"  # type: ignore[union-attr]
    assert event == parse("payscore", event.model_dump_json(by_alias=True), verify=False)
