"""build_request over payload shapes the Payscore APIs lack: aliases, lists, dates, no signature.

Two stand-in providers are registered for these tests only, with PascalCase wire names (as
AndDone has), a list of nested objects (as Mastercard's report custom fields) and a date-time:
one signs nothing (as Mastercard's report webhooks), the other signs inside the body under a
scheme the user must name (as AndDone).
"""

from __future__ import annotations

import hmac
import json
import sys
import types
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated, ClassVar, Literal

import pytest
from pydantic import ConfigDict, Field, PlainSerializer
from pydantic.alias_generators import to_pascal

from webhook_payloads import ConfigurationError, Provider, SignatureError, parse
from webhook_payloads import _parse as parse_module
from webhook_payloads import _registry as registry
from webhook_payloads import _samples as samples
from webhook_payloads._base import EventModel, WebhookEvent
from webhook_payloads._registry import ProviderSpec
from webhook_payloads._types import Headers
from webhook_payloads.testing import (
    OMIT,
    RequestBuilder,
    build_event,
    build_request,
    raw_request,
)


class Item(EventModel):
    model_config = ConfigDict(alias_generator=to_pascal)

    label: str
    shown: bool = True


class Body(EventModel):
    model_config = ConfigDict(alias_generator=to_pascal)

    report_id: str
    items: list[Item] = Field(default_factory=list[Item])
    tags: list[str] = Field(default_factory=list[str])


class Done(WebhookEvent):
    model_config = ConfigDict(alias_generator=to_pascal)
    provider: ClassVar[str] = "mastercard"
    event_type_field: ClassVar[str] = "event_code"

    event_code: Literal["Done"]
    event_date_time: datetime
    event_body: Body
    note: str | None = None
    signature: str | None = None
    # A serialiser that does not round-trip, to show build_request checks its own output.
    count: Annotated[int, PlainSerializer(lambda v: f"n{v}", return_type=str)] = 0


class Other(WebhookEvent):
    model_config = ConfigDict(alias_generator=to_pascal)
    provider: ClassVar[str] = "mastercard"
    event_type_field: ClassVar[str] = "event_code"

    event_code: Literal["Other"]
    event_body: Body | None = None


class SignedDone(Done):
    provider: ClassVar[str] = "anddone"


class SignedOther(Other):
    provider: ClassVar[str] = "anddone"


class InBodySigner:
    """Signs the compact JSON of the body without its Signature member, under a named scheme."""

    schemes: ClassVar[dict[str, str]] = {"sha256": "sha256", "sha512": "sha512"}

    def _digest(self, data: dict[str, object], key: bytes, scheme: object) -> str:
        if scheme not in self.schemes:
            raise ConfigurationError("Name the scheme: sha256 or sha512.", provider="anddone")
        unsigned = json.dumps(data, separators=(",", ":")).encode()
        return hmac.new(key, unsigned, self.schemes[str(scheme)]).hexdigest()

    def prepare(
        self, keys: tuple[bytes, ...], scheme: object
    ) -> Callable[[bytes, Headers | None], None]:
        self._digest({}, b"k", scheme)  # an unnamed scheme fails here, when configured

        def check(body: bytes, headers: Headers | None) -> None:
            data = json.loads(body)
            received = data.pop("Signature", None)
            expected = [self._digest(data, key, scheme) for key in keys]
            if received not in expected:
                raise SignatureError("Bad signature.", provider="anddone", reason="mismatch")

        return check

    def sign_request(
        self, body: bytes, key: bytes, scheme: object | None
    ) -> tuple[bytes, dict[str, str]]:
        data = json.loads(body)
        data.pop("Signature", None)
        data["Signature"] = self._digest(data, key, scheme)
        return json.dumps(data).encode(), {}


SAMPLES = {
    "Done": b"""{
  "EventCode": "Done",
  "EventDateTime": "2023-12-15T00:02:51",
  "EventBody": {"ReportId": "r-1", "Items": [{"Label": "a", "Shown": true}], "Tags": ["x"]},
  "Note": "n",
  "Extra": {"kept": 1}
}""",
}


@pytest.fixture(autouse=True)
def stand_in(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    module = types.ModuleType("stand_in_provider")
    module.SPEC = ProviderSpec(  # type: ignore[attr-defined]
        provider=Provider.MASTERCARD,
        union=Annotated[Done | Other, Field(discriminator="event_code")],
        discriminator="EventCode",
        verifier=None,
        unsigned_reason="The stand-in provider signs nothing; do not pass a secret.",
    )
    signed = types.ModuleType("stand_in_signed")
    signed.SPEC = ProviderSpec(  # type: ignore[attr-defined]
        provider=Provider.ANDDONE,
        union=Annotated[SignedDone | SignedOther, Field(discriminator="event_code")],
        discriminator="EventCode",
        verifier=InBodySigner(),
    )
    monkeypatch.setitem(sys.modules, "stand_in_provider", module)
    monkeypatch.setitem(sys.modules, "stand_in_signed", signed)
    stand_ins = {Provider.MASTERCARD: "stand_in_provider", Provider.ANDDONE: "stand_in_signed"}
    monkeypatch.setattr(registry, "_SPEC_MODULES", stand_ins)
    # parse() keeps the Webhooks it builds: none built on the real specs may serve here.
    parse_module.clear_caches()

    def sample(provider: str, event_type: str) -> bytes:
        if event_type not in SAMPLES:
            raise FileNotFoundError(event_type)
        return SAMPLES[event_type]

    monkeypatch.setattr(samples, "sample_body", sample)
    yield
    parse_module.clear_caches()


def build(**fields: object) -> tuple[dict[str, object], Done]:
    body, headers = build_request("mastercard", "Done", **fields)
    event = parse("mastercard", body, headers)
    assert isinstance(event, Done)
    return json.loads(body), event


def test_unsigned_requests_parse_without_a_secret() -> None:
    body, headers = build_request("mastercard", "Done")
    assert body == SAMPLES["Done"]
    assert headers == {"Content-Type": "application/json"}
    assert parse("mastercard", body, headers).event_body.report_id == "r-1"  # type: ignore[union-attr]


def test_a_secret_or_scheme_for_an_unsigned_provider_is_refused() -> None:
    for options in ({"secret": "s"}, {"signature_scheme": object()}):
        with pytest.raises(ConfigurationError, match="signs nothing"):
            build_request("mastercard", "Done", **options)  # type: ignore[arg-type]
        with pytest.raises(ConfigurationError, match="signs nothing"):
            raw_request("mastercard", b"{}", **options)  # type: ignore[arg-type]


def test_fields_are_written_under_their_wire_names() -> None:
    data, event = build(note="new", event_body__report_id="r-2")
    assert data["Note"] == "new"
    assert data["EventBody"] == {
        "ReportId": "r-2",
        "Items": [{"Label": "a", "Shown": True}],
        "Tags": ["x"],
    }
    assert (event.note, event.event_body.report_id) == ("new", "r-2")


def test_values_are_written_as_the_model_serialises_them() -> None:
    data, event = build(event_date_time=datetime(2024, 1, 2, 3, 4, 5))
    assert data["EventDateTime"] == "2024-01-02T03:04:05"
    assert event.event_date_time == datetime(2024, 1, 2, 3, 4, 5)


def test_fields_the_library_does_not_model_are_kept() -> None:
    data, event = build(note=None)
    assert data["Extra"] == {"kept": 1}
    assert event.model_extra == {"Extra": {"kept": 1}}
    assert data["Note"] is None


def test_list_items_by_index() -> None:
    data, event = build(event_body__items__0__label="b", event_body__tags__0="y")
    assert data["EventBody"]["Items"] == [{"Label": "b", "Shown": True}]  # type: ignore[index]
    assert event.event_body.items[0].label == "b"
    assert event.event_body.tags == ["y"]
    _, event = build(event_body__items__0={"label": "c", "shown": False})
    assert event.event_body.items[0] == Item(label="c", shown=False)


def test_a_dict_for_a_list_item_changes_only_the_members_it_names() -> None:
    # As for any nested object (docs/testing.md): the item's other members stay.
    data, event = build(event_body__items__0={"shown": False})
    assert data["EventBody"]["Items"] == [{"Label": "a", "Shown": False}]  # type: ignore[index]
    assert event.event_body.items[0] == Item(label="a", shown=False)
    # A model instance still replaces the item whole.
    _, event = build(event_body__items__0=Item(label="m"))
    assert event.event_body.items[0] == Item(label="m", shown=True)


def test_lists_as_a_whole_with_attribute_named_dicts() -> None:
    data, event = build(event_body={"items": [{"label": "p"}, {"Label": "q", "shown": False}]})
    assert data["EventBody"]["Items"] == [  # type: ignore[index]
        {"Label": "p", "Shown": True},
        {"Label": "q", "Shown": False},
    ]
    assert [i.label for i in event.event_body.items] == ["p", "q"]


def test_a_nested_object_missing_from_the_example_is_started(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(SAMPLES, "Other", b'{"EventCode": "Other"}')
    body, _ = build_request("mastercard", "Other", event_body__report_id="r")
    assert json.loads(body) == {"EventCode": "Other", "EventBody": {"ReportId": "r"}}
    with pytest.raises(ConfigurationError, match="no field 'nope'"):
        build_request("mastercard", "Other", event_body__nope="r")


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"event_body__items__1__label": "x"}, "no item '1'"),
        ({"event_body__items__x__label": "x"}, "no item 'x'"),
        ({"event_body__items__0": OMIT}, "OMIT cannot"),
        ({"event_body__tags__0__x": "x"}, "not objects"),
        ({"event_body__items__0__nope": "x"}, "no field 'nope'"),
        ({"event_body": {"items": [{"nope": 1}]}}, "no field 'nope'"),
        ({"event_body__report_id": OMIT}, "ReportId"),
        ({"event_code": "Other"}, "event_type"),
    ],
)
def test_invalid_paths_are_configuration_errors(fields: dict[str, object], words: str) -> None:
    with pytest.raises(ConfigurationError, match=words):
        build_request("mastercard", "Done", **fields)


def test_an_event_without_an_example_is_built_from_its_model() -> None:
    body, _ = build_request("mastercard", "Other")
    assert json.loads(body) == {"EventCode": "Other"}  # its only required field
    body, _ = build_request("mastercard", "Other", event_body={"report_id": "r", "tags": ["t"]})
    assert json.loads(body)["EventBody"] == {"ReportId": "r", "Tags": ["t"]}


def test_build_event_with_nested_fields() -> None:
    event = build_event(Done, event_body={"report_id": "r-9"}, note=OMIT)
    assert (event.event_body.report_id, event.note) == ("r-9", None)
    assert event.event_body.items[0].label == "a"


def test_a_list_the_example_lacks_has_no_items(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(SAMPLES, "Other", b'{"EventCode": "Other", "EventBody": {"ReportId": "r"}}')
    with pytest.raises(ConfigurationError, match="no item '0'"):
        build_request("mastercard", "Other", event_body__items__0__label="x")


def test_output_that_would_not_parse_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="does not parse"):
        build_request("mastercard", "Done", count=3)


def test_omit_shows_its_name() -> None:
    assert repr(OMIT) == "OMIT"


def test_the_request_builder_leaves_unsigned_providers_unsigned() -> None:
    builder = RequestBuilder(secret="s", signature_schemes={"anddone": "sha256"})
    body, headers = builder("mastercard", "Done")
    assert (body, headers) == (SAMPLES["Done"], {"Content-Type": "application/json"})
    body, headers = builder("anddone", "Done", note="x")
    assert parse("anddone", body, headers, secret="s", signature_scheme="sha256").note == "x"  # type: ignore[union-attr]


@pytest.mark.parametrize("scheme", ["sha256", "sha512"])
def test_in_body_signatures_pass_the_scheme_through(scheme: str) -> None:
    body, headers = build_request("anddone", "Done", secret="k", signature_scheme=scheme, note="x")
    assert "Signature" in json.loads(body)
    assert headers == {"Content-Type": "application/json"}
    event = parse("anddone", body, headers, secret="k", signature_scheme=scheme)
    assert isinstance(event, SignedDone)
    assert event.note == "x"
    other = "sha512" if scheme == "sha256" else "sha256"
    with pytest.raises(SignatureError):
        parse("anddone", body, headers, secret="k", signature_scheme=other)
    raw_body, _ = raw_request(
        "anddone", b'{"EventCode": "Other"}', secret="k", signature_scheme=scheme
    )
    assert parse("anddone", raw_body, secret="k", signature_scheme=scheme).event_type == "Other"


def test_in_body_signing_without_the_scheme_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="Name the scheme"):
        build_request("anddone", "Done", secret="k")


def test_a_field_that_signing_writes_cannot_be_set_on_a_signed_request() -> None:
    with pytest.raises(ConfigurationError, match="signature is written when"):
        build_request("anddone", "Done", secret="k", signature_scheme="sha256", signature="x")
    body, _ = build_request("anddone", "Done", signature="x")
    assert json.loads(body)["Signature"] == "x"
