"""The front door: exactly these names are public, and importing it stays cheap."""

from __future__ import annotations

import inspect
import subprocess
import sys

import webhook_payloads
from webhook_payloads import mastercard_connect, payscore, payscore_v1

EXPECTED = {
    "DEFAULT_MAX_BODY_SIZE",
    "Body",
    "BodyTooLargeError",
    "ConfigurationError",
    "ErrorDetail",
    "EventModel",
    "Headers",
    "MalformedPayloadError",
    "PayloadError",
    "PayloadValidationError",
    "Provider",
    "Secret",
    "Secrets",
    "SignatureError",
    "UnknownEvent",
    "UnknownEventError",
    "UnknownProviderError",
    "UnsupportedContentTypeError",
    "Webhook",
    "WebhookError",
    "WebhookEvent",
    "__version__",
    "from_json",
    "json_schema",
    "parse",
    "to_json",
}


def test_all_is_exactly_the_public_api() -> None:
    assert set(webhook_payloads.__all__) == EXPECTED
    for name in webhook_payloads.__all__:
        assert getattr(webhook_payloads, name) is not None


def test_public_names_have_docstrings() -> None:
    for module in (webhook_payloads, payscore, payscore_v1, mastercard_connect):
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isclass(obj) or inspect.isfunction(obj):
                assert (obj.__doc__ or "").strip(), f"{module.__name__}.{name} has no docstring"


def test_error_tree() -> None:
    w = webhook_payloads
    assert issubclass(w.ConfigurationError, w.WebhookError)
    assert issubclass(w.UnknownProviderError, w.ConfigurationError)
    assert issubclass(w.UnknownProviderError, LookupError)
    assert issubclass(w.SignatureError, w.WebhookError)
    assert issubclass(w.PayloadError, w.WebhookError)
    assert issubclass(w.PayloadError, ValueError)
    for sub in (
        w.BodyTooLargeError,
        w.MalformedPayloadError,
        w.PayloadValidationError,
        w.UnknownEventError,
        w.UnsupportedContentTypeError,
    ):
        assert issubclass(sub, w.PayloadError)
    assert issubclass(w.UnsupportedContentTypeError, w.MalformedPayloadError)
    assert w.UnsupportedContentTypeError.http_status == 400


def test_import_does_not_load_provider_modules() -> None:
    code = (
        "import sys, webhook_payloads\n"
        "loaded = [m for m in sys.modules if m.startswith('webhook_payloads.')]\n"
        "assert not any(m.split('.')[1] in {'payscore', 'payscore_v1', 'mastercard', 'anddone',"
        " 'mastercard_connect'}"
        " for m in loaded), loaded\n"
        "bad = {'django', 'flask', 'starlette', 'fastapi'} & set(sys.modules)\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_provider_enum_values() -> None:
    assert [p.value for p in webhook_payloads.Provider] == [
        "mastercard",
        "payscore",
        "payscore_v1",
        "anddone",
        "mastercard_connect",
    ]
    assert str(webhook_payloads.Provider.PAYSCORE) == "payscore"
    assert f"{webhook_payloads.Provider.PAYSCORE_V1}" == "payscore_v1"
