"""The inbox flow over every store (see conftest.py's ``backend``), on SQLite and PostgreSQL.

The flow is called as a receiver calls it, with a real parsed event and its signed body; the
framework receivers are tested on top of this in their own modules.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from webhook_payloads import ConfigurationError, PayloadError, SignatureError, Webhook
from webhook_payloads.integrations._inbox import (
    FAILED,
    INVALID,
    MAX_KEY_LENGTH,
    PROCESSED,
    RECEIVED,
    Outcome,
    Query,
    Record,
    Registration,
    bounded_key,
    deliver,
    error_text,
    invalid_key,
    process,
    prune,
    register,
    registration,
    replay,
)
from webhook_payloads.testing import RequestBuilder

from .conftest import Backend

SECRET = "a1b2c3d4" * 8
PAYSCORE = Webhook("payscore", secret=SECRET)
signed = RequestBuilder(secret=SECRET)
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


class Handler:
    """A handler that counts its calls, writes through the store, and fails when told to."""

    def __init__(self, backend: Backend, *, fail: BaseException | None = None) -> None:
        self.backend = backend
        self.calls: list[Any] = []
        self.fail = fail
        self.delay = 0.0
        self._lock = threading.Lock()

    def __call__(self, event: Any) -> str:
        with self._lock:
            self.calls.append(event)
            number = len(self.calls)
        self.backend.write(f"{event.idempotency_key}#{number}")
        if self.delay:
            time.sleep(self.delay)
        if self.fail is not None:
            raise self.fail
        return "done"


def entry(
    backend: Backend,
    handler: Callable[[Any], object],
    *,
    parse: Callable[..., object] = PAYSCORE.parse,
) -> Registration:
    made = Registration(
        name=f"tests.inbox.{uuid.uuid4().hex}",
        provider="payscore",
        store=backend.store,
        parse=parse,
        call=lambda row, event: handler(event),
        handler=handler,
    )
    register(made)
    return made


def report_id(number: int) -> str:
    """A report id of its own for each number."""
    return str(uuid.UUID(int=number + 1))


def request(event_type: str = "REPORT_READY", **fields: Any) -> tuple[bytes, dict[str, str]]:
    return signed("payscore", event_type, **fields)


def send(
    registered: Registration,
    body: bytes,
    headers: dict[str, str],
    handler: Callable[[Any], object],
    **options: Any,
) -> Outcome:
    try:
        parsed: object = PAYSCORE.parse(body, headers)
    except PayloadError as error:
        parsed = error
    return deliver(
        registered,
        parsed=parsed,
        body=body,
        headers={"Verification-Signature": headers["Verification-Signature"]},
        reference=None,
        received_at=NOW,
        call=handler,
        **options,
    )


def test_a_delivery_is_recorded_processed_once_and_kept(backend: Backend) -> None:
    handler = Handler(backend)
    registered = entry(backend, handler)
    body, headers = request()

    outcome = send(registered, body, headers, handler)

    assert (outcome.status, outcome.result, outcome.ran) == (200, "done", True)
    [row] = backend.rows()
    assert row.id == outcome.row_id
    assert (row.status, row.attempts, row.provider, row.receiver) == (
        PROCESSED,
        1,
        "payscore",
        registered.name,
    )
    assert row.body == body
    assert row.headers == {"Verification-Signature": headers["Verification-Signature"]}
    event = PAYSCORE.parse(body, headers)
    assert (row.idempotency_key, row.event_type) == (event.idempotency_key, "REPORT_READY")
    assert row.received_at == NOW
    assert row.processed_at is not None
    assert row.processed_at >= NOW
    assert (row.last_error_type, row.last_error_message) == ("", "")
    assert len(handler.calls) == 1
    assert backend.written() == [f"{event.idempotency_key}#1"]


def test_a_repeat_of_a_processed_delivery_answers_200_without_the_handler(
    backend: Backend,
) -> None:
    handler = Handler(backend)
    registered = entry(backend, handler)
    body, headers = request()
    first = send(registered, body, headers, handler)

    again = send(registered, body, headers, handler)

    assert (again.status, again.row_id, again.ran) == (200, first.row_id, False)
    assert len(handler.calls) == 1
    assert [row.attempts for row in backend.rows()] == [1]


def test_a_failing_handler_leaves_the_row_failed_and_its_writes_rolled_back(
    backend: Backend,
) -> None:
    secret_value = "Jane Doe, account 12345678"
    handler = Handler(backend, fail=KeyError(secret_value))
    registered = entry(backend, handler)
    body, headers = request()

    outcome = send(registered, body, headers, handler)

    assert (outcome.status, outcome.ran) == (500, True)
    assert isinstance(outcome.error, KeyError)
    [row] = backend.rows()
    assert (row.status, row.attempts, row.processed_at) == (FAILED, 1, None)
    assert row.last_error_type == "KeyError"
    assert "KeyError" in row.last_error_message
    assert secret_value not in row.last_error_message
    assert "12345678" not in row.last_error_message
    assert backend.written() == []

    handler.fail = None  # the bug is fixed; the provider sends it again
    retried = send(registered, body, headers, handler)

    assert (retried.status, retried.ran) == (200, True)
    [row] = backend.rows()
    assert (row.status, row.attempts) == (PROCESSED, 2)
    assert (row.last_error_type, row.last_error_message) == ("", "")
    assert len(handler.calls) == 2
    assert len(backend.written()) == 1


def test_a_webhook_error_from_the_handler_keeps_its_status_and_message(backend: Backend) -> None:
    error = SignatureError("Not ours after all.", provider="payscore", reason="mismatch")
    handler = Handler(backend, fail=error)
    registered = entry(backend, handler)

    outcome = send(registered, *request(), handler)

    assert (outcome.status, outcome.error) == (401, error)
    [row] = backend.rows()
    assert row.status == FAILED
    assert row.last_error_type == "webhook_payloads.exceptions.SignatureError"
    assert row.last_error_message == "Not ours after all."


def test_an_authentic_invalid_body_is_a_row_invalid_answered_202(backend: Backend) -> None:
    handler = Handler(backend)
    registered = entry(backend, handler)
    body, headers = signed.raw("payscore", b'{"code": "REPORT_READY"}')

    first = send(registered, body, headers, handler)
    again = send(registered, body, headers, handler)

    assert (first.status, again.status) == (202, 202)
    assert first.row_id == again.row_id
    [row] = backend.rows()
    assert (row.status, row.attempts, row.event_type) == (INVALID, 0, "")
    assert row.idempotency_key == invalid_key("payscore", body)
    assert row.body == body
    assert row.last_error_type == "webhook_payloads.exceptions.PayloadValidationError"
    assert row.last_error_message
    assert handler.calls == []


def test_an_unknown_event_type_is_kept_with_its_type(backend: Backend) -> None:
    handler = Handler(backend)
    registered = entry(backend, handler)
    body, headers = signed.raw("payscore", b'{"code": "SOMETHING_NEW\\u0000"}')

    assert send(registered, body, headers, handler).status == 202

    [row] = backend.rows()
    assert (row.status, row.event_type) == (INVALID, "SOMETHING_NEW\ufffd")
    assert row.last_error_type == "webhook_payloads.exceptions.UnknownEventError"


def test_later_processing_stores_answers_202_and_a_worker_processes_it_once(
    backend: Backend,
) -> None:
    handler = Handler(backend)
    registered = entry(backend, handler)
    queued: list[int] = []
    body, headers = request()

    outcome = send(registered, body, headers, handler, defer=queued.append)

    assert (outcome.status, queued) == (202, [outcome.row_id])
    assert [row.status for row in backend.rows()] == [RECEIVED]
    assert handler.calls == []
    # The queue delivered the task twice, and the provider sent the delivery again.
    assert send(registered, body, headers, handler, defer=queued.append).status == 202
    assert queued == [outcome.row_id] * 2

    first = process(backend.store, queued[0])
    second = process(backend.store, queued[1])

    assert (first.status, first.ran, second.status, second.ran) == (200, True, 200, False)
    assert len(handler.calls) == 1
    [row] = backend.rows()
    assert (row.status, row.attempts) == (PROCESSED, 1)
    # Once processed, a repeat answers 200 and queues nothing.
    assert send(registered, body, headers, handler, defer=queued.append).status == 200
    assert len(queued) == 2


def test_processing_a_missing_row_or_an_undeclared_receiver_changes_nothing(
    backend: Backend,
) -> None:
    assert process(backend.store, 10**9) == Outcome(409, 10**9)
    body, _ = request()
    row, created = backend.store.record(
        Record(
            provider="payscore",
            receiver="tests.inbox.nobody",
            idempotency_key="payscore:nobody",
            event_type="REPORT_READY",
            body=body,
            headers={},
            reference=None,
            received_at=NOW,
            status=RECEIVED,
        )
    )
    assert created
    assert registration("tests.inbox.nobody") is None

    assert process(backend.store, row.id) == Outcome(409, row.id)
    assert [(r.status, r.attempts) for r in backend.rows()] == [(RECEIVED, 0)]


def test_concurrent_copies_call_the_handler_once(backend: Backend) -> None:
    handler = Handler(backend)
    handler.delay = 0.05  # holds the row while the other copies arrive
    registered = entry(backend, handler)
    body, headers = request()
    copies = 16
    outcomes: list[Outcome] = []
    start = threading.Barrier(copies)

    def copy() -> None:
        start.wait(timeout=10)
        try:
            outcomes.append(send(registered, body, headers, handler))
        finally:
            from django.db import connections

            connections.close_all()

    threads = [threading.Thread(target=copy) for _ in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcome.status for outcome in outcomes) == [200] * copies
    assert sum(outcome.ran for outcome in outcomes) == 1
    assert len(handler.calls) == 1
    assert [(row.status, row.attempts) for row in backend.rows()] == [(PROCESSED, 1)]


class Crash(BaseException):
    """The process dies while the handler runs (what no ``except Exception`` catches)."""


def test_a_crash_in_the_handler_leaves_the_row_to_retry(backend: Backend) -> None:
    handler = Handler(backend, fail=Crash())
    registered = entry(backend, handler)
    body, headers = request()

    with pytest.raises(Crash):
        send(registered, body, headers, handler)

    [row] = backend.rows()
    assert (row.status, row.attempts) == (RECEIVED, 0)
    assert backend.written() == []

    handler.fail = None
    summary = replay(backend.store, Query(statuses=[RECEIVED]))

    assert (summary.selected, summary.processed) == (1, 1)
    assert [(r.status, r.attempts) for r in backend.rows()] == [(PROCESSED, 1)]


def test_replay_processes_failed_and_invalid_rows_with_the_library_now_installed(
    backend: Backend,
) -> None:
    handler = Handler(backend, fail=RuntimeError("database down"))
    # The library of "before the upgrade" knows no REPORT_READY events.
    old_library = Webhook("payscore", secret=SECRET)

    def before_upgrade(body: bytes, headers: Any) -> object:
        event = old_library.parse(body, headers)
        if event.event_type == "REPORT_READY":
            raise PayloadError("Unknown to this version.", provider="payscore")
        return event

    registered = entry(backend, handler, parse=before_upgrade)
    failing = send(registered, *request("VERIFICATION_STARTED"), handler)
    body, headers = request("REPORT_READY", report_id=report_id(2))
    kept = deliver(
        registered,
        parsed=PayloadError("Unknown to this version.", provider="payscore"),
        body=body,
        headers={"Verification-Signature": headers["Verification-Signature"]},
        reference=None,
        received_at=NOW,
        call=handler,
    )
    assert (failing.status, kept.status) == (500, 202)

    # Still broken: the failed row fails again, the invalid one stays invalid.
    still = replay(backend.store, Query(statuses=[FAILED, INVALID]))
    assert (still.selected, still.failed, still.invalid, still.processed) == (2, 1, 1, 0)

    # After the upgrade and the fix: both are processed, once.
    object.__setattr__(registered, "parse", PAYSCORE.parse)
    handler.fail = None
    seen: list[tuple[int, int]] = []
    summary = replay(
        backend.store,
        Query(statuses=[FAILED, INVALID]),
        progress=lambda done, total, _: seen.append((done, total)),
    )
    assert (summary.selected, summary.processed, summary.failed, summary.skipped) == (2, 2, 0, 0)
    assert str(summary) == "2 selected: 2 processed, 0 failed, 0 invalid, 0 skipped"
    assert seen == [(1, 2), (2, 2)]
    assert {row.status for row in backend.rows()} == {PROCESSED}
    assert {row.event_type for row in backend.rows()} == {"REPORT_READY", "VERIFICATION_STARTED"}

    # Run twice: nothing is selected, nothing runs again.
    calls = len(handler.calls)
    assert replay(backend.store, Query(statuses=[FAILED, INVALID])).selected == 0
    again = replay(backend.store, Query(ids=[failing.row_id or 0]))
    assert (again.selected, again.skipped) == (1, 1)
    assert len(handler.calls) == calls


def test_replay_of_a_row_that_no_longer_verifies_marks_it_failed(backend: Backend) -> None:
    handler = Handler(backend, fail=RuntimeError("down"))
    registered = entry(backend, handler)
    outcome = send(registered, *request(), handler)
    object.__setattr__(registered, "parse", Webhook("payscore", secret="rotated" * 8).parse)

    summary = replay(backend.store, Query(ids=[outcome.row_id or 0]))

    assert (summary.failed, summary.processed) == (1, 0)
    [row] = backend.rows()
    assert (row.status, row.attempts) == (FAILED, 2)
    assert row.last_error_type == "webhook_payloads.exceptions.SignatureError"
    assert row.last_error_message.startswith("The stored delivery no longer verifies")


def test_replay_selects_by_status_provider_receiver_time_and_id(backend: Backend) -> None:
    handler = Handler(backend, fail=RuntimeError("down"))
    first, second = entry(backend, handler), entry(backend, handler)
    ids = []
    for number, registered in enumerate([first, first, second]):
        outcome = send(registered, *request(report_id=report_id(number)), handler)
        assert outcome.row_id is not None
        backend.set_received_at(outcome.row_id, NOW + timedelta(days=number))
        ids.append(outcome.row_id)
    store = backend.store

    assert store.find(Query()) == ids
    assert store.find(Query(statuses=[PROCESSED])) == []
    assert store.find(Query(statuses=[FAILED], provider="payscore")) == ids
    assert store.find(Query(provider="anddone")) == []
    assert store.find(Query(receiver=second.name)) == ids[2:]
    assert store.find(Query(since=NOW + timedelta(days=1))) == ids[1:]
    assert store.find(Query(until=NOW + timedelta(days=1))) == ids[:1]
    assert store.find(Query(ids=[ids[1], 10**9])) == ids[1:2]


@pytest.mark.parametrize(
    ("moment", "named"),
    [("2026-01-01", "not str"), (datetime(2026, 1, 1), "not a naive datetime")],
)
@pytest.mark.parametrize("field", ["since", "until"])
def test_a_time_range_takes_timezone_aware_datetimes_only(
    field: str, moment: object, named: str
) -> None:
    # A naive datetime would be read in the server's local time: off by its offset, silently.
    with pytest.raises(ConfigurationError, match=f"{field} must be a timezone-aware datetime"):
        Query(**{field: moment})  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match=named):
        Query(**{field: moment})  # type: ignore[arg-type]
    assert getattr(Query(since=NOW, until=NOW), field) == NOW


def test_prune_deletes_rows_older_than_the_retention(backend: Backend) -> None:
    handler = Handler(backend)
    registered = entry(backend, handler)
    for age in (100, 91, 89, 0):
        outcome = send(registered, *request(report_id=report_id(age)), handler)
        assert outcome.row_id is not None
        backend.set_received_at(outcome.row_id, NOW - timedelta(days=age))

    assert prune(backend.store, 90, now=NOW) == 2
    assert prune(backend.store, 90, now=NOW) == 0
    assert sorted((NOW - row.received_at).days for row in backend.rows()) == [0, 89]
    with pytest.raises(ConfigurationError, match="zero or more"):
        prune(backend.store, -1)


def test_two_receivers_keep_their_own_copy_of_one_delivery(backend: Backend) -> None:
    handler = Handler(backend)
    first, second = entry(backend, handler), entry(backend, handler)
    body, headers = request()

    assert send(first, body, headers, handler).ran
    assert send(second, body, headers, handler).ran

    assert sorted(row.receiver for row in backend.rows()) == sorted([first.name, second.name])
    assert len(handler.calls) == 2


@hypothesis_settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.text(max_size=3 * MAX_KEY_LENGTH))
@example(key="k" * (MAX_KEY_LENGTH + 1))
@example(key="payscore:REPORT_READY:\x00")
@example(key="k" * MAX_KEY_LENGTH)
def test_every_key_is_stored_bounded_and_distinct(backend: Backend, key: str) -> None:
    stored = bounded_key(key, "payscore")
    body, _ = request()
    made = Record(
        provider="payscore",
        receiver="tests.inbox.keys",
        idempotency_key=stored,
        event_type="REPORT_READY",
        body=body,
        headers={},
        reference=None,
        received_at=NOW,
        status=RECEIVED,
    )

    row, _ = backend.store.record(made)
    again, created = backend.store.record(made)

    assert len(row.idempotency_key) <= MAX_KEY_LENGTH
    assert row.idempotency_key == stored
    assert (again.id, created) == (row.id, False)
    assert (stored == key) == (len(key) <= MAX_KEY_LENGTH and "\x00" not in key)
    assert bounded_key(key + "x", "payscore") != stored


def test_an_arbitrary_error_is_stored_by_type_only() -> None:
    class PersonalError(Exception):
        pass

    name, message = error_text(PersonalError("SSN 123-45-6789"))

    assert name.endswith("PersonalError")
    assert "123-45-6789" not in message
    assert error_text(PayloadError("Bad field.", provider="payscore"))[1] == "Bad field."


def test_two_handlers_cannot_share_a_name(backend: Backend) -> None:
    first = entry(backend, Handler(backend))
    register(first)  # the same receiver declared again: fine

    with pytest.raises(ConfigurationError, match="name="):
        register(
            Registration(
                name=first.name,
                provider="payscore",
                store=backend.store,
                parse=PAYSCORE.parse,
                call=lambda row, event: None,
                handler=Handler(backend),
            )
        )


def module_level_handler(event: Any) -> None:
    """A handler declared at module level: its module and name identify it."""


def test_the_same_handler_declared_again_replaces_its_entry(backend: Backend) -> None:
    def declared() -> Registration:
        return Registration(
            name="tests.inbox.module-level",
            provider="payscore",
            store=backend.store,
            parse=PAYSCORE.parse,
            call=lambda row, event: module_level_handler(event),
            handler=module_level_handler,
        )

    first, again = declared(), declared()
    register(first)
    register(again)  # a module imported twice declares it twice

    assert registration("tests.inbox.module-level") is again


def test_a_row_pruned_between_record_and_claim_is_left_alone(backend: Backend) -> None:
    handler = Handler(backend)

    class Pruning:
        """The real store, except that the row is deleted right after it is recorded."""

        def __init__(self, store: Any) -> None:
            self.store = store

        def record(self, record: Record) -> Any:
            found = self.store.record(record)
            self.store.delete_before(NOW + timedelta(days=1))
            return found

        def __getattr__(self, name: str) -> Any:
            return getattr(self.store, name)

    registered = Registration(
        name=f"tests.inbox.{uuid.uuid4().hex}",
        provider="payscore",
        store=Pruning(backend.store),
        parse=PAYSCORE.parse,
        call=lambda row, event: handler(event),
        handler=handler,
    )
    register(registered)

    outcome = send(registered, *request(), handler)

    assert (outcome.status, outcome.ran) == (200, False)
    assert handler.calls == []
    assert backend.rows() == []


def deliver_at(
    registered: Registration,
    body: bytes,
    headers: dict[str, str],
    handler: Callable[[Any], object],
    when: datetime,
    *,
    webhook: Webhook = PAYSCORE,
) -> Outcome:
    """Deliver as ``send`` does, received at ``when``."""
    return deliver(
        registered,
        parsed=webhook.parse(body, headers),
        body=body,
        headers=dict(headers),
        reference=None,
        received_at=when,
        call=handler,
    )


def keep_as_invalid(
    registered: Registration, body: bytes, headers: dict[str, str], handler: Handler
) -> Outcome:
    """Deliver as a library that did not know the event yet: kept ``invalid``, received now."""
    return deliver(
        registered,
        parsed=PayloadError("Unknown to this version.", provider="payscore"),
        body=body,
        headers=dict(headers),
        reference=None,
        received_at=NOW,
        call=handler,
    )


@pytest.mark.parametrize("offset", [0.0, 1.0, 299.0, 299.999])
def test_an_event_that_happens_again_is_one_delivery_within_its_window(
    backend: Backend, offset: float
) -> None:
    # Payscore sends VERIFICATION_COMPLETED again, with the same content, when the applicant
    # re-opens the verification; copies within 5 minutes of the first are resends, whatever
    # window boundary lies between them.
    handler = Handler(backend)
    registered = entry(backend, handler)
    body, headers = request("VERIFICATION_COMPLETED")
    first_at = datetime(2026, 1, 2, 3, 4, 59, 500_000, tzinfo=timezone.utc)
    first = deliver_at(registered, body, headers, handler, first_at)

    copy = deliver_at(registered, body, headers, handler, first_at + timedelta(seconds=offset))

    assert (copy.status, copy.row_id, copy.ran) == (200, first.row_id, False)
    assert len(handler.calls) == 1
    assert len(backend.rows()) == 1


def test_an_event_that_happens_again_is_processed_again_after_its_window(
    backend: Backend,
) -> None:
    handler = Handler(backend)
    registered = entry(backend, handler)
    body, headers = request("VERIFICATION_COMPLETED")
    first_at = datetime(2026, 1, 2, 3, 4, 59, 500_000, tzinfo=timezone.utc)
    deliver_at(registered, body, headers, handler, first_at)

    # The applicant re-opened the verification and completed it again, 5 minutes later.
    again_at = first_at + timedelta(minutes=5)
    again = deliver_at(registered, body, headers, handler, again_at)
    # And Payscore resends that second completion: one delivery with it.
    resent = deliver_at(registered, body, headers, handler, again_at + timedelta(minutes=4))

    assert (again.status, again.ran) == (200, True)
    assert (resent.row_id, resent.ran) == (again.row_id, False)
    assert len(handler.calls) == 2
    rows = backend.rows()
    assert [row.status for row in rows] == [PROCESSED, PROCESSED]
    assert all(len(row.idempotency_key) <= MAX_KEY_LENGTH for row in rows)
    assert len({row.idempotency_key for row in rows}) == 2


def test_events_that_never_repeat_stay_one_delivery_for_as_long_as_kept(backend: Backend) -> None:
    handler = Handler(backend)
    registered = entry(backend, handler)
    body, headers = request("REPORT_READY")
    deliver_at(registered, body, headers, handler, NOW)

    later = deliver_at(registered, body, headers, handler, NOW + timedelta(days=30))

    assert later.ran is False
    assert len(handler.calls) == 1


def test_a_provider_that_never_resends_has_every_copy_processed(backend: Backend) -> None:
    # Mastercard sends each report notice once; two primaryFieldUpdate notices for one report
    # (two paystubs uploaded) are two deliveries, whatever the time between them.
    mastercard = Webhook("mastercard", verify=False)
    handler = Handler(backend)
    registered = entry(backend, handler, parse=mastercard.parse)
    body, headers = signed("mastercard", "primaryFieldUpdate")
    for seconds in (0, 1):
        outcome = deliver_at(
            registered, body, headers, handler, NOW + timedelta(seconds=seconds), webhook=mastercard
        )
        assert outcome.ran

    assert len(handler.calls) == 2
    assert len(backend.rows()) == 2


def test_an_invalid_row_that_parses_later_takes_its_event_key(backend: Backend) -> None:
    # Kept invalid (unknown to the library then), processed after an upgrade, then the
    # provider's next copy arrives: it is a repeat, not a second call of the handler.
    handler = Handler(backend)
    registered = entry(backend, handler)
    body, headers = request()
    kept = keep_as_invalid(registered, body, headers, handler)
    assert kept.status == 202

    assert replay(backend.store, Query(statuses=[INVALID])).processed == 1
    copy = deliver_at(registered, body, headers, handler, NOW + timedelta(hours=1))

    assert (copy.row_id, copy.ran) == (kept.row_id, False)
    assert len(handler.calls) == 1
    [row] = backend.rows()
    assert row.idempotency_key == PAYSCORE.parse(body, headers).idempotency_key


def test_an_invalid_row_whose_event_another_row_holds_is_not_processed_again(
    backend: Backend,
) -> None:
    handler = Handler(backend)
    registered = entry(backend, handler)
    body, headers = request()
    kept = keep_as_invalid(registered, body, headers, handler)
    # After the upgrade, the provider's copy arrives before the replay: processed on its row.
    copy = deliver_at(registered, body, headers, handler, NOW + timedelta(minutes=1))
    assert copy.ran

    summary = replay(backend.store, Query(statuses=[INVALID]))

    assert (summary.processed, summary.skipped) == (0, 1)
    assert len(handler.calls) == 1
    held = next(row for row in backend.rows() if row.id == kept.row_id)
    assert held.status == PROCESSED
    assert held.last_error_message.startswith(f"Row {copy.row_id} holds this event")


def test_replay_counts_a_handler_raising_a_payload_error_as_failed(backend: Backend) -> None:
    handler = Handler(backend, fail=PayloadError("The handler refused it.", provider="payscore"))
    registered = entry(backend, handler)
    send(registered, *request(), handler)

    summary = replay(backend.store, Query(statuses=[FAILED]))

    assert (summary.failed, summary.invalid) == (1, 0)
    assert [row.status for row in backend.rows()] == [FAILED]


def test_replay_by_default_takes_every_row_not_processed(backend: Backend) -> None:
    # A worker that died in the handler leaves its row "received": the default replay must
    # find it (Mastercard never resends a report notice).
    handler = Handler(backend, fail=Crash())
    registered = entry(backend, handler)
    with pytest.raises(Crash):
        send(registered, *request(), handler)
    handler.fail = None
    inbox: Any = backend.store

    summary = inbox.replay()

    assert (summary.selected, summary.processed) == (1, 1)
    assert len(handler.calls) == 2


def test_a_row_shows_no_reference_in_its_repr(backend: Backend) -> None:
    handler = Handler(backend)
    registered = entry(backend, handler)
    body, headers = request()
    deliver(
        registered,
        parsed=PAYSCORE.parse(body, headers),
        body=body,
        headers=dict(headers),
        reference="loan-4411-jane.doe",
        received_at=NOW,
        call=handler,
    )
    [row] = backend.rows()
    assert row.reference == "loan-4411-jane.doe"
    assert "jane" not in repr(row)


def test_a_handler_defined_in_an_app_factory_can_be_declared_again(backend: Backend) -> None:
    # An app factory called once per test declares its local handler each time.
    def create_app() -> Registration:
        def hook(event: Any) -> None:
            """The app's handler, a new function object on each call."""

        made = Registration(
            name="tests.inbox.factory",
            provider="payscore",
            store=backend.store,
            parse=PAYSCORE.parse,
            call=lambda row, event: hook(event),
            handler=hook,
        )
        register(made)
        return made

    create_app()
    second = create_app()

    assert registration("tests.inbox.factory") is second


def test_a_copy_arriving_while_an_invalid_row_is_replayed_is_a_repeat(backend: Backend) -> None:
    # The row moves to its event's key before the handler runs: the provider's copy, sent
    # while the replayed handler is still running, waits and finds it instead of running
    # the handler a second time (on PostgreSQL it used to, and the replay then failed).
    body, headers = request()
    copies: list[Outcome] = []
    threads: list[threading.Thread] = []

    class Replayed(Handler):
        def __call__(self, event: Any) -> str:
            if not threads:  # the replay's call: the provider's copy arrives meanwhile
                thread = threading.Thread(target=copy)
                threads.append(thread)
                thread.start()
                time.sleep(0.3)
            return super().__call__(event)

    handler = Replayed(backend)
    registered = entry(backend, handler)

    def copy() -> None:
        try:
            copies.append(deliver_at(registered, body, headers, handler, NOW))
        finally:
            from django.db import connections

            connections.close_all()

    kept = keep_as_invalid(registered, body, headers, handler)

    summary = replay(backend.store, Query(statuses=[INVALID]))
    threads[0].join(timeout=30)

    assert summary.processed == 1
    [copied] = copies
    assert (copied.status, copied.row_id, copied.ran) == (200, kept.row_id, False)
    assert len(handler.calls) == 1
    assert [row.status for row in backend.rows()] == [PROCESSED]


def test_a_handler_failing_in_a_replay_is_logged_with_its_traceback(
    backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    # The row keeps the exception's type only (its message may hold personal data): the
    # traceback must reach the log, where no framework is there to write it.
    handler = Handler(backend, fail=KeyError("account 12345678"))
    registered = entry(backend, handler)
    first = send(registered, *request(), handler)
    caplog.clear()

    summary = replay(backend.store, Query(statuses=[FAILED]))

    assert summary.failed == 1
    [record] = [r for r in caplog.records if "marked failed" in r.getMessage()]
    assert record.levelname == "ERROR"
    assert f"stored webhook {first.row_id} " in record.getMessage()
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], KeyError)


def test_a_handler_raising_a_webhook_error_in_a_replay_is_not_logged_as_a_crash(
    backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    handler = Handler(backend, fail=PayloadError("The handler refused it.", provider="payscore"))
    registered = entry(backend, handler)
    send(registered, *request(), handler)
    caplog.clear()

    replay(backend.store, Query(statuses=[FAILED]))

    assert not [r for r in caplog.records if "marked failed" in r.getMessage()]


def test_a_handler_that_returns_a_coroutine_has_not_run_and_its_row_is_failed(
    backend: Backend,
) -> None:
    # An async def under a decorator that does not keep it a coroutine function looks like
    # a plain function: what it returns is a coroutine that never ran. Marking the row
    # processed would lose the delivery: every copy the provider sends again is a repeat.
    ran: list[object] = []

    async def handle(event: object) -> None:
        ran.append(event)

    def traced(event: object) -> object:  # what a tracing or retry decorator does
        return handle(event)

    registered = entry(backend, traced)
    body, headers = request()

    outcome = send(registered, body, headers, traced)

    assert (outcome.status, outcome.ran) == (500, True)
    assert isinstance(outcome.error, TypeError)
    assert "async def" in str(outcome.error)
    [row] = backend.rows()
    assert (row.status, row.last_error_type) == (FAILED, "TypeError")
    assert ran == []
    again = send(registered, body, headers, traced)  # the provider's next copy is not a repeat
    assert (again.status, again.ran) == (500, True)
    assert [row.status for row in backend.rows()] == [FAILED]
