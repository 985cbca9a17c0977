"""to_json() and from_json(): every event and its provider through JSON, validated like parse()."""

from __future__ import annotations

import functools
import json
import sqlite3
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

import webhook_payloads
from webhook_payloads import (
    DEFAULT_MAX_BODY_SIZE,
    BodyTooLargeError,
    ConfigurationError,
    MalformedPayloadError,
    PayloadError,
    PayloadValidationError,
    UnknownEvent,
    UnknownProviderError,
    WebhookEvent,
    from_json,
    parse,
    to_json,
)
from webhook_payloads._registry import get_spec
from webhook_payloads._samples import sample_body, sample_names
from webhook_payloads.payscore import ReportReady
from webhook_payloads.testing import build_request, providers

from .conftest import payload_files, unknown_event_files

EVENTS = [(p, e) for p in providers() for e in sample_names(p)]
FILES = [(p, f) for p in providers() for f in payload_files(p)]
UNKNOWN_FILES = [(p, f) for p in providers() for f in unknown_event_files(p)]
# Text a provider could send: anything but lone surrogates, which UTF-8 cannot carry.
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)


def envelope(provider: object, event: object, **more: object) -> bytes:
    return json.dumps({"format": 1, "provider": provider, "event": event, **more}).encode()


def sample(provider: str, event_type: str) -> WebhookEvent:
    event = parse(provider, sample_body(provider, event_type), verify=False)
    assert isinstance(event, WebhookEvent)
    return event


def assert_round_trip(event: WebhookEvent | UnknownEvent) -> None:
    data = to_json(event)
    for form in (data, data.decode(), bytearray(data), memoryview(data)):
        again = from_json(form)
        assert again == event
        assert type(again) is type(event)
        assert again.provider == event.provider
        assert again.idempotency_key == event.idempotency_key
    # What comes back writes the same JSON: nothing drifts over several trips.
    assert to_json(from_json(data)) == data


@functools.cache
def text_fields(provider: str, event_type: str) -> list[str]:
    """Attribute names of the event class that hold any str as given (the tag aside)."""
    cls = get_spec(provider).event_classes[event_type]
    found = []
    for name, info in cls.model_fields.items():
        if name == cls.event_type_field:
            continue
        try:
            ok = TypeAdapter(info.annotation).validate_python("probe \u00ff") == "probe \u00ff"
        except ValidationError:
            ok = False
        if ok:
            found.append(name)
    return found


# --- round trips ---------------------------------------------------------------------------


@pytest.mark.parametrize(("provider", "event_type"), EVENTS)
def test_every_documented_example_makes_the_round_trip(provider: str, event_type: str) -> None:
    assert_round_trip(sample(provider, event_type))


@pytest.mark.parametrize(("provider", "path"), FILES, ids=lambda x: getattr(x, "name", x))
def test_every_payload_file_makes_the_round_trip(provider: str, path: Any) -> None:
    event = parse(provider, path.read_bytes(), verify=False)
    assert_round_trip(event)


@pytest.mark.parametrize(("provider", "path"), UNKNOWN_FILES, ids=lambda x: getattr(x, "name", x))
def test_unknown_event_files_make_the_round_trip(provider: str, path: Any) -> None:
    event = parse(provider, path.read_bytes(), verify=False, allow_unknown=True)
    assert isinstance(event, UnknownEvent)
    assert_round_trip(event)


@settings(max_examples=150)
@given(data=st.data(), event=st.sampled_from(EVENTS))
def test_events_with_any_field_values_and_extras_make_the_round_trip(
    data: st.DataObject, event: tuple[str, str]
) -> None:
    provider, event_type = event
    fields: dict[str, Any] = {}
    names = text_fields(provider, event_type)
    if names:
        name = data.draw(st.sampled_from(names), label="field")
        fields[name] = data.draw(TEXT, label="value")
    body, _ = build_request(provider, event_type, **fields)
    decoded = json.loads(body)
    spec = get_spec(provider)
    taken = {spec.discriminator, *decoded, *spec.attribute_names}
    # Members the provider might add some day: kept in model_extra, and carried along.
    extras = data.draw(
        st.dictionaries(TEXT.filter(lambda k: k not in taken), JSON_VALUES, max_size=3),
        label="extras",
    )
    # A documented example may carry members of its own that the model leaves open (AndDone's
    # AccountBooked sends "AdditionalFields": null).
    own = parse(provider, body, verify=False).model_extra
    decoded.update(extras)
    parsed = parse(provider, json.dumps(decoded), verify=False)
    assert parsed.model_extra == {**own, **extras}
    assert_round_trip(parsed)


@settings(max_examples=100)
@given(
    provider=st.sampled_from(providers()),
    event_type=TEXT,
    payload=st.dictionaries(TEXT, JSON_VALUES, max_size=5),
)
def test_unknown_events_make_the_round_trip(
    provider: str, event_type: str, payload: dict[str, Any]
) -> None:
    spec = get_spec(provider)
    if event_type in spec.event_classes:
        event_type = "Not" + event_type
    # The discriminator is the event type; attribute names are refused on the wire.
    others = {
        k: v
        for k, v in payload.items()
        if k != spec.discriminator and k not in spec.attribute_names
    }
    body = json.dumps({spec.discriminator: event_type, **others})
    event = parse(provider, body, verify=False, allow_unknown=True)
    assert isinstance(event, UnknownEvent)
    # The payload keeps its order, so the idempotency key (a hash of it) survives too.
    assert_round_trip(event)


# --- the envelope -----------------------------------------------------------------------------


def test_the_envelope_is_format_provider_and_the_wire_shape() -> None:
    event = sample("payscore", "REPORT_READY")
    data = to_json(event)
    assert data.startswith(b'{"format":1,"provider":"payscore","event":{')
    decoded = json.loads(data)
    assert list(decoded) == ["format", "provider", "event"]
    assert decoded["event"] == json.loads(event.model_dump_json(by_alias=True))
    assert webhook_payloads._json.FORMAT == 1  # pyright: ignore[reportPrivateUsage]


def test_an_unknown_event_is_stored_as_its_payload() -> None:
    event = parse("payscore", b'{"code": "NEW", "n": 1}', verify=False, allow_unknown=True)
    assert to_json(event) == b'{"format":1,"provider":"payscore","event":{"code":"NEW","n":1}}'


def test_the_json_is_compact_utf8() -> None:
    body, _ = build_request("payscore", "REPORT_READY", report_type="r\u00e9sum\u00e9 \u2603")
    data = to_json(parse("payscore", body, verify=False))
    assert "r\u00e9sum\u00e9 \u2603".encode() in data
    assert b": " not in data
    assert b", " not in data


def test_an_event_type_learned_since_it_was_stored_comes_back_typed() -> None:
    # As an older release stored it: the type was unknown then.
    body = json.loads(sample_body("payscore", "REPORT_READY"))
    stored = UnknownEvent(provider="payscore", event_type="REPORT_READY", payload=body)
    assert isinstance(from_json(to_json(stored)), ReportReady)


def test_an_event_type_this_release_does_not_know_comes_back_unknown() -> None:
    # As a newer release, which knows the type, would store it.
    event = from_json(envelope("payscore", {"code": "FROM_THE_FUTURE", "id": 7}))
    assert event == UnknownEvent(
        provider="payscore",
        event_type="FROM_THE_FUTURE",
        payload={"code": "FROM_THE_FUTURE", "id": 7},
    )


def test_a_provider_enum_member_is_stored_as_its_id() -> None:
    event = parse(
        webhook_payloads.Provider.PAYSCORE, b'{"code": "X"}', verify=False, allow_unknown=True
    )
    assert json.loads(to_json(event))["provider"] == "payscore"


# --- to_json refuses what would not come back --------------------------------------------------


def test_to_json_refuses_what_is_not_an_event() -> None:
    for thing in ({"code": "REPORT_READY"}, b"{}", None):
        with pytest.raises(ConfigurationError, match="takes an event"):
            to_json(thing)  # type: ignore[arg-type]


def test_to_json_refuses_base_classes_and_subclasses() -> None:
    class Mine(ReportReady):
        pass

    mine = Mine.model_validate_json(sample_body("payscore", "REPORT_READY"))
    for event in (WebhookEvent(), mine):
        with pytest.raises(ConfigurationError, match="the library's own event classes"):
            to_json(event)


def test_to_json_refuses_an_unknown_event_that_would_not_come_back_equal() -> None:
    event = UnknownEvent(provider="payscore", event_type="A", payload={"code": "B"})
    with pytest.raises(ConfigurationError, match="event_type") as caught:
        to_json(event)
    assert caught.value.provider == "payscore"
    with pytest.raises(UnknownProviderError):
        to_json(UnknownEvent(provider="stripe", event_type="A", payload={}))


# --- from_json validates like parse() ----------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [b"", b"not json", b"{", b'{"format": 1,}', b"\xff\xfe", b"[" * 10_000 + b"]" * 10_000],
    ids=["empty", "text", "cut", "trailing-comma", "not-utf8", "deep"],
)
def test_what_is_not_json_is_malformed(data: bytes) -> None:
    with pytest.raises(MalformedPayloadError, match="not valid JSON") as caught:
        from_json(data)
    assert caught.value.provider is None
    assert caught.value.__context__ is None


@pytest.mark.parametrize("data", [b"[]", b"1", b'"text"', b"null"])
def test_json_that_is_not_an_object_is_malformed(data: bytes) -> None:
    with pytest.raises(MalformedPayloadError, match="not a JSON object"):
        from_json(data)


def locs(error: PayloadValidationError) -> list[tuple[str | int, ...]]:
    return [detail["loc"] for detail in error.errors]


ENVELOPE_ERRORS = [
    pytest.param(b"{}", [("format",), ("provider",), ("event",)], id="empty-object"),
    pytest.param(
        sample_body("payscore", "REPORT_READY"),
        [("format",), ("provider",), ("event",)]
        + [(key,) for key in json.loads(sample_body("payscore", "REPORT_READY"))],
        id="a-raw-body",
    ),
    pytest.param(envelope("payscore", {}, extra=1), [("extra",)], id="extra-member"),
    pytest.param(b'{"format": 2, "provider": "payscore", "event": {}}', [("format",)], id="v2"),
    pytest.param(b'{"format": "1", "provider": "payscore", "event": {}}', [("format",)], id="str"),
    pytest.param(b'{"format": 1.0, "provider": "payscore", "event": {}}', [("format",)], id="1.0"),
    pytest.param(
        b'{"format": true, "provider": "payscore", "event": {}}', [("format",)], id="true"
    ),
    pytest.param(envelope("stripe", {}), [("provider",)], id="unknown-provider"),
    pytest.param(envelope("PAYSCORE", {}), [("provider",)], id="provider-case"),
    pytest.param(envelope(None, {}), [("provider",)], id="provider-null"),
    pytest.param(envelope(["payscore"], {}), [("provider",)], id="provider-list"),
    pytest.param(envelope("payscore", []), [("event",)], id="event-list"),
    pytest.param(envelope("payscore", "{}"), [("event",)], id="event-text"),
]


@pytest.mark.parametrize(("data", "where"), ENVELOPE_ERRORS)
def test_a_wrong_envelope_is_a_payload_validation_error(
    data: bytes, where: list[tuple[str, ...]]
) -> None:
    with pytest.raises(PayloadValidationError) as caught:
        from_json(data)
    assert sorted(locs(caught.value)) == sorted(where)
    # The data's problem, not the caller's: never a ConfigurationError, whatever is in it.
    assert not isinstance(caught.value, ConfigurationError)


def test_an_unknown_provider_in_the_data_is_not_echoed() -> None:
    with pytest.raises(PayloadValidationError) as caught:
        from_json(envelope("123-45-6789", {}))
    assert caught.value.provider is None
    assert "123-45-6789" not in str(caught.value)
    assert "123-45-6789" not in repr(caught.value)
    assert "payscore" in caught.value.errors[0]["msg"]


def test_errors_of_the_envelope_name_the_provider_when_it_is_known() -> None:
    with pytest.raises(PayloadValidationError) as caught:
        from_json(b'{"format": 2, "provider": "payscore", "event": {}}')
    assert caught.value.provider == "payscore"


REPORT_READY = json.loads(sample_body("payscore", "REPORT_READY"))
BAD_EVENTS = [
    pytest.param("payscore", {"code": "REPORT_READY"}, id="missing-field"),
    pytest.param("payscore", {**REPORT_READY, "report_id": 5}, id="wrong-type"),
    pytest.param("payscore", {"code": "REPORT_READY", "reportId": "r"}, id="other-spelling"),
    pytest.param("payscore", {**REPORT_READY, "x": float("nan")}, id="nan-extra"),
    pytest.param("payscore", {**REPORT_READY, "x": [float("inf")]}, id="inf-nested"),
    pytest.param("payscore", {"code": 1}, id="tag-not-text"),
    pytest.param("payscore", {"report_id": "r"}, id="no-tag"),
    pytest.param(
        "mastercard",
        json.loads(sample(*EVENTS[0]).model_dump_json()),
        id="attribute-names",
    ),
    pytest.param(
        "anddone",
        {**json.loads(sample_body("anddone", sample_names("anddone")[0])), "event_body": {}},
        id="attribute-name-beside-wire-name",
    ),
]


@pytest.mark.parametrize(("provider", "event"), BAD_EVENTS)
def test_an_invalid_event_gets_the_error_parse_gives(provider: str, event: dict[str, Any]) -> None:
    body = json.dumps(event).encode()
    with pytest.raises(PayloadError) as expected:
        parse(provider, body, verify=False, allow_unknown=True)
    with pytest.raises(PayloadError) as caught:
        from_json(envelope(provider, event))
    assert type(caught.value) is type(expected.value)
    assert str(caught.value) == str(expected.value)
    assert caught.value.provider == provider
    assert getattr(caught.value, "errors", None) == getattr(expected.value, "errors", None)


def test_numbers_too_large_for_a_double_are_refused() -> None:
    data = envelope("payscore", REPORT_READY)[:-2] + b', "x": 1e999}}'
    assert json.loads(data)["event"]["x"] == float("inf")
    with pytest.raises(PayloadValidationError, match="finite"):
        from_json(data)


def padded(body: dict[str, Any], size: int) -> bytes:
    """``body`` with a member added so that it is exactly ``size`` bytes of JSON."""
    data = json.dumps({**body, "pad": ""}, separators=(",", ":")).encode()
    return data[:-2] + b"x" * (size - len(data)) + data[-2:]


def nested(body: dict[str, Any], depth: int) -> bytes:
    """``body`` with a member holding arrays ``depth`` levels deep (the body is one more)."""
    return json.dumps({**body, "deep": 0})[:-2].encode() + b"[" * depth + b"]" * depth + b"}"


@functools.cache
def deepest(provider: str, body: str) -> int:
    """The most levels of arrays a member of ``body`` may hold for parse() to accept it."""
    low, high = 1, 4096
    while low < high:  # the largest depth parse() accepts, by bisection
        middle = (low + high + 1) // 2
        try:
            parse(provider, nested(json.loads(body), middle), verify=False)
        except MalformedPayloadError:
            high = middle - 1
        else:
            low = middle
    return low


@settings(max_examples=40)
@given(
    event=st.sampled_from(EVENTS),
    limit=st.integers(min_value=2048, max_value=64 * 1024),
    numbers=st.booleans(),
)
def test_a_body_at_the_size_limit_makes_the_trip_under_the_same_limit(
    event: tuple[str, str], limit: int, numbers: bool
) -> None:
    provider, event_type = event
    body = json.loads(sample_body(provider, event_type))
    if numbers:  # numbers that to_json() writes 4.5 times as long as they were sent
        base = json.dumps({**body, "numbers": []}, separators=(",", ":")).encode()
        room = limit - len(base)
        count = (room + 1) // 5  # "[]" becomes "[1e15,...]": 5 bytes an item, less one
        filled = base.replace(b'"numbers":[]', b'"numbers":[' + b",".join([b"1e15"] * count) + b"]")
        data = filled[:-1] + b" " * (limit - len(filled)) + b"}"
    else:
        data = padded(body, limit)
    assert len(data) == limit
    parsed = parse(provider, data, verify=False, max_body_size=limit)
    assert from_json(to_json(parsed), max_body_size=limit) == parsed


def test_a_body_at_the_default_limit_makes_the_trip_with_the_defaults() -> None:
    for provider, event_type in [("mastercard", "done"), ("anddone", "ReportGenerated")]:
        data = padded(json.loads(sample_body(provider, event_type)), DEFAULT_MAX_BODY_SIZE)
        event = parse(provider, data, verify=False)
        stored = to_json(event)
        assert len(stored) > DEFAULT_MAX_BODY_SIZE  # the envelope is larger than the body
        assert from_json(stored) == event


@pytest.mark.parametrize(("provider", "event_type"), [EVENTS[0], EVENTS[-1]])
def test_a_body_at_the_depth_limit_makes_the_trip(provider: str, event_type: str) -> None:
    body = sample_body(provider, event_type).decode()
    depth = deepest(provider, body)
    event = parse(provider, nested(json.loads(body), depth), verify=False)
    assert from_json(to_json(event)) == event
    with pytest.raises(MalformedPayloadError):  # one level more was refused by parse()
        parse(provider, nested(json.loads(body), depth + 1), verify=False)


def test_unset_fields_are_not_written() -> None:
    # A notice with many custom fields, none of them saying whether it is shown.
    fields = [{"label": f"l{i}", "value": "v"} for i in range(2000)]
    body = json.dumps(
        {"eventName": "done", "id": "r", "status": "success", "reportCustomFields": fields}
    )
    event = parse("mastercard", body, verify=False)
    stored = to_json(event)
    assert b"shown" not in stored
    assert len(stored) < len(body.replace(" ", "")) + 64
    assert from_json(stored) == event


def test_additional_fields_sent_as_an_array_make_the_trip_at_the_limit() -> None:
    body = json.loads(sample_body("anddone", "ReportGenerated"))
    body["AdditionalFields"] = [{"ReportGenerationLogId": "L", "Note": ""}]
    quotes = b'\\"' * 2000  # backslashes and quotes: escaped once more in the string
    data = json.dumps(body).encode().replace(b'"Note": ""', b'"Note": "' + quotes + b'"')
    event = parse("anddone", data, verify=False, max_body_size=len(data))
    assert from_json(to_json(event), max_body_size=len(data)) == event


def test_an_envelope_rewritten_by_a_json_column_is_read_too() -> None:
    event = sample("payscore", "REPORT_READY")
    decoded = json.loads(to_json(event))
    rewritten = json.dumps(dict(reversed(list(decoded.items()))), indent=2)
    assert from_json(rewritten) == event
    assert from_json(to_json(event) + b"\n") == event


def test_the_size_limit_is_five_times_the_body_s_and_a_kilobyte() -> None:
    event = sample("payscore", "REPORT_READY")
    data = to_json(event)[:-1] + b" " * 20_000 + b"}"
    assert from_json(data, max_body_size=(len(data) - 1024) // 5 + 1) == event
    for form in (data, data.decode()):
        with pytest.raises(BodyTooLargeError) as caught:
            from_json(form, max_body_size=(len(data) - 1024) // 5 - 1)
        assert caught.value.limit < len(data)
    padding = "x" * (DEFAULT_MAX_BODY_SIZE * 5 + 1024)
    with pytest.raises(BodyTooLargeError) as caught:
        from_json(envelope("payscore", {**REPORT_READY, "pad": padding}))
    assert caught.value.limit == DEFAULT_MAX_BODY_SIZE * 5 + 1024


@pytest.mark.parametrize("limit", [0, -1, True, 1.5, "1024", None])
def test_a_wrong_size_limit_is_a_configuration_error(limit: Any) -> None:
    with pytest.raises(ConfigurationError, match="max_body_size"):
        from_json(envelope("payscore", REPORT_READY), max_body_size=limit)


@pytest.mark.parametrize("data", [{"format": 1}, None, 1, ["{}"]])
def test_data_that_is_not_bytes_or_text_is_a_configuration_error(data: Any) -> None:
    with pytest.raises(ConfigurationError):
        from_json(data)


def test_no_signature_is_checked_or_needed() -> None:
    # Payscore signs its webhooks; what the app stored itself needs no secret.
    body, headers = build_request("payscore", "REPORT_READY", secret="s3cr3t")
    event = parse("payscore", body, headers, secret="s3cr3t")
    assert from_json(to_json(event)) == event


# --- a plain JSON column -----------------------------------------------------------------------


def test_events_kept_in_a_sqlite_json_column() -> None:
    events = [sample(p, e) for p, e in EVENTS]
    events.append(parse("payscore", b'{"code": "NEW"}', verify=False, allow_unknown=True))
    with sqlite3.connect(":memory:") as db:
        db.execute("CREATE TABLE inbox (id INTEGER PRIMARY KEY, data TEXT NOT NULL)")
        db.executemany(
            "INSERT INTO inbox (data) VALUES (?)", [(to_json(e).decode(),) for e in events]
        )
        rows = db.execute("SELECT data FROM inbox ORDER BY id").fetchall()
        assert [from_json(data) for (data,) in rows] == events
        # The envelope is plain JSON: the database can look inside it.
        (count,) = db.execute(
            "SELECT count(*) FROM inbox WHERE json_extract(data, '$.provider') = 'payscore'"
            " AND json_extract(data, '$.event.code') = 'REPORT_READY'"
        ).fetchone()
        assert count == 1
    db.close()
