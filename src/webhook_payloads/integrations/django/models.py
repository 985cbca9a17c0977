"""The inbox's table: one :class:`Delivery` row per authentic webhook delivery."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from django.db import models

from .._inbox import (
    MAX_EVENT_TYPE_LENGTH,
    MAX_KEY_LENGTH,
    MAX_MESSAGE_LENGTH,
    RECEIVED,
    STATUSES,
)

__all__ = ["Delivery"]


class Delivery(models.Model):
    """One authentic webhook delivery, kept as received.

    The body (and the reference) may hold personal data: ``repr()``, ``str()`` and the
    admin's list never show it; ``manage.py webhook_payloads prune`` deletes old rows.
    """

    provider: models.CharField[str, str] = models.CharField(max_length=32)
    receiver: models.CharField[str, str] = models.CharField(
        max_length=200, help_text="The receiver's name."
    )
    received_at: models.DateTimeField[datetime, datetime] = models.DateTimeField(db_index=True)
    body: models.BinaryField[bytes, bytes | memoryview] = models.BinaryField(
        help_text="The raw body, as received."
    )
    headers: models.JSONField[dict[str, str], dict[str, str]] = models.JSONField(
        default=dict, blank=True, help_text="The headers its verification needs."
    )
    reference: models.TextField[str | None, str | None] = models.TextField(
        null=True, blank=True, help_text="The verified callbackUrl reference (Mastercard)."
    )
    event_type: models.CharField[str, str] = models.CharField(
        max_length=MAX_EVENT_TYPE_LENGTH, blank=True
    )
    idempotency_key: models.CharField[str, str] = models.CharField(max_length=MAX_KEY_LENGTH)
    status: models.CharField[str, str] = models.CharField(
        max_length=16, choices=[(status, status) for status in STATUSES], default=RECEIVED
    )
    attempts: models.PositiveIntegerField[int, int] = models.PositiveIntegerField(
        default=0, help_text="Times the handler was run."
    )
    last_error_type: models.CharField[str, str] = models.CharField(
        max_length=MAX_MESSAGE_LENGTH, blank=True
    )
    last_error_message: models.CharField[str, str] = models.CharField(
        max_length=MAX_MESSAGE_LENGTH, blank=True
    )
    processed_at: models.DateTimeField[datetime | None, datetime | None] = models.DateTimeField(
        null=True, blank=True
    )

    objects: ClassVar[models.Manager[Delivery]] = models.Manager()

    class Meta:
        """One row per receiver and idempotency key; replay selects by status and time."""

        app_label = "webhook_payloads"
        verbose_name = "webhook delivery"
        verbose_name_plural = "webhook deliveries"
        ordering: ClassVar[list[str]] = ["-received_at", "-id"]
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=["receiver", "idempotency_key"], name="webhook_payloads_one_per_key"
            )
        ]
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=["status", "received_at"], name="webhook_payloads_status"),
        ]

    def __str__(self) -> str:
        """Id, provider, event type and status: never the body."""
        return f"{self.provider} {self.event_type or '(no event type)'} #{self.pk} ({self.status})"

    def __repr__(self) -> str:
        """Like ``str()``: never the body, headers or reference."""
        return f"<Delivery {self.pk} {self.provider} {self.event_type!r} {self.status}>"
