"""FastAPI with an inbox on SQLAlchemy: the dependency records, calls the handler once, marks.

No "from __future__ import annotations" here: FastAPI resolves the endpoints' annotations at run
time, and the dependencies they name are local variables.
"""

import functools
import threading
import uuid
from typing import Annotated, Any

import pytest

pytest.importorskip("fastapi.testclient", exc_type=ImportError)

from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import delete, insert, select

from webhook_payloads import ConfigurationError, SignatureError, WebhookEvent
from webhook_payloads.integrations.fastapi import webhook_event
from webhook_payloads.integrations.sqlalchemy import Inbox, deliveries

from ..integrations._kit import SECRET, malformed, signed, tampered, unknown
from ._sqla import engine, notes
from .conftest import POSTGRES_MISSING, POSTGRES_URL


class Hooks:
    """A FastAPI app with an inbox, its handler's calls, and switches for the handler."""

    def __init__(self, inbox: Inbox, secret: Any = SECRET) -> None:
        self.inbox = inbox
        self.calls: list[WebhookEvent] = []
        self.endpoint_runs = 0
        self.fail: Exception | None = None
        self.hold: threading.Event | None = None
        self.app = FastAPI()
        payscore_event = webhook_event(
            "payscore", secret=secret, inbox=inbox, name=f"tests.fastapi.{uuid.uuid4().hex}"
        )

        @payscore_event.handler
        def handle(event: WebhookEvent) -> None:
            self.calls.append(event)
            inbox.connection().execute(insert(notes).values(name=str(event.idempotency_key)))
            if self.hold is not None:
                self.hold.wait(10)
            if self.fail is not None:
                raise self.fail

        @self.app.post("/hooks/payscore", status_code=200)
        def payscore_hook(
            event: Annotated[WebhookEvent, Depends(payscore_event)],
        ) -> dict[str, str]:
            self.endpoint_runs += 1
            return {"event_type": event.event_type}

        @self.app.get("/ping")
        async def ping() -> str:
            return "pong"

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


def post(client: TestClient, request: tuple[bytes, dict[str, str]]) -> Any:
    body, headers = request
    return client.post("/hooks/payscore", content=body, headers=headers)


def test_a_delivery_is_processed_once_and_every_copy_answered(hooks: Hooks) -> None:
    client = TestClient(hooks.app)
    request = signed("payscore", "REPORT_READY")
    first, repeat = post(client, request), post(client, request)
    assert (first.status_code, repeat.status_code) == (200, 200)
    assert first.json() == repeat.json() == {"event_type": "REPORT_READY"}
    assert len(hooks.calls) == 1
    assert hooks.endpoint_runs == 2  # the endpoint only answers
    (row,) = hooks.rows()
    assert (row.status, row.attempts) == ("processed", 1)
    assert hooks.notes() == [str(hooks.calls[0].idempotency_key)]


def test_a_failing_handler_is_a_failed_row_and_500(hooks: Hooks) -> None:
    hooks.fail = RuntimeError("down")
    answer = post(TestClient(hooks.app), signed("payscore", "REPORT_READY"))
    assert answer.status_code == 500
    assert answer.json() == {"detail": "webhook handler failed"}
    assert hooks.endpoint_runs == 0
    (row,) = hooks.rows()
    assert (row.status, row.last_error_type) == ("failed", "RuntimeError")
    assert hooks.notes() == []

    hooks.fail = None
    summary = hooks.inbox.replay()
    assert (summary.selected, summary.processed) == (1, 1)
    assert [row.status for row in hooks.rows()] == ["processed"]


def test_a_replay_where_the_secret_function_raises_parses_the_stored_bytes(hooks: Hooks) -> None:
    # A worker or a shell without the environment variable: the function raises KeyError. The
    # bytes were verified when they came in, so the replay goes on as where no secret is set.
    environment = {"PAYSCORE_WEBHOOK_SECRET": SECRET}
    reading = Hooks(hooks.inbox, secret=lambda: environment["PAYSCORE_WEBHOOK_SECRET"])
    reading.fail = RuntimeError("down")
    assert post(TestClient(reading.app), signed("payscore", "REPORT_READY")).status_code == 500
    del environment["PAYSCORE_WEBHOOK_SECRET"]
    reading.fail = None
    summary = reading.inbox.replay()
    assert (summary.selected, summary.processed, summary.failed) == (1, 1, 0)
    assert [event.event_type for event in reading.calls] == ["REPORT_READY", "REPORT_READY"]
    answer = post(TestClient(reading.app), signed("payscore", "VERIFICATION_STARTED"))
    assert (answer.status_code, answer.json()) == (
        500,
        {"detail": "webhook receiver misconfigured"},
    )


def test_a_webhook_error_from_the_handler_is_answered_with_its_status(hooks: Hooks) -> None:
    hooks.fail = SignatureError("not ours", provider="payscore", reason="mismatch")
    assert post(TestClient(hooks.app), signed("payscore", "REPORT_READY")).status_code == 401


@pytest.mark.parametrize("bad", [unknown, malformed], ids=["unknown-event", "not-json"])
def test_an_authentic_invalid_body_is_kept_and_answered_202(hooks: Hooks, bad: Any) -> None:
    request = bad("payscore")
    assert post(TestClient(hooks.app), request).status_code == 202
    (row,) = hooks.rows()
    assert (row.status, row.body) == ("invalid", request[0])
    assert hooks.endpoint_runs == 0


def test_forged_requests_leave_no_row(hooks: Hooks) -> None:
    assert post(TestClient(hooks.app), tampered("payscore")).status_code == 401
    assert hooks.rows() == []


def test_the_event_loop_runs_on_while_a_handler_holds_its_row(hooks: Hooks) -> None:
    hooks.hold = threading.Event()
    answers: list[int] = []
    with TestClient(hooks.app) as client:  # one event loop for every request
        delivery = threading.Thread(
            target=lambda: answers.append(
                post(client, signed("payscore", "REPORT_READY")).status_code
            )
        )
        delivery.start()
        for _ in range(100):  # until the handler runs (and holds the row)
            if hooks.calls:
                break
            threading.Event().wait(0.05)
        assert hooks.calls
        # The flow waits in a worker thread: the loop still answers other requests.
        assert client.get("/ping").json() == "pong"
        assert answers == []
        hooks.hold.set()
        delivery.join(10)
    assert answers == [200]


def _one_route(dependency: Any) -> TestClient:
    """A client for an app whose one endpoint, ``POST /hooks``, takes ``dependency``."""
    app = FastAPI()

    @app.post("/hooks")
    def hook(event: Annotated[WebhookEvent, Depends(dependency)]) -> None:
        pass

    return TestClient(app)


def test_an_async_handler_runs_on_the_loop_once_and_replays_without_one(hooks: Hooks) -> None:
    calls: list[str] = []
    down = [True]
    dependency = webhook_event("payscore", secret=SECRET, inbox=hooks.inbox, name=uuid.uuid4().hex)

    @dependency.handler
    async def handle(event: WebhookEvent) -> None:
        calls.append(event.event_type)
        if down[0]:
            raise ConnectionError("the report service is down")

    client = _one_route(dependency)
    body, headers = signed("payscore", "REPORT_READY")
    assert client.post("/hooks", content=body, headers=headers).status_code == 500
    down[0] = False
    assert client.post("/hooks", content=body, headers=headers).status_code == 200
    assert client.post("/hooks", content=body, headers=headers).status_code == 200
    assert calls == ["REPORT_READY", "REPORT_READY"]
    # Replay runs outside any event loop: the async handler gets one of its own.
    other = signed("payscore", "REPORT_READY", report_id=str(uuid.uuid4()))
    down[0] = True
    assert client.post("/hooks", content=other[0], headers=other[1]).status_code == 500
    down[0] = False
    summary = hooks.inbox.replay(status="failed")
    assert (summary.selected, summary.processed) == (1, 1)
    assert len(calls) == 4


def test_an_async_handler_under_a_plain_decorator_is_never_marked_processed(
    hooks: Hooks,
) -> None:
    # functools.wraps around "return handler(event)" hides the async def: what the wrapper
    # returns is a coroutine that never ran, so the row is failed and the answer 500.
    calls: list[str] = []
    dependency = webhook_event("payscore", secret=SECRET, inbox=hooks.inbox, name=uuid.uuid4().hex)

    async def handle(event: WebhookEvent) -> None:
        calls.append(event.event_type)

    @functools.wraps(handle)
    def traced(event: WebhookEvent) -> Any:
        return handle(event)

    dependency.handler(traced)
    client = _one_route(dependency)
    body, headers = signed("payscore", "REPORT_READY")
    assert client.post("/hooks", content=body, headers=headers).status_code == 500
    assert client.post("/hooks", content=body, headers=headers).status_code == 500
    assert calls == []
    assert [row.status for row in hooks.rows()] == ["failed"]


def test_a_dependency_with_an_inbox_needs_its_handler(hooks: Hooks) -> None:
    app = FastAPI()
    dependency = webhook_event("payscore", secret=SECRET, inbox=hooks.inbox, name=uuid.uuid4().hex)

    @app.post("/hooks")
    def hook(event: Annotated[WebhookEvent, Depends(dependency)]) -> None:
        pass

    body, headers = signed("payscore", "REPORT_READY")
    assert TestClient(app).post("/hooks", content=body, headers=headers).status_code == 500
    assert hooks.rows() == []

    dependency.handler(lambda event: None)
    with pytest.raises(ConfigurationError, match="has its handler already"):
        dependency.handler(lambda event: None)


def test_handler_needs_an_inbox() -> None:
    dependency = webhook_event("payscore", secret=SECRET)
    with pytest.raises(ConfigurationError, match="with an inbox"):
        dependency.handler(lambda event: None)


def test_later_processing_answers_202_and_hands_over_the_row(hooks: Hooks) -> None:
    app = FastAPI()
    queued: list[int] = []
    calls: list[str] = []
    runs: list[str] = []
    later = webhook_event(
        "payscore", secret=SECRET, inbox=hooks.inbox, defer=queued.append, name=uuid.uuid4().hex
    )

    @later.handler
    async def handle(event: WebhookEvent) -> None:
        calls.append(event.event_type)

    @app.post("/hooks")
    def hook(event: Annotated[WebhookEvent, Depends(later)]) -> dict[str, str]:
        runs.append(event.event_type)
        return {"seen": event.event_type}

    client = TestClient(app)
    body, headers = signed("payscore", "REPORT_READY")
    stored = client.post("/hooks", content=body, headers=headers)
    assert (stored.status_code, stored.json()) == (202, {"detail": "webhook kept for replay"})
    (row,) = hooks.rows()
    assert (row.status, row.attempts) == ("received", 0)
    assert (queued, calls, runs) == ([row.id], [], [])

    assert client.post("/hooks", content=body, headers=headers).status_code == 202
    assert queued == [row.id, row.id]  # still waiting: handed over again

    # The worker: no event loop in its thread, so the async handler gets one of its own.
    first, second = hooks.inbox.process(row.id), hooks.inbox.process(row.id)
    assert (first.ran, first.status, second.ran) == (True, 200, False)
    assert calls == ["REPORT_READY"]
    assert [(row.status, row.attempts) for row in hooks.rows()] == [("processed", 1)]
    repeat = client.post("/hooks", content=body, headers=headers)
    assert (repeat.status_code, repeat.json()) == (200, {"seen": "REPORT_READY"})
    assert queued == [row.id, row.id]
    assert runs == ["REPORT_READY"]


def test_a_failing_queue_answers_500_and_keeps_the_row(hooks: Hooks) -> None:
    app = FastAPI()

    def broker_down(row_id: int) -> None:
        raise ConnectionError("the broker is down")

    later = webhook_event(
        "payscore", secret=SECRET, inbox=hooks.inbox, defer=broker_down, name=uuid.uuid4().hex
    )
    later.handler(lambda event: None)

    @app.post("/hooks")
    def hook(event: Annotated[WebhookEvent, Depends(later)]) -> None:
        raise AssertionError("never called")  # pragma: no cover

    body, headers = signed("payscore", "REPORT_READY")
    client = TestClient(app, raise_server_exceptions=False)
    assert client.post("/hooks", content=body, headers=headers).status_code == 500
    assert [row.status for row in hooks.rows()] == ["received"]


def test_the_openapi_document_says_why_a_deferred_route_answers_202(hooks: Hooks) -> None:
    from webhook_payloads.integrations.fastapi import document_webhooks

    app = FastAPI()
    later = webhook_event(
        "payscore", secret=SECRET, inbox=hooks.inbox, defer=print, name=uuid.uuid4().hex
    )

    @app.post("/hooks")
    def hook(event: Annotated[WebhookEvent, Depends(later)]) -> None:
        pass

    document_webhooks(app)
    accepted = app.openapi()["paths"]["/hooks"]["post"]["responses"]["202"]
    assert "stored for a worker to process (defer)" in accepted["description"]


def test_defer_needs_an_inbox_and_a_function(hooks: Hooks) -> None:
    with pytest.raises(ConfigurationError, match="defer needs inbox="):
        webhook_event("payscore", secret=SECRET, defer=print)
    with pytest.raises(ConfigurationError, match="defer must be a function of a row id"):
        webhook_event(
            "payscore",
            secret=SECRET,
            inbox=hooks.inbox,
            defer=1,  # type: ignore[call-overload]
        )
