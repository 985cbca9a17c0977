"""With no web framework installed, the package, the testing kit and the plugin still work."""

from __future__ import annotations

import sys
import textwrap

import pytest

pytest_plugins = ["pytester"]

SCRIPT = textwrap.dedent(
    """
    import importlib
    import importlib.abc
    import sys

    FRAMEWORKS = {"django", "flask", "werkzeug", "starlette", "fastapi", "sqlalchemy", "alembic"}

    class NotInstalled(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in FRAMEWORKS:
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, NotInstalled())

    import webhook_payloads
    import webhook_payloads.integrations
    import webhook_payloads.pytest_plugin
    import webhook_payloads._cli
    from webhook_payloads._registry import get_spec
    from webhook_payloads._samples import sample_names
    from webhook_payloads.testing import build_request, is_signed, providers

    for provider in providers():
        scheme = next(iter(get_spec(provider).named_schemes.values()), None)
        options = {"secret": "ab" * 32, "signature_scheme": scheme} if is_signed(provider) else {}
        for event_type in sample_names(provider):
            body, headers = build_request(provider, event_type, **options)
            assert webhook_payloads.parse(provider, body, headers, **options)

    for module, extra in [
        ("django", "django"), ("flask", "flask"), ("starlette", "fastapi"), ("fastapi", "fastapi"),
        ("sqlalchemy", "sqlalchemy"),
    ]:
        try:
            importlib.import_module(f"webhook_payloads.integrations.{module}")
        except ImportError as error:
            assert f"webhook-payloads[{extra}]" in str(error), error
        else:
            raise AssertionError(f"{module} imported without its framework")

    loaded = FRAMEWORKS & {name.partition(".")[0] for name in sys.modules}
    assert not loaded, loaded
    print("ok")
    """
)


def test_everything_but_the_integrations_works_without_frameworks(
    pytester: pytest.Pytester,
) -> None:
    # A fresh interpreter: this one has the frameworks imported by the other tests.
    done = pytester.run(sys.executable, "-c", SCRIPT)
    assert done.ret == 0, done.errlines
    assert done.outlines == ["ok"]


def test_importing_the_package_imports_no_framework(pytester: pytest.Pytester) -> None:
    code = "import sys, webhook_payloads, webhook_payloads.testing; print(sorted(sys.modules))"
    done = pytester.run(sys.executable, "-c", code)
    assert done.ret == 0
    for framework in ("django", "flask", "werkzeug", "starlette", "fastapi", "sqlalchemy"):
        assert f"'{framework}'" not in done.stdout.str()
