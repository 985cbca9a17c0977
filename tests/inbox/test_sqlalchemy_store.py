"""What only the SQLAlchemy store does: its locks, its times, its handler connection."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import create_engine, delete, event, insert, select

from webhook_payloads.integrations._inbox import FAILED, PROCESSED, Mark, Record
from webhook_payloads.integrations.sqlalchemy import Inbox, deliveries

from ._sqla import engine, notes
from .conftest import POSTGRES_MISSING, POSTGRES_URL

EAST = timezone(timedelta(hours=5, minutes=30))


@pytest.fixture(params=["sqlite", "postgresql"])
def inbox(request: pytest.FixtureRequest) -> Any:
    if request.param == "postgresql" and POSTGRES_URL is None:
        pytest.skip(f"no PostgreSQL: {POSTGRES_MISSING}")
    made = engine(request.param, POSTGRES_URL)
    with made.begin() as connection:
        connection.execute(delete(deliveries))
        connection.execute(delete(notes))
    return Inbox(made, busy_timeout=10)


def record(key: str = "payscore:k1", when: datetime | None = None) -> Record:
    return Record(
        provider="payscore",
        receiver="tests.hooks.payscore",
        idempotency_key=key,
        event_type="REPORT_READY",
        body=b'{"code": "REPORT_READY"}',
        headers={"Verification-Signature": "00" * 32},
        reference=None,
        received_at=when or datetime.now(timezone.utc),
        status="received",
    )


def test_times_come_back_as_the_same_instant_in_utc(inbox: Inbox) -> None:
    sent = datetime(2026, 3, 4, 10, 0, 0, 123456, tzinfo=EAST)
    row, created = inbox.record(record(when=sent))
    assert created
    with inbox.claim(row.id, skip_locked=False) as claim:
        assert claim is not None
        assert claim.row.received_at == sent
        assert claim.row.received_at.tzinfo == timezone.utc
        claim.mark(Mark(PROCESSED, processed_at=sent))
    with inbox.claim(row.id, skip_locked=False) as claim:
        assert claim is not None
        assert claim.row.processed_at == sent
        assert claim.row.processed_at is not None
        assert claim.row.processed_at.tzinfo == timezone.utc
    assert inbox.record(record(when=sent)) == (claim.row, False)


def test_a_second_claim_waits_for_the_first_and_sees_its_mark(inbox: Inbox) -> None:
    row, _ = inbox.record(record())
    held = threading.Event()
    seen: list[str] = []

    def second() -> None:
        held.wait(5)
        with inbox.claim(row.id, skip_locked=False) as claim:
            assert claim is not None
            seen.append(claim.row.status)

    waiter = threading.Thread(target=second)
    waiter.start()
    with inbox.claim(row.id, skip_locked=False) as claim:
        assert claim is not None
        held.set()
        time.sleep(0.3)  # the second claim is waiting meanwhile
        assert seen == []
        claim.mark(Mark(PROCESSED, processed_at=datetime.now(timezone.utc)))
    waiter.join(10)
    assert seen == [PROCESSED]


def test_a_worker_skips_a_row_another_holds(inbox: Inbox) -> None:
    if inbox.engine.dialect.name == "sqlite":
        pytest.skip("SQLite locks the whole database: a second claim waits (busy_timeout)")
    row, _ = inbox.record(record())
    results: list[object] = []
    with inbox.claim(row.id, skip_locked=False) as claim:
        assert claim is not None

        def worker() -> None:
            with inbox.claim(row.id, skip_locked=True) as other:
                results.append(other)

        thread = threading.Thread(target=worker)
        thread.start()
        thread.join(10)
    assert results == [None]


def test_handler_writes_commit_with_the_mark_and_roll_back_with_a_failure(inbox: Inbox) -> None:
    row, _ = inbox.record(record())
    with inbox.claim(row.id, skip_locked=False) as claim:
        assert claim is not None
        with pytest.raises(ValueError, match="handler failed"), claim.savepoint():  # noqa: PT012
            inbox.connection().execute(insert(notes).values(name="rolled back"))
            raise ValueError("handler failed")
        claim.mark(Mark(FAILED, "ValueError", "no"))
    with inbox.claim(row.id, skip_locked=False) as claim:
        assert claim is not None
        with claim.savepoint():
            inbox.connection().execute(insert(notes).values(name="kept"))
        claim.mark(Mark(PROCESSED, processed_at=datetime.now(timezone.utc)))
        assert claim.row.status == FAILED  # as it was when claimed
    with inbox.engine.connect() as connection:
        assert list(connection.execute(select(notes.c.name)).scalars()) == ["kept"]
        stored = connection.execute(select(deliveries.c.status, deliveries.c.attempts)).one()
    assert tuple(stored) == (PROCESSED, 2)


def test_connection_is_only_for_a_running_handler(inbox: Inbox) -> None:
    with pytest.raises(RuntimeError, match="handlers this inbox is running"):
        inbox.connection()
    other = Inbox(inbox.engine)
    row, _ = inbox.record(record())
    with inbox.claim(row.id, skip_locked=False) as claim:
        assert claim is not None
        with claim.savepoint(), pytest.raises(RuntimeError):
            other.connection()


def test_a_missing_row_claims_nothing(inbox: Inbox) -> None:
    with inbox.claim(10**6, skip_locked=True) as claim:
        assert claim is None


def test_repr_names_the_backend_never_the_url() -> None:
    made = create_engine("postgresql+psycopg://app:s3cret-pw@db.internal/app")
    assert repr(Inbox(made)) == "Inbox(postgresql)"


class Failures:
    """Counts the statements that fail on ``engine`` (what the database logs as errors)."""

    def __init__(self, made: Any) -> None:
        self.engine = made
        self.seen: list[str] = []

    def __enter__(self) -> list[str]:
        event.listen(self.engine, "handle_error", self._failed)
        return self.seen

    def __exit__(self, *exc_info: object) -> None:
        event.remove(self.engine, "handle_error", self._failed)

    def _failed(self, context: Any) -> None:
        self.seen.append(type(context.original_exception).__name__)


@pytest.mark.parametrize("returning", [True, False], ids=["returning", "no-returning"])
def test_a_repeat_is_found_without_a_failed_insert(inbox: Inbox, returning: bool) -> None:
    # Once, a repeat was recorded by an INSERT that failed on the unique key: PostgreSQL
    # logged a duplicate-key error for every resend. (no-returning: SQLite before 3.35.)
    if not returning and inbox.engine.dialect.name != "sqlite":
        pytest.skip("only SQLite before 3.35 lacks RETURNING")
    inbox._returning = returning  # the branch for an older SQLite
    with Failures(inbox.engine) as failures:
        first, created = inbox.record(record())
        again, created_again = inbox.record(record())
        other, created_other = inbox.record(record("payscore:k2"))
    assert failures == []
    assert (created, created_again, created_other) == (True, False, True)
    assert again == first
    assert other.id != first.id


def test_concurrent_copies_record_one_row_without_a_failed_insert(inbox: Inbox) -> None:
    copies = 16
    start = threading.Barrier(copies)
    results: list[tuple[int, bool]] = []

    def send() -> None:
        start.wait(10)
        row, created = inbox.record(record())
        results.append((row.id, created))

    with Failures(inbox.engine) as failures:
        threads = [threading.Thread(target=send) for _ in range(copies)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert failures == []
    assert len(results) == copies
    assert len({row_id for row_id, _ in results}) == 1
    assert sorted(created for _, created in results) == [False] * (copies - 1) + [True]


def test_other_databases_insert_and_find_the_row_when_the_key_exists(inbox: Inbox) -> None:
    # A dialect without ON CONFLICT (MySQL, ...): the plain INSERT, and its failure read as
    # "this delivery is kept already".
    inbox._insert = None  # what Inbox does for such a dialect
    first, created = inbox.record(record())
    with Failures(inbox.engine) as failures:
        again, created_again = inbox.record(record())
    assert len(failures) == 1  # the failed INSERT (the driver names its exception)
    assert (created, created_again) == (True, False)
    assert again == first
