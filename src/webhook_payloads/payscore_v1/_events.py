"""Payscore v1 (deprecated) screening event models: seed page "Webhooks" of the v1 docs."""

# Each event class declares its event type as a Literal field, narrowing the read-only
# property its family's base declares for type checkers (so that code holding a base class
# can read it). The models are frozen, so the narrowing is sound; pyright reports any
# property overridden by a field, hence this module-wide switch.
# pyright: reportIncompatibleMethodOverride=false

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, ClassVar, Literal, TypeAlias

from pydantic import Field

from .._base import EventModel, WebhookEvent
from .._keys import event_key, json_part

__all__ = [
    "Applicant",
    "ApplicantAdded",
    "ApplicantEvent",
    "ApplicantRemoved",
    "BankCannotConnect",
    "BankEvent",
    "BankNotSupported",
    "BeginScreening",
    "InviteExpired",
    "NoBank",
    "NoIncome",
    "NoOnlineBanking",
    "PayscoreV1Event",
    "PayscoreV1EventBase",
    "ReOpenScreening",
    "ReportExpired",
    "ReportSoonToExpire",
    "ScreeningCompleted",
    "ScreeningEvent",
    "ScreeningGroupCompleted",
    "ShareBank",
]


class PayscoreV1EventBase(WebhookEvent):
    """Base of Payscore v1 events: every one names its screening group."""

    event_type_field: ClassVar[str] = "code"
    provider: ClassVar[str] = "payscore_v1"

    if TYPE_CHECKING:

        @property
        def code(self) -> str:
            """The event type, such as ``NO_BANK`` (each event class narrows it)."""
            ...

    screening_group_id: str
    """The screening group the event is about."""

    @property
    def idempotency_key(self) -> str:
        """``payscore_v1:<code>:<screening_group_id>``.

        Events about one screening use its ``screening_id`` instead.
        """
        return event_key(self.provider, self.event_type, self.screening_group_id)


class ScreeningEvent(PayscoreV1EventBase):
    """An event about one applicant's screening inside the group."""

    screening_id: str
    """The individual screening the event is about."""

    @property
    def idempotency_key(self) -> str:
        """``payscore_v1:<code>:<screening_id>``."""
        return event_key(self.provider, self.event_type, self.screening_id)


class BankEvent(ScreeningEvent):
    """An event whose ``value`` is the applicant's bank name."""

    value: str
    """The applicant's bank, as the applicant named it (also :attr:`bank_name`)."""

    @property
    def bank_name(self) -> str:
        """The applicant's bank (the wire field ``value``)."""
        return self.value

    @property
    def idempotency_key(self) -> str:
        """``payscore_v1:<code>:<screening_id>:~<digest>``, a SHA-256 of the bank name.

        One screening may report several banks, each in its own event: the bank keeps
        them apart, and appears in the key only as the digest.
        """
        return event_key(self.provider, self.event_type, self.screening_id, json_part(self.value))


class Applicant(EventModel):
    """The applicant added to or removed from a screening group.

    Every field is personal data: none of them appears in ``repr()`` or ``str()``.
    """

    applicant_first_name: str = Field(repr=False)
    applicant_last_name: str = Field(repr=False)
    applicant_email: str = Field(repr=False)
    applicant_phone_number: str | None = Field(default=None, repr=False)
    """May be null when the applicant gave no phone number."""


class ApplicantEvent(ScreeningEvent):
    """An event whose ``value`` is an applicant's contact details."""

    value: Applicant
    """Who was added or removed (also :attr:`applicant`)."""

    @property
    def applicant(self) -> Applicant:
        """The applicant (the wire field ``value``)."""
        return self.value

    @property
    def idempotency_key(self) -> str:
        """``payscore_v1:<code>:<screening_id>:~<digest>``, a SHA-256 of the applicant.

        One screening may add or remove several applicants: the applicant's name, e-mail
        and phone number keep their events apart, and appear in the key only as the
        digest, never in clear text.
        """
        a = self.value
        applicant = json_part(
            a.applicant_first_name,
            a.applicant_last_name,
            a.applicant_email,
            a.applicant_phone_number,
        )
        return event_key(self.provider, self.event_type, self.screening_id, applicant)


class BeginScreening(ScreeningEvent):
    """An applicant signed up and began the income verification request."""

    code: Literal["BEGIN_SCREENING"]


class ScreeningCompleted(ScreeningEvent):
    """One applicant's income screening is complete (not necessarily the whole group).

    Fires again, with the same content, after the applicant re-opens the screening
    (:class:`ReOpenScreening`): de-duplicate on :attr:`idempotency_key` only over a short
    window (:attr:`repeat_window`, 5 minutes), or a genuine second completion is dropped as
    a repeat.
    """

    repeat_window: ClassVar[timedelta | None] = timedelta(minutes=5)
    code: Literal["SCREENING_COMPLETED"]


class ScreeningGroupCompleted(PayscoreV1EventBase):
    """Every applicant in the group is done; the income report is ready.

    May fire again when an applicant re-opens a screening: refresh the report each time, and
    de-duplicate on :attr:`idempotency_key` only over a short window (:attr:`repeat_window`,
    5 minutes).
    """

    repeat_window: ClassVar[timedelta | None] = timedelta(minutes=5)
    code: Literal["SCREENING_GROUP_COMPLETED"]


class BankNotSupported(BankEvent):
    """The applicant's bank is not supported; :attr:`bank_name` says which bank."""

    code: Literal["BANK_NOT_SUPPORTED"]


class NoOnlineBanking(BankEvent):
    """The applicant does not use online banking; :attr:`bank_name` says which bank."""

    code: Literal["NO_ONLINE_BANKING"]


class NoBank(ScreeningEvent):
    """The applicant does not have a bank."""

    code: Literal["NO_BANK"]


class BankCannotConnect(BankEvent):
    """The applicant's bank cannot connect for technical reasons; see :attr:`bank_name`."""

    code: Literal["BANK_CANNOT_CONNECT"]


class ShareBank(ScreeningEvent):
    """The applicant shares a bank with another applicant (multi-applicant groups only)."""

    code: Literal["SHARE_BANK"]


class NoIncome(ScreeningEvent):
    """The applicant states they have no income (multi-applicant groups only)."""

    code: Literal["NO_INCOME"]


class ReOpenScreening(ScreeningEvent):
    """The applicant re-opened their screening; treat it as in progress again.

    Can happen more than once for one screening: de-duplicate on :attr:`idempotency_key`
    only over a short window (:attr:`repeat_window`, 5 minutes).
    """

    repeat_window: ClassVar[timedelta | None] = timedelta(minutes=5)
    code: Literal["RE_OPEN_SCREENING"]


class ReportSoonToExpire(PayscoreV1EventBase):
    """The group's report expires in two days (reports last 14 days, for FCRA compliance)."""

    code: Literal["REPORT_SOON_TO_EXPIRE"]


class ReportExpired(PayscoreV1EventBase):
    """The group's report has expired."""

    code: Literal["REPORT_EXPIRED"]


class InviteExpired(ScreeningEvent):
    """An applicant's invite was not completed within 14 days and has expired."""

    code: Literal["INVITE_EXPIRED"]


class ApplicantAdded(ApplicantEvent):
    """An applicant was added to the group after it was created; see :attr:`applicant`."""

    code: Literal["APPLICANT_ADDED"]


class ApplicantRemoved(ApplicantEvent):
    """An applicant was removed from the group; see :attr:`applicant`."""

    code: Literal["APPLICANT_REMOVED"]


PayscoreV1Event: TypeAlias = Annotated[
    BeginScreening
    | ScreeningCompleted
    | ScreeningGroupCompleted
    | BankNotSupported
    | NoOnlineBanking
    | NoBank
    | BankCannotConnect
    | ShareBank
    | NoIncome
    | ReOpenScreening
    | ReportSoonToExpire
    | ReportExpired
    | InviteExpired
    | ApplicantAdded
    | ApplicantRemoved,
    Field(discriminator="code"),
]
"""Any Payscore v1 screening event, discriminated on ``code``."""
