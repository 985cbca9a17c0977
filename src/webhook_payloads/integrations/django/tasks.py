"""A Celery task that processes one kept delivery by id: for ``webhook_view(..., defer=...)``.

    from webhook_payloads.integrations.django.tasks import process_delivery

    @webhook_view("payscore", inbox=True, defer=process_delivery.delay)
    def payscore_hook(request, event): ...

Celery's ``app.autodiscover_tasks()`` finds it in the installed app. With
``inbox=Inbox(using="other")``, the view queues the task with that database's alias
(``process_delivery.delay(row_id, using="other")``), so that the worker looks for the row
where it was kept. Without Celery, call ``Inbox(using=...).process(row_id)`` from your own
worker: it is what the task runs.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task  # type: ignore[import-untyped]  # pyright: ignore[reportMissingTypeStubs]

from ._inbox_views import PROCESS_DELIVERY
from .inbox import Inbox, load_receivers

__all__ = ["process", "process_delivery"]


def process(row_id: int, using: str | None = None) -> str:
    """Process stored delivery ``row_id`` exactly once; return what became of it.

    The row is claimed with ``select_for_update(skip_locked=True)``: a copy of the task that
    runs at the same time (a queue delivers at least once) finds it held, and one that runs
    later finds it ``processed``: both return ``"skipped"``. A handler that raises leaves
    the row ``failed`` (returned, not raised: ``replay`` or the provider's retry runs it
    again, without a task retry storm).

    Args:
        row_id: The row's id.
        using: The database alias the row is in; ``None`` lets the app's routers choose
            (``default``), as :class:`Inbox` does. A view with ``inbox=Inbox(using=...)``
            and ``defer=process_delivery.delay`` passes its alias.

    Returns:
        ``"processed"``, ``"failed"``, ``"invalid"`` or ``"skipped"``.
    """
    load_receivers()
    outcome = Inbox(using=using).process(row_id)
    if not outcome.ran:
        return "skipped"
    if outcome.error is None:
        return "processed"
    return "invalid" if outcome.status == 202 else "failed"  # noqa: PLR2004 - kept, invalid


process_delivery: Any = shared_task(name=PROCESS_DELIVERY)(process)  # pyright: ignore[reportUnknownVariableType]
"""The Celery task running :func:`process` (``process_delivery.delay(row_id, using=None)``)."""
