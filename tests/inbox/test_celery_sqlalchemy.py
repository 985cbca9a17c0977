"""Later processing for Flask and FastAPI: ``defer=`` queues the row, a real Celery worker
processes it once, on the SQLAlchemy store (a SQLite file, and PostgreSQL).

One module (``APP`` below, written to a temporary directory) is the app: a Flask app and a
FastAPI app with an inbox and ``defer=``, and the Celery task the worker runs,
``inbox.process(row_id)``. The worker imports it (``celery --app hooks:celery worker``, a
thread pool, so that copies of the task run at the same time), and so does this process,
which serves the requests through each framework's test client. The broker is kombu's
filesystem transport under the temporary directory (no network). Each row is queued three
times (a queue delivers at least once): one copy processes it, the others find it held or
processed. Every wait is bounded.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

pytest.importorskip("celery")
pytest.importorskip("fastapi.testclient", exc_type=ImportError)

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select

from webhook_payloads.integrations.sqlalchemy import deliveries, metadata
from webhook_payloads.testing import RequestBuilder

from ._sqla import postgresql_url
from .conftest import POSTGRES_MISSING, POSTGRES_URL, _database
from .test_celery import config

SECRET = "a1b2c3d4" * 8
ANSWER_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
COPIES = 3

APP = '''\
"""A Flask app and a FastAPI app keeping deliveries for a worker, and the worker's task."""

import json
import os
from typing import Annotated

from celery import Celery
from fastapi import Depends, FastAPI
from flask import Flask
from sqlalchemy import create_engine

from webhook_payloads.integrations.fastapi import webhook_event
from webhook_payloads.integrations.flask import webhook_handler
from webhook_payloads.integrations.sqlalchemy import Inbox

inbox = Inbox(create_engine(os.environ["INBOX_DATABASE"]))
SECRET = os.environ["INBOX_SECRET"]
NAME = os.environ["INBOX_NAME"]

celery = Celery("hooks", set_as_current=False)
celery.conf.update(json.loads(os.environ["INBOX_CELERY"]))


# Not shared with other Celery apps: the test process imports this module once per test.
@celery.task(name="hooks.process_delivery", shared=False)
def process_delivery(row_id):
    return "processed" if inbox.process(row_id).ran else "skipped"


SENT = {}


def queue(row_id):
    # A queue delivers at least once: here, always three times, at once.
    SENT[row_id] = [process_delivery.delay(row_id) for _ in range(COPIES)]


def note(framework, event):
    descriptor = os.open(os.environ["INBOX_CALLS"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(descriptor, f"{framework} {event.idempotency_key}\\n".encode())
    finally:
        os.close(descriptor)


app = Flask(__name__)


@app.post("/hooks/payscore")
@webhook_handler("payscore", secret=SECRET, inbox=inbox, defer=queue, name=NAME + "-flask")
def flask_hook(event):
    note("flask", event)


api = FastAPI()
payscore_event = webhook_event(
    "payscore", secret=SECRET, inbox=inbox, defer=queue, name=NAME + "-fastapi"
)


@payscore_event.handler
def fastapi_handler(event):
    note("fastapi", event)


@api.post("/hooks/payscore")
def fastapi_hook(event: Annotated[object, Depends(payscore_event)]):
    pass
'''.replace("COPIES", str(COPIES))


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'inbox.sqlite3'}"  # one file for both processes
    elif POSTGRES_URL is None:
        pytest.skip(f"no PostgreSQL: {POSTGRES_MISSING}")
    else:
        url = postgresql_url(_database(POSTGRES_URL)[1])
    engine = create_engine(url)
    metadata.create_all(engine)
    engine.dispose()
    return url


@pytest.fixture
def hooks(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[ModuleType, Path, Path]]:
    """The app module imported here, with a worker running the same module."""
    (tmp_path / "hooks.py").write_text(APP)
    calls, log = tmp_path / "calls.txt", tmp_path / "worker.log"
    variables = {
        "INBOX_DATABASE": database,
        "INBOX_SECRET": SECRET,
        "INBOX_NAME": f"celery-{uuid.uuid4().hex[:12]}",
        "INBOX_CELERY": json.dumps(config(tmp_path)),
        "INBOX_CALLS": str(calls),
    }
    for variable, value in variables.items():
        monkeypatch.setenv(variable, value)
    paths = [str(tmp_path), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    command = [
        sys.executable,
        "-m",
        "celery",
        "--app",
        "hooks:celery",
        "worker",
        "--pool",
        "threads",
        "--concurrency",
        "4",
        "--without-heartbeat",
        "--without-gossip",
        "--without-mingle",
        "--loglevel",
        "WARNING",
    ]
    with log.open("wb") as output:
        worker = subprocess.Popen(
            command, cwd=tmp_path, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    spec = importlib.util.spec_from_file_location(
        f"hooks_{uuid.uuid4().hex}", tmp_path / "hooks.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
        yield module, calls, log
    finally:
        worker.send_signal(signal.SIGTERM)  # warm shutdown: running tasks finish first
        try:
            worker.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:  # pragma: no cover - a stuck worker
            worker.kill()
            worker.wait(timeout=STOP_TIMEOUT)
        if hasattr(module, "celery"):
            module.celery.close()
            module.inbox.engine.dispose()
    assert worker.returncode == 0, f"the worker did not stop cleanly:\n{log.read_text()}"


def answers(module: ModuleType, row_id: int, log: Path) -> list[str]:
    """What the copies of the task queued for ``row_id`` returned, sorted."""
    try:
        return sorted(r.get(timeout=ANSWER_TIMEOUT, interval=0.05) for r in module.SENT[row_id])
    except Exception:  # a timeout or the task's own error: show what the worker said
        print(textwrap.indent(log.read_text(), "worker| "))  # noqa: T201
        raise


def stored(module: ModuleType) -> dict[str, Any]:
    """The rows by receiver name."""
    with module.inbox.engine.connect() as connection:
        return {row.receiver: row for row in connection.execute(select(deliveries))}


def test_deferred_deliveries_are_processed_once_by_a_real_worker(
    hooks: tuple[ModuleType, Path, Path], database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    module, calls, log = hooks
    body, headers = RequestBuilder(secret=SECRET)("payscore", "REPORT_READY")

    flask_answer = module.app.test_client().post("/hooks/payscore", data=body, headers=headers)
    with TestClient(module.api) as client:
        fastapi_answer = client.post("/hooks/payscore", content=body, headers=headers)

    assert (flask_answer.status_code, fastapi_answer.status_code) == (202, 202)
    name = os.environ["INBOX_NAME"]
    rows = stored(module)
    assert sorted(rows) == [f"{name}-fastapi", f"{name}-flask"]
    assert {row.status for row in rows.values()} == {"received"}
    database_kind = database.split(":", 1)[0].split("+", maxsplit=1)[0]
    for framework in ("flask", "fastapi"):
        row = rows[f"{name}-{framework}"]
        got = answers(module, row.id, log)
        with capsys.disabled():  # the figures the report gives
            print(f"\n{framework} {database_kind}: {COPIES} copies of the task, answers {got}")  # noqa: T201
        assert got == ["processed"] + ["skipped"] * (COPIES - 1)
    key = rows[f"{name}-flask"].idempotency_key
    assert sorted(calls.read_text().splitlines()) == [f"fastapi {key}", f"flask {key}"]
    after = stored(module)
    assert {(row.status, row.attempts) for row in after.values()} == {("processed", 1)}

    # A repeat of the processed delivery answers 200 and queues nothing.
    module.SENT.clear()
    again = module.app.test_client().post("/hooks/payscore", data=body, headers=headers)
    assert (again.status_code, module.SENT) == (200, {})
