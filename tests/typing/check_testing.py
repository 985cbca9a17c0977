"""Checked by mypy --strict and pyright strict (not run by pytest): testing kit, receivers."""

from collections.abc import Awaitable
from typing import Annotated

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from fastapi import Depends, FastAPI
from flask import Flask
from flask.typing import ResponseReturnValue
from typing_extensions import assert_type

from webhook_payloads.integrations.django import webhook_view
from webhook_payloads.integrations.fastapi import webhook_event
from webhook_payloads.integrations.flask import webhook_handler
from webhook_payloads.integrations.starlette import WebhookDependency
from webhook_payloads.payscore import PayscoreEvent, ReportReady
from webhook_payloads.payscore_v1 import ApplicantAdded
from webhook_payloads.testing import OMIT, RequestBuilder, build_event, build_request, event_types


def kit() -> None:
    assert_type(build_request("payscore", "REPORT_READY", secret="s"), tuple[bytes, dict[str, str]])
    assert_type(event_types("payscore"), list[str])
    assert_type(build_event(ReportReady, report_type="asset"), ReportReady)
    assert_type(build_event(ApplicantAdded, value__applicant_email=OMIT), ApplicantAdded)
    assert_type(
        RequestBuilder(secret="s")("payscore", "REPORT_READY"), tuple[bytes, dict[str, str]]
    )


@webhook_view("payscore")
def django_view(request: HttpRequest, event: PayscoreEvent, tenant: str) -> None: ...


@webhook_view("payscore")
async def django_async_view(request: HttpRequest, event: PayscoreEvent) -> HttpResponse:
    return HttpResponse()


def django_types(request: HttpRequest) -> None:
    # The event is the decorator's to give: the view takes the request and the URL's kwargs.
    assert_type(django_view(request, tenant="acme"), HttpResponseBase)
    assert_type(django_async_view(request), Awaitable[HttpResponseBase])


app = Flask(__name__)


@app.post("/hooks/<tenant>")
@webhook_handler("payscore")
def flask_view(event: PayscoreEvent, tenant: str) -> None: ...


def flask_types() -> None:
    assert_type(flask_view(tenant="acme"), ResponseReturnValue)


api = FastAPI()
payscore_event = webhook_event("payscore", secret=lambda: ["new", "old"])


@api.post("/hooks/payscore")
def fastapi_view(event: Annotated[PayscoreEvent, Depends(payscore_event)]) -> None: ...


def fastapi_types() -> None:
    assert_type(payscore_event, WebhookDependency[PayscoreEvent])
