"""``webhook_view(..., inbox=True)``, the admin, the management command, through Django's own
test client, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.db import connections
from django.http import HttpRequest, JsonResponse
from django.test import AsyncClient, Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import path

from webhook_payloads import ConfigurationError, SignatureError
from webhook_payloads.anddone import SignatureScheme
from webhook_payloads.integrations.django import webhook_view
from webhook_payloads.integrations.django.inbox import Inbox
from webhook_payloads.integrations.django.models import Delivery
from webhook_payloads.mastercard import callback_url
from webhook_payloads.testing import RequestBuilder

from .conftest import POSTGRES_MISSING, POSTGRES_URL

SECRET = "a1b2c3d4" * 8
CALLBACK_KEY = "c0ffee11" * 8
signed = RequestBuilder(secret=SECRET)

ALIASES = [
    pytest.param("default", id="sqlite"),
    pytest.param(
        "postgres",
        id="postgresql",
        marks=[]
        if POSTGRES_URL
        else [pytest.mark.skip(reason=f"no PostgreSQL: {POSTGRES_MISSING}")],
    ),
]


@dataclass
class Calls:
    """What the views' handlers were given, per alias."""

    events: list[Any] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    fail: BaseException | None = None
    deferred: list[int] = field(default_factory=list)


CALLS: dict[str, Calls] = {"default": Calls(), "postgres": Calls()}


def views(alias: str) -> list[Any]:
    """The URL patterns of one database's views."""
    calls = CALLS[alias]
    inbox = Inbox(using=alias)

    def note(event: Any) -> None:
        calls.events.append(event)
        Group.objects.using(alias).create(name=f"{event.idempotency_key}#{len(calls.events)}")
        if calls.fail is not None:
            raise calls.fail

    @webhook_view("payscore", secret=SECRET, inbox=inbox, name=f"payscore-{alias}")
    def payscore(request: HttpRequest, event: Any) -> None:
        assert request.method == "POST"
        note(event)

    @webhook_view("payscore", secret=SECRET, inbox=inbox, name=f"answering-{alias}")
    def answering(request: HttpRequest, event: Any) -> JsonResponse:
        note(event)
        return JsonResponse({"seen": event.event_type}, status=201)

    @webhook_view("payscore", secret=SECRET, inbox=inbox, name=f"async-{alias}")
    async def async_payscore(request: HttpRequest, event: Any) -> None:
        await asyncio.sleep(0)
        await sync_to_async(note)(event)

    @webhook_view(
        "payscore", secret=SECRET, inbox=inbox, defer=calls.deferred.append, name=f"later-{alias}"
    )
    def later(request: HttpRequest, event: Any) -> None:
        note(event)

    @webhook_view("mastercard", callback_key=CALLBACK_KEY, inbox=inbox, name=f"mastercard-{alias}")
    def mastercard(request: HttpRequest, event: Any, reference: str) -> None:
        calls.references.append(reference)
        note(event)

    @webhook_view("payscore", secret=SECRET, inbox=inbox, name=f"small-{alias}", max_body_size=64)
    def small(request: HttpRequest, event: Any) -> None:
        note(event)  # pragma: no cover - every body is too large

    @webhook_view("payscore", secret=SECRET, inbox=inbox, name=f"tenant-{alias}")
    def tenant(request: HttpRequest, event: Any, tenant: str) -> None:
        note(event)  # pragma: no cover - refused: URL arguments

    return [
        path(f"{alias}/payscore/", payscore),
        path(f"{alias}/answering/", answering),
        path(f"{alias}/async/", async_payscore),
        path(f"{alias}/later/", later),
        path(f"{alias}/mastercard/", mastercard),
        path(f"{alias}/small/", small),
        path(f"{alias}/tenant/<str:tenant>/", tenant),
    ]


urlpatterns = [*views("default"), *views("postgres")]


@pytest.fixture(params=ALIASES)
def alias(request: pytest.FixtureRequest) -> Iterator[str]:
    name: str = request.param
    calls = CALLS[name]  # the views hold this object: reset it in place
    calls.events.clear()
    calls.references.clear()
    calls.deferred.clear()
    calls.fail = None
    Delivery.objects.using(name).all().delete()
    Group.objects.using(name).all().delete()
    User.objects.using(name).all().delete()
    with override_settings(ROOT_URLCONF=__name__, ALLOWED_HOSTS=["testserver"], MIDDLEWARE=[]):
        yield name
    Delivery.objects.using(name).all().delete()
    Group.objects.using(name).all().delete()


ADMIN = {
    "ROOT_URLCONF": "tests.inbox.admin_urls",
    "MIDDLEWARE": [
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
    ],
}


def post(client: Client, url: str, request: tuple[bytes, dict[str, str]]) -> Any:
    body, headers = request
    return client.post(url, data=body, content_type="application/json", headers=headers)


def rows(alias: str) -> list[Delivery]:
    return list(Delivery.objects.using(alias).order_by("id"))


def test_a_delivery_is_processed_once_and_repeats_answer_200(alias: str) -> None:
    client = Client()
    request = signed("payscore", "REPORT_READY")

    answers = [post(client, f"/{alias}/payscore/", request).status_code for _ in range(3)]

    assert answers == [200, 200, 200]
    assert len(CALLS[alias].events) == 1
    [row] = rows(alias)
    assert (row.status, row.attempts, row.receiver, row.provider) == (
        "processed",
        1,
        f"payscore-{alias}",
        "payscore",
    )
    assert bytes(row.body) == request[0]
    assert row.headers == {"Verification-Signature": request[1]["Verification-Signature"]}
    assert row.idempotency_key == CALLS[alias].events[0].idempotency_key
    assert row.event_type == "REPORT_READY"
    assert row.received_at is not None
    assert row.processed_at is not None


def test_the_handlers_response_is_the_answer(alias: str) -> None:
    response = post(Client(), f"/{alias}/answering/", signed("payscore", "REPORT_READY"))

    assert (response.status_code, json.loads(response.content)) == (201, {"seen": "REPORT_READY"})


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(
            lambda body, headers: (body.replace(b"REPORT", b"REPORX"), headers), id="tampered"
        ),
        pytest.param(lambda body, headers: (body, {}), id="unsigned"),
        pytest.param(
            lambda body, headers: (b'{"not json', headers), id="signature-of-another-body"
        ),
    ],
)
def test_forged_requests_never_create_a_row(
    alias: str, spoil: Callable[[bytes, dict[str, str]], tuple[bytes, dict[str, str]]]
) -> None:
    response = post(Client(), f"/{alias}/payscore/", spoil(*signed("payscore", "REPORT_READY")))

    assert response.status_code == 401
    assert rows(alias) == []
    assert CALLS[alias].events == []


def test_a_body_over_the_limit_is_refused_without_a_row(alias: str) -> None:
    response = post(Client(), f"/{alias}/small/", signed("payscore", "REPORT_READY"))

    assert response.status_code == 413
    assert rows(alias) == []


@pytest.mark.parametrize(
    ("body", "event_type"),
    [
        pytest.param(b'{"code": "REPORT_READY"}', "", id="invalid"),
        pytest.param(b'{"code": "SOMETHING_NEW"}', "SOMETHING_NEW", id="unknown-type"),
        pytest.param(b"[1, 2]", "", id="not-an-object"),
    ],
)
def test_an_authentic_invalid_body_is_kept_invalid_and_answered_202(
    alias: str, body: bytes, event_type: str
) -> None:
    client = Client()
    request = signed.raw("payscore", body)

    assert post(client, f"/{alias}/payscore/", request).status_code == 202
    assert post(client, f"/{alias}/payscore/", request).status_code == 202

    [row] = rows(alias)
    assert (row.status, row.attempts, row.event_type) == ("invalid", 0, event_type)
    assert bytes(row.body) == body
    assert row.last_error_message
    assert CALLS[alias].events == []


def test_a_failing_handler_answers_500_and_leaves_the_row_failed(alias: str) -> None:
    CALLS[alias].fail = KeyError("Jane Doe 12345678")
    client = Client(raise_request_exception=False)
    request = signed("payscore", "REPORT_READY")

    assert post(client, f"/{alias}/payscore/", request).status_code == 500

    [row] = rows(alias)
    assert (row.status, row.attempts, row.last_error_type) == ("failed", 1, "KeyError")
    assert "12345678" not in row.last_error_message
    assert list(Group.objects.using(alias).all()) == []  # the handler's write rolled back

    CALLS[alias].fail = None
    assert post(client, f"/{alias}/payscore/", request).status_code == 200
    [row] = rows(alias)
    assert (row.status, row.attempts) == ("processed", 2)
    assert Group.objects.using(alias).count() == 1


def test_a_webhook_error_from_the_handler_is_answered_with_its_status(alias: str) -> None:
    CALLS[alias].fail = SignatureError("Not ours.", provider="payscore", reason="mismatch")

    response = post(Client(), f"/{alias}/payscore/", signed("payscore", "REPORT_READY"))

    assert response.status_code == 401
    assert [row.status for row in rows(alias)] == ["failed"]


def test_async_views_process_once_with_the_orm_in_the_savepoint(alias: str) -> None:
    client = AsyncClient(raise_request_exception=False)
    request = signed("payscore", "REPORT_READY")

    async def send() -> int:
        body, headers = request
        response = await client.post(
            f"/{alias}/async/", data=body, content_type="application/json", headers=headers
        )
        return response.status_code

    CALLS[alias].fail = RuntimeError("down")
    assert asyncio.run(send()) == 500
    assert [(row.status, row.attempts) for row in rows(alias)] == [("failed", 1)]
    assert Group.objects.using(alias).count() == 0

    CALLS[alias].fail = None
    assert asyncio.run(send()) == 200
    assert asyncio.run(send()) == 200
    assert [(row.status, row.attempts) for row in rows(alias)] == [("processed", 2)]
    assert len(CALLS[alias].events) == 2
    assert Group.objects.using(alias).count() == 1


def test_later_processing_answers_202_and_hands_over_the_row(alias: str) -> None:
    client = Client()
    request = signed("payscore", "REPORT_READY")

    assert post(client, f"/{alias}/later/", request).status_code == 202

    [row] = rows(alias)
    assert row.status == "received"
    assert CALLS[alias].deferred == [row.pk]
    assert CALLS[alias].events == []

    outcome = Inbox(using=alias).process(row.pk)

    assert (outcome.status, outcome.ran) == (200, True)
    assert len(CALLS[alias].events) == 1
    assert post(client, f"/{alias}/later/", request).status_code == 200
    assert CALLS[alias].deferred == [row.pk]


def test_a_resend_is_found_by_a_read_never_a_failed_insert(alias: str) -> None:
    # A failed INSERT would be an error in PostgreSQL's log for every resend.
    client = Client()
    request = signed("payscore", "REPORT_READY")
    assert post(client, f"/{alias}/payscore/", request).status_code == 200

    with CaptureQueriesContext(connections[alias]) as queries:
        assert post(client, f"/{alias}/payscore/", request).status_code == 200

    statements = [query["sql"].split(maxsplit=1)[0].upper() for query in queries.captured_queries]
    assert statements == ["SELECT"]
    assert len(CALLS[alias].events) == 1


def test_mastercard_rows_keep_the_verified_reference_for_replay(alias: str) -> None:
    CALLS[alias].fail = RuntimeError("down")
    url = callback_url(f"http://testserver/{alias}/mastercard/", "loan-7", CALLBACK_KEY)
    body = signed("mastercard", "done")[0]
    client = Client(raise_request_exception=False)

    assert client.post(url, data=body, content_type="application/json").status_code == 500
    assert (
        client.post(f"/{alias}/mastercard/", data=body, content_type="application/json").status_code
        == 401
    )

    [row] = rows(alias)
    assert (row.reference, row.headers) == ("loan-7", {})
    CALLS[alias].fail = None
    call_command(
        "webhook_payloads",
        "replay",
        "--database",
        alias,
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    assert CALLS[alias].references == ["loan-7", "loan-7"]
    assert [row.status for row in rows(alias)] == ["processed"]


def test_url_arguments_are_refused_with_an_inbox(alias: str) -> None:
    response = post(Client(), f"/{alias}/tenant/acme/", signed("payscore", "REPORT_READY"))

    assert response.status_code == 500
    assert rows(alias) == []


def test_replay_command_processes_failed_rows_once_and_is_safe_twice(alias: str) -> None:
    CALLS[alias].fail = RuntimeError("down")
    client = Client(raise_request_exception=False)
    for number in range(3):
        request = signed("payscore", "REPORT_READY", report_id=str(uuid.UUID(int=number + 1)))
        assert post(client, f"/{alias}/payscore/", request).status_code == 500
    assert post(client, f"/{alias}/payscore/", signed.raw("payscore", b"{}")).status_code == 202
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError, match="3 deliveries failed again"):
        call_command("webhook_payloads", "replay", "--database", alias, stdout=out, stderr=err)
    assert "4 selected: 0 processed, 3 failed, 1 invalid, 0 skipped" in out.getvalue()

    CALLS[alias].fail = None
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "webhook_payloads",
        "replay",
        "--status",
        "failed",
        "--provider",
        "payscore",
        "--receiver",
        f"payscore-{alias}",
        "--database",
        alias,
        stdout=out,
        stderr=err,
    )
    assert "3 selected: 3 processed, 0 failed, 0 invalid, 0 skipped" in out.getvalue()
    assert "3/3:" in err.getvalue()
    assert [row.status for row in rows(alias)] == ["processed"] * 3 + ["invalid"]
    calls = len(CALLS[alias].events)

    out = io.StringIO()
    first_id = rows(alias)[0].pk
    call_command(
        "webhook_payloads",
        "replay",
        "--status",
        "failed",
        "--id",
        str(first_id),
        "--database",
        alias,
        stdout=out,
        stderr=io.StringIO(),
    )
    assert "0 selected" in out.getvalue()
    out = io.StringIO()
    call_command(
        "webhook_payloads",
        "replay",
        "--since",
        "2000-01-01",
        "--until",
        (datetime.now(timezone.utc) + timedelta(days=1)).isoformat(),
        "--database",
        alias,
        stdout=out,
        stderr=io.StringIO(),
    )
    assert "1 selected: 0 processed, 0 failed, 1 invalid, 0 skipped" in out.getvalue()
    assert len(CALLS[alias].events) == calls


def test_prune_command_deletes_old_rows(alias: str) -> None:
    client = Client()
    for number in range(3):
        request = signed("payscore", "REPORT_READY", report_id=str(uuid.UUID(int=number + 1)))
        assert post(client, f"/{alias}/payscore/", request).status_code == 200
    old = rows(alias)[:2]
    Delivery.objects.using(alias).filter(pk__in=[r.pk for r in old]).update(
        received_at=datetime.now(timezone.utc) - timedelta(days=91)
    )
    out = io.StringIO()

    call_command("webhook_payloads", "prune", "--older-than", "90", "--database", alias, stdout=out)

    assert out.getvalue().strip() == "Deleted 2 deliveries older than 90 days."
    assert len(rows(alias)) == 1


@pytest.mark.parametrize(
    "arguments",
    [
        ["prune", "--older-than", "-1"],
        ["prune", "--older-than", "nan"],
        ["prune", "--older-than", "soon"],
        ["prune"],
        ["replay", "--since", "yesterday"],
        ["replay", "--status", "processed"],
    ],
)
def test_the_command_refuses_bad_arguments(arguments: list[str]) -> None:
    with pytest.raises(CommandError):
        call_command("webhook_payloads", *arguments, stdout=io.StringIO(), stderr=io.StringIO())


def test_admin_lists_without_bodies_and_shows_one_to_staff(alias: str) -> None:
    if alias != "default":
        pytest.skip("the admin runs on the default database")
    personal = "Jane-Doe-4111111111111111"
    request = signed("payscore", "REPORT_READY")
    body = request[0].replace(b'"REPORT_READY"', f'"REPORT_READY", "note": "{personal}"'.encode())
    client = Client()
    assert post(client, "/default/payscore/", signed.raw("payscore", body)).status_code == 200
    row = rows(alias)[0]
    assert personal not in repr(row)
    assert personal not in str(row)

    staff = User.objects.create_superuser("staff", "staff@example.com", "pw")
    with override_settings(**ADMIN):
        client = Client()  # loads the admin's middleware
        client.force_login(staff)
        listing = client.get("/admin/webhook_payloads/delivery/?status=processed")
        found = client.get("/admin/webhook_payloads/delivery/", {"q": row.idempotency_key})
        change = client.get(f"/admin/webhook_payloads/delivery/{row.pk}/change/")

    assert listing.status_code == 200
    text = listing.content.decode()
    assert "REPORT_READY" in text
    assert personal not in text
    assert "1 webhook delivery" in found.content.decode()
    assert change.status_code == 200
    assert personal in change.content.decode()
    assert request[1]["Verification-Signature"] not in change.content.decode()


def test_the_admins_change_page_is_read_only(alias: str) -> None:
    if alias != "default":
        pytest.skip("the admin runs on the default database")
    client = Client()
    assert post(client, "/default/payscore/", signed("payscore", "REPORT_READY")).status_code == 200
    row = rows(alias)[0]
    url = f"/admin/webhook_payloads/delivery/{row.pk}/change/"

    with override_settings(**ADMIN):
        client = Client()
        client.force_login(User.objects.create_superuser("staff", "staff@example.com", "pw"))
        page = client.get(url)
        saved = client.post(url, {"status": "failed", "_save": "Save"})
        listing = client.get("/admin/webhook_payloads/delivery/")

    text = page.content.decode()
    assert page.status_code == 200
    assert 'name="_save"' not in text
    assert 'name="_continue"' not in text
    assert 'name="_addanother"' not in text
    assert '<pre style="white-space: pre-wrap">{\n  &quot;code&quot;' in text  # pretty body
    assert saved.status_code == 403
    assert rows(alias)[0].status == "processed"
    assert 'value="process_again"' in listing.content.decode()  # the action stays


def test_admin_action_processes_again(alias: str) -> None:
    if alias != "default":
        pytest.skip("the admin runs on the default database")
    CALLS[alias].fail = RuntimeError("down")
    client = Client(raise_request_exception=False)
    assert post(client, "/default/payscore/", signed("payscore", "REPORT_READY")).status_code == 500
    CALLS[alias].fail = None
    row = rows(alias)[0]

    with override_settings(**ADMIN):
        client = Client()
        client.force_login(User.objects.create_superuser("staff", "staff@example.com", "pw"))
        response = client.post(
            "/admin/webhook_payloads/delivery/",
            {"action": "process_again", "_selected_action": [row.pk]},
            follow=True,
        )

    assert "1 selected: 1 processed" in response.content.decode()
    assert [r.status for r in rows(alias)] == ["processed"]


def test_declarations_that_cannot_keep_deliveries_are_refused() -> None:
    def handler(request: HttpRequest, event: Any) -> None:
        """Never called."""

    event_body = SignatureScheme.from_name("event_body:hex_decoded")
    with pytest.raises(ConfigurationError, match="event_body"):
        webhook_view("anddone", secret=SECRET, signature_scheme=event_body, inbox=True)(handler)
    with pytest.raises(ConfigurationError, match="callback_key"):
        webhook_view("mastercard", inbox=True)(handler)
    with pytest.raises(ConfigurationError, match="on_invalid"):
        webhook_view("payscore", secret=SECRET, inbox=True, on_invalid=print)(handler)
    with pytest.raises(ConfigurationError, match="defer needs inbox"):
        webhook_view("payscore", secret=SECRET, defer=print)
    with pytest.raises(ConfigurationError, match="defer must be"):
        webhook_view("payscore", secret=SECRET, inbox=True, defer=1, name="x")(handler)  # type: ignore[arg-type]
    webhook_view("payscore", secret=SECRET, inbox=True, name="clash")(handler)
    with pytest.raises(ConfigurationError, match="name="):
        webhook_view("payscore", secret=SECRET, inbox=True, name="clash")(lambda r, e: None)


def test_the_shipped_migrations_match_the_model() -> None:
    call_command("makemigrations", "webhook_payloads", "--check", "--dry-run", stdout=io.StringIO())


def test_webhook_view_works_without_the_app_installed() -> None:
    script = (
        "import sys, django\n"
        "from django.conf import settings\n"
        "settings.configure(INSTALLED_APPS=[])\n"
        "django.setup()\n"
        "from webhook_payloads.integrations.django import webhook_view\n"
        "webhook_view('payscore', secret='x' * 64)(lambda request, event: None)\n"
        "assert 'webhook_payloads.integrations.django.models' not in sys.modules\n"
        "assert 'webhook_payloads.integrations._inbox' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)


def test_the_task_function_says_what_became_of_each_row(alias: str) -> None:
    from webhook_payloads.integrations.django import tasks

    client = Client(raise_request_exception=False)
    CALLS[alias].fail = RuntimeError("down")
    assert (
        post(client, f"/{alias}/payscore/", signed("payscore", "REPORT_READY")).status_code == 500
    )
    assert post(client, f"/{alias}/payscore/", signed.raw("payscore", b"{}")).status_code == 202
    failed, invalid = rows(alias)

    with override_settings(DATABASE_ROUTERS=[f"{__name__}.Router"]):
        Router.alias = alias
        assert tasks.process(failed.pk) == "failed"
        assert tasks.process(invalid.pk) == "invalid"
        CALLS[alias].fail = None
        assert tasks.process(failed.pk) == "processed"
        assert tasks.process(failed.pk) == "skipped"


class Router:
    """Sends the inbox's rows to the database under test (the task uses the router)."""

    alias = "default"

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return self.alias

    def db_for_read(self, model: Any, **hints: Any) -> str:
        return self.alias


def test_the_admin_shows_a_body_that_is_not_json_as_text() -> None:
    from webhook_payloads.integrations.django.admin import pretty

    assert pretty(b'{"not json') == '{"not json'
    assert pretty(b'{"a": [1]}') == '{\n  "a": [\n    1\n  ]\n}'


def _stored(when: datetime) -> datetime:
    """``when`` (aware) as the database holds it under the current ``USE_TZ``."""
    from django.conf import settings
    from django.utils import timezone as django_timezone

    if settings.USE_TZ:
        return when
    return django_timezone.make_naive(when, django_timezone.get_default_timezone())


@pytest.mark.parametrize("use_tz", [True, False], ids=["USE_TZ", "no-USE_TZ"])
def test_both_use_tz_settings_record_process_replay_and_prune(alias: str, use_tz: bool) -> None:
    from django.db import connections

    from webhook_payloads.integrations.django.inbox import _row

    # A TIME_ZONE far from UTC (and without DST): naive times are in it when USE_TZ is off.
    kolkata = timezone(timedelta(hours=5, minutes=30))
    connections[alias].close()  # the connection's time zone follows the settings
    try:
        with override_settings(USE_TZ=use_tz, TIME_ZONE="Asia/Kolkata"):
            client = Client(raise_request_exception=False)
            before = datetime.now(timezone.utc)
            CALLS[alias].fail = RuntimeError("down")
            for number in range(3):
                report = str(uuid.UUID(int=number + 1))
                request = signed("payscore", "REPORT_READY", report_id=report)
                assert post(client, f"/{alias}/payscore/", request).status_code == 500
            CALLS[alias].fail = None
            done = signed("payscore", "REPORT_READY", report_id=str(uuid.UUID(int=9)))
            assert post(client, f"/{alias}/payscore/", done).status_code == 200
            after = datetime.now(timezone.utc)

            objs = rows(alias)
            assert [obj.status for obj in objs] == ["failed"] * 3 + ["processed"]
            for obj in objs:
                # Django hands back what it keeps: naive local time without USE_TZ.
                assert (obj.received_at.tzinfo is not None) is use_tz
                if not use_tz:
                    local = obj.received_at.replace(tzinfo=kolkata)
                    assert before - timedelta(seconds=1) <= local <= after + timedelta(seconds=1)
            # Rows handed to the flow are aware, in UTC, and mean the moment they arrived.
            for row in map(_row, objs):
                assert row.received_at.utcoffset() == timedelta(0)
                assert before - timedelta(seconds=1) <= row.received_at <= after
            processed = _row(objs[-1]).processed_at
            assert processed is not None
            assert processed.utcoffset() == timedelta(0)
            assert before <= processed <= after + timedelta(seconds=1)

            # The first failed row arrived ten days ago: replay --since leaves it out.
            old = objs[0].pk
            ten_days_ago = before - timedelta(days=10)
            Delivery.objects.using(alias).filter(pk=old).update(received_at=_stored(ten_days_ago))
            out = io.StringIO()
            call_command(
                "webhook_payloads",
                "replay",
                "--status",
                "failed",
                "--since",
                (before - timedelta(days=1)).isoformat(),
                "--until",
                (after + timedelta(minutes=1)).isoformat(),
                "--database",
                alias,
                stdout=out,
                stderr=io.StringIO(),
            )
            assert "2 selected: 2 processed, 0 failed" in out.getvalue()
            assert [obj.status for obj in rows(alias)] == ["failed"] + ["processed"] * 3
            assert len(CALLS[alias].events) == 4 + 2

            out = io.StringIO()
            call_command(
                "webhook_payloads", "prune", "--older-than", "9", "--database", alias, stdout=out
            )
            assert out.getvalue().strip() == "Deleted 1 deliveries older than 9 days."
            assert old not in [obj.pk for obj in rows(alias)]
    finally:
        connections[alias].close()
