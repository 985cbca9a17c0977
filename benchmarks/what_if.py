"""What two of the library's guarantees cost on the small signed Payscore call, measured.

Usage (from the repository root, in the dev environment)::

    python benchmarks/what_if.py

``parse()`` of Payscore's signed ``REPORT_READY`` example against the expert's code (as in
``bench.py``), then again with the library changed in this process only:

- (a) the HMAC key schedule kept per key between calls, which ``DESIGN.md`` rules out ("no
  module state changes after import");
- (b) a plain ``dict`` of headers read at the documented and the lower-case spelling only,
  without proving that no other letter case of the header is present (a repeated header in
  another case would then be missed instead of refused).

Nothing here changes the installed library; it shows what each decision would buy.
"""

from __future__ import annotations

import hashlib
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench
import expert_payscore

from webhook_payloads import _headers, _signing, parse


def _measure(label: str) -> None:
    body = bench.PAYSCORE_REPORT_READY
    headers = bench.payscore_headers(body)
    key = bench.SECRET.encode()
    timing = bench.paired(
        lambda: expert_payscore.handle(body, headers, key),
        lambda: parse("payscore", body, headers, secret=bench.SECRET),
        pairs=41,
        sample_seconds=0.02,
    )
    print(
        f"{label:<52} {statistics.median(timing.baseline) * 1e6:6.2f} us"
        f" {statistics.median(timing.candidate) * 1e6:6.2f} us  {timing.ratio:.3f}"
    )


def _exact_spellings_only(headers: Any, lower_name: str, spelling: str) -> list[str] | None:
    value = headers.get(spelling)
    if value is None:
        value = headers.get(lower_name)
    return [value] if type(value) is str else None


_schedules: dict[bytes, tuple[Any, Any]] = {}


def _cached_hmac_sha256(key: bytes, data: bytes | bytearray | memoryview) -> bytes:
    pads = _schedules.get(key)
    if pads is None:
        block = (key if len(key) <= 64 else hashlib.sha256(key).digest()).ljust(64, b"\0")
        pads = (
            hashlib.sha256(block.translate(_signing._IPAD)),
            hashlib.sha256(block.translate(_signing._OPAD)),
        )
        _schedules[key] = pads
    inner = pads[0].copy()
    inner.update(data)
    outer = pads[1].copy()
    outer.update(inner.digest())
    return outer.digest()


def main() -> int:
    """Print the ratio as built and under each change."""
    assert _cached_hmac_sha256(b"k", b"body") == _signing.hmac_sha256(b"k", b"body")  # noqa: S101
    print(f"{'parse() Payscore REPORT_READY, signed':<52} {'expert':>9} {'library':>9}  ratio")
    _measure("as built")
    built_lookup, built_hmac = _headers._from_dict, _signing.hmac_sha256
    _headers._from_dict = _exact_spellings_only
    _measure("(b) dict read at two spellings, repeats unchecked")
    _headers._from_dict = built_lookup
    _signing.hmac_sha256 = _cached_hmac_sha256
    _measure("(a) HMAC key schedule kept per key")
    _headers._from_dict = _exact_spellings_only
    _measure("(a) and (b)")
    _headers._from_dict, _signing.hmac_sha256 = built_lookup, built_hmac
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
