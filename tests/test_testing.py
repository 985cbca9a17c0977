"""webhook_payloads.testing: requests built for every provider and event parse back, signed."""

from __future__ import annotations

import functools
import json
from typing import Annotated, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, TypeAdapter, ValidationError

from webhook_payloads import (
    ConfigurationError,
    Provider,
    SignatureError,
    UnknownProviderError,
    WebhookEvent,
    parse,
)
from webhook_payloads._registry import get_spec
from webhook_payloads._samples import sample_body, sample_names
from webhook_payloads.payscore import PayscoreEventBase, ReportReady
from webhook_payloads.payscore_v1 import ApplicantAdded
from webhook_payloads.testing import (
    OMIT,
    RequestBuilder,
    build_event,
    build_request,
    event_types,
    is_signed,
    providers,
    raw_request,
)
from webhook_payloads.testing import _nested_model as nested_model

# Hex text: some providers' key encodings decode the secret as hex.
SECRET = "0123456789abcdef" * 4
WRONG = "fedcba9876543210" * 4


def signature_schemes(provider: str) -> list[object | None]:
    """The signature choices a provider names in the registry, else ``[None]``."""
    return list(get_spec(provider).named_schemes.values()) or [None]


# Every event type with a documented example to build on (the others: see the shapes tests).
EVENTS = [(p, e) for p in providers() for e in sample_names(p)]
SIGNED = [p for p in providers() if is_signed(p)]
UNSIGNED = [p for p in providers() if not is_signed(p)]
SIGNED_EVENTS = [(p, e, s) for p, e in EVENTS if p in SIGNED for s in signature_schemes(p)]
# Text a provider could send: anything but lone surrogates, which UTF-8 cannot carry.
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)


def signing(provider: str) -> dict[str, Any]:
    """The signing arguments a receiver of ``provider`` would use (its first scheme)."""
    if not is_signed(provider):
        return {}
    return {"secret": SECRET, "signature_scheme": signature_schemes(provider)[0]}


def text_fields(cls: type[BaseModel], skip: str = "") -> list[str]:
    """Attribute names of ``cls`` that hold any str as given."""
    found = []
    for name, info in cls.model_fields.items():
        if name == skip:
            continue
        try:
            ok = TypeAdapter(info.annotation).validate_python("probe \u00ff") == "probe \u00ff"
        except ValidationError:
            ok = False
        if ok:
            found.append(name)
    return found


@functools.cache
def written_by_signing(provider: str, event_type: str) -> frozenset[str]:
    """Attribute names whose values signing changes (an in-body signature)."""
    unsigned = parse(provider, sample_body(provider, event_type), verify=False)
    body, headers = build_request(provider, event_type, **signing(provider))
    signed = parse(provider, body, headers, **signing(provider))
    fields = type(signed).model_fields
    return frozenset(n for n in fields if getattr(signed, n) != getattr(unsigned, n))


def optional_present(provider: str, event_type: str) -> list[str]:
    """Optional fields of the event class that the documented example has."""
    cls = get_spec(provider).event_classes[event_type]
    sample = json.loads(sample_body(provider, event_type))
    return [
        name
        for name, info in cls.model_fields.items()
        if not info.is_required() and (info.alias or name) in sample
    ]


def nested_text_fields(provider: str, event_type: str) -> list[tuple[str, str]]:
    """(field, sub-field) pairs where the field is a nested object holding a str sub-field."""
    cls = get_spec(provider).event_classes[event_type]
    pairs = []
    for name, info in cls.model_fields.items():
        model, in_list = nested_model(info.annotation)
        if model is not None and not in_list:
            pairs.extend((name, sub) for sub in text_fields(model))
    return pairs


def test_event_types_are_the_registry_event_types() -> None:
    for provider in providers():
        assert event_types(provider) == list(get_spec(provider).event_classes)
        assert event_types(Provider(provider)) == event_types(provider)
    assert "REPORT_READY" in event_types("payscore")


def test_providers_are_the_registered_ones() -> None:
    assert providers() == [p.value for p in Provider if p.value in providers()]
    assert {"payscore", "payscore_v1"} <= set(providers())


def test_unknown_provider_is_refused() -> None:
    with pytest.raises(UnknownProviderError):
        event_types("stripe")
    with pytest.raises(UnknownProviderError):
        build_request("stripe", "REPORT_READY")


@pytest.mark.parametrize(("provider", "event_type"), EVENTS)
def test_every_event_builds_and_parses_back(provider: str, event_type: str) -> None:
    body, headers = build_request(provider, event_type, **signing(provider))
    event = parse(provider, body, headers, **signing(provider))
    assert type(event) is get_spec(provider).event_classes[event_type]
    assert isinstance(event, WebhookEvent)
    assert event.event_type == event_type
    assert headers["Content-Type"] == "application/json"


@pytest.mark.parametrize(("provider", "event_type", "scheme"), SIGNED_EVENTS)
def test_signed_under_every_scheme_and_parses_back(
    provider: str, event_type: str, scheme: object
) -> None:
    body, headers = build_request(provider, event_type, secret=SECRET, signature_scheme=scheme)
    event = parse(provider, body, headers, secret=SECRET, signature_scheme=scheme)
    assert type(event) is get_spec(provider).event_classes[event_type]


@pytest.mark.parametrize(("provider", "event_type"), EVENTS)
def test_without_fields_the_body_is_the_documented_example(provider: str, event_type: str) -> None:
    body, _ = build_request(provider, event_type)
    assert body == sample_body(provider, event_type)


@pytest.mark.parametrize(("provider", "event_type", "scheme"), SIGNED_EVENTS)
def test_a_wrong_secret_is_refused(provider: str, event_type: str, scheme: object) -> None:
    body, headers = build_request(provider, event_type, secret=SECRET, signature_scheme=scheme)
    with pytest.raises(SignatureError):
        parse(provider, body, headers, secret=WRONG, signature_scheme=scheme)
    unsigned_body, unsigned_headers = build_request(provider, event_type)
    with pytest.raises(SignatureError):
        parse(provider, unsigned_body, unsigned_headers, secret=SECRET, signature_scheme=scheme)


@pytest.mark.parametrize(("provider", "event_type", "scheme"), SIGNED_EVENTS)
def test_signed_requests_verify_under_key_rotation(
    provider: str, event_type: str, scheme: object
) -> None:
    body, headers = build_request(provider, event_type, secret=SECRET, signature_scheme=scheme)
    event = parse(provider, body, headers, secret=[WRONG, SECRET], signature_scheme=scheme)
    assert event.event_type == event_type


@pytest.mark.parametrize("provider", UNSIGNED)
def test_a_secret_for_an_unsigned_provider_is_refused(provider: str) -> None:
    with pytest.raises(ConfigurationError):
        build_request(provider, event_types(provider)[0], secret=SECRET)


@pytest.mark.parametrize(
    ("provider", "event_type", "name"),
    [
        (p, e, name)
        for p, e in EVENTS
        for name in text_fields(
            get_spec(p).event_classes[e], get_spec(p).event_classes[e].event_type_field
        )
    ],
)
@settings(max_examples=15, deadline=None)
@given(value=TEXT)
def test_overridden_text_fields_parse_back(
    provider: str, event_type: str, name: str, value: str
) -> None:
    if name in written_by_signing(provider, event_type):
        # A field the provider's signing writes (an in-body signature) is set unsigned only.
        with pytest.raises(ConfigurationError, match="written when the request is signed"):
            build_request(provider, event_type, **signing(provider), **{name: value})
        body, headers = build_request(provider, event_type, **{name: value})
        event = parse(provider, body, headers, verify=False)
    else:
        body, headers = build_request(provider, event_type, **signing(provider), **{name: value})
        event = parse(provider, body, headers, **signing(provider))
    assert getattr(event, name) == value
    # The other fields keep the documented example's values (but for what signing writes).
    original = parse(provider, sample_body(provider, event_type), verify=False)
    for other in set(type(event).model_fields) - {name} - written_by_signing(provider, event_type):
        assert getattr(event, other) == getattr(original, other)


@pytest.mark.parametrize(
    ("provider", "event_type", "field", "sub"),
    [(p, e, f, s) for p, e in EVENTS for f, s in nested_text_fields(p, e)],
)
@settings(max_examples=10, deadline=None)
@given(value=TEXT)
def test_nested_fields_by_double_underscore_and_by_dict(
    provider: str, event_type: str, field: str, sub: str, value: str
) -> None:
    for fields in ({f"{field}__{sub}": value}, {field: {sub: value}}):
        body, headers = build_request(provider, event_type, **signing(provider), **fields)
        event = parse(provider, body, headers, **signing(provider))
        assert getattr(getattr(event, field), sub) == value


@pytest.mark.parametrize(
    ("provider", "event_type", "name"),
    [
        (p, e, n)
        for p, e in EVENTS
        for n in optional_present(p, e)
        if n not in written_by_signing(p, e)
    ],
)
def test_omit_leaves_an_optional_field_out(provider: str, event_type: str, name: str) -> None:
    cls = get_spec(provider).event_classes[event_type]
    body, headers = build_request(provider, event_type, **signing(provider), **{name: OMIT})
    info = cls.model_fields[name]
    assert (info.alias or name) not in json.loads(body)
    event = parse(provider, body, headers, **signing(provider))
    assert getattr(event, name) == info.get_default(call_default_factory=True)


def test_the_issue_example() -> None:
    body, headers = build_request("payscore", "REPORT_READY", secret="s3cr3t", report_type="asset")
    event = parse("payscore", body, headers, secret="s3cr3t")
    assert isinstance(event, ReportReady)
    assert event.report_type == "asset"
    assert set(headers) == {"Verification-Signature", "Content-Type"}


def test_fields_keep_the_example_order_and_are_compact_utf8() -> None:
    body, _ = build_request("payscore", "REPORT_READY", report_id="r-\u00e9")
    assert list(json.loads(body)) == list(json.loads(sample_body("payscore", "REPORT_READY")))
    assert b" " not in body
    assert "r-\u00e9".encode() in body


def test_nested_none_replaces_the_value() -> None:
    event = build_event(ApplicantAdded, value__applicant_phone_number=None)
    assert event.applicant.applicant_phone_number is None
    assert event.applicant.applicant_first_name == "John"


def test_a_nested_model_instance_replaces_the_whole_object() -> None:
    original = build_event(ApplicantAdded)
    new = original.applicant.model_copy(update={"applicant_email": "new@example.com"})
    assert build_event(ApplicantAdded, value=new).applicant == new


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"code": "VERIFICATION_STARTED"}, "event_type"),
        ({"code__x": 1}, "event_type"),
        ({"nope": 1}, "use one of"),
        ({"report_id": None}, "report_id"),
        ({"report_id": OMIT}, "report_id"),
        ({"report_id__x": 1}, "not a nested object"),
        ({"report_id": "\ud800"}, "UTF-8"),
    ],
)
def test_invalid_fields_are_configuration_errors(fields: dict[str, Any], words: str) -> None:
    with pytest.raises(ConfigurationError, match=words) as caught:
        build_request("payscore", "REPORT_READY", secret=SECRET, **fields)
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize(
    "fields",
    [{"value__nope": 1}, {"value": {"nope": 1}}, {"value": {"applicant_email": None}}],
)
def test_invalid_nested_fields_are_configuration_errors(fields: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        build_request("payscore_v1", "APPLICANT_ADDED", **fields)


def test_nested_dicts_accept_wire_names_too() -> None:
    event = build_event(ApplicantAdded, value={"applicant_email": "a@example.com"})
    assert event.applicant.applicant_email == "a@example.com"


def test_unknown_event_type_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="REPORT_READY"):
        build_request("payscore", "NOPE")


@pytest.mark.parametrize("provider", SIGNED)
def test_signing_with_several_secrets_is_refused(provider: str) -> None:
    options = {**signing(provider), "secret": [SECRET, WRONG]}
    with pytest.raises(ConfigurationError, match="one secret"):
        build_request(provider, event_types(provider)[0], **options)


def test_a_scheme_without_a_secret_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="signature_scheme"):
        build_request("payscore", "REPORT_READY", signature_scheme=object())


def test_a_scheme_the_provider_does_not_have_is_refused() -> None:
    with pytest.raises(ConfigurationError):
        build_request("payscore", "REPORT_READY", secret=SECRET, signature_scheme=object())


def test_raw_request_signs_any_body() -> None:
    body, headers = raw_request("payscore", '{"code": "SOMETHING_NEW"}', secret=SECRET)
    assert body == b'{"code": "SOMETHING_NEW"}'
    event = parse("payscore", body, headers, secret=SECRET, allow_unknown=True)
    assert event.event_type == "SOMETHING_NEW"
    unsigned_body, unsigned_headers = raw_request("payscore", b"[]")
    assert unsigned_headers == {"Content-Type": "application/json"}
    with pytest.raises(SignatureError):
        parse("payscore", unsigned_body, unsigned_headers, secret=SECRET)


def test_build_event_is_typed_by_class() -> None:
    event = build_event(ReportReady, report_type="identity", applicant_id="a-1")
    assert isinstance(event, ReportReady)
    assert (event.report_type, event.applicant_id) == ("identity", "a-1")
    assert build_event(ReportReady) == parse(
        "payscore", sample_body("payscore", "REPORT_READY"), verify=False
    )


@pytest.mark.parametrize("cls", [PayscoreEventBase, WebhookEvent])
def test_build_event_refuses_base_classes(cls: type[WebhookEvent]) -> None:
    with pytest.raises(ConfigurationError, match="concrete event class"):
        build_event(cls)


@pytest.mark.parametrize(("provider", "event_type"), EVENTS)
def test_request_builder_signs_what_needs_signing(provider: str, event_type: str) -> None:
    schemes = {p: signing(p)["signature_scheme"] for p in SIGNED}
    builder = RequestBuilder(secret=SECRET, signature_schemes=schemes)
    body, headers = builder(provider, event_type)
    assert parse(provider, body, headers, **signing(provider)).event_type == event_type
    raw_body, raw_headers = builder.raw(provider, body)
    assert (raw_body, raw_headers) == (body, headers)


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        (str, (None, False)),
        (ReportReady | None, (ReportReady, False)),
        (list[ReportReady], (ReportReady, True)),
        (list[str], (None, True)),
        (tuple[ReportReady, ...], (ReportReady, True)),
        (Annotated[ReportReady, "doc"], (ReportReady, False)),
        (int | str, (None, False)),
    ],
)
def test_nested_model_finds_models_in_annotations(annotation: Any, expected: Any) -> None:
    assert nested_model(annotation) == expected


def test_a_dict_for_a_mastercard_custom_field_keeps_its_other_members() -> None:
    body, _ = build_request("mastercard", "done", report_custom_fields__0={"shown": True})
    event = parse("mastercard", body)
    (field,) = event.report_custom_fields
    assert (field.label, field.value, field.shown) == ("label 0", "value 0", True)
