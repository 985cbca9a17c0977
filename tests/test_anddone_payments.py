"""AndDone's payment modules: transaction, refund, chargeback and void events."""

import functools
import hashlib
import json
import pickle
import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from webhook_payloads import (
    PayloadValidationError,
    SignatureError,
    from_json,
    json_schema,
    parse,
    to_json,
)
from webhook_payloads._samples import sample_body, sample_names
from webhook_payloads.anddone import (
    DATETIME_FORMAT,
    ChargebackEventBody,
    KeyEncoding,
    PaymentEventBase,
    RefundEventBase,
    SignatureScheme,
    SignedContent,
    TransactionAuthorized,
    TransactionCancelled,
    TransactionChargeback,
    TransactionEventBase,
    TransactionFailed,
    TransactionRefundAccepted,
    TransactionRefundFailed,
    TransactionRefundInitiated,
    TransactionRefundSuccess,
    TransactionSuccess,
    TransactionVoided,
    format_datetime,
    read_datetime,
    sign,
)
from webhook_payloads.anddone._money import MAX_FRACTION_DIGITS, MAX_INTEGER_DIGITS
from webhook_payloads.testing import build_request, event_types

PAYLOADS = Path(__file__).parent / "payloads" / "anddone"
KEY = "6b" * 32

EXPECTED: dict[str, type[PaymentEventBase]] = {
    "payment_transaction_success_more_fields": TransactionSuccess,
    "payment_transaction_failed_array": TransactionFailed,
    "payment_refund_success_other_date_form": TransactionRefundSuccess,
    "payment_refund_nulls": TransactionRefundInitiated,
    "payment_chargeback_amounts_as_text": TransactionChargeback,
}
CODES: dict[str, type[PaymentEventBase]] = {
    "TransactionAuthorized": TransactionAuthorized,
    "TransactionSuccess": TransactionSuccess,
    "TransactionFailed": TransactionFailed,
    "TransactionCancelled": TransactionCancelled,
    "TransactionRefundInitiated": TransactionRefundInitiated,
    "TransactionRefundAccepted": TransactionRefundAccepted,
    "TransactionRefundSuccess": TransactionRefundSuccess,
    "TransactionRefundFailed": TransactionRefundFailed,
    "TransactionChargeback": TransactionChargeback,
    "TransactionVoided": TransactionVoided,
}


def load(name: str) -> Any:
    return parse("anddone", (PAYLOADS / f"{name}.json").read_bytes(), verify=False)


def body_of(code: str, event_body: object, date_time: object = "12-15-2023 00:02:51") -> str:
    return json.dumps({"EventCode": code, "EventDateTime": date_time, "EventBody": event_body})


def test_the_payment_files_are_the_expected_ones() -> None:
    assert {path.stem for path in PAYLOADS.glob("payment_*.json")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_payload_files_parse_to_their_class_and_round_trip(name: str) -> None:
    body = (PAYLOADS / f"{name}.json").read_bytes()
    event = parse("anddone", body, verify=False)
    assert type(event) is EXPECTED[name]
    wire = json.loads(body)
    assert event.event_code == wire["EventCode"] == event.event_type
    assert event.event_date_time_text == wire["EventDateTime"]
    assert event.provider == "anddone"
    again = parse("anddone", event.model_dump_json(by_alias=True), verify=False)
    assert again == event
    assert again.model_dump_json(by_alias=True) == event.model_dump_json(by_alias=True)
    assert pickle.loads(pickle.dumps(event)) == event


@pytest.mark.parametrize("code", sorted(CODES))
def test_each_code_has_a_sample_of_its_class(code: str) -> None:
    assert code in sample_names("anddone")
    event = parse("anddone", sample_body("anddone", code), verify=False)
    assert type(event) is CODES[code]
    assert event.event_date_time == datetime(2023, 12, 15, 0, 2, 51)
    assert event.event_body.merchant_id == "4bvl9KxM"
    assert event.signature is None  # built samples are unsigned: sign them to test


def test_the_testing_kit_knows_every_code() -> None:
    assert event_types("anddone") == [
        "ReportGenerated",
        "ReportGeneratedWithNoData",
        "ReportGenerationFailed",
        *CODES,
        "AccountBooked",
    ]
    assert sample_names("anddone") == event_types("anddone")


def test_transaction_fields() -> None:
    event = parse("anddone", sample_body("anddone", "TransactionFailed"), verify=False)
    assert isinstance(event, TransactionFailed)
    body = event.event_body
    assert body.merchant_reference == "INV00042"
    assert body.transaction_id == "3f1c2a9e-5b7d-4e08-9a61-2c4b8d7e0f13"
    assert body.transaction_date == "12-15-2023 00:02:49"
    assert read_datetime(body.transaction_date) == datetime(2023, 12, 15, 0, 2, 49)
    assert body.time_zone == "Eastern"
    assert body.psp_reference == "8816025283472911"
    assert (body.reason_code, body.error_message) == ("R01", "Insufficient funds.")
    assert json.loads(event.model_dump_json(by_alias=True))["EventBody"]["PSPReference"] == (
        "8816025283472911"
    )


def test_refund_fields() -> None:
    event = parse("anddone", sample_body("anddone", "TransactionRefundFailed"), verify=False)
    assert isinstance(event, TransactionRefundFailed)
    body = event.event_body
    assert body.reference_transaction_id == "3f1c2a9e-5b7d-4e08-9a61-2c4b8d7e0f13"
    assert body.psp_reference == "8816025283479127"
    assert (body.reason_code, body.error_message) == ("R16", "Account frozen.")


def test_chargeback_fields_field_by_field() -> None:
    event = parse("anddone", sample_body("anddone", "TransactionChargeback"), verify=False)
    assert isinstance(event, TransactionChargeback)
    assert event.event_body == ChargebackEventBody(
        merchant_id="4bvl9KxM",
        merchant_reference="INV-2023-00042",
        transaction_id="3f1c2a9e-5b7d-4e08-9a61-2c4b8d7e0f13",
        transaction_date="12-01-2023 10:15:00",
        time_zone="Eastern",
        amount=Decimal("125.5"),
        payment_method="ACH",
        transaction_status="Chargeback",
        transaction_origin="WEB",
        settlement_date="12-04-2023 00:00:00",
        mask_account="XXXXXX6789",
        routing_number="123456780",
        chargeback_amount=Decimal("125.5"),
        chargedback_date="12-14-2023 00:00:00",
        reason_code="R10",
        reason="Customer advises not authorized",
        reason_description="The account holder says the debit was not authorized.",
    )
    assert event.event_body.model_extra == {}


def test_bank_details_stay_out_of_repr_but_serialise() -> None:
    event = parse("anddone", sample_body("anddone", "TransactionChargeback"), verify=False)
    shown = f"{event!r} {event!s} {event.event_body!r}"
    assert "6789" not in shown
    assert "123456780" not in shown
    assert "mask_account" not in shown
    assert "routing_number" not in shown
    wire = json.loads(event.model_dump_json(by_alias=True))["EventBody"]
    assert (wire["MaskAccount"], wire["RoutingNumber"]) == ("XXXXXX6789", "123456780")


def test_fields_beyond_the_tables_are_kept_and_hidden() -> None:
    event = load("payment_transaction_success_more_fields")
    assert event.model_extra == {"AdditionalFields": "[]"}
    assert event.event_body.model_extra == {
        "Amount": 125.5,
        "PaymentMethod": "ACH",
        "MaskAccount": "XXXXXX6789",
    }
    assert "6789" not in repr(event)
    assert "uU5Mwj" not in repr(event)


def test_amounts_sent_as_text_and_open_values() -> None:
    event = load("payment_chargeback_amounts_as_text")
    body = event.event_body
    assert body.amount == Decimal("1250.10")
    assert str(body.chargeback_amount) == "1250.10"
    assert body.transaction_origin == "ARC"
    assert body.settlement_date is None
    assert body.model_extra == {"CaseNumber": "CB-7781"}


def test_event_body_as_an_array_of_one() -> None:
    event = load("payment_transaction_failed_array")
    assert event.event_body.transaction_id == "0b6f3c1d-9e2a-4f57-8c3b-71d2e4a5f608"
    dumped = json.loads(event.model_dump_json(by_alias=True))
    assert dumped["EventBody"]["ReasonCode"] == "R01"


@pytest.mark.parametrize("code", sorted(CODES))
@pytest.mark.parametrize("items", [[], [{}, {}]], ids=["empty", "two"])
def test_event_body_arrays_of_other_lengths_are_refused(code: str, items: list[object]) -> None:
    with pytest.raises(PayloadValidationError) as caught:
        parse("anddone", body_of(code, items), verify=False)
    assert caught.value.errors[0]["type"] == "event_body_array"


@pytest.mark.parametrize("code", sorted(CODES))
def test_every_body_field_may_be_left_out(code: str) -> None:
    event = parse("anddone", body_of(code, {}), verify=False)
    assert set(event.event_body.model_dump().values()) == {None}


# --- EventDateTime ----------------------------------------------------------------------------


def test_a_date_form_not_seen_keeps_the_event_readable() -> None:
    event = load("payment_refund_success_other_date_form")
    assert event.event_date_time is None
    assert event.event_date_time_text == "2023-12-15T00:02:51.1234567-05:00"
    assert read_datetime(event.event_body.transaction_date) is None
    assert event.event_body.reference_transaction_id == "3f1c2a9e-5b7d-4e08-9a61-2c4b8d7e0f13"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "12-15-2023",
        "15-12-2023 00:02:51",  # day first: not a date in the documented form
        "02-30-2024 00:00:00",
        "12-15-2023 24:00:00",
        "12-15-2023 00:02:51.1234567 -05:00 Eastern",
        "\u0661\u0662-15-2023 00:02:51",  # non-ASCII digits
    ],
)
def test_other_date_texts_are_kept_with_no_datetime(text: str) -> None:
    event = parse("anddone", body_of("TransactionSuccess", {}, text), verify=False)
    assert event.event_date_time is None
    assert event.event_date_time_text == text
    assert parse("anddone", event.model_dump_json(by_alias=True), verify=False) == event


@pytest.mark.parametrize("value", [None, 5, [], {}])
def test_event_date_time_must_be_text(value: object) -> None:
    with pytest.raises(PayloadValidationError) as caught:
        parse("anddone", body_of("TransactionSuccess", {}, value), verify=False)
    assert caught.value.errors[0]["loc"] == ("EventDateTime",)


def test_event_date_time_is_required() -> None:
    body = json.dumps({"EventCode": "TransactionChargeback", "EventBody": {}})
    with pytest.raises(PayloadValidationError) as caught:
        parse("anddone", body, verify=False)
    assert caught.value.errors[0]["loc"] == ("EventDateTime",)


@given(st.text(max_size=40))
def test_any_event_date_time_text_is_kept_exactly(text: str) -> None:
    try:
        wire = body_of("TransactionCancelled", {}, text).encode()
    except UnicodeEncodeError:  # a lone surrogate is not text a body can carry
        return
    event = parse("anddone", wire, verify=False)
    assert event.event_date_time_text == text
    assert event.event_date_time == read_datetime(text)


naive_datetimes = st.datetimes(
    min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)
).map(lambda d: d.replace(microsecond=0))


@given(naive_datetimes)
def test_the_documented_form_is_read(moment: datetime) -> None:
    event = parse(
        "anddone", body_of("TransactionAuthorized", {}, format_datetime(moment)), verify=False
    )
    assert event.event_date_time == moment


two = st.integers(0, 99).map(lambda n: f"{n:02d}")
datetime_shaped = st.builds(
    lambda m, d, y, hh, mm, ss: f"{m}-{d}-{y} {hh}:{mm}:{ss}",
    two,
    two,
    st.integers(0, 9999).map(lambda n: f"{n:04d}"),
    two,
    two,
    two,
)


@given(datetime_shaped)
def test_read_datetime_reads_exactly_what_strptime_reads(text: str) -> None:
    try:
        expected: datetime | None = datetime.strptime(text, DATETIME_FORMAT)
    except ValueError:
        expected = None
    assert read_datetime(text) == expected


# --- money --------------------------------------------------------------------------------------


@given(st.decimals(min_value=-(10**13), max_value=10**13, places=2))
def test_amounts_sent_as_numbers_are_exact_decimals(amount: Decimal) -> None:
    wire = body_of("TransactionChargeback", {"Amount": float(amount)}).replace(
        repr(float(amount)), str(amount)
    )
    event = parse("anddone", wire, verify=False)
    assert event.event_body.amount == amount
    dumped = json.loads(event.model_dump_json(by_alias=True))["EventBody"]["Amount"]
    assert isinstance(dumped, float)  # still a JSON number, as AndDone sends it
    assert parse("anddone", event.model_dump_json(by_alias=True), verify=False) == event


plain_amounts = st.from_regex(r"\A-?[0-9]{1,18}(\.[0-9]{1,10})?\Z").map(Decimal)


@given(plain_amounts)
def test_any_plain_amount_sent_as_text_round_trips(amount: Decimal) -> None:
    event = parse(
        "anddone", body_of("TransactionChargeback", {"ChargebackAmount": str(amount)}), verify=False
    )
    assert event.event_body.chargeback_amount == amount
    wire = event.model_dump_json(by_alias=True)
    again = parse("anddone", wire, verify=False)
    assert again == event
    assert again.model_dump_json(by_alias=True) == wire


@pytest.mark.parametrize("value", ['"NaN"', '"Infinity"', "true", '"ten"', "1e999", "[]"])
def test_amounts_that_are_not_finite_numbers_are_refused(value: str) -> None:
    wire = (
        '{"EventCode": "TransactionChargeback", "EventDateTime": "12-15-2023 00:02:51", '
        f'"EventBody": {{"Amount": {value}}}}}'
    )
    with pytest.raises(PayloadValidationError):
        parse("anddone", wire, verify=False)


def test_amounts_stay_decimals_in_python_dumps() -> None:
    event = parse("anddone", sample_body("anddone", "TransactionChargeback"), verify=False)
    assert event.model_dump()["event_body"]["amount"] == Decimal("125.5")


# --- idempotency ----------------------------------------------------------------------------------


def test_idempotency_keys_of_each_module() -> None:
    keys = {
        code: parse("anddone", sample_body("anddone", code), verify=False).idempotency_key
        for code in CODES
    }
    payment = "3f1c2a9e-5b7d-4e08-9a61-2c4b8d7e0f13"
    assert keys["TransactionSuccess"] == f"anddone:TransactionSuccess:{payment}"
    refund = hashlib.sha256(b'["8816025283479127","12-15-2023 00:02:49"]').hexdigest()
    assert keys["TransactionRefundSuccess"] == (
        f"anddone:TransactionRefundSuccess:{payment}:~{refund}"
    )
    chargeback = hashlib.sha256(b'["12-14-2023 00:00:00"]').hexdigest()
    assert keys["TransactionChargeback"] == (
        f"anddone:TransactionChargeback:{payment}:~{chargeback}"
    )
    assert len(set(keys.values())) == len(keys)  # a refund never collides with its payment


def refund_key(reference: object, psp: object, date: object = "12-15-2023 00:02:49") -> str:
    body = json.loads(sample_body("anddone", "TransactionRefundSuccess"))
    body["EventBody"].update(
        ReferenceTransactionId=reference, PSPReference=psp, TransactionDate=date
    )
    return parse("anddone", json.dumps(body), verify=False).idempotency_key


def test_a_colon_inside_a_part_cannot_make_two_refund_keys_equal() -> None:
    assert refund_key("T1", "P:1") != refund_key("T1:P", "1")
    # A part that is missing (null) is not the same as one that is empty.
    assert refund_key("T1", None) != refund_key("T1", "")
    assert refund_key("T1", "P", None) != refund_key("T1", "P", "")


def test_two_refunds_of_one_payment_have_two_keys() -> None:
    first = json.loads(sample_body("anddone", "TransactionRefundSuccess"))
    second = {**first, "EventBody": {**first["EventBody"], "PSPReference": "8816025283479999"}}
    keys = {parse("anddone", json.dumps(b), verify=False).idempotency_key for b in (first, second)}
    assert len(keys) == 2


def test_a_redelivery_has_the_same_key() -> None:
    for code in CODES:
        genuine = parse("anddone", sample_body("anddone", code), verify=False)
        again = parse("anddone", genuine.model_dump_json(by_alias=True), verify=False)
        assert again.idempotency_key == genuine.idempotency_key


@pytest.mark.parametrize("code", sorted(CODES))
def test_without_its_id_an_event_is_keyed_by_its_body(code: str) -> None:
    one = parse("anddone", body_of(code, {"MerchantReference": "A"}), verify=False)
    other = parse("anddone", body_of(code, {"MerchantReference": "B"}), verify=False)
    assert re.fullmatch(f"anddone:{code}:body:~[0-9a-f]{{64}}", one.idempotency_key)
    assert one.idempotency_key != other.idempotency_key
    assert load_again(one).idempotency_key == one.idempotency_key


def load_again(event: Any) -> Any:
    return parse("anddone", event.model_dump_json(by_alias=True), verify=False)


# --- signature and schema ---------------------------------------------------------------------


@pytest.mark.parametrize("signed", list(SignedContent))
@pytest.mark.parametrize("code", sorted(CODES))
def test_signed_payment_events_verify_and_tampering_is_refused(
    code: str, signed: SignedContent
) -> None:
    scheme = SignatureScheme(signed=signed, key=KeyEncoding.HEX_DECODED)
    body, headers = build_request("anddone", code, secret=KEY, signature_scheme=scheme)
    event = parse("anddone", body, headers, secret=KEY, signature_scheme=scheme)
    assert event.event_code == code
    assert event.signature is not None
    forged = body.replace(b"4bvl9KxM", b"4bvl9KxN")
    with pytest.raises(SignatureError):
        parse("anddone", forged, secret=KEY, signature_scheme=scheme)


def test_the_event_body_scheme_does_not_protect_the_event_code() -> None:
    # AndDone sends the same EventBody for a payment's successive events: under EVENT_BODY,
    # the signature of an authorisation also verifies once its EventCode says success.
    scheme = SignatureScheme(signed=SignedContent.EVENT_BODY, key=KeyEncoding.HEX_DECODED)
    authorised = sign(sample_body("anddone", "TransactionAuthorized"), KEY, scheme)
    relabelled = authorised.replace(b'"TransactionAuthorized"', b'"TransactionSuccess"')
    event = parse("anddone", relabelled, secret=KEY, signature_scheme=scheme)
    assert isinstance(event, TransactionSuccess)
    whole = SignatureScheme(signed=SignedContent.BODY_WITHOUT_SIGNATURE, key=KeyEncoding.TEXT)
    authorised = sign(sample_body("anddone", "TransactionAuthorized"), KEY, whole)
    with pytest.raises(SignatureError):
        parse(
            "anddone",
            authorised.replace(b'"TransactionAuthorized"', b'"TransactionSuccess"'),
            secret=KEY,
            signature_scheme=whole,
        )


def test_the_schema_takes_any_event_date_time_text_for_payments() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(json_schema("anddone"))
    for code in CODES:
        body = json.loads(sample_body("anddone", code))
        assert validator.is_valid(body), code
        assert validator.is_valid({**body, "EventDateTime": "2023-12-15T00:02:51Z"}), code
        assert validator.is_valid({**body, "EventBody": [body["EventBody"]]}), code
        assert not validator.is_valid({**body, "EventDateTime": 5}), code
    chargeback = json.loads(sample_body("anddone", "TransactionChargeback"))
    chargeback["EventBody"]["Amount"] = "125.50"
    assert validator.is_valid(chargeback)
    chargeback["EventBody"]["Amount"] = True
    assert not validator.is_valid(chargeback)
    report = json.loads(sample_body("anddone", "ReportGenerated"))
    assert not validator.is_valid({**report, "EventDateTime": "2023-12-15T00:02:51Z"})


def test_module_bases_group_the_events() -> None:
    for code, cls in CODES.items():
        base = (
            cls
            if code in ("TransactionChargeback", "TransactionVoided")
            else RefundEventBase
            if "Refund" in code
            else TransactionEventBase
        )
        assert issubclass(cls, base)
        assert issubclass(cls, PaymentEventBase)


@functools.cache
def schema_validator() -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    return jsonschema.Draft202012Validator(json_schema("anddone"))


def chargeback_amount(text: str) -> Decimal | None:
    wire = body_of("TransactionChargeback", {"Amount": 0}).replace(
        '"Amount": 0', f'"Amount": {text}'
    )
    assert text in wire
    return parse("anddone", wire, verify=False).event_body.amount


@pytest.mark.parametrize(
    ("text", "exact"),
    [
        ("12345678901234567.89", "12345678901234567.89"),  # beyond a double's 17 digits
        ("125.50", "125.50"),
        ("1.5e2", "150"),
        ("-0.1", "-0.1"),
        ("123456789012345678", "123456789012345678"),
    ],
)
def test_amounts_sent_as_numbers_are_read_from_their_text(text: str, exact: str) -> None:
    amount = chargeback_amount(text)
    assert amount == Decimal(exact)
    assert str(amount) == str(Decimal(text))


@pytest.mark.parametrize(
    "text",
    [
        '"1E+999999999"',
        '"1_000.50"',
        '" 12.5 "',
        '"12.5\\n"',
        '"+12.5"',
        '".5"',
        '"5."',
        '"0x10"',
        '"1234567890123456789"',  # 19 digits before the point
        '"1.12345678901"',  # 11 after it
        "0.10000000000000001",  # a double reads it as 0.1
        "1e-400",  # a double reads it as 0.0
        "1e-4" + "0" * 150,  # an exponent beyond what a Decimal holds (found by fuzzing)
        "1234567890123456789",
        "1e18",
    ],
)
def test_amounts_beyond_plain_bounded_decimals_are_refused(text: str) -> None:
    with pytest.raises(PayloadValidationError) as caught:
        chargeback_amount(text)
    assert caught.value.errors[0]["loc"] == ("EventBody", "Amount")
    assert caught.value.errors[0]["type"] in ("amount_text", "amount_range")


@given(plain_amounts)
def test_the_schema_takes_exactly_the_amount_text_parse_takes(amount: Decimal) -> None:
    validator = schema_validator()
    body = json.loads(body_of("TransactionChargeback", {"Amount": str(amount)}))
    assert validator.is_valid(body)
    body["EventBody"]["Amount"] = f" {amount}"
    assert not validator.is_valid(body)


def test_the_amount_messages_state_the_bounds_enforced() -> None:
    from webhook_payloads.anddone import _money

    stated = _money._WHY  # pyright: ignore[reportPrivateUsage]
    bounds = (_money.MAX_INTEGER_DIGITS, _money.MAX_FRACTION_DIGITS)
    assert stated == "at most {} digits before the point and {} after".format(*bounds)


@pytest.mark.parametrize(
    "text",
    [
        "12345678901234567.89",
        '"12345678901234567.89"',
        "125.50",
        "21.345678901234568e+16",  # found by fuzzing: was written back as "2.1...E+17"
        "-1.2345678E-3",
    ],
)
def test_exact_amounts_survive_dumps_and_queues(text: str) -> None:
    wire = body_of("TransactionChargeback", {"Amount": 0})
    event = parse("anddone", wire.replace('"Amount": 0', f'"Amount": {text}'), verify=False)
    assert from_json(to_json(event)) == event
    again = parse("anddone", event.model_dump_json(by_alias=True), verify=False)
    assert again.event_body.amount == event.event_body.amount == Decimal(text.strip('"'))


@given(
    # Any digits, and often 17 of them: more than a double holds, so written back as text.
    st.integers(1, 10**17 - 1) | st.integers(10**16, 10**17 - 1),
    st.integers(-MAX_FRACTION_DIGITS, MAX_INTEGER_DIGITS - 1),
    st.booleans(),
)
def test_an_amount_sent_in_exponent_form_within_the_bounds_survives_dumps(
    digits: int, exponent: int, negative: bool
) -> None:
    # The number as a sender's JSON library may write it: digits, then an exponent.
    amount = Decimal(f"{'-' if negative else ''}{digits}E{exponent}")
    assume(amount.adjusted() < MAX_INTEGER_DIGITS)
    wire = body_of("TransactionChargeback", {"Amount": 0})
    event = parse("anddone", wire.replace('"Amount": 0', f'"Amount": {amount:e}'), verify=False)
    assert event.event_body.amount == amount
    assert from_json(to_json(event)) == event
    dumped = event.model_dump_json(by_alias=True)
    again = parse("anddone", dumped, verify=False)
    assert again == event
    assert again.model_dump_json(by_alias=True) == dumped
