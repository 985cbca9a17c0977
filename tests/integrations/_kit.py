"""What the framework tests share: the providers' events, the secrets, and the bad requests."""

from __future__ import annotations

import json

from webhook_payloads import UnknownEvent, WebhookEvent
from webhook_payloads._registry import get_spec
from webhook_payloads.testing import (
    RequestBuilder,
    build_request,
    event_types,
    is_signed,
    providers,
)

SECRET = "integration-secret"
OLD_SECRET = "integration-secret-before-rotation"
# Providers whose verification needs a named scheme get it here (provider id -> scheme).
SIGNATURE_SCHEMES: dict[str, object] = {}

EVENTS = [(p, e) for p in providers() for e in event_types(p)]
SIGNED = [p for p in providers() if is_signed(p)]

REFUSALS = {
    400: {"error": "invalid webhook payload"},
    401: {"error": "invalid webhook signature"},
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
    """A request signed for one body, sent with another of the same length."""
    body, headers = signed(provider, event_types(provider)[0])
    data = json.loads(body)
    key = next(k for k, v in data.items() if isinstance(v, str) and k != "Signature" and v)
    data[key] = data[key][:-1] + ("x" if data[key][-1] != "x" else "y")
    return json.dumps(data).encode(), headers


def unsigned(provider: str) -> tuple[bytes, dict[str, str]]:
    """A request for a signed provider with no signature at all."""
    return build_request(provider, event_types(provider)[0])


def malformed(provider: str) -> tuple[bytes, dict[str, str]]:
    """A correctly signed request whose body is not JSON."""
    return signed.raw(provider, b'{"not json')


def unknown(provider: str) -> tuple[bytes, dict[str, str]]:
    """A correctly signed request for an event type no provider has."""
    body, _ = signed(provider, event_types(provider)[0])
    data = json.loads(body)
    data[get_spec(provider).discriminator] = "SOMETHING_NEW"
    return signed.raw(provider, json.dumps(data).encode())


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
