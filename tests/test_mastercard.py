import contextlib
import json
import pickle
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
    parse,
)
from webhook_payloads._samples import sample_body, sample_names
from webhook_payloads.mastercard import (
    MastercardEventBase,
    ReportCustomField,
    ReportDone,
    ReportFailed,
    ReportFamily,
    ReportInProgress,
    ReportPrimaryFieldUpdate,
)

from .conftest import payload_files, unknown_event_files

PAYLOADS = Path(__file__).parent / "payloads" / "mastercard"
SEED_FILES = sorted(PAYLOADS.glob("seed000_*.json"))
UNKNOWN_EVENT = PAYLOADS / "unknown" / "expired.json"  # eventName "expired": no such event

# What each file must parse to: the event class and its report family.
EXPECTED: dict[str, tuple[type[MastercardEventBase], ReportFamily]] = {
    "seed000_standard_inProgress": (ReportInProgress, ReportFamily.STANDARD),
    "seed000_standard_failed": (ReportFailed, ReportFamily.STANDARD),
    "seed000_standard_done": (ReportDone, ReportFamily.STANDARD),
    "seed000_preQualVoa_inProgress": (ReportInProgress, ReportFamily.PREQUALIFICATION),
    "seed000_preQualVoa_failed": (ReportFailed, ReportFamily.PREQUALIFICATION),
    "seed000_preQualVoa_done": (ReportDone, ReportFamily.PREQUALIFICATION),
    "seed000_voieTxVerify_inProgress": (ReportInProgress, ReportFamily.VOIE_PAYSTUB),
    "seed000_voieTxVerify_failed": (ReportFailed, ReportFamily.VOIE_PAYSTUB),
    "seed000_voieTxVerify_done": (ReportDone, ReportFamily.VOIE_PAYSTUB),
    "seed000_voieTxVerify_primaryFieldUpdate": (
        ReportPrimaryFieldUpdate,
        ReportFamily.VOIE_PAYSTUB,
    ),
    "variant_customerId_string": (ReportDone, ReportFamily.STANDARD),
    "variant_unknown_type_status": (ReportInProgress, ReportFamily.STANDARD),
    "variant_minimal": (ReportFailed, ReportFamily.STANDARD),
    "variant_nulls": (ReportDone, ReportFamily.STANDARD),
    "variant_extra_fields": (ReportPrimaryFieldUpdate, ReportFamily.VOIE_PAYSTUB),
}
VALID_FILES = [PAYLOADS / f"{name}.json" for name in EXPECTED]


def test_every_payload_file_has_an_expectation() -> None:
    assert {path.stem for path in payload_files("mastercard")} == set(EXPECTED)
    assert unknown_event_files("mastercard") == [UNKNOWN_EVENT]
    assert len(SEED_FILES) == 10  # every JSON example of seed 000


@pytest.mark.parametrize("path", VALID_FILES, ids=lambda p: p.stem)
def test_payload_files_parse_to_their_class(path: Path) -> None:
    body = path.read_bytes()
    event = parse("mastercard", body)
    cls, family = EXPECTED[path.stem]
    assert type(event) is cls
    assert event.family is family
    wire = json.loads(body)
    assert event.event_name == wire["eventName"] == event.event_type
    assert event.id == wire["id"]
    assert event.status == wire["status"]
    assert event.provider == "mastercard"
    assert event.idempotency_key == f"mastercard:{wire['eventName']}:{wire['id']}"


@pytest.mark.parametrize("path", SEED_FILES, ids=lambda p: p.stem)
def test_seed_examples_field_by_field(path: Path) -> None:
    event = parse(Provider.MASTERCARD, path.read_bytes())
    assert event.customer_id == "123456"
    assert event.portfolio_id == "PORTFOLIO_ID"
    assert event.report_custom_fields == (
        ReportCustomField(label="label 0", value="value 0", shown=False),
    )
    if event.family is ReportFamily.PREQUALIFICATION:
        assert event.consumer_id is None
        assert event.consumer_ssn is None
    else:
        assert event.consumer_id == "CONSUMER_ID"
        assert event.consumer_ssn == "1234"


def repickled(event: object) -> object:
    return pickle.loads(pickle.dumps(event))


def load(name: str) -> Any:
    return parse("mastercard", (PAYLOADS / f"{name}.json").read_bytes())


def test_customer_id_string_and_number_give_the_same_str() -> None:
    assert load("variant_customerId_string").customer_id == "5019498180"
    assert load("seed000_standard_done").customer_id == "123456"


def test_customer_id_refuses_what_is_neither_number_nor_string() -> None:
    body = b'{"eventName": "done", "id": "r", "status": "success", "customerId": true}'
    with pytest.raises(PayloadValidationError) as info:
        parse("mastercard", body)
    assert info.value.errors[0]["loc"] == ("customerId",)


def test_custom_field_without_shown() -> None:
    body = (
        b'{"eventName": "done", "id": "r", "status": "success",'
        b' "reportCustomFields": [{"label": "loan", "value": "L-1"}]}'
    )
    (field,) = parse("mastercard", body).report_custom_fields
    assert field == ReportCustomField(label="loan", value="L-1")
    assert field.shown is None


def test_unknown_type_and_status_are_kept_as_sent() -> None:
    event = load("variant_unknown_type_status")
    assert event.type == "someFutureReport"
    assert event.status == "queued"


def test_optional_fields_may_be_absent_or_null() -> None:
    for name in ("variant_minimal", "variant_nulls"):
        event = load(name)
        assert event.consumer_id is None
        assert event.consumer_ssn is None
        assert event.type is None
        assert event.customer_id is None
        assert event.portfolio_id is None
        assert event.report_custom_fields == ()


def test_extra_fields_are_kept_and_hidden_from_repr() -> None:
    event = load("variant_extra_fields")
    assert event.model_extra == {"newTopLevelField": {"nested": [1, 2, 3]}}
    assert event.report_custom_fields[0].model_extra == {"color": "blue"}
    assert "newTopLevelField" not in repr(event)
    dumped = json.loads(event.model_dump_json(by_alias=True))
    assert dumped["newTopLevelField"] == {"nested": [1, 2, 3]}


def test_ssn_and_custom_values_stay_out_of_repr_but_serialise() -> None:
    event = load("seed000_standard_done")
    assert "consumer_ssn" not in repr(event)
    assert "'1234'" not in repr(event)
    assert "'1234'" not in str(event)
    assert "value 0" not in repr(event)
    assert event.model_dump(by_alias=True)["consumerSsn"] == "1234"
    assert event.model_dump(by_alias=True)["reportCustomFields"][0]["value"] == "value 0"


def test_wire_names_come_back_with_by_alias() -> None:
    dumped = load("seed000_standard_done").model_dump(by_alias=True)
    assert set(dumped) == {
        "eventName",
        "id",
        "consumerId",
        "consumerSsn",
        "type",
        "status",
        "portfolioId",
        "customerId",
        "reportCustomFields",
    }


def test_unknown_event_name_raises_or_is_returned_generic() -> None:
    body = UNKNOWN_EVENT.read_bytes()
    with pytest.raises(UnknownEventError) as info:
        parse("mastercard", body)
    assert info.value.event_type == "expired"
    assert info.value.payload["id"] == "REPORT_ID"
    event = parse("mastercard", body, allow_unknown=True)
    assert isinstance(event, UnknownEvent)
    assert event.event_type == "expired"


def test_missing_event_name_is_a_validation_error() -> None:
    with pytest.raises(PayloadValidationError) as info:
        parse("mastercard", b'{"id": "r", "status": "success"}')
    assert info.value.errors[0]["loc"] == ("eventName",)


@pytest.mark.parametrize(
    "kwargs",
    [{"secret": "s3cr3t"}, {"secret": ["a", "b"]}, {"signature_scheme": object()}],
    ids=["secret", "secrets", "scheme"],
)
def test_a_secret_is_refused_because_nothing_is_signed(kwargs: dict[str, Any]) -> None:
    body = sample_body("mastercard", "done")
    with pytest.raises(ConfigurationError, match="does not sign report webhooks") as info:
        parse("mastercard", body, **kwargs)
    assert "s3cr3t" not in str(info.value)


def test_no_secret_is_needed_and_verify_false_changes_nothing() -> None:
    body = sample_body("mastercard", "done")
    assert parse("mastercard", body) == parse("mastercard", body, verify=False)


def test_a_webhook_parses_as_the_dispatcher_does() -> None:
    body = sample_body("mastercard", "inProgress")
    assert Webhook("mastercard").parse(body) == parse("mastercard", body)
    unknown = UNKNOWN_EVENT.read_bytes()
    assert isinstance(Webhook("mastercard", allow_unknown=True).parse(unknown), UnknownEvent)


def test_one_sample_per_event_name_each_a_seed_example() -> None:
    assert sample_names("mastercard") == ["inProgress", "failed", "done", "primaryFieldUpdate"]
    seeds = {path.read_bytes() for path in SEED_FILES}
    for name in sample_names("mastercard"):
        body = sample_body("mastercard", name)
        assert body in seeds
        assert parse("mastercard", body).event_name == name


def test_events_are_frozen_hashable_and_pickle() -> None:
    event = load("seed000_voieTxVerify_primaryFieldUpdate")
    assert repickled(event) == event
    assert hash(event) == hash(repickled(event))
    with pytest.raises(ValueError, match="frozen"):
        event.id = "other"  # type: ignore[misc]


def test_report_family_prints_as_its_value() -> None:
    assert str(ReportFamily.VOIE_PAYSTUB) == "voie_paystub"


known_types = st.sampled_from(["voa", "voi", "preQualVoa", "voieTxVerify", "voaHistory"])
texts = st.text(max_size=20)
optional_strings = st.one_of(st.none(), texts)


@st.composite
def wire_events(draw: st.DrawFn) -> dict[str, Any]:
    event: dict[str, Any] = {
        "eventName": draw(st.sampled_from(["inProgress", "failed", "done", "primaryFieldUpdate"])),
        "id": draw(texts),
        "status": draw(st.one_of(st.sampled_from(["inProgress", "success", "failure"]), texts)),
    }
    optional = {
        "consumerId": optional_strings,
        "consumerSsn": optional_strings,
        "type": st.one_of(known_types, optional_strings),
        "portfolioId": optional_strings,
        "customerId": st.one_of(st.integers(min_value=0, max_value=10**15), texts),
        "reportCustomFields": st.lists(
            st.fixed_dictionaries({"label": texts, "value": texts, "shown": st.booleans()}),
            max_size=3,
        ),
    }
    for name, strategy in optional.items():
        if draw(st.booleans()):
            event[name] = draw(strategy)
    return event


@given(wire_events())
def test_any_documented_shape_parses_and_round_trips(wire: dict[str, Any]) -> None:
    event = parse("mastercard", json.dumps(wire))
    assert event.event_name == wire["eventName"]
    assert event.id == wire["id"]
    assert event.type == wire.get("type")
    if "customerId" in wire:
        assert event.customer_id == str(wire["customerId"])
    again = parse("mastercard", event.model_dump_json(by_alias=True))
    assert again == event
    assert repickled(event) == event
    expected = {
        "preQualVoa": ReportFamily.PREQUALIFICATION,
        "voieTxVerify": ReportFamily.VOIE_PAYSTUB,
    }
    assert event.family is expected.get(wire.get("type") or "", ReportFamily.STANDARD)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=10,
)


@given(
    st.dictionaries(st.sampled_from(["eventName", "id", "status", "customerId", "x"]), json_values)
)
def test_any_json_object_parses_or_raises_a_webhook_error(obj: dict[str, Any]) -> None:
    with contextlib.suppress(WebhookError):
        parse("mastercard", json.dumps(obj))


@given(st.binary(max_size=200))
def test_any_bytes_parse_or_raise_a_webhook_error(body: bytes) -> None:
    with contextlib.suppress(WebhookError):
        parse("mastercard", body)
