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
import datetime as dt
from collections.abc import Iterator
from typing import Any, Final

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
    )
    from sqlalchemy.engine import Connection, Engine
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
    Column("receiver", String(255), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("body", LargeBinary(), nullable=False),
    Column("headers", JSON(), nullable=False),
    Column("reference", String(255), nullable=True),
    Column("event_type", String(255), nullable=True),
    Column("idempotency_key", String(255), nullable=True),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error_type", String(255), nullable=True),
    Column("last_error_message", Text(), nullable=True),
    Column("processed_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("receiver", "idempotency_key", name=f"{TABLE_NAME}_once"),
    Index(f"{TABLE_NAME}_status", "status", "received_at"),
    Index(f"{TABLE_NAME}_received_at", "received_at"),
)
"""The deliveries table: one row per authentic delivery."""


class Inbox:
    """An inbox on a SQLAlchemy ``Engine``: the store the receivers' ``inbox=`` takes.

    Args:
        engine: The app's engine (PostgreSQL, SQLite, or another SQLAlchemy 2 backend). The
            inbox opens its own short transactions on it; it never touches your sessions.
        busy_timeout: SQLite only: how long a transaction waits for the database's write
            lock, in seconds.
    """

    __slots__ = ("_engine", "_sqlite", "busy_timeout")

    def __init__(self, engine: Engine, *, busy_timeout: float = 30.0) -> None:
        """Keep ``engine``; nothing is read or written until the first delivery."""
        self._engine = engine
        self._sqlite = engine.dialect.name == "sqlite"
        self.busy_timeout = busy_timeout

    def __repr__(self) -> str:
        """Name the backend, never the URL (it may hold a password)."""
        return f"Inbox({self._engine.dialect.name})"

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[Connection]:
        """One transaction, committed when the block ends without an error.

        On SQLite it takes the write lock first: two transactions that both read a row and
        then write it would otherwise both read it ``received``.
        """
        with self._engine.connect() as connection:
            if self._sqlite:
                milliseconds = int(self.busy_timeout * 1000)
                connection.exec_driver_sql(f"PRAGMA busy_timeout = {milliseconds}")
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            yield connection
            connection.commit()
