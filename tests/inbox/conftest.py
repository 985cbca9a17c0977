"""The inbox's test databases and stores: every store on SQLite and on PostgreSQL.

PostgreSQL: ``WEBHOOK_PAYLOADS_TEST_POSTGRES`` (a URL; ``.ci/run`` starts a server and sets
it). Without it, the tests start a throw-away server themselves with ``.ci/postgres.sh``
and stop it at the end, or skip the PostgreSQL runs with the reason; with ``CI=true`` a
server that cannot be had fails the run instead.

Django is configured here, once for the whole test process (before any test module can
configure it without a database): the inbox app and the admin installed, a SQLite file and
a fresh PostgreSQL database migrated. Each test starts with empty tables.

A store is given to the shared tests as a :class:`Backend`: the store and the few things a
test needs to look behind it. Another store joins the suite by adding its backends to
``BACKENDS``.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

pytest.importorskip("django")

import django
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
POSTGRES_SCRIPT = ROOT / ".ci" / "postgres.sh"
POSTGRES_VARIABLE = "WEBHOOK_PAYLOADS_TEST_POSTGRES"


def _start_postgres() -> tuple[str | None, str]:
    """A PostgreSQL URL, or ``None`` and why there is none."""
    url = os.environ.get(POSTGRES_VARIABLE)
    if url:
        return url, ""
    if shutil.which("bash") is None:  # pragma: no cover - every Linux CI has bash
        return None, "no bash to run .ci/postgres.sh"
    folder = tempfile.mkdtemp(prefix="webhook-payloads-pg-")
    try:
        done = subprocess.run(
            ["bash", str(POSTGRES_SCRIPT), "start", folder],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:  # pragma: no cover - depends on host
        return None, f".ci/postgres.sh could not start a server: {error}"
    if done.returncode != 0:  # pragma: no cover - depends on host
        return None, f".ci/postgres.sh could not start a server: {done.stderr.strip()[-300:]}"

    def stop() -> None:
        subprocess.run(
            ["bash", str(POSTGRES_SCRIPT), "stop", folder], capture_output=True, check=False
        )
        shutil.rmtree(folder, ignore_errors=True)

    atexit.register(stop)
    return done.stdout.strip(), ""


def _database(url: str) -> tuple[dict[str, Any], str]:
    """Django settings for a new database on the server at ``url``, and the server's URL."""
    import psycopg

    name = f"webhook_payloads_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(url)

    def drop() -> None:
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    atexit.register(drop)
    database = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": parts.username or "postgres",
        "PASSWORD": parts.password or "",
        "HOST": parts.hostname or "127.0.0.1",
        "PORT": str(parts.port or 5432),
    }
    return database, urlunsplit(parts._replace(path=f"/{name}"))


POSTGRES_URL, POSTGRES_MISSING = _start_postgres()
if POSTGRES_URL is None and os.environ.get("CI") == "true":  # pragma: no cover - CI only
    raise RuntimeError(f"CI needs PostgreSQL for the inbox tests: {POSTGRES_MISSING}")

SQLITE_FILE = Path(tempfile.mkdtemp(prefix="webhook-payloads-sqlite-")) / "inbox.sqlite3"
atexit.register(shutil.rmtree, SQLITE_FILE.parent, True)

DATABASES: dict[str, Any] = {
    # A file, not :memory:: the concurrency tests open several connections to it.
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(SQLITE_FILE),
        "OPTIONS": {"timeout": 30},
    },
}
POSTGRES_DATABASE_URL: str | None = None
if POSTGRES_URL is not None:
    DATABASES["postgres"], POSTGRES_DATABASE_URL = _database(POSTGRES_URL)

INBOX_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "webhook_payloads.integrations.django",
]

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="django-test-only",
        USE_TZ=True,
        DATABASES=DATABASES,
        INSTALLED_APPS=INBOX_APPS,
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                    ]
                },
            }
        ],
    )
    django.setup()

if "webhook_payloads" not in {app.label for app in django.apps.apps.get_app_configs()}:
    raise RuntimeError(  # pragma: no cover - a test module configured Django first
        "Django was configured before tests/inbox/conftest.py; run the inbox tests first."
    )

# Only now that Django is set up can the models be imported.
from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402

from webhook_payloads.integrations._inbox import Row, Store  # noqa: E402
from webhook_payloads.integrations.django.inbox import Inbox  # noqa: E402
from webhook_payloads.integrations.django.models import Delivery  # noqa: E402

for _alias in DATABASES:
    call_command("migrate", database=_alias, verbosity=0, interactive=False)
    connections[_alias].close()


@dataclass
class Backend:
    """One store on one database, with what the tests need to look behind it."""

    name: str
    store: Store
    write: Callable[[str], None]
    """A write the handler makes in the store's database (rolled back when it fails)."""
    written: Callable[[], list[str]]
    """What :attr:`write` wrote and kept, sorted."""
    rows: Callable[[], list[Row]]
    """Every row, by id."""
    set_received_at: Callable[[int, datetime], None]
    reset: Callable[[], None]
    database: str
    """``"sqlite"`` or ``"postgresql"``."""


def django_backend(alias: str) -> Backend:
    """The Django store on database ``alias``."""
    store = Inbox(using=alias)

    def write(value: str) -> None:
        Group.objects.using(alias).create(name=value)

    def written() -> list[str]:
        return sorted(Group.objects.using(alias).values_list("name", flat=True))

    def rows() -> list[Row]:
        from webhook_payloads.integrations.django.inbox import _row

        return [_row(obj) for obj in Delivery.objects.using(alias).order_by("id")]

    def set_received_at(row_id: int, when: datetime) -> None:
        Delivery.objects.using(alias).filter(pk=row_id).update(received_at=when)

    def reset() -> None:
        Delivery.objects.using(alias).all().delete()
        Group.objects.using(alias).all().delete()

    vendor = connections[alias].vendor
    return Backend(f"django-{vendor}", store, write, written, rows, set_received_at, reset, vendor)


def _backends() -> list[Any]:
    found: list[Any] = [pytest.param("django-sqlite", id="django-sqlite")]
    marks = [] if POSTGRES_URL else [pytest.mark.skip(reason=f"no PostgreSQL: {POSTGRES_MISSING}")]
    found.append(pytest.param("django-postgresql", id="django-postgresql", marks=marks))
    found.append(pytest.param("sqlalchemy-sqlite", id="sqlalchemy-sqlite"))
    found.append(pytest.param("sqlalchemy-postgresql", id="sqlalchemy-postgresql", marks=marks))
    return found


def _sqlalchemy_backend(database: str) -> Backend:
    from ._sqla import sqlalchemy_backend

    return sqlalchemy_backend(Backend, database, POSTGRES_URL)


BACKENDS: dict[str, Callable[[], Backend]] = {
    "django-sqlite": lambda: django_backend("default"),
    "django-postgresql": lambda: django_backend("postgres"),
    "sqlalchemy-sqlite": lambda: _sqlalchemy_backend("sqlite"),
    "sqlalchemy-postgresql": lambda: _sqlalchemy_backend("postgresql"),
}


@pytest.fixture(params=_backends())
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    """Every store, on SQLite and on PostgreSQL, with empty tables."""
    made = BACKENDS[request.param]()
    made.reset()
    yield made
    made.reset()
