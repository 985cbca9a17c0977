"""The Flask receiver, through Flask's test_client."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

pytest.importorskip("flask")

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import EnvironBuilder, run_wsgi_app

from webhook_payloads import UnknownEvent, UnknownProviderError, WebhookEvent, parse
from webhook_payloads._registry import get_spec
from webhook_payloads.integrations.flask import SECRETS_SETTING, webhook_handler
from webhook_payloads.testing import event_types, providers

from ._kit import (
    BAD_REQUESTS,
    EVENTS,
    OLD_SECRET,
    SECRET,
    SIGNATURE_SCHEMES,
    SIGNED,
    assert_refused,
    parse_status,
    receiver_options,
    settings_table,
    signed,
    signed_with_old,
    unknown,
)

RECEIVED: list[tuple[WebhookEvent | UnknownEvent, dict[str, Any]]] = []


def record(event: WebhookEvent | UnknownEvent, **view_args: Any) -> None:
    RECEIVED.append((event, view_args))


def make_app() -> Flask:
    app = Flask(__name__)
    app.config[SECRETS_SETTING] = settings_table()
    for provider in providers():
        view = webhook_handler(provider, signature_scheme=SIGNATURE_SCHEMES.get(provider))(record)
        app.add_url_rule(f"/hooks/{provider}/<tenant>", f"hook_{provider}", view, methods=["POST"])

    @app.route("/any-method", methods=["GET", "POST"])
    @webhook_handler("payscore", allow_unknown=True, max_body_size=256)
    def lenient(event: WebhookEvent | UnknownEvent) -> tuple[dict[str, str], int]:
        RECEIVED.append((event, {}))
        return {"seen": event.event_type}, 202

    @app.post("/async")
    @webhook_handler("payscore", secret=lambda: [SECRET])
    async def async_hook(event: WebhookEvent) -> None:
        RECEIVED.append((event, {}))

    return app


@pytest.fixture
def client() -> FlaskClient:
    RECEIVED.clear()
    return make_app().test_client()


def post(client: FlaskClient, url: str, request: tuple[bytes, dict[str, str]]) -> Any:
    body, headers = request
    return client.post(url, data=body, headers=headers)


@pytest.mark.parametrize(("provider", "event_type"), EVENTS)
def test_a_signed_request_reaches_the_handler_with_the_typed_event(
    client: FlaskClient, provider: str, event_type: str
) -> None:
    request = signed(provider, event_type)
    response = post(client, f"/hooks/{provider}/acme", request)
    assert (response.status_code, response.data) == (200, b"")
    ((event, view_args),) = RECEIVED
    assert type(event) is get_spec(provider).event_classes[event_type]
    assert event == parse(provider, *request, **receiver_options(provider))
    assert view_args == {"tenant": "acme"}


@pytest.mark.parametrize("provider", SIGNED)
def test_the_old_secret_still_works_during_a_rotation(client: FlaskClient, provider: str) -> None:
    request = signed_with_old(provider, event_types(provider)[0])
    assert post(client, f"/hooks/{provider}/a", request).status_code == 200
    assert len(RECEIVED) == 1


@pytest.mark.parametrize(("provider", "bad", "allowed"), BAD_REQUESTS)
def test_bad_requests_are_refused_before_the_handler(
    client: FlaskClient, provider: str, bad: Any, allowed: set[int]
) -> None:
    request = bad(provider)
    response = post(client, f"/hooks/{provider}/a", request)
    status = parse_status(provider, request)
    assert status in allowed
    assert_refused(response.status_code, response.data, status)
    assert response.mimetype == "application/json"
    assert RECEIVED == []


@pytest.mark.parametrize("provider", providers())
def test_a_get_gets_405(client: FlaskClient, provider: str) -> None:
    assert client.get(f"/hooks/{provider}/a").status_code == 405
    # A route that also takes GET still refuses it in the handler.
    response = client.get("/any-method")
    assert (response.status_code, response.headers["Allow"]) == (405, "POST")
    assert RECEIVED == []


def test_an_oversized_body_gets_413(client: FlaskClient) -> None:
    response = post(client, "/any-method", signed("payscore", "REPORT_READY", report_id="r" * 300))
    assert_refused(response.status_code, response.data, 413)
    assert RECEIVED == []


def test_the_handler_response_is_returned_and_unknown_events_reach_it(client: FlaskClient) -> None:
    response = post(client, "/any-method", unknown("payscore"))
    assert response.status_code == 202
    assert json.loads(response.data) == {"seen": "SOMETHING_NEW"}
    assert isinstance(RECEIVED[0][0], UnknownEvent)


def test_async_handlers_and_callable_secrets(client: FlaskClient) -> None:
    pytest.importorskip("asgiref")
    assert post(client, "/async", signed("payscore", "VERIFICATION_STARTED")).status_code == 200
    assert RECEIVED[0][0].event_type == "VERIFICATION_STARTED"


def test_a_missing_secret_is_a_500_that_says_nothing(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    client.application.config[SECRETS_SETTING] = {"payscore_v1": SECRET}
    response = post(client, "/hooks/payscore/a", signed("payscore", "REPORT_READY"))
    assert_refused(response.status_code, response.data, 500)
    assert "no secret was given" in caplog.text
    del client.application.config[SECRETS_SETTING]
    response = post(client, "/hooks/payscore/a", signed("payscore", "REPORT_READY"))
    assert_refused(response.status_code, response.data, 500)
    assert RECEIVED == []


def test_config_is_read_per_request(client: FlaskClient) -> None:
    client.application.config[SECRETS_SETTING] = {"payscore": OLD_SECRET}
    assert post(client, "/hooks/payscore/a", signed("payscore", "REPORT_READY")).status_code == 401
    request = signed_with_old("payscore", "REPORT_READY")
    assert post(client, "/hooks/payscore/a", request).status_code == 200


def test_an_unknown_provider_fails_when_the_view_is_declared() -> None:
    with pytest.raises(UnknownProviderError):
        webhook_handler("stripe")


class _CountingStream(io.RawIOBase):
    """A request body as a server hands over a chunked upload: readable, length unknown."""

    def __init__(self, size: int) -> None:
        self.left = size
        self.served = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = min(len(buffer), self.left)
        buffer[:n] = b" " * n
        self.left -= n
        self.served += n
        return n


def _post_chunked(
    app: Flask, path: str, stream: io.RawIOBase, headers: dict[str, str] | None = None
) -> tuple[str, bytes]:
    # No Content-Length, and the input marked terminated, as WSGI servers do for chunked
    # requests (Werkzeug's test client always declares a length, so build the environ).
    environ = EnvironBuilder(path=path, method="POST", headers=headers).get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ["wsgi.input"] = stream
    environ["wsgi.input_terminated"] = True
    app_iter, status, _ = run_wsgi_app(app, environ, buffered=True)
    return status, b"".join(app_iter)


def test_a_chunked_body_is_refused_at_the_limit_not_read_whole() -> None:
    # Nothing declares the length: the body is counted as it is read and refused once past
    # the limit (256 bytes here), not after all 8 MiB of it are in memory.
    RECEIVED.clear()
    stream = _CountingStream(8 << 20)
    status, data = _post_chunked(make_app(), "/any-method", stream)
    assert_refused(int(status.split()[0]), data, 413)
    assert stream.served <= 256 + 64 * 1024
    assert RECEIVED == []


def test_a_chunked_body_within_the_limit_is_parsed() -> None:
    RECEIVED.clear()
    body, headers = unknown("payscore")
    headers = {k: v for k, v in headers.items() if k.lower() != "content-length"}
    status, data = _post_chunked(make_app(), "/any-method", io.BytesIO(body), headers)
    assert (status, json.loads(data)) == ("202 ACCEPTED", {"seen": "SOMETHING_NEW"})
