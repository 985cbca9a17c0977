"""The FastAPI/Starlette dependency, through their TestClient (httpx).

No "from __future__ import annotations" here: FastAPI resolves the endpoints' annotations at run
time, and the dependencies they name are local variables.
"""

import asyncio
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

from webhook_payloads import UnknownEvent, UnknownProviderError, WebhookEvent, parse
from webhook_payloads._registry import get_spec
from webhook_payloads.integrations import starlette as starlette_integration
from webhook_payloads.integrations.fastapi import webhook_event
from webhook_payloads.testing import event_types, providers

from ._kit import (
    BAD_REQUESTS,
    EVENTS,
    OLD_SECRET,
    SECRET,
    SIGNATURE_SCHEMES,
    SIGNED,
    parse_status,
    receiver_options,
    secrets_for,
    signed,
    signed_with_old,
    tampered,
    unknown,
)

RECEIVED: list[WebhookEvent | UnknownEvent] = []
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

    missing = webhook_event("payscore")

    @app.post("/missing")
    def missing_hook(event: Annotated[WebhookEvent, Depends(missing)]) -> None:
        RECEIVED.append(event)  # pragma: no cover - never reached

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


def test_a_missing_secret_is_a_500_that_says_nothing(client: TestClient) -> None:
    response = post(client, "/missing", signed("payscore", "REPORT_READY"))
    assert response.status_code == 500
    assert response.json() == {"detail": "webhook receiver misconfigured"}


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


def test_an_unknown_provider_fails_when_the_dependency_is_made() -> None:
    with pytest.raises(UnknownProviderError):
        webhook_event("stripe")


def _chunked_request(chunks: Any, pulled: list[int]) -> Request:
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
        "query_string": b"",
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


def test_a_chunked_body_within_the_limit_is_parsed() -> None:
    dependency = webhook_event("mastercard", max_body_size=1000)
    body = b'{"eventName": "done", "id": "r-1", "status": "success"}'
    event = asyncio.run(dependency(_chunked_request([body[:9], body[9:]], [])))
    assert event.event_type == "done"
    assert event.idempotency_key == "done:r-1"
