"""The Django receiver, through Django's own test Client and a minimal settings module."""

from __future__ import annotations

import asyncio
import io
import itertools
import json
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("django")

import django
from django.conf import settings
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.test import AsyncClient, Client, RequestFactory, override_settings
from django.urls import path

from webhook_payloads import (
    ConfigurationError,
    SignatureError,
    UnknownEvent,
    UnknownProviderError,
    WebhookEvent,
    parse,
)
from webhook_payloads._registry import get_spec
from webhook_payloads.integrations import InvalidDelivery
from webhook_payloads.integrations._receiver import OFFLOAD_SIZE
from webhook_payloads.integrations.django import limit_webhook_bodies, webhook_view
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

RECEIVED: list[tuple[str, WebhookEvent | UnknownEvent, dict[str, Any]]] = []


def record(request: HttpRequest, event: WebhookEvent | UnknownEvent, **kwargs: Any) -> None:
    RECEIVED.append((request.path, event, kwargs))


@webhook_view("payscore", max_body_size=256)
def small(request: HttpRequest, event: WebhookEvent) -> None:
    RECEIVED.append((request.path, event, {}))


@webhook_view("payscore", max_body_size=256, inbox=True, name="small-inbox")
def small_inbox(request: HttpRequest, event: WebhookEvent) -> None:
    RECEIVED.append((request.path, event, {}))  # pragma: no cover - refused before


@webhook_view("payscore", max_body_size=256, inbox=True, name="small-async-inbox")
async def small_async_inbox(request: HttpRequest, event: WebhookEvent) -> None:
    RECEIVED.append((request.path, event, {}))  # pragma: no cover - refused before


# The views whose limit (256 bytes) the ASGI wrapper applies: plain, and with an inbox.
LIMITED = ["/small/", "/small-inbox/", "/small-async-inbox/"]


@webhook_view("payscore", allow_unknown=True)
def lenient(request: HttpRequest, event: WebhookEvent | UnknownEvent) -> HttpResponse:
    RECEIVED.append((request.path, event, {}))
    return JsonResponse({"seen": event.event_type}, status=202)


@webhook_view("payscore", secret=lambda: SECRET)
async def async_hook(request: HttpRequest, event: WebhookEvent) -> None:
    await asyncio.sleep(0)
    RECEIVED.append((request.path, event, {}))


KEPT = Kept()
KEEPING_NAME = f"{__name__}.keeping"
MASTERCARD_NAME = "mastercard-reports"


@webhook_view("payscore", on_invalid=KEPT, max_body_size=512)
def keeping(request: HttpRequest, event: WebhookEvent) -> None:
    RECEIVED.append((request.path, event, {}))


@webhook_view("payscore", on_invalid=Kept(fail=True))
def failing_store(request: HttpRequest, event: WebhookEvent) -> None:
    RECEIVED.append((request.path, event, {}))  # pragma: no cover - never reached


@webhook_view(
    "mastercard",
    callback_key=[CALLBACK_KEY, OLD_CALLBACK_KEY],
    on_invalid=KEPT,
    name=MASTERCARD_NAME,
)
def mastercard_hook(request: HttpRequest, event: WebhookEvent, reference: str) -> None:
    RECEIVED.append((request.path, event, {"reference": reference}))


ASYNC_KEPT = AsyncKept()


@webhook_view("payscore", on_invalid=ASYNC_KEPT)
async def async_keeping(request: HttpRequest, event: WebhookEvent) -> None:
    RECEIVED.append((request.path, event, {}))  # pragma: no cover - never reached


def keep_in_database(delivery: InvalidDelivery) -> None:
    # A sync keeper, as apps write them: the ORM refuses to run on an event loop.
    from django.contrib.auth.models import Group

    Group.objects.create(name=f"kept {delivery.receiver}")


@webhook_view("payscore", on_invalid=keep_in_database, name="orm-keeper")
async def async_orm_keeping(request: HttpRequest, event: WebhookEvent) -> None:
    RECEIVED.append((request.path, event, {}))  # pragma: no cover - never reached


@webhook_view("payscore")
def raising(request: HttpRequest, event: WebhookEvent) -> None:
    RECEIVED.append((request.path, event, {}))
    if event.event_type == "REPORT_READY":
        raise SignatureError("not ours after all", provider="payscore", reason="mismatch")
    raise KeyError("a bug in the view")


urlpatterns = [
    *(
        path(
            f"hooks/{provider}/<str:tenant>/",
            webhook_view(provider, signature_scheme=SIGNATURE_SCHEMES.get(provider))(record),
        )
        for provider in providers()
    ),
    path("small/", small),
    path("small-inbox/", small_inbox),
    path("small-async-inbox/", small_async_inbox),
    path("lenient/", lenient),
    path("async/", async_hook),
    path("keeping/", keeping),
    path("failing-store/", failing_store),
    path("mastercard/", mastercard_hook),
    path("raising/", raising),
    path("async-keeping/", async_keeping),
    path("async-orm-keeping/", async_orm_keeping),
]

# What a minimal settings module holds. Applied with override_settings around every test too,
# in case another module of the same run configured Django first.
TEST_SETTINGS: dict[str, Any] = {
    "ALLOWED_HOSTS": ["testserver"],
    "ROOT_URLCONF": __name__,
    "MIDDLEWARE": ["django.middleware.csrf.CsrfViewMiddleware"],
    "WEBHOOK_PAYLOADS_SECRETS": settings_table(),
}

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="django-test-only",
        USE_TZ=True,
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth"],
        # In memory, shared between threads: sync_to_async runs the ORM in a thread of its own.
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": "file:webhook_payloads_receivers?mode=memory&cache=shared",
                "OPTIONS": {"uri": True},
            }
        },
        **TEST_SETTINGS,
    )
    django.setup()


@pytest.fixture(autouse=True)
def _settings() -> Iterator[None]:
    RECEIVED.clear()
    with override_settings(**TEST_SETTINGS):
        yield


@pytest.fixture
def client() -> Client:
    # Providers send no CSRF token: enforce the check to show the view is exempt.
    return Client(enforce_csrf_checks=True)


def post(client: Client, url: str, request: tuple[bytes, dict[str, str]]) -> Any:
    body, headers = request
    return client.post(url, data=body, headers=headers, content_type="application/json")


@pytest.mark.parametrize(("provider", "event_type"), EVENTS)
def test_a_signed_request_reaches_the_view_with_the_typed_event(
    client: Client, provider: str, event_type: str
) -> None:
    request = signed(provider, event_type)
    response = post(client, f"/hooks/{provider}/acme/", request)
    assert response.status_code == 200
    assert response.content == b""
    ((where, event, kwargs),) = RECEIVED
    assert type(event) is get_spec(provider).event_classes[event_type]
    assert event == parse(provider, *request, **receiver_options(provider))
    assert (where, kwargs) == (f"/hooks/{provider}/acme/", {"tenant": "acme"})


@pytest.mark.parametrize("provider", SIGNED)
def test_the_old_secret_still_works_during_a_rotation(client: Client, provider: str) -> None:
    response = post(
        client, f"/hooks/{provider}/a/", signed_with_old(provider, event_types(provider)[0])
    )
    assert response.status_code == 200
    assert len(RECEIVED) == 1


@pytest.mark.parametrize(("provider", "bad", "allowed"), BAD_REQUESTS)
def test_bad_requests_are_refused_before_the_view(
    client: Client, provider: str, bad: Any, allowed: set[int], caplog: pytest.LogCaptureFixture
) -> None:
    request = bad(provider)
    response = post(client, f"/hooks/{provider}/a/", request)
    status = parse_status(provider, request)
    assert status in allowed
    assert_refused(response.status_code, response.content, status)
    assert response["Content-Type"] == "application/json"
    assert RECEIVED == []
    assert f"Refused a webhook from {provider} ({status})" in caplog.text


@pytest.mark.parametrize("provider", providers())
def test_anything_but_post_gets_405(client: Client, provider: str) -> None:
    for method in (client.get, client.put, client.head):
        response = method(f"/hooks/{provider}/a/")
        assert response.status_code == 405
        assert response["Allow"] == "POST"
    assert RECEIVED == []


def test_an_oversized_body_gets_413(client: Client) -> None:
    response = post(client, "/small/", signed("payscore", "REPORT_READY", report_id="r" * 300))
    assert_refused(response.status_code, response.content, 413)
    assert RECEIVED == []
    assert post(client, "/small/", signed("payscore", "REPORT_READY")).status_code == 200


def test_unknown_events_reach_a_lenient_view(client: Client) -> None:
    response = post(client, "/lenient/", unknown("payscore"))
    assert response.status_code == 202
    assert json.loads(response.content) == {"seen": "SOMETHING_NEW"}
    assert isinstance(RECEIVED[0][1], UnknownEvent)


def test_async_views_and_callable_secrets() -> None:
    body, headers = signed("payscore", "VERIFICATION_STARTED")

    async def go() -> Any:
        return await AsyncClient().post(
            "/async/", data=body, headers=headers, content_type="application/json"
        )

    assert asyncio.run(go()).status_code == 200
    assert RECEIVED[0][1].event_type == "VERIFICATION_STARTED"

    async def bad() -> Any:
        return await AsyncClient().post("/async/", data=body, content_type="application/json")

    response = asyncio.run(bad())
    assert_refused(response.status_code, response.content, 401)
    assert len(RECEIVED) == 1


@pytest.mark.parametrize(
    ("table", "advice"),
    [
        (None, "settings.WEBHOOK_PAYLOADS_SECRETS is not set; add it with a 'payscore' entry"),
        ({}, 'settings.WEBHOOK_PAYLOADS_SECRETS["payscore"] is missing; add the payscore'),
        ({"payscor": SECRET}, "is missing (1 of its keys are not provider ids)"),
        # Written the wrong way round: the secret is a key, and must not reach the log.
        ({SECRET: "payscore"}, "is missing (1 of its keys are not provider ids)"),
        ({"payscore": f"{SECRET}\n"}, 'from settings.WEBHOOK_PAYLOADS_SECRETS["payscore"] cannot'),
    ],
)
def test_a_missing_secret_is_a_500_and_the_log_names_the_setting_and_key(
    client: Client, caplog: pytest.LogCaptureFixture, table: object, advice: str
) -> None:
    with override_settings(WEBHOOK_PAYLOADS_SECRETS=table):
        response = post(client, "/hooks/payscore/a/", signed("payscore", "REPORT_READY"))
    assert_refused(response.status_code, response.content, 500)
    assert advice in caplog.text
    assert "pass secret=" not in caplog.text
    assert SECRET not in caplog.text
    assert RECEIVED == []


def test_an_entry_for_mastercard_in_the_setting_is_ignored_with_one_error_logged(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    table = {**settings_table(), "mastercard": SECRET}
    with override_settings(WEBHOOK_PAYLOADS_SECRETS=table):
        for _ in range(2):
            response = post(client, "/hooks/mastercard/a/", mastercard_request())
            assert response.status_code == 200
    (record,) = [r for r in caplog.records if r.levelname == "ERROR"]
    assert 'settings.WEBHOOK_PAYLOADS_SECRETS["mastercard"] is ignored' in record.getMessage()
    assert "callback_key=" in record.getMessage()
    assert len(RECEIVED) == 2


def test_bad_options_fail_when_the_view_is_declared() -> None:
    for options in DECLARATION_ERRORS:
        with pytest.raises(ConfigurationError):
            webhook_view(**options)


def test_the_callback_token_is_checked_and_the_reference_handed_on(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    ok = post(client, callback_path("/mastercard/"), mastercard_request())
    assert (ok.status_code, ok.content) == (200, b"")
    rotated = post(
        client, callback_path("/mastercard/", "r-2", OLD_CALLBACK_KEY), mastercard_request()
    )
    assert rotated.status_code == 200
    assert [kwargs for _, _, kwargs in RECEIVED] == [{"reference": "req-7"}, {"reference": "r-2"}]
    for url in (
        "/mastercard/",
        callback_path("/mastercard/", key=SECRET),
        "/mastercard/?ref=req-7",
    ):
        response = post(client, url, mastercard_request())
        assert_refused(response.status_code, response.content, 401)
    assert len(RECEIVED) == 2
    assert "Refused a webhook from mastercard (401)" in caplog.text


def test_the_callback_token_is_checked_before_the_body_is_read() -> None:
    body_file = _CountingFile(b" " * 1000)
    request = _chunked(body_file, path="/mastercard/", query=b"ref=req-7&token=forged")
    response = mastercard_hook(request)
    assert_refused(response.status_code, response.content, 401)
    assert body_file.read_bytes == 0


@pytest.mark.parametrize("provider_request", [invalid, unknown])
def test_authentic_invalid_deliveries_are_kept_and_answered_202(
    client: Client, provider_request: Any
) -> None:
    KEPT.calls.clear()
    request = provider_request("payscore")
    response = post(client, "/keeping/", request)
    assert (response.status_code, response.content) == (202, b"")
    (delivery,) = KEPT.calls
    assert_kept(delivery, request, provider="payscore", receiver=KEEPING_NAME)
    assert RECEIVED == []


def test_forged_or_oversized_deliveries_never_reach_on_invalid(client: Client) -> None:
    KEPT.calls.clear()
    assert post(client, "/keeping/", tampered("payscore")).status_code == 401
    assert post(client, "/keeping/", unsigned("payscore")).status_code == 401
    huge = signed("payscore", "REPORT_READY", report_id="r" * 600)
    assert post(client, "/keeping/", huge).status_code == 413
    body = json.dumps({"eventName": "done"}).encode()
    assert post(client, "/mastercard/?ref=req-7&token=x", (body, {})).status_code == 401
    assert KEPT.calls == []
    assert post(client, callback_path("/mastercard/"), (body, {})).status_code == 202
    (delivery,) = KEPT.calls
    assert_kept(
        delivery, (body, {}), provider="mastercard", receiver=MASTERCARD_NAME, reference="req-7"
    )


def test_an_on_invalid_that_raises_is_answered_500_and_logged(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    response = post(client, "/failing-store/", unknown("payscore"))
    assert (response.status_code, response.json()) == (500, {"error": NOT_KEPT})
    assert "on_invalid failed for a webhook from payscore" in caplog.text
    assert "the store is down" in caplog.text


def test_a_webhook_error_from_the_view_is_answered_with_its_status(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    response = post(client, "/raising/", signed("payscore", "REPORT_READY"))
    assert_refused(response.status_code, response.content, 401)
    assert "Refused a webhook from payscore (401): not ours after all" in caplog.text
    with pytest.raises(KeyError):
        post(client, "/raising/", signed("payscore", "VERIFICATION_STARTED"))


def test_a_settings_value_that_is_not_a_dict_is_a_500(client: Client) -> None:
    with override_settings(WEBHOOK_PAYLOADS_SECRETS=SECRET):
        response = post(client, "/hooks/payscore/a/", signed("payscore", "REPORT_READY"))
    assert_refused(response.status_code, response.content, 500)
    assert SECRET.encode() not in response.content


def test_settings_are_read_per_request_so_rotation_needs_no_restart(client: Client) -> None:
    with override_settings(WEBHOOK_PAYLOADS_SECRETS={"payscore": OLD_SECRET}):
        response = post(client, "/hooks/payscore/a/", signed("payscore", "REPORT_READY"))
        assert response.status_code == 401
        response = post(client, "/hooks/payscore/a/", signed_with_old("payscore", "REPORT_READY"))
        assert response.status_code == 200


def test_an_unknown_provider_fails_when_the_view_is_declared() -> None:
    with pytest.raises(UnknownProviderError):
        webhook_view("stripe")


class _CountingFile(io.BytesIO):
    """The body file an ASGI server fills for a chunked upload, counting what is read."""

    read_bytes = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.read_bytes += len(data)
        return data


def _chunked(
    body_file: io.BytesIO,
    headers: dict[str, str] | None = None,
    *,
    path: str = "/small",
    query: bytes = b"",
) -> HttpRequest:
    # An ASGI request with no Content-Length, as Django builds it for a chunked upload.
    from django.core.handlers.asgi import ASGIRequest

    scope = {
        "type": "http",
        "method": "POST",
        "path": path,
        "query_string": query,
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
    }
    return ASGIRequest(scope, body_file)


def test_a_chunked_body_is_refused_at_the_limit_not_read_whole() -> None:
    # Django's own limit on request.body reads only the declared length: the receiver reads
    # one byte past its limit (256 bytes here) and refuses, leaving the rest of 8 MiB unread.
    RECEIVED.clear()
    body_file = _CountingFile(b" " * (8 << 20))
    response = small(_chunked(body_file))
    assert_refused(response.status_code, response.content, 413)
    assert body_file.read_bytes == 257
    assert RECEIVED == []


def test_a_chunked_body_within_the_limit_is_parsed() -> None:
    RECEIVED.clear()
    body, headers = signed("payscore", "VERIFICATION_STARTED")
    headers = {k: v for k, v in headers.items() if k.lower() != "content-length"}
    response = small(_chunked(_CountingFile(body), headers))
    assert response.status_code == 200
    ((_, event, _),) = RECEIVED
    assert event.event_type == "VERIFICATION_STARTED"


def _post_async(url: str, request: tuple[bytes, dict[str, str]]) -> Any:
    body, headers = request

    async def go() -> Any:
        return await AsyncClient().post(
            url, data=body, headers=headers, content_type="application/json"
        )

    return asyncio.run(go())


def test_an_async_on_invalid_is_awaited_in_an_async_view() -> None:
    ASYNC_KEPT.calls.clear()
    request = unknown("payscore")
    response = _post_async("/async-keeping/", request)
    assert (response.status_code, response.content) == (202, b"")
    (delivery,) = ASYNC_KEPT.calls
    assert_kept(delivery, request, provider="payscore", receiver=f"{__name__}.async_keeping")


def test_an_async_on_invalid_is_refused_for_a_sync_view_when_declared() -> None:
    decorator = webhook_view("payscore", on_invalid=AsyncKept())

    def view(request: HttpRequest, event: WebhookEvent) -> None: ...

    with pytest.raises(ConfigurationError, match="async function, which a sync Django view"):
        decorator(view)


@pytest.fixture(scope="module")
def groups() -> Any:
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    if "django.contrib.auth" not in settings.INSTALLED_APPS:  # pragma: no cover
        pytest.skip("Django was configured by another module without django.contrib.auth")
    call_command("migrate", "auth", verbosity=0, interactive=False)
    return Group.objects


def test_a_sync_on_invalid_can_use_the_orm_in_an_async_view(groups: Any) -> None:
    response = _post_async("/async-orm-keeping/", invalid("payscore"))
    assert (response.status_code, response.content) == (202, b"")
    assert list(groups.values_list("name", flat=True)) == ["kept orm-keeper"]


def test_one_decorator_for_two_views_names_each_after_its_handler() -> None:
    kept = Kept()
    decorator = webhook_view("payscore", on_invalid=kept)

    def first(request: HttpRequest, event: WebhookEvent) -> None: ...

    def second(request: HttpRequest, event: WebhookEvent) -> None: ...

    body, headers = unknown("payscore")
    for view in (decorator(first), decorator(second)):
        request = RequestFactory().post(
            "/", data=body, headers=headers, content_type="application/json"
        )
        assert view(request).status_code == 202
    prefix = f"{__name__}.test_one_decorator_for_two_views_names_each_after_its_handler.<locals>"
    assert [d.receiver for d in kept.calls] == [f"{prefix}.first", f"{prefix}.second"]


def _wsgi_without_length(body_file: io.BytesIO, *, terminated: bool) -> HttpRequest:
    # What a WSGI server hands Django for a chunked upload: no CONTENT_LENGTH.
    body, headers = signed("payscore", "VERIFICATION_STARTED")
    request = RequestFactory().post(
        "/small/", data=body, headers=headers, content_type="application/json"
    )
    del request.META["CONTENT_LENGTH"]
    request.META["wsgi.input"] = body_file
    if terminated:
        request.META["wsgi.input_terminated"] = True
    return request


def test_a_wsgi_body_without_length_is_a_411_that_says_why_when_the_server_cannot_end_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    body, _ = signed("payscore", "VERIFICATION_STARTED")
    response = small(_wsgi_without_length(io.BytesIO(body), terminated=False))
    assert (response.status_code, json.loads(response.content)) == (
        411,
        {"error": "webhook length required"},
    )
    assert "wsgi.input_terminated" in caplog.text
    assert "secret" not in caplog.text
    assert RECEIVED == []


def test_a_wsgi_body_without_length_is_read_from_the_stream_when_the_server_ends_it() -> None:
    body, _ = signed("payscore", "VERIFICATION_STARTED")
    response = small(_wsgi_without_length(io.BytesIO(body), terminated=True))
    assert response.status_code == 200
    ((_, event, _),) = RECEIVED
    assert event.event_type == "VERIFICATION_STARTED"
    body_file = _CountingFile(b" " * (8 << 20))
    response = small(_wsgi_without_length(body_file, terminated=True))
    assert_refused(response.status_code, response.content, 413)
    assert body_file.read_bytes == 257


def test_a_body_over_djangos_own_limit_is_a_413_that_names_the_setting(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    # Django refuses a body over DATA_UPLOAD_MAX_MEMORY_SIZE as a bad request (400), which
    # blames the sender for the app's setting: the receiver says which limit to raise.
    request = signed("payscore", "VERIFICATION_STARTED")
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=len(request[0]) - 1):
        response = post(client, "/small/", request)
    assert_refused(response.status_code, response.content, 413)
    assert "raise Django's DATA_UPLOAD_MAX_MEMORY_SIZE" in caplog.text
    assert RECEIVED == []
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=None):  # no limit of Django's own
        assert post(client, "/small/", request).status_code == 200


def _wsgi_with_input(body_file: io.BytesIO) -> HttpRequest:
    # A signed request whose WSGI input is body_file, with the signed body's Content-Length.
    body, headers = signed("payscore", "VERIFICATION_STARTED")
    built = RequestFactory().post("/small/", data=body, headers=headers, content_type="x/y")
    return WSGIRequest({**built.environ, "wsgi.input": body_file})


@pytest.mark.parametrize(
    "error",
    [InvalidChunkSize("bad chunk"), OSError("NoMoreData"), ConnectionResetError("reset")],
    ids=["invalid-chunk", "no-more-data", "reset"],
)
@pytest.mark.parametrize("declared", [True, False], ids=["declared", "chunked"])
def test_a_body_the_server_cannot_read_in_full_is_a_400_that_reaches_no_view(
    error: Exception, declared: bool, caplog: pytest.LogCaptureFixture
) -> None:
    # Not a 500 with a traceback, and not a 401 for the bytes that did arrive.
    body, _ = signed("payscore", "VERIFICATION_STARTED")
    broken = BrokenInput(body, error)
    if declared:
        request = _wsgi_with_input(broken)
    else:
        request = _wsgi_without_length(broken, terminated=True)
    response = small(request)
    assert_refused(response.status_code, response.content, 400)
    assert "could not be read in full" in caplog.text
    assert RECEIVED == []


def test_a_body_shorter_than_its_declared_length_is_a_400_not_a_bad_signature(
    caplog: pytest.LogCaptureFixture,
) -> None:
    body, _ = signed("payscore", "VERIFICATION_STARTED")
    response = small(_wsgi_with_input(io.BytesIO(body[:-5])))  # the client left mid-body
    assert_refused(response.status_code, response.content, 400)
    assert "signature" not in caplog.text
    assert RECEIVED == []
    assert small(_wsgi_with_input(io.BytesIO(body))).status_code == 200


class _Asgi:
    """Django's ASGI application as the wrapper sees it: records what reaches it."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.received = [await receive() for _ in range(3)]
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def _run_asgi(
    scope: dict[str, Any], messages: list[dict[str, Any]]
) -> tuple[_Asgi, list[dict[str, Any]], int]:
    """Run the wrapper; what reached Django, what was sent, and how many messages were read."""
    django_app = _Asgi()
    sent: list[dict[str, Any]] = []
    read = 0
    pending = itertools.chain(messages, itertools.repeat({"type": "http.disconnect"}))

    async def receive() -> dict[str, Any]:
        nonlocal read
        read += 1
        return next(pending)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(limit_webhook_bodies(django_app)(scope, receive, send))
    return django_app, sent, read


def _scope(path: str = "/small/", **extra: Any) -> dict[str, Any]:
    return {"type": "http", "method": "POST", "path": path, "headers": [], **extra}


def _piece(size: int, *, more: bool = True) -> dict[str, Any]:
    return {"type": "http.request", "body": b" " * size, "more_body": more}


@pytest.mark.parametrize("path", LIMITED)
def test_under_asgi_a_declared_length_over_the_limit_is_refused_before_reading(path: str) -> None:
    scope = _scope(path, headers=[(b"content-length", b"100000")])
    django_app, sent, read = _run_asgi(scope, [_piece(300, more=False)])
    assert (django_app.received, read) == (None, 0)
    assert sent[0]["status"] == 413
    assert json.loads(sent[1]["body"]) == {"error": "webhook body too large"}


@pytest.mark.parametrize("path", LIMITED)
def test_under_asgi_a_chunked_body_is_refused_once_past_the_limit(path: str) -> None:
    django_app, sent, read = _run_asgi(_scope(path), [_piece(200), _piece(200), _piece(200)])
    assert (django_app.received, read, sent[0]["status"]) == (None, 2, 413)
    # Behind a script prefix, the path is resolved as Django resolves it.
    scope = _scope(f"/prefix{path}", root_path="/prefix")
    django_app, sent, read = _run_asgi(scope, [_piece(200), _piece(200)])
    assert (django_app.received, read, sent[0]["status"]) == (None, 2, 413)


@pytest.mark.parametrize("path", LIMITED)
def test_under_asgi_a_body_within_the_limit_reaches_django_as_it_came(path: str) -> None:
    messages = [_piece(100), _piece(100, more=False)]
    django_app, sent, _ = _run_asgi(_scope(path), messages)
    assert django_app.received == [*messages, {"type": "http.disconnect"}]
    assert sent[0]["status"] == 200
    django_app, _, _ = _run_asgi(_scope(), [])  # a client gone before its body
    assert django_app.received == [{"type": "http.disconnect"}] * 3


@pytest.mark.parametrize(
    "scope",
    [
        _scope("/nowhere/"),
        _scope(method="GET"),
        _scope("/mastercard/x/"),
        {"type": "lifespan"},
    ],
)
def test_under_asgi_other_requests_pass_untouched(scope: dict[str, Any]) -> None:
    messages = [_piece(5000), _piece(5000), _piece(5000, more=False)]
    django_app, _, read = _run_asgi(scope, messages)
    assert (django_app.received, read) == (messages, 3)


def test_a_large_body_is_verified_and_parsed_off_the_loop_in_an_async_view() -> None:
    request = signed("payscore", "REPORT_READY", report_id="r" * (OFFLOAD_SIZE + 1))
    assert _post_async("/async/", request).status_code == 200
    ((_, event, _),) = RECEIVED
    assert len(event.report_id) == OFFLOAD_SIZE + 1  # type: ignore[attr-defined]


# What the view hands to parse() and on_invalid instead of request.headers: a view of META.
META = {
    "REQUEST_METHOD": "POST",
    "CONTENT_TYPE": "application/json",
    "CONTENT_LENGTH": "12",
    "HTTP_VERIFICATION_SIGNATURE": "ab12",
    "HTTP_X_FORWARDED_FOR": "203.0.113.7",
    "wsgi.input": io.BytesIO(),
}


@pytest.mark.parametrize(
    "name",
    [
        "Verification-Signature",
        "verification-signature",
        "VERIFICATION_SIGNATURE",
        "Content-Type",
        "content-length",
        "X-Forwarded-For",
        "Signature",
    ],
)
def test_the_headers_view_finds_what_request_headers_finds(name: str) -> None:
    from django.http.request import HttpHeaders

    from webhook_payloads.integrations.django._views import _MetaHeaders

    view, headers = _MetaHeaders(META), HttpHeaders(META)
    assert view.get(name) == headers.get(name)
    assert view.get(name, "absent") == headers.get(name, "absent")
    assert (name in view) == (name in headers)
    assert dict(view) == dict(headers)
    assert len(view) == len(headers) == 4


def test_a_kept_delivery_has_its_signature_header_read_from_meta(client: Client) -> None:
    KEPT.calls.clear()
    body, headers = invalid("payscore")
    response = post(client, "/keeping/", (body, headers))
    assert response.status_code == 202
    (delivery,) = KEPT.calls
    assert delivery.headers == {"Verification-Signature": headers["Verification-Signature"]}


def test_the_view_still_sees_request_headers_as_django_builds_them() -> None:
    seen: list[tuple[str | None, str | None]] = []

    @webhook_view("payscore")
    def view(request: HttpRequest, event: WebhookEvent) -> None:
        seen.append((request.headers.get("X-Tenant"), request.headers.get("content-type")))

    body, headers = signed("payscore", "REPORT_READY")
    request = RequestFactory().post(
        "/", data=body, content_type="application/json", headers={**headers, "X-Tenant": "acme"}
    )
    assert view(request).status_code == 200
    assert seen == [("acme", "application/json")]


def test_a_list_of_secrets_changed_in_place_takes_effect_on_the_next_request(
    client: Client,
) -> None:
    table = {"payscore": [OLD_SECRET]}
    with override_settings(WEBHOOK_PAYLOADS_SECRETS=table):
        assert (
            post(client, "/hooks/payscore/a/", signed("payscore", "REPORT_READY")).status_code
            == 401
        )
        table["payscore"].append(SECRET)
        assert (
            post(client, "/hooks/payscore/a/", signed("payscore", "REPORT_READY")).status_code
            == 200
        )
        table["payscore"].remove(SECRET)
        assert (
            post(client, "/hooks/payscore/a/", signed("payscore", "REPORT_READY")).status_code
            == 401
        )
        del table["payscore"]
        assert (
            post(client, "/hooks/payscore/a/", signed("payscore", "REPORT_READY")).status_code
            == 500
        )
