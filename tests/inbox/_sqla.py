"""The SQLAlchemy store's backends for the shared inbox suite (see conftest.py's BACKENDS)."""

from __future__ import annotations

import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy
from sqlalchemy import Column, Integer, MetaData, String, Table, delete, insert, select, update

from webhook_payloads.integrations.sqlalchemy import Inbox, _row, deliveries, metadata

if TYPE_CHECKING:
    from .conftest import Backend

# What a handler writes in its own database (the inbox's connection while it runs).
handler_metadata = MetaData()
notes = Table(
    "inbox_test_note",
    handler_metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(300), nullable=False),
)

_engines: dict[str, Any] = {}


def postgresql_url(server: str) -> str:
    """``server`` (a ``postgresql://`` URL) with the psycopg (v3) driver SQLAlchemy needs."""
    return "postgresql+psycopg://" + server.split("://", 1)[1]


def engine(database: str, postgres_url: str | None = None) -> Any:
    """One engine per database for the whole run, its tables created."""
    if database not in _engines:
        if database == "sqlite":
            folder = Path(tempfile.mkdtemp(prefix="webhook-payloads-sqla-"))
            made = sqlalchemy.create_engine(f"sqlite:///{folder / 'inbox.sqlite3'}")
        else:
            assert postgres_url is not None
            made = sqlalchemy.create_engine(postgresql_url(postgres_url), pool_size=20)
        metadata.create_all(made)
        handler_metadata.create_all(made)
        _engines[database] = made
    return _engines[database]


def sqlalchemy_backend(backend_class: type[Backend], database: str, url: str | None) -> Backend:
    """The SQLAlchemy store on a new database of ``database`` (``sqlite``/``postgresql``)."""
    made = engine(database, url)
    store = Inbox(made)

    def write(value: str) -> None:
        store.connection().execute(insert(notes).values(name=value))

    def written() -> list[str]:
        with made.connect() as connection:
            return sorted(connection.execute(select(notes.c.name)).scalars())

    def rows() -> list[Any]:
        with made.connect() as connection:
            found = connection.execute(select(deliveries).order_by(deliveries.c.id))
            return [_row(row) for row in found]

    def set_received_at(row_id: int, when: datetime) -> None:
        with made.begin() as connection:
            connection.execute(
                update(deliveries)
                .where(deliveries.c.id == row_id)
                .values(received_at=when.astimezone(timezone.utc))
            )

    def reset() -> None:
        with made.begin() as connection:
            connection.execute(delete(deliveries))
            connection.execute(delete(notes))

    return backend_class(
        f"sqlalchemy-{database}", store, write, written, rows, set_received_at, reset, database
    )
