"""Checked by mypy --strict and pyright strict (not run by pytest): to_json() and from_json().

``from_json()`` may give any provider's event, or an ``UnknownEvent``: narrow it with
``isinstance`` or ``match``.
"""

# pyright: reportUnnecessaryTypeIgnoreComment=true

from typing_extensions import assert_type

from webhook_payloads import UnknownEvent, WebhookEvent, from_json, parse, to_json
from webhook_payloads.payscore import ReportReady


def round_trip(body: bytes) -> None:
    event = parse("payscore", body, verify=False)
    data = to_json(event)
    assert_type(data, bytes)
    again = from_json(data)
    assert_type(again, WebhookEvent | UnknownEvent)
    assert_type(from_json(data.decode()), WebhookEvent | UnknownEvent)
    assert_type(from_json(data, max_body_size=2048), WebhookEvent | UnknownEvent)
    if isinstance(again, ReportReady):
        assert_type(again.report_id, str)
    unknown = parse("payscore", body, verify=False, allow_unknown=True)
    assert_type(to_json(unknown), bytes)


def wrong_arguments(data: bytes) -> None:
    to_json({"code": "REPORT_READY"})  # type: ignore[arg-type]
    to_json(data)  # type: ignore[arg-type]
    from_json({"format": 1})  # type: ignore[arg-type]
    from_json(data, 2048)  # type: ignore[call-arg]
