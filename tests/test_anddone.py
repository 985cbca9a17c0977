import contextlib
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
    ConfigurationError,
    PayloadValidationError,
    Provider,
    UnknownEvent,
    UnknownEventError,
    Webhook,
    WebhookError,
    anddone,
    json_schema,
    parse,
)
from webhook_payloads._samples import sample_body, sample_names
from webhook_payloads.anddone import (
    AdditionalField,
    ReportEventBase,
    ReportEventBody,
    ReportGenerated,
    ReportGeneratedWithNoData,
    ReportGenerationFailed,
    format_datetime,
)

from .conftest import payload_files, unknown_event_files

PAYLOADS = Path(__file__).parent / "payloads" / "anddone"
SEED = PAYLOADS / "seed002_ReportGenerated.json"
UNKNOWN_EVENT = PAYLOADS / "unknown" / "ExampleNotModelled.json"  # a made-up EventCode

EXPECTED: dict[str, type[ReportEventBase]] = {
    "seed002_ReportGenerated": ReportGenerated,
    "variant_failed_error_message": ReportGenerationFailed,
    "variant_event_body_array": ReportGeneratedWithNoData,
    "variant_nulls": ReportGenerated,
    "variant_extra_fields": ReportGenerated,
}
VALID_FILES = [PAYLOADS / f"{name}.json" for name in EXPECTED]
# The payment modules' files are checked in test_anddone_payments.py, the void and premium
# finance ones in test_anddone_void_premium_finance.py.
PAYMENT_FILES = {path.stem for path in PAYLOADS.glob("payment_*.json")}
OTHER_MODULE_FILES = {"built_void_TransactionVoided", "docs_premium-finance_AccountBooked"}


def repickled(event: object) -> object:
    return pickle.loads(pickle.dumps(event))


def load(name: str) -> Any:
    return parse("anddone", (PAYLOADS / f"{name}.json").read_bytes(), verify=False)


def test_every_payload_file_has_an_expectation() -> None:
    stems = {path.stem for path in payload_files("anddone")}
    assert stems == set(EXPECTED) | PAYMENT_FILES | OTHER_MODULE_FILES
    assert unknown_event_files("anddone") == [UNKNOWN_EVENT]


@pytest.mark.parametrize("path", VALID_FILES, ids=lambda p: p.stem)
def test_payload_files_parse_to_their_class_and_round_trip(path: Path) -> None:
    body = path.read_bytes()
    event = parse("anddone", body, verify=False)
    assert type(event) is EXPECTED[path.stem]
    wire = json.loads(body)
    assert event.event_code == wire["EventCode"] == event.event_type
    assert event.event_date_time_text == wire["EventDateTime"]
    assert event.provider == "anddone"
    again = parse("anddone", event.model_dump_json(by_alias=True), verify=False)
    assert again == event
    assert repickled(event) == event


def test_seed_example_field_by_field() -> None:
    event = parse("anddone", SEED.read_bytes(), verify=False)
    assert isinstance(event, ReportGenerated)
    assert event.event_date_time == datetime(2023, 12, 15, 0, 2, 51)
    assert event.event_date_time.tzinfo is None
    assert event.event_date_time_text == "12-15-2023 00:02:51"
    body = event.event_body
    assert body == ReportEventBody(
        merchant_id="4bvl9KxM",
        user_type="Merchant",
        subscription_status="On",
        frequency="Daily",
        frequency_param="11:50",
        report_id="KGx1n813",
        retention_policy_id="KGx1n813",
        report_schema_id="KGx1n813",
        report_name="Daily Authorization Report",
        report_file_name="report_payment_authorization_2023_12_14.csv",
        report_file_size="0.9KB",
        report_access_url=None,
        notification_type="Report-available",
        notification_date="12-15-2023 00:02:51",
        created_on="07-19-2022 10:27:59",
        modified_on="06-20-2023 07:05:58",
        created_by="TrustInC",
        modified_by="TrustInC",
        next_generation_time="12-15-2023 23:59:59",
        error_message=None,
        reason_code="200",
        time_zone="Eastern",
    )
    assert event.additional_fields == (AdditionalField(report_generation_log_id="evGYDYL8"),)
    assert event.report_generation_log_id == "evGYDYL8"
    assert event.signature == "uU5MwjVom5UMjdEQanVhjn1Wfb6R11i9ENr/PIFw8m0="
    assert re.fullmatch("anddone:ReportGenerated:KGx1n813:~[0-9a-f]{64}", event.idempotency_key)


def test_wire_shape_comes_back_with_by_alias() -> None:
    wire = json.loads(SEED.read_bytes())
    dumped = parse("anddone", SEED.read_bytes(), verify=False).model_dump(by_alias=True)
    assert set(dumped) == set(wire)
    assert set(dumped["EventBody"]) == set(wire["EventBody"])
    assert "ReportAccessURL" in dumped["EventBody"]
    assert dumped["EventDateTime"] == wire["EventDateTime"]
    assert dumped["AdditionalFields"] == wire["AdditionalFields"]


def test_signature_stays_out_of_repr() -> None:
    event = load("seed002_ReportGenerated")
    assert "uU5Mwj" not in repr(event)
    assert "signature" not in repr(event)


def test_failed_report_carries_its_cause() -> None:
    event = load("variant_failed_error_message")
    assert isinstance(event, ReportGenerationFailed)
    assert event.event_body.error_message == "Report schema not found"
    assert event.event_body.reason_code == "404"
    assert event.event_body.report_file_name is None


def test_event_body_array_of_one_is_accepted() -> None:
    event = load("variant_event_body_array")
    assert event.event_body.report_id == "KGx1n813"
    assert event.event_body.notification_type == "Report-noData"
    assert json.loads(event.model_dump_json(by_alias=True))["EventBody"]["ReportId"] == "KGx1n813"


@pytest.mark.parametrize("items", ["[]", '[{"MerchantId": "a", "ReportId": "b"}, {}]'])
def test_event_body_array_of_other_lengths_is_refused(items: str) -> None:
    body = (
        '{"EventCode": "ReportGenerated", "EventDateTime": "12-15-2023 00:02:51", '
        f'"EventBody": {items}}}'
    )
    with pytest.raises(PayloadValidationError) as info:
        parse("anddone", body, verify=False)
    assert info.value.errors[0]["loc"] == ("EventBody",)
    assert info.value.errors[0]["type"] == "event_body_array"


def test_nulls_everywhere_the_table_allows() -> None:
    event = load("variant_nulls")
    fields = event.event_body.model_dump(exclude={"merchant_id", "report_id"})
    assert set(fields.values()) == {None}
    assert event.additional_fields == ()
    assert event.report_generation_log_id is None
    assert event.signature is None
    assert re.fullmatch("anddone:ReportGenerated:KGx1n813:~[0-9a-f]{64}", event.idempotency_key)


def test_unknown_keys_are_kept_at_every_level() -> None:
    event = load("variant_extra_fields")
    assert event.model_extra == {"EventVersion": "2"}
    assert event.event_body.model_extra == {"ReportFormat": "csv"}
    assert event.event_body.notification_type == "Report-archived"
    assert event.additional_fields[0].model_extra == {"BatchId": "b-17"}
    assert event.report_generation_log_id == "evGYDYL8"
    wire = json.loads(event.model_dump_json(by_alias=True))
    assert json.loads(wire["AdditionalFields"]) == [
        {"ReportGenerationLogId": "evGYDYL8", "BatchId": "b-17"}
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"[]"', ()),
        ('""', ()),
        (
            '"{\\"ReportGenerationLogId\\": \\"x\\"}"',
            (AdditionalField(report_generation_log_id="x"),),
        ),
        ('[{"ReportGenerationLogId": "y"}]', (AdditionalField(report_generation_log_id="y"),)),
        ('"[{\\"Other\\": 1}, {\\"ReportGenerationLogId\\": \\"z\\"}]"', None),
    ],
    ids=["empty-array", "empty-string", "one-object", "already-decoded", "id-in-second-item"],
)
def test_additional_fields_shapes(text: str, expected: tuple[AdditionalField, ...] | None) -> None:
    body = (
        '{"EventCode": "ReportGenerated", "EventDateTime": "12-15-2023 00:02:51", '
        f'"EventBody": {{"MerchantId": "a", "ReportId": "b"}}, "AdditionalFields": {text}}}'
    )
    event = parse("anddone", body, verify=False)
    if expected is not None:
        assert event.additional_fields == expected
    else:
        assert event.report_generation_log_id == "z"
    assert parse("anddone", event.model_dump_json(by_alias=True), verify=False) == event


@pytest.mark.parametrize(
    "text",
    [
        '"not json"',
        '"[1, 2]"',
        '"[{\\"a\\": 1}"',
        "5",
        '"[{\\"a\\": NaN}]"',
        '"[{\\"a\\": -Infinity}]"',
        '"' + "[" * 100_000 + "]" * 100_000 + '"',
        # Deeper than the body's own limit, yet within the standard library's: such an event
        # would not dump or pickle.
        '"[{\\"a\\": ' + "[" * 300 + "]" * 300 + '}]"',
        # An escaped lone surrogate: not text any encoder can write back.
        '"[{\\"ReportGenerationLogId\\": \\"\\\\ud800\\"}]"',
    ],
    ids=[
        "not-json",
        "not-objects",
        "unclosed",
        "number",
        "nan",
        "infinity",
        "deep",
        "deeper-than-the-body",
        "lone-surrogate",
    ],
)
def test_additional_fields_that_are_not_objects_are_refused(text: str) -> None:
    body = (
        '{"EventCode": "ReportGenerated", "EventDateTime": "12-15-2023 00:02:51", '
        f'"EventBody": {{"MerchantId": "a", "ReportId": "b"}}, "AdditionalFields": {text}}}'
    )
    with pytest.raises(PayloadValidationError) as info:
        parse("anddone", body, verify=False)
    assert info.value.errors[0]["loc"][0] == "AdditionalFields"


@pytest.mark.parametrize(
    "text",
    [
        "2023-12-15T00:02:51",
        "15-12-2023 00:02:51",
        "12-15-2023 24:00:00",
        "1-5-2023 00:02:51",
        "12-15-2023 00:02:51.5",
        "12-15-2023",
        "",
    ],
)
def test_event_date_time_must_be_the_documented_format(text: str) -> None:
    body = json.dumps(
        {
            "EventCode": "ReportGenerated",
            "EventDateTime": text,
            "EventBody": {"MerchantId": "a", "ReportId": "b"},
        }
    )
    with pytest.raises(PayloadValidationError) as info:
        parse("anddone", body, verify=False)
    assert info.value.errors[0]["loc"] == ("EventDateTime",)
    assert info.value.errors[0]["type"] == "anddone_datetime"
    assert text not in str(info.value) or not text


def test_event_date_time_rejects_a_number() -> None:
    body = (
        '{"EventCode": "ReportGenerated", "EventDateTime": 5, '
        '"EventBody": {"MerchantId": "a", "ReportId": "b"}}'
    )
    with pytest.raises(PayloadValidationError):
        parse("anddone", body, verify=False)


def test_models_built_by_hand_take_datetimes_but_only_naive_whole_seconds() -> None:
    body = ReportEventBody(merchant_id="a", report_id="b")
    made = ReportGenerated(
        event_code="ReportGenerated",
        event_date_time=datetime(2024, 2, 29, 23, 59, 59),
        event_body=body,
    )
    assert made.event_date_time_text == "02-29-2024 23:59:59"
    assert parse("anddone", made.model_dump_json(by_alias=True), verify=False) == made
    for bad in (
        datetime(2024, 1, 1, microsecond=5),
        datetime.fromisoformat("2024-01-01T00:00:00+00:00"),
    ):
        with pytest.raises(ValueError, match="naive"):
            ReportGenerated(event_code="ReportGenerated", event_date_time=bad, event_body=body)


def test_unknown_event_code_raises_or_is_returned_generic() -> None:
    body = UNKNOWN_EVENT.read_bytes()
    with pytest.raises(UnknownEventError) as info:
        parse("anddone", body, verify=False)
    assert info.value.event_type == "ExampleNotModelled"
    event = parse("anddone", body, verify=False, allow_unknown=True)
    assert isinstance(event, UnknownEvent)
    assert event.event_type == "ExampleNotModelled"
    assert Webhook("anddone", verify=False, allow_unknown=True).parse(body) == event


def test_fails_closed_without_a_secret() -> None:
    with pytest.raises(ConfigurationError, match="no secret"):
        parse("anddone", SEED.read_bytes())


def test_a_secret_without_a_scheme_explains_the_choice() -> None:
    with pytest.raises(ConfigurationError, match="does not publish") as info:
        parse(Provider.ANDDONE, SEED.read_bytes(), secret="ab" * 32)
    assert "abab" not in str(info.value)
    assert "signature_scheme" in str(info.value)


def test_a_scheme_of_the_wrong_type_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="SignatureScheme"):
        parse("anddone", SEED.read_bytes(), secret="ab" * 32, signature_scheme="hex")  # type: ignore[call-overload]


def test_samples_one_per_event_code() -> None:
    assert sample_names("anddone")[:3] == [
        "ReportGenerated",
        "ReportGeneratedWithNoData",
        "ReportGenerationFailed",
    ]
    assert sample_body("anddone", "ReportGenerated") == SEED.read_bytes()
    for name in sample_names("anddone"):
        event = parse("anddone", sample_body("anddone", name), verify=False)
        assert event.event_code == name
    failed = parse("anddone", sample_body("anddone", "ReportGenerationFailed"), verify=False)
    assert failed.event_body.error_message is not None


naive_datetimes = st.datetimes(
    min_value=datetime(1, 1, 1),
    max_value=datetime(9999, 12, 31, 23, 59, 59),
).map(lambda d: d.replace(microsecond=0))


@given(naive_datetimes)
def test_any_date_time_is_read_and_written_back_exactly(moment: datetime) -> None:
    text = format_datetime(moment)
    assert len(text) == 19
    body = json.dumps(
        {
            "EventCode": "ReportGeneratedWithNoData",
            "EventDateTime": text,
            "EventBody": {"MerchantId": "a", "ReportId": "b"},
        }
    )
    event = parse("anddone", body, verify=False)
    assert event.event_date_time == moment
    assert event.event_date_time_text == text
    assert datetime.strptime(text, anddone.DATETIME_FORMAT) == moment


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
def test_event_date_time_reads_exactly_what_strptime_reads(text: str) -> None:
    # Every string of the pattern's shape, impossible dates and times included.
    try:
        expected: datetime | None = datetime.strptime(text, anddone.DATETIME_FORMAT)
    except ValueError:
        expected = None
    body = json.dumps(
        {
            "EventCode": "ReportGeneratedWithNoData",
            "EventDateTime": text,
            "EventBody": {"MerchantId": "a", "ReportId": "b"},
        }
    )
    if expected is None:
        with pytest.raises(PayloadValidationError) as caught:
            parse("anddone", body, verify=False)
        assert [error["loc"] for error in caught.value.errors] == [("EventDateTime",)]
    else:
        assert parse("anddone", body, verify=False).event_date_time == expected


body_fields = st.fixed_dictionaries(
    {"MerchantId": st.text(max_size=8), "ReportId": st.text(max_size=8)},
    optional={
        name: st.one_of(st.none(), st.text(max_size=12))
        for name in (
            "ReportName",
            "ErrorMessage",
            "ReasonCode",
            "NotificationType",
            "ReportAccessURL",
        )
    },
)
additional = st.lists(
    st.fixed_dictionaries(
        {},
        optional={"ReportGenerationLogId": st.text(max_size=8), "Other": st.integers()},
    ),
    max_size=3,
)


@given(
    st.sampled_from(["ReportGenerated", "ReportGeneratedWithNoData", "ReportGenerationFailed"]),
    naive_datetimes,
    body_fields,
    additional,
    st.booleans(),
)
def test_any_documented_shape_parses_and_round_trips(
    code: str, moment: datetime, fields: dict[str, Any], items: list[dict[str, Any]], as_array: bool
) -> None:
    wire = {
        "EventCode": code,
        "EventDateTime": format_datetime(moment),
        "EventBody": [fields] if as_array else fields,
        "AdditionalFields": json.dumps(items),
    }
    event = parse("anddone", json.dumps(wire), verify=False)
    assert event.event_code == code
    assert event.event_body.report_id == fields["ReportId"]
    assert len(event.additional_fields) == len(items)
    ids = [item["ReportGenerationLogId"] for item in items if "ReportGenerationLogId" in item]
    assert event.report_generation_log_id == (ids[0] if ids else None)
    assert parse("anddone", event.model_dump_json(by_alias=True), verify=False) == event
    assert repickled(event) == event


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=10,
)


@given(
    st.dictionaries(
        st.sampled_from(
            ["EventCode", "EventDateTime", "EventBody", "AdditionalFields", "Signature"]
        ),
        json_values,
    )
)
def test_any_json_object_parses_or_raises_a_webhook_error(obj: dict[str, Any]) -> None:
    with contextlib.suppress(WebhookError):
        parse("anddone", json.dumps(obj), verify=False)


def test_additional_fields_with_a_non_finite_number_are_refused() -> None:
    # Found by fuzzing: an array sent undecoded, holding a number too large for a float,
    # could not make the round trip. Such numbers are refused wherever they are.
    body = (
        b'{"EventCode": "ReportGenerated", "EventDateTime": "12-15-2023 00:02:51",'
        b' "EventBody": {"MerchantId": "4bvl9KxM", "ReportId": "KGx1n813"},'
        b' "AdditionalFields": [{"ReportGenerationLogId": "L1", "n": 1e400}]}'
    )
    with pytest.raises(PayloadValidationError) as caught:
        parse("anddone", body, verify=False)
    assert caught.value.errors[0]["type"] == "finite_number"


@pytest.mark.parametrize("as_text", [True, False], ids=["json-text", "array"])
def test_additional_fields_are_capped_at_a_thousand_items(as_text: bool) -> None:
    # AndDone sends one item; a megabyte of "[{},{},...]" would have been 350,000 models and
    # about 200 MiB (and under the EventBody scheme AdditionalFields is not signed).
    def body(count: int) -> str:
        items = json.dumps([{"ReportGenerationLogId": "x"}] * count)
        value = json.dumps(items) if as_text else items
        return (
            '{"EventCode": "ReportGenerated", "EventDateTime": "12-15-2023 00:02:51", '
            f'"EventBody": {{"MerchantId": "a", "ReportId": "b"}}, "AdditionalFields": {value}}}'
        )

    assert len(parse("anddone", body(1000), verify=False).additional_fields) == 1000
    with pytest.raises(PayloadValidationError) as caught:
        parse("anddone", body(1001), verify=False)
    (error,) = caught.value.errors
    assert error == {
        "loc": ("AdditionalFields",),
        "type": "additional_fields_too_many",
        "msg": "AdditionalFields should have at most 1000 items",
    }


@pytest.mark.parametrize(("count", "valid"), [(1000, True), (1001, False)])
def test_the_schema_caps_additional_fields_as_parse_does(count: int, valid: bool) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(json_schema("anddone"))
    body = json.loads(sample_body("anddone", "ReportGenerated"))
    body["AdditionalFields"] = [{"ReportGenerationLogId": "x"}] * count
    assert validator.is_valid(body) == valid
