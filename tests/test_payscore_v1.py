"""Payscore v1 (deprecated): all fifteen screening codes."""

from __future__ import annotations

import json
import pickle
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webhook_payloads import SignatureError, parse, payscore_v1
from webhook_payloads.payscore_v1 import (
    Applicant,
    ApplicantAdded,
    ApplicantEvent,
    ApplicantRemoved,
    BankCannotConnect,
    BankEvent,
    BankNotSupported,
    BeginScreening,
    InviteExpired,
    NoBank,
    NoIncome,
    NoOnlineBanking,
    ReOpenScreening,
    ReportExpired,
    ReportSoonToExpire,
    ScreeningCompleted,
    ScreeningEvent,
    ScreeningGroupCompleted,
    ShareBank,
)

from .conftest import PAYLOADS, payload_files

CLASSES = {
    "BEGIN_SCREENING": BeginScreening,
    "SCREENING_COMPLETED": ScreeningCompleted,
    "SCREENING_GROUP_COMPLETED": ScreeningGroupCompleted,
    "BANK_NOT_SUPPORTED": BankNotSupported,
    "NO_ONLINE_BANKING": NoOnlineBanking,
    "NO_BANK": NoBank,
    "BANK_CANNOT_CONNECT": BankCannotConnect,
    "SHARE_BANK": ShareBank,
    "NO_INCOME": NoIncome,
    "RE_OPEN_SCREENING": ReOpenScreening,
    "REPORT_SOON_TO_EXPIRE": ReportSoonToExpire,
    "REPORT_EXPIRED": ReportExpired,
    "INVITE_EXPIRED": InviteExpired,
    "APPLICANT_ADDED": ApplicantAdded,
    "APPLICANT_REMOVED": ApplicantRemoved,
}
GROUP = "905963d4-0649-4046-8f39-7997a9e45ed4"
SCREENING = "4516efb4-82ed-43cd-a55a-ba93d4914562"


def test_fifteen_documented_codes() -> None:
    assert len(payload_files("payscore_v1")) == 15
    assert {p.stem for p in payload_files("payscore_v1")} == set(CLASSES)


@pytest.mark.parametrize("path", payload_files("payscore_v1"), ids=lambda p: p.stem)
def test_documented_example(path: Path) -> None:
    body = path.read_bytes()
    event = parse("payscore_v1", body, payscore_v1.signed_headers(body, "k"), secret="k")
    assert type(event) is CLASSES[path.stem]
    assert event.screening_group_id == GROUP
    if isinstance(event, BankEvent | ApplicantEvent):
        key = f"payscore_v1:{path.stem}:{SCREENING}:~[0-9a-f]{{64}}"
        assert re.fullmatch(key, event.idempotency_key)
    elif isinstance(event, ScreeningEvent):
        assert event.screening_id == SCREENING
        assert event.idempotency_key == f"payscore_v1:{path.stem}:{SCREENING}"
    else:
        assert event.idempotency_key == f"payscore_v1:{path.stem}:{GROUP}"
    assert parse("payscore_v1", event.model_dump_json(by_alias=True), verify=False) == event
    assert pickle.loads(pickle.dumps(event)) == event
    assert event.model_dump(by_alias=True) == json.loads(body)


@pytest.mark.parametrize("code", ["BANK_NOT_SUPPORTED", "NO_ONLINE_BANKING", "BANK_CANNOT_CONNECT"])
def test_bank_name_events(code: str) -> None:
    event = parse("payscore_v1", (PAYLOADS / f"payscore_v1/{code}.json").read_bytes(), verify=False)
    assert isinstance(event, BankEvent)
    assert event.bank_name == "Small Alaskan Credit Union"


@pytest.mark.parametrize("code", ["APPLICANT_ADDED", "APPLICANT_REMOVED"])
def test_applicant_events_keep_personal_data_out_of_repr(code: str) -> None:
    event = parse("payscore_v1", (PAYLOADS / f"payscore_v1/{code}.json").read_bytes(), verify=False)
    assert isinstance(event, ApplicantEvent)
    applicant = event.applicant
    assert applicant == Applicant(
        applicant_first_name="John",
        applicant_last_name="Smith",
        applicant_email="john@gmail.com",
        applicant_phone_number="+18001234567",
    )
    for text in (repr(event), str(event), repr(applicant), str(applicant)):
        for secret in ("John", "Smith", "john@gmail.com", "+18001234567", "8001234567"):
            assert secret not in text
    assert event.model_dump()["value"]["applicant_email"] == "john@gmail.com"


def test_applicant_phone_may_be_null() -> None:
    data = json.loads((PAYLOADS / "payscore_v1/APPLICANT_ADDED.json").read_bytes())
    data["value"]["applicant_phone_number"] = None
    event = parse("payscore_v1", json.dumps(data), verify=False)
    assert isinstance(event, ApplicantAdded)
    assert event.applicant.applicant_phone_number is None


def test_bank_value_must_be_a_name_not_an_applicant() -> None:
    data = json.loads((PAYLOADS / "payscore_v1/APPLICANT_ADDED.json").read_bytes())
    data["code"] = "BANK_NOT_SUPPORTED"
    with pytest.raises(ValueError, match="value"):
        parse("payscore_v1", json.dumps(data), verify=False)


def test_v1_and_current_api_do_not_mix() -> None:
    body = (PAYLOADS / "payscore/REPORT_READY.json").read_bytes()
    with pytest.raises(ValueError, match="REPORT_READY"):
        parse("payscore_v1", body, verify=False)


def test_v1_signature_is_checked() -> None:
    body = (PAYLOADS / "payscore_v1/NO_BANK.json").read_bytes()
    headers = payscore_v1.signed_headers(body, "k")
    assert headers["Verification-Signature"] == payscore_v1.sign(body, "k")
    payscore_v1.verify_signature(body, headers, ["old", "k"])
    with pytest.raises(SignatureError) as info:
        parse("payscore_v1", body, headers, secret="other")
    assert info.value.provider == "payscore_v1"


BANK_CODES = ["BANK_NOT_SUPPORTED", "NO_ONLINE_BANKING", "BANK_CANNOT_CONNECT"]
APPLICANT_CODES = ["APPLICANT_ADDED", "APPLICANT_REMOVED"]
# Short texts over a few characters, ":" included, so that hypothesis meets equal values,
# values that differ by one character, and ids and names that could run into each other.
_TEXT = st.text(alphabet='ab:"\\é', max_size=4)


def _bank_event(code: str, screening_id: str, bank: str) -> BankEvent:
    body = {"code": code, "screening_group_id": GROUP, "screening_id": screening_id}
    event = parse("payscore_v1", json.dumps({**body, "value": bank}), verify=False)
    assert isinstance(event, BankEvent)
    return event


def test_two_banks_of_one_screening_have_two_keys() -> None:
    first = _bank_event("BANK_NOT_SUPPORTED", SCREENING, "First Bank")
    again = _bank_event("BANK_NOT_SUPPORTED", SCREENING, "First Bank")
    second = _bank_event("BANK_NOT_SUPPORTED", SCREENING, "Second Bank")
    assert first.idempotency_key == again.idempotency_key
    assert first.idempotency_key != second.idempotency_key


@given(
    st.tuples(st.sampled_from(BANK_CODES), _TEXT, _TEXT),
    st.tuples(st.sampled_from(BANK_CODES), _TEXT, _TEXT),
)
def test_bank_event_keys_differ_exactly_when_the_events_do(
    one: tuple[str, str, str], other: tuple[str, str, str]
) -> None:
    same_key = _bank_event(*one).idempotency_key == _bank_event(*other).idempotency_key
    assert same_key == (one == other)


_APPLICANT = st.tuples(_TEXT, _TEXT, _TEXT, st.none() | _TEXT)


def _applicant_event(
    code: str, screening_id: str, person: tuple[str, str, str, str | None]
) -> ApplicantEvent:
    first, last, email, phone = person
    value = {
        "applicant_first_name": first,
        "applicant_last_name": last,
        "applicant_email": email,
        "applicant_phone_number": phone,
    }
    body = {"code": code, "screening_group_id": GROUP, "screening_id": screening_id}
    event = parse("payscore_v1", json.dumps({**body, "value": value}), verify=False)
    assert isinstance(event, ApplicantEvent)
    return event


def test_two_applicants_of_one_screening_have_two_keys_without_personal_data() -> None:
    john = ("John", "Smith", "john@example.com", "+18001234567")
    jane = ("Jane", "Smith", "jane@example.com", None)
    keys = {_applicant_event("APPLICANT_ADDED", SCREENING, p).idempotency_key for p in (john, jane)}
    assert len(keys) == 2
    for key in keys:
        for text in ("John", "Jane", "Smith", "example.com", "8001234567"):
            assert text not in key


@given(
    st.tuples(st.sampled_from(APPLICANT_CODES), _TEXT, _APPLICANT),
    st.tuples(st.sampled_from(APPLICANT_CODES), _TEXT, _APPLICANT),
)
def test_applicant_event_keys_differ_exactly_when_the_events_do(
    one: tuple[str, str, tuple[str, str, str, str | None]],
    other: tuple[str, str, tuple[str, str, str, str | None]],
) -> None:
    same_key = _applicant_event(*one).idempotency_key == _applicant_event(*other).idempotency_key
    assert same_key == (one == other)
