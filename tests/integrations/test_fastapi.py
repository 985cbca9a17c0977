"""The FastAPI/Starlette dependency, through their TestClient (httpx).

No "from __future__ import annotations" here: FastAPI resolves the endpoints' annotations at run
time, and the dependencies they name are local variables.
"""

import asyncio
import json
from typing import Annotated, Any

import pytest

# The whole stack the tests need: the lowest-dependencies run pins typing-extensions below what
# the newest FastAPI, Starlette and anyio accept, and there their test client cannot import.
pytest.importorskip("fastapi.testclient", exc_type=ImportError)

from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from webhook_payloads import (
    ConfigurationError,
    SignatureError,
    UnknownEvent,
    UnknownProviderError,
    WebhookError,
    WebhookEvent,
    parse,
)
from webhook_payloads._registry import get_spec
from webhook_payloads.integrations import InvalidDelivery
from webhook_payloads.integrations import starlette as starlette_integration
from webhook_payloads.integrations._receiver import OFFLOAD_SIZE
from webhook_payloads.integrations.fastapi import webhook_error_handler, webhook_event
from webhook_payloads.testing import event_types, providers

from ._kit import (
    BAD_REQUESTS,
    CALLBACK_KEY,
    DECLARATION_ERRORS,
    EVENTS,
    NOT_KEPT,
    OLD_CALLBACK_KEY,
    OLD_SECRET,
    SECRET,
    SIGNATURE_SCHEMES,
    SIGNED,
    AsyncKept,
    Kept,
    assert_kept,
    callback_path,
    invalid,
    mastercard_request,
    parse_status,
    receiver_options,
    secrets_for,
    signed,
    signed_with_old,
    tampered,
    unknown,
)

RECEIVED: list[WebhookEvent | UnknownEvent] = []
KEPT = Kept()
ASYNC_KEPT = AsyncKept()
OFF_LOOP: list[bool] = []


def keep_off_the_loop(delivery: InvalidDelivery) -> None:
    # A plain keeper may block (a database write): it must not run on the event loop.
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        OFF_LOOP.append(True)
    else:
        OFF_LOOP.append(False)


KEEPING_NAME = "payscore-keeping"
# A dependency has no handler to be named after: by default, the provider id.
MASTERCARD_NAME = "mastercard"
ROTATING = {"payscore": [SECRET]}


def make_app() -> FastAPI:
    app = FastAPI()
    for provider in providers():
        dependency = webhook_event(
            provider,
            secret=secrets_for(provider),
            signature_scheme=SIGNATURE_SCHEMES.get(provider),
        )

        def hook(event: Annotated[WebhookEvent, Depends(dependency)]) -> None:
            RECEIVED.append(event)

        app.post(f"/hooks/{provider}")(hook)

    lenient = webhook_event("payscore", secret=SECRET, allow_unknown=True, max_body_size=256)

    @app.api_route("/any-method", methods=["GET", "POST"])
    async def any_method(event: Annotated[WebhookEvent | UnknownEvent, Depends(lenient)]) -> Any:
        RECEIVED.append(event)
        return {"seen": event.event_type}

    # Secrets read per request: rotate by changing what the function returns.
    rotating = webhook_event("payscore", secret=lambda: ROTATING["payscore"])

    @app.post("/rotating")
    def rotating_hook(event: Annotated[WebhookEvent, Depends(rotating)]) -> None:
        RECEIVED.append(event)

    broken = webhook_event("payscore", secret=lambda: None)

    @app.post("/missing")
    def missing_hook(event: Annotated[WebhookEvent, Depends(broken)]) -> None:
        RECEIVED.append(event)  # pragma: no cover - never reached

    keeping = webhook_event(
        "payscore", secret=SECRET, on_invalid=KEPT, max_body_size=512, name=KEEPING_NAME
    )

    @app.post("/keeping")
    def keeping_hook(event: Annotated[WebhookEvent, Depends(keeping)]) -> None:
        RECEIVED.append(event)

    failing = webhook_event("payscore", secret=SECRET, on_invalid=Kept(fail=True))

    @app.post("/failing-store")
    def failing_hook(event: Annotated[WebhookEvent, Depends(failing)]) -> None:
        RECEIVED.append(event)  # pragma: no cover - never reached

    async_keeping = webhook_event("payscore", secret=SECRET, on_invalid=ASYNC_KEPT)

    @app.post("/async-keeping")
    async def async_keeping_hook(event: Annotated[WebhookEvent, Depends(async_keeping)]) -> None:
        RECEIVED.append(event)  # pragma: no cover - never reached

    off_loop = webhook_event("payscore", secret=SECRET, on_invalid=keep_off_the_loop)

    @app.post("/off-loop-keeping")
    async def off_loop_hook(event: Annotated[WebhookEvent, Depends(off_loop)]) -> None:
        RECEIVED.append(event)  # pragma: no cover - never reached

    mastercard = webhook_event(
        "mastercard", callback_key=[CALLBACK_KEY, OLD_CALLBACK_KEY], on_invalid=KEPT
    )

    @app.post("/mastercard")
    def mastercard_hook(
        event: Annotated[WebhookEvent, Depends(mastercard)],
        reference: Annotated[str, Depends(mastercard.reference)],
    ) -> dict[str, str]:
        RECEIVED.append(event)
        return {"reference": reference}

    raising = webhook_event("payscore", secret=SECRET)

    @app.post("/raising")
    def raising_hook(event: Annotated[WebhookEvent, Depends(raising)]) -> None:
        RECEIVED.append(event)
        if event.event_type == "REPORT_READY":
            raise SignatureError("not ours after all", provider="payscore", reason="mismatch")
        raise KeyError("a bug in the endpoint")

    app.add_exception_handler(WebhookError, webhook_error_handler)
    return app


@pytest.fixture
def client() -> TestClient:
    RECEIVED.clear()
    return TestClient(make_app())


def post(client: TestClient, url: str, request: tuple[bytes, dict[str, str]]) -> Any:
    body, headers = request
    return client.post(url, content=body, headers=headers)


@pytest.mark.parametrize(("provider", "event_type"), EVENTS)
def test_a_signed_request_yields_the_typed_event(
    client: TestClient, provider: str, event_type: str
) -> None:
    request = signed(provider, event_type)
    response = post(client, f"/hooks/{provider}", request)
    assert response.status_code == 200
    (event,) = RECEIVED
    assert type(event) is get_spec(provider).event_classes[event_type]
    assert event == parse(provider, *request, **receiver_options(provider))


@pytest.mark.parametrize("provider", SIGNED)
def test_the_old_secret_still_works_during_a_rotation(client: TestClient, provider: str) -> None:
    request = signed_with_old(provider, event_types(provider)[0])
    assert post(client, f"/hooks/{provider}", request).status_code == 200


@pytest.mark.parametrize(("provider", "bad", "allowed"), BAD_REQUESTS)
def test_bad_requests_are_refused_before_the_endpoint(
    client: TestClient, provider: str, bad: Any, allowed: set[int]
) -> None:
    request = bad(provider)
    response = post(client, f"/hooks/{provider}", request)
    status = parse_status(provider, request)
    assert status in allowed
    assert response.status_code == status
    assert response.json() == {
        "detail": {400: "invalid webhook payload", 401: "invalid webhook signature"}[status]
    }
    assert SECRET not in response.text
    assert RECEIVED == []


@pytest.mark.parametrize("provider", providers())
def test_a_get_gets_405(client: TestClient, provider: str) -> None:
    assert client.get(f"/hooks/{provider}").status_code == 405
    response = client.get("/any-method")
    assert (response.status_code, response.headers["allow"]) == (405, "POST")
    assert RECEIVED == []


def test_an_oversized_body_gets_413(client: TestClient) -> None:
    request = signed("payscore", "REPORT_READY", report_id="r" * 300)
    assert post(client, "/any-method", request).status_code == 413
    assert RECEIVED == []


def test_unknown_events_reach_a_lenient_endpoint(client: TestClient) -> None:
    response = post(client, "/any-method", unknown("payscore"))
    assert response.json() == {"seen": "SOMETHING_NEW"}
    assert isinstance(RECEIVED[0], UnknownEvent)


def test_callable_secrets_are_read_per_request(client: TestClient) -> None:
    old = signed_with_old("payscore", "REPORT_READY")
    assert post(client, "/rotating", old).status_code == 401
    ROTATING["payscore"] = [SECRET, OLD_SECRET]
    try:
        assert post(client, "/rotating", old).status_code == 200
    finally:
        ROTATING["payscore"] = [SECRET]


def test_a_missing_secret_is_a_500_that_says_nothing(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    response = post(client, "/missing", signed("payscore", "REPORT_READY"))
    assert response.status_code == 500
    assert response.json() == {"detail": "webhook receiver misconfigured"}
    assert "the function given as secret= returned no secret for payscore" in caplog.text


def test_bad_options_fail_when_the_dependency_is_made() -> None:
    for options in [*DECLARATION_ERRORS, {"provider": "payscore"}]:
        with pytest.raises(ConfigurationError):
            webhook_event(**options)


def test_the_callback_token_is_checked_and_the_reference_handed_on(client: TestClient) -> None:
    response = post(client, callback_path("/mastercard"), mastercard_request())
    assert response.json() == {"reference": "req-7"}
    url = callback_path("/mastercard", "r-2", OLD_CALLBACK_KEY)
    assert post(client, url, mastercard_request()).json() == {"reference": "r-2"}
    for url in ("/mastercard", callback_path("/mastercard", key=SECRET), "/mastercard?ref=x"):
        response = post(client, url, mastercard_request())
        assert response.status_code == 401
        assert response.json() == {"detail": "invalid webhook signature"}
    assert len(RECEIVED) == 2


def test_the_callback_token_is_checked_before_the_body_is_read() -> None:
    dependency = webhook_event("mastercard", callback_key=CALLBACK_KEY)
    pulled: list[int] = []
    request = _chunked_request([b"x" * 100], pulled, query=b"ref=req-7&token=forged")
    with pytest.raises(HTTPException) as caught:
        asyncio.run(dependency(request))
    assert caught.value.status_code == 401
    assert pulled == []
    with pytest.raises(HTTPException) as caught:
        asyncio.run(dependency.reference(request))
    assert caught.value.status_code == 401


@pytest.mark.parametrize("provider_request", [invalid, unknown])
def test_authentic_invalid_deliveries_are_kept_and_answered_202(
    client: TestClient, provider_request: Any
) -> None:
    KEPT.calls.clear()
    request = provider_request("payscore")
    response = post(client, "/keeping", request)
    assert (response.status_code, response.json()) == (202, {"detail": "webhook kept for replay"})
    (delivery,) = KEPT.calls
    assert_kept(delivery, request, provider="payscore", receiver=KEEPING_NAME)
    assert RECEIVED == []


def test_forged_or_oversized_deliveries_never_reach_on_invalid(client: TestClient) -> None:
    KEPT.calls.clear()
    assert post(client, "/keeping", tampered("payscore")).status_code == 401
    huge = signed("payscore", "REPORT_READY", report_id="r" * 600)
    assert post(client, "/keeping", huge).status_code == 413
    body = json.dumps({"eventName": "done"}).encode()
    assert post(client, "/mastercard?ref=req-7&token=x", (body, {})).status_code == 401
    assert KEPT.calls == []
    assert post(client, callback_path("/mastercard"), (body, {})).status_code == 202
    (delivery,) = KEPT.calls
    assert_kept(
        delivery, (body, {}), provider="mastercard", receiver=MASTERCARD_NAME, reference="req-7"
    )


def test_an_on_invalid_that_raises_is_answered_500_and_logged(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    response = post(client, "/failing-store", unknown("payscore"))
    assert (response.status_code, response.json()) == (500, {"detail": NOT_KEPT})
    assert "on_invalid failed for a webhook from payscore" in caplog.text


def test_a_webhook_error_from_the_endpoint_is_answered_with_its_status(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    response = post(client, "/raising", signed("payscore", "REPORT_READY"))
    assert (response.status_code, response.json()) == (401, {"detail": "invalid webhook signature"})
    assert "Refused a webhook from payscore (401): not ours after all" in caplog.text
    with pytest.raises(KeyError):
        post(client, "/raising", signed("payscore", "VERIFICATION_STARTED"))


def test_plain_starlette_awaits_the_dependency_itself() -> None:
    receive = starlette_integration.webhook_event("payscore", secret=SECRET)

    async def endpoint(request: Request) -> JSONResponse:
        event = await receive(request)
        return JSONResponse({"type": event.event_type})

    client = TestClient(Starlette(routes=[Route("/hook", endpoint, methods=["POST"])]))
    response = post(client, "/hook", signed("payscore", "VERIFICATION_STARTED"))
    assert response.json() == {"type": "VERIFICATION_STARTED"}
    response = post(client, "/hook", tampered("payscore"))
    assert (response.status_code, response.text) == (401, "invalid webhook signature")


def test_headers_a_middleware_appends_in_capitals_are_read_like_any_other() -> None:
    # ASGI servers write names in lower case; a middleware may append "X-Request-Id" as it
    # is spelled. The signature header is still found, and a request without one is a 401,
    # not a 500 from looking the appended name up.
    receive = starlette_integration.webhook_event("payscore", secret=SECRET)

    async def endpoint(request: Request) -> JSONResponse:
        event = await receive(request)
        return JSONResponse({"type": event.event_type})

    inner = Starlette(routes=[Route("/hook", endpoint, methods=["POST"])])

    async def app(scope: Any, receive_message: Any, send: Any) -> None:
        headers = [(name, value) for name, value in scope["headers"] if name != b"x-sig"]
        moved = [value for name, value in scope["headers"] if name == b"x-sig"]
        headers.append((b"X-Request-Id", b"r-1"))
        headers += [(b"Verification-Signature", value) for value in moved]
        await inner({**scope, "headers": headers}, receive_message, send)

    client = TestClient(app)
    body, headers = signed("payscore", "VERIFICATION_STARTED")
    unsigned = {k: v for k, v in headers.items() if k != "Verification-Signature"}
    response = client.post("/hook", content=body, headers=unsigned)
    assert (response.status_code, response.text) == (401, "invalid webhook signature")
    capitals = {**unsigned, "x-sig": headers["Verification-Signature"]}
    response = client.post("/hook", content=body, headers=capitals)
    assert response.json() == {"type": "VERIFICATION_STARTED"}


def test_a_secret_function_that_raises_is_a_500_that_names_only_its_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def from_vault() -> str:
        raise KeyError("vault-path/payscore-s3cr3t")

    app = FastAPI()
    dependency = webhook_event("payscore", secret=from_vault)

    @app.post("/hook")
    async def hook(event: Annotated[WebhookEvent, Depends(dependency)]) -> None:
        pass  # pragma: no cover - never reached

    response = post(TestClient(app), "/hook", signed("payscore", "REPORT_READY"))
    assert (response.status_code, response.json()) == (
        500,
        {"detail": "webhook receiver misconfigured"},
    )
    assert "the function given as secret= raised KeyError for payscore" in caplog.text
    assert "s3cr3t" not in caplog.text


def test_an_unknown_provider_fails_when_the_dependency_is_made() -> None:
    with pytest.raises(UnknownProviderError):
        webhook_event("stripe")


def _chunked_request(chunks: Any, pulled: list[int], query: bytes = b"") -> Request:
    # An ASGI request with no Content-Length, as a server hands over a chunked upload.
    pieces = iter(chunks)

    async def receive() -> dict[str, Any]:
        piece = next(pieces, None)
        if piece is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        pulled.append(len(piece))
        return {"type": "http.request", "body": piece, "more_body": True}

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/hooks/mastercard",
        "query_string": query,
        "headers": [(b"transfer-encoding", b"chunked")],
    }
    return Request(scope, receive)


def test_a_chunked_body_is_refused_at_the_limit_not_read_whole() -> None:
    # Nothing declares the length: the body is counted as it arrives and refused once past
    # the limit, not after a client has streamed all of it into memory.
    dependency = webhook_event("mastercard", max_body_size=1000)
    pulled: list[int] = []
    endless = (b"x" * 100 for _ in range(100_000))
    with pytest.raises(HTTPException) as caught:
        asyncio.run(dependency(_chunked_request(endless, pulled)))
    assert caught.value.status_code == 413
    assert sum(pulled) == 1100


def test_a_chunked_body_that_also_declares_a_small_length_is_refused_at_the_limit() -> None:
    # Content-Length and Transfer-Encoding: chunked together: h11 frames the body by its
    # chunks and passes both headers on. The declared 5 bytes must not make it unbounded.
    dependency = webhook_event("mastercard", max_body_size=1000)
    pulled: list[int] = []
    endless = (b"x" * 100 for _ in range(100_000))
    request = _chunked_request(endless, pulled)
    request.scope["headers"].append((b"content-length", b"5"))
    with pytest.raises(HTTPException) as caught:
        asyncio.run(dependency(request))
    assert caught.value.status_code == 413
    assert sum(pulled) == 1100


def test_a_chunked_body_within_the_limit_is_parsed() -> None:
    dependency = webhook_event("mastercard", max_body_size=1000)
    body = b'{"eventName": "done", "id": "r-1", "status": "success"}'
    event = asyncio.run(dependency(_chunked_request([body[:9], body[9:]], [])))
    assert event.event_type == "done"
    assert event.idempotency_key == "mastercard:done:r-1"


def test_an_async_on_invalid_is_awaited(client: TestClient) -> None:
    ASYNC_KEPT.calls.clear()
    request = unknown("payscore")
    response = post(client, "/async-keeping", request)
    assert (response.status_code, response.json()) == (202, {"detail": "webhook kept for replay"})
    (delivery,) = ASYNC_KEPT.calls
    assert_kept(delivery, request, provider="payscore", receiver="payscore")


def test_a_plain_on_invalid_runs_off_the_event_loop(client: TestClient) -> None:
    OFF_LOOP.clear()
    assert post(client, "/off-loop-keeping", invalid("payscore")).status_code == 202
    assert OFF_LOOP == [True]


def test_a_large_body_is_verified_and_parsed_in_a_worker_thread(client: TestClient) -> None:
    RECEIVED.clear()
    request = signed("payscore", "REPORT_READY", report_id="r" * (OFFLOAD_SIZE + 1))
    assert post(client, "/hooks/payscore", request).status_code == 200
    assert len(RECEIVED[0].report_id) == OFFLOAD_SIZE + 1  # type: ignore[union-attr]
    forged = (request[0].replace(b"rrrr", b"rrrs", 1), request[1])
    assert post(client, "/hooks/payscore", forged).status_code == 401


def _declared_request(messages: list[dict[str, Any]], headers: dict[str, str]) -> Request:
    # An ASGI request with its Content-Length, its body in the messages given.
    pending = iter(messages)

    async def receive() -> dict[str, Any]:
        return next(pending, {"type": "http.disconnect"})

    declared = {**headers, "Content-Length": str(sum(len(m.get("body", b"")) for m in messages))}
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/hook",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in declared.items()],
    }
    return Request(scope, receive)


def test_a_body_in_several_messages_is_read_whole_and_kept_for_the_endpoint() -> None:
    dependency = webhook_event("payscore", secret=SECRET)
    body, headers = signed("payscore", "REPORT_READY")
    pieces = [body[:10], b"", body[10:30], body[30:]]
    messages = [{"type": "http.request", "body": p, "more_body": True} for p in pieces]
    messages.append({"type": "http.request", "body": b"", "more_body": False})
    request = _declared_request(messages, headers)

    async def receive_twice() -> tuple[object, bytes, object]:
        event = await dependency(request)
        # The endpoint may read the body again, and a second dependency of it too.
        return event, await request.body(), await dependency(request)

    event, again, second = asyncio.run(receive_twice())
    assert event == parse("payscore", body, headers, secret=SECRET) == second
    assert again == body


def test_a_client_that_disconnects_while_sending_is_a_client_disconnect() -> None:
    from starlette.requests import ClientDisconnect

    dependency = webhook_event("payscore", secret=SECRET)
    body, headers = signed("payscore", "REPORT_READY")
    request = _declared_request(
        [{"type": "http.request", "body": body[:10], "more_body": True}], headers
    )
    with pytest.raises(ClientDisconnect):
        asyncio.run(dependency(request))


def test_a_request_class_that_reads_its_body_its_own_way_is_read_through_it() -> None:
    # As FastAPI's docs decompress bodies: a route class whose Request overrides body().
    import gzip

    from fastapi.routing import APIRoute

    class GzipRequest(Request):
        async def body(self) -> bytes:
            if not hasattr(self, "_body"):
                self._body = gzip.decompress(await super().body())
            return self._body

    class GzipRoute(APIRoute):
        def get_route_handler(self) -> Any:
            handler = super().get_route_handler()

            async def route(request: Request) -> Any:
                return await handler(GzipRequest(request.scope, request.receive))

            return route

    app = FastAPI()
    app.router.route_class = GzipRoute
    dependency = webhook_event("payscore", secret=SECRET)

    @app.post("/hook")
    async def hook(event: Annotated[WebhookEvent, Depends(dependency)]) -> dict[str, str]:
        return {"type": event.event_type}

    body, headers = signed("payscore", "REPORT_READY")
    response = TestClient(app).post("/hook", content=gzip.compress(body), headers=headers)
    assert (response.status_code, response.json()) == (200, {"type": "REPORT_READY"})


@pytest.mark.parametrize(
    "name", ["Verification-Signature", "verification-signature", "X-Repeated", "Absent"]
)
def test_the_headers_view_finds_what_request_headers_finds(name: str) -> None:
    from starlette.datastructures import Headers

    from webhook_payloads.integrations.starlette import _ScopeHeaders

    raw = [
        (b"content-length", b"12"),
        (b"verification-signature", b"ab12"),
        (b"x-repeated", b"first"),
        (b"x-repeated", b"second \xe9"),
    ]
    view, headers = _ScopeHeaders(raw), Headers(raw=raw)
    assert view.get(name) == headers.get(name)
    assert view.get(name, "absent") == headers.get(name, "absent")
    assert (name in view) == (name in headers)
    assert list(view) == list(headers)
    assert len(view) == len(headers) == 4
    assert dict(view) == dict(headers)


def test_a_kept_delivery_has_its_signature_header(client: TestClient) -> None:
    KEPT.calls.clear()
    body, headers = invalid("payscore")
    assert post(client, "/keeping", (body, headers)).status_code == 202
    (delivery,) = KEPT.calls
    assert delivery.headers == {"Verification-Signature": headers["Verification-Signature"]}
