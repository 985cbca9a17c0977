"""The Django store of the inbox: rows in the app's own database, through its ORM.

``webhook_view(..., inbox=True)`` uses ``Inbox()``, on the database Django's routers choose
for writing :class:`~webhook_payloads.integrations.django.models.Delivery` (``default``
unless the app routes it). Pass ``inbox=Inbox(using="...")`` to name another.

Importing this module does not import the model (the app registry may not be ready yet);
each method does.
"""

# django-stubs types QuerySet methods as returning Self, which pyright resolves to Unknown
# (mypy, which checks this module too, reads them); the values are annotated where it helps.
# pyright: reportUnknownMemberType=false, reportUnknownVariableType=false
# pyright: reportUnknownArgumentType=false

from __future__ import annotations

from collections.abc import Generator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timezone
from typing import TYPE_CHECKING, cast, overload

from django.conf import settings
from django.db import IntegrityError, connections, router, transaction
from django.db.models import F
from django.utils import timezone as django_timezone

from .._inbox import InboxMethods, Mark, Query, Record, Row, Status

if TYPE_CHECKING:
    from .models import Delivery

__all__ = ["Inbox", "load_receivers"]


def _model() -> type[Delivery]:
    from .models import Delivery  # noqa: PLC0415 - needs the app registry, ready only later

    return Delivery


def load_receivers() -> None:
    """Import the URLconf, and with it every view that declares a receiver with an inbox.

    Replay, workers and the admin's "process again" find a row's handler by the receiver's
    name in a registry that declaring the view fills; a process that has not served a
    request yet (``manage.py``, a Celery worker) has not imported the views.
    """
    from django.conf import settings  # noqa: PLC0415 - only where rows are processed
    from django.urls import get_resolver  # noqa: PLC0415

    urlconf = getattr(settings, "ROOT_URLCONF", None)
    if urlconf:
        get_resolver(urlconf).url_patterns  # noqa: B018 - the property imports the URLconf


class Inbox(InboxMethods):
    """The inbox on a Django database: implements the flow's ``Store`` with the ORM.

    Args:
        using: The database alias; ``None`` lets the app's routers choose (``default``).

    Exactly once: a claim runs in ``transaction.atomic()`` and locks the row with
    ``select_for_update()`` (``skip_locked`` for workers) on databases with row locks. SQLite
    has none: there the claim's first statement is a write, which takes the database's
    write lock at once, so a concurrent copy waits (up to the connection's ``timeout``
    option, 5 s by default: raise it where handlers run longer) instead of failing when a
    read lock would later have to become a write lock.
    """

    __slots__ = ("_using",)

    def __init__(self, using: str | None = None) -> None:
        """Keep the alias; nothing touches the database yet."""
        self._using = using

    def __repr__(self) -> str:
        """The database alias."""
        return f"Inbox(using={self._using!r})"

    @property
    def using(self) -> str:
        """The database alias in use."""
        return self._using or router.db_for_write(_model())

    def record(self, record: Record) -> tuple[Row, bool]:
        """Insert the row unless its receiver and key exist (see ``Store.record``)."""
        model = _model()
        using = self.using
        rows = model.objects.using(using)
        # A repeat (providers resend) is found by a read; only a new delivery is inserted
        # (a failed insert costs a rolled-back transaction).
        known: Delivery | None = rows.filter(
            receiver=record.receiver, idempotency_key=record.idempotency_key
        ).first()
        if known is not None:
            return _row(known), False
        try:
            with transaction.atomic(using=using):
                obj = rows.create(
                    provider=record.provider,
                    receiver=record.receiver,
                    idempotency_key=record.idempotency_key,
                    event_type=record.event_type,
                    body=record.body,
                    headers=dict(record.headers),
                    reference=record.reference,
                    received_at=_to_db(record.received_at),
                    status=record.status,
                    last_error_type=record.error_type,
                    last_error_message=record.error_message,
                )
        except IntegrityError:
            # Another copy got there first (or earlier): that row is the delivery.
            found: Delivery = rows.get(
                receiver=record.receiver, idempotency_key=record.idempotency_key
            )
            return _row(found), False
        return _row(obj), True

    def claim(self, row_id: int, *, skip_locked: bool) -> AbstractContextManager[_Claim | None]:
        """Lock row ``row_id`` in a transaction for the context's duration."""
        return self._claim(row_id, skip_locked=skip_locked)

    @contextmanager
    def _claim(self, row_id: int, *, skip_locked: bool) -> Generator[_Claim | None, None, None]:
        model = _model()
        using = self.using
        features = connections[using].features
        with transaction.atomic(using=using):
            rows = model.objects.using(using).filter(pk=row_id)
            if features.has_select_for_update:
                skip = skip_locked and features.has_select_for_update_skip_locked
                obj = rows.select_for_update(skip_locked=skip).first()
            elif rows.update(attempts=F("attempts")):  # SQLite: take the write lock now
                obj = rows.first()
            else:
                obj = None
            yield None if obj is None else _Claim(obj, using)

    def find(self, query: Query) -> list[int]:
        """The ids ``query`` selects, oldest first."""
        rows = _model().objects.using(self.using).all()
        if query.statuses:
            rows = rows.filter(status__in=list(query.statuses))
        if query.provider is not None:
            rows = rows.filter(provider=query.provider)
        if query.receiver is not None:
            rows = rows.filter(receiver=query.receiver)
        if query.since is not None:
            rows = rows.filter(received_at__gte=_to_db(query.since))
        if query.until is not None:
            rows = rows.filter(received_at__lt=_to_db(query.until))
        if query.ids:
            rows = rows.filter(pk__in=list(query.ids))
        if query.idempotency_key is not None:
            rows = rows.filter(idempotency_key=query.idempotency_key)
        ids: list[int] = list(rows.order_by("received_at", "id").values_list("id", flat=True))
        return ids

    def delete_before(self, before: datetime) -> int:
        """Delete rows received before ``before``; return how many."""
        rows = _model().objects.using(self.using).filter(received_at__lt=_to_db(before))
        deleted: int = rows.delete()[0]
        return deleted


class _Claim:
    """A locked row (see ``Claim``)."""

    __slots__ = ("_obj", "_using")

    def __init__(self, obj: Delivery, using: str) -> None:
        self._obj = obj
        self._using = using

    @property
    def row(self) -> Row:
        return _row(self._obj)

    def savepoint(self) -> AbstractContextManager[object]:
        # Nested in the claim's atomic block: a savepoint on the same connection, so the
        # handler's own writes to this database roll back with it.
        return transaction.atomic(using=self._using)

    def mark(self, mark: Mark) -> None:
        obj = self._obj
        obj.status = mark.status
        obj.attempts += 1  # the row is locked: no other writer can have changed it
        obj.last_error_type = mark.error_type
        obj.last_error_message = mark.error_message
        if mark.event_type is not None:
            obj.event_type = mark.event_type
        obj.processed_at = _to_db(mark.processed_at)
        obj.save(
            using=self._using,
            update_fields=[
                "status",
                "attempts",
                "last_error_type",
                "last_error_message",
                "event_type",
                "processed_at",
            ],
        )

    def rekey(self, key: str) -> bool:
        try:
            with transaction.atomic(using=self._using):
                moved = _model().objects.using(self._using).filter(pk=self._obj.pk)
                moved.update(idempotency_key=key)
        except IntegrityError:  # another row of this receiver holds the key
            return False
        self._obj.idempotency_key = key
        return True


def _row(obj: Delivery) -> Row:
    return Row(
        id=obj.pk,
        provider=obj.provider,
        receiver=obj.receiver,
        idempotency_key=obj.idempotency_key,
        event_type=obj.event_type,
        body=bytes(obj.body),
        headers=dict(obj.headers or {}),
        reference=obj.reference,
        received_at=_from_db(obj.received_at),
        status=cast("Status", obj.status),
        attempts=obj.attempts,
        last_error_type=obj.last_error_type,
        last_error_message=obj.last_error_message,
        processed_at=_from_db(obj.processed_at),
    )


# The flow's datetimes are aware, in UTC. With USE_TZ=False (Django's default before 5.0),
# the database holds naive datetimes meaning TIME_ZONE, and SQLite refuses an aware one:
# convert at the database's edge, both ways, so that either setting works.


@overload
def _to_db(value: datetime) -> datetime: ...
@overload
def _to_db(value: None) -> None: ...
def _to_db(value: datetime | None) -> datetime | None:
    """``value`` as the database takes it under the current ``USE_TZ``."""
    if value is None or settings.USE_TZ or django_timezone.is_naive(value):
        return value
    return django_timezone.make_naive(value, django_timezone.get_default_timezone())


@overload
def _from_db(value: datetime) -> datetime: ...
@overload
def _from_db(value: None) -> None: ...
def _from_db(value: datetime | None) -> datetime | None:
    """``value`` read from the database, aware and in UTC as the flow uses it."""
    if value is None:
        return None
    if django_timezone.is_naive(value):
        value = django_timezone.make_aware(value, django_timezone.get_default_timezone())
    return value.astimezone(timezone.utc)
