"""Payscore (current API) event models: seed page "Webhooks" of docs.payscore.com."""

# Each event class declares its event type as a Literal field, narrowing the read-only
# property its family's base declares for type checkers (so that code holding a base class
# can read it). The models are frozen, so the narrowing is sound; pyright reports any
# property overridden by a field, hence this module-wide switch.
# pyright: reportIncompatibleMethodOverride=false

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, ClassVar, Literal, TypeAlias

from pydantic import Field

from .._base import OPEN_ENUM, WebhookEvent
from .._keys import event_key

__all__ = [
    "PayscoreEvent",
    "PayscoreEventBase",
    "ReasonCompleted",
    "ReportReady",
    "ReportType",
    "VerificationCompleted",
    "VerificationStarted",
]

ReportType: TypeAlias = Literal["income", "asset", "identity"]
"""The report types Payscore documents. Others may come: fields typed with it also take ``str``."""

ReasonCompleted: TypeAlias = Literal["finished"]
"""The one ``reason_completed`` Payscore documents. Others may come."""


class PayscoreEventBase(WebhookEvent):
    """Base of Payscore's current-API events; wire names are already snake_case."""

    event_type_field: ClassVar[str] = "code"
    provider: ClassVar[str] = "payscore"

    if TYPE_CHECKING:

        @property
        def code(self) -> str:
            """The event type, such as ``REPORT_READY`` (each event class narrows it)."""
            ...


class VerificationStarted(PayscoreEventBase):
    """An applicant began a verification request. Payscore sends it at most once."""

    code: Literal["VERIFICATION_STARTED"]
    verification_id: str
    """The verification request the applicant began."""

    @property
    def idempotency_key(self) -> str:
        """``payscore:VERIFICATION_STARTED:<verification_id>``."""
        return event_key(self.provider, self.event_type, self.verification_id)


class VerificationCompleted(PayscoreEventBase):
    """An applicant finished a verification.

    Payscore may send it several times, when the applicant re-opens the verification to add
    or remove an account or change an explanation: refresh the report each time. Repeats
    carry the same data, so :attr:`idempotency_key` cannot tell a re-open from a retry;
    de-duplicate on it only over a short window: :attr:`repeat_window`, 5 minutes.
    """

    repeat_window: ClassVar[timedelta | None] = timedelta(minutes=5)
    code: Literal["VERIFICATION_COMPLETED"]
    verification_id: str
    """The verification request that was completed."""
    reason_completed: Annotated[ReasonCompleted | str | None, OPEN_ENUM] = None
    """Why it completed; ``"finished"`` is the only documented value."""

    @property
    def idempotency_key(self) -> str:
        """``payscore:VERIFICATION_COMPLETED:<verification_id>``."""
        return event_key(self.provider, self.event_type, self.verification_id)


class ReportReady(PayscoreEventBase):
    """A report was generated and can be fetched with :attr:`report_id`."""

    code: Literal["REPORT_READY"]
    applicant_group_id: str
    """The applicant group the report belongs to."""
    report_id: str
    """Use it to fetch the report's PDF or JSON data."""
    report_type: Annotated[ReportType | str, OPEN_ENUM]
    """``income``, ``asset`` or ``identity``; other values are accepted as sent."""
    applicant_id: str | None = None
    """Present only for individual-applicant reports (such as ``identity``)."""

    @property
    def idempotency_key(self) -> str:
        """``payscore:REPORT_READY:<report_id>``."""
        return event_key(self.provider, self.event_type, self.report_id)


PayscoreEvent: TypeAlias = Annotated[
    VerificationStarted | VerificationCompleted | ReportReady,
    Field(discriminator="code"),
]
"""Any event of Payscore's current API, discriminated on ``code``."""
