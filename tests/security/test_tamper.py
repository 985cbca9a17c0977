"""Every single change to a genuinely signed request is refused with ``SignatureError``."""

from __future__ import annotations

import random

import pytest

from webhook_payloads import ConfigurationError, SignatureError, parse
from webhook_payloads._registry import Provider

from ._providers import (
    KEY,
    OTHER_KEY,
    samples,
    scheme_id,
    signed_providers,
    signing_ids,
    signing_params,
)
from ._tamper import Pairs, cases, locate, matrix, sign

pytestmark = pytest.mark.skipif(not signed_providers(), reason="no signing provider registered")


def _parse(provider: Provider, scheme: object, body: bytes, headers: object, secret: object):
    return parse(provider, body, headers, secret=secret, signature_scheme=scheme)  # type: ignore[arg-type]


@pytest.mark.parametrize(("provider", "scheme"), signing_params(), ids=signing_ids())
def test_genuine_requests_verify(provider: Provider, scheme: object) -> None:
    for event, body in samples(provider):
        signed = locate(provider, body, scheme)
        parsed = _parse(provider, scheme, signed.body, signed.headers, KEY)
        assert parsed.event_type == event


@pytest.mark.parametrize(("provider", "scheme"), signing_params(), ids=signing_ids())
def test_every_tampered_request_is_refused(provider: Provider, scheme: object) -> None:
    tried = 0
    for case in matrix(provider, scheme):
        with pytest.raises(SignatureError) as caught:
            _parse(provider, scheme, case.body, case.headers, case.secret)
        error = caught.value
        assert type(error) is SignatureError, case.label
        assert error.reason in {"missing", "malformed", "mismatch"}, case.label
        assert error.provider == provider.value
        assert error.http_status == 401
        assert error.__cause__ is None
        shown = f"{error!s} {error!r} {error.args!r}"
        for secret in case.hidden:
            assert secret not in shown, case.label
        tried += 1
    # One sample alone gives hundreds of cases: an empty matrix is a broken test.
    assert tried > 500 * len(samples(provider))


@pytest.mark.parametrize(("provider", "scheme"), signing_params(), ids=signing_ids())
def test_key_rotation_accepts_either_key_in_either_order(
    provider: Provider, scheme: object
) -> None:
    for _, body in samples(provider):
        for key in (KEY, OTHER_KEY):
            signed_body, headers = sign(provider, body, key, scheme)
            for secret in ([KEY, OTHER_KEY], [OTHER_KEY, KEY], (OTHER_KEY, KEY)):
                _parse(provider, scheme, signed_body, headers, secret)


@pytest.mark.parametrize(("provider", "scheme"), signing_params(), ids=signing_ids())
@pytest.mark.parametrize("secret", ["", b"", [], [KEY, ""], ["", KEY]], ids=repr)
def test_an_empty_secret_is_a_configuration_error(
    provider: Provider, scheme: object, secret: object
) -> None:
    _, body = samples(provider)[0]
    signed_body, headers = sign(provider, body, KEY, scheme)
    with pytest.raises(ConfigurationError) as caught:
        _parse(provider, scheme, signed_body, headers, secret)
    assert caught.value.http_status == 500


@pytest.mark.parametrize(("provider", "scheme"), signing_params(), ids=signing_ids())
def test_signature_header_name_in_any_case_verifies(provider: Provider, scheme: object) -> None:
    rng = random.Random(5)
    for _, body in samples(provider):
        signed = locate(provider, body, scheme)
        for name in signed.signature_headers:
            others = {k: v for k, v in signed.headers.items() if k != name}
            variants = [name.lower(), name.upper(), name.swapcase()]
            variants += [
                "".join(rng.choice((c.lower(), c.upper())) for c in name) for _ in range(8)
            ]
            for variant in variants:
                headers = {**others, variant: signed.headers[name]}
                _parse(provider, scheme, signed.body, headers, KEY)
                as_bytes = Pairs([(k.encode(), v.encode()) for k, v in headers.items()])
                _parse(provider, scheme, signed.body, as_bytes, KEY)


@pytest.mark.parametrize(("provider", "scheme"), signing_params(), ids=signing_ids())
def test_hex_signatures_compare_by_value(provider: Provider, scheme: object) -> None:
    # Upper-case hex is the same digest; whitespace around a header value is not part of it
    # (HTTP strips it). Neither is a forgery, so both verify.
    _, body = samples(provider)[0]
    signed = locate(provider, body, scheme)
    hex_headers = [
        n for n in signed.signature_headers if set(signed.headers[n]) <= set("0123456789abcdef")
    ]
    if not hex_headers:
        pytest.skip(f"{provider} {scheme_id(scheme)} sends no hex signature header")
    for name in hex_headers:
        for value in (signed.headers[name].upper(), f" {signed.headers[name]}\t"):
            _parse(provider, scheme, signed.body, {**signed.headers, name: value}, KEY)


def test_the_matrix_covers_every_change_class() -> None:
    provider, scheme = signing_params()[0]
    event, body = samples(provider)[0]
    labels = [case.label for case in cases(provider, scheme, event, body)]
    for needle in (
        "body[0]^0x01",
        "body truncated to 0",
        "body extended by",
        "truncated to 1",
        "extended by",
        "signed with another key",
        "signed with an empty key",
        "rotation, signed with neither key",
        "repeated bad twice",
        "repeated bad then good",
        "on a changed body",
    ):
        assert any(needle in label for label in labels), needle
    assert any("headers of" in x or "in-body signature of" in x for x in labels)
