"""Mastercard's XML bodies: a typed refusal that says how to ask for JSON."""

import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webhook_payloads import (
    MalformedPayloadError,
    PayloadError,
    SignatureError,
    UnsupportedContentTypeError,
    Webhook,
    parse,
)
from webhook_payloads.testing import build_request, raw_request

SECRET = "whsec-test-0123456789"
# No XML example is published: a made-up document, only its first character matters.
XML = b'<?xml version="1.0" encoding="UTF-8"?><event><eventType>done</eventType></event>'
ADVICE = {
    "mastercard": "'Accept: application/json' on the generate-report call",
    "mastercard_connect": "'webhookContentType: application/json' in the Generate Connect URL",
}


def refuse(provider: str, body: bytes, headers: dict[str, str] | None = None) -> PayloadError:
    """The error ``parse()`` raises for ``body``, signed where the provider signs."""
    secret = SECRET if provider == "mastercard_connect" else None
    if secret is not None:
        body, signed = raw_request(provider, body, secret=secret)
        signature = {"X-Finicity-Signature": signed["X-Finicity-Signature"]}
        headers = {**signature, **(headers or {})}
    with pytest.raises(PayloadError) as caught:
        parse(provider, body, headers, secret=secret)
    return caught.value


@pytest.mark.parametrize("provider", sorted(ADVICE))
@pytest.mark.parametrize(
    "body",
    [XML, b"<event/>", b"  \r\n\t<event/>", b"\xef\xbb\xbf<event/>", b"\xef\xbb\xbf \n<x"],
    ids=["declaration", "element", "whitespace", "bom", "bom-whitespace-cut-short"],
)
def test_an_xml_body_is_refused_with_advice(provider: str, body: bytes) -> None:
    error = refuse(provider, body)
    assert type(error) is UnsupportedContentTypeError
    assert isinstance(error, MalformedPayloadError)  # what such bodies raised before
    assert (error.http_status, error.provider) == (400, provider)
    message = str(error)
    assert "reads JSON bodies" in message
    assert ADVICE[provider] in message
    assert "eventType" not in message  # nothing of the body
    assert pickle.loads(pickle.dumps(error)).args == error.args


@pytest.mark.parametrize("provider", sorted(ADVICE))
@pytest.mark.parametrize(
    "content_type",
    ["application/xml", "text/xml; charset=utf-8", " Application/XML ", "application/atom+xml"],
)
def test_a_body_declared_xml_is_refused_with_advice(provider: str, content_type: str) -> None:
    # A body that is neither JSON nor starts with "<" (cut short, or with a prologue the
    # check does not know), sent as XML.
    for headers in ({"Content-Type": content_type}, {"content-type": content_type}):
        error = refuse(provider, b"\x00garbled", headers)
        assert type(error) is UnsupportedContentTypeError


@pytest.mark.parametrize("provider", sorted(ADVICE))
@pytest.mark.parametrize(
    "headers",
    [None, {}, {"Content-Type": "application/json"}, {"Content-Type": "text/xml-ish"}],
)
def test_other_bodies_that_are_not_json_stay_plain_malformed(
    provider: str, headers: dict[str, str] | None
) -> None:
    error = refuse(provider, b"eventType=done", headers)
    assert type(error) is MalformedPayloadError
    assert "not valid JSON" in str(error)


@pytest.mark.parametrize("provider", sorted(ADVICE))
@pytest.mark.parametrize("body", [b"\x0c<event/>", b"\x0b<event/>", b"X<event/>", b"X <a/>"])
def test_only_json_whitespace_may_come_before_the_tag(provider: str, body: bytes) -> None:
    assert type(refuse(provider, body)) is MalformedPayloadError


@pytest.mark.parametrize("provider", ["payscore", "payscore_v1", "anddone"])
def test_providers_that_never_send_xml_give_the_plain_answer(provider: str) -> None:
    with pytest.raises(MalformedPayloadError) as caught:
        parse(provider, XML, {"Content-Type": "application/xml"}, verify=False)
    assert type(caught.value) is MalformedPayloadError


def test_json_declared_as_xml_still_parses() -> None:
    # The header is read only once the body failed to decode as JSON.
    body, _ = build_request("mastercard", "done")
    event = parse("mastercard", body, {"Content-Type": "application/xml"})
    assert event.event_type == "done"


def test_unreadable_headers_do_not_change_the_answer() -> None:
    with pytest.raises(MalformedPayloadError) as caught:
        parse("mastercard", b"eventType=done", 5)  # type: ignore[arg-type]
    assert type(caught.value) is MalformedPayloadError


def test_a_signed_xml_connect_body_is_verified_first() -> None:
    # The signature covers the raw bytes, XML or not: a forged one is still a 401.
    hook = Webhook("mastercard_connect", secret=SECRET)
    body, headers = raw_request("mastercard_connect", XML, secret=SECRET)
    with pytest.raises(UnsupportedContentTypeError):
        hook.parse(body, headers)
    with pytest.raises(SignatureError):
        hook.parse(body + b" ", headers)


@given(st.binary(max_size=64), st.sampled_from(sorted(ADVICE)))
def test_any_body_starting_with_a_tag_is_refused_as_xml(rest: bytes, provider: str) -> None:
    assert type(refuse(provider, b"<" + rest)) is UnsupportedContentTypeError


def test_a_receiver_answers_400_and_hands_the_error_to_on_invalid() -> None:
    pytest.importorskip("flask")
    from flask import Flask

    from webhook_payloads.integrations.flask import webhook_handler

    kept: list[object] = []

    def keep(*given: object) -> None:
        # The last argument is the error, or (since on_invalid takes one object) the delivery.
        kept.append(given[-1])

    app = Flask(__name__)

    @app.post("/strict")
    @webhook_handler("mastercard_connect", secret=SECRET)
    def strict(event: object) -> None:  # pragma: no cover - never reached
        raise AssertionError(event)

    @app.post("/keeping")
    @webhook_handler("mastercard_connect", secret=SECRET, on_invalid=keep)
    def keeping(event: object) -> None:  # pragma: no cover - never reached
        raise AssertionError(event)

    body, headers = raw_request("mastercard_connect", XML, secret=SECRET)
    headers["Content-Type"] = "application/xml"
    client = app.test_client()
    assert client.post("/strict", data=body, headers=headers).status_code == 400
    assert client.post("/keeping", data=body, headers=headers).status_code == 202
    (delivery,) = kept
    assert type(getattr(delivery, "error", delivery)) is UnsupportedContentTypeError
