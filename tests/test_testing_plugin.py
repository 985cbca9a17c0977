"""The pytest plugin: registered through the pytest11 entry point, fixtures only."""

from __future__ import annotations

from importlib.metadata import entry_points

import pytest

from webhook_payloads import anddone, parse
from webhook_payloads.payscore import ReportReady
from webhook_payloads.pytest_plugin import DEFAULT_SECRET
from webhook_payloads.testing import RequestBuilder

# Our own runs disable the autoloaded plugin (see addopts in pyproject.toml) so that coverage
# sees the package imported; load it here, after coverage has started.
pytest_plugins = ["pytester", "webhook_payloads.pytest_plugin"]


def test_the_entry_point_names_the_plugin_module() -> None:
    (entry,) = [e for e in entry_points(group="pytest11") if e.name == "webhook_payloads"]
    assert entry.value == "webhook_payloads.pytest_plugin"


def test_the_fixture_builds_signed_requests(webhook_request: RequestBuilder) -> None:
    body, headers = webhook_request("payscore", "REPORT_READY", report_type="asset")
    event = parse("payscore", body, headers, secret=DEFAULT_SECRET)
    assert isinstance(event, ReportReady)
    assert event.report_type == "asset"


def test_a_consumer_overrides_the_secret_in_conftest(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture
        def webhook_secret():
            return "from-my-settings"
        """
    )
    pytester.makepyfile(
        """
        from webhook_payloads import anddone, parse

        def test_hook(webhook_request):
            body, headers = webhook_request("payscore_v1", "NO_BANK", screening_id="s-1")
            event = parse("payscore_v1", body, headers, secret="from-my-settings")
            assert event.screening_id == "s-1"
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_the_plugin_autoloads_and_changes_nothing_else(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_fixture_is_there(webhook_request, webhook_signature_schemes):
            assert webhook_signature_schemes == {}
            assert webhook_request.secret == "0123456789abcdef" * 4

        def test_plain():
            assert True
        """
    )
    # A fresh interpreter loads plugins from entry points only, as in a consumer's project.
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_the_default_secret_signs_anddone_under_hex_key_schemes(
    webhook_request: RequestBuilder,
) -> None:
    for name in ("body_without_signature:hex_decoded", "event_body:hex_decoded"):
        scheme = anddone.SignatureScheme.from_name(name)
        builder = RequestBuilder(
            secret=webhook_request.secret, signature_schemes={"anddone": scheme}
        )
        body, headers = builder("anddone", "ReportGenerated")
        event = parse("anddone", body, headers, secret=DEFAULT_SECRET, signature_scheme=scheme)
        assert event.event_type == "ReportGenerated"


def test_one_provider_s_secret_is_overridden_alone(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture
        def webhook_secrets():
            return {"anddone": "6b" * 32}

        @pytest.fixture
        def webhook_signature_schemes():
            from webhook_payloads import anddone

            return {"anddone": anddone.SignatureScheme.from_name("event_body:hex_decoded")}
        """
    )
    pytester.makepyfile(
        """
        from webhook_payloads import anddone, parse
        from webhook_payloads.pytest_plugin import DEFAULT_SECRET

        def test_hook(webhook_request):
            body, headers = webhook_request("anddone", "ReportGenerated")
            scheme = anddone.SignatureScheme.from_name("event_body:hex_decoded")
            parse("anddone", body, headers, secret="6b" * 32, signature_scheme=scheme)
            body, headers = webhook_request("payscore", "REPORT_READY")
            parse("payscore", body, headers, secret=DEFAULT_SECRET)
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_the_builder_never_shows_a_secret() -> None:
    builder = RequestBuilder(secret="my-real-test-secret", secrets={"anddone": "6b" * 32})
    shown = repr(builder)
    assert "my-real-test-secret" not in shown
    assert "6b6b" not in shown
    assert shown == (
        "RequestBuilder(secret='***', signature_schemes={}, secrets={'anddone': '***'})"
    )
