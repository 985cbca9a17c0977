"""What the framework tests share: the providers' events, the secrets, and the bad requests."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from webhook_payloads import (
    PayloadError,
    SignatureError,
    UnknownEvent,
    Webhook,
    WebhookError,
    WebhookEvent,
    parse,
)
from webhook_payloads._registry import get_spec
from webhook_payloads._samples import sample_names
from webhook_payloads.anddone import SignatureScheme
from webhook_payloads.integrations import InvalidDelivery
from webhook_payloads.mastercard import callback_url
from webhook_payloads.testing import (
    RequestBuilder,
    build_request,
    event_types,
    is_signed,
    providers,
)

# Hex text: some providers' key encodings decode the secret as hex.
SECRET = "a1b2c3d4" * 8
OLD_SECRET = "0f1e2d3c" * 8


def _first_scheme(provider: str) -> object | None:
    """The first signature choice a provider names in the registry, if any."""
    return next(iter(get_spec(provider).named_schemes.values()), None)


# Providers whose verification needs a named scheme get one (provider id -> scheme).
SIGNATURE_SCHEMES: dict[str, object] = {
    p: scheme for p in providers() if (scheme := _first_scheme(p)) is not None
}

# Every event type with a documented example to build requests on.
EVENTS = [(p, e) for p in providers() for e in sample_names(p)]
SIGNED = [p for p in providers() if is_signed(p)]

REFUSALS = {
    400: {"error": "invalid webhook payload"},
    401: {"error": "invalid webhook signature"},
    413: {"error": "webhook body too large"},
    500: {"error": "webhook receiver misconfigured"},
}

signed = RequestBuilder(secret=SECRET, signature_schemes=SIGNATURE_SCHEMES)
signed_with_old = RequestBuilder(secret=OLD_SECRET, signature_schemes=SIGNATURE_SCHEMES)


def secrets_for(provider: str) -> list[str] | None:
    """What a receiver of ``provider`` is configured with: both secrets during a rotation."""
    return [SECRET, OLD_SECRET] if is_signed(provider) else None


def settings_table() -> dict[str, list[str]]:
    """The WEBHOOK_PAYLOADS_SECRETS setting for every signed provider."""
    return {p: [SECRET, OLD_SECRET] for p in SIGNED}


def tampered(provider: str) -> tuple[bytes, dict[str, str]]:
    """A signed request with one character of one of its text values changed afterwards.

    A value inside a nested object is preferred: in-body signatures may cover only that.
    """
    body, headers = signed(provider, event_types(provider)[0])
    data = json.loads(body)
    objects = [v for v in data.values() if isinstance(v, dict)] + [data]
    for target in objects:
        texts = [k for k, v in target.items() if isinstance(v, str) and v and k != "Signature"]
        if texts:
            value = target[texts[0]]
            target[texts[0]] = value[:-1] + ("x" if value[-1] != "x" else "y")
            break
    return json.dumps(data).encode(), headers


def unsigned(provider: str) -> tuple[bytes, dict[str, str]]:
    """A request for a signed provider with no signature at all."""
    return build_request(provider, event_types(provider)[0])


def malformed(provider: str) -> tuple[bytes, dict[str, str]]:
    """A request whose body is not JSON (signed, where the provider signs outside the body)."""
    try:
        return signed.raw(provider, b'{"not json')
    except WebhookError:
        # Nothing can be written into a body that is not JSON: send it as it is.
        return b'{"not json', {"Content-Type": "application/json"}


def unknown(provider: str) -> tuple[bytes, dict[str, str]]:
    """A correctly signed request for an event type no provider has."""
    body, _ = signed(provider, event_types(provider)[0])
    data = json.loads(body)
    data[get_spec(provider).discriminator] = "SOMETHING_NEW"
    return signed.raw(provider, json.dumps(data).encode())


def receiver_options(provider: str) -> dict[str, Any]:
    """The ``parse()`` options the receivers here use for ``provider``."""
    if not is_signed(provider):
        return {}
    return {"secret": [SECRET, OLD_SECRET], "signature_scheme": SIGNATURE_SCHEMES.get(provider)}


def parse_status(provider: str, request: tuple[bytes, dict[str, str]]) -> int:
    """The ``http_status`` of the error ``parse()`` raises for ``request``, as configured here."""
    try:
        parse(provider, *request, **receiver_options(provider))
    except WebhookError as error:
        return error.http_status
    raise AssertionError("parse() accepted the request")


def assert_refused(status: int, body: bytes, expected: int) -> None:
    """The response is the short, fixed refusal for ``expected`` and says nothing more."""
    assert status == expected
    assert json.loads(body) == REFUSALS[expected]
    for secret in (SECRET, OLD_SECRET):
        assert secret.encode() not in body


class Recorder:
    """A handler that records the events it was given."""

    def __init__(self) -> None:
        self.events: list[WebhookEvent | UnknownEvent] = []

    def __call__(self, event: WebhookEvent | UnknownEvent) -> None:
        self.events.append(event)


# (provider, how the request is spoilt, the statuses that can answer it), for every provider.
BAD_REQUESTS: list[Any] = [
    *(pytest.param(p, tampered, {401}, id=f"tampered-{p}") for p in SIGNED),
    *(pytest.param(p, unsigned, {401}, id=f"unsigned-{p}") for p in SIGNED),
    # 401 where the provider signs inside the body: no signature can be read from it.
    *(pytest.param(p, malformed, {400, 401}, id=f"malformed-{p}") for p in providers()),
    *(pytest.param(p, unknown, {400}, id=f"unknown-{p}") for p in providers()),
]


def invalid(provider: str) -> tuple[bytes, dict[str, str]]:
    """A correctly signed request of a known event type that fails validation.

    Every field but the event type is dropped (and the signature, which is made anew).
    """
    body, _ = signed(provider, event_types(provider)[0])
    data = json.loads(body)
    discriminator = get_spec(provider).discriminator
    return signed.raw(provider, json.dumps({discriminator: data[discriminator]}).encode())


# The key the Mastercard receivers' callbackUrl tokens are made with, and the one before it.
CALLBACK_KEY = "c0ffee11" * 8
OLD_CALLBACK_KEY = "deadbeef" * 8


def callback_path(path: str, reference: str = "req-7", key: str = CALLBACK_KEY) -> str:
    """``path`` with a callbackUrl reference and its token, as Mastercard calls it."""
    return callback_url(path, reference, key)


def mastercard_request() -> tuple[bytes, dict[str, str]]:
    """A Mastercard report webhook (unsigned: its URL is what authenticates it)."""
    return build_request("mastercard", "done")


class Kept:
    """An ``on_invalid`` that records what it was given (and raises when told to)."""

    def __init__(self, *, fail: bool = False) -> None:
        self.calls: list[InvalidDelivery] = []
        self.fail = fail

    def __call__(self, delivery: InvalidDelivery) -> None:
        self.calls.append(delivery)
        if self.fail:
            raise RuntimeError("the store is down")


class AsyncKept(Kept):
    """An ``async def`` ``on_invalid``: it records only once it is awaited."""

    async def __call__(self, delivery: InvalidDelivery) -> None:  # type: ignore[override]
        await asyncio.sleep(0)
        super().__call__(delivery)


# The answer when on_invalid raised: the app's failure, never the sender's.
NOT_KEPT = "webhook could not be kept"


def assert_kept(
    delivery: InvalidDelivery,
    request: tuple[bytes, dict[str, str]],
    *,
    provider: str,
    receiver: str,
    reference: str | None = None,
) -> None:
    """``delivery`` carries all a replay needs, and verifies again from what it carries."""
    body, _ = request
    assert (delivery.provider, delivery.receiver, delivery.reference) == (
        provider,
        receiver,
        reference,
    )
    assert delivery.body == body
    assert delivery.error.http_status == 400
    assert delivery.received_at.utcoffset() == timedelta(0)
    assert abs(datetime.now(timezone.utc) - delivery.received_at) < timedelta(minutes=5)
    header = getattr(get_spec(provider).verifier, "header", None)
    assert list(delivery.headers) == ([header] if header else [])
    text = repr(delivery)
    assert body.decode() not in text
    for value in delivery.headers.values():
        assert value not in text
    if is_signed(provider):
        # The replay recipe of the docs: verifying again from the kept headers succeeds,
        # and fails with anything but the kept bytes.
        webhook = Webhook(provider, allow_unknown=True, **receiver_options(provider))
        with contextlib.suppress(PayloadError):
            webhook.parse(delivery.body, delivery.headers)
        with pytest.raises(SignatureError):
            webhook.parse(delivery.body + b" ", delivery.headers)


# Options each receiver refuses when it is declared (as keyword arguments, provider included).
DECLARATION_ERRORS: list[dict[str, Any]] = [
    {"provider": "mastercard", "secret": "x" * 32},
    {"provider": "mastercard", "signature_scheme": "body_without_signature:hex_decoded"},
    {"provider": "payscore", "secret": SECRET, "max_body_size": 0},
    {"provider": "payscore", "secret": SECRET, "allow_unknown": "yes"},
    {"provider": "payscore", "secret": ""},
    {"provider": "payscore", "secret": f" {SECRET}"},
    {"provider": "anddone", "secret": SECRET, "signature_scheme": object()},
    {"provider": "anddone", "secret": SECRET},
    {"provider": "anddone", "secret": lambda: SECRET, "signature_scheme": object()},
    {"provider": "payscore", "secret": SECRET, "callback_key": CALLBACK_KEY},
    {"provider": "mastercard", "callback_key": ""},
    {"provider": "mastercard", "on_invalid": Kept()},
    {"provider": "payscore", "secret": SECRET, "on_invalid": "store"},
    # event_body signs only EventBody: a forged EventCode would be kept as authentic.
    {
        "provider": "anddone",
        "secret": SECRET,
        "signature_scheme": SignatureScheme.from_name("event_body:hex_decoded"),
        "on_invalid": Kept(),
    },
    {"provider": "payscore", "secret": SECRET, "name": ""},
    {"provider": "stripe"},
]


class InvalidChunkSize(Exception):  # noqa: N818 - named as gunicorn names it
    """What gunicorn raises for a chunk it cannot decode: not an OSError."""


class BrokenInput(io.BytesIO):
    """A WSGI input whose read fails after the first piece, as a reset or broken upload does."""

    def __init__(self, body: bytes, error: Exception) -> None:
        super().__init__(body)
        self.error = error

    def read(self, size: int | None = -1) -> bytes:
        if self.tell() > 0:
            raise self.error
        return super().read(10)
