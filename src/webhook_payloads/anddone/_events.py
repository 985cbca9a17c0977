"""AndDone webhook models: report, transaction, refund, chargeback, void, premium finance.

Sources: the seed page "Report Webhook Payloads", and AndDone's pages "Transaction Webhook
Payloads" (version 1), "Refund Webhook Payloads", "Chargeback Webhook Payloads", "Void
Webhook Payloads" and "Premium Finance Webhook Payloads".
"""

# The wire names come from one alias generator (PascalCase) per provider, so the pydantic
# mypy plugin cannot see them statically; populate_by_name lets code build models by
# attribute name, which is what the plugin checks. Its "pydantic-alias" code is switched off
# for this module in pyproject.toml, not by a "# mypy:" comment here: that comment names a
# code only the plugin defines, and mypy crashes on it for users who do not load the plugin.

# Each event class declares its event type as a Literal field, narrowing the read-only
# property its family's base declares for type checkers (so that code holding a base class
# can read it). The models are frozen, so the narrowing is sound; pyright reports any
# property overridden by a field, hence this module-wide switch.
# pyright: reportIncompatibleMethodOverride=false

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Final, Literal, TypeAlias, cast

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    SerializationInfo,
    Strict,
    TypeAdapter,
    WithJsonSchema,
)
from pydantic.alias_generators import to_pascal
from pydantic_core import PydanticCustomError, to_json

from .._base import OPEN_ENUM, EventModel, WebhookEvent
from .._keys import event_key, json_part
from .._schema import WireSchema
from ._money import Money

__all__ = [
    "DATETIME_FORMAT",
    "AccountBooked",
    "AccountBookedEventBody",
    "AdditionalField",
    "AdditionalFields",
    "AndDoneDateTime",
    "AndDoneEvent",
    "AndDoneEventBase",
    "ChargebackEventBody",
    "Money",
    "NotificationType",
    "PaymentEventBase",
    "PaymentEventBody",
    "PaymentMethod",
    "RefundEventBase",
    "RefundEventBody",
    "ReportEventBase",
    "ReportEventBody",
    "ReportGenerated",
    "ReportGeneratedWithNoData",
    "ReportGenerationFailed",
    "TextBool",
    "TransactionAuthorized",
    "TransactionCancelled",
    "TransactionChargeback",
    "TransactionEventBase",
    "TransactionEventBody",
    "TransactionFailed",
    "TransactionOrigin",
    "TransactionRefundAccepted",
    "TransactionRefundFailed",
    "TransactionRefundInitiated",
    "TransactionRefundSuccess",
    "TransactionStatus",
    "TransactionSuccess",
    "TransactionVoided",
    "VoidEventBody",
    "format_datetime",
    "read_datetime",
]

DATETIME_FORMAT: Final = "%m-%d-%Y %H:%M:%S"
"""The ``strptime`` format of ``EventDateTime``: month first, as in ``12-15-2023 00:02:51``."""

_DATETIME_TEXT: Final = re.compile(r"[0-9]{2}-[0-9]{2}-[0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2}")

# The same text as a JSON Schema pattern, for json_schema(), down to the calendar: what
# _parse_datetime (then strptime) accepts, and nothing else. No look-arounds, so that every
# regex engine gateways use reads it; the exact length stands in for an end-of-text anchor
# (some engines let "$" match before a final newline).
_YEAR: Final = "(?:[0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})"  # not 0000
_LEAP_YEAR: Final = (
    "(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)"
)
_DATE: Final = (
    f"(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])-{_YEAR}"
    f"|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)-{_YEAR}"
    f"|02-(?:0[1-9]|1[0-9]|2[0-8])-{_YEAR}"
    f"|02-29-{_LEAP_YEAR})"
)
_DATETIME_PATTERN: Final = f"^{_DATE} (?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$"

NotificationType: TypeAlias = Literal["Report-available", "Report-noData", "Report-error"]
"""The ``NotificationType`` values AndDone documents. Others may come: fields typed with it
also take ``str``."""


def format_datetime(value: datetime) -> str:
    """``value`` as AndDone writes ``EventDateTime``: ``MM-DD-YYYY HH:MM:SS``."""
    # Formatted by hand: strftime's %Y does not zero-pad years before 1000 on every platform.
    return (
        f"{value.month:02d}-{value.day:02d}-{value.year:04d} "
        f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    )


def read_datetime(text: str | None) -> datetime | None:
    """``text`` read as ``MM-DD-YYYY HH:MM:SS`` into a naive ``datetime``, else ``None``.

    ``None`` for any other text, an impossible date included: AndDone's payment modules
    keep their date fields (and ``EventDateTime``) as the text sent, and this reads them.

    Example:
        >>> from webhook_payloads.anddone import read_datetime
        >>> read_datetime("12-15-2023 00:02:51")
        datetime.datetime(2023, 12, 15, 0, 2, 51)
        >>> read_datetime("2023-12-15T00:02:51") is None
        True
    """
    if text is None or _DATETIME_TEXT.fullmatch(text) is None:
        return None
    try:
        # The pattern has put two ASCII digits (four for the year) at each place, so this
        # reads what strptime(text, DATETIME_FORMAT) reads, at a quarter of its cost; an
        # impossible date or time is a ValueError either way. Naive: AndDone states no zone.
        return datetime(
            int(text[6:10]),
            int(text[0:2]),
            int(text[3:5]),
            int(text[11:13]),
            int(text[14:16]),
            int(text[17:19]),
        )
    except ValueError:
        return None


def _parse_datetime(value: object) -> object:
    if isinstance(value, datetime):
        if value.tzinfo is not None or value.microsecond:
            raise PydanticCustomError(
                "anddone_datetime",
                "AndDone date-times are naive and have whole seconds",
            )
        return value
    read = read_datetime(value) if isinstance(value, str) else None
    if read is None:
        raise PydanticCustomError(
            "anddone_datetime", "Input should be a valid date-time as MM-DD-YYYY HH:MM:SS"
        )
    return read


AndDoneDateTime: TypeAlias = Annotated[
    datetime,
    BeforeValidator(_parse_datetime),
    PlainSerializer(format_datetime, return_type=str),
    # What is accepted on the wire, for json_schema(): the text, not an ISO 8601 date-time.
    WithJsonSchema(
        {"type": "string", "minLength": 19, "maxLength": 19, "pattern": _DATETIME_PATTERN},
        mode="validation",
    ),
]
"""A naive ``datetime`` read from, and written back as, ``MM-DD-YYYY HH:MM:SS``."""


class _AndDoneModel(EventModel):
    # One base config for the provider: PascalCase on the wire, snake_case in Python.
    model_config = ConfigDict(alias_generator=to_pascal)


class AdditionalField(_AndDoneModel):
    """One item of ``AdditionalFields``; keys AndDone adds are kept in ``model_extra``."""

    report_generation_log_id: str | None = None
    """The ``ReportGenerationLogId`` the Download Report API needs."""


class ReportEventBody(_AndDoneModel):
    """``EventBody`` of the report events: every field of AndDone's table.

    ``MerchantId`` and ``ReportId`` are always present; AndDone publishes no example of a
    failed or empty report, so every other field may be absent or ``null``. The date-time
    fields other than ``EventDateTime`` are kept as the text sent (the table calls them
    strings, and ``NextGenerationTime`` may be a schedule rather than a moment).
    """

    merchant_id: str
    """The merchant the report belongs to."""
    report_id: str
    """The report's id, for the Download Report API."""
    user_type: str | None = None
    """The user type, such as ``Merchant``."""
    subscription_status: str | None = None
    """Whether automatic generation is on (``On``)."""
    frequency: str | None = None
    """How often the report is generated, such as ``Daily``."""
    frequency_param: str | None = None
    """When the report is scheduled, such as ``11:50``."""
    report_name: str | None = None
    """The report's name."""
    report_file_name: str | None = None
    """The report file's name."""
    report_file_size: str | None = None
    """The file size as AndDone writes it, such as ``0.9KB``."""
    report_access_url: str | None = Field(default=None, alias="ReportAccessURL")
    """Where the report can be fetched (``null`` in AndDone's example)."""
    error_message: str | None = None
    """What went wrong, for failed reports."""
    reason_code: str | None = None
    """A reason code, such as ``200``."""
    notification_type: Annotated[NotificationType | str | None, OPEN_ENUM] = None
    """``Report-available``, ``Report-noData`` or ``Report-error``; an open string."""
    notification_date: str | None = None
    """When the notification was triggered, as sent."""
    retention_policy_id: str | None = None
    """The report retention policy's id."""
    report_schema_id: str | None = None
    """The report schema's id."""
    created_on: str | None = None
    """When the report was created, as sent (in :attr:`time_zone`)."""
    modified_on: str | None = None
    """When the report was last modified, as sent (in :attr:`time_zone`)."""
    created_by: str | None = None
    """Who created the report."""
    modified_by: str | None = None
    """Who last modified the report."""
    next_generation_time: str | None = None
    """When the report is next generated, as sent."""
    time_zone: str | None = None
    """The time zone of the created and modified times, such as ``Eastern``."""


def _one_body(value: object) -> object:
    # The field table calls EventBody an array while every example sends an object.
    if isinstance(value, list):
        items: list[Any] = value  # pyright: ignore[reportUnknownVariableType]
        if len(items) != 1:
            raise PydanticCustomError(
                "event_body_array", "EventBody should be an object or an array of one object"
            )
        return items[0]
    return value


def _or_array_of_one(schema: dict[str, Any]) -> dict[str, Any]:
    # What _one_body lets through as well, for json_schema().
    return {"anyOf": [schema, {"type": "array", "items": schema, "minItems": 1, "maxItems": 1}]}


# The most AdditionalFields items a body may carry (AndDone sends one).
_MAX_ADDITIONAL_FIELDS: Final = 1000

_JSON_VALUE: Final[TypeAdapter[Any]] = TypeAdapter(Any)
_UNREADABLE: Final = object()


def _refuse_constant(name: str) -> object:
    raise ValueError(name)  # NaN and Infinity are not JSON


def _decode_additional_fields(value: object) -> object:
    if value is None:
        return ()
    if isinstance(value, str):
        if not value.strip():
            return ()
        try:
            # pydantic-core's parser, as for the body itself: the same nesting limit and the
            # same refusal of lone surrogates (an event holding either would not dump or
            # pickle). Not pydantic_core.from_json, which garbles non-ASCII text before
            # pydantic-core 2.20. That parser takes NaN and Infinity, which are not JSON:
            # text that may hold them is read again by the standard library, which refuses.
            decoded: object = _JSON_VALUE.validate_json(value)
            if "NaN" in value or "Infinity" in value:
                json.loads(value, parse_constant=_refuse_constant)
        except (ValueError, RecursionError):  # pydantic's ValidationError is a ValueError
            decoded = _UNREADABLE
        if decoded is _UNREADABLE:
            # Raised outside the except block: the parser's error quotes the input.
            raise PydanticCustomError(
                "additional_fields_json", "AdditionalFields should be a JSON array in a string"
            )
        value = decoded
    if isinstance(value, dict):
        # One object where an array of them was expected: accept it as one item.
        item: dict[str, Any] = value  # pyright: ignore[reportUnknownVariableType]
        return [item]
    if isinstance(value, list):
        items = cast("list[object]", value)
        if len(items) > _MAX_ADDITIONAL_FIELDS:
            # AndDone sends one item. A megabyte of "[{},{},...]" would be 350,000 models and
            # about 200 MiB; under the EventBody signature scheme it is not even signed.
            raise PydanticCustomError(
                "additional_fields_too_many",
                "AdditionalFields should have at most {max} items",
                {"max": _MAX_ADDITIONAL_FIELDS},
            )
        return items
    return value


def _as_json_text(decoded: dict[str, Any]) -> dict[str, Any]:
    # What _decode_additional_fields lets through, for json_schema(): ``decoded`` is the array
    # of AdditionalField; JSON text of it (or of one item) as AndDone sends, the array or one
    # item already decoded, or null. Blank text stands for no items.
    one = decoded["items"]
    decoded = {**decoded, "maxItems": _MAX_ADDITIONAL_FIELDS}
    return {
        "anyOf": [
            {
                "type": "string",
                "contentMediaType": "application/json",
                "contentSchema": {"anyOf": [decoded, one]},
            },
            decoded,
            one,
            {"type": "null"},
        ]
    }


def _encode_additional_fields(items: tuple[AdditionalField, ...], info: SerializationInfo) -> str:
    # Back to a JSON string, as on the wire, so a dump re-parses to an equal event; with
    # exclude_unset (to_json), only the keys that were sent. Non-finite floats (a huge number
    # in an array sent undecoded) become null, as in model_dump_json(): "Infinity" is not
    # JSON and would not decode again.
    unset = info.exclude_unset
    dumped = [item.model_dump(by_alias=True, exclude_unset=unset) for item in items]
    return to_json(dumped, inf_nan_mode="null").decode()


AdditionalFields: TypeAlias = Annotated[
    tuple[AdditionalField, ...],
    BeforeValidator(_decode_additional_fields),
    PlainSerializer(_encode_additional_fields, return_type=str),
    WireSchema(_as_json_text),
]
"""``AdditionalFields``: JSON text on the wire, a tuple of :class:`AdditionalField` here."""


class AndDoneEventBase(WebhookEvent, _AndDoneModel):
    """What every AndDone event shares, whatever its module; one subclass per ``EventCode``."""

    event_type_field: ClassVar[str] = "event_code"
    provider: ClassVar[str] = "anddone"

    if TYPE_CHECKING:

        @property
        def event_code(self) -> str:
            """The event type (``EventCode``), such as ``ReportGenerated``.

            Each event class narrows it to its own ``Literal``.
            """
            ...

    signature: str | None = Field(default=None, repr=False)
    """The ``Signature`` as sent; kept out of ``repr()``."""

    def _event_body_json(self) -> str:
        # EventBody is what every signature scheme covers: keys are built from it alone
        # (and from the event type, which no key can do without).
        body: EventModel = getattr(self, "event_body")  # noqa: B009 - every subclass has one
        return body.model_dump_json(by_alias=True)


class ReportEventBase(AndDoneEventBase):
    """The envelope of the report events (``ReportGenerated`` and the two others)."""

    event_date_time: AndDoneDateTime
    """When the event happened: a naive ``datetime``, as AndDone states no time zone."""
    event_body: Annotated[ReportEventBody, BeforeValidator(_one_body), WireSchema(_or_array_of_one)]
    """The report's details (sent as an object, or as an array of one object)."""
    additional_fields: AdditionalFields = ()
    """``AdditionalFields``, decoded from the JSON text AndDone sends."""

    @property
    def event_date_time_text(self) -> str:
        """``EventDateTime`` exactly as sent (``MM-DD-YYYY HH:MM:SS``)."""
        return format_datetime(self.event_date_time)

    @property
    def report_generation_log_id(self) -> str | None:
        """The first ``ReportGenerationLogId`` in ``AdditionalFields``, if any."""
        for item in self.additional_fields:
            if item.report_generation_log_id is not None:
                return item.report_generation_log_id
        return None

    @property
    def idempotency_key(self) -> str:
        """``anddone:<EventCode>:<ReportId>:~<digest>``, a SHA-256 of ``EventBody``.

        A scheduled report keeps its ``ReportId`` from one run to the next; its
        ``EventBody`` (notification date, file name, ...) tells the runs apart. The key uses
        neither ``ReportGenerationLogId`` nor ``EventDateTime``: under the ``event_body``
        signature scheme they are not signed, and a replay with either edited would get a
        new key. ``EventCode``, the event type, is in every key.
        """
        return event_key(
            self.provider, self.event_type, self.event_body.report_id, self._event_body_json()
        )


class ReportGenerated(ReportEventBase):
    """A report was generated (``Report.OnReportGeneration``); download it."""

    event_code: Literal["ReportGenerated"]


class ReportGeneratedWithNoData(ReportEventBase):
    """A report was generated but holds no data (``Report.OnGenerationWithNoData``)."""

    event_code: Literal["ReportGeneratedWithNoData"]


class ReportGenerationFailed(ReportEventBase):
    """A report failed to generate (``Report.OnReportGenerationFailed``).

    The cause is in ``event_body.reason_code`` and ``event_body.error_message``.
    """

    event_code: Literal["ReportGenerationFailed"]


# --- the payment modules: Transaction, Refund, Chargeback ------------------------------------


PaymentMethod: TypeAlias = Literal["ACH"]
"""The ``PaymentMethod`` AndDone's chargeback table gives as an example. Others come:
fields typed with it also take ``str``."""

TransactionStatus: TypeAlias = Literal["Chargeback", "Voided"]
"""The ``TransactionStatus`` values AndDone's chargeback and void tables give as examples.
Others come: fields typed with it also take ``str``."""

TransactionOrigin: TypeAlias = Literal["WEB", "CCD", "PPD", "PaymentIntent"]
"""The ``TransactionOrigin`` values AndDone's tables give as examples: ACH entry classes in
the chargeback table, ``PaymentIntent`` in the void table. Others come: fields typed with it
also take ``str``."""


class PaymentEventBody(_AndDoneModel):
    """What the ``EventBody`` of every payment module has: the rows common to their tables.

    AndDone's tables have no "required" column, so every field may be absent or ``null``.
    Date fields are kept as the text sent; :func:`read_datetime` reads them.
    """

    merchant_id: str | None = None
    """The merchant's id (8 characters)."""
    merchant_reference: str | None = None
    """The transaction's reference, assigned by the merchant."""
    transaction_date: str | None = None
    """When the transaction was processed, as sent (in :attr:`time_zone`)."""
    time_zone: str | None = None
    """The time zone of :attr:`transaction_date`, such as ``Eastern``."""
    reason_code: str | None = None
    """A reason code, for failures and chargebacks."""


class TransactionEventBody(PaymentEventBody):
    """``EventBody`` of the transaction events (AndDone's table, version 1)."""

    transaction_id: str | None = None
    """AndDone's id of the transaction (36 characters)."""
    psp_reference: str | None = Field(default=None, alias="PSPReference")
    """The payment service provider's reference."""
    error_message: str | None = None
    """What went wrong, for ``TransactionFailed``."""


class RefundEventBody(PaymentEventBody):
    """``EventBody`` of the refund events."""

    reference_transaction_id: str | None = None
    """AndDone's id of the payment that was refunded (36 characters)."""
    psp_reference: str | None = Field(default=None, alias="PSPReference")
    """The payment service provider's reference."""
    error_message: str | None = None
    """What went wrong, for ``TransactionRefundFailed``."""


class ChargebackEventBody(PaymentEventBody):
    """``EventBody`` of ``TransactionChargeback``.

    The bank account fields are kept out of ``repr()``.
    """

    transaction_id: str | None = None
    """AndDone's id of the payment charged back (36 characters)."""
    amount: Money | None = None
    """The payment's amount."""
    payment_method: Annotated[PaymentMethod | str | None, OPEN_ENUM] = None
    """How it was paid, such as ``ACH``; an open string."""
    transaction_status: Annotated[TransactionStatus | str | None, OPEN_ENUM] = None
    """The transaction's status, such as ``Chargeback``; an open string."""
    transaction_origin: Annotated[TransactionOrigin | str | None, OPEN_ENUM] = None
    """Where the transaction came from, such as ``WEB``, ``CCD`` or ``PPD``; an open string."""
    settlement_date: str | None = None
    """When the payment's funds were settled, as sent."""
    mask_account: str | None = Field(default=None, repr=False)
    """The account number, partly masked."""
    routing_number: str | None = Field(default=None, repr=False)
    """The bank's routing number."""
    chargeback_amount: Money | None = None
    """The amount charged back."""
    chargedback_date: str | None = None
    """When the chargeback happened, as sent (AndDone spells it ``ChargedbackDate``)."""
    reason: str | None = None
    """The chargeback's reason."""
    reason_description: str | None = None
    """The reason, described."""


class VoidEventBody(PaymentEventBody):
    """``EventBody`` of ``TransactionVoided``: the rows of AndDone's void table.

    ``ReasonCode`` comes with the base class; the void table does not list it. The bank
    account fields are kept out of ``repr()``. The table shows no amount.
    """

    transaction_id: str | None = None
    """AndDone's id of the payment voided (36 characters)."""
    psp_reference: str | None = Field(default=None, alias="PSPReference")
    """The payment service provider's reference."""
    payment_intent_id: str | None = None
    """The id of the payment intent the payment came from."""
    payment_method: Annotated[PaymentMethod | str | None, OPEN_ENUM] = None
    """How it was paid, such as ``ACH``; an open string."""
    transaction_status: Annotated[TransactionStatus | str | None, OPEN_ENUM] = None
    """The transaction's status, such as ``Voided``; an open string."""
    transaction_origin: Annotated[TransactionOrigin | str | None, OPEN_ENUM] = None
    """Where the transaction came from, such as ``PaymentIntent``; an open string."""
    settlement_date: str | None = None
    """``null`` for a voided payment, AndDone says (a voided payment is never settled); any
    text sent is kept."""
    mask_account: str | None = Field(default=None, repr=False)
    """The account number, partly masked."""
    routing_number: str | None = Field(default=None, repr=False)
    """The bank's routing number."""


class _TextDateTimeEnvelope(AndDoneEventBase):
    # The envelope of every module but the report one: EventDateTime kept as sent.

    event_date_time_text: str = Field(alias="EventDateTime")
    """``EventDateTime`` exactly as sent."""

    @property
    def event_date_time(self) -> datetime | None:
        """``EventDateTime`` as a naive ``datetime``; ``None`` if not ``MM-DD-YYYY HH:MM:SS``."""
        return read_datetime(self.event_date_time_text)

    def _key(self, identifier: str | None, *others: str | None) -> str:
        # An event missing a part of its key is told apart by its whole EventBody instead,
        # so that two such events never share a key; "body" marks that form. The other
        # parts go in as one JSON array (hashed), which has one reading whatever they hold.
        if identifier is None or None in others:
            return event_key(self.provider, self.event_type, "body", self._event_body_json())
        if not others:
            return event_key(self.provider, self.event_type, identifier)
        return event_key(self.provider, self.event_type, identifier, json_part(*others))


class PaymentEventBase(_TextDateTimeEnvelope):
    """The envelope of the transaction, refund, chargeback and void events.

    ``EventDateTime`` is kept as the text sent, whatever its form: AndDone's tables give it
    19 or 36 characters, and a form not seen yet must not make a payment unreadable.
    :attr:`event_date_time` reads the documented form.
    """

    if TYPE_CHECKING:

        @property
        def event_body(self) -> PaymentEventBody:
            """``EventBody``: the rows every payment module shares (each module narrows it)."""
            ...


class TransactionEventBase(PaymentEventBase):
    """The envelope of the transaction events: a payment's progress."""

    event_body: Annotated[
        TransactionEventBody, BeforeValidator(_one_body), WireSchema(_or_array_of_one)
    ]
    """The transaction's details (sent as an object, or as an array of one object)."""

    @property
    def idempotency_key(self) -> str:
        """``anddone:<EventCode>:<TransactionId>``.

        Without a ``TransactionId``: ``anddone:<EventCode>:body:~`` and the SHA-256 of
        ``EventBody``.
        """
        return self._key(self.event_body.transaction_id)


class TransactionAuthorized(TransactionEventBase):
    """A payment was authorised (``Transaction.OnAuthorized``)."""

    event_code: Literal["TransactionAuthorized"]


class TransactionSuccess(TransactionEventBase):
    """A payment was processed successfully (``Transaction.OnSuccess``)."""

    event_code: Literal["TransactionSuccess"]


class TransactionFailed(TransactionEventBase):
    """A payment failed (``Transaction.OnFailed``).

    The cause is in ``event_body.reason_code`` and ``event_body.error_message``.
    """

    event_code: Literal["TransactionFailed"]


class TransactionCancelled(TransactionEventBase):
    """A payment was cancelled (``Transaction.OnCancellation``)."""

    event_code: Literal["TransactionCancelled"]


class RefundEventBase(PaymentEventBase):
    """The envelope of the refund events: a refund's progress."""

    event_body: Annotated[RefundEventBody, BeforeValidator(_one_body), WireSchema(_or_array_of_one)]
    """The refund's details (sent as an object, or as an array of one object)."""

    @property
    def idempotency_key(self) -> str:
        """``anddone:<EventCode>:<ReferenceTransactionId>:~<hash>``.

        A payment may be refunded more than once, so the refunded payment's id alone would
        merge its refunds: ``<hash>`` is the SHA-256 (hex) of ``[PSPReference,
        TransactionDate]`` as compact JSON, which tells one refund from another. Without one
        of the three: ``anddone:<EventCode>:body:~`` and the SHA-256 of ``EventBody``.
        """
        body = self.event_body
        return self._key(body.reference_transaction_id, body.psp_reference, body.transaction_date)


class TransactionRefundInitiated(RefundEventBase):
    """The merchant asked for a refund (``Transaction.OnRefundInitiated``)."""

    event_code: Literal["TransactionRefundInitiated"]


class TransactionRefundAccepted(RefundEventBase):
    """A refund was accepted for processing (``Transaction.OnRefundAccepted``)."""

    event_code: Literal["TransactionRefundAccepted"]


class TransactionRefundSuccess(RefundEventBase):
    """A refund was paid in full (``Transaction.OnRefundSuccess``)."""

    event_code: Literal["TransactionRefundSuccess"]


class TransactionRefundFailed(RefundEventBase):
    """A refund failed (``Transaction.OnRefund.Failed``).

    The cause is in ``event_body.reason_code`` and ``event_body.error_message``.
    """

    event_code: Literal["TransactionRefundFailed"]


class TransactionChargeback(PaymentEventBase):
    """A payment was charged back (``Transaction.OnChargeback``).

    The cause is in ``event_body.reason_code``, ``reason`` and ``reason_description``.
    """

    event_code: Literal["TransactionChargeback"]
    event_body: Annotated[
        ChargebackEventBody, BeforeValidator(_one_body), WireSchema(_or_array_of_one)
    ]
    """The chargeback's details (sent as an object, or as an array of one object)."""

    @property
    def idempotency_key(self) -> str:
        """``anddone:<EventCode>:<TransactionId>:~<hash>``, the hash of ``[ChargedbackDate]``.

        The date tells apart two chargebacks of one payment (``<hash>`` is the SHA-256, hex,
        of ``[ChargedbackDate]`` as compact JSON). Without a ``TransactionId`` or a date:
        ``anddone:<EventCode>:body:~`` and the SHA-256 of ``EventBody``.
        """
        body = self.event_body
        return self._key(body.transaction_id, body.chargedback_date)


class TransactionVoided(PaymentEventBase):
    """A payment was voided by the merchant before it settled (``Transaction.OnVoided``)."""

    event_code: Literal["TransactionVoided"]
    event_body: Annotated[VoidEventBody, BeforeValidator(_one_body), WireSchema(_or_array_of_one)]
    """The voided payment's details (sent as an object, or as an array of one object)."""

    @property
    def idempotency_key(self) -> str:
        """``anddone:TransactionVoided:<TransactionId>``: a payment is voided once.

        Without a ``TransactionId``: ``anddone:TransactionVoided:body:~`` and the SHA-256 of
        ``EventBody``.
        """
        return self._key(self.event_body.transaction_id)


# --- the premium finance module --------------------------------------------------------------

_BOOLEAN_TEXT: Final = {"True": True, "False": False, "true": True, "false": False}


def _bool_from_text(value: object) -> object:
    # AndDone's table says boolean; its example sends the text "False" (.NET's spelling).
    # Only these words: no "yes", "1" or "off", which pydantic's lax bool would also take.
    if isinstance(value, str) and value in _BOOLEAN_TEXT:
        return _BOOLEAN_TEXT[value]
    return value


TextBool: TypeAlias = Annotated[
    bool,
    Strict(),
    BeforeValidator(_bool_from_text),
    WithJsonSchema(
        {"anyOf": [{"type": "boolean"}, {"type": "string", "enum": list(_BOOLEAN_TEXT)}]},
        mode="validation",
    ),
]
"""A ``bool`` sent as JSON ``true``/``false`` or as the text ``"True"``/``"False"`` (or in
lower case); dumps write a JSON boolean."""


class AccountBookedEventBody(_AndDoneModel):
    """``EventBody`` of ``AccountBooked``: the rows of AndDone's premium finance table.

    Every field may be absent or ``null``. ``AccountNumber`` is kept out of ``repr()``.
    """

    quote_key: str | None = None
    """The premium finance quote's key, such as ``24324147``."""
    is_quote_endorsement: TextBool | None = None
    """Whether the quote is an endorsement (sent as a boolean or as ``"True"``/``"False"``)."""
    account_number: str | None = Field(default=None, repr=False)
    """The premium finance account's number, such as ``CAB-2255084``."""
    version: Annotated[int, Strict()] | None = None
    """``Version`` inside ``EventBody`` (``1`` in AndDone's example; its meaning is not
    documented). A JSON integer: not ``true`` or ``"1"``."""


class AccountBooked(_TextDateTimeEnvelope):
    """A premium finance quote was booked by IPFS (``PremiumFinance.OnAccountBooked``).

    ``EventDateTime`` is kept as the text sent, as for payment events; AndDone's example
    gives it as ``MM-DD-YYYY HH:MM:SS``, which :attr:`event_date_time` reads.
    """

    event_code: Literal["AccountBooked"]
    event_body: Annotated[
        AccountBookedEventBody, BeforeValidator(_one_body), WireSchema(_or_array_of_one)
    ]
    """The booking's details (sent as an object, or as an array of one object)."""
    version: Annotated[int, Strict()] | None = None
    """The payload version chosen when subscribing (``1`` in AndDone's example). A JSON
    integer: not ``true`` or ``"1"``."""

    @property
    def idempotency_key(self) -> str:
        """``anddone:AccountBooked:<QuoteKey>:~<hash>``, hashing ``IsQuoteEndorsement, Version``.

        A quote is booked once; ``<hash>`` (the SHA-256, hex, of ``EventBody``'s
        ``[IsQuoteEndorsement, Version]`` as compact JSON, such as ``[false,1]``) tells apart
        an endorsement or a later version booked under the same ``QuoteKey``. The account
        number stays out of the key: it is personal data. Without a ``QuoteKey``:
        ``anddone:AccountBooked:body:~`` and the SHA-256 of ``EventBody``.
        """
        body = self.event_body
        if body.quote_key is None:
            return self._key(None)
        rest = to_json([body.is_quote_endorsement, body.version]).decode()
        return event_key(self.provider, self.event_type, body.quote_key, rest)


AndDoneEvent: TypeAlias = Annotated[
    ReportGenerated
    | ReportGeneratedWithNoData
    | ReportGenerationFailed
    | TransactionAuthorized
    | TransactionSuccess
    | TransactionFailed
    | TransactionCancelled
    | TransactionRefundInitiated
    | TransactionRefundAccepted
    | TransactionRefundSuccess
    | TransactionRefundFailed
    | TransactionChargeback
    | TransactionVoided
    | AccountBooked,
    Field(discriminator="event_code"),
]
"""Any AndDone event (report, transaction, refund, chargeback, void, premium finance),
discriminated on ``EventCode``."""
