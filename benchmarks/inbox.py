"""What the inbox adds per request over the plain receiver, on SQLite and PostgreSQL.

Django's receiver with its store, then Flask's and FastAPI's with the SQLAlchemy store.

Usage (from the repository root, in the dev environment)::

    python benchmarks/inbox.py            # SQLite and PostgreSQL, about half a minute
    python benchmarks/inbox.py --smoke    # a few seconds: checks that it runs, judges nothing

Both views verify and parse the same signed Payscore deliveries, each one new (a fresh
``report_id``), and call a handler that does nothing: the difference is the inbox's work
(insert the row, claim it in a transaction with a savepoint, mark it processed: three
commits' worth of round trips). A repeat (the provider resending a processed delivery) is
timed too. Requests go to the views directly (``RequestFactory``), not through a server, so
that the figures are the inbox's own cost.

Rounds are paired and interleaved: each round times a batch of the plain view and a batch of
the inbox view, alternating which goes first, and the figure is the median over rounds, so
load from other processes falls on both sides alike.

PostgreSQL: ``WEBHOOK_PAYLOADS_TEST_POSTGRES`` when set (CI's server runs without fsync, so
its commits cost less than a production server's); otherwise the script starts a throw-away
server with fsync on through ``.ci/postgres.sh`` and stops it at the end. SQLite: a file in
a temporary directory, Django's defaults (rollback journal, synchronous commits).
"""

# Django modules that need settings are imported after settings.configure(), in functions.
# ruff: noqa: PLC0415

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import django
from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]
SECRET = "payscore-secret-for-benchmarks"


@contextmanager
def postgres() -> Iterator[str | None]:
    """A PostgreSQL URL (``None`` when no server can be had)."""
    url = os.environ.get("WEBHOOK_PAYLOADS_TEST_POSTGRES")
    if url:
        yield url
        return
    folder = tempfile.mkdtemp(prefix="inbox-bench-pg-")
    script = str(ROOT / ".ci" / "postgres.sh")
    done = subprocess.run(  # noqa: S603 - our own script, with our own arguments
        ["bash", script, "start", folder],  # noqa: S607 - bash from PATH, as CI runs it
        capture_output=True,
        text=True,
        env={**os.environ, "POSTGRES_FSYNC": "on"},
        check=False,
    )
    if done.returncode != 0:
        print(f"PostgreSQL: not measured ({done.stderr.strip()[-200:]})")
        yield None
        return
    try:
        yield done.stdout.strip() + " (fsync on)"
    finally:
        stop = ["bash", script, "stop", folder]
        subprocess.run(stop, capture_output=True, check=False)  # noqa: S603 - as above
        shutil.rmtree(folder, ignore_errors=True)


def database_settings(url: str) -> dict[str, Any]:
    """Django settings for a new database on the server at ``url``."""
    from urllib.parse import urlsplit

    import psycopg

    url = url.split(" ", maxsplit=1)[0]
    name = f"inbox_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(url)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": parts.username or "postgres",
        "HOST": parts.hostname or "127.0.0.1",
        "PORT": str(parts.port or 5432),
    }


def drop(url: str, name: str) -> None:
    """Drop database ``name`` (the server at ``url`` keeps running)."""
    import psycopg

    with (
        suppress(Exception),
        psycopg.connect(url.split(" ", maxsplit=1)[0], autocommit=True) as connection,
    ):
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def measure(aliases: list[str], rounds: int, batch: int) -> None:
    """Print, per database, the median cost per request of each view and the difference."""
    from django.test import RequestFactory

    from webhook_payloads.integrations.django import webhook_view
    from webhook_payloads.integrations.django.inbox import Inbox
    from webhook_payloads.testing import RequestBuilder

    signed = RequestBuilder(secret=SECRET)
    factory = RequestFactory()

    def requests(count: int) -> list[Any]:
        made = []
        for _ in range(count):
            body, headers = signed("payscore", "REPORT_READY", report_id=str(uuid.uuid4()))
            made.append(
                factory.post("/", data=body, content_type="application/json", headers=headers)
            )
        return made

    def nothing(request: Any, event: Any) -> None:
        """The handler: no work of its own."""

    plain = webhook_view("payscore", secret=SECRET, name="bench-plain")(nothing)
    for alias in aliases:
        kept = webhook_view(
            "payscore", secret=SECRET, inbox=Inbox(using=alias), name=f"bench-{alias}"
        )(nothing)

        def timed(view: Callable[[Any], Any], batch_requests: list[Any]) -> float:
            start = time.perf_counter()
            for request in batch_requests:
                response = view(request)
                if response.status_code != 200:
                    raise RuntimeError(f"the view answered {response.status_code}")
            return (time.perf_counter() - start) / len(batch_requests)

        timed(kept, requests(5))  # warm up: connection, statements, imports
        timed(plain, requests(5))
        samples: dict[str, list[float]] = {"plain": [], "inbox": [], "repeat": []}
        for number in range(rounds):
            fresh_plain, fresh_inbox = requests(batch), requests(batch)
            order = [("plain", plain, fresh_plain), ("inbox", kept, fresh_inbox)]
            if number % 2:
                order.reverse()
            for label, view, batch_requests in order:
                samples[label].append(timed(view, batch_requests))
            samples["repeat"].append(timed(kept, fresh_inbox))  # each one a second time
        median = {label: statistics.median(values) * 1e6 for label, values in samples.items()}
        added = [(i - p) * 1e6 for i, p in zip(samples["inbox"], samples["plain"], strict=True)]
        vendor = settings.DATABASES[alias]["ENGINE"].rsplit(".", 1)[-1]
        print(
            f"{vendor:10}  plain receiver {median['plain']:8.0f} us/request   "
            f"with inbox {median['inbox']:8.0f} us   added {statistics.median(added):8.0f} us   "
            f"repeat of a processed delivery {median['repeat']:8.0f} us   "
            f"({rounds} rounds x {batch} requests)"
        )


def sqlalchemy_database(url: str) -> str:
    """A SQLAlchemy URL of a new database on the server at ``url``."""
    made = database_settings(url)
    return f"postgresql+psycopg://{made['USER']}@{made['HOST']}:{made['PORT']}/{made['NAME']}"


def measure_sqlalchemy(urls: list[str], rounds: int, batch: int) -> None:
    """As :func:`measure`, for Flask's and FastAPI's receivers with the SQLAlchemy store.

    Requests go through each framework's test client (Werkzeug's, and Starlette's over
    httpx), the same for both sides of each pair. (The endpoints name their dependency as a
    default: this module's annotations are strings, which FastAPI resolves in the module's
    globals, where these local dependencies are not.)
    """
    from fastapi import Depends, FastAPI
    from fastapi.testclient import TestClient
    from flask import Flask
    from sqlalchemy import create_engine

    from webhook_payloads.integrations.fastapi import webhook_event
    from webhook_payloads.integrations.flask import webhook_handler
    from webhook_payloads.integrations.sqlalchemy import Inbox, metadata
    from webhook_payloads.testing import RequestBuilder

    signed = RequestBuilder(secret=SECRET)

    def nothing(event: Any) -> None:
        """The handler: no work of its own."""

    for url in urls:
        engine = create_engine(url)
        metadata.create_all(engine)
        inbox = Inbox(engine)
        tag = uuid.uuid4().hex[:8]
        flask_app = Flask("bench")
        plain_view = webhook_handler("payscore", secret=SECRET, name=f"p{tag}")(nothing)
        inbox_view = webhook_handler("payscore", secret=SECRET, inbox=inbox, name=f"f{tag}")(
            nothing
        )
        flask_app.add_url_rule("/plain", "plain", plain_view, methods=["POST"])
        flask_app.add_url_rule("/inbox", "inbox", inbox_view, methods=["POST"])
        api = FastAPI()
        plain_event = webhook_event("payscore", secret=SECRET)
        inbox_event = webhook_event("payscore", secret=SECRET, inbox=inbox, name=f"a{tag}")
        inbox_event.handler(nothing)

        @api.post("/plain")
        def plain_endpoint(event: Any = Depends(plain_event)) -> None:  # noqa: B008 - FastAPI's way
            nothing(event)

        @api.post("/inbox")
        def inbox_endpoint(event: Any = Depends(inbox_event)) -> None:  # noqa: B008 - FastAPI's way
            pass

        database = url.split(":", 1)[0].split("+")[0]
        flask_client = flask_app.test_client()
        with TestClient(api) as api_client:
            for framework, client, key in (
                ("flask", flask_client, "data"),
                ("fastapi", api_client, "content"),
            ):

                def post(
                    path: str, body: bytes, headers: dict[str, str], c: Any = client, k: str = key
                ) -> int:
                    return int(c.post(path, headers=headers, **{k: body}).status_code)

                _pairs(f"{framework} {database}", post, signed, rounds=rounds, batch=batch)
        engine.dispose()


def _pairs(
    framework: str,
    post: Callable[[str, bytes, dict[str, str]], int],
    signed: Any,
    *,
    rounds: int,
    batch: int,
) -> None:
    def requests(count: int) -> list[tuple[bytes, dict[str, str]]]:
        return [
            signed("payscore", "REPORT_READY", report_id=str(uuid.uuid4())) for _ in range(count)
        ]

    def timed(path: str, batch_requests: list[tuple[bytes, dict[str, str]]]) -> float:
        start = time.perf_counter()
        for body, headers in batch_requests:
            status = post(path, body, headers)
            if status != 200:
                raise RuntimeError(f"{framework} {path} answered {status}")
        return (time.perf_counter() - start) / len(batch_requests)

    timed("/inbox", requests(5))  # warm up
    timed("/plain", requests(5))
    samples: dict[str, list[float]] = {"plain": [], "inbox": [], "repeat": []}
    for number in range(rounds):
        fresh_plain, fresh_inbox = requests(batch), requests(batch)
        order = [("plain", "/plain", fresh_plain), ("inbox", "/inbox", fresh_inbox)]
        if number % 2:
            order.reverse()
        for label, path, batch_requests in order:
            samples[label].append(timed(path, batch_requests))
        samples["repeat"].append(timed("/inbox", fresh_inbox))
    median = {label: statistics.median(values) * 1e6 for label, values in samples.items()}
    added = [(i - p) * 1e6 for i, p in zip(samples["inbox"], samples["plain"], strict=True)]
    print(
        f"{framework:18}  plain receiver {median['plain']:8.0f} us/request   "
        f"with inbox {median['inbox']:8.0f} us   added {statistics.median(added):8.0f} us   "
        f"repeat of a processed delivery {median['repeat']:8.0f} us   "
        f"({rounds} rounds x {batch} requests)"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="a few requests: checks it runs")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--batch", type=int, default=40)
    options = parser.parse_args(argv)
    rounds, batch = (2, 3) if options.smoke else (options.rounds, options.batch)
    folder = Path(tempfile.mkdtemp(prefix="inbox-bench-"))
    with postgres() as url:
        databases: dict[str, Any] = {
            "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(folder / "bench.db")}
        }
        if url is not None:
            databases["postgres"] = database_settings(url)
        settings.configure(
            SECRET_KEY="benchmark-only",  # noqa: S106 - a throw-away project
            USE_TZ=True,
            ALLOWED_HOSTS=["testserver"],
            INSTALLED_APPS=["webhook_payloads.integrations.django"],
            DATABASES=databases,
        )
        django.setup()
        from django.core.management import call_command
        from django.db import connections

        for alias in databases:
            call_command("migrate", database=alias, verbosity=0)
        print(f"PostgreSQL: {url or 'none'}; SQLite: a file, Django's defaults")
        engines = [f"sqlite:///{folder / 'sqlalchemy.db'}"]
        if url is not None:
            engines.append(sqlalchemy_database(url))
        try:
            measure(list(databases), rounds, batch)
            measure_sqlalchemy(engines, rounds, batch)
        finally:
            connections.close_all()
            if url is not None:
                drop(url, databases["postgres"]["NAME"])
                drop(url, engines[-1].rsplit("/", 1)[-1])
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
