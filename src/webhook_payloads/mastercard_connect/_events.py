"""Mastercard Open Finance US Connect webhook models (``eventType``), one class per event.

Shapes follow Mastercard's published examples ("Data Connect Events", the Finicity
"Webhook Events List", "Custom Event Data") and deliveries captured from Mastercard's
sandbox. Where no example shows a payload, the payload is open: whatever arrives is kept.
"""

# The wire names come from one alias generator (camelCase), which the pydantic mypy plugin
# cannot see: its "pydantic-alias" code is switched off for this module in pyproject.toml.

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, ClassVar, Literal, NoReturn, TypeAlias

from pydantic import ConfigDict, Field, WithJsonSchema
from pydantic.alias_generators import to_camel
from pydantic_core import to_json

from .._base import NUMBER_AS_TEXT, OPEN_ENUM, EventModel, JsonValue, WebhookEvent
from .._keys import event_key

__all__ = [
    "AccountDetail",
    "AccountType",
    "AccountsAdded",
    "AccountsAdding",
    "AccountsDeleted",
    "AccountsDeletedPayload",
    "AccountsDiscovered",
    "AccountsPayload",
    "ConnectAccount",
    "ConnectDone",
    "ConnectErrorPayload",
    "ConnectPayload",
    "ConnectStarted",
    "CredentialsUpdated",
    "InstitutionNotFound",
    "InstitutionNotFoundPayload",
    "InstitutionNotSupported",
    "InstitutionPayload",
    "InstitutionSupported",
    "InvalidCredentials",
    "MastercardConnectEvent",
    "MastercardConnectEventBase",
    "Ping",
    "Processing",
    "SessionEvent",
    "UnableToConnect",
]

AccountType: TypeAlias = Literal["checking", "savings", "creditCard", "ira", "401k"]
"""Account types Mastercard's Connect examples show; there are many more, and fields typed
with it take any string."""

# Mastercard's ids are strings in its examples and API spec; a JSON number is taken as its
# decimal text (customerId is a number in the report webhooks), and json_schema() says so.
_Id: TypeAlias = Annotated[
    str,
    NUMBER_AS_TEXT,
    WithJsonSchema({"type": ["string", "number"]}, mode="validation"),
]
_OptionalId: TypeAlias = Annotated[
    Annotated[str, NUMBER_AS_TEXT] | None,
    WithJsonSchema({"type": ["string", "number", "null"]}, mode="validation"),
]


class _ConnectModel(EventModel):
    # One base config for the provider: camelCase on the wire, snake_case in Python.
    model_config = ConfigDict(alias_generator=to_camel)


class AccountDetail(_ConnectModel):
    """An account's ``detail`` object; only the members of Mastercard's example are typed."""

    available_balance_amount: float | None = None
    """The available balance."""
    period_interest_rate: Annotated[
        Annotated[str, NUMBER_AS_TEXT] | None,
        WithJsonSchema({"type": ["string", "number", "null"]}, mode="validation"),
    ] = None
    """The interest rate, as text (``"4.5"`` in Mastercard's example)."""


class ConnectAccount(_ConnectModel):
    """An account the consumer added or that was discovered, as Connect sends it.

    Account numbers, the account's name and its balances are kept out of ``repr()``; they
    still serialise. Dates are seconds since the Unix epoch, as sent (``0`` when not set).
    """

    id: _Id
    """Mastercard's account id: use it in API calls and report requests."""
    number: str | None = Field(default=None, repr=False)
    """The full account number (sensitive)."""
    real_account_number_last4: str | None = Field(default=None, repr=False)
    """The last four digits of the real account number."""
    account_number_display: str | None = Field(default=None, repr=False)
    """The account number as shown to the consumer."""
    name: str | None = Field(default=None, repr=False)
    """The account's name at the institution (may hold the consumer's name)."""
    balance: float | None = Field(default=None, repr=False)
    """The balance."""
    type: Annotated[AccountType | str | None, OPEN_ENUM] = None
    """The account type, such as ``checking``; an open string."""
    aggregation_status_code: int | None = None
    """The status of the last aggregation (``0`` for success)."""
    status: str | None = None
    """The account's status, such as ``active``."""
    customer_id: _OptionalId = None
    """The customer the account belongs to."""
    institution_id: _OptionalId = None
    """The institution holding the account."""
    balance_date: int | None = None
    """When the balance was read (epoch seconds)."""
    aggregation_success_date: int | None = None
    """When aggregation last succeeded (epoch seconds)."""
    aggregation_attempt_date: int | None = None
    """When aggregation was last attempted (epoch seconds)."""
    created_date: int | None = None
    """When the account was added (epoch seconds)."""
    last_updated_date: int | None = None
    """When the account was last updated (epoch seconds; ``0`` when never)."""
    currency: str | None = None
    """The currency code, such as ``USD``."""
    last_transaction_date: int | None = None
    """When the last transaction was posted (epoch seconds)."""
    institution_login_id: int | None = None
    """The institution login (connection) the account was added through."""
    detail: AccountDetail | None = Field(default=None, repr=False)
    """More about the account (available balance, interest rate, ...)."""
    display_position: int | None = None
    """The account's position in the institution's list."""


class ConnectPayload(_ConnectModel):
    """A ``payload`` whose shape Mastercard does not publish: every member is kept as sent.

    Read them with ``payload.model_extra``; they are kept out of ``repr()``.
    """


class InstitutionPayload(ConnectPayload):
    """A payload naming the institution the consumer chose."""

    institution_id: _OptionalId = None
    """The institution's id."""
    oauth: bool | None = None
    """``True`` when the institution connects through OAuth."""


class ConnectErrorPayload(InstitutionPayload):
    """The payload of a failed connection: the institution and Mastercard's error code."""

    code: int | None = None
    """Mastercard's error code (see its error-code reference)."""


class InstitutionNotFoundPayload(ConnectPayload):
    """The payload of ``institutionNotFound``: what the consumer searched for."""

    query: str | None = Field(default=None, repr=False)
    """The consumer's search text, kept out of ``repr()`` (it is whatever they typed)."""


class AccountsPayload(InstitutionPayload):
    """A payload carrying accounts: those added, or those discovered at the institution."""

    accounts: tuple[ConnectAccount, ...] = ()
    """The accounts, in the order sent."""


class AccountsDeletedPayload(ConnectPayload):
    """The payload of ``accountsDeleted``: the ids of the deleted accounts."""

    accounts: tuple[_Id, ...] = ()
    """The ids of the accounts that were deleted."""
    institution_id: _OptionalId = None
    """The institution the accounts were at (absent in older examples)."""


class _EventTypeIsAField:
    """Stands in for ``WebhookEvent.event_type`` (a property) in the Connect classes.

    Connect's discriminator attribute is itself named ``event_type``; hiding the inherited
    property here lets each event class declare it as a field, read from the instance.
    """

    def __get__(self, instance: object, owner: type) -> NoReturn:
        raise AttributeError("event_type")


class MastercardConnectEventBase(WebhookEvent, _ConnectModel):
    """What every Connect webhook carries; one subclass per ``eventType``.

    ``webhookData`` is the object you passed when generating the Connect URL, echoed back
    as given (kept out of ``repr()``); ``None`` when you passed none.
    """

    model_config = ConfigDict(ignored_types=(_EventTypeIsAField,))
    event_type_field: ClassVar[str] = "event_type"
    provider: ClassVar[str] = "mastercard_connect"
    if not TYPE_CHECKING:
        event_type = _EventTypeIsAField()

    consumer_id: str | None = None
    """The consumer (the person reports are about), when one exists."""
    webhook_data: dict[str, JsonValue] | None = Field(default=None, repr=False)
    """Your ``webhookData`` object, as given."""


class SessionEvent(MastercardConnectEventBase):
    """An event of a Connect session: every event but ``ping`` has a customer and an id.

    Mastercard retries undelivered events, so the same ``eventId`` can arrive more than
    once: de-duplicate on :attr:`idempotency_key`.
    """

    customer_id: _Id
    """The customer whose Connect session this is (text even when sent as a number)."""
    event_id: str
    """The event's unique id; a retry carries the same id."""

    def __hash__(self) -> int:
        """Hash by event type and id (``webhookData`` is a dict); equal events agree."""
        return hash((self.event_type, self.event_id))

    @property
    def idempotency_key(self) -> str:
        """``mastercard_connect:<eventType>:<eventId>``.

        Such as ``mastercard_connect:added:1611877956869-28eb...``.
        """
        return event_key(self.provider, self.event_type, self.event_id)


class Ping(MastercardConnectEventBase):
    """Sent when a Connect URL is generated, to check your webhook URL answers (``ping``).

    Answer it with a 2xx status, or generating the Connect URL fails. It has no customer
    and no event id.
    """

    event_type: Literal["ping"]  # pyright: ignore[reportIncompatibleMethodOverride]
    payload: ConnectPayload
    """Empty in every example."""

    def __hash__(self) -> int:
        """Hash by event type (``webhookData`` is a dict); equal events agree."""
        return hash(self.event_type)

    @property
    def idempotency_key(self) -> str:
        """``mastercard_connect:ping:~`` and a SHA-256 of the payload as compact JSON.

        Every documented ping has the same key. A ping carries no event id and nothing to act
        on; answering every one is harmless.
        """
        return event_key(self.provider, "ping", to_json(self.payload).decode())


class ConnectStarted(SessionEvent):
    """The consumer opened Connect (``started``)."""

    event_type: Literal["started"]  # pyright: ignore[reportIncompatibleMethodOverride]
    payload: ConnectPayload
    """Empty in every example."""


class InstitutionSupported(SessionEvent):
    """The institution the consumer chose is supported (``institutionSupported``)."""

    event_type: Literal["institutionSupported"]  # pyright: ignore[reportIncompatibleMethodOverride]
    payload: InstitutionPayload
    """The institution."""


class InstitutionNotSupported(SessionEvent):
    """The institution the consumer chose is not supported (``institutionNotSupported``)."""

    event_type: Literal["institutionNotSupported"]  # pyright: ignore[reportIncompatibleMethodOverride]
    payload: InstitutionPayload
    """The institution."""


class InstitutionNotFound(SessionEvent):
    """The consumer's institution search found nothing (``institutionNotFound``)."""

    event_type: Literal["institutionNotFound"]  # pyright: ignore[reportIncompatibleMethodOverride]
    payload: InstitutionNotFoundPayload
    """What the consumer searched for."""


class AccountsDiscovered(SessionEvent):
    """The consumer signed in and accounts were found at the institution (``discovered``)."""

    event_type: Literal["discovered"]  # pyright: ignore[reportIncompatibleMethodOverride]
    payload: AccountsPayload
    """The accounts found."""


class AccountsAdding(SessionEvent):
    """The consumer submitted credentials and accounts are being added (``adding``)."""

    event_type: Literal["adding"]  # pyright: ignore[reportIncompatibleMethodOverride]
    payload: InstitutionPayload
    """The institution, and whether it connects through OAuth."""


class Processing(SessionEvent):
    """Connect is processing the consumer's connection (``processing``).

    Real deliveries carry it, between ``adding`` and ``added``, though Mastercard's events
    list does not name it.
    """

    event_type: Literal["processing"]  # pyright: ignore[reportIncompatibleMethodOverride]
    payload: InstitutionPayload
    """The institution."""


class AccountsAdded(SessionEvent):
    """The consumer chose accounts and they were saved for the customer (``added``).

    The accounts carry account numbers: handle the event as sensitive data.
    """

    event_type: Literal["added"]  # pyright: ignore[reportIncompatibleMethodOverride]
    payload: AccountsPayload
    """The accounts added, the institution, and ``oauth``."""


class AccountsDeleted(SessionEvent):
    """Accounts were deleted for the customer (``accountsDeleted``)."""

    event_type: Literal["accountsDeleted"]  # pyright: ignore[reportIncompatibleMethodOverride]
    payload: AccountsDeletedPayload
    """The ids of the deleted accounts."""


class UnableToConnect(SessionEvent):
    """Connect could not connect to the institution (``unableToConnect``)."""

    event_type: Literal["unableToConnect"]  # pyright: ignore[reportIncompatibleMethodOverride]
    payload: ConnectErrorPayload
    """The institution and the error code."""


class InvalidCredentials(SessionEvent):
    """The institution refused the consumer's credentials (``invalidCredentials``).

    Mastercard publishes no example of its payload: it is kept open.
    """

    event_type: Literal["invalidCredentials"]  # pyright: ignore[reportIncompatibleMethodOverride]
    payload: ConnectPayload
    """Kept as sent."""


class CredentialsUpdated(SessionEvent):
    """The consumer updated their credentials for an institution (``credentialsUpdated``).

    Mastercard publishes no example of its payload: it is kept open.
    """

    event_type: Literal["credentialsUpdated"]  # pyright: ignore[reportIncompatibleMethodOverride]
    payload: ConnectPayload
    """Kept as sent."""


class ConnectDone(SessionEvent):
    """The consumer finished Connect, or the reports ordered through Connect are done (``done``).

    At the end of a session the payload is an empty object. For reports generated through
    Data Connect, Mastercard sends ``done`` once all pending reports are complete, with a
    payload that is an array of one entry per report; it publishes no complete example of
    those entries, so each is kept open (:attr:`reports`).
    """

    event_type: Literal["done"]  # pyright: ignore[reportIncompatibleMethodOverride]
    payload: ConnectPayload | tuple[ConnectPayload, ...]
    """An object at the end of a session; an array (one entry per report) for reports."""

    @property
    def reports(self) -> tuple[ConnectPayload, ...]:
        """The entries of a report ``done`` (``()`` when the payload is an object)."""
        return self.payload if isinstance(self.payload, tuple) else ()


MastercardConnectEvent: TypeAlias = Annotated[
    Ping
    | ConnectStarted
    | InstitutionSupported
    | InstitutionNotSupported
    | InstitutionNotFound
    | AccountsDiscovered
    | AccountsAdding
    | Processing
    | AccountsAdded
    | AccountsDeleted
    | UnableToConnect
    | InvalidCredentials
    | CredentialsUpdated
    | ConnectDone,
    Field(discriminator="event_type"),
]
"""Any Mastercard Connect webhook, discriminated on ``eventType``."""
