"""What the framework receivers share: the declared-length check, secrets, refusals."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, TypeVar

import pytest

from webhook_payloads import (
    BodyTooLargeError,
    ConfigurationError,
    MalformedPayloadError,
    Provider,
    SignatureError,
    UnknownProviderError,
)
from webhook_payloads.anddone import ALL_SCHEMES, SignatureScheme
from webhook_payloads.integrations import InvalidDelivery
from webhook_payloads.integrations._receiver import (
    KEPT,
    OFFLOAD_SIZE,
    Answer,
    Receiver,
    refusal,
)
from webhook_payloads.payscore import signed_headers

SCHEMES = [s for s in ALL_SCHEMES if str(s.signed) != "event_body"]
EVENT_BODY = SignatureScheme.from_name("event_body:hex_decoded")
T = TypeVar("T")


def receiver(**options: object) -> Receiver:
    defaults: dict[str, object] = {"secret": None, "setting": "SECRETS", "max_body_size": 256}
    return Receiver("payscore", **{**defaults, **options})  # type: ignore[arg-type]


@pytest.mark.parametrize("declared", [None, 0, 256, "256", " 12 ", "", "abc", "-5", "\u0661\u0662"])
def test_declared_lengths_within_the_limit_or_unreadable_pass(declared: str | int | None) -> None:
    receiver().check_length(declared)


@pytest.mark.parametrize("declared", [257, "257", " 1000 ", "9" * 19, "9" * 5000])
def test_declared_lengths_above_the_limit_are_refused(declared: str | int) -> None:
    with pytest.raises(BodyTooLargeError) as caught:
        receiver().check_length(declared)
    assert caught.value.limit == 256
    assert caught.value.size > 256


def test_a_secret_function_that_raises_is_a_configuration_error_naming_its_type_only() -> None:
    # An environment variable or vault entry not there: the request answers 500 (the app's
    # configuration), a replay parses the stored bytes as it does where no secret is set.
    found: list[str] = []

    def from_vault() -> str:
        if not found:
            raise KeyError("vault/payscore=s3cr3t")
        return found[0]

    keeps = receiver(secret=from_vault)
    with pytest.raises(ConfigurationError) as caught:
        keeps.webhook(None)
    assert str(caught.value).startswith("the function given as secret= raised KeyError")
    assert "s3cr3t" not in repr(caught.value)
    assert caught.value.__context__ is None
    found.append("explicit")  # the entry is back: the next request uses it
    headers = signed_headers(BODY, "explicit")
    assert keeps.webhook(None).parse(BODY, headers).event_type == "VERIFICATION_STARTED"


def test_the_provider_id_is_checked_and_normalised_when_declared() -> None:
    assert Receiver(Provider.PAYSCORE_V1, secret="s", setting=None).provider == "payscore_v1"
    with pytest.raises(UnknownProviderError):
        Receiver("nope", secret=None, setting=None)


BODY = b'{"code": "VERIFICATION_STARTED", "verification_id": "v"}'


def test_an_explicit_secret_wins_over_settings() -> None:
    headers = signed_headers(BODY, "explicit")
    webhook = receiver(secret="explicit").webhook({"payscore": "from-settings"})
    assert webhook.parse(BODY, headers).event_type == "VERIFICATION_STARTED"
    webhook = receiver(secret=lambda: ["old", "explicit"]).webhook(None)
    assert webhook.parse(BODY, headers).event_type == "VERIFICATION_STARTED"
    webhook = receiver().webhook({"payscore": ["explicit"]})
    assert webhook.parse(BODY, headers).event_type == "VERIFICATION_STARTED"
    with pytest.raises(ConfigurationError, match="SECRETS must be a dict"):
        receiver().webhook(["explicit"])


def test_a_webhook_is_built_once_per_secret_value_and_again_when_it_changes() -> None:
    built = receiver()
    table: dict[str, object] = {"payscore": ["new", "old"]}
    first = built.webhook(table)
    assert built.webhook({"payscore": ["new", "old"]}) is first
    # A rotation in place: the list the setting holds is changed, not replaced.
    table["payscore"].append("older")  # type: ignore[attr-defined]
    second = built.webhook(table)
    assert second is not first
    assert built.webhook(table) is second
    with pytest.raises(ConfigurationError, match=r'SECRETS\["payscore"\] cannot be used'):
        built.webhook({"payscore": " new"})
    assert built.webhook(table) is second


def test_a_static_secret_or_an_unsigned_provider_builds_the_webhook_when_declared() -> None:
    static = receiver(secret="s")
    assert static.webhook(None) is static.webhook({"payscore": "other"})
    mastercard = Receiver("mastercard", secret=None, setting="SECRETS")
    assert mastercard.webhook(None) is mastercard.webhook({})


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


def test_on_invalid_never_sees_a_body_over_the_limit_or_a_forged_one() -> None:
    calls: list[bytes] = []
    built = receiver(secret="s", on_invalid=lambda delivery: calls.append(delivery.body))
    start = built.start(None, "", None)

    def handler(first: tuple[object, ...]) -> str:
        raise AssertionError(first)  # pragma: no cover - never reached

    too_large = built.handle(start, b"{" * 300, {}, handler)
    assert isinstance(too_large, Answer)
    assert too_large.status == 413
    forged = built.handle(start, b"{", signed_headers(b"{", "forged"), handler)
    assert isinstance(forged, Answer)
    assert forged.status == 401
    assert calls == []
    assert built.handle(start, b"{", signed_headers(b"{", "s"), handler) is KEPT
    assert calls == [b"{"]


@pytest.mark.parametrize(
    ("options", "can_keep"),
    [
        ({"provider": "payscore", "secret": "s"}, True),
        ({"provider": "mastercard"}, False),
        ({"provider": "mastercard", "callback_key": "k" * 32}, True),
        ({"provider": "anddone", "secret": "ab" * 32, "signature_scheme": SCHEMES[0]}, True),
        ({"provider": "anddone", "secret": "ab" * 32, "signature_scheme": EVENT_BODY}, False),
    ],
)
def test_can_keep_says_whether_every_byte_is_authenticated(
    options: dict[str, object], can_keep: bool
) -> None:
    # What an inbox asks too: it must not keep bytes that no signature covers.
    built = Receiver(setting=None, **{"secret": None, **options})  # type: ignore[arg-type]
    assert built.can_keep is can_keep
    if can_keep:
        built.check_can_keep("inbox")
    else:
        with pytest.raises(ConfigurationError, match=r"^inbox "):
            built.check_can_keep("inbox")


def test_a_keeper_that_returns_a_coroutine_in_a_sync_view_is_a_500_not_a_silent_202(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def store(delivery: InvalidDelivery) -> None: ...  # pragma: no cover - never run

    def plain(delivery: InvalidDelivery) -> object:
        # Not an async def, so it passes the declaration check; what it returns is a coroutine.
        return store(delivery)

    built = receiver(secret="s", on_invalid=plain)
    answer = built.handle(built.start(None, "", None), b"{", signed_headers(b"{", "s"), print)
    assert isinstance(answer, Answer)
    assert (answer.status, answer.text) == (500, "webhook could not be kept")
    assert "cannot await: nothing was kept" in caplog.text


def test_an_invalid_delivery_hides_body_and_headers() -> None:
    delivery = InvalidDelivery(
        provider="payscore",
        receiver="app.hooks.payscore",
        body=b'{"ssn": "123-45-6789"}',
        headers={"Verification-Signature": "ab" * 32},
        reference=None,
        error=MalformedPayloadError("m", provider="payscore"),
        received_at=datetime(2026, 1, 2, tzinfo=timezone.utc),
    )
    text = repr(delivery)
    assert "123-45" not in text
    assert "ab" * 32 not in text
    assert "app.hooks.payscore" in text
    with pytest.raises(AttributeError):
        delivery.body = b""  # type: ignore[misc]


class _Offload:
    """Records what an async receiver hands to worker threads (runs it inline)."""

    def __init__(self) -> None:
        self.cpu_calls: list[int] = []
        self.blocking_calls = 0

    async def cpu(self, function: Callable[..., T], /, *args: Any) -> T:
        self.cpu_calls.append(len(args[0]))
        return function(*args)

    async def blocking(self, function: Callable[..., T], /, *args: Any) -> T:
        self.blocking_calls += 1
        return function(*args)


def _body_of(size: int) -> bytes:
    """A Payscore body of exactly ``size`` bytes."""
    empty = json.dumps({"code": "VERIFICATION_STARTED", "verification_id": ""}).encode()
    return empty[:-2] + b"v" * (size - len(empty)) + b'"}'


def test_async_receivers_verify_and_parse_only_large_bodies_off_the_loop() -> None:
    built = receiver(secret="s", max_body_size=OFFLOAD_SIZE * 2)
    start = built.start(None, "", None)
    offload = _Offload()

    async def handler(first: tuple[object, ...]) -> object:
        return first[0]

    for size in (100, OFFLOAD_SIZE, OFFLOAD_SIZE + 1):
        body = _body_of(size)
        assert len(body) == size
        headers = signed_headers(body, "s")
        event = asyncio.run(built.handle_async(start, body, headers, handler, offload))
        assert getattr(event, "event_type", None) == "VERIFICATION_STARTED"
    assert [size > OFFLOAD_SIZE for size in offload.cpu_calls] == [True]
    assert offload.blocking_calls == 0


def test_a_plain_keeper_runs_by_the_offload_in_async_views_and_its_coroutine_is_awaited() -> None:
    kept: list[str] = []

    async def store(delivery: InvalidDelivery) -> None:
        kept.append(delivery.receiver)

    def plain(delivery: InvalidDelivery) -> object:
        return store(delivery)

    built = receiver(secret="s", on_invalid=plain, name="plain")
    offload = _Offload()

    async def handler(first: tuple[object, ...]) -> object:
        raise AssertionError(first)  # pragma: no cover - never reached

    start = built.start(None, "", None)
    answer = asyncio.run(
        built.handle_async(start, b"{", signed_headers(b"{", "s"), handler, offload)
    )
    assert (answer, offload.blocking_calls, kept) == (KEPT, 1, ["plain"])
    assert repr(KEPT) == "Answer(202, 'webhook kept for replay')"
