"""The Flask receiver, through Flask's test_client."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

pytest.importorskip("flask")

from flask import Flask, request
from flask.testing import FlaskClient
from werkzeug.test import EnvironBuilder, run_wsgi_app

from webhook_payloads import (
    ConfigurationError,
    SignatureError,
    UnknownEvent,
    UnknownProviderError,
    WebhookEvent,
    parse,
)
from webhook_payloads._registry import get_spec
from webhook_payloads.integrations.flask import SECRETS_SETTING, webhook_handler
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
    BrokenInput,
    InvalidChunkSize,
    Kept,
    assert_kept,
    assert_refused,
    callback_path,
    invalid,
    mastercard_request,
    parse_status,
    receiver_options,
    settings_table,
    signed,
    signed_with_old,
    tampered,
    unknown,
    unsigned,
)

RECEIVED: list[tuple[WebhookEvent | UnknownEvent, dict[str, Any]]] = []
KEPT = Kept()
KEEPING_NAME = f"{__name__}.make_app.<locals>.keeping"
MASTERCARD_NAME = "mastercard-reports"


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

    @app.post("/keeping")
    @webhook_handler("payscore", on_invalid=KEPT, max_body_size=512)
    def keeping(event: WebhookEvent) -> None:
        RECEIVED.append((event, {}))

    @app.post("/failing-store")
    @webhook_handler("payscore", on_invalid=Kept(fail=True))
    def failing_store(event: WebhookEvent) -> None:
        RECEIVED.append((event, {}))  # pragma: no cover - never reached

    @app.post("/mastercard/<tenant>")
    @webhook_handler(
        "mastercard",
        callback_key=[CALLBACK_KEY, OLD_CALLBACK_KEY],
        on_invalid=KEPT,
        name=MASTERCARD_NAME,
    )
    def mastercard_hook(event: WebhookEvent, reference: str, tenant: str) -> None:
        RECEIVED.append((event, {"reference": reference, "tenant": tenant}))

    @app.post("/raising")
    @webhook_handler("payscore")
    def raising(event: WebhookEvent) -> None:
        RECEIVED.append((event, {}))
        if event.event_type == "REPORT_READY":
            raise SignatureError("not ours after all", provider="payscore", reason="mismatch")
        raise KeyError("a bug in the view")

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


@pytest.mark.parametrize(
    ("table", "advice"),
    [
        (None, "app.config[\"WEBHOOK_PAYLOADS_SECRETS\"] is not set; add it with a 'payscore'"),
        ({"payscore_v1": SECRET}, 'app.config["WEBHOOK_PAYLOADS_SECRETS"]["payscore"] is missing'),
        ({"Payscore": SECRET}, "(1 of its keys are not provider ids)"),
        ({"payscore": ""}, 'from app.config["WEBHOOK_PAYLOADS_SECRETS"]["payscore"] cannot'),
    ],
)
def test_a_missing_secret_is_a_500_and_the_log_names_the_setting_and_key(
    client: FlaskClient, caplog: pytest.LogCaptureFixture, table: object, advice: str
) -> None:
    client.application.config[SECRETS_SETTING] = table
    response = post(client, "/hooks/payscore/a", signed("payscore", "REPORT_READY"))
    assert_refused(response.status_code, response.data, 500)
    assert advice in caplog.text
    assert "pass secret=" not in caplog.text
    assert RECEIVED == []


def test_an_entry_for_mastercard_in_the_config_is_ignored_with_one_error_logged(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    client.application.config[SECRETS_SETTING] = {**settings_table(), "mastercard": SECRET}
    for _ in range(2):
        assert post(client, "/hooks/mastercard/a", mastercard_request()).status_code == 200
    (record,) = [r for r in caplog.records if r.levelname == "ERROR"]
    assert 'app.config["WEBHOOK_PAYLOADS_SECRETS"]["mastercard"] is ignored' in record.getMessage()
    assert len(RECEIVED) == 2


def test_bad_options_fail_when_the_view_is_declared() -> None:
    for options in DECLARATION_ERRORS:
        with pytest.raises(ConfigurationError):
            webhook_handler(**options)


def test_the_callback_token_is_checked_and_the_reference_handed_on(client: FlaskClient) -> None:
    assert post(client, callback_path("/mastercard/acme"), mastercard_request()).status_code == 200
    url = callback_path("/mastercard/acme", "r-2", OLD_CALLBACK_KEY)
    assert post(client, url, mastercard_request()).status_code == 200
    assert [kwargs for _, kwargs in RECEIVED] == [
        {"reference": "req-7", "tenant": "acme"},
        {"reference": "r-2", "tenant": "acme"},
    ]
    for url in ("/mastercard/a", callback_path("/mastercard/a", key=SECRET), "/mastercard/a?ref=x"):
        response = post(client, url, mastercard_request())
        assert_refused(response.status_code, response.data, 401)
    assert len(RECEIVED) == 2


def test_the_callback_token_is_checked_before_the_body_is_read() -> None:
    stream = _CountingStream(1000)
    status, data = _post_chunked(make_app(), "/mastercard/a?ref=req-7&token=forged", stream)
    assert_refused(int(status.split()[0]), data, 401)
    assert stream.served == 0


@pytest.mark.parametrize("provider_request", [invalid, unknown])
def test_authentic_invalid_deliveries_are_kept_and_answered_202(
    client: FlaskClient, provider_request: Any
) -> None:
    KEPT.calls.clear()
    request = provider_request("payscore")
    response = post(client, "/keeping", request)
    assert (response.status_code, response.data) == (202, b"")
    (delivery,) = KEPT.calls
    assert_kept(delivery, request, provider="payscore", receiver=KEEPING_NAME)
    assert RECEIVED == []


def test_forged_or_oversized_deliveries_never_reach_on_invalid(client: FlaskClient) -> None:
    KEPT.calls.clear()
    assert post(client, "/keeping", tampered("payscore")).status_code == 401
    assert post(client, "/keeping", unsigned("payscore")).status_code == 401
    huge = signed("payscore", "REPORT_READY", report_id="r" * 600)
    assert post(client, "/keeping", huge).status_code == 413
    body = json.dumps({"eventName": "done"}).encode()
    assert post(client, "/mastercard/a?ref=req-7&token=x", (body, {})).status_code == 401
    assert KEPT.calls == []
    assert post(client, callback_path("/mastercard/a"), (body, {})).status_code == 202
    (delivery,) = KEPT.calls
    assert_kept(
        delivery, (body, {}), provider="mastercard", receiver=MASTERCARD_NAME, reference="req-7"
    )


def test_an_on_invalid_that_raises_is_answered_500_and_logged(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    response = post(client, "/failing-store", unknown("payscore"))
    assert (response.status_code, response.json) == (500, {"error": NOT_KEPT})
    assert "on_invalid failed for a webhook from payscore" in caplog.text


def test_a_webhook_error_from_the_view_is_answered_with_its_status(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    response = post(client, "/raising", signed("payscore", "REPORT_READY"))
    assert_refused(response.status_code, response.data, 401)
    assert "Refused a webhook from payscore (401): not ours after all" in caplog.text
    client.application.testing = True  # let the exception out, as Flask does in tests
    with pytest.raises(KeyError):
        post(client, "/raising", signed("payscore", "VERIFICATION_STARTED"))


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


def test_an_async_on_invalid_is_refused_when_declared() -> None:
    with pytest.raises(ConfigurationError, match="async function, which a Flask view"):
        webhook_handler("payscore", secret=SECRET, on_invalid=AsyncKept())


def test_a_body_without_length_the_server_does_not_mark_complete_is_a_411_that_says_why(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Werkzeug hands the view an empty stream then: the signature is not to blame.
    RECEIVED.clear()
    body, headers = signed("payscore", "VERIFICATION_STARTED")
    environ = EnvironBuilder(path="/keeping", method="POST", headers=headers).get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ["wsgi.input"] = io.BytesIO(body)
    app_iter, status, _ = run_wsgi_app(make_app(), environ, buffered=True)
    assert int(status.split()[0]) == 411
    assert json.loads(b"".join(app_iter)) == {"error": "webhook length required"}
    assert "wsgi.input_terminated" in caplog.text
    assert RECEIVED == []


def test_the_handler_can_read_the_body_and_headers_again() -> None:
    app = Flask(__name__)
    seen: list[tuple[bytes, str | None]] = []

    @app.post("/hook")
    @webhook_handler("payscore", secret=SECRET)
    def hook(event: WebhookEvent) -> None:
        from flask import request

        seen.append((request.get_data(), request.headers.get("X-Tenant")))
        assert request.get_json() == json.loads(body)
        assert request.data == body

    body, headers = signed("payscore", "REPORT_READY")
    response = app.test_client().post("/hook", data=body, headers={**headers, "X-Tenant": "a"})
    assert response.status_code == 200
    assert seen == [(body, "a")]


class _Trickle(io.BytesIO):
    """A WSGI input that hands over at most 7 bytes a read, as a slow socket may."""

    def read(self, size: int | None = -1) -> bytes:
        return super().read(7 if size is None or size < 0 else min(size, 7))


def _run(app: Flask, body: bytes, headers: dict[str, str], **environ: Any) -> tuple[int, bytes]:
    built = EnvironBuilder(path="/hook", method="POST", headers=headers, data=body)
    wsgi = built.get_environ()
    wsgi.update(environ)
    app_iter, status, _ = run_wsgi_app(app, wsgi, buffered=True)
    return int(status.split()[0]), b"".join(app_iter)


def _recording_app(seen: list[WebhookEvent]) -> Flask:
    app = Flask(__name__)

    @app.post("/hook")
    @webhook_handler("payscore", secret=SECRET)
    def hook(event: WebhookEvent) -> None:
        seen.append(event)

    return app


def test_a_body_that_arrives_in_small_reads_is_read_whole() -> None:
    seen: list[WebhookEvent] = []
    body, headers = signed("payscore", "REPORT_READY")
    status, _ = _run(_recording_app(seen), body, headers, **{"wsgi.input": _Trickle(body)})
    assert status == 200
    assert seen == [parse("payscore", body, headers, secret=SECRET)]


def test_a_body_shorter_than_its_length_is_a_400_and_reaches_no_handler() -> None:
    # The client left mid-body: answered as Werkzeug's own stream answers it.
    seen: list[WebhookEvent] = []
    body, headers = signed("payscore", "REPORT_READY")
    short = {"wsgi.input": io.BytesIO(body[:-5]), "CONTENT_LENGTH": str(len(body))}
    status, _ = _run(_recording_app(seen), body, headers, **short)
    assert status == 400
    assert seen == []


@pytest.mark.parametrize(
    "error",
    [
        ConnectionResetError("reset by peer"),
        TimeoutError("timed out"),
        OSError("NoMoreData"),
        InvalidChunkSize("bad chunk"),
    ],
    ids=["reset", "timeout", "gunicorn-no-more-data", "gunicorn-invalid-chunk-size"],
)
@pytest.mark.parametrize("declared", [True, False], ids=["declared", "chunked"])
def test_a_client_lost_mid_body_is_a_400_as_werkzeug_answers_it(
    error: Exception, declared: bool
) -> None:
    # Not a 500 with a traceback: the client left, so error trackers have nothing to report.
    seen: list[WebhookEvent] = []
    body, headers = signed("payscore", "REPORT_READY")
    app, broken = _recording_app(seen), BrokenInput(body, error)
    if declared:
        status, _ = _run(app, body, headers, **{"wsgi.input": broken})
    else:
        status = int(_post_chunked(app, "/hook", broken, headers)[0].split()[0])
    assert status == 400
    assert seen == []


def _peek() -> None:
    # What request logging or an extension's before_request hook does.
    request.get_data()


@pytest.mark.parametrize("declared", [True, False], ids=["declared", "chunked"])
def test_a_body_read_before_the_view_is_the_body_verified(declared: bool) -> None:
    # get_data() in a before_request hook empties the input: the receiver takes the body
    # Werkzeug kept, within the receiver's limit.
    seen: list[WebhookEvent] = []
    app = _recording_app(seen)
    app.before_request(_peek)
    body, headers = signed("payscore", "REPORT_READY")
    if declared:
        status, _ = _run(app, body, headers)
    else:
        status = int(_post_chunked(app, "/hook", io.BytesIO(body), headers)[0].split()[0])
    assert status == 200
    assert [event.event_type for event in seen] == ["REPORT_READY"]

    small = Flask(__name__)
    small.before_request(_peek)

    @small.post("/hook")
    @webhook_handler("payscore", secret=SECRET, max_body_size=64)
    def hook(event: WebhookEvent) -> None:
        seen.append(event)  # pragma: no cover - refused before

    status, answer = _run(small, body, headers)
    assert (status, json.loads(answer)) == (413, {"error": "webhook body too large"})


def test_the_handler_reads_the_body_from_request_stream_too() -> None:
    # Werkzeug's development server hands the socket over as the input: a stream built on it
    # after the receiver read the body would wait for bytes the client never sends.
    read: list[bytes] = []
    app = Flask(__name__)

    @app.post("/hook")
    @webhook_handler("payscore", secret=SECRET)
    def hook(event: WebhookEvent) -> None:
        read.append(request.stream.read())

    body, headers = signed("payscore", "REPORT_READY")
    status, _ = _run(app, body, headers)
    assert (status, read) == (200, [body])


def test_flask_max_content_length_is_honoured_before_the_body_is_read(
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[WebhookEvent] = []
    app = _recording_app(seen)
    body, headers = signed("payscore", "REPORT_READY")
    app.config["MAX_CONTENT_LENGTH"] = len(body) - 1
    untouched = io.BytesIO(body)
    status, answer = _run(app, body, headers, **{"wsgi.input": untouched})
    assert status == 413
    assert json.loads(answer) == {"error": "webhook body too large"}
    assert untouched.tell() == 0
    assert seen == []
    # The log names the limit that applied: Flask's, not the receiver's max_body_size.
    assert "raise Flask's MAX_CONTENT_LENGTH" in caplog.text
    assert "raise max_body_size" not in caplog.text
    app.config["MAX_CONTENT_LENGTH"] = len(body)
    assert _run(app, body, headers)[0] == 200
    assert len(seen) == 1


def test_an_app_that_changes_ensure_sync_has_it_asked_for_plain_handlers_too() -> None:
    wrapped: list[str] = []

    class Traced(Flask):
        def ensure_sync(self, func: Any) -> Any:
            wrapped.append(func.__name__)
            return super().ensure_sync(func)

    app = Traced(__name__)

    @app.post("/hook")
    @webhook_handler("payscore", secret=SECRET)
    def hook(event: WebhookEvent) -> None:
        RECEIVED.append((event, {}))

    RECEIVED.clear()
    response = app.test_client().post(
        "/hook",
        data=signed("payscore", "REPORT_READY")[0],
        headers=signed("payscore", "REPORT_READY")[1],
    )
    assert response.status_code == 200
    assert "hook" in wrapped
    assert len(RECEIVED) == 1


def test_a_content_length_that_is_no_number_is_read_as_werkzeug_reads_it() -> None:
    # Werkzeug takes such a header as 0 (an empty body): nothing to verify, so 401, and
    # the receiver never reads past what Werkzeug would.
    RECEIVED.clear()
    body, headers = signed("payscore", "VERIFICATION_STARTED")
    environ = EnvironBuilder(path="/keeping", method="POST", headers=headers).get_environ()
    environ["CONTENT_LENGTH"] = "twelve"
    environ["wsgi.input"] = io.BytesIO(body)
    _, status, _ = run_wsgi_app(make_app(), environ, buffered=True)
    assert int(status.split()[0]) == 401
    assert RECEIVED == []


def test_the_handler_can_read_a_chunked_body_again() -> None:
    # A chunked body is read by the receiver as it arrives; the handler still gets it from
    # request.get_data() and request.get_json() (else it would see b"" and answer 400).
    app = Flask(__name__)
    seen: list[bytes] = []

    @app.post("/hook")
    @webhook_handler("payscore", secret=SECRET)
    def hook(event: WebhookEvent) -> None:
        from flask import request

        seen.append(request.get_data())
        assert request.get_json() == json.loads(seen[0])

    body, headers = signed("payscore", "REPORT_READY")
    status, _ = _post_chunked(app, "/hook", io.BytesIO(body), headers)
    assert status.startswith("200")
    assert seen == [body]


def test_a_chunked_body_over_flask_max_content_length_gets_the_receivers_413() -> None:
    seen: list[WebhookEvent] = []
    app = _recording_app(seen)
    body, headers = signed("payscore", "REPORT_READY")
    app.config["MAX_CONTENT_LENGTH"] = len(body) - 1
    status, answer = _post_chunked(app, "/hook", io.BytesIO(body), headers)
    assert status.startswith("413")
    assert json.loads(answer) == {"error": "webhook body too large"}
    assert seen == []
    app.config["MAX_CONTENT_LENGTH"] = len(body)
    assert _post_chunked(app, "/hook", io.BytesIO(body), headers)[0].startswith("200")
    assert len(seen) == 1
