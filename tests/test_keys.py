"""Idempotency keys: short, provider-named, one reading per key, built from signed bytes."""

import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from webhook_payloads import UnknownEvent, from_json, parse, to_json
from webhook_payloads._keys import MAX_KEY_LENGTH, event_key
from webhook_payloads._samples import sample_body, sample_names
from webhook_payloads.anddone import KeyEncoding, SignatureScheme, SignedContent, sign
from webhook_payloads.mastercard_connect import ConnectDone
from webhook_payloads.testing import build_event, providers

KEY = "6b" * 32
EVENT_BODY = SignatureScheme(signed=SignedContent.EVENT_BODY, key=KeyEncoding.HEX_DECODED)
PRINTABLE = re.compile(r"[\x21-\x7e]+")

# Text with what could confuse a key: separators, the digest marker, long and empty parts.
part = st.one_of(
    st.text(alphabet=st.sampled_from('ab:~=-_.[]"\\ \u00e9\U0001f600'), max_size=8),
    st.text(max_size=100),
    st.sampled_from(["", ":", "~", "a" * 64, "a" * 65, "x" * 1000]),
)


@settings(max_examples=300)
@given(st.lists(part, max_size=5), st.lists(part, max_size=5))
def test_keys_are_equal_exactly_when_their_parts_are(one: list[str], other: list[str]) -> None:
    first, second = event_key("anddone", *one), event_key("anddone", *other)
    assert (first == second) == (one == other)
    for key in (first, second):
        assert len(key) <= MAX_KEY_LENGTH
        assert PRINTABLE.fullmatch(key)


def test_short_plain_parts_are_kept_as_sent_and_others_are_digests() -> None:
    assert event_key("mastercard", "done", "y1r9xj9j6lc3-voa") == "mastercard:done:y1r9xj9j6lc3-voa"
    key = event_key("payscore", "REPORT_READY", "a:b")
    assert re.fullmatch("payscore:REPORT_READY:~[0-9a-f]{64}", key)
    assert re.fullmatch("payscore:=[0-9a-f]{64}", event_key("payscore", *["~" * 64] * 4))


def test_a_huge_id_gives_a_short_key() -> None:
    body = json.dumps({"eventName": "done", "id": "x" * 100_000, "status": "success"})
    key = parse("mastercard", body).idempotency_key
    assert len(key) <= MAX_KEY_LENGTH
    assert key.startswith("mastercard:done:~")


def test_two_providers_never_share_a_key() -> None:
    report = parse("mastercard", json.dumps({"eventName": "done", "id": "X", "status": "s"}))
    connect = build_event(ConnectDone, event_id="X")
    assert report.idempotency_key == "mastercard:done:X"
    assert connect.idempotency_key == "mastercard_connect:done:X"


@settings(max_examples=50)
@given(st.text(max_size=300))
def test_every_event_type_has_a_bounded_key_that_survives_the_trip(identifier: str) -> None:
    for provider, event_type in sorted((p, t) for p in providers() for t in sample_names(p)):
        event = parse(provider, sample_body(provider, event_type), verify=False)
        key = event.idempotency_key
        assert key.startswith(f"{provider}:{event_type}:")
        assert len(key) <= MAX_KEY_LENGTH
        assert from_json(to_json(event)).idempotency_key == key
    unknown = UnknownEvent(provider="payscore", event_type=identifier, payload={"code": identifier})
    assert len(unknown.idempotency_key) <= MAX_KEY_LENGTH


def report(report_id: str, log_id: str, **changes: str) -> dict[str, object]:
    body = json.loads(sample_body("anddone", "ReportGenerated"))
    body["EventBody"]["ReportId"] = report_id
    body["AdditionalFields"] = json.dumps([{"ReportGenerationLogId": log_id}])
    body.update(changes)
    return body


def report_key(body: dict[str, object]) -> str:
    return parse("anddone", json.dumps(body), verify=False).idempotency_key


def test_separators_in_report_ids_cannot_make_two_keys_equal() -> None:
    assert report_key(report("R:1", "L")) != report_key(report("R", "1:L"))


def test_under_the_event_body_scheme_an_edited_unsigned_member_keeps_the_key() -> None:
    genuine = sign(json.dumps(report("R", "L")).encode(), KEY, EVENT_BODY)
    replay = json.loads(genuine)
    replay["AdditionalFields"] = json.dumps([{"ReportGenerationLogId": "other"}])
    replay["EventDateTime"] = "01-01-2024 00:00:00"
    options = {"secret": KEY, "signature_scheme": EVENT_BODY}
    first = parse("anddone", genuine, **options)
    second = parse("anddone", json.dumps(replay), **options)  # verifies: those are not signed
    assert second.report_generation_log_id == "other"
    assert second.idempotency_key == first.idempotency_key


def test_another_run_of_a_scheduled_report_gets_another_key() -> None:
    first = report("R", "L")
    second = json.loads(json.dumps(first))
    second["EventBody"]["NotificationDate"] = "12-16-2023 00:02:51"
    assert report_key(first) != report_key(second)


def test_an_unknown_anddone_event_is_keyed_by_its_event_body() -> None:
    body = report("R", "L", EventCode="ReportArchived")
    event = parse("anddone", json.dumps(body), verify=False, allow_unknown=True)
    edited = {**body, "AdditionalFields": "[]", "EventDateTime": "01-01-2024 00:00:00"}
    again = parse("anddone", json.dumps(edited), verify=False, allow_unknown=True)
    assert isinstance(event, UnknownEvent)
    assert again.idempotency_key == event.idempotency_key
    assert re.fullmatch("anddone:ReportArchived:~[0-9a-f]{64}", event.idempotency_key)
    other = report("S", "L", EventCode="ReportArchived")
    moved = parse("anddone", json.dumps(other), verify=False, allow_unknown=True)
    assert moved.idempotency_key != event.idempotency_key
