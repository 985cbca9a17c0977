import base64
import contextlib
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webhook_payloads import (
    ConfigurationError,
    SignatureError,
    Webhook,
    WebhookError,
    parse,
)
from webhook_payloads.anddone import (
    ALL_SCHEMES,
    KeyEncoding,
    SignatureScheme,
    SignedContent,
    matching_schemes,
    sign,
    signed_bytes,
    verify_signature,
)
from webhook_payloads.anddone._signature import Verifier, _key_bytes, _scan

SEED = (
    Path(__file__).parent / "payloads" / "anddone" / "seed002_ReportGenerated.json"
).read_bytes()
KEY = bytes(range(32)).hex()  # "000102...1f", hex as AndDone's portal asks
BODY = (
    b'{"EventCode":"ReportGenerated","EventDateTime":"12-15-2023 00:02:51",'
    b'"EventBody":{"MerchantId":"4bvl9KxM","ReportId":"KGx1n813"},'
    b'"AdditionalFields":"[{\\"ReportGenerationLogId\\":\\"evGYDYL8\\"}]"}'
)

# Known-answer vectors, one per named choice: what each choice signs, written out by hand,
# and the base64 HMAC-SHA256 computed once with Python's hmac module.
SIGNED = {
    SignedContent.BODY_WITHOUT_SIGNATURE: BODY,
    SignedContent.BODY_WITH_EMPTY_SIGNATURE: BODY[:-1] + b',"Signature":""}',
    SignedContent.EVENT_BODY: b'{"MerchantId":"4bvl9KxM","ReportId":"KGx1n813"}',
}
KEYS = {KeyEncoding.HEX_DECODED: bytes.fromhex(KEY), KeyEncoding.TEXT: KEY.encode()}
VECTORS = {
    (
        SignedContent.BODY_WITHOUT_SIGNATURE,
        KeyEncoding.HEX_DECODED,
    ): "SKDniwNq7+aZdq5QsBj3b9mKvsB6fisii67SBn6b63c=",
    (
        SignedContent.BODY_WITHOUT_SIGNATURE,
        KeyEncoding.TEXT,
    ): "PTXK16xn2v1g89lCA7TPYLVRuxKZecxp6yMNcRuvKck=",
    (
        SignedContent.BODY_WITH_EMPTY_SIGNATURE,
        KeyEncoding.HEX_DECODED,
    ): "YZX7tp1Wfk7AoI9CuyuFVN8Y+z0+BA1zRke9DufYxFM=",
    (
        SignedContent.BODY_WITH_EMPTY_SIGNATURE,
        KeyEncoding.TEXT,
    ): "I9aE7O8RLVhjLvynOBa4ciY3YoXiSeYFgTQujGsNICs=",
    (
        SignedContent.EVENT_BODY,
        KeyEncoding.HEX_DECODED,
    ): "EkvsjxCgEqP0cgPT6m93GvLrDOkNi+jcBsrT4h7Oic0=",
    (SignedContent.EVENT_BODY, KeyEncoding.TEXT): "B+WFekz2W5U0aGSzjKZsoawxwxFeKB5fWQ4Th38uc5s=",
}
SCHEME_IDS = [str(scheme) for scheme in ALL_SCHEMES]


def test_all_schemes_are_every_combination() -> None:
    assert {(s.signed, s.key) for s in ALL_SCHEMES} == set(VECTORS)


@pytest.mark.parametrize("scheme", ALL_SCHEMES, ids=SCHEME_IDS)
def test_known_answer_vectors(scheme: SignatureScheme) -> None:
    assert isinstance(scheme.signed, SignedContent)
    expected = VECTORS[scheme.signed, scheme.key]
    digest = hmac.new(KEYS[scheme.key], SIGNED[scheme.signed], hashlib.sha256).digest()
    assert base64.b64encode(digest).decode() == expected
    signed = sign(BODY, KEY, scheme)
    assert signed == BODY[:-1] + b',"Signature":"' + expected.encode() + b'"}'
    assert signed_bytes(signed, scheme.signed) == SIGNED[scheme.signed]
    verify_signature(signed, KEY, scheme)
    event = parse("anddone", signed, secret=KEY, signature_scheme=scheme)
    assert event.signature == expected
    assert matching_schemes(signed, KEY) == [scheme]


@pytest.mark.parametrize("scheme", ALL_SCHEMES, ids=SCHEME_IDS)
def test_unsigned_request_is_refused(scheme: SignatureScheme) -> None:
    with pytest.raises(SignatureError) as info:
        parse("anddone", BODY, secret=KEY, signature_scheme=scheme)
    assert info.value.reason == "missing"
    assert info.value.http_status == 401


TAMPERINGS = {
    "event-code": (b'"EventCode":"ReportGenerated"', b'"EventCode":"ReportGenerationFailed"'),
    "report-id": (b'"ReportId":"KGx1n813"', b'"ReportId":"KGx1n814"'),
    "whitespace": (b'{"MerchantId"', b'{ "MerchantId"'),
    "log-id": (b"evGYDYL8", b"evGYDYL9"),
}


@pytest.mark.parametrize("scheme", ALL_SCHEMES, ids=SCHEME_IDS)
@pytest.mark.parametrize("change", TAMPERINGS, ids=list(TAMPERINGS))
def test_tampered_request_is_refused_where_the_choice_covers_it(
    scheme: SignatureScheme, change: str
) -> None:
    old, new = TAMPERINGS[change]
    signed = sign(BODY, KEY, scheme)
    tampered = signed.replace(old, new)
    assert tampered != signed
    covered = scheme.signed is not SignedContent.EVENT_BODY or change in ("report-id", "whitespace")
    if covered:
        with pytest.raises(SignatureError) as info:
            parse("anddone", tampered, secret=KEY, signature_scheme=scheme)
        assert info.value.reason == "mismatch"
    else:
        # EVENT_BODY leaves the envelope unprotected, as its documentation says.
        parse("anddone", tampered, secret=KEY, signature_scheme=scheme)


@pytest.mark.parametrize("scheme", ALL_SCHEMES, ids=SCHEME_IDS)
def test_signature_changed_or_wrong_key_is_refused(scheme: SignatureScheme) -> None:
    signed = sign(BODY, KEY, scheme)
    value = json.loads(signed)["Signature"]
    flipped = ("B" if value[0] != "B" else "C") + value[1:]
    with pytest.raises(SignatureError) as info:
        verify_signature(signed.replace(value.encode(), flipped.encode()), KEY, scheme)
    assert info.value.reason == "mismatch"
    with pytest.raises(SignatureError):
        verify_signature(signed, "ff" * 32, scheme)
    assert KEY not in str(info.value)
    assert value not in str(info.value)


def test_key_rotation_accepts_any_listed_key() -> None:
    scheme = ALL_SCHEMES[0]
    signed = sign(BODY, KEY, scheme)
    parse("anddone", signed, secret=["ff" * 32, KEY], signature_scheme=scheme)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (BODY[:-1] + b',"Signature":5}', "malformed"),
        (BODY[:-1] + b',"Signature":"abc"}', "malformed"),
        (BODY[:-1] + b',"Signature":"' + b"!" * 44 + b'"}', "malformed"),
        (BODY[:-1] + b',"Signature":"' + base64.b64encode(b"x" * 31) + b'AAAA"}', "malformed"),
        (b"[1, 2]", "malformed"),
        (b"not json", "malformed"),
        (b'{"Signature":"a","Signature":"b"}', "malformed"),
        (b'{"EventBody":{},"EventBody":{},"Signature":"x"}', "malformed"),
        (b'{"a" 1}', "malformed"),
        (b'{"a":1 "b":2}', "malformed"),
        (b'{"a":1} trailing', "malformed"),
        (b'{"a":[1,2}', "malformed"),
        (b'{"a":[1,2', "malformed"),
        (b'{"a":}', "malformed"),
        (b'{"a":"unterminated}', "malformed"),
        (b'{"a":', "malformed"),
        (b'{"\\ud800\\x":1}', "malformed"),
        (b"{}", "missing"),
        (b"  { }  ", "missing"),
    ],
)
def test_bodies_without_a_readable_signature(body: bytes, reason: str) -> None:
    scheme = SignatureScheme(signed=SignedContent.BODY_WITHOUT_SIGNATURE, key=KeyEncoding.TEXT)
    with pytest.raises(SignatureError) as info:
        parse("anddone", body, secret=KEY, signature_scheme=scheme)
    assert info.value.reason == reason


def test_event_body_choice_needs_an_event_body() -> None:
    scheme = SignatureScheme(signed=SignedContent.EVENT_BODY, key=KeyEncoding.TEXT)
    body = b'{"EventCode":"x","Signature":"' + b"A" * 43 + b'="}'
    with pytest.raises(SignatureError) as info:
        verify_signature(body, KEY, scheme)
    assert info.value.reason == "malformed"
    with pytest.raises(ConfigurationError, match="lacks"):
        sign(b'{"EventCode":"x"}', KEY, scheme)


def test_signature_in_any_position_and_spacing_is_found_and_replaced() -> None:
    scheme = SignatureScheme(
        signed=SignedContent.BODY_WITHOUT_SIGNATURE, key=KeyEncoding.HEX_DECODED
    )
    pretty = json.dumps(json.loads(BODY), indent=2).encode()
    signed = sign(pretty, KEY, scheme)
    value = json.loads(signed)["Signature"]
    # The signature as the first member of a pretty-printed body: the member, its comma
    # and the indentation before the next key go, which gives the same bytes.
    first = b'{\n  "Signature": "' + value.encode() + b'",' + pretty[1:]
    assert signed_bytes(first, SignedContent.BODY_WITHOUT_SIGNATURE) == pretty
    verify_signature(first, KEY, scheme)
    spaced = b'{ "Signature" : "' + value.encode() + b'" }'
    assert signed_bytes(spaced, SignedContent.BODY_WITHOUT_SIGNATURE) == b"{  }"
    # Signing a body that already has a signature replaces it.
    assert sign(first, KEY, scheme) == signed
    assert sign(signed, KEY, scheme) == signed


def test_an_empty_object_can_be_signed() -> None:
    scheme = SignatureScheme(signed=SignedContent.BODY_WITHOUT_SIGNATURE, key=KeyEncoding.TEXT)
    signed = sign(b"{}", KEY, scheme)
    expected = hmac.new(KEY.encode(), b"{}", hashlib.sha256).digest()
    assert signed == b'{"Signature":"' + base64.b64encode(expected) + b'"}'
    verify_signature(signed, KEY, scheme)


def test_signed_bytes_by_hand() -> None:
    with pytest.raises(SignatureError):
        signed_bytes(BODY, SignedContent.BODY_WITH_EMPTY_SIGNATURE)
    assert signed_bytes(BODY, lambda body: body[:5]) == BODY[:5]


def test_seed_example_fits_no_named_choice_under_a_made_up_key() -> None:
    # The seed's Signature was made with a key that is not public: nothing can match it.
    assert matching_schemes(SEED, KEY) == []
    assert matching_schemes(SEED, "not hex") == []


def test_matching_schemes_needs_a_signature() -> None:
    with pytest.raises(SignatureError):
        matching_schemes(BODY, KEY)


def test_a_custom_function_is_a_choice_too() -> None:
    def envelope_fields(body: bytes) -> bytes:
        # For example: EventCode and EventDateTime joined by "|".
        data = json.loads(body)
        return f"{data['EventCode']}|{data['EventDateTime']}".encode()

    scheme = SignatureScheme(signed=envelope_fields, key=KeyEncoding.TEXT)
    signed = sign(BODY, KEY, scheme)
    expected = hmac.new(KEY.encode(), b"ReportGenerated|12-15-2023 00:02:51", hashlib.sha256)
    assert json.loads(signed)["Signature"] == base64.b64encode(expected.digest()).decode()
    parse("anddone", signed, secret=KEY, signature_scheme=scheme)
    with pytest.raises(SignatureError):
        parse(
            "anddone",
            signed.replace(b"00:02:51", b"00:02:52"),
            secret=KEY,
            signature_scheme=scheme,
        )
    assert str(scheme) == "custom function, key text"


def test_a_custom_function_that_covers_the_signature_cannot_sign() -> None:
    scheme = SignatureScheme(signed=lambda body: body, key=KeyEncoding.TEXT)
    with pytest.raises(ConfigurationError, match="depends on the Signature"):
        sign(BODY, KEY, scheme)


def test_a_custom_function_that_raises_refuses_the_request() -> None:
    def broken(body: bytes) -> bytes:
        raise KeyError("EventCode")

    scheme = SignatureScheme(signed=broken, key=KeyEncoding.TEXT)
    body = BODY[:-1] + b',"Signature":"' + b"A" * 43 + b'="}'
    with pytest.raises(SignatureError) as info:
        parse("anddone", body, secret=KEY, signature_scheme=scheme)
    assert info.value.reason == "malformed"


def test_a_custom_function_must_return_bytes() -> None:
    scheme = SignatureScheme(signed=lambda body: "text", key=KeyEncoding.TEXT)  # type: ignore[arg-type,return-value]
    with pytest.raises(ConfigurationError, match="must return bytes"):
        sign(BODY, KEY, scheme)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"signed": "event_body", "key": KeyEncoding.TEXT},
        {"signed": SignedContent.EVENT_BODY, "key": "text"},
    ],
)
def test_scheme_fields_are_checked(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        SignatureScheme(**kwargs)


@pytest.mark.parametrize("secret", ["not hex!", "abc", "é" * 4])
def test_hex_decoded_needs_a_hex_key(secret: str) -> None:
    scheme = SignatureScheme(signed=SignedContent.EVENT_BODY, key=KeyEncoding.HEX_DECODED)
    with pytest.raises(ConfigurationError, match="not hex") as info:
        sign(BODY, secret, scheme)
    assert secret not in str(info.value)


def test_sign_needs_a_scheme_and_a_json_object() -> None:
    verifier = Verifier()
    with pytest.raises(ConfigurationError, match="does not publish"):
        verifier.sign_request(BODY, b"k", None)
    with pytest.raises(ConfigurationError, match="JSON object"):
        sign(b"[]", KEY, ALL_SCHEMES[0])


def test_enums_print_as_their_values() -> None:
    assert str(SignedContent.EVENT_BODY) == "event_body"
    assert str(KeyEncoding.HEX_DECODED) == "hex_decoded"
    assert str(ALL_SCHEMES[0]) == "body_without_signature, key hex_decoded"


json_leaves = st.none() | st.booleans() | st.integers() | st.text(max_size=10)
json_values = st.recursive(
    json_leaves,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)
bodies = st.builds(
    lambda members, event_body, indent, separators: json.dumps(
        {**members, "EventBody": event_body}, indent=indent, separators=separators
    ).encode(),
    st.dictionaries(
        st.text(max_size=6).filter(lambda k: k not in ("Signature", "EventBody")),
        json_values,
        max_size=4,
    ),
    json_values,
    st.sampled_from([None, 0, 2]),
    st.sampled_from([(",", ":"), (", ", ": "), (" , ", " : ")]),
)
# Keys of zero bytes only are refused, as the empty key HMAC makes of them (tested below).
hex_keys = st.binary(min_size=1, max_size=40).filter(lambda key: key.strip(b"\0")).map(bytes.hex)


@given(bodies, hex_keys, st.sampled_from(ALL_SCHEMES))
def test_signing_then_verifying_holds_for_any_object(
    body: bytes, key: str, scheme: SignatureScheme
) -> None:
    signed = sign(body, key, scheme)
    verify_signature(signed, key, scheme)
    assert scheme in matching_schemes(signed, key)
    # The signature is the last member, and cutting it out gives the body back exactly.
    assert signed_bytes(signed, SignedContent.BODY_WITHOUT_SIGNATURE) == body
    assert json.loads(signed) == {**json.loads(body), "Signature": json.loads(signed)["Signature"]}


@given(bodies, hex_keys, st.sampled_from(ALL_SCHEMES), st.data())
def test_changing_any_signed_byte_is_detected(
    body: bytes, key: str, scheme: SignatureScheme, data: st.DataObject
) -> None:
    signed = sign(body, key, scheme)
    assert isinstance(scheme.signed, SignedContent)
    if scheme.signed is SignedContent.EVENT_BODY:
        members, _ = _scan(signed)
        (span,) = [m for m in members if m.key == "EventBody"]
        start, end = span.value_start, span.value_end
    else:
        start, end = 0, len(body)
    position = data.draw(st.integers(min_value=start, max_value=end - 1))
    tampered = signed[:position] + bytes([signed[position] ^ 0x01]) + signed[position + 1 :]
    try:
        verify_signature(tampered, key, scheme)
    except WebhookError:
        pass
    else:
        pytest.fail("a tampered body verified")


@given(st.binary(max_size=300), st.sampled_from(ALL_SCHEMES))
def test_any_bytes_verify_or_raise_a_webhook_error(body: bytes, scheme: SignatureScheme) -> None:
    with contextlib.suppress(WebhookError):
        parse("anddone", body, secret=KEY, signature_scheme=scheme)


def test_a_webhook_passes_the_scheme_through() -> None:
    scheme = ALL_SCHEMES[1]
    signed = sign(BODY, KEY, scheme)
    webhook = Webhook("anddone", secret=KEY, signature_scheme=scheme)
    assert webhook.parse(signed) == parse("anddone", signed, secret=KEY, signature_scheme=scheme)
    # The key is checked against the scheme when the Webhook is built, not per request.
    with pytest.raises(ConfigurationError, match="not hex text"):
        Webhook("anddone", secret="not hex", signature_scheme=ALL_SCHEMES[0])


@pytest.mark.parametrize("secret", ["\n", " ", "\t\r\n", b"  "])
def test_a_whitespace_secret_is_refused_not_used_as_an_empty_key(secret: str | bytes) -> None:
    # bytes.fromhex() skips whitespace: such a secret would have been an empty HMAC key,
    # one anybody can sign with. The forged request must be refused as misconfigured.
    scheme = SignatureScheme(
        signed=SignedContent.BODY_WITHOUT_SIGNATURE, key=KeyEncoding.HEX_DECODED
    )
    as_text = SignatureScheme(signed=SignedContent.BODY_WITHOUT_SIGNATURE, key=KeyEncoding.TEXT)
    forged, _ = Verifier().sign_request(BODY, b"", as_text)  # HMAC under the empty key
    with pytest.raises(ConfigurationError):
        parse("anddone", forged, secret=secret, signature_scheme=scheme)
    with pytest.raises(ConfigurationError):
        matching_schemes(forged, secret)


def test_a_hex_key_that_decodes_to_nothing_is_refused() -> None:
    # The backstop behind normalize_secrets(): never an empty key, whatever reaches it.
    with pytest.raises(ConfigurationError, match="decodes to no bytes"):
        _key_bytes(b" \n", KeyEncoding.HEX_DECODED)


def test_an_unsigned_body_of_another_module_is_refused_before_its_event_type_is_read() -> None:
    # docs/providers/anddone.md: with verification on, the signature comes first, whatever
    # allow_unknown says, so a module the library does not model (Void) needs its Signature.
    body = (
        b'{"EventCode": "TransactionVoided", "EventDateTime": "12-15-2023 00:02:51",'
        b' "EventBody": {}}'
    )
    scheme = SignatureScheme(
        signed=SignedContent.BODY_WITHOUT_SIGNATURE, key=KeyEncoding.HEX_DECODED
    )
    with pytest.raises(SignatureError) as caught:
        parse("anddone", body, secret=KEY, signature_scheme=scheme, allow_unknown=True)
    assert (caught.value.reason, caught.value.http_status) == ("missing", 401)
    unknown = parse("anddone", body, verify=False, allow_unknown=True)
    assert unknown.event_type == "TransactionVoided"


def test_only_the_canonical_signature_text_verifies() -> None:
    # base64 leaves the last character's spare bits free: three other texts decode to the
    # signed digest, and are refused so that a signature's text names one delivery.
    scheme = SignatureScheme(signed=SignedContent.BODY_WITHOUT_SIGNATURE, key=KeyEncoding.TEXT)
    signed = sign(BODY, KEY, scheme)
    parse("anddone", signed, secret=KEY, signature_scheme=scheme)
    text = json.loads(signed)["Signature"]
    digest = base64.b64decode(text)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    variants = [
        variant
        for variant in (text[:-2] + c + "=" for c in alphabet if c != text[-2])
        if base64.b64decode(variant) == digest
    ]
    assert len(variants) == 3
    for variant in variants:
        forged = signed.replace(text.encode(), variant.encode())
        with pytest.raises(SignatureError) as caught:
            parse("anddone", forged, secret=KEY, signature_scheme=scheme)
        assert caught.value.reason == "malformed"


@pytest.mark.parametrize("secret", ["00", "00" * 32, "0000 0000"])
def test_a_hex_key_of_zero_bytes_is_refused_as_the_empty_key_it_is(secret: str) -> None:
    # HMAC pads a short key with zero bytes: a key of zeros signs as the empty key does.
    scheme = SignatureScheme(
        signed=SignedContent.BODY_WITHOUT_SIGNATURE, key=KeyEncoding.HEX_DECODED
    )
    as_text = SignatureScheme(signed=SignedContent.BODY_WITHOUT_SIGNATURE, key=KeyEncoding.TEXT)
    forged, _ = Verifier().sign_request(BODY, b"", as_text)
    with pytest.raises(ConfigurationError, match="only zero bytes"):
        parse("anddone", forged, secret=secret, signature_scheme=scheme)


@pytest.mark.parametrize("scheme", ALL_SCHEMES, ids=lambda s: str(s.name))
def test_every_named_scheme_round_trips_through_its_name(scheme: SignatureScheme) -> None:
    assert scheme.name == f"{scheme.signed.value}:{scheme.key.value}"  # type: ignore[union-attr]
    assert SignatureScheme.from_name(str(scheme.name)) == scheme


def test_scheme_from_a_documented_name() -> None:
    scheme = SignatureScheme.from_name("body_without_signature:hex_decoded")
    assert scheme == SignatureScheme(
        signed=SignedContent.BODY_WITHOUT_SIGNATURE, key=KeyEncoding.HEX_DECODED
    )


def test_a_scheme_with_a_function_has_no_name() -> None:
    assert SignatureScheme(signed=lambda body: body, key=KeyEncoding.TEXT).name is None


@pytest.mark.parametrize(
    "name",
    [
        "nonsense",
        "",
        ":",
        "event_body",
        "event_body:",
        "event_body:text:text",
        "EVENT_BODY:TEXT",
        " event_body:text",
        "text:event_body",
        KEY,
    ],
)
def test_an_unknown_scheme_name_lists_the_valid_ones(name: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        SignatureScheme.from_name(name)
    message = str(info.value)
    for scheme in ALL_SCHEMES:
        assert str(scheme.name) in message
    assert info.value.provider == "anddone"
    assert message.endswith("; got an unknown name.")  # not the name: it may be a key
    assert KEY not in message


@pytest.mark.parametrize("value", [None, 5, b"event_body:text", ["event_body:text"]])
def test_a_scheme_name_of_the_wrong_type_is_named(value: object) -> None:
    with pytest.raises(ConfigurationError, match=f"type {type(value).__name__}"):
        SignatureScheme.from_name(value)  # type: ignore[arg-type]


def test_signing_helpers_take_a_rotation_list_and_sign_with_its_first_key() -> None:
    scheme = ALL_SCHEMES[0]
    other = "6c" * 32
    assert sign(BODY, [KEY, other], scheme) == sign(BODY, KEY, scheme)
    verify_signature(sign(BODY, [KEY, other], scheme), [other, KEY], scheme)
    with pytest.raises(ConfigurationError, match="not memoryview"):
        sign(BODY, memoryview(KEY.encode()), scheme)  # type: ignore[arg-type]


def test_a_body_of_hundreds_of_top_level_keys_is_refused_without_reading_them_all() -> None:
    # Each top-level member is located in Python before anything is verified: an unsigned
    # megabyte of tiny keys cost most of a second. AndDone's envelope has a handful.
    scheme = SignatureScheme(signed=SignedContent.BODY_WITHOUT_SIGNATURE, key=KeyEncoding.TEXT)
    envelope = json.loads(BODY)
    many = {**envelope, **{f"k{number}": number for number in range(256 - len(envelope) - 1)}}
    signed_body = sign(json.dumps(many).encode(), KEY, scheme)
    verify_signature(signed_body, KEY, scheme)  # 256 members, the Signature included
    # Signed by hand, as AndDone would sign it (sign() refuses to make such a body).
    unsigned = json.dumps({**many, "one_more": 0}).encode()
    digest = base64.b64encode(hmac.new(KEY.encode(), unsigned, hashlib.sha256).digest())
    too_many = unsigned[:-1] + b', "Signature": "' + digest + b'"}'
    with pytest.raises(SignatureError) as info:
        verify_signature(too_many, KEY, scheme)
    assert info.value.reason == "malformed"
