"""Measure webhook_payloads against hand-written expert code, in one run.

Usage (from the repository root, in the dev environment)::

    python benchmarks/bench.py                  # every figure, about two minutes
    python benchmarks/bench.py --smoke          # a few seconds: checks that it runs, judges nothing
    python benchmarks/bench.py --plot docs/performance-scaling.png --json figures.json

Every figure is printed with its baseline and the ratio candidate / baseline. Timings are
medians of *paired* runs: each sample of the library is taken right next to a sample of the
baseline, alternating which goes first, and the ratio is taken per pair, so load from other
processes on a busy machine falls on both sides alike. Import times and memory come from
fresh interpreters, baseline and candidate interleaved.

Baselines live next to this file (``expert_payscore.py``, ``expert_mastercard.py``) and are
written from the providers' documentation alone, without the library's models. A provider
that is not registered in the installed library is reported as pending, not as a failure.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import hmac
import importlib
import json
import math
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import expert_mastercard  # noqa: E402 - the baselines sit next to this script
import expert_payscore  # noqa: E402

import webhook_payloads  # noqa: E402
from webhook_payloads import Webhook, parse  # noqa: E402
from webhook_payloads._registry import (  # noqa: E402 - what is built in, and its adapters
    get_spec,
    registered_providers,
)
from webhook_payloads._signing import HmacKey  # noqa: E402 - the limit's precomputed HMAC

SECRET = "payscore-secret-for-benchmarks"
"""The signing secret: a ``str``, as settings hold it. The expert pre-encodes it once."""

# The providers' own examples, byte for byte as their documentation prints them.
PAYSCORE_REPORT_READY = b"""{
    "code": "REPORT_READY",
    "applicant_group_id": "4516efb4-82ed-43cd-a55a-ba93d4914562",
    "applicant_id": "4516efb4-82ed-43cd-a55a-ba93d4914562",
    "report_id": "2d376488-fc60-4193-bac2-1023764b7842",
    "report_type": "income"
}"""
"""Payscore (current API) documentation, ``REPORT_READY`` example."""

PAYSCORE_V1_SCREENING_COMPLETED = b"""{
    "code": "SCREENING_COMPLETED",
    "screening_group_id": "905963d4-0649-4046-8f39-7997a9e45ed4",
    "screening_id": "4516efb4-82ed-43cd-a55a-ba93d4914562"
}"""
"""Payscore v1 documentation, ``SCREENING_COMPLETED`` example."""

MASTERCARD_DONE = b"""{
"eventName": "done",
"id": "REPORT_ID",
"consumerId": "CONSUMER_ID",
"consumerSsn": "1234",
"type": "voa",
"status": "success",
"portfolioId": "PORTFOLIO_ID",
"customerId": 123456,
"reportCustomFields": [
    {
    "label": "label 0",
    "value": "value 0",
    "shown": false
    }
]
}"""
"""Mastercard Open Finance US report webhooks, standard report ``done`` example."""

ANDDONE_REPORT_GENERATED = b"""{
"EventCode": "ReportGenerated",
"EventDateTime": "12-15-2023 00:02:51",
"EventBody": {
"MerchantId": "4bvl9KxM",
"UserType": "Merchant",
"SubscriptionStatus": "On",
"Frequency": "Daily",
"FrequencyParam": "11:50",
"ReportId": "KGx1n813",
"RetentionPolicyId": "KGx1n813",
"ReportSchemaId": "KGx1n813",
"ReportName": "Daily Authorization Report",
"ReportFileName": "report_payment_authorization_2023_12_14.csv",
"ReportFileSize": "0.9KB",
"ReportAccessURL": null,
"NotificationType": "Report-available",
"NotificationDate": "12-15-2023 00:02:51",
"CreatedOn": "07-19-2022 10:27:59",
"ModifiedOn": "06-20-2023 07:05:58",
"CreatedBy": "TrustInC",
"ModifiedBy": "TrustInC",
"NextGenerationTime": "12-15-2023 23:59:59",
"ErrorMessage": null,
"ReasonCode": "200",
"TimeZone": "Eastern"
},
"AdditionalFields": "[{\\"ReportGenerationLogId\\":\\"evGYDYL8\\"}]",
"Signature": "uU5MwjVom5UMjdEQanVhjn1Wfb6R11i9ENr/PIFw8m0="
}"""
"""AndDone report webhook documentation, ``ReportGenerated`` example."""

EXAMPLES: dict[str, bytes] = {
    "mastercard": MASTERCARD_DONE,
    "payscore": PAYSCORE_REPORT_READY,
    "payscore_v1": PAYSCORE_V1_SCREENING_COMPLETED,
    "anddone": ANDDONE_REPORT_GENERATED,
}

# Headers as a web server hands them over behind a proxy: the signature is one of many.
_COMMON_HEADERS = {
    "Host": "hooks.example.com",
    "User-Agent": "Payscore-Webhooks/1.0",
    "Accept": "*/*",
    "Accept-Encoding": "gzip, deflate",
    "Content-Type": "application/json",
    "X-Forwarded-For": "203.0.113.7",
    "X-Forwarded-Proto": "https",
    "X-Request-Id": "9f1c2d3e-4b5a-6789-abcd-ef0123456789",
}


def payscore_headers(body: bytes, secret: str = SECRET) -> dict[str, str]:
    """The request headers of ``body`` signed as Payscore signs (hex HMAC-SHA256)."""
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {
        **_COMMON_HEADERS,
        "Content-Length": str(len(body)),
        "Verification-Signature": signature,
    }


def is_registered(provider: str) -> bool:
    """Whether the installed library parses ``provider`` yet (other branches may add it)."""
    return provider in {p.value for p in registered_providers()}


# --------------------------------------------------------------------------- reporting


@dataclass
class Figure:
    """One printed line: a measured figure, its baseline, their ratio and the target."""

    name: str
    baseline_label: str
    unit: str
    baseline: float | None = None
    candidate: float | None = None
    ratio: float | None = None
    target: float | None = None
    note: str = ""
    pending: str = ""

    @property
    def met(self) -> bool | None:
        """Whether the ratio meets the target (``None`` when there is no target or figure)."""
        if self.target is None or self.ratio is None:
            return None
        return self.ratio <= self.target

    def row(self) -> str:
        """The figure as one printed line."""
        if self.pending:
            return f"{self.name:<46} PENDING: {self.pending}"
        verdict = ""
        if self.ratio is None:
            return (
                f"{self.name:<46} {_fmt(self.baseline, self.unit):>12}"
                f" {_fmt(self.candidate, self.unit):>12} {'-':>6}  {self.note}"
            )
        if self.target is not None:
            verdict = f"target <= {self.target:.2f}: " + ("met" if self.met else "NOT MET")
        baseline, candidate = _fmt(self.baseline, self.unit), _fmt(self.candidate, self.unit)
        return (
            f"{self.name:<46} {baseline:>12} {candidate:>12}"
            f" {self.ratio:>6.3f}  {verdict}{'  ' + self.note if self.note else ''}"
        )


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "s":
        return f"{value * 1e6:.2f} us" if value < 1e-3 else f"{value * 1e3:.2f} ms"
    if unit == "MiB":
        return f"{value:.1f} MiB"
    if unit == "B":
        return f"{value:.0f} B"
    return f"{value:.3g} {unit}"


def _print_header(title: str) -> None:
    print(f"\n== {title}")
    print(f"{'figure':<46} {'baseline':>12} {'candidate':>12} {'ratio':>6}")


# --------------------------------------------------------------------------- in-process timing


def _loop(fn: Callable[[], object], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n


def _calibrate(fn: Callable[[], object], sample_seconds: float) -> int:
    n = 1
    while True:
        took = _loop(fn, n) * n
        if took >= sample_seconds / 4 or n >= 1 << 22:
            return max(1, math.ceil(n * sample_seconds / max(took, 1e-9)))
        n *= 4


@dataclass
class Paired:
    """Per-call times of a baseline and a candidate, sampled in alternating pairs."""

    baseline: list[float] = field(default_factory=list)
    candidate: list[float] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        """The median of the per-pair ratios candidate / baseline."""
        return statistics.median(c / b for b, c in zip(self.baseline, self.candidate, strict=True))


def paired(
    baseline: Callable[[], object],
    candidate: Callable[[], object],
    *,
    pairs: int,
    sample_seconds: float,
) -> Paired:
    """Time ``baseline`` and ``candidate`` in ``pairs`` adjacent samples, ABBA order."""
    for fn in (baseline, candidate):  # warm up: caches, lazy imports, the adapter
        for _ in range(50):
            fn()
    n = _calibrate(baseline, sample_seconds)
    result = Paired()
    for i in range(pairs):
        if i % 2 == 0:
            b = _loop(baseline, n)
            c = _loop(candidate, n)
        else:
            c = _loop(candidate, n)
            b = _loop(baseline, n)
        result.baseline.append(b)
        result.candidate.append(c)
    return result


# --------------------------------------------------------------------------- hot path


def hot_path_figures(pairs: int, sample_seconds: float) -> list[Figure]:
    """``Webhook.parse()`` and ``parse()`` of one seed event against the expert's code.

    Payscore's expert checks the signature with ``hmac.new`` per call, as hand-written code
    does; the library keeps each secret's HMAC key schedule in its ``Webhook``. Mastercard's
    expert meets the library's contract: it keeps the fields the provider adds, takes
    ``customerId`` as text whether sent as a number or a string, and refuses non-finite
    numbers (``expert_mastercard.handle_keeping_unknown``).
    """
    figures = []
    body = PAYSCORE_REPORT_READY
    headers = payscore_headers(body)
    key = SECRET.encode()  # the expert encodes the setting once, at import
    payscore_webhook = Webhook("payscore", secret=SECRET)
    expected = expert_payscore.handle(body, headers, key)
    for got in (
        payscore_webhook.parse(body, headers),
        parse("payscore", body, headers, secret=SECRET),
    ):
        assert got.model_dump() == expected.model_dump(), "the two sides must agree"  # noqa: S101

    def expert_ps() -> object:
        return expert_payscore.handle(body, headers, key)

    figures.append(
        _measured(
            "Webhook.parse() Payscore REPORT_READY, signed",
            expert_ps,
            lambda: payscore_webhook.parse(body, headers),
            pairs=pairs,
            sample_seconds=sample_seconds,
            target=0.95,
        )
    )
    figures.append(
        _measured(
            "parse() Payscore REPORT_READY, signed",
            expert_ps,
            lambda: parse("payscore", body, headers, secret=SECRET),
            pairs=pairs,
            sample_seconds=sample_seconds,
            target=1.05,
        )
    )
    mc_body = MASTERCARD_DONE
    mastercard_webhook = Webhook("mastercard")

    def expert_mc() -> object:
        return expert_mastercard.handle_keeping_unknown(mc_body)

    figures.append(
        _measured(
            "Webhook.parse() Mastercard done (seed 000)",
            expert_mc,
            lambda: mastercard_webhook.parse(mc_body),
            pairs=pairs,
            sample_seconds=sample_seconds,
            target=1.05,
        )
    )
    figures.append(
        _measured(
            "parse() Mastercard done (seed 000)",
            expert_mc,
            lambda: parse("mastercard", mc_body),
            pairs=pairs,
            sample_seconds=sample_seconds,
            target=1.15,
        )
    )
    return figures


def _measured(
    name: str,
    baseline: Callable[[], object],
    candidate: Callable[[], object],
    *,
    pairs: int,
    sample_seconds: float,
    target: float | None = None,
) -> Figure:
    """One in-process figure against the expert: paired samples, judged when ``target``."""
    timing = paired(baseline, candidate, pairs=pairs, sample_seconds=sample_seconds)
    return Figure(
        name,
        "expert",
        "s",
        statistics.median(timing.baseline),
        statistics.median(timing.candidate),
        timing.ratio,
        target=target,
    )


def limit_figures(pairs: int, sample_seconds: float) -> list[Figure]:
    """How close the library comes to the limit, and what ``parse()`` adds to ``Webhook``.

    The limit is the provider's core validator alone plus, for Payscore, one HMAC with a
    precomputed key schedule and its comparison: what no wrapper can go below. Reported,
    not judged.
    """
    body = PAYSCORE_REPORT_READY
    headers = payscore_headers(body)
    prepared = HmacKey(SECRET.encode())
    received = bytes.fromhex(headers["Verification-Signature"])
    validate_payscore = partial(
        get_spec("payscore").adapter.validator.validate_json, by_alias=True, by_name=False
    )
    validate_mastercard = partial(
        get_spec("mastercard").adapter.validator.validate_json, by_alias=True, by_name=False
    )
    payscore_webhook = Webhook("payscore", secret=SECRET)
    mastercard_webhook = Webhook("mastercard")
    mc_body = MASTERCARD_DONE

    def payscore_limit() -> object:
        if not hmac.compare_digest(prepared.digest(body), received):
            raise PermissionError("bad signature")
        return validate_payscore(body)

    cases: list[tuple[str, str, Callable[[], object], Callable[[], object]]] = [
        (
            "Webhook.parse() Payscore over the limit",
            "limit",
            payscore_limit,
            lambda: payscore_webhook.parse(body, headers),
        ),
        (
            "parse() Payscore over the limit",
            "limit",
            payscore_limit,
            lambda: parse("payscore", body, headers, secret=SECRET),
        ),
        (
            "Webhook.parse() Mastercard over the limit",
            "limit",
            lambda: validate_mastercard(mc_body),
            lambda: mastercard_webhook.parse(mc_body),
        ),
        (
            "parse() Mastercard over the limit",
            "limit",
            lambda: validate_mastercard(mc_body),
            lambda: parse("mastercard", mc_body),
        ),
        (
            "parse() over Webhook.parse(), Payscore",
            "Webhook",
            lambda: payscore_webhook.parse(body, headers),
            lambda: parse("payscore", body, headers, secret=SECRET),
        ),
        (
            "parse() over Webhook.parse(), Mastercard",
            "Webhook",
            lambda: mastercard_webhook.parse(mc_body),
            lambda: parse("mastercard", mc_body),
        ),
    ]
    figures = []
    for name, label, baseline, candidate in cases:
        figure = _measured(name, baseline, candidate, pairs=pairs, sample_seconds=sample_seconds)
        figure.baseline_label = label
        extra = (figure.candidate or 0.0) - (figure.baseline or 0.0)
        figure.note = f"(+{extra * 1e6:.2f} us per call)"
        figures.append(figure)
        if name == "Webhook.parse() Payscore over the limit":
            # Judged: within 1.0 us of the limit. The ratio column holds the microseconds.
            figures.append(
                Figure(
                    "Webhook.parse() Payscore minus the limit, us",
                    "limit",
                    "s",
                    figure.baseline,
                    figure.candidate,
                    extra * 1e6,
                    target=1.0,
                    note="(microseconds per call, not a ratio)",
                )
            )
    return figures


def _framework_headers(headers: dict[str, str]) -> Iterator[tuple[str, object]]:
    """``headers`` as each installed web framework hands them to a view."""
    environ: dict[str, object] = {"REQUEST_METHOD": "POST", "SERVER_NAME": "hooks.example.com"}
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        environ[key if key in {"CONTENT_TYPE", "CONTENT_LENGTH"} else f"HTTP_{key}"] = value
    try:
        from django.http.request import HttpHeaders  # noqa: PLC0415 - optional
    except ImportError:
        pass
    else:
        yield "Django request.headers", HttpHeaders(environ)
    try:
        from werkzeug.datastructures import EnvironHeaders  # noqa: PLC0415 - optional
    except ImportError:
        pass
    else:
        yield "Flask request.headers", EnvironHeaders(environ)
    try:
        from starlette.datastructures import Headers  # noqa: PLC0415 - optional
    except ImportError:
        pass
    else:
        raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
        yield "FastAPI request.headers", Headers(raw=raw)


def framework_figures(pairs: int, sample_seconds: float) -> list[Figure]:
    """``Webhook.parse()`` given each framework's own header object, against a plain dict.

    Reported, not judged: what reading the signature header from each framework's
    case-insensitive header object costs over a ``dict``.
    """
    figures = []
    body = PAYSCORE_REPORT_READY
    plain = payscore_headers(body)
    webhook = Webhook("payscore", secret=SECRET)
    for label, headers in _framework_headers(plain):
        mapping: Any = headers
        assert webhook.parse(body, mapping) == webhook.parse(body, plain)  # noqa: S101
        figure = _measured(
            f"Webhook.parse() Payscore, {label}",
            lambda: webhook.parse(body, plain),
            lambda mapping=mapping: webhook.parse(body, mapping),
            pairs=pairs,
            sample_seconds=sample_seconds,
        )
        figure.baseline_label = "dict"
        figures.append(figure)
    return figures


def _pending(provider: str) -> str:
    return f"provider {provider!r} is not registered in this build; run again once it is"


# --------------------------------------------------------------------------- fresh interpreters


_BASELINE_IMPORT = "import pydantic\nfrom pydantic import BaseModel, TypeAdapter"
_CHILD_IMPORT = """
import sys, time
sys.path.insert(0, {here!r})
start = time.perf_counter()
{statement}
took = time.perf_counter() - start
print(took)
"""


def _child(code: str) -> str:
    done = subprocess.run(  # noqa: S603 - our own interpreter running our own code
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"child failed:\n{done.stderr}")
    return done.stdout.strip().splitlines()[-1]


def _child_seconds(statement: str) -> float:
    return float(_child(_CHILD_IMPORT.format(here=str(HERE), statement=statement)))


def fresh_pairs(baseline: str, candidate: str, runs: int) -> Paired:
    """Time two statements, each in its own fresh interpreter, in alternating pairs."""
    result = Paired()
    for i in range(runs):
        if i % 2 == 0:
            b = _child_seconds(baseline)
            c = _child_seconds(candidate)
        else:
            c = _child_seconds(candidate)
            b = _child_seconds(baseline)
        result.baseline.append(b)
        result.candidate.append(c)
    return result


_FIRST_PARSE = """
import json, sys, time
sys.path.insert(0, {here!r})
import pydantic
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
args = json.loads(sys.argv[1])
body = args["body"].encode("latin-1")
headers = args["headers"]
kwargs = args["kwargs"]
t0 = time.perf_counter()
from webhook_payloads import parse
t1 = time.perf_counter()
parse(args["provider"], body, headers, **kwargs)
t2 = time.perf_counter()
parse(args["provider"], body, headers, **kwargs)
t3 = time.perf_counter()
print(json.dumps([t1 - t0, t2 - t1, t3 - t2]))
"""

_EXPERT_FIRST = """
import json, sys, time
sys.path.insert(0, {here!r})
import pydantic
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
args = json.loads(sys.argv[1])
body = args["body"].encode("latin-1")
t0 = time.perf_counter()
if args["provider"] == "payscore":
    import expert_payscore
    expert_payscore.handle(body, args["headers"], args["kwargs"]["secret"].encode())
else:
    import expert_mastercard
    expert_mastercard.handle(body)
print(json.dumps(time.perf_counter() - t0))
"""

_EXPERT_COLD = """
import sys, time
sys.path.insert(0, {here!r})
body = {body!r}
headers = {headers!r}
key = {key!r}
t0 = time.perf_counter()
import expert_payscore
expert_payscore.handle(body, headers, key)
print(time.perf_counter() - t0)
"""

_LIBRARY_COLD = """
import sys, time
sys.path.insert(0, {here!r})
body = {body!r}
headers = {headers!r}
t0 = time.perf_counter()
from webhook_payloads import parse
parse("payscore", body, headers, secret={secret!r})
print(time.perf_counter() - t0)
"""


def _parse_call(provider: str) -> tuple[bytes, dict[str, str] | None, dict[str, Any]]:
    """Body, headers and keyword arguments for parsing ``provider``'s example."""
    body = EXAMPLES[provider]
    if provider in ("payscore", "payscore_v1"):
        return body, payscore_headers(body), {"secret": SECRET}
    if provider == "anddone":
        # AndDone's signing construction is not published: the example is parsed unverified.
        return body, None, {"verify": False}
    return body, None, {}


def import_figures(runs: int) -> list[Figure]:
    """``import webhook_payloads`` in fresh interpreters, against importing Pydantic's API."""
    figures = []
    for statement, label in (
        ("import webhook_payloads", "import webhook_payloads"),
        ("from webhook_payloads import parse", "from webhook_payloads import parse"),
    ):
        timing = fresh_pairs(_BASELINE_IMPORT, statement, runs)
        figures.append(
            Figure(
                label,
                "pydantic",
                "s",
                statistics.median(timing.baseline),
                statistics.median(timing.candidate),
                timing.ratio,
                target=1.00 if statement == "import webhook_payloads" else None,
            )
        )

    body = PAYSCORE_REPORT_READY
    headers = payscore_headers(body)
    expert = _EXPERT_COLD.format(here=str(HERE), body=body, headers=headers, key=SECRET.encode())
    library = _LIBRARY_COLD.format(here=str(HERE), body=body, headers=headers, secret=SECRET)
    cold = Paired()
    for i in range(runs):
        pair = [(expert, cold.baseline), (library, cold.candidate)]
        for code, into in pair if i % 2 == 0 else reversed(pair):
            into.append(float(_child(code)))
    figures.append(
        Figure(
            "cold start: import + first Payscore parse",
            "expert",
            "s",
            statistics.median(cold.baseline),
            statistics.median(cold.candidate),
            cold.ratio,
            note="(expert: import pydantic, define models, build adapter, verify, validate)",
        )
    )

    for provider in ("payscore", "payscore_v1", "mastercard", "anddone"):
        name = f"first parse('{provider}') after import"
        if not is_registered(provider):
            figures.append(Figure(name, "", "s", pending=_pending(provider)))
            continue
        body, hdrs, kwargs = _parse_call(provider)
        payload = json.dumps(
            {
                "provider": provider,
                "body": body.decode("latin-1"),
                "headers": hdrs,
                "kwargs": kwargs,
            }
        )
        code = _FIRST_PARSE.format(here=str(HERE))
        expert_code = _EXPERT_FIRST.format(here=str(HERE))
        has_expert = provider in ("payscore", "mastercard")
        samples, experts = [], []
        for _ in range(max(1, runs // 2)):
            samples.append(json.loads(_child_with(code, payload)))
            if has_expert:
                experts.append(json.loads(_child_with(expert_code, payload)))
        first = statistics.median(s[1] for s in samples)
        second = statistics.median(s[2] for s in samples)
        expert = statistics.median(experts) if experts else None
        figures.append(
            Figure(
                name,
                "expert",
                "s",
                expert,
                first,
                first / expert if expert else None,
                note=f"(second parse: {_fmt(second, 's')}; "
                + (
                    "expert: define its models, build its adapter, first call)"
                    if has_expert
                    else "no expert baseline)"
                ),
            )
        )
    return figures


def _child_with(code: str, argument: str) -> str:
    done = subprocess.run(  # noqa: S603 - our own interpreter running our own code
        [sys.executable, "-c", code, argument], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"child failed:\n{done.stderr}")
    return done.stdout.strip().splitlines()[-1]


# --------------------------------------------------------------------------- memory


# VmHWM (Linux) is this process's own high-water mark. ru_maxrss is not: the kernel carries
# the parent's peak over into a child started by fork or vfork and exec.
_PEAK_RSS = """
import sys, json
sys.path.insert(0, {here!r})
{work}
try:
    with open("/proc/self/status") as status:
        print(next(line.split()[1] for line in status if line.startswith("VmHWM:")))
except OSError:
    import resource
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

_LIBRARY_MEMORY = """
from webhook_payloads import parse
calls = json.loads(sys.argv[1])
for provider, body, headers, kwargs in calls:
    parse(provider, body.encode("latin-1"), headers, **kwargs)
"""

_EXPERT_MEMORY = """
import expert_payscore, expert_mastercard
calls = json.loads(sys.argv[1])
for provider, body, headers, key in calls:
    if provider == "payscore":
        expert_payscore.handle(body.encode("latin-1"), headers, key.encode())
    else:
        expert_mastercard.handle(body.encode("latin-1"))
"""


def _peak_rss_mib(work: str, argument: str) -> float:
    code = _PEAK_RSS.format(here=str(HERE), work=work)
    done = subprocess.run(  # noqa: S603 - our own interpreter running our own code
        [sys.executable, "-c", code, argument], capture_output=True, text=True, check=True
    )
    return int(done.stdout.strip()) / 1024  # both are in KiB


def memory_figures(runs: int) -> list[Figure]:
    """Peak RSS: the library after one event of every registered provider, against Pydantic."""
    providers = [p.value for p in registered_providers()]
    calls = []
    for provider in providers:
        if provider in EXAMPLES:
            body, headers, kwargs = _parse_call(provider)
            calls.append([provider, body.decode("latin-1"), headers, kwargs])
    missing = [p for p in ("mastercard", "anddone") if p not in providers]
    expert_calls = [
        [
            "payscore",
            PAYSCORE_REPORT_READY.decode(),
            payscore_headers(PAYSCORE_REPORT_READY),
            SECRET,
        ]
    ]
    expert_calls.append(["mastercard", MASTERCARD_DONE.decode(), None, ""])
    bare: list[float] = []
    library: list[float] = []
    expert: list[float] = []
    for _ in range(runs):
        bare.append(_peak_rss_mib(_BASELINE_IMPORT, "[]"))
        library.append(_peak_rss_mib(_LIBRARY_MEMORY, json.dumps(calls)))
        expert.append(_peak_rss_mib(_EXPERT_MEMORY, json.dumps(expert_calls)))
    b, lib, exp = (statistics.median(x) for x in (bare, library, expert))
    note = f"(+{lib - b:.1f} MiB; parsed: {', '.join(c[0] for c in calls)})"
    if missing:
        note += f"; pending providers: {', '.join(missing)}"
    return [
        Figure(
            "peak RSS: library, one event per provider",
            "pydantic",
            "MiB",
            b,
            lib,
            lib / b,
            note=note,
        ),
        Figure(
            "peak RSS: expert Payscore + Mastercard code",
            "pydantic",
            "MiB",
            b,
            exp,
            exp / b,
            note=f"(+{exp - b:.1f} MiB; for comparison)",
        ),
    ]


def _held_bytes(make: Callable[[], object], count: int) -> float:
    """Bytes each of ``count`` events made by ``make`` holds, by tracemalloc."""
    make()  # caches, lazy imports, the adapter: allocated before the count starts
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        held = [make() for _ in range(count)]
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    # The list's own slots are not the events': one pointer each.
    per_event = (after - before - sys.getsizeof(held)) / count
    del held
    return per_event


def held_memory_figures(count: int) -> list[Figure]:
    """Memory per held event (``count`` events kept in a list), against the expert's.

    Judged against the expert who keeps unknown fields, as the library's contract does:
    keeping them costs each event an (empty) extras dict, 64 B. Payscore's plain expert,
    which drops them, is reported beside it.
    """
    body = PAYSCORE_REPORT_READY
    headers = payscore_headers(body)
    key = SECRET.encode()
    payscore_webhook = Webhook("payscore", secret=SECRET)
    mastercard_webhook = Webhook("mastercard")
    cases: list[tuple[str, str, Callable[[], object], Callable[[], object], float | None]] = [
        (
            "held event: Payscore REPORT_READY",
            "expert, keeping",
            lambda: expert_payscore.handle_keeping_unknown(body, headers, key),
            lambda: payscore_webhook.parse(body, headers),
            1.00,
        ),
        (
            "held event: Payscore, expert dropping unknown",
            "expert, plain",
            lambda: expert_payscore.handle(body, headers, key),
            lambda: payscore_webhook.parse(body, headers),
            None,
        ),
        (
            "held event: Mastercard done (seed 000)",
            "expert",
            lambda: expert_mastercard.handle_keeping_unknown(MASTERCARD_DONE),
            lambda: mastercard_webhook.parse(MASTERCARD_DONE),
            1.00,
        ),
    ]
    figures = []
    for name, label, expert, library, target in cases:
        theirs, mine = _held_bytes(expert, count), _held_bytes(library, count)
        figures.append(
            Figure(
                name,
                label,
                "B",
                theirs,
                mine,
                mine / theirs,
                target=target,
                note=f"({mine - theirs:+.0f} B per event, {count} events held)",
            )
        )
    return figures


# --------------------------------------------------------------------------- scaling


SIZES = (200, 1 << 10, 4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20)


def _grow(make: Callable[[int], bytes], target: int) -> bytes:
    """The largest body ``make(n)`` that is not larger than ``target`` (or ``make(0)``)."""
    if len(make(0)) >= target:
        return make(0)
    low, high = 0, 1
    while len(make(high)) <= target:
        low, high = high, high * 2
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if len(make(middle)) <= target else (low, middle)
    return make(low)


def _compact(document: bytes) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(document)
    return loaded


def _dump(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()


def mastercard_body(n: int) -> bytes:
    """Mastercard's ``done`` example with ``n`` report custom fields."""
    document = _compact(MASTERCARD_DONE)
    document["reportCustomFields"] = [
        {"label": f"label {i}", "value": f"value {i}", "shown": i % 2 == 0} for i in range(n)
    ]
    return _dump(document)


ANDDONE_KEY = "6b6579" * 8
"""A hex HMAC key, as AndDone's portal asks for."""


def anddone_library(body: bytes) -> Callable[[], object]:
    """``Webhook.parse()`` of an AndDone ``body`` signed under one of the named schemes.

    AndDone does not publish which bytes it signs; the library makes the caller name a
    scheme, and any of them costs one HMAC over about the whole body.
    """
    anddone: Any = importlib.import_module("webhook_payloads.anddone")
    scheme = anddone.SignatureScheme(
        signed=anddone.SignedContent.BODY_WITHOUT_SIGNATURE, key=anddone.KeyEncoding.HEX_DECODED
    )
    signed = anddone.sign(body, ANDDONE_KEY, scheme)
    webhook = Webhook("anddone", secret=ANDDONE_KEY, signature_scheme=scheme)
    return lambda: webhook.parse(signed)


def anddone_body(n: int) -> bytes:
    """AndDone's ``ReportGenerated`` example whose ``EventBody`` carries ``n`` more fields."""
    document = _compact(ANDDONE_REPORT_GENERATED)
    document["EventBody"].update({f"CustomField{i:06d}": f"value {i}" for i in range(n)})
    return _dump(document)


def payscore_body(n: int) -> bytes:
    """Payscore's ``REPORT_READY`` example with a field it may add one day, ``n`` items long."""
    document = _compact(PAYSCORE_REPORT_READY)
    if n:
        document["applicants"] = [{"id": f"a-{i}", "status": "done"} for i in range(n)]
    return _dump(document)


@dataclass
class Series:
    """Time per call over body sizes, for one line of the scaling plot."""

    label: str
    sizes: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    def exponent(self, smallest: int = 14_000) -> float | None:
        """``k`` in time ~ size**k, fitted on the sizes where fixed costs no longer matter."""
        pairs = zip(self.sizes, self.seconds, strict=True)
        points = [(math.log(s), math.log(t)) for s, t in pairs if s >= smallest]
        if len(points) < 2:
            return None
        mean_x = statistics.fmean(x for x, _ in points)
        mean_y = statistics.fmean(y for _, y in points)
        num = sum((x - mean_x) * (y - mean_y) for x, y in points)
        den = sum((x - mean_x) ** 2 for x, _ in points)
        return num / den


def scaling(
    sizes: tuple[int, ...], pairs: int, sample_seconds: float
) -> tuple[list[Series], list[Figure]]:
    """``parse()`` time over body sizes from 200 B to 1 MiB, and the expert's where it compares."""
    cases: list[
        tuple[
            str,
            Callable[[int], bytes],
            Callable[[bytes], Callable[[], object]] | None,
            Callable[[bytes], Callable[[], object]],
        ]
    ] = []

    payscore_webhook = Webhook("payscore", secret=SECRET)
    mastercard_webhook = Webhook("mastercard")

    def payscore_library(body: bytes) -> Callable[[], object]:
        headers = payscore_headers(body)
        return lambda: payscore_webhook.parse(body, headers)

    def payscore_expert(body: bytes) -> Callable[[], object]:
        headers, key = payscore_headers(body), SECRET.encode()
        return lambda: expert_payscore.handle_keeping_unknown(body, headers, key)

    # Payscore too, signed, with a field it does not document growing: the library keeps such
    # fields (model_extra), so the expert's models here keep them as well.
    cases.append(
        (
            "payscore (signed; an undocumented field grows)",
            payscore_body,
            payscore_expert,
            payscore_library,
        )
    )
    if is_registered("mastercard"):
        cases.append(
            (
                "mastercard (reportCustomFields grows)",
                mastercard_body,
                lambda body: lambda: expert_mastercard.handle_keeping_unknown(body),
                lambda body: lambda: mastercard_webhook.parse(body),
            )
        )
    if is_registered("anddone"):
        cases.append(("anddone (signed; EventBody grows)", anddone_body, None, anddone_library))
    series: list[Series] = []
    figures: list[Figure] = []
    for label, make, expert, library in cases:
        mine = Series(f"webhook_payloads: {label}")
        theirs = Series(f"expert: {label}") if expert else None
        last_ratio = math.nan  # the largest body's median per-pair ratio, library / expert
        for size in sizes:
            body = _grow(make, size)
            run = library(body)
            if theirs is not None and expert is not None:
                timing = paired(expert(body), run, pairs=pairs, sample_seconds=sample_seconds)
                theirs.sizes.append(len(body))
                theirs.seconds.append(statistics.median(timing.baseline))
                mine_seconds = statistics.median(timing.candidate)
                last_ratio = timing.ratio
            else:
                run()
                n = _calibrate(run, sample_seconds)
                mine_seconds = statistics.median(_loop(run, n) for _ in range(pairs))
            mine.sizes.append(len(body))
            mine.seconds.append(mine_seconds)
        series.append(mine)
        if theirs is not None:
            series.append(theirs)
        k = mine.exponent()
        expert_k = theirs.exponent() if theirs else None
        name = label.split(" ")[0]
        if theirs is not None:
            figures.append(
                Figure(
                    f"Webhook.parse() at {mine.sizes[-1]} B: {name}",
                    "expert",
                    "s",
                    theirs.seconds[-1],
                    mine.seconds[-1],
                    last_ratio,
                    # Judged for Mastercard, as the issue sets it; Payscore's is reported.
                    target=1.10 if name == "mastercard" else None,
                )
            )
        fit = "(time ~ size**k fitted over 16 KiB..1 MiB"
        if k is not None and expert_k is not None:
            # The ratio column holds k minus the expert's k: within 0.05 is the target.
            figures.append(
                Figure(
                    f"scaling k - expert's k: {name}",
                    "expert k",
                    "",
                    expert_k,
                    k,
                    k - expert_k,
                    target=0.05,
                    note=fit + ")",
                )
            )
        else:
            figures.append(
                Figure(
                    f"scaling exponent k: {name}",
                    "linear",
                    "",
                    1.0,
                    k,
                    k,
                    # Accepted at 1.15 while AndDone has no expert to compare with.
                    target=1.15,
                    note=fit + "; no expert for this provider, judged against linear)",
                )
            )
    for provider, label in (("mastercard", "reportCustomFields"), ("anddone", "EventBody")):
        if not is_registered(provider):
            figures.append(
                Figure(f"scaling: {provider} ({label} grows)", "", "", pending=_pending(provider))
            )
    return series, figures


def print_scaling_table(series: list[Series]) -> None:
    """Time per call and throughput at each body size."""
    print(f"\n{'series':<60} {'body':>10} {'per call':>12} {'MB/s':>8}")
    for line in series:
        for size, seconds in zip(line.sizes, line.seconds, strict=True):
            print(
                f"{line.label:<60} {size:>10} {_fmt(seconds, 's'):>12} {size / seconds / 1e6:>8.1f}"
            )


def plot(series: list[Series], path: Path) -> None:
    """Save the scaling run as a log-log plot of time per call, with throughput beside it."""
    import matplotlib  # noqa: PLC0415 - a dev dependency, needed only with --plot

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for line in series:
        style = "--" if line.label.startswith("expert") else "-"
        left.plot(line.sizes, [s * 1e6 for s in line.seconds], style, marker="o", label=line.label)
        rates = [z / s / 1e6 for z, s in zip(line.sizes, line.seconds, strict=True)]
        right.plot(line.sizes, rates, style, marker="o")
    left.set(xscale="log", yscale="log", xlabel="body size (bytes)", ylabel="time per parse (us)")
    left.set_title("parse() time: a straight line of slope 1 is linear")
    right.set(xscale="log", xlabel="body size (bytes)", ylabel="throughput (MB/s)")
    right.set_title("throughput")
    left.legend(fontsize=7)
    for axis in (left, right):
        axis.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --------------------------------------------------------------------------- main


def _environment() -> Iterator[str]:
    import platform  # noqa: PLC0415

    import pydantic  # noqa: PLC0415

    yield f"python {platform.python_version()} ({platform.machine()}), pydantic {pydantic.VERSION}"
    yield f"webhook_payloads {webhook_payloads.__version__}; providers: " + ", ".join(
        p.value for p in registered_providers()
    )


def main(argv: list[str] | None = None) -> int:
    """Run every measurement, print each figure with its baseline and ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny run: checks the script works")
    parser.add_argument("--plot", type=Path, help="save the scaling plot (PNG) here")
    parser.add_argument("--json", type=Path, help="save every figure as JSON here")
    args = parser.parse_args(argv)

    if args.smoke:
        pairs, sample, runs, sizes, scale_pairs = 3, 0.002, 2, (200, 16 << 10, 1 << 20), 1
        held = 2_000
    else:
        pairs, sample, runs, sizes, scale_pairs = 61, 0.02, 30, SIZES, 15
        held = 100_000
    print("webhook_payloads benchmark" + (" (SMOKE: figures not meaningful)" if args.smoke else ""))
    for line in _environment():
        print(line)
    gc.collect()

    figures: list[Figure] = []
    sections: list[tuple[str, Callable[[], Iterable[Figure]]]] = [
        (
            "Webhook.parse() and parse() against the expert: medians of paired runs",
            lambda: hot_path_figures(pairs, sample),
        ),
        (
            "the limit (core validator + one prepared HMAC) and parse()'s own cost (reported)",
            lambda: limit_figures(pairs, sample),
        ),
        (
            "Webhook.parse() with each web framework's request.headers (reported)",
            lambda: framework_figures(pairs, sample),
        ),
        ("import and first use: fresh interpreters, interleaved", lambda: import_figures(runs)),
        ("memory: peak RSS of fresh interpreters", lambda: memory_figures(max(1, runs // 6))),
        ("memory per held event: tracemalloc", lambda: held_memory_figures(held)),
    ]
    for title, measure in sections:
        _print_header(title)
        for figure in measure():
            print(figure.row(), flush=True)
            figures.append(figure)
    _print_header("scaling: 200 B .. 1 MiB")
    series, scale = scaling(sizes, scale_pairs, sample * 2)
    for figure in scale:
        print(figure.row(), flush=True)
        figures.append(figure)
    print_scaling_table(series)
    if args.plot:
        plot(series, args.plot)
        print(f"\nplot saved to {args.plot}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "figures": [f.__dict__ for f in figures],
                    "scaling": [s.__dict__ for s in series],
                },
                indent=2,
            )
        )

    judged = [f for f in figures if f.met is not None]
    missed = [f.name for f in judged if not f.met]
    pending = [f.name for f in figures if f.pending]
    print()
    if args.smoke:
        print("smoke run finished: the script works; run without --smoke for figures")
        return 0
    print(f"targets met: {len(judged) - len(missed)} of {len(judged)}", end="")
    print(f"; pending: {len(pending)}" if pending else "")
    if missed:
        print("NOT MET: " + "; ".join(missed))
        return 1
    print("every measured target met" + (" (some figures pending)" if pending else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
