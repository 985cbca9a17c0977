"""No personal data, secret or signature in any ``repr``/``str``/log line, for every provider.

Personal data is found in the samples by what it is, not by what the models declare: members
whose names say name, e-mail, phone, SSN, birth date or address, and any value that looks like
an e-mail address. Each is replaced with random characters of the same kinds (digits stay
digits), so a leak is a match of a value that occurs nowhere else.
"""

from __future__ import annotations

import json
import logging
import random
import re
import traceback
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from webhook_payloads import (
    PayloadValidationError,
    UnknownEvent,
    UnknownEventError,
    WebhookError,
    parse,
)
from webhook_payloads._registry import Provider, get_spec, registered_providers
from webhook_payloads._samples import sample_body, sample_names

from ._providers import KEY, OTHER_KEY, all_samples, schemes, signed_providers
from ._tamper import locate

PERSONAL_KEY = re.compile(
    r"ssn|first_?name|last_?name|full_?name|e_?mail|phone|birth|dob|street|address",
    re.IGNORECASE,
)
EMAIL = re.compile(r"[^@\s\"]+@[^@\s\"]+\.[A-Za-z]{2,}")

SAMPLES = all_samples()
SAMPLE_IDS = [f"{p.value}-{name}" for p, name, _ in SAMPLES]
PERSONAL = [
    (p, n, b)
    for p, n, b in SAMPLES
    if re.search(PERSONAL_KEY, b.decode()) or EMAIL.search(b.decode())
]
PERSONAL_IDS = [f"{p.value}-{name}" for p, name, _ in PERSONAL]


def _disguise(value: str, rng: random.Random, taken: str) -> str:
    while True:
        out = "".join(
            rng.choice("0123456789")
            if c.isdigit()
            else rng.choice("bcdfghjkmnpqrstvwxzBCDFGHJKMNPQRSTVWXZ")
            if c.isalpha()
            else c
            for c in value
        )
        if out != value and not re.search(
            rf"(?<![0-9A-Za-z]){re.escape(out)}(?![0-9A-Za-z])", taken
        ):
            return out


def disguise(
    document: Any, rng: random.Random, taken: str, found: list[str], personal: bool = False
) -> Any:
    """Replace every personal value in ``document``; collect the new values in ``found``."""
    if isinstance(document, dict):
        return {
            k: disguise(v, rng, taken, found, personal or bool(PERSONAL_KEY.search(k)))
            for k, v in document.items()
        }
    if isinstance(document, list):
        return [disguise(v, rng, taken, found, personal) for v in document]
    if isinstance(document, str) and (personal or EMAIL.fullmatch(document)) and len(document) >= 2:
        new = _disguise(document, rng, taken)
        found.append(new)
        return new
    return document


def leaks(text: str, values: list[str]) -> list[str]:
    return [v for v in values if re.search(rf"(?<![0-9A-Za-z]){re.escape(v)}(?![0-9A-Za-z])", text)]


def shown(obj: object) -> Iterator[str]:
    """Every way an app might print ``obj`` and the models inside it."""
    yield repr(obj)
    yield str(obj)
    yield f"{obj}"
    yield f"{obj!r}"
    if isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            value = getattr(obj, name)
            for item in value if isinstance(value, (list, tuple)) else [value]:
                if isinstance(item, BaseModel):
                    yield from shown(item)


def unverified(provider: Provider, body: bytes, **options: Any) -> Any:
    if get_spec(provider).verifier is not None:
        options.setdefault("verify", False)
    return parse(provider, body, **options)


def logged(caplog: pytest.LogCaptureFixture, obj: object) -> str:
    logger = logging.getLogger("receiver")
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        logger.info("got %s", obj)
        logger.info("got %r", obj)
        if isinstance(obj, BaseException):
            try:
                raise obj
            except WebhookError:
                logger.exception("webhook refused")
    return caplog.text + "".join(
        traceback.format_exception(obj) if isinstance(obj, BaseException) else []
    )


def test_the_samples_do_hold_personal_data() -> None:
    # Otherwise every test below would pass without checking anything.
    assert PERSONAL


@pytest.mark.parametrize(("provider", "event_type", "body"), PERSONAL, ids=PERSONAL_IDS)
@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32))
def test_events_never_show_personal_data(
    provider: Provider, event_type: str, body: bytes, seed: int
) -> None:
    found: list[str] = []
    document = disguise(json.loads(body), random.Random(seed), body.decode(), found)
    assert found
    raw = json.dumps(document).encode()
    event = unverified(provider, raw)
    assert event.event_type == event_type
    for text in shown(event):
        assert not leaks(text, found), text
    # They are still there to use and to serialise.
    assert not set(found) - set(leaks(event.model_dump_json(by_alias=True), found))


@pytest.mark.parametrize(("provider", "event_type", "body"), PERSONAL, ids=PERSONAL_IDS)
def test_errors_and_logs_never_show_personal_data(
    provider: Provider, event_type: str, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    found: list[str] = []
    document = disguise(json.loads(body), random.Random(7), body.decode(), found)
    tag = get_spec(provider).discriminator
    raw = json.dumps(document).encode()
    with caplog.at_level(logging.DEBUG):
        event = unverified(provider, raw)
    library_lines = caplog.text
    assert not leaks(logged(caplog, event) + library_lines, found)

    # Every field but the event type of the wrong type: validation errors everywhere.
    broken = {k: (v if k == tag else [[v]]) for k, v in document.items()}
    with pytest.raises(PayloadValidationError) as invalid:
        unverified(provider, json.dumps(broken).encode())
    assert not leaks(repr(invalid.value.errors), found)

    unknown = {**document, tag: "NOT_AN_EVENT"}
    with pytest.raises(UnknownEventError) as unknown_error:
        unverified(provider, json.dumps(unknown).encode())
    assert leaks(json.dumps(unknown_error.value.payload), found)  # the payload is there ...
    generic = unverified(provider, json.dumps(unknown).encode(), allow_unknown=True)
    assert isinstance(generic, UnknownEvent)

    truncated = raw[: len(raw) // 2]
    errors: list[Any] = [invalid.value, unknown_error.value, generic]
    for cut in (truncated, raw + b"x", raw.replace(b'"', b"'", 4)):
        with pytest.raises(WebhookError) as other:
            unverified(provider, cut)
        errors.append(other.value)
    for obj in errors:
        for text in shown(obj):
            assert not leaks(text, found), text  # ... but never shown
        assert not leaks(logged(caplog, obj), found)


@pytest.mark.parametrize(
    ("provider", "event_type", "body"),
    all_samples(signed_providers()),
    ids=lambda v: getattr(v, "value", None) or (v if isinstance(v, str) else "body"),
)
def test_secrets_and_signatures_are_never_shown(
    provider: Provider, event_type: str, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    for scheme in schemes(provider):
        signed = locate(provider, body, scheme)
        hidden = [KEY.decode(), *signed.secrets_shown]
        event = parse(provider, signed.body, signed.headers, secret=KEY, signature_scheme=scheme)  # type: ignore[arg-type]
        for text in shown(event):
            assert not leaks(text, hidden), text
        assert not leaks(logged(caplog, event), hidden)
        with pytest.raises(WebhookError) as refused:
            parse(provider, signed.body, signed.headers, secret=OTHER_KEY, signature_scheme=scheme)  # type: ignore[arg-type]
        for text in shown(refused.value):
            assert not leaks(text, hidden), text
        assert not leaks(logged(caplog, refused.value), hidden)
        assert refused.value.__context__ is None


@pytest.mark.parametrize(("provider", "event_type", "body"), SAMPLES, ids=SAMPLE_IDS)
def test_the_library_itself_logs_nothing(
    provider: Provider, event_type: str, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        unverified(provider, body)
        with pytest.raises(WebhookError):
            unverified(provider, body.strip()[:-1])
    assert [r for r in caplog.records if r.name.startswith("webhook_payloads")] == []


@pytest.mark.parametrize(("provider", "event_type", "body"), PERSONAL, ids=PERSONAL_IDS)
def test_every_error_class_keeps_personal_data_and_secrets_out(
    provider: Provider, event_type: str, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    found: list[str] = []
    document = disguise(json.loads(body), random.Random(11), body.decode(), found)
    raw = json.dumps(document).encode()
    tag = get_spec(provider).discriminator
    signed = get_spec(provider).verifier is not None
    secret: dict[str, Any] = {"secret": KEY} if signed else {}
    calls: list[tuple[Any, Any, dict[str, Any]]] = [
        ("not-a-provider", raw, {}),
        (provider, raw, {"secret": [KEY, 5]} if signed else {"secret": KEY}),
        (provider, raw, {**secret, "max_body_size": 10}),
        (provider, raw[:-3], {"verify": False} if signed else {}),
        (
            provider,
            json.dumps({**document, tag: "NOT_AN_EVENT"}).encode(),
            {"verify": False} if signed else {},
        ),
        (
            provider,
            json.dumps(
                {k: [v] for k, v in document.items() if k != tag} | {tag: document[tag]}
            ).encode(),
            {"verify": False} if signed else {},
        ),
    ]
    if signed:
        calls.append((provider, raw, {"secret": KEY}))  # no signature at all
    errors: list[WebhookError] = []
    for target, data, options in calls:
        with pytest.raises(WebhookError) as caught:
            parse(target, data, {}, **options)
        errors.append(caught.value)
    names = {type(e).__name__ for e in errors}
    expected = {
        "UnknownProviderError",
        "ConfigurationError",
        "BodyTooLargeError",
        "MalformedPayloadError",
        "UnknownEventError",
        "PayloadValidationError",
    }
    assert names == (expected | {"SignatureError"} if signed else expected)
    hidden = [*found, KEY.decode()]
    for error in errors:
        for text in shown(error):
            assert not leaks(text, hidden), text
        assert not leaks(logged(caplog, error), hidden)


@pytest.mark.parametrize("provider", registered_providers(), ids=str)
def test_a_long_unknown_event_type_is_cut_in_every_text_shown(provider: Provider) -> None:
    # The event type comes from the request: megabytes of it must not reach a log line.
    tag = get_spec(provider).discriminator
    event_type = "E" * 100 + "TAIL"
    body = json.dumps({tag: event_type}).encode()
    with pytest.raises(UnknownEventError) as caught:
        unverified(provider, body)
    generic = unverified(provider, body, allow_unknown=True)
    assert caught.value.event_type == generic.event_type == event_type  # kept whole ...
    for obj in (caught.value, generic):
        for text in shown(obj):
            assert "TAIL" not in text, text  # ... but shown cut to 64 characters
            assert "E" * 64 + "..." in text, text


@pytest.mark.parametrize("provider", ["mastercard", "payscore", "anddone"])
def test_keys_from_the_body_never_reach_a_message(provider: str) -> None:
    # A key is as free as a value: an SSN, an e-mail, a forged log line, a megabyte.
    key = "123-45-6789 jane.doe@example.com\nCRITICAL forged log line" + "x" * 10_000
    body = json.loads(sample_body(provider, sample_names(provider)[0]))
    body[key] = float("nan")
    with pytest.raises(PayloadValidationError) as caught:
        parse(provider, json.dumps(body), verify=False)
    assert "<unknown key>" in str(caught.value)
    for shown in (str(caught.value), repr(caught.value)):
        assert "123-45-6789" not in shown
        assert "\n" not in shown
    assert caught.value.errors[0]["loc"] == (key,)  # the data stays on the attribute
