"""Payscore's current API: the documented examples, variants, signatures, model rules."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webhook_payloads import ConfigurationError, SignatureError, parse
from webhook_payloads.payscore import (
    ReportReady,
    VerificationCompleted,
    VerificationStarted,
    sign,
    signed_headers,
    verify_signature,
)

from .conftest import PAYLOADS, payload_files

SECRET = "payscore-secret"
CLASSES = {
    "VERIFICATION_STARTED": VerificationStarted,
    "VERIFICATION_COMPLETED": VerificationCompleted,
    "REPORT_READY": ReportReady,
}


@pytest.mark.parametrize("path", payload_files("payscore"), ids=lambda p: p.stem)
def test_documented_example_parses_signed(path: Path) -> None:
    body = path.read_bytes()
    event = parse("payscore", body, signed_headers(body, SECRET), secret=SECRET)
    assert type(event) is CLASSES[path.stem]
    assert event.code == path.stem
    assert event.provider == "payscore"
    # Round trip through the wire shape, and through pickle.
    again = parse("payscore", event.model_dump_json(by_alias=True), verify=False)
    assert again == event
    assert pickle.loads(pickle.dumps(event)) == event
    assert event.model_dump(by_alias=True) == json.loads(body)


def test_report_ready_fields() -> None:
    event = parse("payscore", (PAYLOADS / "payscore/REPORT_READY.json").read_bytes(), verify=False)
    assert isinstance(event, ReportReady)
    assert event.report_id == "2d376488-fc60-4193-bac2-1023764b7842"
    assert event.applicant_group_id == "4516efb4-82ed-43cd-a55a-ba93d4914562"
    assert event.applicant_id == "4516efb4-82ed-43cd-a55a-ba93d4914562"
    assert event.report_type == "income"
    assert event.idempotency_key == "payscore:REPORT_READY:2d376488-fc60-4193-bac2-1023764b7842"


def report(**changes: object) -> bytes:
    data: dict[str, object] = {
        "code": "REPORT_READY",
        "applicant_group_id": "g-1",
        "report_id": "r-1",
        "report_type": "asset",
    }
    data.update(changes)
    return json.dumps({k: v for k, v in data.items() if v is not ...}).encode()


def test_household_report_has_no_applicant_id() -> None:
    event = parse("payscore", report(applicant_id=...), verify=False)
    assert isinstance(event, ReportReady)
    assert event.applicant_id is None
    assert "applicant_id" not in event.model_dump(by_alias=True, exclude_unset=True)


def test_unknown_report_type_is_kept() -> None:
    event = parse("payscore", report(report_type="employment"), verify=False)
    assert isinstance(event, ReportReady)
    assert event.report_type == "employment"


def test_extra_fields_are_kept_and_serialised_but_not_shown() -> None:
    event = parse(
        "payscore", report(created_at="2026-01-01", applicant_email="a@b.c"), verify=False
    )
    assert event.model_extra == {"created_at": "2026-01-01", "applicant_email": "a@b.c"}
    assert "a@b.c" not in repr(event)
    assert "a@b.c" not in str(event)
    assert json.loads(event.model_dump_json(by_alias=True))["applicant_email"] == "a@b.c"
    assert parse("payscore", event.model_dump_json(by_alias=True), verify=False) == event


def test_verification_completed_reason_is_open_and_optional() -> None:
    base = {"code": "VERIFICATION_COMPLETED", "verification_id": "v"}
    plain = parse("payscore", json.dumps(base), verify=False)
    assert isinstance(plain, VerificationCompleted)
    assert plain.reason_completed is None
    other = parse("payscore", json.dumps({**base, "reason_completed": "abandoned"}), verify=False)
    assert isinstance(other, VerificationCompleted)
    assert other.reason_completed == "abandoned"
    assert other.idempotency_key == "payscore:VERIFICATION_COMPLETED:v"


def test_events_are_frozen_and_hashable() -> None:
    event = parse("payscore", report(), verify=False)
    with pytest.raises(ValueError, match="frozen"):
        event.report_id = "other"  # type: ignore[misc]
    assert hash(event) == hash(parse("payscore", report(), verify=False))


# --- signatures -----------------------------------------------------------------------------

BODY = (PAYLOADS / "payscore/REPORT_READY.json").read_bytes()
GOOD = sign(BODY, SECRET)


def test_sign_matches_an_independent_hmac() -> None:
    import hashlib
    import hmac

    assert hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest() == GOOD
    assert sign(BODY.decode(), SECRET.encode()) == GOOD


@pytest.mark.parametrize(
    "headers",
    [
        {"Verification-Signature": GOOD},
        {"verification-signature": GOOD},
        {"VERIFICATION-SIGNATURE": GOOD.upper()},
        {b"Verification-Signature": GOOD.encode()},
        {"Verification-Signature": f"  {GOOD} "},
        {"Content-Type": "application/json", "Verification-Signature": GOOD},
    ],
    ids=["exact", "lower", "upper-hex", "bytes", "whitespace", "with-others"],
)
def test_accepted_signature_headers(headers: dict[str, str]) -> None:
    assert isinstance(parse("payscore", BODY, headers, secret=SECRET), ReportReady)
    verify_signature(BODY, headers, SECRET)


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        (None, "missing"),
        ({}, "missing"),
        ({"Verification-Signatures": GOOD}, "missing"),
        ({"Verification-Signature": ""}, "malformed"),
        ({"Verification-Signature": GOOD[:-1]}, "malformed"),
        ({"Verification-Signature": GOOD[:-2]}, "malformed"),
        ({"Verification-Signature": GOOD + "00"}, "malformed"),
        ({"Verification-Signature": "z" * 64}, "malformed"),
        ({"Verification-Signature": GOOD[:30] + " " + GOOD[31:]}, "malformed"),
        ({"Verification-Signature": "sha256=" + GOOD}, "malformed"),
        ({"Verification-Signature": sign(BODY, "wrong")}, "mismatch"),
        ({"Verification-Signature": sign(BODY + b" ", SECRET)}, "mismatch"),
        ({"Verification-Signature": "0" * 64}, "mismatch"),
    ],
    ids=[
        "none",
        "empty-headers",
        "other-name",
        "empty",
        "odd-length",
        "truncated",
        "extended",
        "non-hex",
        "inner-space",
        "prefixed",
        "wrong-key",
        "other-body",
        "zeros",
    ],
)
def test_refused_signatures(headers: dict[str, str] | None, reason: str) -> None:
    with pytest.raises(SignatureError) as info:
        parse("payscore", BODY, headers, secret=SECRET)
    assert info.value.reason == reason
    assert info.value.http_status == 401
    assert GOOD not in str(info.value)
    assert GOOD not in repr(info.value)
    assert SECRET not in str(info.value)


def test_of_a_repeated_header_the_value_the_mapping_gives_must_match() -> None:
    class MultiHeaders:
        """Like Werkzeug's or Starlette's Headers: items() yields repeats."""

        def __init__(self, *values: str) -> None:
            self.values = values

        def items(self) -> list[tuple[str, str]]:
            return [("Verification-Signature", value) for value in self.values]

    forged = "0" * 64
    assert parse("payscore", BODY, MultiHeaders(GOOD, forged), secret=SECRET)
    with pytest.raises(SignatureError, match="does not match"):
        parse("payscore", BODY, MultiHeaders(forged, GOOD), secret=SECRET)
    # Two spellings in one dict: the documented one is read.
    headers = {"verification-signature": forged, "Verification-Signature": GOOD}
    assert parse("payscore", BODY, headers, secret=SECRET)


@pytest.mark.parametrize("order", [["old", SECRET], [SECRET, "old"]], ids=["new-last", "new-first"])
def test_key_rotation_accepts_any_listed_secret(order: list[str]) -> None:
    headers = signed_headers(BODY, SECRET)
    assert isinstance(parse("payscore", BODY, headers, secret=order), ReportReady)
    assert isinstance(parse("payscore", BODY, headers, secret=tuple(order)), ReportReady)
    with pytest.raises(SignatureError):
        parse("payscore", BODY, headers, secret=["old", "older"])


def test_verify_signature_rejects_a_bad_secret_setting() -> None:
    with pytest.raises(ConfigurationError):
        verify_signature(BODY, signed_headers(BODY, SECRET), "")


def test_one_changed_byte_anywhere_is_refused() -> None:
    headers = signed_headers(BODY, SECRET)
    for index in range(len(BODY)):
        tampered = bytearray(BODY)
        tampered[index] ^= 0x01
        with pytest.raises(SignatureError):
            parse("payscore", bytes(tampered), headers, secret=SECRET)


def usable(secret: bytes) -> bool:
    # Secrets of only whitespace or NULs, or with whitespace around them, are refused as
    # settings never filled in or read with a newline (tested elsewhere).
    return bool(secret.strip(b" \t\n\r\x0b\x0c\x00")) and secret == secret.strip()


@given(body=st.binary(max_size=512), secret=st.binary(min_size=1, max_size=64).filter(usable))
def test_sign_then_verify_always_passes(body: bytes, secret: bytes) -> None:
    verify_signature(body, signed_headers(body, secret), secret)


@given(
    body=st.binary(min_size=1, max_size=256),
    data=st.data(),
)
def test_any_change_to_the_body_fails(body: bytes, data: st.DataObject) -> None:
    headers = signed_headers(body, SECRET)
    changed = data.draw(st.binary(max_size=257).filter(lambda b: b != body), label="changed")
    with pytest.raises(SignatureError):
        verify_signature(changed, headers, SECRET)


def test_typed_parse_passes_options_through() -> None:
    event = parse("payscore", b'{"code": "NEW"}', verify=False, allow_unknown=True)
    assert event.event_type == "NEW"
    with pytest.raises(ConfigurationError):
        parse("payscore", BODY)
