"""FastAPI's OpenAPI document for webhook routes, after ``document_webhooks(app)``.

No "from __future__ import annotations" here: FastAPI resolves the endpoints' annotations at run
time, and the dependencies they name are local variables.
"""

import json
from collections.abc import Iterator
from typing import Annotated, Any

import pytest

# The lowest-dependencies run pins typing-extensions below what the newest FastAPI accepts.
pytest.importorskip("fastapi.testclient", exc_type=ImportError)

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from webhook_payloads import WebhookEvent, json_schema, parse
from webhook_payloads._registry import get_spec
from webhook_payloads._samples import sample_body, sample_names
from webhook_payloads.integrations import _openapi
from webhook_payloads.integrations.fastapi import document_webhooks, webhook_event
from webhook_payloads.testing import providers

from ._kit import (
    SIGNATURE_SCHEMES,
    Kept,
    receiver_options,
    secrets_for,
    signed,
    tampered,
    unknown,
)

# What each provider's route must show, as the providers document it.
SIGNATURE_HEADERS = {
    "payscore": "Verification-Signature",
    "payscore_v1": "Verification-Signature",
    "mastercard_connect": "X-Finicity-Signature",
    "mastercard": None,  # unsigned
    "anddone": None,  # signed inside the body
}
RECEIVED: list[WebhookEvent] = []


def make_app() -> FastAPI:
    app = FastAPI()
    document_webhooks(app)  # before the routes: they are read when the document is built
    for provider in providers():
        dependency = webhook_event(
            provider,
            secret=secrets_for(provider),
            signature_scheme=SIGNATURE_SCHEMES.get(provider),
        )

        def hook(event: Annotated[WebhookEvent, Depends(dependency)]) -> None:
            RECEIVED.append(event)

        app.post(f"/hooks/{provider}")(hook)

    small = webhook_event("payscore", secret=secrets_for("payscore"), max_body_size=64)

    @app.post("/small", responses={400: {"description": "Our own words."}})
    def small_hook(event: Annotated[WebhookEvent, Depends(small)]) -> None:
        RECEIVED.append(event)  # pragma: no cover - every body sent here is too large

    keeping = webhook_event("payscore", secret=secrets_for("payscore"), on_invalid=Kept())

    @app.post("/keeping")
    def keeping_hook(event: Annotated[WebhookEvent, Depends(keeping)]) -> None:
        RECEIVED.append(event)  # pragma: no cover - only invalid bodies are sent here

    failing = webhook_event("payscore", secret=secrets_for("payscore"), on_invalid=Kept(fail=True))

    @app.post("/failing-store")
    def failing_hook(event: Annotated[WebhookEvent, Depends(failing)]) -> None:
        RECEIVED.append(event)  # pragma: no cover - only invalid bodies are sent here

    missing = webhook_event("payscore", secret=lambda: None)  # a setting never filled in

    @app.post("/missing")
    def missing_hook(event: Annotated[WebhookEvent, Depends(missing)]) -> None:
        RECEIVED.append(event)  # pragma: no cover - never reached

    # Declared on a router, the endpoint does not name the event: still a webhook route.
    router = APIRouter(dependencies=[Depends(small)])

    @router.post("/on-router")
    def on_router(request: Request) -> None: ...  # pragma: no cover - only documented

    app.include_router(router, prefix="/api")

    class Limit:
        # A dependency of the app's own: an object that cannot be weakly referenced.
        __slots__ = ()

        def __call__(self) -> None: ...  # pragma: no cover - only documented

    # On a route for another method, the dependency only ever answers 405.
    @app.put("/elsewhere")
    def put(event: Annotated[WebhookEvent, Depends(small)]) -> None: ...  # pragma: no cover

    @app.post("/elsewhere", dependencies=[Depends(Limit())])
    def post() -> None: ...  # pragma: no cover - only documented

    hidden = webhook_event("payscore", secret=secrets_for("payscore"))

    @app.post("/hidden", include_in_schema=False)
    def hidden_hook(
        event: Annotated[WebhookEvent, Depends(hidden)],
    ) -> None: ...  # pragma: no cover

    @app.get("/health", dependencies=[Depends(Limit())])
    def health() -> dict[str, str]:  # pragma: no cover - only documented
        return {"status": "ok"}

    return app


@pytest.fixture(scope="module")
def app() -> FastAPI:
    return make_app()


@pytest.fixture(scope="module")
def document(app: FastAPI) -> dict[str, Any]:
    return app.openapi()


def operation(document: dict[str, Any], path: str) -> dict[str, Any]:
    found: dict[str, Any] = document["paths"][path]["post"]
    return found


def resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def references(node: Any) -> Iterator[str]:
    if isinstance(node, list):
        for item in node:
            yield from references(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            elif key == "discriminator" and isinstance(value, dict):
                yield from value.get("mapping", {}).values()
            yield from references(value)


def test_the_document_is_valid_openapi(document: dict[str, Any]) -> None:
    validate(document)


def test_every_reference_resolves_inside_the_document(document: dict[str, Any]) -> None:
    refs = set(references(document))
    assert len(refs) > len(providers())
    for ref in refs:
        assert isinstance(resolve(document, ref), dict), ref


@pytest.mark.parametrize("provider", providers())
def test_the_body_is_the_providers_json_schema(document: dict[str, Any], provider: str) -> None:
    body = operation(document, f"/hooks/{provider}")["requestBody"]
    assert body["required"] is True
    (media_type,) = body["content"]
    assert media_type == "application/json"
    top_ref = body["content"][media_type]["schema"]["$ref"]
    # Move every definition back under $defs: the result is json_schema() itself.
    schemas = document["components"]["schemas"]
    prefix = f"{provider}."
    names = {
        f"#/components/schemas/{name}": f"#/$defs/{name.removeprefix(prefix)}"
        for name in schemas
        if name.startswith(prefix) and f"#/components/schemas/{name}" != top_ref
    }
    text = json.dumps(resolve(document, top_ref))
    defs = json.dumps(
        {ref.removeprefix("#/$defs/"): resolve(document, c) for c, ref in names.items()}
    )
    for component, ref in names.items():
        text, defs = (t.replace(f'"{component}"', f'"{ref}"') for t in (text, defs))
    expected = json_schema(provider)
    del expected["$schema"]
    assert {**json.loads(text), "$defs": json.loads(defs)} == expected


@pytest.mark.parametrize("provider", providers())
def test_the_examples_are_the_providers_and_fit_the_body_schema(
    document: dict[str, Any], provider: str
) -> None:
    media_type = operation(document, f"/hooks/{provider}")["requestBody"]["content"]
    top_ref = media_type["application/json"]["schema"]["$ref"]
    examples = media_type["application/json"]["examples"]
    assert list(examples) == sample_names(provider)
    validator = Draft202012Validator({"$ref": top_ref, "components": document["components"]})
    for event_type, example in examples.items():
        validator.validate(example["value"])
        assert example["value"] == json.loads(sample_body(provider, event_type))
    discriminator = get_spec(provider).discriminator
    assert not validator.is_valid({discriminator: "SOMETHING_NEW"})


@pytest.mark.parametrize("provider", providers())
def test_the_signature_header_is_a_required_parameter(
    document: dict[str, Any], provider: str
) -> None:
    parameters = operation(document, f"/hooks/{provider}").get("parameters", [])
    header = SIGNATURE_HEADERS[provider]
    if header is None:
        assert parameters == []
    else:
        (parameter,) = parameters
        assert parameter["name"] == header
        assert parameter["in"] == "header"
        assert parameter["required"] is True
        assert parameter["schema"] == {"type": "string"}


@pytest.mark.parametrize("provider", providers())
def test_the_refusals_are_documented(document: dict[str, Any], provider: str) -> None:
    responses = operation(document, f"/hooks/{provider}")["responses"]
    statuses = {"200", "400", "413", "500"} | ({"401"} if provider != "mastercard" else set())
    assert set(responses) == statuses
    assert all(responses[status]["description"] for status in statuses)


def documented_detail(document: dict[str, Any], path: str, status: int) -> str:
    response = operation(document, path)["responses"][str(status)]
    detail: str = response["content"]["application/json"]["schema"]["properties"]["detail"]["const"]
    return detail


def test_the_documented_details_are_what_the_route_answers(
    app: FastAPI, document: dict[str, Any]
) -> None:
    client = TestClient(app)
    answers = {
        "/hooks/payscore": (tampered("payscore"), 401),
        "/hooks/mastercard": ((b'{"not json', {"Content-Type": "application/json"}), 400),
        "/small": (signed("payscore", "REPORT_READY"), 413),
        "/missing": (signed("payscore", "REPORT_READY"), 500),
    }
    for path, ((body, headers), status) in answers.items():
        response = client.post(path, content=body, headers=headers)
        assert response.status_code == status
        assert response.json() == {"detail": documented_detail(document, path, status)}


@pytest.mark.parametrize("provider", providers())
def test_a_signed_request_still_parses_through_the_documented_route(
    app: FastAPI, document: dict[str, Any], provider: str
) -> None:
    assert "requestBody" in operation(document, f"/hooks/{provider}")  # documented first
    RECEIVED.clear()
    for event_type in sample_names(provider):
        request = signed(provider, event_type)
        response = TestClient(app).post(
            f"/hooks/{provider}", content=request[0], headers=request[1]
        )
        assert response.status_code == 200
        assert RECEIVED.pop() == parse(provider, *request, **receiver_options(provider))


def test_what_the_route_declares_itself_is_kept(document: dict[str, Any]) -> None:
    assert operation(document, "/small")["responses"]["400"] == {"description": "Our own words."}
    assert "413" in operation(document, "/small")["responses"]


def test_a_dependency_on_the_router_makes_a_webhook_route(document: dict[str, Any]) -> None:
    documented = operation(document, "/api/on-router")
    assert documented["requestBody"] == operation(document, "/small")["requestBody"]
    assert [p["name"] for p in documented["parameters"]] == ["Verification-Signature"]


def test_only_post_takes_a_webhook(document: dict[str, Any]) -> None:
    for method in ("put", "post"):
        assert "requestBody" not in document["paths"]["/elsewhere"][method]
        assert set(document["paths"]["/elsewhere"][method]["responses"]) == {"200"}


def test_other_routes_are_left_alone(document: dict[str, Any]) -> None:
    assert "/hidden" not in document["paths"]
    health = document["paths"]["/health"]["get"]
    assert "requestBody" not in health
    assert set(health["responses"]) == {"200"}


def test_one_provider_is_hoisted_once_and_a_second_call_changes_nothing(app: FastAPI) -> None:
    before = json.dumps(app.openapi(), sort_keys=True)
    document_webhooks(app)
    assert json.dumps(app.openapi(), sort_keys=True) == before
    names = app.openapi()["components"]["schemas"]
    assert "payscore.ReportReady" in names
    assert not [name for name in names if name.endswith("_2")]


def test_names_taken_by_the_app_are_not_overwritten() -> None:
    app = FastAPI()
    event = webhook_event("payscore", secret=secrets_for("payscore"))

    @app.post("/hook")
    def hook(event: Annotated[WebhookEvent, Depends(event)]) -> None: ...  # pragma: no cover

    @app.post("/dropped")
    def dropped(event: Annotated[WebhookEvent, Depends(event)]) -> None: ...  # pragma: no cover

    generate = app.openapi

    def own_openapi() -> dict[str, Any]:
        # An app's own openapi(): a component of its own, one route left out.
        document = generate()
        document["components"] = {"schemas": {"payscore.ReportReady": {"type": "string"}}}
        del document["paths"]["/dropped"]
        return document

    app.openapi = own_openapi  # type: ignore[method-assign]
    document_webhooks(app)
    document = app.openapi()
    validate(document)
    schemas = document["components"]["schemas"]
    assert schemas["payscore.ReportReady"] == {"type": "string"}
    assert schemas["payscore.ReportReady_2"]["title"] == "ReportReady"
    mapping = schemas["payscore.WebhookEvent"]["discriminator"]["mapping"]
    assert mapping["REPORT_READY"] == "#/components/schemas/payscore.ReportReady_2"
    assert list(document["paths"]) == ["/hook"]


def test_mastercard_callback_parameters_are_query_parameters() -> None:
    async def receive(request: Request) -> None: ...  # pragma: no cover - only documented

    _openapi.register(receive, "mastercard", callback_params=("ref", "token"))
    app = FastAPI()
    document_webhooks(app)
    app.post("/hooks/mastercard", dependencies=[Depends(receive)])(lambda: None)
    document = app.openapi()
    validate(document)
    documented = operation(document, "/hooks/mastercard")
    assert [(p["in"], p["name"], p["required"]) for p in documented["parameters"]] == [
        ("query", "ref", True),
        ("query", "token", True),
    ]
    assert "401" in documented["responses"]


def test_a_route_that_keeps_deliveries_documents_its_202(
    app: FastAPI, document: dict[str, Any]
) -> None:
    responses = operation(document, "/keeping")["responses"]
    assert set(responses) == {"200", "202", "400", "401", "413", "500"}
    assert "on_invalid" in responses["202"]["description"]
    assert "202" not in operation(document, "/hooks/payscore")["responses"]
    client = TestClient(app)
    body, headers = unknown("payscore")
    kept = client.post("/keeping", content=body, headers=headers)
    assert (kept.status_code, kept.json()) == (
        202,
        {"detail": documented_detail(document, "/keeping", 202)},
    )
    # The keeper's own failure is a documented 500 too.
    failed = client.post("/failing-store", content=body, headers=headers)
    schema = operation(document, "/failing-store")["responses"]["500"]["content"]
    details = schema["application/json"]["schema"]["properties"]["detail"]["enum"]
    assert failed.status_code == 500
    assert failed.json()["detail"] in details


def test_an_inbox_can_document_its_202_through_register() -> None:
    async def receive(request: Request) -> None: ...  # pragma: no cover - only documented

    _openapi.register(receive, "payscore", accepted="Stored in the inbox, to be processed later.")
    app = FastAPI()
    document_webhooks(app)
    app.post("/hooks/payscore", dependencies=[Depends(receive)])(lambda: None)
    document = app.openapi()
    validate(document)
    accepted = operation(document, "/hooks/payscore")["responses"]["202"]
    assert accepted["description"] == "Stored in the inbox, to be processed later."
