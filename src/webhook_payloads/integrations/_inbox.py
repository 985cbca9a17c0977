"""The inbox: every authentic delivery kept in the app's database, processed once, replayable.

This module holds the one implementation of the flow; a store (the Django app's, the
SQLAlchemy one) only keeps rows. Per authentic delivery, in this order:

1. **Record or find** the row by its unique key (receiver name + idempotency key), in a
   transaction of its own, committed before anything else happens. A body that fails
   validation is recorded ``invalid`` (answer 202) and goes no further.
2. **Claim** the row in a second transaction that locks it (``SELECT ... FOR UPDATE``; on
   SQLite, a write that takes the database's write lock) for as long as the handler runs:
   a concurrent copy of the same delivery waits there, then finds the row ``processed``.
3. Unless it is ``processed`` already, **call the handler** inside a savepoint, then **mark**
   the row ``processed`` or ``failed`` in the claim's transaction. When the handler raises,
   the savepoint rolls its own writes back and the ``failed`` mark is committed.

A crash at any point leaves the row ``received`` or ``failed`` (the claim's transaction is
rolled back with the process): the provider's next attempt, a worker or ``replay`` takes it
up again. Forged requests never reach step 1: verification comes first.

**Uniqueness scope.** A row is unique by ``(receiver, idempotency_key)``. Keys are already
prefixed with the provider, and one receiver has one provider, so within a receiver the key
alone tells repeats apart; two receivers of the same provider (two endpoints, two tenants)
each process their copy. Renaming a receiver (``name=``) therefore starts a new scope.

**What an error row says.** ``last_error_type`` is the exception's qualified class name.
``last_error_message`` is the error's own message for a :class:`WebhookError` (safe by
contract: no secret, signature or payload value) and a fixed text for anything else: an
arbitrary exception's ``str()`` may hold personal data from the event, so it stays in the
application's log (the framework logs the exception it re-raises), never in the table.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol, TypeAlias

from .._headers import HeaderName, header_value
from .._registry import get_spec
from .._webhook import Webhook
from ..exceptions import (
    BodyTooLargeError,
    ConfigurationError,
    PayloadError,
    UnknownEventError,
    WebhookError,
)
from ._receiver import Answer, Receiver, Start, close

if TYPE_CHECKING:
    from .._types import Headers

__all__ = [
    "FAILED",
    "INVALID",
    "MAX_EVENT_TYPE_LENGTH",
    "MAX_KEY_LENGTH",
    "MAX_MESSAGE_LENGTH",
    "PROCESSED",
    "RECEIVED",
    "STATUSES",
    "Claim",
    "InboxMethods",
    "Mark",
    "Outcome",
    "Query",
    "ReceiverInbox",
    "Record",
    "Registration",
    "Row",
    "Status",
    "Store",
    "Summary",
    "bounded_key",
    "check_defer",
    "deliver",
    "invalid_key",
    "process",
    "prune",
    "register",
    "registration",
    "replay",
]

Status: TypeAlias = Literal["received", "processed", "failed", "invalid"]
"""A row's status."""

RECEIVED: Final = "received"
"""Recorded; the handler has not finished with it (yet, or the process died meanwhile)."""
PROCESSED: Final = "processed"
"""The handler returned; repeats of this delivery answer 200 without calling it."""
FAILED: Final = "failed"
"""The handler raised (its own writes rolled back); the provider's retry or replay runs it again."""
INVALID: Final = "invalid"
"""Authentic, but the body failed validation or has an unknown event type (answered 202)."""
STATUSES: Final[tuple[Status, ...]] = (RECEIVED, PROCESSED, FAILED, INVALID)
REPLAYABLE: Final[tuple[Status, ...]] = (RECEIVED, FAILED, INVALID)
"""What replay selects unless told otherwise: every row not ``processed``.

``received`` rows are among them: a worker died in the handler, or a queued task was lost.
Rows being processed right now are safe to select too: each is claimed first, and a
``processed`` row is never run again.
"""

MAX_KEY_LENGTH: Final = 200
"""Longest idempotency key a store must hold (longer ones are hashed, see :func:`bounded_key`)."""
MAX_EVENT_TYPE_LENGTH: Final = 100
"""Event types are cut to this length (an unknown type is the provider's free text)."""
MAX_MESSAGE_LENGTH: Final = 500
"""Error messages are cut to this length."""

_HANDLER_FAILED: Final = (
    "The handler raised {type}; its message is not stored, as it may hold personal data "
    "(see the application's log)."
)
_REFUSED_AGAIN: Final = "The stored delivery no longer verifies: {error}"
_HELD_BY: Final = "Row {row} holds this event (a later copy); it was not processed again here."

logger: Final = logging.getLogger("webhook_payloads.integrations")


@dataclass(frozen=True, slots=True, kw_only=True)
class Record:
    """What a receiver asks a store to record for one authentic delivery."""

    provider: str
    receiver: str
    idempotency_key: str
    event_type: str
    body: bytes = field(repr=False)
    headers: Mapping[str, str] = field(repr=False)
    reference: str | None = field(repr=False)
    received_at: datetime
    status: Status
    """``received``, or ``invalid`` for a body that failed validation."""
    error_type: str = ""
    error_message: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Row:
    """A stored delivery as a store hands it back.

    ``repr()`` shows neither body, headers nor reference (they may hold personal data).
    """

    id: int
    provider: str
    receiver: str
    idempotency_key: str
    event_type: str
    body: bytes = field(repr=False)
    headers: Mapping[str, str] = field(repr=False)
    reference: str | None = field(repr=False)
    received_at: datetime
    status: Status
    attempts: int
    last_error_type: str
    last_error_message: str
    processed_at: datetime | None


@dataclass(frozen=True, slots=True)
class Mark:
    """A processing attempt's result, written by :meth:`Claim.mark` (which adds one attempt)."""

    status: Status
    error_type: str = ""
    error_message: str = ""
    event_type: str | None = None
    """The event type found now (a replay with a newer library), or ``None`` to keep it."""
    processed_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Query:
    """Which rows :meth:`Store.find` selects; every given criterion must hold."""

    statuses: Sequence[Status] = ()
    """Any of these statuses (all when empty)."""
    provider: str | None = None
    receiver: str | None = None
    since: datetime | None = None
    """Received at or after."""
    until: datetime | None = None
    """Received before."""
    ids: Sequence[int] = ()
    """Only these rows (all when empty)."""
    idempotency_key: str | None = None
    """Only the row with this key (with :attr:`receiver`, at most one)."""

    def __post_init__(self) -> None:
        """Refuse a time that is not a timezone-aware ``datetime``.

        Raises:
            ConfigurationError: ``since`` or ``until`` is text, or a naive ``datetime``
                (which stores would read in the server's local time).
        """
        for name in ("since", "until"):
            value: object = getattr(self, name)
            if value is not None and (not isinstance(value, datetime) or value.tzinfo is None):
                raise ConfigurationError(
                    f"{name} must be a timezone-aware datetime, such as "
                    f"datetime(2026, 1, 1, tzinfo=timezone.utc), not {_described(value)}."
                )


def _described(value: object) -> str:
    return "a naive datetime" if isinstance(value, datetime) else type(value).__name__


class Claim(Protocol):
    """A row locked for processing, inside a transaction the store opened."""

    @property
    def row(self) -> Row:
        """The row as stored now that it is locked (another copy may have processed it)."""
        ...

    def savepoint(self) -> AbstractContextManager[object]:
        """A savepoint around the handler: an exception rolls back to it and goes on.

        Writes the handler makes through the store's connection (Django: the default
        database) roll back with it; the claim's own transaction stays usable for the mark.
        """
        ...

    def mark(self, mark: Mark) -> None:
        """Write ``mark`` on the row and add one to its attempts, in the claim's transaction."""
        ...

    def rekey(self, key: str) -> bool:
        """Give the row the key ``key`` now, in the claim's transaction (a savepoint).

        Returns:
            Whether it did: ``False`` when another row of its receiver holds ``key``. A
            copy recorded meanwhile under ``key`` waits for the claim's transaction, then
            finds this row.
        """
        ...


class Store(Protocol):
    """Where an inbox keeps its rows: the few operations the flow needs.

    Every method runs in a transaction of its own, except :meth:`claim`, whose transaction
    lasts as long as its context (committed when the context exits normally, rolled back
    when an exception leaves it).
    """

    def record(self, record: Record) -> tuple[Row, bool]:
        """Insert ``record`` unless a row with its receiver and key exists; commit.

        Returns:
            The row (the existing one, unchanged, for a repeat) and whether it was created.
            Two concurrent calls with the same key create one row between them.
        """
        ...

    def claim(self, row_id: int, *, skip_locked: bool) -> AbstractContextManager[Claim | None]:
        """Open a transaction and lock row ``row_id`` for processing until the context exits.

        Args:
            row_id: The row.
            skip_locked: When another transaction holds the row, give ``None`` at once
                (a worker moves on) instead of waiting for it (a request waits, then finds
                the row processed). Stores whose database cannot skip may wait instead.

        Yields ``None`` too when there is no such row.
        """
        ...

    def find(self, query: Query) -> list[int]:
        """The ids of the rows ``query`` selects, oldest first."""
        ...

    def delete_before(self, before: datetime) -> int:
        """Delete the rows received before ``before``; return how many."""
        ...


@dataclass(frozen=True, slots=True)
class Registration:
    """What replay and workers need of a receiver declared with an inbox, found by its name."""

    name: str
    provider: str
    store: Store
    parse: Callable[[bytes, Mapping[str, str]], object] = field(repr=False)
    """Parses stored bytes with the library installed now, verifying the signature again
    with the stored headers where a secret is configured."""
    call: Callable[[Row, object], object] = field(repr=False)
    """Calls the receiver's handler with a stored row and its event."""
    handler: object = field(repr=False, default=None)
    """The user's function, to tell a re-declaration (same handler) from a name clash."""


_registry: dict[str, Registration] = {}
_registry_lock: Final = threading.Lock()


def register(entry: Registration) -> None:
    """Make ``entry`` findable by its name (for replay and workers).

    Declaring the same handler again (a module imported or run twice: same module and
    qualified name) replaces the entry.

    Raises:
        ConfigurationError: Another handler, or another provider, has this name already.
    """
    with _registry_lock:
        known = _registry.get(entry.name)
        if known is not None and (
            _identity(known.handler) != _identity(entry.handler) or known.provider != entry.provider
        ):
            raise ConfigurationError(
                f"Two receivers with an inbox are named {entry.name!r}; give each its own "
                "name=... (replay finds a receiver's handler by its name).",
                provider=entry.provider,
            )
        _registry[entry.name] = entry


def _identity(handler: object) -> tuple[str, str] | int:
    module = getattr(handler, "__module__", None)
    qualname = getattr(handler, "__qualname__", None)
    # A handler defined in an app factory has "<locals>" in its name and is the same code
    # each time the factory runs (once per test, say): it counts as the same handler.
    if isinstance(module, str) and isinstance(qualname, str):
        return module, qualname
    return id(handler)


def registration(name: str) -> Registration | None:
    """The receiver declared with an inbox under ``name``, or ``None``."""
    return _registry.get(name)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one delivery, and what to answer."""

    status: int
    """The HTTP status to answer: 200 processed (now or before), 202 kept (invalid, or
    stored for later), 500 or the error's ``http_status`` when the handler raised."""
    row_id: int | None
    result: object = None
    """What the handler returned, when it ran now."""
    error: Exception | None = None
    """What the handler raised (the framework adapter re-raises what is no WebhookError)."""
    ran: bool = False
    """Whether the row was processed (and marked) in this call."""
    invalid: bool = False
    """Whether the stored body was refused as invalid (not: the handler raised)."""


@dataclass(slots=True)
class Summary:
    """What :func:`replay` did, counted per result."""

    selected: int = 0
    processed: int = 0
    failed: int = 0
    invalid: int = 0
    skipped: int = 0
    """Rows processed meanwhile, held by another worker, or whose receiver is not declared."""

    def add(self, outcome: Outcome) -> None:
        """Count one row's outcome (of :func:`process`)."""
        if not outcome.ran:
            self.skipped += 1
        elif outcome.status == 200:  # noqa: PLR2004 - the HTTP status of a processed row
            self.processed += 1
        elif outcome.invalid:
            self.invalid += 1
        else:
            self.failed += 1

    def __str__(self) -> str:
        """One line, as the commands print it."""
        return (
            f"{self.selected} selected: {self.processed} processed, {self.failed} failed, "
            f"{self.invalid} invalid, {self.skipped} skipped"
        )


def bounded_key(key: str, provider: str) -> str:
    """``key`` when a store can hold it, else the provider and the key's SHA-256.

    Event keys are bounded where they are built; this guards the column all the same, so
    that an over-long key (or one with a NUL character, which PostgreSQL's text types cannot
    hold) can never make an authentic delivery fail to record.
    """
    # PostgreSQL's text types cannot hold NUL, which a JSON string may carry.
    if len(key) <= MAX_KEY_LENGTH and "\x00" not in key:
        return key
    return f"{provider}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"


def invalid_key(provider: str, body: bytes) -> str:
    """The key of a body that failed validation (no event, so no event key): its SHA-256."""
    return f"{provider}:invalid:{hashlib.sha256(body).hexdigest()}"


def error_text(error: BaseException) -> tuple[str, str]:
    """The type and safe message stored for ``error`` (see the module's docstring)."""
    kind = type(error)
    name = (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )
    if isinstance(error, WebhookError):
        message = str(error)
    else:
        message = _HANDLER_FAILED.format(type=kind.__qualname__)
    return text(name, MAX_MESSAGE_LENGTH), text(message, MAX_MESSAGE_LENGTH)


def text(value: object, limit: int) -> str:
    """``value`` as text a store can hold: cut to ``limit``, NUL shown as U+FFFD."""
    return str(value)[:limit].replace("\x00", "\ufffd")


def _event_type(error: PayloadError) -> str:
    if isinstance(error, UnknownEventError):
        return text(error.event_type, MAX_EVENT_TYPE_LENGTH)
    return ""


def _now() -> datetime:
    return datetime.now(timezone.utc)


def delivery_key(store: Store, receiver: str, event: object, received_at: datetime) -> str:
    """The key a delivery of ``event`` is stored under: its event key, within its repeat window.

    An event whose class has a ``repeat_window`` (it genuinely happens again with the same
    content) is one delivery only within that window of its first copy: its key gets the
    window's number, and a copy that finds the previous window's row received less than a
    window ago is that row's. A zero window makes every copy new.
    """
    provider = str(getattr(event, "provider", ""))
    key = str(getattr(event, "idempotency_key", ""))
    window: timedelta | None = getattr(type(event), "repeat_window", None)
    if window is None:
        return bounded_key(key, provider)
    if not window:
        return bounded_key(f"{key}:@{received_at.isoformat()}", provider)
    number = int(received_at.timestamp() // window.total_seconds())
    previous = bounded_key(f"{key}:@{number - 1}", provider)
    # Less than a window ago: since is inclusive, so one microsecond (what stores keep) later.
    since = received_at - window + timedelta(microseconds=1)
    query = Query(receiver=receiver, idempotency_key=previous, since=since)
    if store.find(query):
        return previous
    return bounded_key(f"{key}:@{number}", provider)


def deliver(
    entry: Registration,
    *,
    parsed: object,
    body: bytes,
    headers: Mapping[str, str],
    reference: str | None,
    received_at: datetime,
    call: Callable[[object], object],
    defer: Callable[[int], object] | None = None,
) -> Outcome:
    """Record one verified delivery and process it once (or leave it to ``defer``).

    Args:
        entry: The receiver.
        parsed: The event, or the :class:`PayloadError` its authentic body raised.
        body: The raw body as received.
        headers: The headers its verification needs.
        reference: The verified ``callbackUrl`` reference, if any.
        received_at: When it arrived (UTC).
        call: Calls the handler with the event (the request's own arguments bound).
        defer: Called with the row id after the row is stored, instead of processing now
            (it queues a worker's task); the answer is then 202.

    Returns:
        The outcome; see :class:`Outcome`.
    """
    provider = entry.provider
    if isinstance(parsed, PayloadError):
        error_type, message = error_text(parsed)
        record = Record(
            provider=provider,
            receiver=entry.name,
            idempotency_key=invalid_key(provider, body),
            event_type=_event_type(parsed),
            body=body,
            headers=headers,
            reference=reference,
            received_at=received_at,
            status=INVALID,
            error_type=error_type,
            error_message=message,
        )
        row, _ = entry.store.record(record)
        return Outcome(202, row.id)
    event: Any = parsed
    record = Record(
        provider=provider,
        receiver=entry.name,
        idempotency_key=delivery_key(entry.store, entry.name, event, received_at),
        event_type=text(event.event_type, MAX_EVENT_TYPE_LENGTH),
        body=body,
        headers=headers,
        reference=reference,
        received_at=received_at,
        status=RECEIVED,
    )
    row, _ = entry.store.record(record)
    if row.status == PROCESSED:
        return Outcome(200, row.id)
    if defer is not None:
        defer(row.id)
        return Outcome(202, row.id)
    with entry.store.claim(row.id, skip_locked=False) as claim:
        if claim is None:  # pruned meanwhile: nothing left to process
            return Outcome(200, row.id)
        return _run(claim, event, call)


def _run(claim: Claim, event: object, call: Callable[[object], object]) -> Outcome:
    row = claim.row
    if row.status == PROCESSED:
        return Outcome(200, row.id)
    try:
        with claim.savepoint():
            result = _completed(call(event))
    except Exception as error:  # noqa: BLE001 - any failure of the user's handler is kept on the row
        error_type, message = error_text(error)
        claim.mark(Mark(FAILED, error_type, message))
        status = error.http_status if isinstance(error, WebhookError) else 500
        return Outcome(status, row.id, error=error, ran=True)
    claim.mark(Mark(PROCESSED, event_type=_type_of(event), processed_at=_now()))
    return Outcome(200, row.id, result=result, ran=True)


# A handler that looks like a plain function but returns a coroutine (an async def under a
# decorator that does not mark it) has not run: the row is failed, never marked processed.
_AWAITABLE: Final = (
    "The webhook handler returned an awaitable instead of running: declare it async def "
    "(a decorator around it must keep it a coroutine function, see inspect.markcoroutinefunction)."
)


def _completed(result: object) -> object:
    """What the handler returned, unless it is an awaitable: then the handler has not run."""
    if inspect.isawaitable(result):
        close(result)
        raise TypeError(_AWAITABLE)
    return result


def _type_of(event: object) -> str:
    return text(getattr(event, "event_type", ""), MAX_EVENT_TYPE_LENGTH)


def process(store: Store, row_id: int, *, skip_locked: bool = True) -> Outcome:
    """Process a stored row once: parse its bytes again, call its receiver's handler, mark it.

    This is what a worker's task, ``replay`` and the admin action run. A row that is
    ``processed`` already, held by another worker (``skip_locked``), or whose receiver is
    not declared in this process is left as it is (``ran`` is false).

    A row kept ``invalid`` that parses now (a newer library, ``allow_unknown``) moves to its
    event's key, so the provider's next copy is a repeat of it; when another row holds that
    key already, the event is that row's, and this one is marked ``processed`` without
    calling the handler again.

    Returns:
        The outcome; ``status`` 409 when the row was left alone or there is none.
    """
    with store.claim(row_id, skip_locked=skip_locked) as claim:
        if claim is None:
            return Outcome(409, row_id)
        row = claim.row
        if row.status == PROCESSED:
            return Outcome(200, row_id)
        entry = registration(row.receiver)
        if entry is None:
            logger.error(
                "Cannot process stored webhook %d: no receiver named %r is declared "
                "(import the module that declares it)",
                row_id,
                row.receiver,
            )
            return Outcome(409, row_id)
        event = _parse_again(claim, entry)
        if isinstance(event, Outcome):
            return event
        # Moved to its event's key before the handler runs, so that the provider's next copy
        # is a repeat of this row, not a second call of the handler.
        if row.idempotency_key == invalid_key(row.provider, row.body):
            key = delivery_key(store, row.receiver, event, row.received_at)
            if not claim.rekey(key):
                holder = store.find(Query(receiver=row.receiver, idempotency_key=key))
                message = text(
                    _HELD_BY.format(row=holder[0] if holder else "?"), MAX_MESSAGE_LENGTH
                )
                claim.mark(Mark(PROCESSED, "", message, _type_of(event), _now()))
                return Outcome(200, row_id)
        outcome = _run(claim, event, lambda value: entry.call(row, value))
    if outcome.error is not None and not isinstance(outcome.error, WebhookError):
        # No framework is there to log it (a replay, a worker's task, the admin action): the
        # row keeps only the exception's type, so its traceback goes to the log here.
        logger.error(
            "The handler of stored webhook %d (%s) failed; the row is marked failed",
            row_id,
            row.receiver,
            exc_info=outcome.error,
        )
    return outcome


def _parse_again(claim: Claim, entry: Registration) -> object:
    """The stored row's event, or the outcome of refusing it now (the row marked)."""
    row = claim.row
    try:
        return entry.parse(row.body, row.headers)
    except PayloadError as error:
        error_type, message = error_text(error)
        claim.mark(Mark(INVALID, error_type, message, event_type=_event_type(error) or None))
        return Outcome(202, row.id, error=error, ran=True, invalid=True)
    except WebhookError as error:
        error_type, _ = error_text(error)
        message = text(_REFUSED_AGAIN.format(error=error), MAX_MESSAGE_LENGTH)
        claim.mark(Mark(FAILED, error_type, message))
        return Outcome(error.http_status, row.id, error=error, ran=True)


def replay(
    store: Store,
    query: Query,
    *,
    progress: Callable[[int, int, Summary], None] | None = None,
) -> Summary:
    """Process the rows ``query`` selects again, one by one, oldest first.

    Safe to run twice, and beside workers: each row is claimed (held rows are skipped) and a
    ``processed`` row is never run again.

    Args:
        store: The store.
        query: Which rows.
        progress: Called after each row with (rows done, rows selected, the summary so far).

    Returns:
        The counts.
    """
    ids = store.find(query)
    summary = Summary(selected=len(ids))
    for done, row_id in enumerate(ids, start=1):
        outcome = process(store, row_id)
        summary.add(outcome)
        if progress is not None:
            progress(done, len(ids), summary)
    return summary


def prune(store: Store, older_than_days: float, *, now: datetime | None = None) -> int:
    """Delete the rows received more than ``older_than_days`` days ago; return how many.

    Raises:
        ConfigurationError: ``older_than_days`` is negative.
    """
    if older_than_days < 0:
        raise ConfigurationError("older_than_days must be zero or more.")
    cutoff = (now or _now()) - timedelta(days=older_than_days)
    return store.delete_before(cutoff)


class InboxMethods:
    """What every store's public ``Inbox`` class offers on top of the :class:`Store` methods.

    A store class inherits these (they run the one flow of this module over ``self``).
    """

    __slots__ = ()

    def replay(
        self,
        *,
        status: Status | Sequence[Status] = REPLAYABLE,
        provider: str | None = None,
        receiver: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        ids: Sequence[int] = (),
        progress: Callable[[int, int, Summary], None] | None = None,
    ) -> Summary:
        """Process the selected rows again (every row not ``processed``, by default).

        Args:
            status: One status or several (default :data:`REPLAYABLE`: ``received``,
                ``failed`` and ``invalid``); ``"processed"`` rows are never run again.
            provider: Only this provider's rows.
            receiver: Only this receiver's rows (its name).
            since: Only rows received at or after.
            until: Only rows received before.
            ids: Only these rows.
            progress: Called after each row with (done, selected, summary so far).

        Returns:
            The counts (see :class:`Summary`).
        """
        statuses = (status,) if isinstance(status, str) else tuple(status)
        query = Query(
            statuses=statuses,
            provider=provider,
            receiver=receiver,
            since=since,
            until=until,
            ids=tuple(ids),
        )
        return replay(_as_store(self), query, progress=progress)

    def process(self, row_id: int) -> Outcome:
        """Process one stored row by id, once (what a worker's task calls)."""
        return process(_as_store(self), row_id)

    def prune(self, older_than_days: float) -> int:
        """Delete rows received more than ``older_than_days`` days ago; return how many."""
        return prune(_as_store(self), older_than_days)


def _as_store(inbox: object) -> Store:
    store: Store = inbox  # type: ignore[assignment]  # a subclass is a Store by contract
    return store


_DEFER_NOT_CALLABLE: Final = "defer must be a function of a row id (a task's delay, for example)."


def check_defer(defer: object, *, inbox: object, provider: str, needs: str) -> None:
    """Refuse a ``defer=`` the receiver cannot use, when it is declared.

    Args:
        defer: The option as given (``None`` when not).
        inbox: The receiver's ``inbox=`` (``None`` or ``False`` when it has none).
        provider: The provider id, for the error.
        needs: How the framework spells an inbox in the message (``inbox=True``, ...).

    Raises:
        ConfigurationError: ``defer`` without an inbox, or not a function of a row id.
    """
    if defer is None:
        return
    if inbox is None or inbox is False:
        raise ConfigurationError(
            f"defer needs {needs}: the row it hands over is kept by the inbox.",
            provider=provider,
        )
    if not callable(defer):
        raise ConfigurationError(_DEFER_NOT_CALLABLE, provider=provider)


class ReceiverInbox:
    """One receiver's inbox: what a framework adapter calls instead of ``Receiver.handle``.

    Declared with the receiver: it refuses what cannot be kept as authentic (a provider that
    signs nothing without ``callback_key``, AndDone's ``event_body`` scheme) and registers
    the receiver under its name, for replay and workers.

    Args:
        receiver: The receiver (named already).
        store: Where rows are kept.
        handler: The user's function (tells a re-declaration from a name clash).
        call_stored: Calls the handler for a stored row with the handler's arguments after
            the request: ``(event,)`` or ``(event, reference)`` (replay and workers).
        settings: Returns the framework's secrets setting now (``None`` without one): replay
            verifies stored bytes again with the secret configured then.
        options: The receiver's ``Webhook`` options (``signature_scheme``,
            ``max_body_size``, ``allow_unknown``), to parse stored bytes where no secret is
            configured (they were verified when received).
        defer: ``defer(row_id)`` queues a row for a worker instead of processing it in the
            request; the answer is then 202.

    Raises:
        ConfigurationError: The deliveries cannot be kept as authentic, or the name is taken.
    """

    __slots__ = ("_kept_headers", "defer", "entry", "receiver")

    def __init__(
        self,
        receiver: Receiver,
        store: Store,
        *,
        handler: object,
        call_stored: Callable[[Row, tuple[object, ...]], object],
        settings: Callable[[], object | None],
        options: Mapping[str, Any],
        defer: Callable[[int], object] | None = None,
    ) -> None:
        """Check and register (see the class)."""
        receiver.check_can_keep("inbox")
        if receiver.on_invalid is not None:
            raise ConfigurationError(
                "on_invalid and inbox cannot be used together: the inbox keeps invalid "
                "deliveries itself (rows with status 'invalid'); remove on_invalid.",
                provider=receiver.provider,
            )
        if defer is not None and not callable(defer):
            raise ConfigurationError(_DEFER_NOT_CALLABLE, provider=receiver.provider)
        self.receiver = receiver
        self.defer = defer
        header = getattr(get_spec(receiver.provider).verifier, "header", None)
        self._kept_headers = (HeaderName(header),) if isinstance(header, str) else ()
        unverified = Webhook(receiver.provider, verify=False, **options)

        def parse(body: bytes, headers: Mapping[str, str]) -> object:
            try:
                webhook = receiver.webhook(settings())
            except ConfigurationError:
                # No secret in this process (a worker without it): the bytes were verified
                # when they were received, and come from the app's own database.
                webhook = unverified
            return webhook.parse(body, headers)

        def call(row: Row, event: object) -> object:
            return call_stored(row, (event,) if row.reference is None else (event, row.reference))

        self.entry = Registration(
            name=receiver.name,
            provider=receiver.provider,
            store=store,
            parse=parse,
            call=call,
            handler=handler,
        )
        register(self.entry)

    def handle(
        self,
        start: Start,
        body: bytes,
        headers: Headers,
        call: Callable[[tuple[object, ...]], object],
    ) -> Outcome | Answer:
        """Parse, record, and process once (or queue): the inbox's ``Receiver.handle``.

        Args:
            start: What ``Receiver.start`` found (the ``Webhook``, the reference).
            body: The raw body, read within the limit.
            headers: The request's headers.
            call: Calls the handler with ``(event,)`` or ``(event, reference)``.

        Returns:
            The :class:`Answer` for a refused request (nothing recorded), else the
            :class:`Outcome`.
        """
        receiver = self.receiver
        try:
            parsed: object = start.webhook.parse(body, headers)
        except BodyTooLargeError as error:
            return receiver.refuse(error)
        except PayloadError as error:
            # Authentic: the signature (or the callbackUrl token) was checked first.
            logger.warning("Kept a webhook from %s as invalid: %s", receiver.provider, error)
            parsed = error
        except WebhookError as error:
            return receiver.refuse(error)
        kept: dict[str, str] = {}
        for header in self._kept_headers:
            value = header_value(headers, header)
            if value is not None:
                kept[header.name] = value
        reference = start.reference

        def with_reference(event: object) -> object:
            return call((event,) if reference is None else (event, reference))

        return deliver(
            self.entry,
            parsed=parsed,
            body=body,
            headers=kept,
            reference=reference,
            received_at=_now(),
            call=with_reference,
            defer=self.defer,
        )
