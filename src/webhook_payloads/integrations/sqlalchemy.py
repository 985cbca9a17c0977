"""The inbox on SQLAlchemy 2: keep every authentic delivery in the app's own database.

Example::

    from sqlalchemy import create_engine
    from webhook_payloads.integrations.sqlalchemy import Inbox, metadata

    engine = create_engine("postgresql+psycopg://app@db/app")
    inbox = Inbox(engine)            # then: webhook_handler("payscore", inbox=inbox)
    metadata.create_all(engine)      # or include ``metadata`` in your Alembic migrations

The table lives on the module's :data:`metadata`, so ``alembic revision --autogenerate`` in an
app whose ``env.py`` targets ``[Base.metadata, metadata]`` writes its migration.

Exactly once: a delivery's row is locked while its handler runs. On PostgreSQL (and other
servers with row locks) that is ``SELECT ... FOR UPDATE``: a concurrent copy waits, then
finds the row ``processed`` and answers 200 without calling the handler; a worker processing
rows by id skips those another worker holds (``SKIP LOCKED``). SQLite has no row locks: the
transaction takes the database's write lock up front (``BEGIN IMMEDIATE``), and waits up to
:attr:`Inbox.busy_timeout` seconds for it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator
from contextlib import AbstractContextManager
from contextvars import ContextVar
from datetime import datetime, timezone
from typing import Any, Final, cast, overload

from ._inbox import (
    MAX_EVENT_TYPE_LENGTH,
    MAX_KEY_LENGTH,
    MAX_MESSAGE_LENGTH,
    InboxMethods,
    Mark,
    Query,
    Record,
    Row,
)

try:
    from sqlalchemy import (
        JSON,
        Column,
        DateTime,
        Index,
        Integer,
        LargeBinary,
        MetaData,
        String,
        Table,
        Text,
        UniqueConstraint,
        delete,
        insert,
        select,
        update,
    )
    from sqlalchemy.dialects import postgresql, sqlite
    from sqlalchemy.engine import Connection, Engine
    from sqlalchemy.exc import IntegrityError
    from sqlalchemy.sql import ColumnElement
except ImportError as exc:  # pragma: no cover - tested in a subprocess without SQLAlchemy
    raise ImportError(
        "webhook_payloads.integrations.sqlalchemy needs SQLAlchemy 2: "
        "pip install 'webhook-payloads[sqlalchemy]'"
    ) from exc

__all__ = ["TABLE_NAME", "Inbox", "deliveries", "metadata"]

TABLE_NAME: Final = "webhook_payloads_delivery"
"""The deliveries table's name (the Django app's table has the same name and columns)."""


metadata: Final = MetaData()
"""The inbox's ``MetaData``: include it in your Alembic ``target_metadata``."""

deliveries: Final = Table(
    TABLE_NAME,
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("provider", String(32), nullable=False),
    Column("receiver", String(200), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, index=True),
    Column("body", LargeBinary(), nullable=False),
    Column("headers", JSON(), nullable=False),
    Column("reference", Text(), nullable=True),
    Column("event_type", String(MAX_EVENT_TYPE_LENGTH), nullable=False),
    Column("idempotency_key", String(MAX_KEY_LENGTH), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error_type", String(MAX_MESSAGE_LENGTH), nullable=False),
    Column("last_error_message", String(MAX_MESSAGE_LENGTH), nullable=False),
    Column("processed_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("receiver", "idempotency_key", name="webhook_payloads_one_per_key"),
    Index("webhook_payloads_status", "status", "received_at"),
)
"""The deliveries table: one row per authentic delivery (the Django app's columns)."""


_ON_CONFLICT_INSERTS: Final[dict[str, Any]] = {
    "postgresql": postgresql.insert,
    "sqlite": sqlite.insert,
}
"""The dialects whose INSERT takes ``ON CONFLICT DO NOTHING``, by dialect name."""

_handling: ContextVar[tuple[Inbox, Connection] | None] = ContextVar(
    "webhook_payloads_inbox_handling", default=None
)


class Inbox(InboxMethods):
    """The inbox on a SQLAlchemy ``Engine``: the store the receivers' ``inbox=`` takes.

    Args:
        engine: The app's engine (PostgreSQL, SQLite, or another SQLAlchemy 2 backend). The
            inbox opens its own short transactions on it and never touches your sessions.
        busy_timeout: SQLite only: how long, in seconds, a transaction waits for the
            database's write lock (a concurrent copy waits while a handler runs).

    Example:
        >>> from sqlalchemy import create_engine
        >>> engine = create_engine("sqlite://")
        >>> metadata.create_all(engine)
        >>> inbox = Inbox(engine)
        >>> inbox
        Inbox(sqlite)
        >>> inbox.prune(older_than_days=90)
        0
    """

    __slots__ = ("_engine", "_insert", "_returning", "_sqlite", "busy_timeout")

    def __init__(self, engine: Engine, *, busy_timeout: float = 30.0) -> None:
        """Keep ``engine``; nothing is read or written until the first delivery."""
        self._engine = engine
        self._sqlite = engine.dialect.name == "sqlite"
        # The dialect's INSERT with ON CONFLICT DO NOTHING (None where it has none).
        self._insert: Any = _ON_CONFLICT_INSERTS.get(engine.dialect.name)
        self._returning: bool = engine.dialect.insert_returning
        self.busy_timeout = busy_timeout

    def __repr__(self) -> str:
        """Name the backend, never the URL (it may hold a password)."""
        return f"Inbox({self._engine.dialect.name})"

    @property
    def engine(self) -> Engine:
        """The engine the rows are kept with."""
        return self._engine

    def connection(self) -> Connection:
        """The connection of the transaction that holds the row, while its handler runs.

        Write through it (``Session(inbox.connection())`` for the ORM) and the handler's
        writes commit together with the row's ``processed`` mark, or roll back when the
        handler raises while the ``failed`` mark is kept. On SQLite it is also the only
        way to write to the inbox's database from a handler: the inbox holds the write lock
        while the handler runs, so another connection would wait for it.

        Raises:
            RuntimeError: Called outside a handler this inbox is running.
        """
        current = _handling.get()
        if current is None or current[0] is not self:
            raise RuntimeError("Inbox.connection() is for handlers this inbox is running")
        return current[1]

    @contextlib.contextmanager
    def _transaction(self) -> Generator[Connection, None, None]:
        """One transaction, committed when the block ends without an error.

        On SQLite it takes the write lock first: two transactions that both read a row and
        then write it would otherwise both read it ``received`` (or one would fail to
        upgrade its read lock).
        """
        with self._engine.connect() as connection:
            if self._sqlite:
                milliseconds = int(self.busy_timeout * 1000)
                connection.exec_driver_sql(f"PRAGMA busy_timeout = {milliseconds}")
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            yield connection
            connection.commit()

    def record(self, record: Record) -> tuple[Row, bool]:
        """Insert the row unless its receiver and key exist (see ``Store.record``)."""
        values: dict[str, object] = {
            "provider": record.provider,
            "receiver": record.receiver,
            "received_at": _in_utc(record.received_at),
            "body": record.body,
            "headers": dict(record.headers),
            "reference": record.reference,
            "event_type": record.event_type,
            "idempotency_key": record.idempotency_key,
            "status": record.status,
            "attempts": 0,
            "last_error_type": record.error_type,
            "last_error_message": record.error_message,
            "processed_at": None,
        }
        found = deliveries.c.receiver == record.receiver
        found &= deliveries.c.idempotency_key == record.idempotency_key
        row_id, existing = (
            self._insert_or_find(values, found)
            if self._insert is None
            else self._insert_unless_kept(values, found)
        )
        if row_id is None:
            # Another copy got there first (or earlier): that row is the delivery.
            return _row(existing), False
        row = Row(
            id=int(row_id),
            provider=record.provider,
            receiver=record.receiver,
            idempotency_key=record.idempotency_key,
            event_type=record.event_type,
            body=record.body,
            headers=dict(record.headers),
            reference=record.reference,
            received_at=_utc(record.received_at),
            status=record.status,
            attempts=0,
            last_error_type=record.error_type,
            last_error_message=record.error_message,
            processed_at=None,
        )
        return row, True

    def _insert_unless_kept(
        self, values: dict[str, object], found: ColumnElement[bool]
    ) -> tuple[int | None, Any]:
        """The new row's id, or ``None`` and the row kept already: one transaction.

        ``INSERT ... ON CONFLICT DO NOTHING``, so that a repeat is no failed statement
        (PostgreSQL would log a duplicate-key error for every resend). On PostgreSQL it waits
        for a concurrent copy's uncommitted insert of the same key, then does nothing once
        that commits; the next statement sees that row (READ COMMITTED, the default).
        """
        statement = (
            self._insert(deliveries)
            .values(values)
            .on_conflict_do_nothing(
                index_elements=[deliveries.c.receiver, deliveries.c.idempotency_key]
            )
        )
        with self._transaction() as connection:
            row_id: int | None
            if self._returning:
                row_id = connection.execute(statement.returning(deliveries.c.id)).scalar()
            else:  # SQLite before 3.35 has no RETURNING; its row count is exact
                inserted = connection.execute(statement)
                key = cast("tuple[int]", inserted.inserted_primary_key)
                row_id = key[0] if inserted.rowcount == 1 else None
            if row_id is not None:
                return row_id, None
            return None, connection.execute(select(deliveries).where(found)).one()

    def _insert_or_find(
        self, values: dict[str, object], found: ColumnElement[bool]
    ) -> tuple[int | None, Any]:
        """As :meth:`_insert_unless_kept`, for databases without ``ON CONFLICT``.

        The insert fails on the unique key when the row exists (on a server, after waiting
        for a concurrent copy's transaction); the row is then read in a new transaction.
        """
        try:
            with self._transaction() as connection:
                inserted = connection.execute(insert(deliveries).values(values))
                (row_id,) = cast("tuple[int]", inserted.inserted_primary_key)
        except IntegrityError:
            with self._transaction() as connection:
                return None, connection.execute(select(deliveries).where(found)).one()
        return row_id, None

    def claim(self, row_id: int, *, skip_locked: bool) -> AbstractContextManager[_Claim | None]:
        """Lock row ``row_id`` in a transaction for the context's duration."""
        return self._claim(row_id, skip_locked=skip_locked)

    @contextlib.contextmanager
    def _claim(self, row_id: int, *, skip_locked: bool) -> Generator[_Claim | None, None, None]:
        query = select(deliveries).where(deliveries.c.id == row_id)
        if not self._sqlite:
            # SKIP LOCKED where the database has it (PostgreSQL, MySQL 8, Oracle); others
            # ignore the option and wait, as the Store protocol allows.
            query = query.with_for_update(skip_locked=skip_locked)
        with self._transaction() as connection:
            found = connection.execute(query).one_or_none()
            yield None if found is None else _Claim(self, connection, _row(found))

    def find(self, query: Query) -> list[int]:
        """The ids ``query`` selects, oldest first."""
        c = deliveries.c
        selected = select(c.id).order_by(c.received_at, c.id)
        if query.statuses:
            selected = selected.where(c.status.in_(list(query.statuses)))
        if query.provider is not None:
            selected = selected.where(c.provider == query.provider)
        if query.receiver is not None:
            selected = selected.where(c.receiver == query.receiver)
        if query.since is not None:
            selected = selected.where(c.received_at >= _in_utc(query.since))
        if query.until is not None:
            selected = selected.where(c.received_at < _in_utc(query.until))
        if query.ids:
            selected = selected.where(c.id.in_(list(query.ids)))
        if query.idempotency_key is not None:
            selected = selected.where(c.idempotency_key == query.idempotency_key)
        with self._engine.connect() as connection:
            return list(connection.execute(selected).scalars())

    def delete_before(self, before: datetime) -> int:
        """Delete rows received before ``before``; return how many."""
        with self._transaction() as connection:
            deleted = connection.execute(
                delete(deliveries).where(deliveries.c.received_at < _in_utc(before))
            )
        return deleted.rowcount


class _Claim:
    """A locked row (see ``Claim``), in the transaction of :meth:`Inbox.claim`."""

    __slots__ = ("_connection", "_inbox", "_row")

    def __init__(self, inbox: Inbox, connection: Connection, row: Row) -> None:
        self._inbox = inbox
        self._connection = connection
        self._row = row

    @property
    def row(self) -> Row:
        return self._row

    @contextlib.contextmanager
    def savepoint(self) -> Generator[object, None, None]:
        # The handler runs in here: Inbox.connection() gives it this transaction.
        token = _handling.set((self._inbox, self._connection))
        try:
            with self._connection.begin_nested() as savepoint:
                yield savepoint
        finally:
            _handling.reset(token)

    def mark(self, mark: Mark) -> None:
        values: dict[str, object] = {
            "status": mark.status,
            "attempts": deliveries.c.attempts + 1,
            "last_error_type": mark.error_type,
            "last_error_message": mark.error_message,
            "processed_at": _in_utc(mark.processed_at),
        }
        if mark.event_type is not None:
            values["event_type"] = mark.event_type
        self._connection.execute(
            update(deliveries).where(deliveries.c.id == self._row.id).values(values)
        )

    def rekey(self, key: str) -> bool:
        moved = update(deliveries).where(deliveries.c.id == self._row.id)
        try:
            with self._connection.begin_nested():
                self._connection.execute(moved.values(idempotency_key=key))
        except IntegrityError:  # another row of this receiver holds the key
            return False
        return True


@overload
def _in_utc(value: datetime) -> datetime: ...
@overload
def _in_utc(value: None) -> None: ...
def _in_utc(value: datetime | None) -> datetime | None:
    # SQLite keeps no offset: written as it is, 10:00+05:30 would read back as 10:00 UTC.
    return None if value is None else value.astimezone(timezone.utc)


@overload
def _utc(value: datetime) -> datetime: ...
@overload
def _utc(value: None) -> None: ...
def _utc(value: datetime | None) -> datetime | None:
    # SQLite keeps no time zone: what was written in UTC comes back naive.
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def _row(found: Any) -> Row:
    received_at: datetime = found.received_at
    processed_at: datetime | None = found.processed_at
    return Row(
        id=found.id,
        provider=found.provider,
        receiver=found.receiver,
        idempotency_key=found.idempotency_key,
        event_type=found.event_type,
        body=bytes(found.body),
        headers=dict(found.headers),
        reference=found.reference,
        received_at=_utc(received_at),
        status=found.status,
        attempts=found.attempts,
        last_error_type=found.last_error_type,
        last_error_message=found.last_error_message,
        processed_at=_utc(processed_at),
    )
