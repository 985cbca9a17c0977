"""Checked by mypy --strict and pyright strict: a family's base class declares what it shares.

A worker that narrows to a base class (``case BankEvent():``, ``isinstance(e,
PaymentEventBase)``), as after ``from_json``, reads the event type and the body through it.
"""

# pyright: reportUnnecessaryTypeIgnoreComment=true

from typing_extensions import assert_type

from webhook_payloads import UnknownEvent, WebhookEvent, from_json
from webhook_payloads.anddone import (
    AndDoneEventBase,
    PaymentEventBase,
    PaymentEventBody,
    RefundEventBase,
    RefundEventBody,
    ReportEventBase,
    ReportEventBody,
    TransactionChargeback,
    TransactionEventBase,
    TransactionEventBody,
)
from webhook_payloads.mastercard import MastercardEventBase
from webhook_payloads.payscore import PayscoreEventBase
from webhook_payloads.payscore_v1 import (
    ApplicantEvent,
    BankEvent,
    PayscoreV1EventBase,
    ScreeningEvent,
)


def payscore_v1_families(event: PayscoreV1EventBase) -> str:
    match event:
        case BankEvent():
            assert_type(event.code, str)
            return event.code + event.screening_id + event.bank_name
        case ApplicantEvent():
            assert_type(event.code, str)
            return event.code + event.applicant.applicant_first_name
        case ScreeningEvent():
            return event.code + event.screening_id
        case _:
            assert_type(event.code, str)
            return event.screening_group_id


def payscore(event: PayscoreEventBase) -> str:
    assert_type(event.code, str)
    return event.code


def mastercard(event: MastercardEventBase) -> str:
    assert_type(event.event_name, str)
    return event.event_name + event.id


def anddone_modules(event: AndDoneEventBase) -> str:
    assert_type(event.event_code, str)
    if isinstance(event, PaymentEventBase):
        assert_type(event.event_code, str)
        assert_type(event.event_body, PaymentEventBody)
        merchant = event.event_body.merchant_id or ""
        if isinstance(event, TransactionEventBase):
            assert_type(event.event_body, TransactionEventBody)
        if isinstance(event, RefundEventBase):
            assert_type(event.event_body, RefundEventBody)
        if isinstance(event, TransactionChargeback):
            return str(event.event_body.amount)
        return merchant
    if isinstance(event, ReportEventBase):
        assert_type(event.event_body, ReportEventBody)
        return event.event_body.report_id
    return event.event_code


def after_a_queue(data: bytes) -> str:
    event = from_json(data)
    assert_type(event, WebhookEvent | UnknownEvent)
    if isinstance(event, BankEvent):
        return event.code
    if isinstance(event, PaymentEventBase):
        return event.event_code + (event.event_body.merchant_reference or "")
    return event.event_type
