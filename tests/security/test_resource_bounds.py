"""Adversarial bodies: each ends in a typed outcome, never a crash or a stray exception.

Time and memory are measured by ``fuzz/bounds.py`` (figures in docs/security.md), not here.
"""

from __future__ import annotations

import array
import contextlib
import json

import pytest
from pydantic import VERSION as PYDANTIC_VERSION

from webhook_payloads import (
    DEFAULT_MAX_BODY_SIZE,
    BodyTooLargeError,
    ConfigurationError,
    MalformedPayloadError,
    PayloadValidationError,
    UnknownEvent,
    UnknownEventError,
    WebhookError,
    parse,
)
from webhook_payloads._registry import Provider, get_spec

from ._providers import (
    KEY,
    all_samples,
    default_scheme,
    providers,
    samples,
    signed_providers,
)

MIB = 1024 * 1024
PROVIDERS = providers()
IDS = [p.value for p in PROVIDERS]


def unverified(provider: Provider, body: object, **options: object) -> object:
    if get_spec(provider).verifier is not None:
        options.setdefault("verify", False)
    return parse(provider, body, **options)  # type: ignore[arg-type]


def first_sample(provider: Provider) -> bytes:
    body = samples(provider)[0][1].strip()
    assert body.startswith(b"{")
    return body


def with_member(provider: Provider, name: bytes, value: bytes) -> bytes:
    """The provider's first sample with one more member (which its models do not declare)."""
    return b'{"' + name + b'":' + value + b"," + first_sample(provider)[1:]


def fill(prefix: bytes, unit: bytes, suffix: bytes, size: int = MIB, sep: bytes = b",") -> bytes:
    count = (size - len(prefix) - len(suffix)) // (len(unit) + len(sep))
    body = prefix + sep.join([unit] * count) + suffix
    assert MIB - 64 <= len(body) <= size or size != MIB
    return body


# --- size limit -------------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS, ids=IDS)
def test_body_over_the_limit_is_refused_before_anything_else(provider: Provider) -> None:
    body = b"{" + b" " * DEFAULT_MAX_BODY_SIZE
    with pytest.raises(BodyTooLargeError) as caught:
        unverified(provider, body)
    assert (caught.value.size, caught.value.limit) == (DEFAULT_MAX_BODY_SIZE + 1, MIB)
    # With a secret and no signature at all, the size is still what is reported.
    if provider in signed_providers():
        with pytest.raises(BodyTooLargeError):
            parse(provider, body, {}, secret=KEY, signature_scheme=default_scheme(provider))


@pytest.mark.parametrize("provider", PROVIDERS, ids=IDS)
def test_body_exactly_at_the_limit_is_parsed(provider: Provider) -> None:
    sample = first_sample(provider)
    body = sample + b" " * (MIB - len(sample))
    assert len(body) == MIB
    event = unverified(provider, body)
    assert event == unverified(provider, sample)


@pytest.mark.parametrize("provider", PROVIDERS, ids=IDS)
def test_size_counts_bytes_not_characters(provider: Provider) -> None:
    text = "{" + "é" * 600  # 601 characters, 1201 bytes
    with pytest.raises(BodyTooLargeError) as caught:
        unverified(provider, text, max_body_size=1000)
    assert caught.value.size == 1201
    wide = memoryview(array.array("I", [0] * 300))  # 300 items, 1200 bytes
    with pytest.raises(BodyTooLargeError) as caught:
        unverified(provider, wide, max_body_size=1000)
    assert caught.value.size == 1200


@pytest.mark.parametrize("limit", [0, -1, True, 1.5, "1024", None])
def test_a_nonsense_limit_is_a_configuration_error(limit: object) -> None:
    with pytest.raises(ConfigurationError, match="max_body_size"):
        unverified(PROVIDERS[0], b"{}", max_body_size=limit)


# --- nesting ----------------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS, ids=IDS)
@pytest.mark.parametrize(
    "body",
    [
        b"[" * MIB,
        b'{"a":' * (MIB // 5),
        b"[" * 100_000 + b"]" * 100_000,
        b"{" + b'"x":[' * 10_000,
    ],
    ids=["1 MiB of [", "objects 200k deep", "lists 100k deep, closed", "unclosed object"],
)
def test_deep_nesting_is_malformed(provider: Provider, body: bytes) -> None:
    with pytest.raises(MalformedPayloadError, match="not valid JSON"):
        unverified(provider, body[:MIB])


@pytest.mark.parametrize("provider", PROVIDERS, ids=IDS)
def test_deep_nesting_inside_a_field_is_malformed(provider: Provider) -> None:
    body = with_member(provider, b"deep", b"[" * 50_000 + b"]" * 50_000)
    with pytest.raises(MalformedPayloadError, match="recursion limit"):
        unverified(provider, body)


@pytest.mark.parametrize("provider", PROVIDERS, ids=IDS)
def test_moderate_nesting_in_an_unknown_field_is_kept(provider: Provider) -> None:
    event = unverified(provider, with_member(provider, b"deep", b"[" * 100 + b"]" * 100))
    depth, value = 0, event.model_extra["deep"]  # type: ignore[attr-defined]
    while value:
        depth, value = depth + 1, value[0]
    assert depth == 99


# --- long strings, many keys, big numbers ---------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS, ids=IDS)
def test_a_long_string_in_an_unknown_field_is_kept_and_not_shown(provider: Provider) -> None:
    filler = b"A" * (MIB - 2048)
    event = unverified(provider, with_member(provider, b"long", b'"' + filler + b'"'))
    assert event.model_extra["long"] == filler.decode()  # type: ignore[attr-defined]
    assert len(repr(event)) < 4096


@pytest.mark.parametrize("provider", PROVIDERS, ids=IDS)
def test_a_long_event_type_is_unknown_and_its_message_stays_short(provider: Provider) -> None:
    tag = "X" * (MIB - 64)
    body = json.dumps({get_spec(provider).discriminator: tag}).encode()
    with pytest.raises(UnknownEventError) as caught:
        unverified(provider, body)
    assert caught.value.event_type == tag
    assert len(str(caught.value)) < 300
    assert len(repr(caught.value)) < MIB + 200  # repr names the type: the caller sent it


@pytest.mark.parametrize("provider", PROVIDERS, ids=IDS)
def test_many_keys(provider: Provider) -> None:
    keys = b",".join(b'"k%x":0' % i for i in range(90_000))
    event = unverified(provider, with_member(provider, b"k", b"{" + keys + b"}"))
    assert len(event.model_extra["k"]) == 90_000  # type: ignore[attr-defined]
    unknown = b'{"' + get_spec(provider).discriminator.encode() + b'":"NOPE",' + keys + b"}"
    with pytest.raises(UnknownEventError):
        unverified(provider, unknown)
    assert isinstance(unverified(provider, unknown, allow_unknown=True), UnknownEvent)


@pytest.mark.parametrize("provider", PROVIDERS, ids=IDS)
@pytest.mark.parametrize(
    "unit",
    [b"{}", b"[]", b"[[[]]]", b"1.5", b'""', b"null"],
    ids=["empty objects", "empty lists", "nested lists", "floats", "empty strings", "nulls"],
)
def test_a_mebibyte_of_small_values_is_accepted(provider: Provider, unit: bytes) -> None:
    prefix = b'{"many":['
    suffix = b"]," + first_sample(provider)[1:]
    event = unverified(provider, fill(prefix, unit, suffix))
    assert len(event.model_extra["many"]) > MIB // 8  # type: ignore[attr-defined]


@pytest.mark.parametrize("provider", PROVIDERS, ids=IDS)
@pytest.mark.parametrize("digits", [5_000, MIB - 1024], ids=["5000 digits", "1 MiB of digits"])
def test_huge_numbers_are_malformed(provider: Provider, digits: int) -> None:
    with pytest.raises(MalformedPayloadError, match="number out of range"):
        unverified(provider, with_member(provider, b"n", b"9" * digits))


@pytest.mark.parametrize("provider", PROVIDERS, ids=IDS)
def test_numbers_within_range_are_kept(provider: Provider) -> None:
    event = unverified(provider, with_member(provider, b"n", b"9" * 4000))
    assert event.model_extra["n"] == int("9" * 4000)  # type: ignore[attr-defined]
    event = unverified(provider, with_member(provider, b"f", b"1.7976931348623157e308"))
    assert event.model_extra["f"] == 1.7976931348623157e308  # type: ignore[attr-defined]


NON_FINITE = [b"1e999", b"-1e999", b"2e308", b"NaN", b"Infinity", b"-Infinity"]


@pytest.mark.parametrize("provider", PROVIDERS, ids=IDS)
@pytest.mark.parametrize("number", NON_FINITE, ids=[n.decode() for n in NON_FINITE])
@pytest.mark.parametrize(
    "shape", [b"%s", b"[1, %s]", b'{"deep": [{"x": %s}]}'], ids=["value", "list", "nested"]
)
def test_numbers_that_cannot_make_the_round_trip_are_refused(
    provider: Provider, number: bytes, shape: bytes
) -> None:
    # They would dump as null (or "inf" in a text field): the event would not parse back
    # to itself. Refused wherever they are, as a payload error (400).
    with pytest.raises(PayloadValidationError) as caught:
        unverified(provider, with_member(provider, b"f", shape % number))
    assert caught.value.http_status == 400
    assert caught.value.errors[0]["type"] == "finite_number"
    assert caught.value.errors[0]["loc"][0] == "f"
    assert str(caught.value) == (
        "Webhook payload failed validation at <unknown key>: Input should be a finite number; NaN, "
        "Infinity and numbers too large for a double are refused; see .errors for every "
        "failing field."
    )


@pytest.mark.parametrize("provider", PROVIDERS, ids=IDS)
@pytest.mark.parametrize("tag", [b"9" * 5000, b"1", b"null", b"[]", b"{}", b"true"])
def test_a_discriminator_that_is_not_a_string(provider: Provider, tag: bytes) -> None:
    body = b'{"' + get_spec(provider).discriminator.encode() + b'":' + tag + b"}"
    with pytest.raises((PayloadValidationError, MalformedPayloadError)):
        unverified(provider, body)


# --- encodings and bytes --------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS, ids=IDS)
@pytest.mark.parametrize(
    "value",
    [b'"\xff\xfe"', b'"\xc0\xaf"', b'"\xed\xa0\x80"', b'"\\ud800"', b'"\xe9"', b"\xff"],
    ids=[
        "ff fe",
        "overlong slash",
        "encoded surrogate",
        "escaped lone surrogate",
        "latin-1",
        "bare",
    ],
)
def test_non_utf8_is_malformed(provider: Provider, value: bytes) -> None:
    with pytest.raises(MalformedPayloadError, match="not valid JSON"):
        unverified(provider, with_member(provider, b"s", value))


@pytest.mark.parametrize("provider", PROVIDERS, ids=IDS)
def test_a_str_body_that_cannot_be_utf8_is_malformed(provider: Provider) -> None:
    text = with_member(provider, b"s", b'"x"').decode().replace("x", "\ud800")
    with pytest.raises(MalformedPayloadError, match="cannot be encoded as UTF-8"):
        unverified(provider, text)


@pytest.mark.parametrize("provider", PROVIDERS, ids=IDS)
def test_a_byte_order_mark_is_malformed_and_says_so(provider: Provider) -> None:
    with pytest.raises(MalformedPayloadError, match="byte order mark"):
        unverified(provider, b"\xef\xbb\xbf" + first_sample(provider))


@pytest.mark.parametrize("provider", PROVIDERS, ids=IDS)
def test_nul_bytes(provider: Provider) -> None:
    with pytest.raises(MalformedPayloadError, match="control character"):
        unverified(provider, with_member(provider, b"z", b'"a\x00b"'))
    with pytest.raises(MalformedPayloadError, match="trailing characters"):
        unverified(provider, first_sample(provider) + b"\x00")
    with pytest.raises(MalformedPayloadError):
        unverified(provider, b"\x00" + first_sample(provider))
    # Escaped, NUL is an ordinary character of a JSON string.
    event = unverified(provider, with_member(provider, b"z", b'"a\\u0000b"'))
    assert event.model_extra["z"] == "a\x00b"  # type: ignore[attr-defined]


@pytest.mark.parametrize("provider", PROVIDERS, ids=IDS)
@pytest.mark.parametrize("body", [b"", b" ", b"[]", b"1", b'"x"', b"null", b"{", b"}{"])
def test_bodies_that_are_not_objects(provider: Provider, body: bytes) -> None:
    with pytest.raises(MalformedPayloadError):
        unverified(provider, body)


# --- duplicate keys --------------------------------------------------------------------
# With pydantic 2.11 and later the last value wins, for every key, as in Python's json. Older
# pydantic-core is not consistent: a declared field may keep its first or its last value, and
# a duplicated event type may be refused; it never yields a value that was not sent.
LAST_WINS = tuple(int(part) for part in PYDANTIC_VERSION.split(".")[:2]) >= (2, 11)
SAMPLE_IDS = [f"{p.value}-{name}" for p, name, _ in all_samples()]


@pytest.mark.parametrize(("provider", "event_type", "body"), all_samples(), ids=SAMPLE_IDS)
def test_duplicate_keys(provider: Provider, event_type: str, body: bytes) -> None:
    body = body.strip()
    genuine = unverified(provider, body)
    assert genuine.event_type == event_type  # type: ignore[attr-defined]
    tag = get_spec(provider).discriminator.encode()
    other_first = b'{"' + tag + b'":"NOT_AN_EVENT",' + body[1:]
    other_last = body[:-1] + b',"' + tag + b'":"NOT_AN_EVENT"}'
    with pytest.raises(UnknownEventError) as caught:
        unverified(provider, other_last)
    assert caught.value.event_type == "NOT_AN_EVENT"
    # An undeclared member given twice keeps its last value, whatever the version.
    twice = unverified(provider, with_member(provider, b"dup", b'1,"dup":2'))
    assert twice.model_extra["dup"] == 2  # type: ignore[attr-defined]
    # A declared field given twice, a decoy first.
    declared = {info.alias or name for name, info in type(genuine).model_fields.items()}
    members = [k for k, v in json.loads(body).items() if isinstance(v, str) and k in declared]
    decoys = [b'{"' + k.encode() + b'":"DECOY",' + body[1:] for k in members if k != tag.decode()]
    if LAST_WINS:
        assert unverified(provider, other_first) == genuine
        for decoy in decoys:
            assert unverified(provider, decoy) == genuine
    else:
        # Older versions: one of the values sent, and never another event type.
        with contextlib.suppress(PayloadValidationError):
            assert unverified(provider, other_first) == genuine
        for decoy in decoys:
            with contextlib.suppress(PayloadValidationError):
                event = unverified(provider, decoy)
                assert event == genuine or "DECOY" in event.model_dump_json(by_alias=True)


@pytest.mark.parametrize("provider", PROVIDERS, ids=IDS)
def test_an_adversarial_body_only_ever_raises_webhook_errors(provider: Provider) -> None:
    # A sweep over the classes above with a tiny limit, to cover the limit paths too.
    bodies = [b"[" * 5000, b"\xef\xbb\xbf{}", b'{"a":' + b"9" * 5000 + b"}", b"\xff" * 100]
    for body in bodies:
        for limit in (1, 64, MIB):
            with pytest.raises(WebhookError):
                unverified(provider, body, max_body_size=limit)
