"""Receive webhooks in Django: a view decorator that hands your function the typed event.

Example (``views.py``)::

    from webhook_payloads.integrations.django import webhook_view

    @webhook_view("payscore")
    def payscore_hook(request, event):
        handle(event)

with ``WEBHOOK_PAYLOADS_SECRETS = {"payscore": ["new-secret", "old-secret"]}`` in settings.
The view is CSRF-exempt (providers cannot send a CSRF token; the signature authenticates the
request), answers 405 to anything but POST, and 400/401/413/500 (from the error's
``http_status``) with a short JSON body when the request is refused. Under ASGI, wrap the
application with :func:`limit_webhook_bodies` so that a body over the limit is refused before
Django has read all of it.
"""

from __future__ import annotations

from ._asgi import limit_webhook_bodies
from ._views import SECRETS_SETTING, CallbackViewDecorator, ViewDecorator, webhook_view

__all__ = [
    "SECRETS_SETTING",
    "CallbackViewDecorator",
    "ViewDecorator",
    "limit_webhook_bodies",
    "webhook_view",
]
