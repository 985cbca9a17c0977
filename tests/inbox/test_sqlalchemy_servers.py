"""Exactly once through real servers: concurrent copies of one delivery, one handler call.

Gunicorn serves a Flask app and uvicorn a FastAPI app, each with several worker processes,
on 127.0.0.1, keeping their inbox on PostgreSQL, then on a SQLite file. Every copy is sent at
once; the handler (which takes a while, so the copies overlap) counts its calls in a file.
"""

from __future__ import annotations

import concurrent.futures
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from webhook_payloads.integrations.sqlalchemy import deliveries, metadata
from webhook_payloads.testing import RequestBuilder

from ._sqla import postgresql_url
from .conftest import POSTGRES_MISSING, POSTGRES_URL, _database

SECRET = "a1b2c3d4" * 8
COPIES = 24
BIN = Path(sys.executable).parent

COMMON = """\
import os, time
from sqlalchemy import create_engine
from webhook_payloads.integrations.sqlalchemy import Inbox

url = os.environ["INBOX_DATABASE"]
inbox = Inbox(create_engine(url, **({} if url.startswith("sqlite") else {"pool_size": 20})))
SECRET = os.environ["INBOX_SECRET"]


def handle(event):
    with open(os.environ["INBOX_CALLS"], "a") as calls:
        calls.write(event.idempotency_key + "\\n")
    time.sleep(0.3)  # long enough for every copy to arrive while it runs
"""

FLASK_APP = (
    COMMON
    + """
from flask import Flask
from webhook_payloads.integrations.flask import webhook_handler

app = Flask(__name__)


@app.post("/hooks/payscore")
@webhook_handler("payscore", secret=SECRET, inbox=inbox)
def payscore_hook(event):
    handle(event)
"""
)

FASTAPI_APP = (
    COMMON
    + """
from typing import Annotated
from fastapi import Depends, FastAPI
from webhook_payloads.integrations.fastapi import webhook_event

app = FastAPI()
payscore_event = webhook_event("payscore", secret=SECRET, inbox=inbox)
payscore_event.handler(handle)


@app.post("/hooks/payscore")
async def payscore_hook(event: Annotated[object, Depends(payscore_event)]) -> None:
    pass
"""
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture(params=["postgresql", "sqlite"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        # One file for every worker process; each copy waits for SQLite's write lock.
        url = f"sqlite:///{tmp_path / 'inbox.sqlite3'}"
    elif POSTGRES_URL is None:
        pytest.skip(f"no PostgreSQL: {POSTGRES_MISSING}")
    else:
        _, url = _database(POSTGRES_URL)
        url = postgresql_url(url)
    engine = create_engine(url)
    metadata.create_all(engine)
    engine.dispose()
    return url


def serve(
    command: list[str], folder: Path, env: dict[str, str], port: int
) -> subprocess.Popen[bytes]:
    """Start a server and wait (20 s at most) until it answers on ``port``."""
    with (folder / "server.log").open("wb") as log:  # the server keeps its own copy
        server = subprocess.Popen(
            command, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if server.poll() is not None:
            break
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return server
        except OSError:
            time.sleep(0.1)
    stop(server)
    pytest.fail(f"the server did not start: {(folder / 'server.log').read_text()[-2000:]}")


def stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:  # pragma: no cover - a server that ignores SIGTERM
        server.kill()
        server.wait(timeout=10)


def send_copies(url: str, body: bytes, headers: dict[str, str]) -> list[int]:
    """POST ``COPIES`` copies of one delivery at the same moment; their statuses."""
    start = threading.Barrier(COPIES)

    def post(_: int) -> int:
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - http://127.0.0.1
        start.wait(timeout=10)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - http://127.0.0.1
                return int(response.status)
        except urllib.error.HTTPError as error:
            return error.code

    with concurrent.futures.ThreadPoolExecutor(COPIES) as pool:
        return list(pool.map(post, range(COPIES)))


SERVERS = {
    "flask-gunicorn": (
        FLASK_APP,
        lambda port: [
            str(BIN / "gunicorn"),
            "--workers",
            "2",
            "--threads",
            "16",
            "--bind",
            f"127.0.0.1:{port}",
            "app:app",
        ],
    ),
    "fastapi-uvicorn": (
        FASTAPI_APP,
        lambda port: [
            str(BIN / "uvicorn"),
            "--workers",
            "2",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "app:app",
        ],
    ),
}


@pytest.mark.parametrize("server_kind", list(SERVERS))
def test_concurrent_copies_call_the_handler_once(
    server_kind: str, database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, command = SERVERS[server_kind]
    (tmp_path / "app.py").write_text(source)
    calls = tmp_path / "calls.txt"
    env = {
        **os.environ,
        "INBOX_DATABASE": database,
        "INBOX_SECRET": SECRET,
        "INBOX_CALLS": str(calls),
        "PYTHONPATH": str(tmp_path),
    }
    port = free_port()
    body, headers = RequestBuilder(secret=SECRET)("payscore", "REPORT_READY")
    server = serve(command(port), tmp_path, env, port)
    try:
        statuses = send_copies(f"http://127.0.0.1:{port}/hooks/payscore", body, headers)
    finally:
        stop(server)

    engine = create_engine(database)
    with engine.connect() as connection:
        rows = connection.execute(select(deliveries.c.status, deliveries.c.attempts)).all()
    engine.dispose()
    handler_calls = calls.read_text().splitlines() if calls.exists() else []
    database_kind = database.split(":", 1)[0].split("+", maxsplit=1)[0]
    with capsys.disabled():  # the figures the closing note reports
        print(  # noqa: T201
            f"\n{server_kind} {database_kind}: copies={COPIES} "
            f"handler calls={len(handler_calls)} rows={len(rows)}"
        )
    assert statuses == [200] * COPIES
    assert len(handler_calls) == 1
    assert [(row.status, row.attempts) for row in rows] == [("processed", 1)]
