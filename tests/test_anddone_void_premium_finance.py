"""AndDone's Void (``TransactionVoided``) and Premium Finance (``AccountBooked``) modules."""

import hashlib
import json
import pickle
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webhook_payloads import (
    PayloadValidationError,
    SignatureError,
    Webhook,
    from_json,
    json_schema,
    parse,
    to_json,
)
from webhook_payloads._samples import sample_body
from webhook_payloads.anddone import (
    ALL_SCHEMES,
    AccountBooked,
    AccountBookedEventBody,
    KeyEncoding,
    PaymentEventBase,
    SignatureScheme,
    TransactionVoided,
    VoidEventBody,
    sign,
)
from webhook_payloads.testing import build_event, build_request

PAYLOADS = Path(__file__).parent / "payloads" / "anddone"
PUBLISHED = PAYLOADS / "docs_premium-finance_AccountBooked.json"
BUILT_VOID = PAYLOADS / "built_void_TransactionVoided.json"
KEY = "6b" * 32


def _custom(body: bytes) -> bytes:
    event_code: str = json.loads(body)["EventCode"]
    return event_code.encode()


SCHEMES = [*ALL_SCHEMES, SignatureScheme(signed=_custom, key=KeyEncoding.TEXT)]


def again(event: Any) -> Any:
    return parse("anddone", event.model_dump_json(by_alias=True), verify=False)


def booked(**body: object) -> bytes:
    event_body = {"QuoteKey": "24324147", "IsQuoteEndorsement": False, "Version": 1, **body}
    return json.dumps(
        {
            "EventCode": "AccountBooked",
            "EventDateTime": "05-31-2024 16:57:48",
            "EventBody": event_body,
        }
    ).encode()


# --- Premium Finance: AccountBooked ------------------------------------------------------------


def test_the_published_example_is_kept_verbatim() -> None:
    raw = PUBLISHED.read_bytes()
    assert raw == sample_body("anddone", "AccountBooked")
    # The page's copy, trailing spaces included: the file is not a tidied copy.
    assert b'"QuoteKey": "24324147",  \n' in raw
    assert b'"IsQuoteEndorsement": "False",  \n' in raw
    assert b'"Signature": null,' in raw


def test_the_published_example_parses_field_by_field() -> None:
    event = parse("anddone", PUBLISHED.read_bytes(), verify=False)
    assert type(event) is AccountBooked
    assert event.event_code == event.event_type == "AccountBooked"
    assert event.event_date_time_text == "05-31-2024 16:57:48"
    assert event.event_date_time == datetime(2024, 5, 31, 16, 57, 48)
    assert event.event_body == AccountBookedEventBody(
        quote_key="24324147",
        is_quote_endorsement=False,
        account_number="CAB-2255084",
        version=1,
    )
    assert event.event_body.is_quote_endorsement is False
    assert event.version == 1
    assert event.signature is None
    assert event.model_extra == {"AdditionalFields": None}
    assert event.event_body.model_extra == {}
    assert again(event) == event
    assert pickle.loads(pickle.dumps(event)) == event
    assert from_json(to_json(event)) == event


def test_the_account_number_stays_out_of_repr_but_serialises() -> None:
    event = parse("anddone", PUBLISHED.read_bytes(), verify=False)
    shown = f"{event!r} {event!s} {event.event_body!r}"
    assert "2255084" not in shown
    assert "account_number" not in shown
    assert "24324147" in shown  # the quote key is not personal data
    wire = json.loads(event.model_dump_json(by_alias=True))
    assert wire["EventBody"]["AccountNumber"] == "CAB-2255084"
    assert wire["Version"] == 1
    assert wire["EventBody"]["IsQuoteEndorsement"] is False  # written back as a boolean


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ("True", True),
        ("False", False),
        ("true", True),
        ("false", False),
        (True, True),
        (False, False),
    ],
)
def test_is_quote_endorsement_is_a_bool_sent_as_a_boolean_or_as_text(
    sent: object, expected: bool
) -> None:
    event = parse("anddone", booked(IsQuoteEndorsement=sent), verify=False)
    assert event.event_body.is_quote_endorsement is expected
    assert again(event) == event


@pytest.mark.parametrize("sent", ["yes", "1", "0", "FALSE", " True", "", 1, 0, 1.0, [], {}])
def test_other_is_quote_endorsement_values_are_refused(sent: object) -> None:
    with pytest.raises(PayloadValidationError) as caught:
        parse("anddone", booked(IsQuoteEndorsement=sent), verify=False)
    assert caught.value.errors[0]["loc"] == ("EventBody", "IsQuoteEndorsement")


def test_every_field_of_the_booking_may_be_left_out() -> None:
    body = b'{"EventCode":"AccountBooked","EventDateTime":"05-31-2024 16:57:48","EventBody":{}}'
    event = parse("anddone", body, verify=False)
    assert set(event.event_body.model_dump().values()) == {None}
    assert event.version is None
    assert re.fullmatch("anddone:AccountBooked:body:~[0-9a-f]{64}", event.idempotency_key)


def test_the_booking_key() -> None:
    event = parse("anddone", PUBLISHED.read_bytes(), verify=False)
    rest = hashlib.sha256(b"[false,1]").hexdigest()
    assert event.idempotency_key == f"anddone:AccountBooked:24324147:~{rest}"
    assert "CAB-2255084" not in event.idempotency_key
    assert again(event).idempotency_key == event.idempotency_key
    # The text "False" and the boolean false are the same booking.
    assert parse("anddone", booked(), verify=False).idempotency_key == event.idempotency_key
    endorsement = parse("anddone", booked(IsQuoteEndorsement=True), verify=False)
    later = parse("anddone", booked(Version=2), verify=False)
    other = parse("anddone", booked(QuoteKey="24324148"), verify=False)
    keys = {event.idempotency_key, endorsement.idempotency_key, later.idempotency_key}
    assert len(keys | {other.idempotency_key}) == 4


@pytest.mark.parametrize("scheme", SCHEMES, ids=lambda s: str(s.name or "custom"))
@pytest.mark.parametrize("path", [PUBLISHED, BUILT_VOID], ids=lambda p: p.stem)
def test_a_null_or_absent_signature_is_a_missing_signature(
    scheme: SignatureScheme, path: Path
) -> None:
    raw = path.read_bytes()
    if b'"Signature"' not in raw:
        raw = raw[: raw.rindex(b"}")] + b',"Signature": null}'
    with pytest.raises(SignatureError) as caught:
        parse("anddone", raw, secret=KEY, signature_scheme=scheme)
    assert (caught.value.reason, caught.value.http_status) == ("missing", 401)
    assert "null" in str(caught.value)
    hook = Webhook("anddone", secret=KEY, signature_scheme=scheme, allow_unknown=True)
    with pytest.raises(SignatureError):
        hook.parse(raw)
    signed = sign(raw, KEY, scheme)  # signing replaces the null
    assert parse("anddone", signed, secret=KEY, signature_scheme=scheme).signature is not None


@pytest.mark.parametrize("code", ["AccountBooked", "TransactionVoided"])
@pytest.mark.parametrize("scheme", ALL_SCHEMES, ids=lambda s: str(s.name))
def test_the_testing_kit_signs_both_and_tampering_is_refused(
    code: str, scheme: SignatureScheme
) -> None:
    body, headers = build_request("anddone", code, secret=KEY, signature_scheme=scheme)
    event = parse("anddone", body, headers, secret=KEY, signature_scheme=scheme)
    assert event.event_code == code
    forged = body.replace(b"4bvl9KxM", b"4bvl9KxN").replace(b"24324147", b"24324148")
    with pytest.raises(SignatureError):
        parse("anddone", forged, secret=KEY, signature_scheme=scheme)
    unsigned, _ = build_request("anddone", code)
    with pytest.raises(SignatureError) as caught:
        parse("anddone", unsigned, secret=KEY, signature_scheme=scheme)
    assert caught.value.reason == "missing"


def test_the_testing_kit_builds_bookings_with_other_values() -> None:
    body, _ = build_request(
        "anddone", "AccountBooked", event_body__is_quote_endorsement=True, version=2
    )
    event = parse("anddone", body, verify=False)
    assert (event.event_body.is_quote_endorsement, event.version) == (True, 2)
    built = build_event(AccountBooked, event_body__quote_key="q-1")
    assert built.event_body.quote_key == "q-1"
    assert built.event_body.account_number == "CAB-2255084"


@given(
    st.one_of(st.booleans(), st.sampled_from(["True", "False", "true", "false"]), st.none()),
    st.one_of(st.none(), st.integers(-(2**53), 2**53)),
    st.one_of(st.none(), st.text(max_size=20)),
)
def test_any_booking_makes_the_round_trips(
    endorsement: object, version: int | None, quote_key: str | None
) -> None:
    body = json.dumps(
        {
            "EventCode": "AccountBooked",
            "EventDateTime": "05-31-2024 16:57:48",
            "EventBody": {
                "QuoteKey": quote_key,
                "IsQuoteEndorsement": endorsement,
                "Version": version,
            },
            "Version": version,
        }
    )
    event = parse("anddone", body, verify=False)
    assert again(event) == event
    assert again(event).idempotency_key == event.idempotency_key
    assert from_json(to_json(event)) == event
    expected = {"True": True, "False": False, "true": True, "false": False}.get(
        str(endorsement), endorsement
    )
    assert event.event_body.is_quote_endorsement is expected


# --- Void: TransactionVoided -------------------------------------------------------------------


def test_the_built_void_sample_is_the_packaged_one() -> None:
    assert BUILT_VOID.read_bytes() == sample_body("anddone", "TransactionVoided")


def test_void_fields_field_by_field() -> None:
    event = parse("anddone", BUILT_VOID.read_bytes(), verify=False)
    assert type(event) is TransactionVoided
    assert isinstance(event, PaymentEventBase)
    assert event.event_body == VoidEventBody(
        merchant_id="4bvl9KxM",
        merchant_reference="INV00042",
        transaction_id="3f1c2a9e-5b7d-4e08-9a61-2c4b8d7e0f13",
        transaction_date="12-15-2023 00:02:49",
        time_zone="Eastern",
        psp_reference="8816025283472911",
        payment_intent_id="7a2d9e14-c3b8-4f61-9d05-e8b1a4c7f236",
        payment_method="ACH",
        transaction_status="Voided",
        transaction_origin="PaymentIntent",
        settlement_date=None,
        mask_account="XXXXXX6789",
        routing_number="123456780",
    )
    assert event.event_body.model_extra == {}
    assert event.event_date_time == datetime(2023, 12, 15, 0, 2, 51)
    key = "anddone:TransactionVoided:3f1c2a9e-5b7d-4e08-9a61-2c4b8d7e0f13"
    assert event.idempotency_key == key
    assert again(event) == event
    assert pickle.loads(pickle.dumps(event)) == event


def test_void_bank_details_stay_out_of_repr_but_serialise() -> None:
    event = parse("anddone", BUILT_VOID.read_bytes(), verify=False)
    shown = f"{event!r} {event!s} {event.event_body!r}"
    assert "6789" not in shown
    assert "123456780" not in shown
    wire = json.loads(event.model_dump_json(by_alias=True))["EventBody"]
    assert (wire["MaskAccount"], wire["RoutingNumber"]) == ("XXXXXX6789", "123456780")
    assert wire["SettlementDate"] is None
    assert wire["PaymentIntentId"] == "7a2d9e14-c3b8-4f61-9d05-e8b1a4c7f236"


def test_void_values_are_open() -> None:
    body = json.loads(BUILT_VOID.read_bytes())
    body["EventBody"].update(
        TransactionStatus="Reversed",
        TransactionOrigin="WEB",
        PaymentMethod="Card",
        SettlementDate="12-16-2023 00:00:00",
        Amount=12.5,
    )
    event = parse("anddone", json.dumps(body), verify=False)
    assert event.event_body.transaction_status == "Reversed"
    assert event.event_body.payment_method == "Card"
    assert event.event_body.settlement_date == "12-16-2023 00:00:00"  # kept if ever sent
    assert event.event_body.model_extra == {"Amount": 12.5}
    assert again(event) == event


# --- both -------------------------------------------------------------------------------------


def test_the_schema_takes_both_samples_and_the_text_booleans() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(json_schema("anddone"))
    for code in ("AccountBooked", "TransactionVoided"):
        assert validator.is_valid(json.loads(sample_body("anddone", code))), code
    published = json.loads(PUBLISHED.read_bytes())
    for value in (True, False, "True", "false"):
        published["EventBody"]["IsQuoteEndorsement"] = value
        assert validator.is_valid(published), value
    for value in ("yes", 1, "FALSE"):
        published["EventBody"]["IsQuoteEndorsement"] = value
        assert not validator.is_valid(published), value
    published["EventBody"]["IsQuoteEndorsement"] = None
    published["Version"] = "1"
    assert not validator.is_valid(published)


@pytest.mark.parametrize("version", [True, False, "1", 1.5])
@pytest.mark.parametrize("where", ["envelope", "EventBody"])
def test_version_is_a_json_integer_for_parse_as_for_the_schema(version: object, where: str) -> None:
    # Lax int would take true as 1 and "1" as 1, which the published schema refuses: a gateway
    # validating with the schema and a receiver using parse() must judge a body alike.
    published = json.loads(PUBLISHED.read_bytes())
    target = published if where == "envelope" else published["EventBody"]
    target["Version"] = version
    with pytest.raises(PayloadValidationError):
        parse("anddone", json.dumps(published), verify=False)


def test_the_keys_use_only_what_every_scheme_signs() -> None:
    # Under the event_body scheme the envelope is unsigned: editing it must not make a replay
    # look new (the top-level Version, EventDateTime and AdditionalFields stay out of keys).
    booking = json.loads(PUBLISHED.read_bytes())
    edited = {**booking, "Version": 2, "EventDateTime": "06-01-2024 00:00:00"}
    edited["AdditionalFields"] = "[]"
    keys = {
        parse("anddone", json.dumps(b), verify=False).idempotency_key for b in (booking, edited)
    }
    assert len(keys) == 1
    void = json.loads(BUILT_VOID.read_bytes())
    later = {**void, "EventDateTime": "12-16-2023 00:00:00"}
    keys = {parse("anddone", json.dumps(b), verify=False).idempotency_key for b in (void, later)}
    assert len(keys) == 1
