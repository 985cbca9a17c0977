"""What only the SQLAlchemy store does: its locks, its times, its handler connection."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import create_engine, delete, insert, select

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
