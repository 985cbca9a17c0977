"""The admin's view of the inbox: list, filter, search, read a body, process again.

Rows are read-only: a delivery is what the provider sent. The list never loads or shows a
body; the change page shows it to staff, pretty-printed, with the names (not the values) of
the headers kept for verification.
"""

# django-stubs types QuerySet methods as returning Self, which pyright resolves to Unknown
# (mypy reads them); the values are annotated where it helps.
# pyright: reportUnknownMemberType=false, reportUnknownVariableType=false
# pyright: reportUnknownArgumentType=false

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.utils.html import format_html

from .._inbox import Summary, process
from .inbox import Inbox, load_receivers
from .models import Delivery

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django.http import HttpRequest, HttpResponse

    _ModelAdmin = admin.ModelAdmin[Delivery]
else:  # generic for type checkers only (django-stubs)
    _ModelAdmin = admin.ModelAdmin

__all__ = ["DeliveryAdmin"]


def pretty(body: bytes) -> str:
    """``body`` as indented JSON, or as text when it is not JSON (an invalid delivery)."""
    text = bytes(body).decode("utf-8", errors="replace")
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


@admin.register(Delivery)
class DeliveryAdmin(_ModelAdmin):
    """Webhook deliveries: read-only, with the action "process again"."""

    list_display = ("received_at", "provider", "receiver", "event_type", "status", "attempts")
    list_filter = ("provider", "status", "event_type")
    search_fields = ("idempotency_key", "reference")
    date_hierarchy = "received_at"
    actions = ("process_again",)
    fields = (
        "provider",
        "receiver",
        "received_at",
        "event_type",
        "idempotency_key",
        "status",
        "attempts",
        "last_error_type",
        "last_error_message",
        "processed_at",
        "reference",
        "header_names",
        "pretty_body",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Delivery]:
        """Without body and headers: the list never needs them (the change page loads them)."""
        rows: QuerySet[Delivery] = super().get_queryset(request).defer("body", "headers")
        return rows

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Rows come from providers only."""
        return False

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """The row's page, without "Save" buttons: every field is read-only.

        "change" stays the permission of the "process again" action, so the page is a change
        page; a save posted anyway is refused (403), as it could only write back stale values
        over a row a worker has just processed.
        """
        if request.method == "POST":
            raise PermissionDenied
        context = {**(extra_context or {}), "show_save": False, "show_save_and_continue": False}
        return super().change_view(request, object_id, form_url, context)

    @admin.display(description="headers kept")
    def header_names(self, obj: Delivery) -> str:
        """The names of the kept headers (their values are signatures: not shown)."""
        return ", ".join(sorted(obj.headers or {})) or "(none)"

    @admin.display(description="body")
    def pretty_body(self, obj: Delivery) -> str:
        """The body as received, pretty-printed."""
        return format_html('<pre style="white-space: pre-wrap">{}</pre>', pretty(bytes(obj.body)))

    @admin.action(description="Process again", permissions=["change"])
    def process_again(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        """Run the selected rows' handlers again (processed rows are left alone)."""
        load_receivers()
        store = Inbox(using=queryset.db)
        summary = Summary()
        ids: list[int] = list(queryset.order_by("received_at", "id").values_list("id", flat=True))
        for row_id in ids:
            summary.selected += 1
            summary.add(process(store, row_id))
        level = messages.WARNING if summary.failed or summary.invalid else messages.SUCCESS
        self.message_user(request, f"Processed again: {summary}.", level)
