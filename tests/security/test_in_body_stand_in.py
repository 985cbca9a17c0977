"""The tamper matrix and leak checks, run on a stand-in provider that signs inside the body.

No registered provider signs inside the body yet (AndDone will), so the in-body paths of
``_tamper.py`` are proven here on a small verifier of that shape, with two signature
schemes, registered for the duration of each test under the ``anddone`` id. Its
construction (HMAC-SHA256 of the body with the signature's value left empty, base64) is
the stand-in's own, not a claim about AndDone's.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
import sys
from types import MappingProxyType, ModuleType
from typing import Annotated, Any, ClassVar, Literal

import pytest
from pydantic import Field

from webhook_payloads import SignatureError, WebhookEvent, _registry, parse
from webhook_payloads._registry import Provider, ProviderSpec
from webhook_payloads._signing import hmac_sha256

from . import _tamper
from ._providers import KEY, OTHER_KEY, schemes, signed_providers
from ._tamper import locate, matrix

NAME = "stand_in_in_body"
SIGNATURE = re.compile(rb'"Signature":"([^"]*)"')


class InBodyScheme:
    """Verifier: ``"Signature"`` holds base64(HMAC-SHA256(key, body with that value empty))."""

    @staticmethod
    def _key(key: bytes, scheme: object) -> bytes:
        return bytes.fromhex(key.decode()) if scheme == "hex-key" else key

    def __call__(
        self, body: bytes, headers: object, keys: tuple[bytes, ...], scheme: object
    ) -> None:
        found = SIGNATURE.search(body)
        if found is None:
            raise SignatureError("No Signature member.", provider="anddone", reason="missing")
        try:
            digest = base64.b64decode(found.group(1), validate=True)
        except (binascii.Error, ValueError):
            digest = b""
        if len(digest) != 32:
            raise SignatureError("Not a signature.", provider="anddone", reason="malformed")
        blank = body[: found.start(1)] + body[found.end(1) :]
        matched = False
        for key in keys:
            matched |= hmac.compare_digest(hmac_sha256(self._key(key, scheme), blank), digest)
        if not matched:
            raise SignatureError("No match.", provider="anddone", reason="mismatch")

    def sign_request(self, body: bytes, key: bytes, scheme: object) -> tuple[bytes, dict[str, str]]:
        blank = body.rstrip()[:-1] + b',"Signature":""}'
        value = base64.b64encode(hmac_sha256(self._key(key, scheme), blank))
        return blank[:-2] + value + b'"}', {"Content-Type": "application/json"}


class _Ready(WebhookEvent):
    event_type_field: ClassVar[str] = "event_code"
    provider: ClassVar[str] = "anddone"
    event_code: Literal["Ready"] = Field(alias="EventCode")
    report_id: str = Field(alias="ReportId")
    signature: str | None = Field(default=None, alias="Signature", repr=False)


class _Failed(WebhookEvent):
    event_type_field: ClassVar[str] = "event_code"
    provider: ClassVar[str] = "anddone"
    event_code: Literal["Failed"] = Field(alias="EventCode")
    reason: str = Field(alias="Reason")
    signature: str | None = Field(default=None, alias="Signature", repr=False)


SAMPLES = [
    ("Ready", b'{"EventCode":"Ready","ReportId":"r-1"}'),
    ("Failed", b'{"EventCode": "Failed", "Reason": "no data"}'),
]


@pytest.fixture
def stand_in(monkeypatch: pytest.MonkeyPatch) -> Provider:
    return register(monkeypatch)


def register(monkeypatch: pytest.MonkeyPatch) -> Provider:
    """Register the stand-in as ``anddone`` until ``monkeypatch`` is undone."""
    module = ModuleType(NAME)
    module.SIGNATURE_SCHEMES = ("raw-key", "hex-key")  # type: ignore[attr-defined]
    module.SPEC = ProviderSpec(  # type: ignore[attr-defined]
        provider=Provider.ANDDONE,
        union=Annotated[_Ready | _Failed, Field(discriminator="event_code")],
        discriminator="EventCode",
        verifier=InBodyScheme(),
    )
    monkeypatch.setitem(sys.modules, NAME, module)
    modules: Any = {**_registry._SPEC_MODULES, Provider.ANDDONE: NAME}
    monkeypatch.setattr(_registry, "_SPEC_MODULES", MappingProxyType(modules))
    monkeypatch.setattr(_tamper, "samples", lambda provider: SAMPLES)
    return Provider.ANDDONE


def test_the_stand_in_is_registered(stand_in: Provider) -> None:
    assert stand_in in signed_providers()
    assert schemes(stand_in) == ("raw-key", "hex-key")


@pytest.mark.parametrize("scheme", ["raw-key", "hex-key"])
def test_in_body_signatures_are_located_and_verify(stand_in: Provider, scheme: str) -> None:
    for event, body in SAMPLES:
        signed = locate(stand_in, body, scheme)
        assert signed.signature_headers == ()
        assert signed.span is not None
        value = signed.body[signed.span[0] : signed.span[1]]
        assert len(base64.b64decode(value)) == 32
        parsed = parse(stand_in, signed.body, signed.headers, secret=KEY, signature_scheme=scheme)
        assert parsed.event_type == event
        assert value.decode() not in repr(parsed)


@pytest.mark.parametrize("scheme", ["raw-key", "hex-key"])
def test_the_matrix_refuses_every_in_body_tamper(stand_in: Provider, scheme: str) -> None:
    labels: list[str] = []
    for case in matrix(stand_in, scheme):
        with pytest.raises(SignatureError) as caught:
            parse(stand_in, case.body, case.headers, secret=case.secret, signature_scheme=scheme)  # type: ignore[arg-type]
        for hidden in case.hidden:
            assert hidden not in f"{caught.value!s} {caught.value!r}", case.label
        labels.append(case.label)
    assert len(labels) > 2000
    for needle in (
        "in-body signature flip",
        "in-body signature truncated to 0",
        "in-body signature extended by",
        "in-body signature of Failed",
        "signed with another key",
        "rotation, signed with neither key",
    ):
        assert any(needle in label for label in labels), needle
    # The stand-in's own checks, so the matrix above could fail.
    with pytest.raises(SignatureError):
        parse(stand_in, SAMPLES[0][1], None, secret=OTHER_KEY, signature_scheme=scheme)
