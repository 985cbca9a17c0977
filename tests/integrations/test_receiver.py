"""What the framework receivers share: the declared-length check, secrets, refusals."""

from __future__ import annotations

import logging

import pytest

from webhook_payloads import (
    BodyTooLargeError,
    ConfigurationError,
    MalformedPayloadError,
    SignatureError,
    UnknownProviderError,
)
from webhook_payloads.integrations._receiver import Receiver, refusal
from webhook_payloads.payscore import signed_headers


def receiver(**options: object) -> Receiver:
    defaults: dict[str, object] = {
        "secret": None,
        "signature_scheme": None,
        "max_body_size": 256,
        "allow_unknown": False,
    }
    return Receiver.create("payscore", **{**defaults, **options})  # type: ignore[arg-type]


@pytest.mark.parametrize("declared", [None, 0, 256, "256", " 12 ", "", "abc", "-5", "\u0661\u0662"])
def test_declared_lengths_within_the_limit_or_unreadable_pass(declared: str | int | None) -> None:
    receiver().check_length(declared)


@pytest.mark.parametrize("declared", [257, "257", " 1000 ", "9" * 19, "9" * 5000])
def test_declared_lengths_above_the_limit_are_refused(declared: str | int) -> None:
    with pytest.raises(BodyTooLargeError) as caught:
        receiver().check_length(declared)
    assert caught.value.limit == 256
    assert caught.value.size > 256


def test_the_provider_id_is_checked_and_normalised_when_declared() -> None:
    assert (
        Receiver.create(
            "payscore_v1", secret=None, signature_scheme=None, max_body_size=1, allow_unknown=False
        ).provider
        == "payscore_v1"
    )
    with pytest.raises(UnknownProviderError):
        Receiver.create(
            "nope", secret=None, signature_scheme=None, max_body_size=1, allow_unknown=False
        )


def test_an_explicit_secret_wins_over_settings() -> None:
    body = b'{"code": "VERIFICATION_STARTED", "verification_id": "v"}'
    headers = signed_headers(body, "explicit")
    event = receiver(secret="explicit").parse(body, headers, {"payscore": "from-settings"})
    assert event.event_type == "VERIFICATION_STARTED"
    event = receiver(secret=lambda: ["old", "explicit"]).parse(body, headers, None)
    assert event.event_type == "VERIFICATION_STARTED"
    event = receiver().parse(body, headers, {"payscore": ["explicit"]})
    assert event.event_type == "VERIFICATION_STARTED"
    with pytest.raises(ConfigurationError):
        receiver().parse(body, headers, ["explicit"])


@pytest.mark.parametrize(
    ("error", "status", "text", "level"),
    [
        (SignatureError("s", provider="payscore", reason="mismatch"), 401, "signature", "WARNING"),
        (MalformedPayloadError("m", provider="payscore"), 400, "payload", "WARNING"),
        (ConfigurationError("c", provider="payscore"), 500, "misconfigured", "ERROR"),
    ],
)
def test_refusals_are_short_and_logged(
    error: Exception, status: int, text: str, level: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="webhook_payloads.integrations"):
        answer = refusal(error, "payscore")  # type: ignore[arg-type]
    assert answer[0] == status
    assert text in answer[1]
    assert len(answer[1]) < 40
    (record,) = caplog.records
    assert record.levelname == level
    assert str(error) in record.getMessage()


@pytest.mark.parametrize(
    ("declared", "usable"),
    [
        (None, None),
        (0, 0),
        (256, 256),
        ("256", 256),
        (" 12 ", 12),
        ("", None),
        ("abc", None),
        ("-5", None),
        ("\u0661\u0662", None),
    ],
)
def test_a_usable_declared_length_is_returned_for_reading_the_body_whole(
    declared: str | int | None, usable: int | None
) -> None:
    # None sends the receivers to count a body of undeclared length as they read it.
    assert receiver().check_length(declared) == usable
