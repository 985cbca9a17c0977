"""Checked by mypy --strict and pyright strict (not run): FastAPI's ``@dependency.handler``.

With an inbox, the dependency calls the handler declared with ``@dependency.handler``: a
function of the provider's events (or a base class of them) is accepted, one typed for
another provider's events is an error, and so is one that does not take ``UnknownEvent``
with ``allow_unknown``, or the reference with ``callback_key``. ``defer=`` takes a function
of a row id. Each handler has a dependency of its own, as at run time.
"""

# Expected errors are marked with ignores; an ignore that silences nothing fails (mypy
# --strict warns on unused ignores itself).
# pyright: reportUnnecessaryTypeIgnoreComment=true

from collections.abc import Callable

from sqlalchemy import create_engine
from typing_extensions import assert_type

from webhook_payloads import UnknownEvent, WebhookEvent
from webhook_payloads.integrations.fastapi import webhook_event
from webhook_payloads.integrations.sqlalchemy import Inbox
from webhook_payloads.integrations.starlette import WebhookDependency
from webhook_payloads.mastercard import MastercardEvent
from webhook_payloads.payscore import PayscoreEvent, ReportReady

INBOX = Inbox(create_engine("sqlite://"))


def queue(row_id: int) -> None:
    """A ``defer=``: hands the row id to a worker."""


payscore_event = webhook_event("payscore", secret="s", inbox=INBOX, name="payscore")


@payscore_event.handler
def handle_payscore(event: PayscoreEvent) -> None:
    """Accepted: the provider's events."""


assert_type(handle_payscore, Callable[[PayscoreEvent], None])

base_event = webhook_event("payscore", secret="s", inbox=INBOX, name="base")


@base_event.handler
async def handle_any(event: WebhookEvent) -> str:
    """Accepted: a base class of them, and an ``async def`` function."""
    return event.event_type


other_event = webhook_event("payscore", secret="s", inbox=INBOX, name="other")


@other_event.handler  # type: ignore[arg-type]
def handle_mastercard(event: MastercardEvent) -> None:
    """Refused: another provider's events."""


narrow_event = webhook_event("payscore", secret="s", inbox=INBOX, name="narrow")


@narrow_event.handler  # type: ignore[arg-type]
def handle_one_type(event: ReportReady) -> None:
    """Refused: only one of the provider's event types."""


lenient_event = webhook_event(
    "payscore", secret="s", inbox=INBOX, allow_unknown=True, name="lenient"
)


@lenient_event.handler
def handle_lenient(event: PayscoreEvent | UnknownEvent) -> None:
    """Accepted: with allow_unknown, UnknownEvent too."""


strict_event = webhook_event("payscore", secret="s", inbox=INBOX, allow_unknown=True, name="s")


@strict_event.handler  # type: ignore[arg-type]
def handle_known_only(event: PayscoreEvent) -> None:
    """Refused: with allow_unknown the handler must take UnknownEvent too."""


mastercard_event = webhook_event("mastercard", callback_key="k", inbox=INBOX, name="mastercard")


@mastercard_event.handler
def handle_reference(event: MastercardEvent, reference: str) -> None:
    """Accepted: with callback_key, the verified reference second."""


forgetful_event = webhook_event("mastercard", callback_key="k", inbox=INBOX, name="forgetful")


@forgetful_event.handler  # type: ignore[arg-type]
def handle_without_reference(event: MastercardEvent) -> None:
    """Refused: the reference is passed, so the handler must take it."""


deferred_event = webhook_event("payscore", secret="s", inbox=INBOX, defer=queue, name="later")
assert_type(deferred_event, WebhookDependency[PayscoreEvent])
webhook_event("payscore", secret="s", inbox=INBOX, defer="later")  # type: ignore[call-overload]
