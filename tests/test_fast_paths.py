"""The shortcuts taken for speed give exactly the answers of the general code they skip."""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

import webhook_payloads
from webhook_payloads import (
    BodyTooLargeError,
    ConfigurationError,
    PayloadValidationError,
    SignatureError,
    UnknownEvent,
    _base,
    parse,
)
from webhook_payloads._base import OPEN_ENUM
from webhook_payloads._headers import header_values
from webhook_payloads._registry import Provider, get_spec
from webhook_payloads._signing import HexHeaderScheme, hmac_sha256, normalize_secrets
from webhook_payloads.payscore import ReportReady

SECRET = "s3cr3t"
BODY = (
    b'{"code": "REPORT_READY", "applicant_group_id": "g-1", "report_id": "r-1",'
    b' "report_type": "income"}'
)
SIGNATURE = hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()


def reference_header_values(
    pairs: list[tuple[str | bytes, str | bytes]], lower_name: str
) -> list[str]:
    """The lookup as first written: decode and lower every name, keep every match."""

    def text(value: str | bytes) -> str:
        return value.decode("latin-1") if isinstance(value, bytes) else value

    return [text(value) for name, value in pairs if text(name).lower() == lower_name]


class MultiHeaders:
    """Keeps repeated headers, as Werkzeug's and Starlette's ``Headers`` do."""

    def __init__(self, pairs: list[tuple[str | bytes, str | bytes]]) -> None:
        self.pairs = pairs

    def items(self) -> Iterator[tuple[str | bytes, str | bytes]]:
        return iter(self.pairs)


TARGET = "verification-signature"
name_text = st.one_of(
    # Every letter-case variant of the target name, and near misses of the same length.
    st.lists(st.booleans(), min_size=len(TARGET), max_size=len(TARGET)).map(
        lambda upper: "".join(c.upper() if u else c for c, u in zip(TARGET, upper, strict=True))
    ),
    st.sampled_from(
        [
            "verification-signaturE",
            "verification_signature",
            "verification-signatur\u0130",
            "verification-signatur\u212a",
            "Content-Type",
            "X-Request-Id",
            "",
        ]
    ),
    st.text(max_size=30),
)
header_name = st.one_of(name_text, name_text.map(lambda s: s.encode("utf-8", "surrogatepass")))
header_value = st.one_of(st.text(max_size=8), st.binary(max_size=8))
header_pairs = st.lists(st.tuples(header_name, header_value), max_size=8)


@given(header_pairs)
def test_header_lookup_matches_the_reference_for_repeated_headers(
    pairs: list[tuple[str | bytes, str | bytes]],
) -> None:
    assert header_values(MultiHeaders(pairs), TARGET) == reference_header_values(pairs, TARGET)


@given(header_pairs)
def test_header_lookup_matches_the_reference_for_a_dict(
    pairs: list[tuple[str | bytes, str | bytes]],
) -> None:
    headers = dict(pairs)
    assert header_values(headers, TARGET) == reference_header_values(list(headers.items()), TARGET)


@given(header_pairs, st.sampled_from(["", "Verification-Signature", TARGET, TARGET.upper()]))
def test_dict_lookup_by_spelling_matches_the_reference(
    pairs: list[tuple[str | bytes, str | bytes]], spelling: str
) -> None:
    # The dict shortcut looks the documented spelling up first; the answer is the same.
    headers = dict(pairs)
    expected = reference_header_values(list(headers.items()), TARGET)
    assert header_values(headers, TARGET, spelling) == expected


@given(st.binary(max_size=200), st.binary(max_size=300))
def test_hmac_sha256_is_the_stdlib_hmac(key: bytes, body: bytes) -> None:
    assert hmac_sha256(key, body) == hmac.digest(key, body, "sha256")


@pytest.mark.parametrize("secret", ["\ud800", "", "a\udfffb", "\n", " \t"])
def test_a_str_secret_the_shortcut_cannot_encode_gets_the_general_error(secret: str) -> None:
    with pytest.raises(ConfigurationError) as shortcut:
        parse("payscore", BODY, {"Verification-Signature": SIGNATURE}, secret=secret)
    with pytest.raises(ConfigurationError) as general:
        normalize_secrets(secret, provider="payscore")
    assert str(shortcut.value) == str(general.value)
    assert shortcut.value.__context__ is None or shortcut.value.__suppress_context__


@pytest.mark.parametrize(
    "headers",
    [
        {"Verification-Signature": SIGNATURE, "verification-signature": SIGNATURE},
        MultiHeaders([("Verification-Signature", SIGNATURE), (b"VERIFICATION-SIGNATURE", b"x")]),
    ],
    ids=["dict-case-variants", "repeated"],
)
def test_a_repeated_signature_header_is_refused(headers: object) -> None:
    with pytest.raises(SignatureError) as caught:
        parse("payscore", BODY, headers, secret=SECRET)  # type: ignore[call-overload]
    assert caught.value.reason == "malformed"


@pytest.mark.parametrize(
    "headers",
    [
        {"verification-signature": SIGNATURE},
        {"VERIFICATION-SIGNATURE": SIGNATURE.upper()},
        {b"Verification-Signature": SIGNATURE.encode()},
        MultiHeaders([(b"host", b"example.com"), (b"verification-signature", SIGNATURE.encode())]),
    ],
    ids=["lower", "upper-and-upper-hex", "bytes-dict", "bytes-pairs"],
)
def test_the_signature_header_is_found_in_any_case_and_type(headers: object) -> None:
    event = parse("payscore", BODY, headers, secret=SECRET)  # type: ignore[call-overload]
    assert isinstance(event, ReportReady)


@pytest.mark.parametrize(
    "body",
    [BODY, bytearray(BODY), memoryview(BODY), BODY.decode()],
    ids=["bytes", "bytearray", "memoryview", "str"],
)
def test_every_body_type_gives_the_same_event(body: bytes | bytearray | memoryview | str) -> None:
    headers = {"Verification-Signature": SIGNATURE}
    assert parse("payscore", body, headers, secret=SECRET) == parse(
        "payscore", BODY, headers, secret=SECRET
    )


def test_a_body_exactly_at_the_limit_passes_and_one_byte_more_is_refused() -> None:
    headers = {"Verification-Signature": SIGNATURE}
    assert parse("payscore", BODY, headers, secret=SECRET, max_body_size=len(BODY))
    with pytest.raises(BodyTooLargeError):
        parse("payscore", BODY, headers, secret=SECRET, max_body_size=len(BODY) - 1)


@pytest.mark.parametrize("limit", [0, -1, True, 1.5, "1024"])
def test_a_bad_limit_is_a_configuration_error_for_bytes_too(limit: object) -> None:
    with pytest.raises(ConfigurationError):
        parse("payscore", b"", verify=False, max_body_size=limit)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("secret", "keys"),
    [
        ("k", (b"k",)),
        (b"k", (b"k",)),
        (bytearray(b"k"), (b"k",)),
        (["a", b"b"], (b"a", b"b")),
        (("a",), (b"a",)),
    ],
)
def test_secrets_normalise_the_same_on_every_path(secret: object, keys: tuple[bytes, ...]) -> None:
    assert normalize_secrets(secret) == keys  # type: ignore[arg-type]


@pytest.mark.parametrize("secret", ["", b"", [], [""], [1], " ", b"\r\n", ["a", "\t"]])
def test_unusable_secrets_are_refused(secret: object) -> None:
    with pytest.raises(ConfigurationError):
        normalize_secrets(secret)  # type: ignore[arg-type]


def test_validation_errors_are_not_chained() -> None:
    with pytest.raises(PayloadValidationError) as caught:
        parse("payscore", b'{"code": "REPORT_READY"}', verify=False)
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None


def test_unknown_events_are_returned_when_allowed() -> None:
    event = parse("payscore", b'{"code": "NEW_THING", "x": 1}', verify=False, allow_unknown=True)
    assert isinstance(event, UnknownEvent)
    assert (event.provider, event.event_type, event.payload) == (
        "payscore",
        "NEW_THING",
        {
            "code": "NEW_THING",
            "x": 1,
        },
    )


def test_a_scheme_compares_and_prints_by_provider_and_header() -> None:
    scheme = HexHeaderScheme(provider="p", header="X-Sig")
    assert scheme == HexHeaderScheme(provider="p", header="X-Sig")
    assert repr(scheme) == "HexHeaderScheme(provider='p', header='X-Sig')"


def test_spec_name_is_the_plain_provider_id() -> None:
    for provider in (Provider.PAYSCORE, Provider.PAYSCORE_V1):
        spec = get_spec(provider)
        assert spec.name == provider.value
        assert type(spec.name) is str


def test_model_bases_load_on_first_access_and_are_the_real_classes() -> None:
    assert webhook_payloads.EventModel is _base.EventModel
    assert webhook_payloads.WebhookEvent is _base.WebhookEvent
    assert webhook_payloads.UnknownEvent is _base.UnknownEvent
    assert {"EventModel", "UnknownEvent", "WebhookEvent", "parse"} <= set(dir(webhook_payloads))
    assert set(webhook_payloads.__all__) <= set(dir(webhook_payloads))
    with pytest.raises(AttributeError, match="no_such_name"):
        webhook_payloads.no_such_name  # noqa: B018 - the attribute access is the test


def test_importing_the_package_builds_no_models() -> None:
    code = (
        "import sys, webhook_payloads\n"
        "loaded = sorted(m for m in sys.modules if m in {'pydantic.main',"
        " 'webhook_payloads._base', 'webhook_payloads.payscore'})\n"
        "print(loaded)\n"
        "from webhook_payloads import UnknownEvent\n"
        "print('webhook_payloads._base' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split("\n")[:2] == ["[]", "True"]


@pytest.mark.parametrize("provider", ["nope", "", 1, None, ["payscore"], b"payscore"])
def test_lookup_by_plain_str_still_refuses_what_is_not_an_id(provider: object) -> None:
    with pytest.raises(webhook_payloads.UnknownProviderError):
        get_spec(provider)


def test_a_provider_member_and_its_id_find_the_same_spec() -> None:
    assert get_spec(Provider.PAYSCORE_V1) is get_spec("payscore_v1")


def _open_enum_fields() -> list[tuple[type[BaseModel], str]]:
    from webhook_payloads.anddone import ReportEventBody
    from webhook_payloads.mastercard import ReportDone
    from webhook_payloads.payscore import ReportReady, VerificationCompleted

    return [
        (ReportReady, "report_type"),
        (VerificationCompleted, "reason_completed"),
        (ReportDone, "status"),
        (ReportDone, "type"),
        (ReportEventBody, "notification_type"),
    ]


OPEN_ENUM_FIELDS = _open_enum_fields()
json_values = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["income", "success", "voa", "finished", "Email"]),
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
    st.lists(st.text(max_size=3), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def _name(value: object) -> str:
    return getattr(value, "__name__", str(value))


@pytest.mark.parametrize(("cls", "field"), OPEN_ENUM_FIELDS, ids=_name)
@given(value=json_values)
def test_open_enums_validated_as_str_take_what_their_union_takes(
    cls: type[BaseModel], field: str, value: object
) -> None:
    info = cls.model_fields[field]
    assert OPEN_ENUM in info.metadata
    # The annotation type checkers see, validated by pydantic as written, and as the model
    # validates it (with the marker).
    documented: TypeAdapter[object] = TypeAdapter(info.annotation)
    validated: TypeAdapter[object] = TypeAdapter(Annotated[(info.annotation, *info.metadata)])
    raw = json.dumps(value)
    try:
        expected = documented.validate_json(raw)
    except ValidationError:
        with pytest.raises(ValidationError):
            validated.validate_json(raw)
    else:
        got = validated.validate_json(raw)
        assert (got, type(got)) == (expected, type(expected))


@pytest.mark.parametrize(("cls", "field"), OPEN_ENUM_FIELDS, ids=_name)
def test_open_enums_keep_their_literals_for_type_checkers_and_the_schema(
    cls: type[BaseModel], field: str
) -> None:
    info = cls.model_fields[field]
    assert "Literal[" in repr(info.annotation)
    choices = cls.model_json_schema()["properties"][info.alias or field]["anyOf"]
    assert {"type": "string"} in choices
    assert any("enum" in choice or "const" in choice for choice in choices)


def test_the_open_enum_marker_refuses_a_type_it_would_widen() -> None:
    from typing import Literal

    from pydantic import BaseModel

    with pytest.raises(TypeError, match="OPEN_ENUM is for"):

        class Closed(BaseModel):  # pyright: ignore[reportUnusedClass]
            x: Annotated[Literal["a", "b"], OPEN_ENUM]

    with pytest.raises(TypeError, match="OPEN_ENUM is for"):

        class Number(BaseModel):  # pyright: ignore[reportUnusedClass]
            x: Annotated[int | None, OPEN_ENUM]

    with pytest.raises(TypeError, match="OPEN_ENUM is for"):

        class Mixed(BaseModel):  # pyright: ignore[reportUnusedClass]
            x: Annotated[Literal[1] | int | str, OPEN_ENUM]

    with pytest.raises(TypeError, match="OPEN_ENUM is for"):

        class Constrained(BaseModel):  # pyright: ignore[reportUnusedClass]
            x: Annotated[Literal["a"] | Annotated[str, Field(max_length=3)], OPEN_ENUM]


json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.text(max_size=12), st.floats(allow_nan=False)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


def _outcome(validate: Callable[[bytes], object], data: bytes) -> object:
    try:
        return validate(data)
    except ValidationError as error:
        return ("invalid", error.errors(include_url=False))


@pytest.mark.parametrize("provider", list(Provider), ids=str)
@given(st.data())
def test_the_core_validator_parse_calls_is_the_adapters(
    provider: Provider, data: st.DataObject
) -> None:
    # parse() calls the adapter's core validator directly (spec.validate_json), skipping
    # the adapter's Python wrapper: every body, valid or not, must give the same answer.
    spec = get_spec(provider)
    member = data.draw(st.sampled_from(list(spec.event_classes)), label="event type")
    fields = data.draw(st.dictionaries(st.text(max_size=20), json_values, max_size=6))
    body = json.dumps({spec.discriminator: member, **fields}).encode()
    body = data.draw(st.sampled_from([body, body[:-1], b"[]", b"{}"]), label="body")
    assert _outcome(spec.validate_json, body) == _outcome(spec.adapter.validate_json, body)


@pytest.mark.parametrize("provider", list(Provider), ids=str)
def test_the_core_validator_parse_calls_accepts_the_documented_examples(
    provider: Provider,
) -> None:
    spec = get_spec(provider)
    for path in sorted((Path(__file__).parent / "payloads" / provider.value).glob("*.json")):
        body = path.read_bytes()
        assert spec.validate_json(body) == spec.adapter.validate_json(body), path.name
