"""The command line, through main() and through its installed entry points."""

from __future__ import annotations

import errno
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from webhook_payloads._cli import EXIT_CONFIG, EXIT_OUTPUT, EXIT_PAYLOAD, EXIT_SIGNATURE, main
from webhook_payloads._samples import sample_body
from webhook_payloads.payscore import sign

from .conftest import PAYLOADS

REPORT = PAYLOADS / "payscore/REPORT_READY.json"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_sample_without_verification(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "parse", "payscore", "--sample", "REPORT_READY", "--no-verify")
    assert (code, err) == (0, "")
    document = json.loads(out)
    assert document["event"] == "ReportReady"
    assert document["provider"] == "payscore"
    assert document["idempotency_key"].startswith("payscore:REPORT_READY:")
    assert document["data"] == json.loads(REPORT.read_bytes())


def test_signed_file_with_secret_from_environment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAYSCORE_SECRET", "cli-secret-value")
    signature = sign(REPORT.read_bytes(), "cli-secret-value")
    code, out, err = run(
        capsys,
        "parse",
        "payscore",
        str(REPORT),
        "--secret-env",
        "PAYSCORE_SECRET",
        "-H",
        f"Verification-Signature: {signature}",
    )
    assert code == 0, err
    assert json.loads(out)["event"] == "ReportReady"
    assert "cli-secret-value" not in out + err


def test_wrong_signature_exit_status(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAYSCORE_SECRET", "cli-secret-value")
    bad = sign(REPORT.read_bytes(), "another")
    code, out, err = run(
        capsys,
        "parse",
        "payscore",
        str(REPORT),
        "--secret-env",
        "PAYSCORE_SECRET",
        "--header",
        f"verification-signature: {bad}",
    )
    assert code == EXIT_SIGNATURE
    assert out == ""
    assert "SignatureError" in err
    assert bad not in err
    assert "cli-secret-value" not in err


def test_missing_secret_variable_is_a_configuration_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    code, _, err = run(capsys, "parse", "payscore", str(REPORT), "--secret-env", "NOT_SET_ANYWHERE")
    assert code == EXIT_CONFIG
    assert "NOT_SET_ANYWHERE" in err


def test_no_secret_for_a_signed_provider(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "parse", "payscore", str(REPORT))
    assert code == EXIT_CONFIG
    assert "ConfigurationError" in err


def test_payload_error_lists_fields(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"code": "REPORT_READY", "report_id": "r"}')
    code, _, err = run(capsys, "parse", "payscore", str(bad), "--no-verify")
    assert code == EXIT_PAYLOAD
    assert "  applicant_group_id: Field required" in err
    assert "  report_type: Field required" in err


def test_unknown_event_and_allow_unknown(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    new = tmp_path / "new.json"
    new.write_text('{"code": "SOMETHING_NEW", "x": 1}')
    code, _, err = run(capsys, "parse", "payscore", str(new), "--no-verify")
    assert code == EXIT_PAYLOAD
    assert "--allow-unknown" in err
    code, out, _ = run(capsys, "parse", "payscore", str(new), "--no-verify", "--allow-unknown")
    assert code == 0
    assert json.loads(out)["event"] == "UnknownEvent"


def test_body_too_large(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        capsys, "parse", "payscore", str(REPORT), "--no-verify", "--max-body-size", "10"
    )
    assert code == EXIT_PAYLOAD
    assert "BodyTooLargeError" in err


def test_an_unknown_sample_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["parse", "payscore", "--sample", "NOPE", "--no-verify"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "usage: webhook-payloads parse" in err  # this command's usage, not the program's
    assert "REPORT_READY" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["parse", "payscore", "--sample", "REPORT_READY", "--no-verify", "--max-body-size", "0"],
        ["parse", "payscore", "--sample", "REPORT_READY", "--no-verify", "--max-body-size", "-1"],
        ["schema", "payscore", "--indent", "-1"],
    ],
    ids=["body-size-0", "body-size-negative", "indent-negative"],
)
def test_impossible_numbers_are_usage_errors(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert "must be" in capsys.readouterr().err


def test_a_missing_secret_is_explained_in_the_commands_terms(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run(capsys, "parse", "payscore", str(REPORT))
    assert code == EXIT_CONFIG
    assert "--secret-env" in err
    assert "--no-verify" in err
    assert "secret=" not in err  # Python's advice, not the terminal's


def test_output_a_terminal_cannot_encode_is_escaped(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    body = tmp_path / "body.json"
    body.write_text('{"code": "VERIFICATION_STARTED", "verification_id": "gé-1"}', "utf-8")
    ascii_out = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    monkeypatch.setattr(sys, "stdout", ascii_out)
    assert main(["parse", "payscore", str(body), "--no-verify"]) == 0
    ascii_out.flush()
    written = ascii_out.buffer.getvalue().decode("ascii")  # type: ignore[attr-defined]
    assert json.loads(written)["data"]["verification_id"] == "gé-1"


class _FullDisk(io.StringIO):
    def write(self, text: str) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")


def test_an_output_that_cannot_be_written_exits_74(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdout", _FullDisk())
    code = main(["schema", "anddone"])
    assert code == EXIT_OUTPUT == 74
    assert capsys.readouterr().err == "error: cannot write the output: No space left on device\n"


@pytest.mark.parametrize(
    "argv",
    [
        ["parse", "payscore", "file.json", "--sample", "REPORT_READY"],
        ["parse", "payscore", "--no-verify", "-H", "no colon here"],
        ["parse", "payscore", "/nonexistent/body.json", "--no-verify"],
        ["parse", "nobody"],
        [],
    ],
    ids=["file-and-sample", "bad-header", "unreadable", "bad-provider", "no-command"],
)
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    capsys.readouterr()


@pytest.mark.parametrize(
    "mistyped", ["5d41402abc4b2a76b9719d911017c592", "Verification-Signature=5d41402a"]
)
def test_a_malformed_header_argument_is_not_echoed(
    capsys: pytest.CaptureFixture[str], mistyped: str
) -> None:
    # A mistyped -H may be the signature itself: the usage error names its position only.
    argv = ["parse", "payscore", "--no-verify", "-H", "Content-Type: x", "-H", mistyped]
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "-H number 2 must look like 'Name: value'" in err
    assert "5d41402a" not in err


def test_samples_command_lists_every_event_type(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "samples", "payscore_v1")
    assert code == 0
    assert len(out.split()) == 15
    assert "APPLICANT_ADDED" in out.split()


def test_stdin_through_python_dash_m() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "webhook_payloads", "parse", "payscore", "-", "--no-verify"],
        input=REPORT.read_bytes(),
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["event"] == "ReportReady"


def test_installed_console_script() -> None:
    script = Path(sys.executable).with_name("webhook-payloads")
    result = subprocess.run(
        [str(script), "parse", "payscore", "--sample", "VERIFICATION_STARTED", "--no-verify"],
        capture_output=True,
        check=False,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["event"] == "VerificationStarted"
    version = subprocess.run([str(script), "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.startswith("webhook-payloads ")


def test_anddone_with_a_named_signature_scheme(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from webhook_payloads import anddone

    key = "ab" * 32
    scheme = anddone.SignatureScheme(
        signed=anddone.SignedContent.BODY_WITHOUT_SIGNATURE, key=anddone.KeyEncoding.TEXT
    )
    # A shipped sample that carries no Signature yet, signed here under a known scheme.
    sample = sample_body("anddone", "ReportGeneratedWithNoData")
    assert b'"Signature"' not in sample
    signed = tmp_path / "signed.json"
    signed.write_bytes(anddone.sign(sample, key, scheme))
    monkeypatch.setenv("ANDDONE_KEY", key)
    argv = ["parse", "anddone", str(signed), "--secret-env", "ANDDONE_KEY"]
    code, _, err = run(capsys, *argv)
    assert code == EXIT_CONFIG
    assert "SignatureScheme" in err or "scheme" in err
    code, out, err = run(capsys, *argv, "--signature-scheme", "body_without_signature:text")
    assert code == 0, err
    assert json.loads(out)["provider"] == "anddone"
    code, _, err = run(capsys, *argv, "--signature-scheme", "body_without_signature:hex_decoded")
    assert code == EXIT_SIGNATURE


@pytest.mark.parametrize("verify", [[], ["--no-verify"]], ids=["verify", "no-verify"])
@pytest.mark.parametrize("name", ["nonsense", "event_body", "event_body:hex", "6b" * 32])
def test_an_unknown_signature_scheme_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    verify: list[str],
    name: str,
) -> None:
    secret = [] if verify else ["--secret-env", "ANDDONE_KEY"]
    monkeypatch.setenv("ANDDONE_KEY", "ab" * 32)
    argv = ["parse", "anddone", "--sample", "ReportGenerated", *secret, *verify]
    with pytest.raises(SystemExit) as info:
        main([*argv, "--signature-scheme", name])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "usage: webhook-payloads parse" in err
    assert "body_without_signature:hex_decoded" in err
    assert "event_body:text" in err
    assert "6b6b" not in err  # a key given by mistake is not echoed


def test_signature_scheme_for_a_provider_with_one_scheme(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["parse", "payscore", str(REPORT), "--no-verify", "--signature-scheme", "x"])
    assert info.value.code == 2
    assert "payscore has one signature scheme; drop --signature-scheme" in capsys.readouterr().err


@pytest.mark.parametrize("variable_set", [True, False], ids=["set", "unset"])
def test_no_verify_and_secret_env_conflict(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, variable_set: bool
) -> None:
    if variable_set:
        monkeypatch.setenv("PAYSCORE_SECRET", "cli-secret-value")
    else:
        monkeypatch.delenv("PAYSCORE_SECRET", raising=False)
    with pytest.raises(SystemExit) as info:
        main(["parse", "payscore", str(REPORT), "--no-verify", "--secret-env", "PAYSCORE_SECRET"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "--no-verify and --secret-env conflict" in err
    assert "not set" not in err
    assert "cli-secret-value" not in err


def test_a_secret_for_an_unsigned_provider_names_the_flag_to_drop(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MC_SECRET", "cli-secret-value")
    with pytest.raises(SystemExit) as info:
        main(["parse", "mastercard", "--sample", "done", "--secret-env", "MC_SECRET"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "mastercard does not sign its webhook bodies; drop --secret-env" in err
    assert "secret=" not in err  # the terminal's terms, not Python's
    assert "cli-secret-value" not in err


@pytest.mark.parametrize(
    "provider", ["mastercard", "anddone", "payscore", "payscore_v1", "mastercard_connect"]
)
def test_every_shipped_sample_parses_through_the_cli(
    capsys: pytest.CaptureFixture[str], provider: str
) -> None:
    code, out, _ = run(capsys, "samples", provider)
    assert code == 0
    for name in out.split():
        flags = [] if provider == "mastercard" else ["--no-verify"]
        code, out_json, err = run(capsys, "parse", provider, "--sample", name, *flags)
        assert code == 0, err
        assert json.loads(out_json)["event_type"] == name
