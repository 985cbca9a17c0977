"""What an expert writes by hand for Payscore alone: the baseline for ``parse("payscore", ...)``.

Written from Payscore's documentation, independently of webhook_payloads' models: one
minimal model per event, a discriminated union, one cached ``TypeAdapter``, the signature
checked with ``hmac.new`` and ``hmac.compare_digest``. Nothing from webhook_payloads is
imported here.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Annotated, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter


class VerificationStarted(BaseModel):
    """``VERIFICATION_STARTED``."""

    code: Literal["VERIFICATION_STARTED"]
    verification_id: str


class VerificationCompleted(BaseModel):
    """``VERIFICATION_COMPLETED``."""

    code: Literal["VERIFICATION_COMPLETED"]
    verification_id: str
    reason_completed: Optional[str] = None  # noqa: UP045 - written as many experts still write it


class ReportReady(BaseModel):
    """``REPORT_READY``."""

    code: Literal["REPORT_READY"]
    applicant_group_id: str
    report_id: str
    report_type: str
    applicant_id: Optional[str] = None  # noqa: UP045 - as above


PayscoreEvent = Annotated[
    Union[VerificationStarted, VerificationCompleted, ReportReady],  # noqa: UP007 - as above
    Field(discriminator="code"),
]
ADAPTER: TypeAdapter[PayscoreEvent] = TypeAdapter(PayscoreEvent)


def handle(body: bytes, headers: Mapping[str, str], secret: bytes) -> object:
    """Verify the ``Verification-Signature`` header, then validate the body in one pass."""
    received = headers.get("Verification-Signature")
    if received is None:
        raise PermissionError("missing signature")
    expected = hmac.new(secret, body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, received):
        raise PermissionError("bad signature")
    return ADAPTER.validate_json(body)


class _KeepUnknown(BaseModel):
    # The same models for an expert who keeps the fields Payscore may add (as the library
    # does); used where a body carries such fields, to compare like with like.
    model_config = ConfigDict(extra="allow")


class VerificationStartedKeep(VerificationStarted, _KeepUnknown):
    """``VERIFICATION_STARTED``, keeping unknown fields."""


class VerificationCompletedKeep(VerificationCompleted, _KeepUnknown):
    """``VERIFICATION_COMPLETED``, keeping unknown fields."""


class ReportReadyKeep(ReportReady, _KeepUnknown):
    """``REPORT_READY``, keeping unknown fields."""


ADAPTER_KEEPING_UNKNOWN: TypeAdapter[object] = TypeAdapter(
    Annotated[
        Union[VerificationStartedKeep, VerificationCompletedKeep, ReportReadyKeep],  # noqa: UP007
        Field(discriminator="code"),
    ]
)


def handle_keeping_unknown(body: bytes, headers: Mapping[str, str], secret: bytes) -> object:
    """:func:`handle`, keeping the fields the models do not declare."""
    received = headers.get("Verification-Signature")
    if received is None:
        raise PermissionError("missing signature")
    expected = hmac.new(secret, body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, received):
        raise PermissionError("bad signature")
    return ADAPTER_KEEPING_UNKNOWN.validate_json(body)
