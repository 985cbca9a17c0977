"""pytest fixtures for testing webhook receivers (registered as the ``webhook_payloads`` plugin).

The plugin only adds fixtures; it changes nothing in test suites that do not use them.
Override :func:`webhook_secret` in your ``conftest.py`` to match your app's test settings::

    @pytest.fixture
    def webhook_secret() -> str:
        return settings.PAYSCORE_SECRET

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

__all__ = ["webhook_request", "webhook_secret", "webhook_signature_schemes"]


@pytest.fixture
def webhook_secret() -> str:
    """The secret :func:`webhook_request` signs with; override it to match your settings."""
    return "webhook-payloads-test-secret"


@pytest.fixture
def webhook_signature_schemes() -> dict[str, object]:
    """Provider id -> ``signature_scheme`` for providers that need one (override it)."""
    return {}


@pytest.fixture
def webhook_request(
    webhook_secret: str, webhook_signature_schemes: dict[str, object]
) -> RequestBuilder:
    """Build signed requests: ``webhook_request(provider, event_type, **fields)``."""
    return RequestBuilder(secret=webhook_secret, signature_schemes=webhook_signature_schemes)
