"""Measure time and peak memory of ``parse()`` on adversarial bodies of up to 1 MiB.

Each (body, provider) runs in a fresh interpreter: imports and a warm-up parse first, then
the measured call. Time is wall-clock for that one call (best of ``--repeat``); memory is
the growth of the process's peak resident set during it (``ru_maxrss``), which counts
pydantic-core's native allocations too.

    python fuzz/bounds.py               # a Markdown table, worst case last
    python fuzz/bounds.py --repeat 5
    python fuzz/bounds.py --only "typed list"   # the bodies whose name holds that text

Besides the bodies below, run against every provider, each provider's typed lists of nested
models (Mastercard's ``reportCustomFields``, Connect's ``accounts``, ...) are found in its
models and filled to 1 MiB with the smallest valid item (:func:`typed_list_bodies`).
"""

from __future__ import annotations

import argparse
import functools
import json
import subprocess
import sys
from collections.abc import Callable
from typing import Any, get_args, get_origin

MIB = 1024 * 1024

CHILD = """
import json, resource, sys, time
from webhook_payloads import WebhookError, parse
from webhook_payloads._registry import get_spec
from webhook_payloads._samples import sample_body, sample_names
sys.path.insert(0, {here!r})
from bounds import BODIES, typed_list_bodies

provider, name = sys.argv[1], sys.argv[2]
repeat, allow_unknown = int(sys.argv[3]), sys.argv[4] == "1"
spec = get_spec(provider)
options = {{"allow_unknown": allow_unknown}}
if spec.verifier is not None:
    options["verify"] = False
sample = sample_body(provider, sample_names(provider)[0])
parse(provider, sample, **options)
body = (BODIES[name] if name in BODIES else typed_list_bodies(provider)[name])(provider)
assert len(body) <= 1024 * 1024, len(body)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
best = float("inf")
for _ in range(repeat):
    start = time.perf_counter()
    try:
        result = type(parse(provider, body, **options)).__name__
    except WebhookError as error:
        result = type(error).__name__
    best = min(best, time.perf_counter() - start)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"seconds": best, "kib": after - before, "result": result, "size": len(body)}}))
"""


def _sample(provider: str) -> bytes:
    from webhook_payloads._samples import sample_body, sample_names  # noqa: PLC0415

    return sample_body(provider, sample_names(provider)[0]).strip()


def _tag(provider: str) -> bytes:
    from webhook_payloads._registry import get_spec  # noqa: PLC0415

    return get_spec(provider).discriminator.encode()


def _fill(prefix: bytes, unit: bytes, suffix: bytes) -> bytes:
    count = (MIB - len(prefix) - len(suffix)) // (len(unit) + 1)
    return prefix + b",".join([unit] * count) + suffix


def _in_sample(unit: bytes) -> Callable[[str], bytes]:
    return lambda p: _fill(b'{"many":[', unit, b"]," + _sample(p)[1:])


def _unknown(unit: bytes) -> Callable[[str], bytes]:
    return lambda p: _fill(b'{"' + _tag(p) + b'":"NOT_AN_EVENT","many":[', unit, b"]}")


def _keys(p: str, prefix: bytes, suffix: bytes) -> bytes:
    parts, size, i = [], len(prefix) + len(suffix), 0
    while size + 16 < MIB:
        part = b'"%x":0' % i
        parts.append(part)
        size, i = size + len(part) + 1, i + 1
    return prefix + b",".join(parts) + suffix


BODIES: dict[str, Callable[[str], bytes]] = {
    "1 MiB of [ (nesting)": lambda p: b"[" * MIB,
    "whitespace then a sample": lambda p: b" " * (MIB - len(_sample(p))) + _sample(p),
    "one 1 MiB string": lambda p: b'{"s":"' + b"a" * (MIB - 2048) + b'",' + _sample(p)[1:],
    "1 MiB of digits": lambda p: b'{"n":' + b"9" * (MIB - 2048) + b"," + _sample(p)[1:],
    "BOM + sample": lambda p: b"\xef\xbb\xbf" + _sample(p),
    "bad UTF-8 at the end": lambda p: _fill(b'{"s":["', b"a", b'\xff"]}'),
    "90k distinct keys": lambda p: _keys(p, b'{"k":{', b"}," + _sample(p)[1:]),
    "150k duplicate keys": lambda p: _fill(b'{"k":{', b'"d":0', b"}," + _sample(p)[1:]),
    "empty objects": _in_sample(b"{}"),
    "empty lists": _in_sample(b"[]"),
    "[[[]]] x 150k": _in_sample(b"[[[]]]"),
    "floats": _in_sample(b"1.5"),
    "unknown event, [[[]]] x 150k": _unknown(b"[[[]]]"),
    "unknown event, empty objects": _unknown(b"{}"),
    "unknown event, 90k keys": lambda p: _keys(p, b'{"' + _tag(p) + b'":"NOT_AN_EVENT",', b"}"),
    # AndDone decodes AdditionalFields (JSON text) into one model per item; last key wins.
    "AdditionalFields of 350k {} (JSON text)": lambda p: _fill(
        _sample(p)[:-1] + b',"AdditionalFields":"[', b"{}", b']"}'
    ),
    "AdditionalFields of 350k {} (array)": lambda p: _fill(
        _sample(p)[:-1] + b',"AdditionalFields":[', b"{}", b"]}"
    ),
}


def _typed_lists(model: Any, path: tuple[str, ...]) -> list[tuple[tuple[str, ...], Any]]:
    """The wire paths of ``model``'s list fields of nested models, and each item's model."""
    from pydantic import BaseModel  # noqa: PLC0415

    found: list[tuple[tuple[str, ...], Any]] = []
    for name, info in model.model_fields.items():
        wire = info.alias or name
        stack, models = [info.annotation], []
        while stack:  # every model the annotation names, and whether it is in a sequence
            annotation = stack.pop()
            origin = get_origin(annotation)
            for arg in get_args(annotation):
                in_list = origin in (list, tuple)
                if isinstance(arg, type) and issubclass(arg, BaseModel):
                    models.append((arg, in_list))
                else:
                    stack.append(arg)
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                models.append((annotation, False))
        for nested, in_list in models:
            if in_list:
                found.append(((*path, wire), nested))
            elif nested is not model:
                found += _typed_lists(nested, (*path, wire))
    return found


def typed_list_bodies(provider: str) -> dict[str, Callable[[str], bytes]]:
    """For each typed list of nested models of ``provider``: its event filled to 1 MiB.

    The base is the kit's body of the event type; the list holds as many copies as fit of
    the smallest item the model accepts (its required fields only). Each body is built
    only when called, so that building the others does not raise the measured peak.
    """
    from webhook_payloads._registry import get_spec  # noqa: PLC0415

    bodies: dict[str, Callable[[str], bytes]] = {}
    for event_type, cls in get_spec(provider).event_classes.items():
        for path, item_model in _typed_lists(cls, ()):
            name = f"typed list: {event_type}.{'.'.join(path)}"
            bodies.setdefault(name, functools.partial(_filled, event_type, path, item_model))
    return bodies


def _filled(event_type: str, path: tuple[str, ...], item_model: Any, provider: str) -> bytes:
    from webhook_payloads._samples import _required, example_body  # noqa: PLC0415

    item = item_model.model_validate(_required(item_model))
    unit = item.model_dump_json(by_alias=True, exclude_unset=True).encode()
    data = json.loads(example_body(provider, event_type))
    target = data
    for key in path[:-1]:
        value = target.get(key)
        if isinstance(value, list):  # an object sent as an array of one
            value = value[0] if value else {}
        target = target.setdefault(key, {}) if value is None else value
    target[path[-1]] = "@@LIST@@"
    text = json.dumps(data, separators=(",", ":")).encode()
    prefix, suffix = text.split(b'"@@LIST@@"')
    return _fill(prefix + b"[", unit, b"]" + suffix)


def main() -> None:
    """Print the table of measurements."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default="", help="run the bodies whose name holds this text")
    args = parser.parse_args()
    from pathlib import Path  # noqa: PLC0415

    from webhook_payloads._registry import registered_providers  # noqa: PLC0415

    here = str(Path(__file__).resolve().parent)
    rows = []
    cases = [(name, p.value) for name in BODIES for p in registered_providers()]
    cases += [(n, p.value) for p in registered_providers() for n in typed_list_bodies(p.value)]
    for name, provider in cases:
        if args.only not in name:
            continue
        for allow in ("0", "1") if name.startswith("unknown") else ("0",):
            done = subprocess.run(  # noqa: S603 - our own interpreter and script
                [
                    sys.executable,
                    "-c",
                    CHILD.format(here=here),
                    provider,
                    name,
                    str(args.repeat),
                    allow,
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            row = json.loads(done.stdout)
            label = name + (" (allow_unknown)" if allow == "1" else "")
            rows.append((row["seconds"], row["kib"], label, provider, row))
    print("| body (<= 1 MiB) | provider | outcome | time | peak memory growth |")  # noqa: T201
    print("|---|---|---|---:|---:|")  # noqa: T201
    for seconds, kib, label, provider, row in sorted(rows, key=lambda r: (r[0], r[1])):
        print(  # noqa: T201
            f"| {label} | {provider} | {row['result']} | {seconds * 1000:.1f} ms "
            f"| {kib / 1024:.1f} MiB |"
        )
    worst_time = max(rows, key=lambda r: r[0])
    worst_memory = max(rows, key=lambda r: r[1])
    print(  # noqa: T201
        f"\nworst time: {worst_time[0] * 1000:.0f} ms ({worst_time[2]}, {worst_time[3]}); "
        f"worst memory: {worst_memory[1] / 1024:.1f} MiB ({worst_memory[2]}, {worst_memory[3]})"
    )


if __name__ == "__main__":
    main()
