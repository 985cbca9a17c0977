"""``manage.py webhook_payloads replay|prune``: process kept deliveries again, delete old ones.

Examples::

    python manage.py webhook_payloads replay --status failed --provider payscore
    python manage.py webhook_payloads replay --id 42 --id 43
    python manage.py webhook_payloads replay --since 2026-01-01 --until 2026-01-31T12:00
    python manage.py webhook_payloads prune --older-than 90
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any, Final

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...._inbox import REPLAYABLE, Status, Summary
from ...inbox import Inbox, load_receivers

# Progress lines: at most one every this many seconds (and after the last row).
_PROGRESS_EVERY: Final = 2.0


def _moment(text: str) -> datetime:
    """An ISO date or date and time; one without a zone is UTC."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an ISO date or date and time: {text[:40]!r} (2026-01-31, 2026-01-31T12:00)"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _days(text: str) -> float:
    try:
        days = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of days: {text[:40]!r}") from None
    if not days >= 0:  # also refuses NaN
        raise argparse.ArgumentTypeError("the number of days must be zero or more")
    return days


class Command(BaseCommand):
    """Replay or prune the webhook deliveries the inbox keeps."""

    help = "Replay (process again) or prune the webhook deliveries the inbox keeps."

    def add_arguments(self, parser: CommandParser) -> None:
        """``replay`` and ``prune``, each with its options."""
        actions = parser.add_subparsers(dest="action", required=True, metavar="replay|prune")
        replay = actions.add_parser(
            "replay",
            help="process failed and invalid deliveries again with the installed library",
            description=(
                "Process kept deliveries again: parse the stored bytes with the library "
                "installed now (verifying the signature again where a secret is configured) "
                "and call the receiver's handler, found by its name. Processed rows are "
                "never run again, so running it twice is safe. Without --status: every row "
                "not processed (received, failed, invalid)."
            ),
        )
        replay.add_argument(
            "--status",
            action="append",
            choices=REPLAYABLE,
            help="rows with this status (repeat for several; default: all but processed)",
        )
        replay.add_argument("--provider", help="only this provider's rows")
        replay.add_argument("--receiver", help="only this receiver's rows (its name)")
        replay.add_argument("--since", type=_moment, help="received at or after (ISO, UTC)")
        replay.add_argument("--until", type=_moment, help="received before (ISO, UTC)")
        replay.add_argument(
            "--id", type=int, action="append", dest="ids", help="this row (repeat for several)"
        )
        replay.add_argument("--database", help="database alias (default: the router's choice)")
        prune = actions.add_parser(
            "prune",
            help="delete deliveries received more than DAYS days ago",
            description=(
                "Delete the rows received more than DAYS days ago, whatever their status: "
                "stored bodies hold personal data, keep them no longer than you need."
            ),
        )
        prune.add_argument("--older-than", type=_days, required=True, metavar="DAYS")
        prune.add_argument("--database", help="database alias (default: the router's choice)")

    def handle(self, *args: Any, **options: Any) -> None:
        """Run the action."""
        inbox = Inbox(using=options.get("database"))
        if options["action"] == "prune":
            deleted = inbox.prune(options["older_than"])
            self.stdout.write(
                f"Deleted {deleted} deliveries older than {options['older_than']:g} days."
            )
            return
        load_receivers()
        statuses: Sequence[Status] = options["status"] or REPLAYABLE
        last = [time.monotonic()]

        def progress(done: int, total: int, summary: Summary) -> None:
            now = time.monotonic()
            if done == total or now - last[0] >= _PROGRESS_EVERY:
                last[0] = now
                self.stderr.write(f"{done}/{total}: {summary}")

        summary = inbox.replay(
            status=statuses,
            provider=options["provider"],
            receiver=options["receiver"],
            since=options["since"],
            until=options["until"],
            ids=options["ids"] or (),
            progress=progress,
        )
        self.stdout.write(f"Replayed {summary}.")
        if summary.failed:
            raise CommandError(f"{summary.failed} deliveries failed again; see the log.")
