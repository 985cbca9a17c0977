"""Checked by mypy --strict and pyright strict (not run by pytest): what users' checkers infer.

``parse()`` has one overload per provider, so a literal provider id, or a ``Provider``
member, gives the provider's event union; ``allow_unknown=True`` adds ``UnknownEvent``; any
other ``str`` gives the common base class.
"""

# Expected errors are marked with ignores; an ignore that silences nothing fails (mypy
# --strict warns on unused ignores itself).
# pyright: reportUnnecessaryTypeIgnoreComment=true

from typing import Any

from typing_extensions import assert_type

from webhook_payloads import (
    Provider,
    UnknownEvent,
    Webhook,
    WebhookEvent,
    json_schema,
    parse,
    payscore,
)
from webhook_payloads.anddone import AndDoneEvent, SignatureScheme
from webhook_payloads.mastercard import MastercardEvent
from webhook_payloads.mastercard_connect import MastercardConnectEvent
from webhook_payloads.payscore import PayscoreEvent, ReportReady
from webhook_payloads.payscore_v1 import PayscoreV1Event


def payscore_literal(body: bytes, headers: dict[str, str]) -> None:
    event = parse("payscore", body, headers, secret="s")
    assert_type(event, PayscoreEvent)
    if isinstance(event, ReportReady):
        assert_type(event.report_id, str)
        assert_type(event.applicant_id, str | None)


def payscore_v1_literal(body: bytes) -> None:
    assert_type(parse("payscore_v1", body, secret=["old", "new"]), PayscoreV1Event)


def provider_enum(body: bytes) -> None:
    assert_type(parse(Provider.PAYSCORE, body, verify=False), PayscoreEvent)
    assert_type(parse(Provider.PAYSCORE_V1, body, verify=False), PayscoreV1Event)
    assert_type(
        parse(Provider.PAYSCORE, body, verify=False, allow_unknown=True),
        PayscoreEvent | UnknownEvent,
    )


def unknown_allowed(body: bytes) -> None:
    event = parse("payscore", body, verify=False, allow_unknown=True)
    assert_type(event, PayscoreEvent | UnknownEvent)
    event_v1 = parse("payscore_v1", body, verify=False, allow_unknown=True)
    assert_type(event_v1, PayscoreV1Event | UnknownEvent)


def unknown_allowed_from_a_setting(body: bytes, flag: bool) -> None:
    # allow_unknown read from settings is a plain bool: the provider's union, plus UnknownEvent.
    assert_type(
        parse("payscore", body, verify=False, allow_unknown=flag), PayscoreEvent | UnknownEvent
    )
    assert_type(
        parse(Provider.PAYSCORE_V1, body, verify=False, allow_unknown=flag),
        PayscoreV1Event | UnknownEvent,
    )
    assert_type(
        Webhook("payscore", verify=False, allow_unknown=flag).parse(body),
        PayscoreEvent | UnknownEvent,
    )
    assert_type(
        Webhook("payscore_v1", verify=False, allow_unknown=flag).parse(body),
        PayscoreV1Event | UnknownEvent,
    )


def provider_from_config(provider: str, body: bytes) -> None:
    # A provider id only known at runtime: the common base classes, still typed.
    event = parse(provider, body, verify=False)
    assert_type(event, WebhookEvent | UnknownEvent)
    assert_type(event.event_type, str)
    assert_type(event.idempotency_key, str)


def body_types(raw: bytearray, view: memoryview, text: str) -> None:
    assert_type(parse("payscore", raw, verify=False), PayscoreEvent)
    assert_type(parse("payscore", view, verify=False), PayscoreEvent)
    assert_type(parse("payscore", text, verify=False), PayscoreEvent)


def header_mappings(body: bytes, raw: dict[bytes, bytes], text: dict[str, str]) -> None:
    assert_type(parse("payscore", body, raw, secret=b"s"), PayscoreEvent)
    assert_type(parse("payscore", body, text, secret=b"s"), PayscoreEvent)


def webhooks(body: bytes, headers: dict[str, str], provider: str) -> None:
    payscore_webhook = Webhook("payscore", secret="s")
    assert_type(payscore_webhook, Webhook[PayscoreEvent])
    assert_type(payscore_webhook.parse(body, headers), PayscoreEvent)
    assert_type(Webhook(Provider.PAYSCORE, secret="s").parse(body), PayscoreEvent)
    assert_type(
        Webhook("payscore", verify=False, allow_unknown=True).parse(body),
        PayscoreEvent | UnknownEvent,
    )
    assert_type(Webhook("payscore_v1", secret=["s", "old"]).parse(body), PayscoreV1Event)
    assert_type(Webhook(provider, verify=False).parse(body), WebhookEvent | UnknownEvent)
    assert_type(payscore_webhook.provider, Provider)
    assert_type(payscore_webhook.max_body_size, int)


def handler_for_the_wrong_provider(body: bytes) -> None:
    # A Mastercard handler cannot be given a Payscore Webhook's events.
    def handle(event: MastercardEvent) -> None: ...

    handle(Webhook("payscore", secret="s").parse(body))  # type: ignore[arg-type]


def provider_modules(body: bytes) -> None:
    assert_type(payscore.sign(body, "s"), str)
    assert_type(payscore.signed_headers(body, "s"), dict[str, str])
    assert_type(payscore.verify_signature(body, {}, "s"), None)


def schema() -> None:
    assert_type(json_schema("payscore"), dict[str, Any])
    assert_type(json_schema(Provider.PAYSCORE_V1), dict[str, Any])


def wrong_calls(body: bytes, event: PayscoreEvent) -> None:
    # Each line must be an error for the checkers (an unused ignore fails the check).
    parse("payscore", {"code": "REPORT_READY"}, verify=False)  # type: ignore[call-overload]
    parse("payscore", body, False)  # type: ignore[call-overload]
    print(event.report_id)  # type: ignore[union-attr]  # noqa: T201


def every_provider(body: bytes) -> None:
    # One generated overload pair per registered provider: each id gives its own union.
    assert_type(parse("mastercard", body), MastercardEvent)
    assert_type(parse("payscore", body, verify=False), PayscoreEvent)
    assert_type(parse("payscore_v1", body, verify=False), PayscoreV1Event)
    assert_type(parse("anddone", body, verify=False), AndDoneEvent)
    assert_type(parse("mastercard_connect", body, verify=False), MastercardConnectEvent)
    assert_type(Webhook(Provider.MASTERCARD), Webhook[MastercardEvent])
    assert_type(Webhook(Provider.ANDDONE, verify=False), Webhook[AndDoneEvent])
    assert_type(
        Webhook("mastercard_connect", verify=False, allow_unknown=True),
        Webhook[MastercardConnectEvent | UnknownEvent],
    )


def shared_options(body: bytes, scheme: SignatureScheme) -> None:
    # The options every provider takes alike come through **options: Unpack[WebhookOptions]:
    # each is still known by name and type, alone or all together.
    assert_type(parse("payscore", body, secret=["new", "old"]), PayscoreEvent)
    assert_type(parse("payscore", body, verify=False, max_body_size=2048), PayscoreEvent)
    everything = parse(
        "anddone",
        body,
        None,
        secret="ab",
        verify=True,
        allow_unknown=False,
        max_body_size=2048,
        signature_scheme=scheme,
    )
    assert_type(everything, AndDoneEvent)
    assert_type(
        Webhook("payscore_v1", secret="s", verify=False, max_body_size=10),
        Webhook[PayscoreV1Event],
    )


def wrong_options(body: bytes) -> None:
    # Each line must be an error for the checkers (an unused ignore fails the check).
    parse("payscore", body, verify="yes")  # type: ignore[call-overload]
    parse("payscore", body, secret={"payscore": "s"})  # type: ignore[call-overload]
    parse("payscore", body, max_body_size="1 MiB")  # type: ignore[call-overload]
    parse("payscore", body, secrets="s")  # type: ignore[call-overload]
    Webhook("payscore", verify=None)  # type: ignore[call-overload]
    Webhook("payscore", max_body_size=1.5)  # type: ignore[call-overload]
