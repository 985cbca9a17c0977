"""Exactly once through a real server: concurrent copies of one signed delivery to gunicorn.

gunicorn runs a small Django project (two worker processes of eight threads each) on
127.0.0.1, with the inbox on the test's PostgreSQL database or SQLite file. The copies are
sent at once from threads; the handler holds each delivery a moment, so that the copies
overlap, and counts its calls in a file (every worker process appends to it). Every wait is
bounded, and the server is stopped at the end.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("gunicorn")

from webhook_payloads.integrations.django.models import Delivery
from webhook_payloads.testing import RequestBuilder

from .conftest import DATABASES, POSTGRES_MISSING, POSTGRES_URL

SECRET = "a1b2c3d4" * 8
COPIES = 24
START_TIMEOUT = 20.0
ANSWER_TIMEOUT = 30.0

SETTINGS = """\
SECRET_KEY = "django-test-only"
DEBUG = False
USE_TZ = True
ALLOWED_HOSTS = ["127.0.0.1"]
ROOT_URLCONF = "hooks"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "webhook_payloads.integrations.django",
]
DATABASES = {{"default": {database}}}
WEBHOOK_PAYLOADS_SECRETS = {{"payscore": {secret!r}}}
"""

HOOKS = """\
import os
import time

from django.urls import path

from webhook_payloads.integrations.django import webhook_view

CALLS = os.environ["TEST_CALLS_FILE"]


@webhook_view("payscore", inbox=True, name="server-test")
def payscore(request, event):
    # One line per call, from whichever worker process runs it.
    descriptor = os.open(CALLS, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(descriptor, f"{os.getpid()} {event.idempotency_key}\\n".encode())
    finally:
        os.close(descriptor)
    time.sleep(0.3)  # holds the row while the other copies arrive


urlpatterns = [path("hooks/payscore/", payscore)]
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(
    params=[
        pytest.param("default", id="sqlite"),
        pytest.param(
            "postgres",
            id="postgresql",
            marks=[]
            if POSTGRES_URL
            else [pytest.mark.skip(reason=f"no PostgreSQL: {POSTGRES_MISSING}")],
        ),
    ]
)
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, int, Path]]:
    alias: str = request.param
    Delivery.objects.using(alias).filter(receiver="server-test").delete()
    (tmp_path / "test_settings.py").write_text(
        SETTINGS.format(database=repr(DATABASES[alias]), secret=SECRET)
    )
    (tmp_path / "hooks.py").write_text(HOOKS)
    calls = tmp_path / "calls.txt"
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "test_settings",
        "PYTHONPATH": str(tmp_path),
        "TEST_CALLS_FILE": str(calls),
    }
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "8",
            "--timeout",
            "30",
            "--chdir",
            str(tmp_path),
            "django.core.wsgi:get_wsgi_application()",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    log.close()  # the server has its own copy of the descriptor
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    text = (tmp_path / "server.log").read_text()[-2000:]
                    pytest.fail(f"gunicorn did not start:\n{text}")
                time.sleep(0.1)
        yield alias, port, calls
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:  # pragma: no cover - a stuck server
            process.kill()
            process.wait(timeout=5)
        Delivery.objects.using(alias).filter(receiver="server-test").delete()


def test_concurrent_copies_through_gunicorn_call_the_handler_once(
    server: tuple[str, int, Path],
) -> None:
    alias, port, calls = server
    body, headers = RequestBuilder(secret=SECRET)("payscore", "REPORT_READY")
    statuses: list[Any] = []
    start = threading.Barrier(COPIES)

    def send() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=ANSWER_TIMEOUT)
        try:
            start.wait(timeout=ANSWER_TIMEOUT)
            connection.request(
                "POST",
                "/hooks/payscore/",
                body=body,
                headers={**headers, "Content-Type": "application/json"},
            )
            statuses.append(connection.getresponse().status)
        except Exception as error:  # noqa: BLE001 - reported in the assertion below
            statuses.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(COPIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=ANSWER_TIMEOUT + 5)

    handler_calls = calls.read_text().splitlines() if calls.exists() else []
    rows = list(Delivery.objects.using(alias).filter(receiver="server-test"))
    print(  # noqa: T201 - the figures the docs quote (pytest -s shows them)
        f"\n{alias}: {COPIES} copies sent, {len(handler_calls)} handler calls, "
        f"{len(rows)} rows, answers {sorted(map(str, statuses))[:1]}..."
    )
    assert statuses == [200] * COPIES
    assert len(handler_calls) == 1
    assert [(row.status, row.attempts) for row in rows] == [("processed", 1)]
