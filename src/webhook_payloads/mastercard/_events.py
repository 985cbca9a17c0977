"""Mastercard Open Finance US report webhook models: seed page "Report Events (API)"."""

# The wire names come from one alias generator (camelCase) per provider, so the pydantic
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

from datetime import timedelta
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Final, Literal, TypeAlias

from pydantic import ConfigDict, Field, GetCoreSchemaHandler, GetJsonSchemaHandler, WithJsonSchema
from pydantic.alias_generators import to_camel
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from .._base import NUMBER_AS_TEXT, OPEN_ENUM, EventModel, WebhookEvent
from .._keys import event_key

__all__ = [
    "MastercardEvent",
    "MastercardEventBase",
    "ReportCustomField",
    "ReportDone",
    "ReportFailed",
    "ReportFamily",
    "ReportInProgress",
    "ReportPrimaryFieldUpdate",
    "ReportStatus",
    "ReportType",
]

ReportType: TypeAlias = Literal[
    "voi",
    "voa",
    "voaHistory",
    "history",
    "voieTxVerify",
    "voieWithReport",
    "voieWithInterview",
    "voieWithStatement",
    "paystatement",
    "preQualVoa",
    "assetSummary",
    "voie",
    "transactions",
    "statement",
    "voiePayroll",
    "voeTransactions",
    "farpbfnoncra",
    "voePayroll",
    "cfrp",
    "cfrb",
    "barpcra",
    "barpnoncra",
    "barbcra",
    "barbftc",
    "barbnoncra",
    "cfrpcra",
    "cfrpnoncra",
    "cracfrbcra",
    "cfrbnoncra",
    "cfrbftc",
    "phrbcra",
    "phrbnoncra",
    "phrbftc",
    "sbcaanalyticsnoncra",
    "sbcabenchmarksnoncra",
    "pripcra",
    "pripnoncra",
    "pribcra",
    "pribnoncra",
    "pribftc",
]
"""The report types Mastercard's API spec lists.

New ones appear over time: fields typed with it also take ``str``."""

ReportStatus: TypeAlias = Literal["inProgress", "success", "failure", "editing"]
"""The report statuses Mastercard documents. Others arrive (the docs' own examples show
``"status"``), so fields typed with it also take ``str``; never branch on it to decide what
happened: use the event class (``eventName``) instead."""


class ReportFamily(str, Enum):
    """Which of Mastercard's three report-webhook families an event belongs to.

    The families differ in what they carry, not in their shape: prequalification events
    carry no consumer fields, and only VOIE Paystub reports send ``primaryFieldUpdate``.
    """

    STANDARD = "standard"
    """Every report type without a section of its own (``voa``, ``voi``, ``voaHistory``, ...)."""
    PREQUALIFICATION = "prequalification"
    """Prequalification (CRA) reports, ``type`` ``preQualVoa``: no consumer fields."""
    VOIE_PAYSTUB = "voie_paystub"
    """VOIE Paystub (with TXVerify) reports, ``type`` ``voieTxVerify``."""

    def __str__(self) -> str:
        """The plain value, as for :class:`~webhook_payloads.Provider`."""
        return self.value


_FAMILY_OF_TYPE: dict[str, ReportFamily] = {
    "preQualVoa": ReportFamily.PREQUALIFICATION,
    "voieTxVerify": ReportFamily.VOIE_PAYSTUB,
}


class _NullAsEmpty:
    """``Annotated`` marker for ``tuple[...] | None``: null becomes ``()``, in pydantic-core.

    No custom fields: absent in the docs' shape, possibly null on the wire. The value is
    validated as "array or null" first (its errors are those of that schema), then a step
    that passes a tuple through and gives ``()`` for ``None``: no Python call per event.
    """

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """The nullable tuple's schema, then ``None`` replaced by ``()``."""
        nullable = handler(source)
        # is_instance refuses None, and on_error="default" turns that refusal into ().
        empty = core_schema.with_default_schema(
            core_schema.is_instance_schema(tuple), default=(), on_error="default"
        )
        schema = core_schema.chain_schema([nullable, empty])
        schema["metadata"] = {_NULLABLE: nullable}
        return schema

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """The JSON schema of the array-or-null, in both modes."""
        metadata: dict[str, Any] = schema.get("metadata") or {}
        return handler(metadata[_NULLABLE])


_NULLABLE: Final = "webhook_payloads_nullable_schema"


# What pydantic's lax bool takes from JSON besides true/false: 0, 1, and these words in any
# letter case. json_schema() shows them so that a gateway accepts what parse() accepts.
# The end is "(?![\s\S])", not "$": Python's re (which Python gateways use) lets "$" match
# before a final newline, so "true\n", which parse() refuses, would pass; ECMA-262 agrees.
_BOOL_WORDS: Final = (
    "^(?:[01]|[Tt](?:[Rr][Uu][Ee])?|[Ff](?:[Aa][Ll][Ss][Ee])?"
    "|[Yy](?:[Ee][Ss])?|[Nn][Oo]?|[Oo](?:[Nn]|[Ff][Ff]))(?![\\s\\S])"
)
_LAX_BOOL_OR_NULL: Final = WithJsonSchema(
    {
        "anyOf": [
            {"type": "boolean"},
            {"enum": [0, 1]},
            {"type": "string", "pattern": _BOOL_WORDS},
            {"type": "null"},
        ]
    },
    mode="validation",
)


class _MastercardModel(EventModel):
    # One base config for the provider: camelCase on the wire, snake_case in Python.
    model_config = ConfigDict(alias_generator=to_camel)


class ReportCustomField(_MastercardModel):
    """One of the ``reportCustomFields`` given when the report was requested."""

    label: str
    """The field's label."""
    value: str = Field(repr=False)
    """The field's value; kept out of ``repr()`` since lenders put applicant data here."""
    shown: Annotated[bool | None, _LAX_BOOL_OR_NULL] = None
    """Whether the field is shown on the report (``None`` if not sent)."""


class MastercardEventBase(WebhookEvent, _MastercardModel):
    """What every report webhook carries; one subclass per ``eventName``.

    Only ``eventName``, ``id`` and ``status`` are always sent; the fields Mastercard calls
    optional (``consumerId``, ``consumerSsn``, ``type``, ``customerId``, ``portfolioId``)
    may be absent and are then ``None``.
    """

    event_type_field: ClassVar[str] = "event_name"
    provider: ClassVar[str] = "mastercard"

    if TYPE_CHECKING:

        @property
        def event_name(self) -> str:
            """The event type (``eventName``), such as ``done``; each class narrows it."""
            ...

    id: str
    """The report's id: fetch the report with it."""
    status: Annotated[ReportStatus | str, OPEN_ENUM]
    """The report's status as sent; an open string (see :data:`ReportStatus`)."""
    type: Annotated[ReportType | str | None, OPEN_ENUM] = None
    """The report type, such as ``voa`` or ``preQualVoa``; an open string."""
    consumer_id: str | None = None
    """The consumer the report is about; absent for prequalification reports."""
    consumer_ssn: str | None = Field(default=None, repr=False)
    """The last four digits of the consumer's SSN; kept out of ``repr()``."""
    # customerId is a JSON number in every report-webhook example and a string in the API
    # spec: pydantic-core turns a number into its decimal text for this field alone.
    customer_id: Annotated[
        Annotated[str, NUMBER_AS_TEXT] | None,
        # What is accepted on the wire, for json_schema(): a number or a string (or null).
        WithJsonSchema({"type": ["string", "number", "null"]}, mode="validation"),
    ] = None
    """Your customer's id, as text even when it arrives as a JSON number."""
    portfolio_id: str | None = None
    """The portfolio the report belongs to."""
    if TYPE_CHECKING:
        report_custom_fields: tuple[ReportCustomField, ...] = ()
    else:
        # Validated as "array or null" by pydantic-core itself, then null becomes (): a
        # Python validator before the array would make pydantic build the whole array as
        # Python objects first, which made large bodies about twice as slow.
        report_custom_fields: Annotated[tuple[ReportCustomField, ...] | None, _NullAsEmpty()] = ()
    """The custom fields given when the report was requested, in order (``()`` if none)."""

    @property
    def family(self) -> ReportFamily:
        """The report family, from ``type``: standard, prequalification or VOIE Paystub.

        ``STANDARD`` when ``type`` is absent (Mastercard calls it optional).
        """
        return _FAMILY_OF_TYPE.get(self.type or "", ReportFamily.STANDARD)

    @property
    def idempotency_key(self) -> str:
        """``mastercard:<eventName>:<report id>``, such as ``mastercard:done:REPORT_ID``."""
        return event_key(self.provider, self.event_type, self.id)


class ReportInProgress(MastercardEventBase):
    """Report generation started (``eventName`` ``inProgress``)."""

    event_name: Literal["inProgress"]


class ReportFailed(MastercardEventBase):
    """Report generation failed (``eventName`` ``failed``).

    Trust the event name, not ``status``: Mastercard's own examples of this event show
    ``"status": "success"`` and ``"status": "status"``.
    """

    event_name: Literal["failed"]


class ReportDone(MastercardEventBase):
    """The report is complete and can be fetched with :attr:`id` (``eventName`` ``done``)."""

    event_name: Literal["done"]


class ReportPrimaryFieldUpdate(MastercardEventBase):
    """A VOIE Paystub report changed because the consumer gave more information.

    Sent (``eventName`` ``primaryFieldUpdate``), for example, when the consumer uploads a
    paystub; fetch the report again. It can be sent more than once for one report, and
    Mastercard never resends a notice, so every copy is new: :attr:`repeat_window` is zero
    (:attr:`idempotency_key` names the report, not the notice).
    """

    repeat_window: ClassVar[timedelta | None] = timedelta(0)
    event_name: Literal["primaryFieldUpdate"]


MastercardEvent: TypeAlias = Annotated[
    ReportInProgress | ReportFailed | ReportDone | ReportPrimaryFieldUpdate,
    Field(discriminator="event_name"),
]
"""Any Mastercard report webhook, discriminated on ``eventName``."""
