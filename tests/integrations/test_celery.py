"""The Celery recipe of docs/queues.md, run by a real worker process.

The worker runs the task exactly as the page shows it, on a broker this test makes itself:
kombu's filesystem transport (folders under a temporary directory, no network), with
Celery's file result backend to read the answers back. The test starts the worker, sends
events as JSON, reads what the worker made of them, and stops it; every wait is bounded.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("celery")

from celery import Celery

from webhook_payloads import UnknownEvent, WebhookEvent, from_json, parse, to_json
from webhook_payloads._samples import sample_body, sample_names
from webhook_payloads.testing import providers

DOCS = Path(__file__).resolve().parents[2] / "docs" / "queues.md"
# A failing worker is found out within this many seconds; a working one answers in about one.
ANSWER_TIMEOUT = 60.0  # a worker on a loaded machine can take half a minute to start
STOP_TIMEOUT = 30.0

WORKER_APP = """\
from celery import Celery

from webhook_payloads import from_json, to_json

app = Celery("queues_test", include=["tasks"])
app.config_from_object("celeryconfig")


@app.task
def echo(data: bytes) -> str:
    # What the worker made of the data, written again for the test to compare.
    return to_json(from_json(data)).decode()
"""


def documented_task() -> str:
    """The ``# tasks.py`` block of docs/queues.md, as a user would save it."""
    blocks = re.findall(r"```python\n(# tasks\.py\n.*?)```", DOCS.read_text(), flags=re.DOTALL)
    assert len(blocks) == 1, "docs/queues.md should show one tasks.py"
    return str(blocks[0])


def config(folder: Path) -> dict[str, Any]:
    queue = folder / "queue"
    processed = folder / "processed"
    results = folder / "results"
    for path in (queue, processed, results):
        path.mkdir(exist_ok=True)
    return {
        "broker_url": "filesystem://",
        "broker_transport_options": {
            "data_folder_in": str(queue),
            "data_folder_out": str(queue),
            "processed_folder": str(processed),
            "polling_interval": 0.05,
        },
        "result_backend": f"file://{results}",
        "broker_connection_retry_on_startup": False,
        "worker_hijack_root_logger": False,
    }


@pytest.fixture
def worker(tmp_path: Path) -> Iterator[Celery]:
    """A Celery worker process on a filesystem broker; yields the app to send tasks with."""
    settings = config(tmp_path)
    (tmp_path / "celeryconfig.py").write_text(
        "".join(f"{name} = {value!r}\n" for name, value in settings.items())
    )
    (tmp_path / "tasks.py").write_text(documented_task())
    (tmp_path / "worker_app.py").write_text(WORKER_APP)
    log = tmp_path / "worker.log"
    paths = [str(tmp_path), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    command = [
        sys.executable,
        "-m",
        "celery",
        "--app",
        "worker_app",
        "worker",
        "--pool",
        "solo",
        "--without-heartbeat",
        "--without-gossip",
        "--without-mingle",
        "--loglevel",
        "WARNING",
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=tmp_path, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    app = Celery("queues_test_client", set_as_current=False)
    app.conf.update(settings)
    try:
        yield app
    finally:
        app.close()
        # SIGTERM is Celery's warm shutdown: the worker finishes its task and exits. It
        # notices between two polls of the broker, up to a few seconds later.
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT)
    assert process.returncode == 0, f"the worker did not stop cleanly; its log:\n{log.read_text()}"


def events() -> list[WebhookEvent | UnknownEvent]:
    found: list[WebhookEvent | UnknownEvent] = [
        parse(p, sample_body(p, sample_names(p)[0]), verify=False) for p in providers()
    ]
    found.append(parse("payscore", b'{"code": "NEW", "n": 1}', verify=False, allow_unknown=True))
    return found


def answer(app: Celery, task: str, data: object, log: Path) -> Any:
    result = app.send_task(task, args=[data])
    try:
        return result.get(timeout=ANSWER_TIMEOUT, interval=0.05)
    except Exception:  # a timeout or the task's own error: show what the worker said
        print(textwrap.indent(log.read_text(), "worker| "))  # noqa: T201
        raise


def test_the_documented_task_runs_in_a_worker(worker: Celery, tmp_path: Path) -> None:
    log = tmp_path / "worker.log"
    for event in events():
        # As the documented receiver sends it: to_json(event).decode().
        key = answer(worker, "tasks.handle_webhook", to_json(event).decode(), log)
        assert key == event.idempotency_key
    # The worker's own from_json gave back equal events, bytes on the wire as well as text.
    for event in events():
        echoed = answer(worker, "worker_app.echo", to_json(event), log)
        assert from_json(echoed) == event
