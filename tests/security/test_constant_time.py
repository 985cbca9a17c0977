"""Signatures are compared with ``hmac.compare_digest`` only, never with ``==``.

Two checks: a lint over the source (no ``==``, ``!=``, ``in`` or ``is`` with a signature-ish
operand), and a run-time one (swapping ``compare_digest`` for a stub decides the outcome,
so no other comparison takes part).
"""

from __future__ import annotations

import ast
import hmac
import re
import sys
from pathlib import Path

import pytest

import webhook_payloads
from webhook_payloads import SignatureError, parse
from webhook_payloads._registry import Provider

from ._providers import (
    KEY,
    OTHER_KEY,
    THIRD_KEY,
    samples,
    signed_providers,
    signing_ids,
    signing_params,
)
from ._tamper import locate

SOURCE = Path(webhook_payloads.__file__).parent
SIGNATURE_NAME = re.compile(r"sig|digest|mac|expected|received", re.IGNORECASE)
# A comment marking a reviewed comparison of non-secret data (it must say why on the line).
ALLOW = "# public comparison:"
COMPARISONS = (ast.Eq, ast.NotEq, ast.In, ast.NotIn, ast.Is, ast.IsNot)


def _names(node: ast.AST) -> set[str]:
    found: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            found.add(sub.id)
        elif isinstance(sub, ast.Attribute):
            found.add(sub.attr)
    return found


def _is_public(node: ast.AST) -> bool:
    # Constants, named constants (ALL_CAPS), enum members (Class.MEMBER) and lengths are
    # public: comparing them says nothing about a secret value.
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Name) and node.id.lstrip("_").isupper():
        return True
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id[:1].isupper()
        and node.attr.isupper()
    ):
        return True
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "len"


def secret_comparisons(source: str, filename: str = "<src>") -> list[str]:
    """``file:line`` of every operator comparison that has a signature-like operand."""
    found = []
    lines = source.splitlines()
    for node in ast.walk(ast.parse(source, filename)):
        if not isinstance(node, ast.Compare):
            continue
        if ALLOW in lines[node.lineno - 1]:
            continue  # a reviewed comparison of public bytes, with the reason on the line
        operands = [node.left, *node.comparators]
        if all(isinstance(op, (ast.Is, ast.IsNot)) for op in node.ops) and any(
            isinstance(o, ast.Constant) and o.value is None for o in operands
        ):
            continue  # "x is None" asks whether there is a value, not what it is
        names = set().union(*(_names(o) for o in operands if not _is_public(o)))
        if any(isinstance(op, COMPARISONS) for op in node.ops) and any(
            SIGNATURE_NAME.search(name) for name in names
        ):
            found.append(f"{filename}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_the_lint_catches_a_plain_comparison_and_honours_reviewed_ones() -> None:
    source = (
        "if received == expected: pass\n"
        "if len(digest) != _DIGEST_SIZE: pass\n"
        "if mode is Signed.BODY: pass\n"
        "if signed_body != body:  # public comparison: both are request bytes\n    pass\n"
    )
    assert secret_comparisons(source) == ["<src>:1: received == expected"]


def test_no_signature_is_compared_with_an_operator() -> None:
    offenders = []
    for path in sorted(SOURCE.rglob("*.py")):
        offenders += secret_comparisons(path.read_text(), str(path.relative_to(SOURCE)))
    assert offenders == []


@pytest.mark.parametrize(
    "snippet",
    [
        "ok = digest == received",
        "ok = hmac.new(k, b, sha256).hexdigest() != header",
        "ok = expected_signature in headers.values()",
        "if compute_mac(key, body) == sig: pass",
        "ok = signature.lower() == other",
        "ok = a == b == signature",
    ],
)
def test_the_lint_catches_operator_comparisons(snippet: str) -> None:
    assert secret_comparisons(snippet)


@pytest.mark.parametrize(
    "snippet",
    [
        "ok = hmac.compare_digest(digest, received)",
        "bad = len(digest) != SIZE",
        "if signature is None: pass",
        "if len(received) > 1: pass",
        "ok = scheme == 'hex'",
        "if headers is not None: pass",
    ],
)
def test_the_lint_allows_constant_time_and_public_comparisons(snippet: str) -> None:
    assert secret_comparisons(snippet) == []


def _patch_compare_digest(monkeypatch: pytest.MonkeyPatch, stub: object) -> None:
    monkeypatch.setattr(hmac, "compare_digest", stub)
    for name, module in list(sys.modules.items()):
        if name.startswith("webhook_payloads") and hasattr(module, "compare_digest"):
            monkeypatch.setattr(module, "compare_digest", stub)


pytestmark = pytest.mark.skipif(not signed_providers(), reason="no signing provider registered")


@pytest.mark.parametrize(("provider", "scheme"), signing_params(), ids=signing_ids())
def test_compare_digest_alone_decides(
    provider: Provider, scheme: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, body = samples(provider)[0]
    signed = locate(provider, body, scheme)
    calls: list[tuple[object, object]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    _patch_compare_digest(monkeypatch, spy)
    parse(provider, signed.body, signed.headers, secret=KEY, signature_scheme=scheme)  # type: ignore[arg-type]
    assert calls, "verification did not call hmac.compare_digest"
    assert all(isinstance(a, bytes) and isinstance(b, bytes) for a, b in calls)

    # A genuine request fails when compare_digest says no ...
    _patch_compare_digest(monkeypatch, lambda a, b: False)
    with pytest.raises(SignatureError):
        parse(provider, signed.body, signed.headers, secret=KEY, signature_scheme=scheme)  # type: ignore[arg-type]
    # ... and one signed with another key passes when it says yes: nothing else compares.
    _patch_compare_digest(monkeypatch, lambda a, b: True)
    other = locate(provider, body, scheme)
    forged_body, forged_headers = other.body, dict(other.headers)
    for name in other.signature_headers:
        forged_headers[name] = "0" * len(forged_headers[name])
    if other.signature_headers:
        parse(provider, forged_body, forged_headers, secret=KEY, signature_scheme=scheme)  # type: ignore[arg-type]


@pytest.mark.parametrize(("provider", "scheme"), signing_params(), ids=signing_ids())
def test_every_key_is_tried_whichever_matches(
    provider: Provider, scheme: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Stopping at the first match would tell an attacker which key slot matched.
    _, body = samples(provider)[0]
    signed = locate(provider, body, scheme)
    calls: list[object] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append(a)
        return real(a, b)

    _patch_compare_digest(monkeypatch, spy)
    secrets = [KEY, OTHER_KEY, THIRD_KEY]
    counts = []
    for order in (secrets, secrets[::-1]):
        calls.clear()
        parse(provider, signed.body, signed.headers, secret=order, signature_scheme=scheme)  # type: ignore[arg-type]
        counts.append(len(calls))
    assert counts[0] == counts[1] >= 3
