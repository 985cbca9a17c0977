"""pytest fixtures for testing webhook receivers (registered as the ``webhook_payloads`` plugin).

The plugin only adds fixtures; it changes nothing in test suites that do not use them.
Override :func:`webhook_secret` in your ``conftest.py`` to match your app's test settings,
and :func:`webhook_secrets` for a provider whose secret differs::

    @pytest.fixture
    def webhook_secret() -> str:
        return settings.PAYSCORE_SECRET

    @pytest.fixture
    def webhook_secrets() -> dict[str, str]:
        return {"anddone": settings.ANDDONE_HMAC_KEY}

    def test_report_ready(client, webhook_request):  # Django's test client
        body, headers = webhook_request("payscore", "REPORT_READY", report_type="asset")
        response = client.post(
            "/hooks/payscore", data=body, headers=headers, content_type="application/json"
        )
        assert response.status_code == 200

With Flask's test client, pass ``data=body, headers=headers``; with FastAPI's (httpx),
``content=body, headers=headers``. The integration pages of the docs show each in full.
"""

from __future__ import annotations

import pytest

from .testing import RequestBuilder

__all__ = [
    "DEFAULT_SECRET",
    "webhook_request",
    "webhook_secret",
    "webhook_secrets",
    "webhook_signature_schemes",
]

DEFAULT_SECRET = "0123456789abcdef" * 4
""":func:`webhook_secret`'s default: 64 hex digits, so it also signs under AndDone's hex keys."""


@pytest.fixture
def webhook_secret() -> str:
    """The secret :func:`webhook_request` signs with; override it to match your settings.

    It applies to every signed provider not in :func:`webhook_secrets`. The default is
    :data:`DEFAULT_SECRET` (hex, which AndDone's ``hex_decoded`` key schemes need).
    """
    return DEFAULT_SECRET


@pytest.fixture
def webhook_secrets() -> dict[str, str]:
    """Provider id -> that provider's secret, where it differs from :func:`webhook_secret`.

    Override it to give one provider its own secret without changing the others':
    ``{"anddone": "6b" * 32}``. Empty unless you override it.
    """
    return {}


@pytest.fixture
def webhook_signature_schemes() -> dict[str, object]:
    """Provider id -> ``signature_scheme`` for providers that need one (override it)."""
    return {}


@pytest.fixture
def webhook_request(
    webhook_secret: str,
    webhook_signature_schemes: dict[str, object],
    webhook_secrets: dict[str, str],
) -> RequestBuilder:
    """Build signed requests: ``webhook_request(provider, event_type, **fields)``.

    Each provider's requests are signed with its entry of :func:`webhook_secrets`, else
    with :func:`webhook_secret`.
    """
    return RequestBuilder(
        secret=webhook_secret,
        signature_schemes=webhook_signature_schemes,
        secrets=webhook_secrets,
    )
