"""What the SQLAlchemy inbox tests share: engines on SQLite and PostgreSQL, each database new."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

sqlalchemy = pytest.importorskip("sqlalchemy")

POSTGRES_VARIABLE = "WEBHOOK_PAYLOADS_TEST_POSTGRES"


def postgres_server() -> str:
    """The test server's URL (a database to connect to for creating others), or skip."""
    url = os.environ.get(POSTGRES_VARIABLE)
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{POSTGRES_VARIABLE} is not set: CI must start PostgreSQL")
        pytest.skip(f"no PostgreSQL server: set {POSTGRES_VARIABLE}")
    return url


def sqlalchemy_url(url: str) -> str:
    """``url`` with the psycopg (v3) driver named, as SQLAlchemy needs it."""
    scheme, rest = url.split("://", 1)
    return f"postgresql+psycopg://{rest}" if scheme in {"postgres", "postgresql"} else url


def fresh_database(kind: str, tmp_path: Path) -> Iterator[str]:
    """A SQLAlchemy URL of an empty database of ``kind`` (``sqlite`` or ``postgresql``)."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'inbox.sqlite3'}"
        return
    server = sqlalchemy.create_engine(
        sqlalchemy_url(postgres_server()), isolation_level="AUTOCOMMIT"
    )
    name = f"inbox_{uuid.uuid4().hex[:12]}"
    with server.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield server.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE {name} WITH (FORCE)")
        server.dispose()
