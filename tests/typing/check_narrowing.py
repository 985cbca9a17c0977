"""Checked by mypy --strict and pyright strict: narrowing a provider's union to one class.

Both checkers narrow on ``match`` class patterns, on ``event.code == "..."`` and on
``match event.code`` (a discriminated union of ``Literal`` tags); only mypy also narrows on
``event.code in (...)``. An exhaustive ``match`` ends in ``assert_never``, so adding an
event to a union makes every non-exhaustive handler a type error.
"""

# Expected errors are marked with ignores; an ignore that silences nothing fails (mypy
# --strict warns on unused ignores itself).
# pyright: reportUnnecessaryTypeIgnoreComment=true

from typing_extensions import assert_never, assert_type

from webhook_payloads import UnknownEvent, parse
from webhook_payloads.payscore import (
    PayscoreEvent,
    ReportReady,
    ReportType,
    VerificationCompleted,
    VerificationStarted,
)
from webhook_payloads.payscore_v1 import (
    Applicant,
    ApplicantAdded,
    ApplicantEvent,
    ApplicantRemoved,
    BankCannotConnect,
    BankEvent,
    BankNotSupported,
    BeginScreening,
    InviteExpired,
    NoBank,
    NoIncome,
    NoOnlineBanking,
    PayscoreV1Event,
    ReOpenScreening,
    ReportExpired,
    ReportSoonToExpire,
    ScreeningCompleted,
    ScreeningGroupCompleted,
    ShareBank,
)


def match_classes(event: PayscoreEvent) -> str:
    match event:
        case ReportReady():
            assert_type(event, ReportReady)
            assert_type(event.report_id, str)
            return event.report_id
        case VerificationStarted() | VerificationCompleted():
            assert_type(event, VerificationStarted | VerificationCompleted)
            return event.verification_id


def match_exhaustive(event: PayscoreEvent) -> str:
    match event:
        case VerificationStarted():
            return "started"
        case VerificationCompleted(verification_id=verification):
            assert_type(verification, str)
            return "completed"
        case ReportReady(report_type="income" | "asset" | "identity" as known):
            assert_type(known, ReportType)
            return known
        case ReportReady():
            return event.report_type
        case _:
            assert_never(event)


def equality_narrows(event: PayscoreEvent) -> None:
    if event.code == "REPORT_READY":
        assert_type(event, ReportReady)
    else:
        assert_type(event, VerificationStarted | VerificationCompleted)


def match_on_code_narrows(event: PayscoreEvent) -> None:
    match event.code:
        case "REPORT_READY":
            assert_type(event, ReportReady)
        case "VERIFICATION_STARTED":
            assert_type(event, VerificationStarted)
        case "VERIFICATION_COMPLETED":
            assert_type(event, VerificationCompleted)
        case _:
            assert_never(event.code)


def unknown_events_stay_outside(body: bytes) -> None:
    event = parse("payscore", body, verify=False, allow_unknown=True)
    match event:
        case UnknownEvent():
            assert_type(event.event_type, str)
        case ReportReady() | VerificationStarted() | VerificationCompleted():
            pass
        case _:
            assert_never(event)


def v1_base_classes(event: PayscoreV1Event) -> None:
    match event:
        case BankEvent():
            # BANK_NOT_SUPPORTED, NO_ONLINE_BANKING, BANK_CANNOT_CONNECT share a base class.
            assert_type(event, BankNotSupported | NoOnlineBanking | BankCannotConnect)
            assert_type(event.bank_name, str)
        case ApplicantEvent():
            assert_type(event, ApplicantAdded | ApplicantRemoved)
            assert_type(event.applicant, Applicant)
            assert_type(event.applicant.applicant_phone_number, str | None)
        case _:
            assert_type(event.screening_group_id, str)


def v1_equality(event: PayscoreV1Event) -> None:
    if event.code == "APPLICANT_ADDED":
        assert_type(event, ApplicantAdded)
        assert_type(event.value, Applicant)
    elif event.code == "BANK_NOT_SUPPORTED":
        assert_type(event.value, str)


def v1_exhaustive(event: PayscoreV1Event) -> str:
    match event:
        case BeginScreening() | ReOpenScreening():
            return event.screening_id
        case ScreeningCompleted() | ScreeningGroupCompleted():
            return event.screening_group_id
        case BankNotSupported() | NoOnlineBanking() | BankCannotConnect():
            return event.bank_name
        case NoBank() | ShareBank() | NoIncome() | InviteExpired():
            return event.screening_id
        case ReportSoonToExpire() | ReportExpired():
            return event.screening_group_id
        case ApplicantAdded() | ApplicantRemoved():
            return event.screening_id
        case _:
            assert_never(event)


def non_exhaustive_is_an_error(event: PayscoreEvent) -> None:
    match event:
        case VerificationStarted() | VerificationCompleted():
            pass
        case _:
            assert_never(event)  # type: ignore[arg-type]  # REPORT_READY is not handled
