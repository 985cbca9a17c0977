"""What an expert writes by hand for Mastercard report webhooks: the baseline for ``parse``.

Written from Mastercard's report-webhook page, independently of webhook_payloads' models:
one minimal model per ``eventName``, a discriminated union, one cached ``TypeAdapter``.
These webhooks are not signed, so there is nothing to verify. ``customerId`` arrives as a
JSON number in Mastercard's examples and as a string elsewhere; the expert coerces it to
``str``. Nothing from webhook_payloads is imported here.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter


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


def _finite(value: Any) -> Any:
    """``value`` (decoded JSON), refused if any number in it is NaN or infinite."""
    if type(value) is float:
        if not math.isfinite(value):
            raise ValueError("NaN and infinities are not JSON numbers")
    elif type(value) is list:
        for item in value:
            _finite(item)
    elif type(value) is dict:
        for item in value.values():
            _finite(item)
    return value


FiniteJson = Annotated[Any, AfterValidator(_finite)]
"""Any JSON value whose numbers are finite, for the fields Mastercard may add."""


def _number_as_text(value: Any) -> Any:
    # A string stays as it is; a finite number becomes its decimal text; 1e999 is refused.
    if type(value) is str:
        return value
    if type(value) is float and not math.isfinite(value):
        raise ValueError("NaN and infinities are not JSON numbers")
    return value


class _KeepUnknown(BaseModel):
    # The models of an expert who meets the library's contract: the fields Mastercard may
    # add are kept (and refused when a number in them is NaN or infinite), and customerId
    # is a str whether sent as a number or as text, never "inf" for 1e999. The judged
    # Mastercard figures use these, so both sides do the same job.
    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True, allow_inf_nan=False)
    __pydantic_extra__: dict[str, FiniteJson]  # type: ignore[assignment]


class CustomFieldKeep(CustomField, _KeepUnknown):
    """One of ``reportCustomFields``, keeping unknown fields."""


class _ReportKeep(_Report, _KeepUnknown):
    customerId: Annotated[Optional[str], BeforeValidator(_number_as_text)] = None  # noqa: N815, UP045
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
    """:func:`handle` under the library's contract: unknown fields kept, numbers finite.

    ``customerId`` is text whether sent as a number or a string, and a body with NaN,
    ``Infinity`` or ``1e999`` anywhere (an unknown field included) is refused.
    """
    return ADAPTER_KEEPING_UNKNOWN.validate_json(body)
