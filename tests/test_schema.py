"""JSON Schema export: documented examples validate; the schema refuses what parse() refuses."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from webhook_payloads import (
    EventModel,
    PayloadError,
    Provider,
    UnknownEventError,
    UnknownProviderError,
    WebhookEvent,
    json_schema,
    parse,
)
from webhook_payloads._cli import main
from webhook_payloads._registry import get_spec, registered_providers
from webhook_payloads._samples import sample_body, sample_names
from webhook_payloads._schema import _describe, attribute_docstrings, plain_text
from webhook_payloads.anddone import format_datetime

from .conftest import payload_files, unknown_event_files

PROVIDERS = [p.value for p in registered_providers()]
# Files directly in payloads/<provider>/ are events parse() accepts; those in its unknown/
# subfolder are of event types no model describes, which parse() and the schema both refuse.
EXAMPLES = [
    pytest.param(provider, path, id=f"{provider}/{path.name}")
    for provider in PROVIDERS
    for path in payload_files(provider)
]
UNKNOWN_EVENTS = [
    pytest.param(provider, path, id=f"{provider}/unknown/{path.name}")
    for provider in PROVIDERS
    for path in unknown_event_files(provider)
]
SAMPLES = [
    pytest.param(provider, name, id=f"{provider}:{name}")
    for provider in PROVIDERS
    for name in sample_names(provider)
]


@functools.cache
def cached_schema(provider: str) -> dict[str, Any]:
    return json_schema(provider)  # callers only read it


@functools.cache
def validator(provider: str) -> Draft202012Validator:
    return Draft202012Validator(cached_schema(provider))


@pytest.mark.parametrize("provider", PROVIDERS)
def test_schema_is_valid_draft_2020_12(provider: str) -> None:
    schema = json_schema(provider)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == f"{provider} webhook event"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_schema_has_one_branch_per_event_type(provider: str) -> None:
    spec = get_spec(provider)
    schema = json_schema(provider)
    assert schema["discriminator"]["propertyName"] == spec.discriminator
    assert set(schema["discriminator"]["mapping"]) == set(spec.event_classes)
    assert len(schema["oneOf"]) == len(spec.event_classes)
    for event_type, ref in schema["discriminator"]["mapping"].items():
        definition = schema["$defs"][ref.rsplit("/", 1)[1]]
        assert definition["properties"][spec.discriminator]["const"] == event_type
        # New provider fields are kept, whatever JSON they hold.
        assert definition["additionalProperties"] == {}


def test_provider_enum_member_and_id_give_the_same_schema() -> None:
    assert json_schema(Provider.PAYSCORE) == json_schema("payscore")


def test_each_call_returns_a_fresh_dict() -> None:
    first = json_schema("payscore")
    first["$defs"].clear()
    assert json_schema("payscore")["$defs"]


def test_unknown_provider_is_refused() -> None:
    with pytest.raises(UnknownProviderError):
        json_schema("nope")


@pytest.mark.parametrize(("provider", "path"), EXAMPLES)
def test_schema_accepts_every_documented_example(provider: str, path: Path) -> None:
    body = path.read_bytes()
    assert isinstance(parse(provider, body, verify=False), WebhookEvent)
    errors = [e.message for e in validator(provider).iter_errors(json.loads(body))]
    assert errors == []


def test_the_unknown_event_examples_are_found() -> None:
    # Guards the test below against an empty parametrisation if the folders move.
    assert {param.values[0] for param in UNKNOWN_EVENTS} >= {"mastercard", "anddone"}


@pytest.mark.parametrize(("provider", "path"), UNKNOWN_EVENTS)
def test_schema_refuses_the_unknown_event_examples_as_parse_does(provider: str, path: Path) -> None:
    body = path.read_bytes()
    with pytest.raises(UnknownEventError):
        parse(provider, body, verify=False)
    assert not validator(provider).is_valid(json.loads(body))


@pytest.mark.parametrize(("provider", "name"), SAMPLES)
def test_schema_accepts_every_shipped_sample_and_its_parsed_json(provider: str, name: str) -> None:
    body = sample_body(provider, name)
    check = validator(provider)
    assert check.is_valid(json.loads(body))
    event = parse(provider, body, verify=False)
    assert isinstance(event, WebhookEvent)
    assert check.is_valid(event.model_dump(mode="json", by_alias=True))


@pytest.mark.parametrize("provider", PROVIDERS)
def test_schema_refuses_unknown_event_types_and_missing_fields(provider: str) -> None:
    spec = get_spec(provider)
    check = validator(provider)
    assert not check.is_valid({spec.discriminator: "NOT_AN_EVENT_TYPE"})
    assert not check.is_valid([])
    for event_type, cls in spec.event_classes.items():
        required = [f for f in cls.model_fields.values() if f.is_required()]
        if len(required) > 1:
            assert not check.is_valid({spec.discriminator: event_type}), event_type


@pytest.mark.parametrize("provider", PROVIDERS)
@given(data=st.data())
def test_schema_and_parse_agree_on_mangled_examples(provider: str, data: st.DataObject) -> None:
    # Drop a field or change a value's JSON type in a real example. The schema must accept
    # whatever parse() accepts (a gateway must never refuse a valid webhook), and refuse what
    # parse() refuses, except where only a string format decides (JSON Schema validators do
    # not check "format" by default, and "date-time" would refuse providers' naive times).
    name = data.draw(st.sampled_from(sample_names(provider)))
    payload: dict[str, Any] = json.loads(sample_body(provider, name))
    key = data.draw(st.sampled_from(sorted(payload)))
    replacement = data.draw(
        st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5), st.just("<drop>"))
    )
    if replacement == "<drop>":
        del payload[key]
    else:
        payload[key] = replacement
    try:
        parse(provider, json.dumps(payload), verify=False)
    except PayloadError:
        parsed = False
    else:
        parsed = True
    valid = validator(provider).is_valid(payload)
    if parsed:
        assert valid
    else:
        event_class = get_spec(provider).event_classes[name]
        definition = cached_schema(provider)["$defs"][event_class.__name__]
        shown = json.dumps(definition["properties"].get(key, {}))
        if '"format"' not in shown and '"contentMediaType"' not in shown:
            assert not valid


@pytest.mark.parametrize("provider", PROVIDERS)
def test_fields_carry_their_docstrings(provider: str) -> None:
    schema = json_schema(provider)
    for cls in get_spec(provider).event_classes.values():
        definition = schema["$defs"][cls.__name__]
        for name, text in attribute_docstrings(cls).items():
            wire = cls.model_fields[name].alias or name
            assert definition["properties"][wire]["description"] == plain_text(text)


def test_models_without_docstrings_get_no_inherited_description() -> None:
    class Bare(EventModel):
        x: int

    definition: dict[str, Any] = {"properties": {"x": {"type": "integer"}}}
    _describe(Bare, definition)
    assert definition == {"properties": {"x": {"type": "integer"}}}


def test_docstring_roles_become_plain_code() -> None:
    assert plain_text("see :attr:`bank_name` and ``x``") == "see `bank_name` and `x`"
    assert plain_text(":class:`~webhook_payloads.Provider`") == "`Provider`"


def test_classes_without_source_have_no_field_docstrings() -> None:
    namespace: dict[str, Any] = {}
    exec(  # noqa: S102 - a class with no source file, as built at runtime
        "from webhook_payloads import EventModel\n"
        "class Built(EventModel):\n    x: int\n    'doc'\n",
        namespace,
    )
    assert attribute_docstrings(namespace["Built"]) == {}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_cli_prints_the_schema(provider: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", provider]) == 0
    out = capsys.readouterr().out
    assert json.loads(out) == json_schema(provider)
    assert out.startswith('{\n  "$schema"')


def test_cli_prints_one_line_with_indent_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "payscore", "--indent", "0"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert out.startswith('{"$schema":"https://json-schema.org/draft/2020-12/schema",')


def test_cli_unknown_provider_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["schema", "nope"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def agree(provider: str, payload: dict[str, Any]) -> tuple[bool, bool]:
    """Whether parse() accepts ``payload``, and whether the schema does."""
    try:
        parse(provider, json.dumps(payload), verify=False)
    except PayloadError:
        parsed = False
    else:
        parsed = True
    return parsed, validator(provider).is_valid(payload)


def with_field(provider: str, name: str, key: str, value: object) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(sample_body(provider, name))
    payload[key] = value
    return payload


# Two-digit fields around their valid ranges, and real date-times (random digits are rarely a
# valid date): the pattern must match exactly the texts parse() reads, to the leap day.
NEAR_DATETIMES = st.one_of(
    st.from_regex(
        r"[01][0-9]-[0-3][0-9]-[0-9]{4} [0-2][0-9]:[0-6][0-9]:[0-6][0-9]", fullmatch=True
    ),
    st.from_regex(r"02-29-[0-9]{2}[0-9]0 00:00:00", fullmatch=True),
    st.datetimes().map(format_datetime),
    st.text(alphabet="0123456789-: \n", max_size=21),
)


@given(text=NEAR_DATETIMES)
def test_anddone_event_date_time_pattern_is_what_parse_reads(text: str) -> None:
    parsed, valid = agree(
        "anddone", with_field("anddone", "ReportGenerated", "EventDateTime", text)
    )
    assert parsed == valid


def test_anddone_event_date_time_edges() -> None:
    for text, ok in [
        ("02-29-2000 23:59:59", True),
        ("02-29-2024 00:00:00", True),
        ("02-29-1900 00:00:00", False),
        ("02-29-2023 00:00:00", False),
        ("04-31-2023 00:00:00", False),
        ("12-31-0001 00:00:00", True),
        ("01-01-0000 00:00:00", False),
        ("01-01-2023 24:00:00", False),
        ("01-01-2023 00:00:60", False),
        ("2023-12-15T00:02:51", False),
    ]:
        payload = with_field("anddone", "ReportGenerated", "EventDateTime", text)
        assert agree("anddone", payload) == (ok, ok), text


BODY_ITEMS = st.one_of(
    st.fixed_dictionaries({"MerchantId": st.just("m"), "ReportId": st.just("r")}),
    st.fixed_dictionaries({"MerchantId": st.just("m")}),
    st.integers(),
    st.none(),
)


@given(value=st.one_of(BODY_ITEMS, st.lists(BODY_ITEMS, max_size=3)))
def test_anddone_event_body_object_or_array_of_one_as_parse_reads(value: object) -> None:
    parsed, valid = agree("anddone", with_field("anddone", "ReportGenerated", "EventBody", value))
    assert parsed == valid


ADDITIONAL_ITEMS = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "ReportGenerationLogId": st.one_of(st.text(max_size=3), st.none(), st.integers()),
            "Other": st.integers(),
        },
    ),
    st.integers(),
    st.text(max_size=3),
)
ADDITIONAL_VALUES = st.one_of(
    ADDITIONAL_ITEMS,
    st.lists(ADDITIONAL_ITEMS, max_size=3),
    st.none(),
    st.sampled_from(["", " \t", "null", "{}"]),  # blank text means no items
)


@given(value=ADDITIONAL_VALUES, as_text=st.booleans())
def test_anddone_additional_fields_decoded_or_as_json_text_as_parse_reads(
    value: object, as_text: bool
) -> None:
    # JSON text is where AndDone puts them; validators do not decode "contentMediaType" by
    # default, so the text's contentSchema is checked here on the decoded value.
    sent = json.dumps(value) if as_text else value
    payload = with_field("anddone", "ReportGenerated", "AdditionalFields", sent)
    parsed, valid = agree("anddone", payload)
    if not isinstance(sent, str):
        assert parsed == valid
        return
    assert valid  # any text: what it holds is the contentSchema's to say
    properties = cached_schema("anddone")["$defs"]["ReportGenerated"]["properties"]
    text_branch = properties["AdditionalFields"]["anyOf"][0]
    assert text_branch["contentMediaType"] == "application/json"
    content = {"$defs": cached_schema("anddone")["$defs"], **text_branch["contentSchema"]}
    if not sent.strip():
        assert parsed  # blank text: no items
        return
    try:
        decoded = json.loads(sent)
    except ValueError:
        assert not parsed
    else:
        assert Draft202012Validator(content).is_valid(decoded) == parsed


BOOL_WORDS = ["0", "1", "t", "f", "y", "n", "true", "false", "yes", "no", "on", "off"]


@given(
    value=st.one_of(
        st.booleans(),
        st.none(),
        st.integers(min_value=-2, max_value=3),
        st.sampled_from([0.0, 1.0, 0.5]),
        st.sampled_from(BOOL_WORDS).flatmap(
            lambda word: st.tuples(*(st.sampled_from([c.lower(), c.upper()]) for c in word)).map(
                "".join
            )
        ),
        # A final newline included: the pattern must not let "true\n" through, as "$" would.
        st.text(alphabet="01tfyneasrulo \n", max_size=6),
        st.sampled_from(BOOL_WORDS).map(lambda word: word + "\n"),
    )
)
def test_mastercard_custom_field_shown_takes_what_parse_reads(value: object) -> None:
    field = {"label": "l", "value": "v", "shown": value}
    payload = with_field("mastercard", "done", "reportCustomFields", [field])
    parsed, valid = agree("mastercard", payload)
    assert parsed == valid


def test_mastercard_null_custom_fields_are_accepted_by_both() -> None:
    payload = with_field("mastercard", "done", "reportCustomFields", None)
    assert agree("mastercard", payload) == (True, True)
