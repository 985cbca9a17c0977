"""Checked by mypy --strict and pyright strict (not run by pytest): what users' checkers infer."""

from typing_extensions import assert_type

from webhook_payloads import Provider, UnknownEvent, parse
from webhook_payloads.payscore import PayscoreEvent, ReportReady
from webhook_payloads.payscore_v1 import PayscoreV1Event


def payscore(body: bytes, headers: dict[str, str]) -> None:
    event = parse("payscore", body, headers, secret="s")
    assert_type(event, PayscoreEvent)
    if isinstance(event, ReportReady):
        assert_type(event.report_id, str)
        assert_type(event.applicant_id, str | None)


def payscore_enum(body: bytes) -> None:
    assert_type(parse(Provider.PAYSCORE, body, verify=False), PayscoreEvent)
    assert_type(parse(Provider.PAYSCORE_V1, body, verify=False), PayscoreV1Event)


def unknown_allowed(body: bytes) -> None:
    event = parse("payscore", body, verify=False, allow_unknown=True)
    assert_type(event, PayscoreEvent | UnknownEvent)
