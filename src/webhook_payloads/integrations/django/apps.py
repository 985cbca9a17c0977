"""The Django app that keeps webhook deliveries: add it to ``INSTALLED_APPS``."""

from __future__ import annotations

from django.apps import AppConfig


class WebhookPayloadsConfig(AppConfig):
    """``webhook_payloads.integrations.django``: the inbox's model, admin and command.

    Its label is ``webhook_payloads`` (tables ``webhook_payloads_*``, migrations
    ``webhook_payloads``), shorter than the package path and clear beside the app's own.
    """

    name = "webhook_payloads.integrations.django"
    label = "webhook_payloads"
    verbose_name = "Webhook deliveries"
    default_auto_field = "django.db.models.BigAutoField"
