"""Screenshot the Django admin's list of webhook deliveries, to see it as staff do.

    apt-get install chromium              # or any Chromium/Chrome; pass its path with --browser
    python tools/admin_screenshot.py docs/inbox-admin.png

A throw-away Django project (SQLite in a temporary directory) receives a few signed sample
deliveries through receivers with an inbox (processed, failed, invalid), then serves its
admin on 127.0.0.1 only, for as long as the screenshot takes, with a staff user logged in by
a middleware of this script (no password anywhere).
"""

# Django modules that need settings are imported after settings.configure(), in functions.
# ruff: noqa: PLC0415

from __future__ import annotations

import argparse
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any

import django
from django.conf import settings

SECRET = "example-secret"  # noqa: S105 - a demo app's secret, for sample deliveries only


def configure(folder: Path) -> None:
    """Settings of the demo project."""
    settings.configure(
        DEBUG=False,
        SECRET_KEY="screenshot-only",  # noqa: S106 - a throw-away project
        USE_TZ=True,
        TIME_ZONE="UTC",
        ALLOWED_HOSTS=["127.0.0.1", "testserver"],
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=[
            "django.contrib.admin",
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
            "django.contrib.staticfiles",
            "webhook_payloads.integrations.django",
        ],
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            f"{__name__}.logged_in",
            "django.contrib.messages.middleware.MessageMiddleware",
        ],
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                    ]
                },
            }
        ],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(folder / "db")}},
        STATIC_URL="/static/",
        WEBHOOK_PAYLOADS_SECRETS={"payscore": SECRET, "mastercard_connect": SECRET},
    )
    django.setup()


def logged_in(get_response: Any) -> Any:
    """Middleware: every request is the staff user's (a demo served to a screenshot only)."""

    def middleware(request: Any) -> Any:
        from django.contrib.auth.models import User

        request.user = User.objects.get(username="staff")
        return get_response(request)

    return middleware


urlpatterns: list[Any] = []


def deliveries() -> None:
    """Receive sample deliveries: processed ones, one whose handler fails, invalid ones."""
    from django.contrib.auth.models import User
    from django.test import Client
    from django.urls import path

    from webhook_payloads.integrations.django import webhook_view
    from webhook_payloads.testing import RequestBuilder

    @webhook_view("payscore", inbox=True, name="payscore")
    def payscore(request: Any, event: Any) -> None:
        if event.event_type == "VERIFICATION_COMPLETED":
            raise ConnectionError("the loan service did not answer")

    @webhook_view("mastercard_connect", inbox=True, name="connect")
    def connect(request: Any, event: Any) -> None:
        """Accept every event."""

    from django.contrib import admin

    urlpatterns[:] = [
        path("admin/", admin.site.urls),
        path("hooks/payscore/", payscore),
        path("hooks/connect/", connect),
    ]
    User.objects.create_superuser("staff", "staff@example.com", None)
    signed = RequestBuilder(secret=SECRET)
    client = Client(raise_request_exception=False)
    sent = [
        ("payscore", "REPORT_READY"),
        ("payscore", "VERIFICATION_STARTED"),
        ("payscore", "VERIFICATION_COMPLETED"),
        ("mastercard_connect", "added"),
        ("mastercard_connect", "done"),
        ("mastercard_connect", "accountsDeleted"),
    ]
    for provider, event_type in sent:
        body, headers = signed(provider, event_type)
        url = "/hooks/payscore/" if provider == "payscore" else "/hooks/connect/"
        client.post(url, body, content_type="application/json", headers=headers)
    for body in (b'{"code": "REPORT_EXPIRED"}', b'{"code": "REPORT_READY"}'):
        raw, headers = signed.raw("payscore", body)
        client.post("/hooks/payscore/", raw, content_type="application/json", headers=headers)


def main() -> None:
    """Make the deliveries, serve the admin, screenshot its list, stop the server."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path)
    parser.add_argument("--browser", default="chromium")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--size", default="1600,660")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="admin-screenshot-"))
    configure(folder)
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.management import call_command
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    call_command("migrate", verbosity=0)
    deliveries()
    server = ThreadedWSGIServer(("127.0.0.1", args.port), WSGIRequestHandler)
    server.set_app(StaticFilesHandler(get_wsgi_application()))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        subprocess.run(  # noqa: S603 - the browser named on our own command line
            [
                args.browser,
                "--headless",
                "--no-sandbox",  # root in a container has no user namespace to sandbox with
                "--disable-gpu",
                "--hide-scrollbars",
                "--virtual-time-budget=5000",
                f"--window-size={args.size}",
                f"--screenshot={args.output.resolve()}",
                f"http://127.0.0.1:{args.port}/admin/webhook_payloads/delivery/",
            ],
            check=True,
            timeout=120,
        )
    finally:
        server.shutdown()
        thread.join(timeout=10)


if __name__ == "__main__":
    main()
