"""Checked by mypy --strict and pyright strict (not run by pytest): what users' checkers infer."""

from datetime import datetime
from decimal import Decimal
from typing import Literal

from typing_extensions import assert_type

from webhook_payloads import Provider, UnknownEvent, Webhook, anddone, mastercard, parse
from webhook_payloads.anddone import (
    AccountBooked,
    AndDoneEvent,
    RefundEventBase,
    ReportGenerated,
    SignatureScheme,
    TransactionChargeback,
    TransactionVoided,
)
from webhook_payloads.mastercard import MastercardEvent, ReportDone, ReportFamily


def mastercard_events(body: bytes, headers: dict[str, str]) -> None:
    event = parse("mastercard", body, headers)
    assert_type(event, MastercardEvent)
    assert_type(parse(Provider.MASTERCARD, body), MastercardEvent)
    assert_type(parse("mastercard", body, allow_unknown=True), MastercardEvent | UnknownEvent)
    assert_type(Webhook("mastercard").parse(body), MastercardEvent)
    if isinstance(event, ReportDone):
        assert_type(event.customer_id, str | None)
        assert_type(event.family, ReportFamily)
        assert_type(event.idempotency_key, str)


def unknown_allowed_from_a_setting(body: bytes, flag: bool) -> None:
    assert_type(parse("mastercard", body, allow_unknown=flag), MastercardEvent | UnknownEvent)
    assert_type(
        Webhook("mastercard", allow_unknown=flag).parse(body), MastercardEvent | UnknownEvent
    )
    assert_type(
        parse("anddone", body, verify=False, allow_unknown=flag), AndDoneEvent | UnknownEvent
    )
    assert_type(
        Webhook("anddone", verify=False, allow_unknown=flag).parse(body),
        AndDoneEvent | UnknownEvent,
    )


def mastercard_callback(url: str) -> None:
    assert_type(mastercard.callback_url("https://example.com/h", "ref", "key"), str)
    assert_type(mastercard.verify_callback_url(url, ["k1", "k2"]), str)


def anddone_events(body: bytes, scheme: SignatureScheme) -> None:
    event = parse("anddone", body, secret="ab", signature_scheme=scheme)
    assert_type(event, AndDoneEvent)
    assert_type(parse(Provider.ANDDONE, body, verify=False), AndDoneEvent)
    assert_type(
        parse("anddone", body, verify=False, allow_unknown=True), AndDoneEvent | UnknownEvent
    )
    anddone_webhook = Webhook("anddone", secret="ab", signature_scheme=scheme)
    assert_type(anddone_webhook, Webhook[AndDoneEvent])
    assert_type(anddone_webhook.parse(body), AndDoneEvent)
    assert_type(event.event_date_time, datetime | None)
    assert_type(event.event_date_time_text, str)
    assert_type(event.idempotency_key, str)
    if isinstance(event, ReportGenerated):
        assert_type(event.event_date_time, datetime)
        assert_type(event.report_generation_log_id, str | None)
        assert_type(event.event_body.report_access_url, str | None)
    elif isinstance(event, TransactionChargeback):
        assert_type(event.event_body.amount, Decimal | None)
    elif isinstance(event, TransactionVoided):
        assert_type(event.event_body.payment_intent_id, str | None)
        assert_type(event.event_code, Literal["TransactionVoided"])
    elif isinstance(event, AccountBooked):
        assert_type(event.event_body.is_quote_endorsement, bool | None)
        assert_type(event.version, int | None)
    elif isinstance(event, RefundEventBase):
        assert_type(event.event_body.reference_transaction_id, str | None)
        assert_type(
            event.event_code,
            Literal[
                "TransactionRefundInitiated",
                "TransactionRefundAccepted",
                "TransactionRefundSuccess",
                "TransactionRefundFailed",
            ],
        )


def anddone_schemes(body: bytes) -> None:
    scheme = anddone.SignatureScheme(
        signed=anddone.SignedContent.BODY_WITHOUT_SIGNATURE, key=anddone.KeyEncoding.HEX_DECODED
    )
    custom = anddone.SignatureScheme(signed=lambda raw: raw[:10], key=anddone.KeyEncoding.TEXT)
    assert_type(anddone.sign(body, "ab", scheme), bytes)
    assert_type(anddone.matching_schemes(body, "ab"), list[SignatureScheme])
    anddone.verify_signature(body, "ab", custom)
