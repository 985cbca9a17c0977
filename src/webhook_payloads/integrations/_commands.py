"""What the inbox's commands share: finding the inbox, progress lines, the summary.

``webhook-payloads inbox replay|prune --app module:inbox`` and Flask's ``flask webhooks
replay|prune`` both run through here, so they print the same lines and exit the same way.
This module imports no framework and no database library: the inbox object brings its own.
"""

from __future__ import annotations

import importlib
import os
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Final, Protocol, TextIO

from ..exceptions import ConfigurationError
from ._inbox import REPLAYABLE, Status, Summary

__all__ = [
    "DEFAULT_STATUSES",
    "EXIT_FAILED",
    "InboxCommands",
    "load_inbox",
    "parse_time",
    "run_prune",
    "run_replay",
]

DEFAULT_STATUSES: Final[tuple[Status, ...]] = REPLAYABLE
"""What ``replay`` selects when no status is given: every row not ``processed``."""

EXIT_FAILED: Final = 1
"""``replay``: some rows failed again (the summary says how many)."""

# A line at most this often (seconds), and at the end: a long run shows it is moving
# without drowning the terminal or a log.
_PROGRESS_EVERY: Final = 1.0


class InboxCommands(Protocol):
    """What the commands call on an inbox (every store's ``Inbox`` has it)."""

    def replay(
        self,
        *,
        status: Status | Sequence[Status] = ...,
        provider: str | None = None,
        receiver: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        ids: Sequence[int] = (),
        progress: Callable[[int, int, Summary], None] | None = None,
    ) -> Summary:
        """Process the selected rows again."""
        ...

    def prune(self, older_than_days: float) -> int:
        """Delete old rows; return how many."""
        ...


def load_inbox(path: str) -> InboxCommands:
    """Import ``module:attribute`` and return the inbox it names.

    Importing the module also declares its receivers, which is how replay finds their
    handlers by name.

    Raises:
        ConfigurationError: The path is not ``module:attribute``, or names no inbox.
    """
    module_name, _, attribute = path.partition(":")
    if not module_name or not attribute:
        raise ConfigurationError(
            f"--app must be module:attribute (like myapp.hooks:inbox), not {path!r}"
        )
    # As flask, uvicorn and celery do: the app's modules are found from where it is run.
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise ConfigurationError(f"--app {path}: cannot import {module_name}: {error}") from error
    inbox: object = module
    for part in attribute.split("."):
        inbox = getattr(inbox, part, None)
        if inbox is None:
            raise ConfigurationError(f"{module_name} has no attribute {attribute!r}")
    if not (callable(getattr(inbox, "replay", None)) and callable(getattr(inbox, "prune", None))):
        raise ConfigurationError(f"{path} is a {type(inbox).__name__}, not an inbox")
    return inbox  # type: ignore[return-value]  # checked just above, as far as it can be


def parse_time(text: str) -> datetime:
    """An ISO 8601 time; one without a time zone is taken as UTC.

    Raises:
        ValueError: Not an ISO 8601 date or time.
    """
    value = datetime.fromisoformat(text)
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def run_replay(
    inbox: InboxCommands,
    *,
    statuses: Sequence[str],
    provider: str | None,
    receiver: str | None,
    since: datetime | None,
    until: datetime | None,
    ids: Sequence[int],
    out: TextIO,
    err: TextIO,
) -> int:
    """Replay, with progress lines on ``err`` and the summary on ``out``; the exit status."""
    chosen = tuple(statuses) or DEFAULT_STATUSES
    unknown = [status for status in chosen if status not in REPLAYABLE]
    if unknown:
        raise ConfigurationError(
            f"unknown status {unknown[0]!r}; choose from {', '.join(REPLAYABLE)}"
        )
    last = [0.0]

    def progress(done: int, total: int, summary: Summary) -> None:
        now = time.monotonic()
        if done == total or now - last[0] >= _PROGRESS_EVERY:
            last[0] = now
            err.write(f"replay: {done}/{total} rows ({summary})\n")
            err.flush()

    summary = inbox.replay(
        status=chosen,  # type: ignore[arg-type]  # checked against REPLAYABLE above
        provider=provider,
        receiver=receiver,
        since=since,
        until=until,
        ids=ids,
        progress=progress,
    )
    out.write(f"{summary}\n")
    return EXIT_FAILED if summary.failed else 0


def run_prune(inbox: InboxCommands, older_than_days: float, *, out: TextIO) -> int:
    """Prune, and say how many rows went; the exit status."""
    deleted = inbox.prune(older_than_days)
    out.write(f"{deleted} rows received more than {older_than_days:g} days ago deleted\n")
    return 0
