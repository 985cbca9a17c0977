"""Checked by mypy --strict and pyright strict: what checkers infer for Mastercard Connect.

``parse("mastercard_connect", ...)`` gives the Connect union; ``match`` on its classes and
on ``event.event_type`` (the discriminator field, a ``Literal`` per class) narrows it, and
an exhaustive ``match`` ends in ``assert_never``.
"""

# Expected errors are marked with ignores; an ignore that silences nothing fails (mypy
# --strict warns on unused ignores itself).
# pyright: reportUnnecessaryTypeIgnoreComment=true

from typing import Literal

from typing_extensions import assert_never, assert_type

from webhook_payloads import Provider, UnknownEvent, Webhook, parse
from webhook_payloads import mastercard_connect as connect
from webhook_payloads.mastercard_connect import (
    AccountsAdded,
    AccountsAdding,
    AccountsDeleted,
    AccountsDiscovered,
    ConnectAccount,
    ConnectDone,
    ConnectPayload,
    ConnectStarted,
    CredentialsUpdated,
    InstitutionNotFound,
    InstitutionNotSupported,
    InstitutionSupported,
    InvalidCredentials,
    MastercardConnectEvent,
    Ping,
    Processing,
    UnableToConnect,
)
from webhook_payloads.testing import build_event


def literal_and_enum(body: bytes, headers: dict[str, str]) -> None:
    assert_type(parse("mastercard_connect", body, headers, secret="s"), MastercardConnectEvent)
    assert_type(parse(Provider.MASTERCARD_CONNECT, body, verify=False), MastercardConnectEvent)
    assert_type(
        parse("mastercard_connect", body, verify=False, allow_unknown=True),
        MastercardConnectEvent | UnknownEvent,
    )
    connect_webhook = Webhook("mastercard_connect", secret=["new", "old"])
    assert_type(connect_webhook, Webhook[MastercardConnectEvent])
    assert_type(connect_webhook.parse(body, headers), MastercardConnectEvent)


def fields(event: AccountsAdded, ping: Ping, done: ConnectDone) -> None:
    assert_type(event.event_type, Literal["added"])
    assert_type(event.customer_id, str)
    assert_type(event.event_id, str)
    assert_type(event.consumer_id, str | None)
    assert_type(event.payload.accounts, tuple[ConnectAccount, ...])
    assert_type(event.payload.accounts[0].number, str | None)
    assert_type(event.payload.institution_id, str | None)
    assert_type(event.idempotency_key, str)
    assert_type(ping.event_type, Literal["ping"])
    print(ping.customer_id)  # type: ignore[attr-defined]  # noqa: T201 - a ping has no customer
    assert_type(done.reports, tuple[ConnectPayload, ...])


def match_classes(event: MastercardConnectEvent) -> str:
    match event:
        case Ping():
            return "answer 2xx"
        case AccountsAdded(payload=connect.AccountsPayload(accounts=accounts)):
            return f"{len(accounts)} accounts"
        case (
            ConnectStarted()
            | InstitutionSupported()
            | InstitutionNotSupported()
            | InstitutionNotFound()
            | AccountsDiscovered()
            | AccountsAdding()
            | Processing()
            | AccountsDeleted()
            | UnableToConnect()
            | InvalidCredentials()
            | CredentialsUpdated()
            | ConnectDone()
        ):
            return event.idempotency_key
        case _:
            assert_never(event)


def match_event_type(event: MastercardConnectEvent) -> str:
    if event.event_type == "accountsDeleted":
        assert_type(event, AccountsDeleted)
        return ",".join(event.payload.accounts)
    if event.event_type == "ping":
        assert_type(event, Ping)
    return ""


def built_for_tests() -> None:
    assert_type(build_event(AccountsAdded, customer_id="42"), AccountsAdded)
