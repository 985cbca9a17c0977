"""Mastercard Connect webhooks: published examples, captured deliveries, signatures, models.

Where each body in ``payloads/mastercard_connect/`` comes from is in that folder's README.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import pickle
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webhook_payloads import (
    ConfigurationError,
    PayloadValidationError,
    Provider,
    SignatureError,
    UnknownEvent,
    UnknownEventError,
    WebhookEvent,
    parse,
)
from webhook_payloads import mastercard_connect as connect
from webhook_payloads._samples import sample_body, sample_names
from webhook_payloads.mastercard_connect import (
    AccountsAdded,
    AccountsAdding,
    AccountsDeleted,
    AccountsDiscovered,
    ConnectDone,
    ConnectStarted,
    CredentialsUpdated,
    InstitutionNotFound,
    InstitutionNotSupported,
    InstitutionSupported,
    InvalidCredentials,
    Ping,
    Processing,
    UnableToConnect,
    sign,
    signed_headers,
    verify_signature,
)
from webhook_payloads.testing import build_request, event_types

from .conftest import PAYLOADS, payload_files, unknown_event_files

SECRET = "partner-secret-0123"
FOLDER = PAYLOADS / "mastercard_connect"
CLASSES: dict[str, type[WebhookEvent]] = {
    "ping": Ping,
    "started": ConnectStarted,
    "institutionSupported": InstitutionSupported,
    "institutionNotSupported": InstitutionNotSupported,
    "institutionNotFound": InstitutionNotFound,
    "discovered": AccountsDiscovered,
    "adding": AccountsAdding,
    "processing": Processing,
    "added": AccountsAdded,
    "accountsDeleted": AccountsDeleted,
    "unableToConnect": UnableToConnect,
    "invalidCredentials": InvalidCredentials,
    "credentialsUpdated": CredentialsUpdated,
    "done": ConnectDone,
}
FILES = payload_files("mastercard_connect")
PUBLISHED = [p for p in FILES if p.name.startswith(("docs_", "captured_"))]


def load(name: str) -> bytes:
    return (FOLDER / name).read_bytes()


def connect_parse(body: bytes) -> Any:
    return parse("mastercard_connect", body, signed_headers(body, SECRET), secret=SECRET)


def test_every_modelled_event_type_is_known() -> None:
    assert event_types("mastercard_connect") == list(CLASSES)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_every_body_parses_signed_and_round_trips(path: Path) -> None:
    body = path.read_bytes()
    event = connect_parse(body)
    assert type(event) is CLASSES[json.loads(body)["eventType"]]
    assert event.provider == "mastercard_connect"
    assert event.event_type == json.loads(body)["eventType"]
    again = parse("mastercard_connect", event.model_dump_json(by_alias=True), verify=False)
    assert again == event
    assert hash(again) == hash(event)
    assert pickle.loads(pickle.dumps(event)) == event


@pytest.mark.parametrize("path", PUBLISHED, ids=lambda p: p.stem)
def test_published_bodies_keep_their_wire_shape(path: Path) -> None:
    # Verbatim: every member sent comes back under its wire name, with its value.
    event = connect_parse(path.read_bytes())
    dumped = event.model_dump(mode="json", by_alias=True, exclude_unset=True)
    assert dumped == json.loads(path.read_bytes())


@pytest.mark.parametrize(
    "path", [p for p in FILES if p.name.startswith("captured_")], ids=lambda p: p.stem
)
def test_captured_deliveries_are_compact_json(path: Path) -> None:
    # Mastercard sends compact JSON (the recorded content-length matches these bytes).
    body = path.read_bytes()
    assert json.dumps(json.loads(body), separators=(",", ":")).encode() == body


def test_every_sample_is_one_of_the_published_bodies() -> None:
    published = {p.read_bytes() for p in PUBLISHED}
    assert sample_names("mastercard_connect") == [
        "ping",
        "started",
        "institutionSupported",
        "adding",
        "processing",
        "added",
        "accountsDeleted",
        "done",
    ]
    for name in sample_names("mastercard_connect"):
        assert sample_body("mastercard_connect", name) in published


def test_added_accounts() -> None:
    event = connect_parse(load("docs_finicity_webhook-events-list_added.json"))
    assert isinstance(event, AccountsAdded)
    assert event.customer_id == "1017101354"
    assert event.idempotency_key == (
        "mastercard_connect:added:1611877956869-28ebb24c66699bf3c77f04b1"
    )
    assert event.payload.institution_id == "101732"
    first, second = event.payload.accounts
    assert (first.id, first.type, first.balance) == ("1045121390", "checking", 128.52)
    assert (first.number, first.real_account_number_last4) == ("1000001111", "1111")
    assert first.account_number_display == "1111"
    assert (first.institution_login_id, first.display_position) == (1022599285, 5)
    assert first.created_date == 1608197223
    assert first.detail is not None
    assert first.detail.available_balance_amount == 122.12
    assert first.detail.period_interest_rate == "4.5"
    assert second.type == "savings"


def test_captured_added_is_an_oauth_connection_with_unknown_account_types() -> None:
    event = connect_parse(load("captured_added.json"))
    assert isinstance(event, AccountsAdded)
    assert event.payload.oauth is True
    assert [a.type for a in event.payload.accounts] == ["ira", "401k", "savings", "creditCard"]
    assert event.payload.accounts[0].last_updated_date == 0
    assert event.payload.accounts[3].balance == -1952.71


def test_account_numbers_and_personal_data_stay_out_of_repr() -> None:
    body = load("docs_finicity_webhook-events-list_added.json")
    event = connect_parse(body)
    shown = repr(event) + str(event) + repr(event.payload.accounts[0])
    for secret_value in ("1000001111", "1111", "Checking", "128.52", "122.12"):
        assert secret_value not in shown
    assert "1045121390" in shown  # ids are not personal data
    # They still serialise.
    assert event.payload.accounts[0].model_dump(by_alias=True)["number"] == "1000001111"


def test_webhook_data_is_kept_as_given_and_out_of_repr() -> None:
    event = connect_parse(load("docs_mastercard_webhooks-custom_started.json"))
    assert isinstance(event, ConnectStarted)
    assert event.webhook_data == {
        "unquiqueCustomerId": "123456789",
        "uniqueRequestId": "234567890",
    }
    assert event.consumer_id == "86238nvnw7269e224a4e3de12352d87d"
    assert "234567890" not in repr(event)
    empty = connect_parse(load("docs_finicity_connect-and-mvs-webhooks_started.json"))
    assert empty.webhook_data == {}
    assert connect_parse(load("captured_started.json")).webhook_data is None


def test_institution_not_found_query_stays_out_of_repr() -> None:
    event = connect_parse(load("variant_institutionNotFound.json"))
    assert isinstance(event, InstitutionNotFound)
    assert event.payload.query == "Bank of Nowhere"
    assert "Nowhere" not in repr(event)


def test_unknown_keys_are_kept_at_every_level_and_out_of_repr() -> None:
    event = connect_parse(load("variant_extra_fields.json"))
    assert isinstance(event, AccountsAdded)
    assert event.model_extra == {"newTopLevel": {"a": 1}}
    assert event.payload.model_extra == {"newInPayload": True}
    account = event.payload.accounts[0]
    assert account.model_extra == {"newInAccount": "x"}
    assert account.detail is not None
    assert account.detail.model_extra == {"newInDetail": 2}
    assert "newTopLevel" not in repr(event)


def test_customer_and_institution_ids_sent_as_numbers_become_text() -> None:
    event = connect_parse(load("variant_customerId_number.json"))
    assert isinstance(event, InstitutionSupported)
    assert event.customer_id == "6030781868"
    assert event.payload.institution_id == "102176"


@given(customer_id=st.integers(min_value=0, max_value=10**18))
def test_any_numeric_customer_id_is_its_decimal_text(customer_id: int) -> None:
    body = json.dumps(
        {"customerId": customer_id, "eventType": "started", "eventId": "e", "payload": {}}
    )
    event = parse("mastercard_connect", body, verify=False)
    assert isinstance(event, ConnectStarted)
    assert event.customer_id == str(customer_id)


def test_accounts_deleted_in_both_published_forms() -> None:
    old = connect_parse(load("docs_finicity_webhook-events-list_accountsDeleted.json"))
    new = connect_parse(load("docs_mastercard_webhooks-events-connect_accountsDeleted.json"))
    assert isinstance(old, AccountsDeleted)
    assert isinstance(new, AccountsDeleted)
    assert (old.payload.accounts, old.payload.institution_id) == (("1024371952",), None)
    assert (new.payload.accounts, new.payload.institution_id) == (("7077265539",), "101732")


def test_adding_and_failures_carry_the_institution() -> None:
    adding = connect_parse(load("captured_adding.json"))
    assert isinstance(adding, AccountsAdding)
    assert (adding.payload.institution_id, adding.payload.oauth) == ("102176", True)
    failed = connect_parse(load("variant_unableToConnect.json"))
    assert isinstance(failed, UnableToConnect)
    assert (failed.payload.institution_id, failed.payload.code) == ("101732", 945)
    processing = connect_parse(load("captured_processing.json"))
    assert isinstance(processing, Processing)
    assert processing.payload.institution_id == "102176"


def test_events_without_a_published_payload_keep_it_open() -> None:
    event = connect_parse(load("variant_invalidCredentials.json"))
    assert isinstance(event, InvalidCredentials)
    assert event.payload.model_extra == {"institutionId": "101732", "code": 103}


def test_done_at_the_end_of_a_session_and_for_reports() -> None:
    session = connect_parse(load("captured_done.json"))
    assert isinstance(session, ConnectDone)
    assert session.reports == ()
    reports = connect_parse(load("variant_done_reports_array.json"))
    assert isinstance(reports, ConnectDone)
    assert [r.model_extra for r in reports.reports] == [
        {"reportId": "r-1", "reportType": "voa"},
        {"reportId": "r-2", "reportType": "voi"},
    ]
    assert reports.customer_id == "5019498180"


def test_ping_has_no_customer_nor_event_id() -> None:
    event = connect_parse(load("docs_finicity_connect-webhooks_ping.json"))
    assert isinstance(event, Ping)
    assert not hasattr(event, "customer_id")
    assert not hasattr(event, "event_id")
    pretty = connect_parse(load("docs_mastercard_au_webhooks-event-connect_ping.json"))
    assert pretty == event
    assert pretty.idempotency_key == event.idempotency_key
    assert re.fullmatch("mastercard_connect:ping:~[0-9a-f]{64}", event.idempotency_key)


def test_a_retry_has_the_same_idempotency_key() -> None:
    body = load("captured_processing.json")
    assert connect_parse(body).idempotency_key == connect_parse(body).idempotency_key
    assert connect_parse(body).idempotency_key == (
        "mastercard_connect:processing:" + json.loads(body)["eventId"]
    )


def test_event_type_is_the_discriminator_field() -> None:
    info = AccountsAdded.model_fields["event_type"]
    assert info.alias == "eventType"
    built = ConnectStarted(event_type="started", customer_id="1", event_id="e", payload={})
    assert built.event_type == "started"
    assert built.model_dump(by_alias=True)["eventType"] == "started"


@pytest.mark.parametrize("key", ["event_type", "customer_id", "event_id", "webhook_data"])
def test_attribute_names_are_refused_on_the_wire(key: str) -> None:
    data = json.loads(load("captured_processing.json"))
    data[key] = data.get("eventType", "x") if key == "event_type" else "x"
    with pytest.raises(PayloadValidationError):
        parse("mastercard_connect", json.dumps(data), verify=False)


def test_missing_envelope_fields_are_refused() -> None:
    data = json.loads(load("captured_processing.json"))
    del data["eventId"]
    with pytest.raises(PayloadValidationError) as info:
        parse("mastercard_connect", json.dumps(data), verify=False)
    assert info.value.errors[0]["loc"] == ("eventId",)


@pytest.mark.parametrize("path", unknown_event_files("mastercard_connect"), ids=lambda p: p.stem)
def test_unknown_event_types(path: Path) -> None:
    body = path.read_bytes()
    with pytest.raises(UnknownEventError) as info:
        connect_parse(body)
    assert info.value.event_type == "financialConsentCreated"
    assert info.value.payload == json.loads(body)
    event = parse("mastercard_connect", body, verify=False, allow_unknown=True)
    assert isinstance(event, UnknownEvent)
    assert event.provider == "mastercard_connect"


# -- signature ---------------------------------------------------------------------------


def test_signature_is_hex_hmac_sha256_of_the_raw_body() -> None:
    body = b'{"eventType":"ping","payload":{}}'
    # HMAC-SHA256 keyed with the partner secret, computed independently.
    expected = hmac.new(b"secret", body, hashlib.sha256).hexdigest()
    assert sign(body, "secret") == expected
    assert signed_headers(body, "secret")["X-Finicity-Signature"] == expected
    assert connect.SIGNATURE_HEADER == "X-Finicity-Signature"


def test_verification_accepts_any_header_case_and_upper_case_hex() -> None:
    body = load("captured_added.json")
    signature = sign(body, SECRET)
    verify_signature(body, {"x-finicity-signature": signature.upper()}, SECRET)
    verify_signature(body, {"X-FINICITY-SIGNATURE": signature}, ["old", SECRET])
    event = parse(
        Provider.MASTERCARD_CONNECT, body, {"x-finicity-signature": signature}, secret=SECRET
    )
    assert isinstance(event, AccountsAdded)


def test_a_reserialised_body_does_not_verify() -> None:
    # Guides that sign JSON.stringify(parsed body) work only because the body is compact:
    # the library verifies the bytes received.
    body = load("docs_mastercard_webhooks-custom_started.json")
    headers = signed_headers(body, SECRET)
    reserialised = json.dumps(json.loads(body), separators=(",", ":")).encode()
    with pytest.raises(SignatureError) as info:
        parse("mastercard_connect", reserialised, headers, secret=SECRET)
    assert info.value.reason == "mismatch"


def test_tampered_missing_or_wrong_secret_is_refused() -> None:
    body = load("captured_adding.json")
    headers = signed_headers(body, SECRET)
    with pytest.raises(SignatureError):
        parse("mastercard_connect", body.replace(b"102176", b"102177"), headers, secret=SECRET)
    with pytest.raises(SignatureError):
        parse("mastercard_connect", body, {}, secret=SECRET)
    with pytest.raises(SignatureError):
        parse("mastercard_connect", body, headers, secret="another-secret")


def test_fail_closed_without_a_secret() -> None:
    body = load("captured_adding.json")
    with pytest.raises(ConfigurationError, match="signs its webhooks"):
        parse("mastercard_connect", body, signed_headers(body, SECRET))
    assert isinstance(parse("mastercard_connect", body, verify=False), AccountsAdding)


def test_the_testing_kit_builds_signed_requests() -> None:
    body, headers = build_request("mastercard_connect", "added", secret=SECRET, customer_id="42")
    event = parse("mastercard_connect", body, headers, secret=SECRET)
    assert isinstance(event, AccountsAdded)
    assert event.customer_id == "42"
    assert headers["X-Finicity-Signature"] == sign(body, SECRET)


@pytest.mark.parametrize(
    "event_type",
    [t for t in CLASSES if t not in sample_names("mastercard_connect")],
)
def test_events_without_a_published_example_cannot_be_built(event_type: str) -> None:
    with pytest.raises(ConfigurationError, match="no documented example"):
        build_request("mastercard_connect", event_type, secret=SECRET)
