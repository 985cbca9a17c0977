"""A minimal Django site for the tests that run a real server (gunicorn, uvicorn) on 127.0.0.1.

The server imports it in a process of its own: ``_django_site:wsgi`` or ``_django_site:asgi``.
"""

from __future__ import annotations

import django
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.urls import path

from webhook_payloads import WebhookEvent
from webhook_payloads.integrations.django import limit_webhook_bodies, webhook_view

SECRET = "s3cr3t"
LIMIT = 1024

settings.configure(
    DEBUG=False,
    SECRET_KEY="django-test-only",
    ALLOWED_HOSTS=["127.0.0.1"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    USE_TZ=True,
)
django.setup()


@webhook_view("payscore", secret=SECRET, max_body_size=LIMIT)
def payscore_hook(request: HttpRequest, event: WebhookEvent) -> JsonResponse:
    return JsonResponse({"event_type": event.event_type})


# With an inbox: the ASGI wrapper limits these as it does the plain view (they are refused
# before any row could be recorded, so this site needs no database).
@webhook_view("payscore", secret=SECRET, max_body_size=LIMIT, inbox=True, name="site-inbox")
def payscore_inbox(request: HttpRequest, event: WebhookEvent) -> None:
    raise AssertionError("a body over the limit never reaches the inbox")  # pragma: no cover


@webhook_view("payscore", secret=SECRET, max_body_size=LIMIT, inbox=True, name="site-async")
async def payscore_async_inbox(request: HttpRequest, event: WebhookEvent) -> None:
    raise AssertionError("a body over the limit never reaches the inbox")  # pragma: no cover


def other(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"read": len(request.body)})


urlpatterns = [
    path("hooks/payscore", payscore_hook),
    path("hooks/payscore-inbox", payscore_inbox),
    path("hooks/payscore-async-inbox", payscore_async_inbox),
    path("other", other),
]

from django.core.asgi import get_asgi_application  # noqa: E402 - after settings
from django.core.wsgi import get_wsgi_application  # noqa: E402 - after settings

wsgi = get_wsgi_application()
asgi = limit_webhook_bodies(get_asgi_application())
plain_asgi = get_asgi_application()
