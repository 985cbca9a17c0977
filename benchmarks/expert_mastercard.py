"""What an expert writes by hand for Mastercard report webhooks: the baseline for ``parse``.

Written from Mastercard's report-webhook page, independently of webhook_payloads' models:
one minimal model per ``eventName``, a discriminated union, one cached ``TypeAdapter``.
These webhooks are not signed, so there is nothing to verify. ``customerId`` arrives as a
JSON number in Mastercard's examples and as a string elsewhere; the expert coerces it to
``str``. Nothing from webhook_payloads is imported here.
"""

from __future__ import annotations

from typing import Annotated, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter


class CustomField(BaseModel):
    """One of ``reportCustomFields``."""

    label: str
    value: str
    shown: bool


class _Report(BaseModel):
    model_config = ConfigDict(coerce_numbers_to_str=True)

    id: str
    consumerId: Optional[str] = None  # noqa: N815, UP045 - wire names, as experts write them
    consumerSsn: Optional[str] = None  # noqa: N815, UP045
    type: Optional[str] = None  # noqa: UP045
    status: Optional[str] = None  # noqa: UP045
    portfolioId: Optional[str] = None  # noqa: N815, UP045
    customerId: Optional[str] = None  # noqa: N815, UP045
    reportCustomFields: list[CustomField] = []  # noqa: N815


class InProgress(_Report):
    """``inProgress``."""

    eventName: Literal["inProgress"]  # noqa: N815


class Failed(_Report):
    """``failed``."""

    eventName: Literal["failed"]  # noqa: N815


class Done(_Report):
    """``done``."""

    eventName: Literal["done"]  # noqa: N815


class PrimaryFieldUpdate(_Report):
    """``primaryFieldUpdate``."""

    eventName: Literal["primaryFieldUpdate"]  # noqa: N815


MastercardEvent = Annotated[
    Union[InProgress, Failed, Done, PrimaryFieldUpdate],  # noqa: UP007 - as experts write it
    Field(discriminator="eventName"),
]
ADAPTER: TypeAdapter[MastercardEvent] = TypeAdapter(MastercardEvent)


def handle(body: bytes) -> object:
    """Validate the body in one pass (there is no signature to check)."""
    return ADAPTER.validate_json(body)


class _KeepUnknown(BaseModel):
    # The same models for an expert who keeps the fields Mastercard may add, as the
    # library's contract requires of it; used to split the library's cost into what that
    # contract costs and what parse() itself costs.
    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True)


class CustomFieldKeep(CustomField, _KeepUnknown):
    """One of ``reportCustomFields``, keeping unknown fields."""


class _ReportKeep(_Report, _KeepUnknown):
    reportCustomFields: list[CustomFieldKeep] = []  # noqa: N815


# The same events again, keeping unknown fields: each takes its eventName from its model above.
class InProgressKeep(_ReportKeep, InProgress):
    """``inProgress``, keeping unknown fields."""


class FailedKeep(_ReportKeep, Failed):
    """``failed``, keeping unknown fields."""


class DoneKeep(_ReportKeep, Done):
    """``done``, keeping unknown fields."""


class PrimaryFieldUpdateKeep(_ReportKeep, PrimaryFieldUpdate):
    """``primaryFieldUpdate``, keeping unknown fields."""


ADAPTER_KEEPING_UNKNOWN: TypeAdapter[object] = TypeAdapter(
    Annotated[
        Union[InProgressKeep, FailedKeep, DoneKeep, PrimaryFieldUpdateKeep],  # noqa: UP007
        Field(discriminator="eventName"),
    ]
)


def handle_keeping_unknown(body: bytes) -> object:
    """:func:`handle`, keeping the fields the models do not declare."""
    return ADAPTER_KEEPING_UNKNOWN.validate_json(body)
