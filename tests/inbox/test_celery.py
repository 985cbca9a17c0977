"""Later processing: ``defer=`` queues the row, a real Celery worker processes it once.

The worker runs the app's task ``webhook_payloads.process_delivery`` (found by Celery's
autodiscovery in the installed app) in a small Django project on the test's database, with
a thread pool so that copies of the task run at the same time; the broker is kombu's
filesystem transport under a temporary directory (no network), as in the Celery recipe's
test. The view in this process queues each row three times (a queue delivers at least
once): one copy processes it, the others find it held or processed. Every wait is bounded.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("celery")

from celery import Celery
from django.http import HttpRequest
from django.test import Client, RequestFactory, override_settings
from django.urls import path

from webhook_payloads.integrations.django import webhook_view
from webhook_payloads.integrations.django.inbox import Inbox
from webhook_payloads.integrations.django.models import Delivery
from webhook_payloads.integrations.django.tasks import process_delivery
from webhook_payloads.testing import RequestBuilder

from .conftest import DATABASES, POSTGRES_MISSING, POSTGRES_URL

SECRET = "a1b2c3d4" * 8
ANSWER_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
COPIES = 3

SETTINGS = """\
SECRET_KEY = "django-test-only"
USE_TZ = True
ROOT_URLCONF = "hooks"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "webhook_payloads.integrations.django",
]
DATABASES = {databases}
WEBHOOK_PAYLOADS_SECRETS = {{"payscore": {secret!r}}}
"""

HOOKS = """\
import os

from django.urls import path

from webhook_payloads.integrations.django import webhook_view


@webhook_view("payscore", inbox=True, name="celery-test")
def payscore(request, event):
    descriptor = os.open(os.environ["TEST_CALLS_FILE"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(descriptor, f"{event.idempotency_key}\\n".encode())
    finally:
        os.close(descriptor)


urlpatterns = [path("hooks/payscore/", payscore)]
"""

WORKER_APP = """\
import django
from celery import Celery

django.setup()
app = Celery("inbox_test")
app.config_from_object("celeryconfig")
app.autodiscover_tasks()
"""


def config(folder: Path) -> dict[str, Any]:
    queue, processed, results = folder / "queue", folder / "processed", folder / "results"
    for where in (queue, processed, results):
        where.mkdir(exist_ok=True)
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


QUEUE: list[Celery] = []
SENT: list[Any] = []


def queue_three_times(row_id: int) -> None:
    SENT.extend(
        QUEUE[0].send_task("webhook_payloads.process_delivery", args=[row_id])
        for _ in range(COPIES)
    )


VIEWS: dict[str, Any] = {}
for _alias in ("default", "postgres"):

    @webhook_view(
        "payscore",
        secret=SECRET,
        inbox=Inbox(using=_alias),
        defer=queue_three_times,
        name=f"celery-test-{_alias}",
    )
    def _later(request: HttpRequest, event: Any) -> None:
        raise AssertionError("processed in the worker, not here")  # pragma: no cover

    VIEWS[_alias] = _later

urlpatterns = [path(f"{alias}/", view) for alias, view in VIEWS.items()]


POSTGRES_MARKS = (
    [] if POSTGRES_URL else [pytest.mark.skip(reason=f"no PostgreSQL: {POSTGRES_MISSING}")]
)


@contextmanager
def running_worker(
    folder: Path, databases: dict[str, Any], receiver: str
) -> Iterator[tuple[Celery, Path, Path]]:
    """A worker on ``databases`` whose receiver is named ``receiver``; a client app for it."""
    settings = config(folder)
    (folder / "celeryconfig.py").write_text(
        "".join(f"{name} = {value!r}\n" for name, value in settings.items())
    )
    (folder / "test_settings.py").write_text(
        SETTINGS.format(databases=repr(databases), secret=SECRET)
    )
    # The worker's receiver has the name this process's view stores rows under.
    (folder / "hooks.py").write_text(HOOKS.replace("celery-test", receiver))
    (folder / "worker_app.py").write_text(WORKER_APP)
    calls, log = folder / "calls.txt", folder / "worker.log"
    paths = [str(folder), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(paths),
        "DJANGO_SETTINGS_MODULE": "test_settings",
        "TEST_CALLS_FILE": str(calls),
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "--app",
        "worker_app",
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
        process = subprocess.Popen(
            command, cwd=folder, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    app = Celery("inbox_test_client", set_as_current=False)
    app.conf.update(settings)
    try:
        yield app, calls, log
    finally:
        app.close()
        process.send_signal(signal.SIGTERM)  # warm shutdown: running tasks finish first
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:  # pragma: no cover - a stuck worker
            process.kill()
            process.wait(timeout=STOP_TIMEOUT)
    assert process.returncode == 0, f"the worker did not stop cleanly:\n{log.read_text()}"


@pytest.fixture(
    params=[
        pytest.param("default", id="sqlite"),
        pytest.param("postgres", id="postgresql", marks=POSTGRES_MARKS),
    ]
)
def worker(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    alias: str = request.param
    databases = {"default": DATABASES[alias]}
    Delivery.objects.using(alias).all().delete()
    try:
        with running_worker(tmp_path, databases, f"celery-test-{alias}") as (app, calls, log):
            QUEUE[:] = [app]
            SENT.clear()
            yield alias, calls, log
    finally:
        Delivery.objects.using(alias).all().delete()


def test_a_deferred_delivery_is_processed_once_by_a_real_worker(
    worker: tuple[str, Path, Path],
) -> None:
    alias, calls, log = worker
    body, headers = RequestBuilder(secret=SECRET)("payscore", "REPORT_READY")

    with override_settings(ROOT_URLCONF=__name__, MIDDLEWARE=[]):
        response = Client().post(
            f"/{alias}/", data=body, content_type="application/json", headers=headers
        )

    assert response.status_code == 202
    [row] = Delivery.objects.using(alias).all()
    assert row.status == "received"
    try:
        answers: list[str] = [r.get(timeout=ANSWER_TIMEOUT, interval=0.05) for r in SENT]
    except Exception:  # a timeout or the task's own error: show what the worker said
        print(textwrap.indent(log.read_text(), "worker| "))  # noqa: T201
        raise
    print(f"\n{alias}: {COPIES} copies of the task, answers {sorted(answers)}")  # noqa: T201
    assert sorted(answers) == ["processed"] + ["skipped"] * (COPIES - 1)
    assert calls.read_text().splitlines() == [row.idempotency_key]
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("processed", 1)


def _send(view: Any, alias: str) -> Delivery:
    """Post one signed delivery to ``view``; the row it kept in ``alias`` (answered 202)."""
    body, headers = RequestBuilder(secret=SECRET)("payscore", "REPORT_READY")
    request = RequestFactory().post(
        "/later/", data=body, content_type="application/json", headers=headers
    )
    assert view(request).status_code == 202
    [row] = Delivery.objects.using(alias).all()
    return row


@pytest.mark.parametrize(
    "alias",
    [
        pytest.param("default", id="sqlite"),
        pytest.param("postgres", id="postgresql", marks=POSTGRES_MARKS),
    ],
)
def test_the_shipped_task_is_queued_with_the_database_the_row_is_in(alias: str) -> None:
    app = Celery("inbox_test_eager", set_as_current=False)
    app.conf.task_always_eager = True  # delay() runs the task in this process, at once
    task = app.tasks[process_delivery.name]  # the shared task, bound to this app
    sent: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    class Spy:
        """The task, noting what its ``delay`` is given."""

        name = task.name

        def delay(self, *args: Any, **kwargs: Any) -> Any:
            sent.append((args, kwargs))
            return task.delay(*args, **kwargs)

    calls: list[str] = []

    @webhook_view(
        "payscore",
        secret=SECRET,
        inbox=Inbox(using=alias),
        defer=Spy().delay,
        name=f"eager-{alias}",
    )
    def later(request: HttpRequest, event: Any) -> None:
        calls.append(event.idempotency_key)

    Delivery.objects.using(alias).all().delete()
    try:
        row = _send(later, alias)
        assert sent == [((row.pk,), {"using": alias})]
        row.refresh_from_db()
        assert (row.status, row.attempts) == ("processed", 1)
        assert calls == [row.idempotency_key]
    finally:
        Delivery.objects.using(alias).all().delete()


@pytest.mark.skipif(not POSTGRES_URL, reason=f"no PostgreSQL: {POSTGRES_MISSING}")
def test_a_real_worker_processes_a_row_kept_in_another_database(tmp_path: Path) -> None:
    # The worker's project has both databases, and its routers choose the default one
    # (SQLite); the view keeps its rows in the other one, as Inbox(using="postgres").
    databases = {"default": DATABASES["default"], "postgres": DATABASES["postgres"]}
    name = "celery-test-other-database"
    Delivery.objects.using("postgres").all().delete()
    try:
        with running_worker(tmp_path, databases, name) as (app, calls, log):
            task = app.tasks[process_delivery.name]  # the shared task, bound to this app

            @webhook_view(
                "payscore",
                secret=SECRET,
                inbox=Inbox(using="postgres"),
                defer=task.delay,  # as the docs show it: the view adds the alias
                name=name,
            )
            def later(request: HttpRequest, event: Any) -> None:
                raise AssertionError("processed in the worker, not here")  # pragma: no cover

            row = _send(later, "postgres")
            deadline = time.monotonic() + ANSWER_TIMEOUT
            while row.status == "received" and time.monotonic() < deadline:
                time.sleep(0.05)
                row.refresh_from_db()
            if row.status != "processed":
                print(textwrap.indent(log.read_text(), "worker| "))  # noqa: T201
            assert (row.status, row.attempts) == ("processed", 1)
            assert calls.read_text().splitlines() == [row.idempotency_key]
    finally:
        Delivery.objects.using("postgres").all().delete()
