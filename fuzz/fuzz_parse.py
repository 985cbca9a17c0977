"""Coverage-guided fuzzing of ``webhook_payloads.parse()`` for every registered provider.

Each input is ``[provider selector][mode][rest]``. The mode picks how ``rest`` reaches
``parse()``:

* ``0`` unverified: ``rest`` is the body, parsed with ``verify=False`` (unsigned providers
  are parsed as they always are);
* ``1`` signed: ``rest`` is signed with the provider's own signer (``sign_request``) and
  parsed with the secret, so the fuzzer explores validation behind a valid signature;
* ``2`` forged: ``rest`` is ``header lines``, a blank line, then the body; parsed with a secret,
  so the fuzzer explores header handling and signature checking;
* ``3`` odd types: the first bytes of ``rest`` pick what untyped calling code might pass as
  headers, header names and values, and secrets (``None``, numbers, lists, ...).

Bit 4 of the mode turns ``allow_unknown`` on; bits 5-7 pick one of the provider's signature
schemes (the registry's ``named_schemes`` of the provider, if it has any).

Anything other than a ``WebhookError`` escaping ``parse()`` is a bug, and so is an event that
does not survive the checks in :func:`check_event`. The seed corpus is written from the
packaged samples (each provider's documented examples) every time, so new providers and
events are fuzzed as soon as they are registered.

Run it (Linux, CPython with an atheris wheel)::

    python fuzz/fuzz_parse.py --time 60          # one minute
    python fuzz/fuzz_parse.py --runs 200000      # a fixed number of inputs
    python fuzz/fuzz_parse.py --time 14400 --corpus ../fuzz-corpus     # hours, corpus kept
    python fuzz/fuzz_parse.py --replay DIR_OR_FILE ...                   # re-run inputs

Crashing inputs are written to ``fuzz/crashes/``. A fixed one goes to ``fuzz/regressions/``,
where the test suite replays it.
"""

from __future__ import annotations

import argparse
import json
import pickle
import random
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

if __name__ == "__main__" and "--replay" not in sys.argv:
    # Fuzzing: instrument the library's own code (all of it, every provider) for coverage.
    try:
        import atheris
    except ImportError:
        sys.exit('Fuzzing needs atheris: pip install -e ".[fuzz]" (Linux or macOS).')

    with atheris.instrument_imports(include=["webhook_payloads"]):
        import webhook_payloads._registry

        for _provider in webhook_payloads._registry.registered_providers():
            webhook_payloads._registry.get_spec(_provider)

from webhook_payloads import UnknownEvent, WebhookError, from_json, parse, to_json
from webhook_payloads._keys import MAX_KEY_LENGTH
from webhook_payloads._registry import Provider, Verifier, get_spec, registered_providers
from webhook_payloads._samples import (
    _required,
    example_body,
    is_documented,
    sample_body,
    sample_names,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bounds import _typed_lists  # the bounds script beside this one

HERE = Path(__file__).resolve().parent
REGRESSIONS = HERE / "regressions"
CRASHES = HERE / "crashes"

# Hex text: a provider may decode its key from hex (AndDone asks for hex keys).
KEY = b"0123456789abcdef0123456789abcdef"
MODE_UNVERIFIED, MODE_SIGNED, MODE_FORGED, MODE_ODD_TYPES = 0, 1, 2, 3
ALLOW_UNKNOWN = 0x10
# Bodies above this are cut short: the 1 MiB limit is exercised by the resource tests.
MAX_LEN = 64 * 1024

PROVIDERS: list[Provider] = registered_providers()


def signature_schemes(provider: Provider) -> tuple[object, ...]:
    """Every ``signature_scheme`` a provider accepts: its registry ``named_schemes``, or None."""
    return tuple(get_spec(provider).named_schemes.values()) or (None,)


def _headers(block: bytes) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for line in block.split(b"\n"):
        name, _, value = line.partition(b":")
        pairs.append((name.decode("latin-1"), value.decode("latin-1").strip()))
    return pairs


class _Pairs:
    """Headers with repeats, as Werkzeug and Starlette keep them."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = pairs

    def items(self) -> list[tuple[str, str]]:
        return list(self._pairs)


_ODD = (
    None,
    0,
    1.5,
    b"",
    "",
    [],
    ("a", "b"),
    {},
    memoryview(b"00"),
    bytearray(b"00"),
    object(),
    # Secret shapes a configuration can produce, each a ConfigurationError: a settings dict
    # passed whole, a set, an iterator, NUL-only keys (they sign like the empty key), and
    # keys with a newline or space around them (read from a file).
    {"payscore": KEY},
    {KEY},
    frozenset({KEY}),
    iter((KEY,)),
    b"\x00",
    "\x00\x00",
    [KEY, b"\x00"],
    KEY + b"\n",
    " " + KEY.decode(),
)


_ODD_NAMES = (None, 0, 1.5, b"", "", ("a", "b"), object())


def _odd(selector: int, genuine: object, choices: tuple[object, ...] = _ODD) -> object:
    index = selector % (len(choices) + 1)
    return genuine if index == len(choices) else choices[index]


def _signed(verifier: Verifier, body: bytes, scheme: object) -> tuple[bytes, dict[str, str]]:
    """``body`` signed with ``KEY``, or unsigned when the signer refuses it.

    In-body signers cannot sign a body that is not a JSON object; parse() must refuse it.
    """
    try:
        return verifier.sign_request(body, KEY, scheme)
    except WebhookError:
        return body, {}


def _odd_request(provider: Provider, rest: bytes, scheme: object) -> tuple[bytes, object, object]:
    """Body, headers and secret where the first three bytes of ``rest`` swap in odd types."""
    picks, body = (rest[:3] + b"\0\0\0")[:3], rest[3:]
    verifier = get_spec(provider).verifier
    signed: dict[object, object] = {}
    if verifier is not None:
        body, headers = _signed(verifier, body, scheme)
        signed = dict(headers)
    name = next(iter(signed), "Name")
    odd_name = _odd(picks[0], name, _ODD_NAMES)
    headers: object = {odd_name: _odd(picks[1], signed.get(name, "value"))}
    if picks[0] % 16 == 15:
        headers = _odd(picks[1], _Pairs([(name, signed.get(name, ""))]))
    return body, headers, _odd(picks[2], KEY)


def check_event(provider: Provider, event: object) -> None:
    """What must hold for every event ``parse()`` returns."""
    spec = get_spec(provider)
    if isinstance(event, UnknownEvent):
        assert event.provider == provider.value
        assert event.event_type not in spec.event_classes
    else:
        assert type(event) in spec.event_classes.values(), type(event)
    repr(event)
    str(event)
    key: str = event.idempotency_key  # type: ignore[attr-defined]
    assert key.startswith(provider.value + ":"), key
    assert len(key) <= MAX_KEY_LENGTH, len(key)
    assert pickle.loads(pickle.dumps(event)) == event  # noqa: S301 - our own bytes
    assert from_json(to_json(event)) == event  # type: ignore[arg-type]
    # The round trip: the event's own JSON parses back to an equal event.
    if isinstance(event, UnknownEvent):
        return
    wire = event.model_dump_json(by_alias=True)  # type: ignore[attr-defined]
    again = parse(provider, wire, verify=False)
    assert again == event
    assert again.model_dump_json(by_alias=True) == wire  # type: ignore[union-attr]


def test_one_input(data: bytes) -> None:
    """Run one fuzz input; raise on anything that is not a clean outcome."""
    if len(data) < 2:
        return
    provider = PROVIDERS[data[0] % len(PROVIDERS)]
    mode, rest = data[1], data[2:MAX_LEN]
    allow_unknown = bool(mode & ALLOW_UNKNOWN)
    spec = get_spec(provider)
    verifier = spec.verifier
    schemes = signature_schemes(provider)
    scheme = schemes[(mode >> 5) % len(schemes)]
    headers: object = None
    kwargs: dict[str, object] = {"allow_unknown": allow_unknown}
    if verifier is None:
        body = rest
    elif mode & 0x0F == MODE_SIGNED:
        body, signed = _signed(verifier, rest, scheme)
        headers = signed
        kwargs.update(secret=KEY, signature_scheme=scheme)
    elif mode & 0x0F == MODE_ODD_TYPES:
        body, headers, secret = _odd_request(provider, rest, scheme)
        kwargs.update(secret=secret, signature_scheme=scheme)
    elif mode & 0x0F == MODE_FORGED:
        block, _, body = rest.partition(b"\n\n")
        headers = _Pairs(_headers(block))
        kwargs.update(secret=[KEY, b"other"], signature_scheme=scheme)
    else:
        body = rest
        kwargs.update(verify=False)
    try:
        event = parse(provider, body, headers, **kwargs)  # type: ignore[arg-type]
    except WebhookError as error:
        repr(error)
        str(error)
        assert error.__cause__ is None
        assert isinstance(pickle.loads(pickle.dumps(error)), type(error))  # noqa: S301
        return
    check_event(provider, event)


def _vocabulary() -> tuple[list[str], list[str]]:
    tags: list[str] = []
    names: list[str] = []
    for provider in PROVIDERS:
        spec = get_spec(provider)
        tags += list(spec.event_classes)
        names.append(spec.discriminator)
        for cls in spec.event_classes.values():
            names += [info.alias or name for name, info in cls.model_fields.items()]
    return tags, names


TAGS, NAMES = _vocabulary()


def _random_value(rng: random.Random, depth: int = 0) -> object:
    choice = rng.randrange(12)
    if choice == 0:
        return None
    if choice == 1:
        return rng.choice([True, False])
    if choice == 2:
        return rng.choice([0, -1, 2**63, -(2**64), 10**4000, 1.5, -0.0, 1e308])
    if choice == 3:
        return rng.choice(TAGS)
    if choice == 4:
        return (
            "".join(chr(rng.randrange(0x110000)) for _ in range(rng.randrange(8)))
            .encode("utf-8", "replace")
            .decode("utf-8", "replace")
        )
    if choice == 5:
        return rng.choice(["", "x" * rng.randrange(1000), "\x00", "12-15-2023 00:02:51", "[]"])
    if choice == 6 and depth < 4:
        return [_random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    if choice == 7 and depth < 4:
        return {rng.choice(NAMES): _random_value(rng, depth + 1) for _ in range(rng.randrange(4))}
    return rng.choice(NAMES)


def _mutate_json(value: object, rng: random.Random) -> object:
    """Change one place in a decoded JSON document: the fuzzer's structure-aware step."""
    if isinstance(value, dict) and value and rng.random() < 0.7:
        members: dict[str, object] = value  # type: ignore[assignment]
        key = rng.choice(list(members))
        action = rng.randrange(5)
        if action == 0:
            del members[key]
        elif action == 1:
            members[key] = _random_value(rng)
        elif action == 2:
            members[rng.choice(NAMES)] = _random_value(rng)
        else:
            members[key] = _mutate_json(members[key], rng)
        return members
    if isinstance(value, list) and value and rng.random() < 0.7:
        items: list[object] = value  # type: ignore[assignment]
        index = rng.randrange(len(items))
        items[index] = _mutate_json(items[index], rng)
        return items
    return _random_value(rng)


def custom_mutator(data: bytes, max_size: int, seed: int) -> bytes:
    """Half the time mutate the body as JSON (kept valid), else as bytes (libFuzzer's own)."""
    import atheris  # noqa: PLC0415

    rng = random.Random(seed)
    if len(data) > 2 and rng.random() < 0.5:
        try:
            document = json.loads(data[2:])
        except ValueError:
            document = None
        if isinstance(document, dict):
            body = json.dumps(
                _mutate_json(document, rng), separators=rng.choice([None, (",", ":")])
            )
            return (data[:2] + body.encode())[:max_size]
    return bytes(atheris.Mutate(data, max_size))


def seeds() -> Iterator[tuple[str, bytes]]:
    """Seed inputs: every packaged sample of every provider, in every mode."""
    for index, provider in enumerate(PROVIDERS):
        for name in sample_names(provider):
            body = sample_body(provider, name)
            for mode in (MODE_UNVERIFIED, MODE_SIGNED, MODE_SIGNED | ALLOW_UNKNOWN):
                yield f"{provider.value}-{name}-{mode}", bytes([index, mode]) + body
            odd = bytes([index, MODE_ODD_TYPES, len(_ODD_NAMES), len(_ODD), len(_ODD)]) + body
            yield f"{provider.value}-{name}-odd", odd
            header = b"Verification-Signature: " + b"0" * 64 + b"\n\n"
            yield f"{provider.value}-{name}-forged", bytes([index, MODE_FORGED]) + header + body
        # XML, which Mastercard sends when asked to: refused with advice, never parsed.
        for label, xml in XML_SHAPES:
            yield f"{provider.value}-xml-{label}", bytes([index, MODE_UNVERIFIED]) + xml
            yield f"{provider.value}-xml-{label}-signed", bytes([index, MODE_SIGNED]) + xml
        # Numbers that cannot make the JSON round trip, anywhere in a body, and repeated keys.
        first = sample_body(provider, sample_names(provider)[0]).rstrip()
        for label, member in NUMBER_SHAPES:
            shaped = first[:-1].rstrip() + b', "n": ' + member + b"}"
            yield f"{provider.value}-number-{label}", bytes([index, MODE_UNVERIFIED]) + shaped
            yield f"{provider.value}-number-{label}-signed", bytes([index, MODE_SIGNED]) + shaped
    yield from shape_seeds()


def shape_seeds() -> Iterator[tuple[str, bytes]]:
    """Input shapes that once got further than they should, and the kit's minimal bodies.

    Ids of thousands of characters (keys must stay short), typed lists of nested models,
    AndDone amounts as text that is not a plain decimal or as numbers beyond a double, and
    the bodies built for event types no provider published an example of.
    """
    for index, provider in enumerate(PROVIDERS):
        spec = get_spec(provider)
        for event_type, cls in spec.event_classes.items():
            body = example_body(provider.value, event_type)
            if not is_documented(provider.value, event_type):
                for mode in (MODE_UNVERIFIED, MODE_SIGNED):
                    label = f"{provider.value}-{event_type}-minimal-{mode}"
                    yield label, bytes([index, mode]) + body
            long = json.dumps(_long_ids(json.loads(body))).encode()
            if long != body:
                yield f"{provider.value}-{event_type}-long-ids", bytes([index, 0]) + long
            for path, item_model in _typed_lists(cls, ()):
                item = item_model.model_validate(_required(item_model))
                data = json.loads(body)
                target = data
                for key in path[:-1]:
                    value = target.get(key)
                    value = value[0] if isinstance(value, list) and value else value
                    target = target.setdefault(key, {}) if not isinstance(value, dict) else value
                target[path[-1]] = [item.model_dump(mode="json", by_alias=True)] * 200
                listed = json.dumps(data).encode()
                label = f"{provider.value}-{event_type}-list-{'.'.join(path)}"
                yield label, bytes([index, MODE_SIGNED]) + listed
    anddone = PROVIDERS.index(Provider.ANDDONE)
    chargeback = sample_body("anddone", "TransactionChargeback").decode()
    for label, amount in AMOUNT_SHAPES:
        shaped = chargeback.replace('"Amount": 125.5', f'"Amount": {amount}', 1).encode()
        for mode in (MODE_UNVERIFIED, MODE_SIGNED):
            yield f"anddone-amount-{label}-{mode}", bytes([anddone, mode]) + shaped


AMOUNT_SHAPES = [
    ("exponent-text", '"1E+999999999"'),
    ("underscores", '"1_000.50"'),
    ("spaces", '" 12.5 "'),
    ("beyond-a-double", "12345678901234567.89"),
    ("hidden-by-a-double", "0.10000000000000001"),
    ("underflow", "1e-400"),
    ("plain-text", '"12.50"'),
]


def _long_ids(value: object) -> object:
    """``value`` with every string under a key ending in ``id`` made 8,000 characters long."""
    if isinstance(value, list):
        return [_long_ids(item) for item in value]
    if isinstance(value, dict):
        members: dict[str, object] = value  # type: ignore[assignment]
        return {
            k: "i:" * 4000 if isinstance(v, str) and k.lower().endswith("id") else _long_ids(v)
            for k, v in members.items()
        }
    return value


XML_SHAPES = [
    (
        "declaration",
        b'<?xml version="1.0" encoding="UTF-8"?><event><eventType>done</eventType></event>',
    ),
    ("bom-whitespace", b"\xef\xbb\xbf \r\n<event/>"),
]

NUMBER_SHAPES = [
    ("huge", b"1e999"),
    ("minus-huge", b"-1E+400"),
    ("max-double", b"1.7976931348623157e308"),
    ("nan", b"NaN"),
    ("infinity", b"[Infinity, -Infinity]"),
    ("nested", b'{"a": [1, {"b": 2e308}]}'),
    ("big-int", b"1" + b"0" * 400),
    ("repeated-key", b'1, "n": 2'),
]


def write_seeds(folder: Path) -> int:
    """Write the seed corpus into ``folder``; return how many inputs it holds."""
    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    for name, data in seeds():
        (folder / name).write_bytes(data)
        count += 1
    return count


def write_dictionary(path: Path) -> int:
    """Write a libFuzzer dictionary: JSON syntax plus every tag, key and header we know."""
    tokens = {b"{", b"}", b"[", b"]", b":", b",", b'"', b"null", b"true", b"false", b"\\u0000"}
    tokens |= {b"1e999", b"-0", b"\xef\xbb\xbf", b"\n\n", b"Verification-Signature: "}
    tokens |= {b"NaN", b"Infinity", b"-Infinity", b"E+400", b"e308"}
    for provider in PROVIDERS:
        spec = get_spec(provider)
        tokens.add(f'"{spec.discriminator}"'.encode())
        tokens |= {f'"{tag}"'.encode() for tag in spec.event_classes}
        for cls in spec.event_classes.values():
            for name, info in cls.model_fields.items():
                tokens.add(f'"{info.alias or name}"'.encode())
    lines = ['"' + "".join(f"\\x{byte:02x}" for byte in token) + '"' for token in sorted(tokens)]
    path.write_text("\n".join(lines) + "\n")
    return len(lines)


def replay(paths: list[str]) -> int:
    """Run every input file under ``paths``; return how many were run."""
    count = 0
    for path in map(Path, paths):
        for file in sorted(path.rglob("*") if path.is_dir() else [path]):
            if file.is_file():
                test_one_input(file.read_bytes())
                count += 1
    return count


def main(argv: list[str] | None = None) -> None:
    """Command line: a bounded fuzzing run, or a replay of saved inputs."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--time", type=int, help="stop after this many seconds")
    parser.add_argument("--runs", type=int, help="stop after this many inputs")
    parser.add_argument("--corpus", help="corpus folder to grow and keep (default: a temp dir)")
    parser.add_argument("--replay", nargs="+", metavar="PATH", help="re-run saved inputs")
    args, extra = parser.parse_known_args(argv)
    if args.replay:
        print(f"replayed {replay(args.replay)} inputs, no failure")  # noqa: T201
        return
    if args.time is None and args.runs is None:
        parser.error("give --time SECONDS or --runs N (or --replay)")
    import atheris  # noqa: PLC0415 - only the fuzzing run needs it

    corpus = Path(args.corpus or tempfile.mkdtemp(prefix="webhook-fuzz-"))
    print(f"seed corpus: {write_seeds(corpus)} inputs in {corpus}")  # noqa: T201
    dictionary = corpus.parent / f"{corpus.name}.dict"
    print(f"dictionary: {write_dictionary(dictionary)} tokens")  # noqa: T201
    CRASHES.mkdir(exist_ok=True)
    options = [f"-artifact_prefix={CRASHES}/", f"-max_len={MAX_LEN}", "-timeout=10"]
    options += ["-rss_limit_mb=2048", "-print_final_stats=1", f"-dict={dictionary}"]
    if args.time is not None:
        options.append(f"-max_total_time={args.time}")
    if args.runs is not None:
        options.append(f"-runs={args.runs}")
    atheris.Setup(
        [sys.argv[0], *options, *extra, str(corpus)],
        test_one_input,
        custom_mutator=custom_mutator,
    )
    atheris.Fuzz()


if __name__ == "__main__":
    main()
