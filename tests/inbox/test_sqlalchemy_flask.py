"""Flask with an inbox on SQLAlchemy: every answer, the rows, replay and prune commands."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask import Flask, current_app
from sqlalchemy import delete, insert, select

from webhook_payloads import WebhookEvent
from webhook_payloads.exceptions import ConfigurationError, SignatureError
from webhook_payloads.integrations.flask import init_inbox, webhook_handler
from webhook_payloads.integrations.sqlalchemy import Inbox, deliveries

from ..integrations._kit import SECRET, malformed, signed, tampered, unknown
from ._sqla import engine, notes
from .conftest import POSTGRES_MISSING, POSTGRES_URL


class Hooks:
    """A Flask app with an inbox, its handler's calls, and a switch to make it fail."""

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox
        self.calls: list[WebhookEvent] = []
        self.fail: Exception | None = None
        self.app = Flask(f"hooks_{uuid.uuid4().hex}")
        # A name of its own per app: each test declares the receiver again.
        name = f"tests.hooks.payscore.{uuid.uuid4().hex}"

        @self.app.post("/hooks/payscore")
        @webhook_handler("payscore", secret=SECRET, inbox=inbox, name=name)
        def payscore_hook(event: WebhookEvent) -> None:
            self.calls.append(event)
            inbox.connection().execute(insert(notes).values(name=str(event.idempotency_key)))
            if self.fail is not None:
                raise self.fail

        @self.app.post("/hooks/<tenant>/payscore")
        @webhook_handler("payscore", secret=SECRET, inbox=inbox, name=f"{name}.tenant")
        def tenant_hook(event: WebhookEvent, tenant: str) -> None:
            raise AssertionError("never called")

        init_inbox(self.app, inbox)

    def post(self, request: tuple[bytes, dict[str, str]], url: str = "/hooks/payscore") -> Any:
        body, headers = request
        return self.app.test_client().post(url, data=body, headers=headers)

    def rows(self) -> list[Any]:
        with self.inbox.engine.connect() as connection:
            return list(connection.execute(select(deliveries).order_by(deliveries.c.id)))

    def notes(self) -> list[str]:
        with self.inbox.engine.connect() as connection:
            return list(connection.execute(select(notes.c.name)).scalars())


@pytest.fixture(params=["sqlite", "postgresql"])
def hooks(request: pytest.FixtureRequest) -> Hooks:
    if request.param == "postgresql" and POSTGRES_URL is None:
        pytest.skip(f"no PostgreSQL: {POSTGRES_MISSING}")
    made = engine(request.param, POSTGRES_URL)
    with made.begin() as connection:
        connection.execute(delete(deliveries))
        connection.execute(delete(notes))
    return Hooks(Inbox(made))


def test_a_delivery_is_kept_and_processed_once(hooks: Hooks) -> None:
    request = signed("payscore", "REPORT_READY")
    assert hooks.post(request).status_code == 200
    assert hooks.post(request).status_code == 200  # the provider sent it again
    assert len(hooks.calls) == 1
    (row,) = hooks.rows()
    assert (row.status, row.attempts, row.event_type) == ("processed", 1, "REPORT_READY")
    assert row.body == request[0]
    assert dict(row.headers) == {"Verification-Signature": request[1]["Verification-Signature"]}
    assert row.processed_at is not None
    assert hooks.notes() == [str(hooks.calls[0].idempotency_key)]


def test_a_failing_handler_leaves_a_failed_row_and_replay_processes_it(hooks: Hooks) -> None:
    hooks.fail = RuntimeError("the report service is down for jane@example.com")
    request = signed("payscore", "REPORT_READY")
    assert hooks.post(request).status_code == 500
    (row,) = hooks.rows()
    assert (row.status, row.attempts, row.last_error_type) == ("failed", 1, "RuntimeError")
    assert "jane@example.com" not in row.last_error_message
    assert hooks.notes() == []  # the handler's own write rolled back with it

    hooks.fail = None
    runner = hooks.app.test_cli_runner()
    done = runner.invoke(args=["webhooks", "replay"])
    assert done.exit_code == 0, done.output
    assert done.stdout == "1 selected: 1 processed, 0 failed, 0 invalid, 0 skipped\n"
    assert "replay: 1/1 rows" in done.stderr
    (row,) = hooks.rows()
    assert (row.status, row.attempts) == ("processed", 2)
    assert len(hooks.notes()) == 1
    # Safe to run twice: nothing left to do.
    again = runner.invoke(args=["webhooks", "replay"])
    assert again.stdout == "0 selected: 0 processed, 0 failed, 0 invalid, 0 skipped\n"
    assert len(hooks.calls) == 2


def test_replay_that_fails_again_exits_1(hooks: Hooks) -> None:
    hooks.fail = RuntimeError("down")
    hooks.post(signed("payscore", "REPORT_READY"))
    done = hooks.app.test_cli_runner().invoke(args=["webhooks", "replay", "--status", "failed"])
    assert done.exit_code == 1
    assert done.stdout == "1 selected: 0 processed, 1 failed, 0 invalid, 0 skipped\n"


def test_a_webhook_error_from_the_handler_is_answered_with_its_status(hooks: Hooks) -> None:
    hooks.fail = SignatureError("not ours after all", provider="payscore", reason="mismatch")
    assert hooks.post(signed("payscore", "REPORT_READY")).status_code == 401
    (row,) = hooks.rows()
    assert row.status == "failed"


@pytest.mark.parametrize("bad", [unknown, malformed], ids=["unknown-event", "not-json"])
def test_an_authentic_invalid_body_is_a_row_invalid_answered_202(hooks: Hooks, bad: Any) -> None:
    request = bad("payscore")
    assert hooks.post(request).status_code == 202
    (row,) = hooks.rows()
    assert row.status == "invalid"
    assert row.body == request[0]
    assert hooks.calls == []


def test_forged_requests_leave_no_row(hooks: Hooks) -> None:
    assert hooks.post(tampered("payscore")).status_code == 401
    body, headers = signed("payscore", "REPORT_READY")
    assert hooks.post((body, {**headers, "Verification-Signature": "00" * 32})).status_code == 401
    assert hooks.rows() == []


def test_route_variables_are_refused_with_an_inbox(hooks: Hooks) -> None:
    answer = hooks.post(signed("payscore", "REPORT_READY"), "/hooks/acme/payscore")
    assert answer.status_code == 500
    assert hooks.rows() == []


def test_a_get_is_refused(hooks: Hooks) -> None:
    assert hooks.app.test_client().get("/hooks/payscore").status_code == 405


def test_prune_deletes_old_rows(hooks: Hooks) -> None:
    hooks.post(signed("payscore", "REPORT_READY"))
    runner = hooks.app.test_cli_runner()
    kept = runner.invoke(args=["webhooks", "prune", "--older-than", "30"])
    assert kept.stdout == "0 rows received more than 30 days ago deleted\n"
    gone = runner.invoke(args=["webhooks", "prune", "--older-than", "0"])
    assert gone.exit_code == 0
    assert gone.stdout == "1 rows received more than 0 days ago deleted\n"
    assert hooks.rows() == []
    refused = runner.invoke(args=["webhooks", "prune", "--older-than", "-1"])
    assert refused.exit_code == 2


def test_an_async_handler_runs_once(hooks: Hooks) -> None:
    app = Flask("async_hooks")
    calls: list[str] = []

    @app.post("/hooks")
    @webhook_handler("payscore", secret=SECRET, inbox=hooks.inbox, name=uuid.uuid4().hex)
    async def hook(event: WebhookEvent) -> None:
        calls.append(event.event_type)

    request = signed("payscore", "REPORT_READY")
    for _ in range(2):
        assert (
            app.test_client().post("/hooks", data=request[0], headers=request[1]).status_code == 200
        )
    assert calls == ["REPORT_READY"]


class _AsyncCallable:
    """A handler object whose ``__call__`` is an ``async def``."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def __call__(self, event: WebhookEvent) -> None:
        self.calls.append(event.event_type)


def test_an_object_with_an_async_call_runs_once(hooks: Hooks) -> None:
    app = Flask("async_object_hooks")
    handler = _AsyncCallable()
    app.post("/hooks")(
        webhook_handler("payscore", secret=SECRET, inbox=hooks.inbox, name=uuid.uuid4().hex)(
            handler
        )
    )
    request = signed("payscore", "REPORT_READY")
    for _ in range(2):
        answer = app.test_client().post("/hooks", data=request[0], headers=request[1])
        assert answer.status_code == 200
    assert handler.calls == ["REPORT_READY"]
    assert [row.status for row in hooks.rows()] == ["processed"]


def test_inbox_and_on_invalid_together_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="on_invalid and inbox"):

        @webhook_handler(
            "payscore", secret=SECRET, inbox=Inbox(engine("sqlite")), on_invalid=lambda d: None
        )
        def hook(event: WebhookEvent) -> None: ...


def test_replay_runs_in_the_app_context_and_selects_by_time(hooks: Hooks) -> None:
    seen: list[str] = []
    app = hooks.app

    @app.post("/hooks/context")
    @webhook_handler("payscore", inbox=hooks.inbox, name=uuid.uuid4().hex)
    def context_hook(event: WebhookEvent) -> tuple[str, int]:
        seen.append(current_app.name)  # the app's context, in a request and in replay
        if len(seen) == 1:
            raise RuntimeError("down")
        return "done", 201

    app.config["WEBHOOK_PAYLOADS_SECRETS"] = {"payscore": SECRET}
    body, headers = signed("payscore", "REPORT_READY")
    assert app.test_client().post("/hooks/context", data=body, headers=headers).status_code == 500
    runner = app.test_cli_runner()
    later = runner.invoke(args=["webhooks", "replay", "--since", "2999-01-01"])
    assert later.stdout.startswith("0 selected")
    bad = runner.invoke(args=["webhooks", "replay", "--since", "yesterday"])
    assert bad.exit_code == 2
    assert "not an ISO 8601 time" in bad.output
    done = runner.invoke(args=["webhooks", "replay", "--since", "2000-01-01"])
    assert done.stdout.startswith("1 selected: 1 processed"), done.output
    assert seen == [app.name, app.name]


def test_what_the_handler_returns_is_the_answer(hooks: Hooks) -> None:
    app = Flask("answers")

    @app.post("/hooks")
    @webhook_handler("payscore", secret=SECRET, inbox=hooks.inbox, name=uuid.uuid4().hex)
    def hook(event: WebhookEvent) -> tuple[str, int]:
        return "made", 201

    body, headers = signed("payscore", "REPORT_READY")
    first = app.test_client().post("/hooks", data=body, headers=headers)
    assert (first.status_code, first.text) == (201, "made")
    repeat = app.test_client().post("/hooks", data=body, headers=headers)
    assert (repeat.status_code, repeat.text) == (200, "")


def test_later_processing_answers_202_and_hands_over_the_row(hooks: Hooks) -> None:
    app = Flask("later")
    queued: list[int] = []
    calls: list[str] = []

    @app.post("/hooks")
    @webhook_handler(
        "payscore", secret=SECRET, inbox=hooks.inbox, defer=queued.append, name=uuid.uuid4().hex
    )
    def hook(event: WebhookEvent) -> tuple[str, int]:
        calls.append(event.event_type)
        return "made", 201

    body, headers = signed("payscore", "REPORT_READY")
    client = app.test_client()
    stored = client.post("/hooks", data=body, headers=headers)
    assert (stored.status_code, stored.text) == (202, "")
    (row,) = hooks.rows()
    assert (row.status, row.attempts) == ("received", 0)
    assert (queued, calls) == ([row.id], [])

    again = client.post("/hooks", data=body, headers=headers)  # still waiting: queued again
    assert again.status_code == 202
    assert queued == [row.id, row.id]

    first, second = hooks.inbox.process(row.id), hooks.inbox.process(row.id)  # two copies
    assert (first.ran, first.status, second.ran) == (True, 200, False)
    assert calls == ["REPORT_READY"]
    assert [(row.status, row.attempts) for row in hooks.rows()] == [("processed", 1)]
    assert client.post("/hooks", data=body, headers=headers).status_code == 200
    assert queued == [row.id, row.id]


def test_later_processing_keeps_invalid_bodies_without_queueing_them(hooks: Hooks) -> None:
    queued: list[int] = []
    app = Flask("later_invalid")

    @app.post("/hooks")
    @webhook_handler(
        "payscore", secret=SECRET, inbox=hooks.inbox, defer=queued.append, name=uuid.uuid4().hex
    )
    def hook(event: WebhookEvent) -> None:
        raise AssertionError("never called")  # pragma: no cover

    body, headers = unknown("payscore")
    assert app.test_client().post("/hooks", data=body, headers=headers).status_code == 202
    assert [row.status for row in hooks.rows()] == ["invalid"]
    assert queued == []


def test_a_failing_queue_answers_500_and_keeps_the_row(hooks: Hooks) -> None:
    app = Flask("broker_down")

    def broker_down(row_id: int) -> None:
        raise ConnectionError("the broker is down")

    @app.post("/hooks")
    @webhook_handler(
        "payscore", secret=SECRET, inbox=hooks.inbox, defer=broker_down, name=uuid.uuid4().hex
    )
    def hook(event: WebhookEvent) -> None:
        raise AssertionError("never called")  # pragma: no cover

    body, headers = signed("payscore", "REPORT_READY")
    assert app.test_client().post("/hooks", data=body, headers=headers).status_code == 500
    assert [row.status for row in hooks.rows()] == ["received"]  # replay --status received


def test_defer_needs_an_inbox_and_a_function() -> None:
    with pytest.raises(ConfigurationError, match="defer needs inbox="):
        webhook_handler("payscore", secret=SECRET, defer=print)
    with pytest.raises(ConfigurationError, match="defer must be a function of a row id"):
        webhook_handler(
            "payscore",
            secret=SECRET,
            inbox=Inbox(engine("sqlite")),
            defer=1,  # type: ignore[call-overload]
        )
