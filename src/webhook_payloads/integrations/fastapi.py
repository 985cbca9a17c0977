"""Receive webhooks in FastAPI: :func:`webhook_event` is a dependency for ``Depends(...)``.

FastAPI is built on Starlette; :func:`webhook_event` is the one of
:mod:`webhook_payloads.integrations.starlette`. :func:`document_webhooks` adds the webhook
routes' request bodies, signature headers and refusals to the app's OpenAPI document.
"""

from ._openapi import document_webhooks
from .starlette import webhook_error_handler, webhook_event

__all__ = ["document_webhooks", "webhook_error_handler", "webhook_event"]
