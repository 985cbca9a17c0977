import base64
import hashlib
import hmac
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webhook_payloads import ConfigurationError, SignatureError
from webhook_payloads.mastercard import (
    callback_token,
    callback_url,
    verify_callback_token,
    verify_callback_url,
)

KEY = "k" * 32
BASE = "https://lender.example/hooks/mastercard"


def test_token_is_the_documented_hmac() -> None:
    context = b"webhook-payloads/mastercard/callbackUrl/v1\x00"
    digest = hmac.new(KEY.encode(), context + b"req-7", hashlib.sha256).digest()
    expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert callback_token("req-7", KEY) == expected
    assert callback_token("req-7", KEY) == "BEKyVixdgHQmAcpL53uPfKw-VHjrXiA_Ky1TpS_c2kY"


def test_url_round_trip_returns_the_reference() -> None:
    url = callback_url(BASE, "req-7", KEY)
    assert url.startswith(BASE + "?ref=req-7&token=")
    assert verify_callback_url(url, KEY) == "req-7"
    # Frameworks often hand over the path and query only.
    path = url.removeprefix("https://lender.example")
    assert verify_callback_url(path, KEY) == "req-7"


def test_existing_query_parameters_are_kept() -> None:
    url = callback_url(BASE + "?tenant=a", "req 7/é", KEY)
    query = parse_qs(urlsplit(url).query)
    assert query["tenant"] == ["a"]
    assert query["ref"] == ["req 7/é"]
    assert verify_callback_url(url, KEY) == "req 7/é"


def test_custom_parameter_names() -> None:
    url = callback_url(BASE, "r", KEY, reference_param="r", token_param="t")
    assert verify_callback_url(url, KEY, reference_param="r", token_param="t") == "r"
    with pytest.raises(SignatureError) as info:
        verify_callback_url(url, KEY)
    assert info.value.reason == "missing"


def test_key_rotation_accepts_any_listed_key() -> None:
    url = callback_url(BASE, "req-7", "old-key")
    assert verify_callback_url(url, ["new-key", "old-key"]) == "req-7"


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda u: u.replace("ref=req-7", "ref=req-8"), "mismatch"),
        (lambda u: u[:-1] + ("A" if u[-1] != "A" else "B"), "mismatch"),
        (lambda u: u.split("&token=")[0], "missing"),
        (lambda u: u.replace("ref=req-7&", ""), "missing"),
        (lambda u: u + "&token=x", "malformed"),
        (lambda u: u[:-2], "malformed"),
        (lambda u: u[:-1] + "*", "malformed"),
        (lambda u: u.replace("ref=req-7", "ref=" + "r" * 300), "malformed"),
        # A full URL whose host urlsplit() cannot read: refused, not a ValueError.
        (lambda u: "https://[::1" + u[u.index("/", 8) :], "malformed"),
    ],
    ids=[
        "other-reference",
        "token-changed",
        "no-token",
        "no-reference",
        "token-twice",
        "token-short",
        "token-not-base64url",
        "reference-too-long",
        "unreadable-host",
    ],
)
def test_tampered_urls_are_refused(mutate: object, reason: str) -> None:
    url = callback_url(BASE, "req-7", KEY)
    assert callable(mutate)
    with pytest.raises(SignatureError) as info:
        verify_callback_url(mutate(url), KEY)
    assert info.value.reason == reason
    assert info.value.provider == "mastercard"
    assert KEY not in str(info.value)


def test_a_reference_that_cannot_be_encoded_is_malformed() -> None:
    with pytest.raises(SignatureError) as info:
        verify_callback_token("\ud800", "A" * 43, KEY)
    assert info.value.reason == "malformed"


def test_wrong_key_is_a_mismatch() -> None:
    url = callback_url(BASE, "req-7", KEY)
    with pytest.raises(SignatureError) as info:
        verify_callback_url(url, "another key")
    assert info.value.reason == "mismatch"


@pytest.mark.parametrize(
    "call",
    [
        lambda: callback_token("", KEY),
        lambda: callback_token("x" * 257, KEY),
        lambda: callback_token("\ud800", KEY),
        lambda: callback_token("r", ""),
        lambda: callback_url(BASE, "r", KEY, reference_param="p", token_param="p"),
        lambda: callback_url(BASE, "r", KEY, reference_param=""),
        lambda: callback_url(BASE + "?token=1", "r", KEY),
        lambda: verify_callback_token("r", "t", []),
    ],
    ids=[
        "empty-reference",
        "long-reference",
        "surrogate-reference",
        "empty-key",
        "same-params",
        "empty-param",
        "param-taken",
        "no-keys",
    ],
)
def test_misuse_is_a_configuration_error(call: object) -> None:
    assert callable(call)
    with pytest.raises(ConfigurationError):
        call()


@given(
    st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=256),
    # A key of only whitespace is refused as never filled in (tested elsewhere).
    st.binary(min_size=1, max_size=64).filter(
        # Blank, NUL-only and whitespace-surrounded keys are refused (tested elsewhere).
        lambda key: bool(key.strip(b" \t\n\r\x0b\x0c\x00")) and key == key.strip()
    ),
)
def test_any_reference_round_trips_and_binds_to_the_key(reference: str, key: bytes) -> None:
    url = callback_url(BASE, reference, key)
    assert verify_callback_url(url, key) == reference
    with pytest.raises(SignatureError):
        verify_callback_url(url, key + b"!")


def test_only_the_canonical_token_text_verifies() -> None:
    # base64 leaves the last character's spare bits free and the decoder also takes the
    # standard alphabet: each such text carries the same token bytes, and is refused.
    token = callback_token("req-7", KEY)
    verify_callback_token("req-7", token, KEY)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    same_bytes = [
        variant
        for variant in (token[:-1] + c for c in alphabet if c != token[-1])
        if base64.urlsafe_b64decode(variant + "=") == base64.urlsafe_b64decode(token + "=")
    ]
    assert len(same_bytes) == 3
    standard = token.replace("-", "+").replace("_", "/")
    for variant in [*same_bytes, *([standard] if standard != token else [])]:
        with pytest.raises(SignatureError) as caught:
            verify_callback_token("req-7", variant, KEY)
        assert caught.value.reason == "malformed"


def test_a_rotation_list_makes_tokens_with_its_first_key() -> None:
    assert callback_token("r-1", ["new" * 11, "old" * 11]) == callback_token("r-1", "new" * 11)
    url = callback_url("https://example.com/h", "r-1", ("new" * 11, "old" * 11))
    assert verify_callback_url(url, "new" * 11) == "r-1"


@pytest.mark.parametrize(
    ("reference", "token", "named"),
    [("r", 5, "int"), (b"r", "t" * 43, "bytes"), ("r", b"t" * 43, "bytes"), (["r"], None, "list")],
)
def test_a_reference_or_token_of_the_wrong_type_is_a_configuration_error(
    reference: object, token: object, named: str
) -> None:
    with pytest.raises(ConfigurationError, match=f"not {named}"):
        verify_callback_token(reference, token, "k" * 32)  # type: ignore[arg-type]


@pytest.mark.parametrize("key", [memoryview(b"k" * 32), {"k": "v"}, 5, [b"k" * 32, None]])
def test_a_key_of_the_wrong_type_is_named(key: object) -> None:
    for call in (
        lambda: callback_token("r", key),  # type: ignore[arg-type]
        lambda: verify_callback_token("r", "t" * 43, key),  # type: ignore[arg-type]
    ):
        with pytest.raises(ConfigurationError, match=f"not {type(key).__name__}|not NoneType"):
            call()
