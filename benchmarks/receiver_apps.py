"""The apps ``benchmarks/receivers.py`` measures: a bare, an expert and a library view each.

Each framework's app has three POST routes, served by one app so that they share its routing,
middleware and server:

- ``/bare``: answers 200 and does nothing else (what the framework costs by itself);
- ``/expert``: what a careful engineer writes by hand for Payscore: the raw body, the
  ``Verification-Signature`` header through the framework's ``request.headers``,
  ``hmac.new(...).hexdigest()`` and ``hmac.compare_digest``, a cached ``TypeAdapter``'s
  ``validate_json`` (``benchmarks/expert_payscore.py``), 401/400 on failure, 200;
- ``/library``: this library's receiver, written as its documentation writes it.

The apps are importable by gunicorn and uvicorn (``receiver_apps:django_app``,
``flask_app``, ``fastapi_app``, ``starlette_app``, with ``benchmarks/`` on the path), and
called directly, in-process, by ``receivers.py``.
"""

# Django's modules that need settings are imported once settings are configured.
# ruff: noqa: E402, PLC0415

from __future__ import annotations

import hashlib
import hmac
import sys
from pathlib import Path
from typing import Annotated, Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # expert_payscore, beside this file

import expert_payscore
from pydantic import ValidationError

SECRET = "payscore-secret-for-benchmarks"
KEY = SECRET.encode()
PATHS = ("/bare", "/expert", "/library")


def expert_check(body: bytes, headers: Any) -> int:
    """The expert's whole job: 200, or 401 (signature) or 400 (payload)."""
    try:
        expert_payscore.handle(body, headers, KEY)
    except PermissionError:
        return 401
    except ValidationError:
        return 400
    return 200


# --------------------------------------------------------------------------- Django


def _django_configure() -> None:
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(
            DEBUG=False,
            SECRET_KEY="benchmark-only",  # noqa: S106 - not a secret: nothing is signed with it
            ALLOWED_HOSTS=["*"],
            ROOT_URLCONF=__name__,
            MIDDLEWARE=[],
            INSTALLED_APPS=[],
            USE_TZ=True,
            WEBHOOK_PAYLOADS_SECRETS={"payscore": SECRET},
        )
        django.setup()


_django_configure()

from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from webhook_payloads.integrations.django import webhook_view
from webhook_payloads.payscore import PayscoreEvent


@csrf_exempt
def django_bare(request: HttpRequest) -> HttpResponse:
    """200, nothing else."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    return HttpResponse(status=200)


@csrf_exempt
def django_expert(request: HttpRequest) -> HttpResponse:
    """The hand-written view."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    return HttpResponse(status=expert_check(request.body, request.headers))


@webhook_view("payscore")
def django_library(request: HttpRequest, event: PayscoreEvent) -> None:
    """The library's view: ``settings.WEBHOOK_PAYLOADS_SECRETS``, as the docs write it."""


urlpatterns = [
    path("bare", django_bare),
    path("expert", django_expert),
    path("library", django_library),
]

django_app = WSGIHandler()
"""Django's WSGI application (what ``get_wsgi_application()`` returns)."""


# --------------------------------------------------------------------------- Flask

from flask import Flask, request

from webhook_payloads.integrations.flask import webhook_handler

flask_app = Flask(__name__)
flask_app.config["WEBHOOK_PAYLOADS_SECRETS"] = {"payscore": SECRET}


@flask_app.post("/bare")
def flask_bare() -> tuple[str, int]:
    """200, nothing else."""
    return "", 200


@flask_app.post("/expert")
def flask_expert() -> tuple[str, int]:
    """The hand-written view."""
    return "", expert_check(request.get_data(), request.headers)


@flask_app.post("/library")
@webhook_handler("payscore")
def flask_library(event: PayscoreEvent) -> None:
    """The library's view: ``app.config["WEBHOOK_PAYLOADS_SECRETS"]``, as the docs write it."""


# --------------------------------------------------------------------------- FastAPI

from fastapi import Depends, FastAPI, HTTPException
from fastapi import Request as FastAPIRequest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from webhook_payloads.integrations.fastapi import webhook_event

payscore_event = webhook_event("payscore", secret=SECRET)


def _fastapi_app(style: str, *, swapped: bool = False) -> FastAPI:
    # One app per endpoint style, each with its routes in the same order (/bare, /expert,
    # /library; swapped: /library before /expert, so that measuring both orders cancels
    # what the route matched second pays for the first one tried).
    app = FastAPI()

    @app.post("/bare")
    async def bare() -> None:
        """200, nothing else."""

    async def expert(request: FastAPIRequest) -> None:
        """The hand-written endpoint."""
        status = expert_check(await request.body(), request.headers)
        if status != 200:
            raise HTTPException(status_code=status)

    if not swapped:
        app.post("/expert")(expert)

    if style == "await":

        @app.post("/library")
        async def library_await(request: FastAPIRequest) -> None:
            """The dependency awaited in the endpoint: the docs' fastest style."""
            await payscore_event(request)

    elif style == "depends":

        @app.post("/library")
        async def library(event: Annotated[PayscoreEvent, Depends(payscore_event)]) -> None:
            """``Depends`` in an ``async def`` endpoint."""

    else:

        @app.post("/library")
        def library_def(event: Annotated[PayscoreEvent, Depends(payscore_event)]) -> None:
            """``Depends`` in a plain ``def`` endpoint: FastAPI runs it in a worker thread."""

    if swapped:
        app.post("/expert")(expert)
    return app


fastapi_app = _fastapi_app("await")
fastapi_app_swapped = _fastapi_app("await", swapped=True)
fastapi_depends_app = _fastapi_app("depends")
fastapi_def_app = _fastapi_app("def")


# --------------------------------------------------------------------------- Starlette

receive_payscore = webhook_event("payscore", secret=SECRET)


async def starlette_bare(request: Request) -> Response:
    """200, nothing else."""
    return Response(status_code=200)


async def starlette_expert(request: Request) -> Response:
    """The hand-written endpoint."""
    return Response(status_code=expert_check(await request.body(), request.headers))


async def starlette_library(request: Request) -> Response:
    """The library's endpoint, as the docs write it."""
    await receive_payscore(request)
    return Response(status_code=200)


starlette_app = Starlette(
    routes=[
        Route("/bare", starlette_bare, methods=["POST"]),
        Route("/expert", starlette_expert, methods=["POST"]),
        Route("/library", starlette_library, methods=["POST"]),
    ]
)
starlette_app_swapped = Starlette(
    routes=[
        Route("/bare", starlette_bare, methods=["POST"]),
        Route("/library", starlette_library, methods=["POST"]),
        Route("/expert", starlette_expert, methods=["POST"]),
    ]
)
"""The same routes, the library's tried before the expert's (see ``_fastapi_app``)."""


def signed_request() -> tuple[bytes, dict[str, str]]:
    """Payscore's signed ``REPORT_READY`` and the headers a server behind a proxy hands over."""
    from webhook_payloads.testing import build_request

    body, headers = build_request("payscore", "REPORT_READY")
    signature = hmac.new(KEY, body, hashlib.sha256).hexdigest()
    return body, {
        "Host": "hooks.example.com",
        "User-Agent": "Payscore-Webhooks/1.0",
        "Accept": "*/*",
        "Accept-Encoding": "gzip, deflate",
        "Content-Type": headers.get("Content-Type", "application/json"),
        "Content-Length": str(len(body)),
        "X-Forwarded-For": "203.0.113.7",
        "X-Forwarded-Proto": "https",
        "X-Request-Id": "9f1c2d3e-4b5a-6789-abcd-ef0123456789",
        "Verification-Signature": signature,
    }
