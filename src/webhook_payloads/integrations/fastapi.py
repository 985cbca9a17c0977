"""Receive webhooks in FastAPI: :func:`webhook_event` is a dependency for ``Depends(...)``.

FastAPI is built on Starlette; this module is the FastAPI name for
:mod:`webhook_payloads.integrations.starlette`.
"""

from .starlette import webhook_error_handler, webhook_event

__all__ = ["webhook_error_handler", "webhook_event"]
