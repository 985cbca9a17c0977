"""Check in headless Chromium that no code token in a provider page's tables breaks across lines.

    pip install -e ".[docs]"
    apt-get install chromium              # or any Chromium/Chrome; pass its path with --browser
    python tools/check_docs_tables.py                      # build the site, check every page
    python tools/check_docs_tables.py --screenshots shots  # and keep one screenshot per page

The site is built with ``mkdocs build --strict`` into a temporary directory and served on
127.0.0.1 (an ephemeral port) for as long as the check takes. Each provider page is opened at
1280 px wide; a script measures every ``<code>`` inside a table cell, and a token whose
fragments lie on more than one line (``ReportGenerat`` / ``ed``) fails the check. The browser
runs with a fresh profile and its background networking off; the page's own requests for web
fonts fail offline, and the fallback fonts are laid out instead, which the check does not need.

Exit status 0 when every page is clean, 1 with the broken tokens listed otherwise.
"""

from __future__ import annotations

import argparse
import functools
import html
import json
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from webhook_payloads.testing import providers

ROOT = Path(__file__).resolve().parent.parent
PAGES = tuple(sorted(providers()))  # each provider's page is docs/providers/<id>.md
WIDTH = 1280
MAX_SHOT_HEIGHT = 16_000  # what Chromium renders in one screenshot without tiling

# Run once the page and its scripts have loaded: one line per fragment top, per code element.
MEASURE = """
<script>
addEventListener("load", () => {
  const broken = [];
  const cells = document.querySelectorAll("td code, th code");
  for (const code of cells) {
    const lines = new Set([...code.getClientRects()].map((rect) => Math.round(rect.top)));
    if (lines.size > 1) broken.push(code.textContent);
  }
  const out = document.createElement("pre");
  out.id = "code-in-cells";
  const height = document.documentElement.scrollHeight;
  out.textContent = JSON.stringify({ count: cells.length, broken, height });
  document.body.append(out);
});
</script>
"""
RESULT = re.compile(r'<pre id="code-in-cells">(.*?)</pre>', re.DOTALL)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        """Serve without a line per request."""


def build_site(target: Path) -> None:
    """``mkdocs build --strict`` of the project's docs into ``target``."""
    subprocess.run(  # noqa: S603 - our own interpreter and mkdocs
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-d", str(target)],
        cwd=ROOT,
        check=True,
    )


def add_measuring_pages(site: Path) -> None:
    """Beside each provider page, a copy with the measuring script (same folder: same links)."""
    for page in PAGES:
        original = site / "providers" / page / "index.html"
        text = original.read_text(encoding="utf-8")
        (original.parent / "check.html").write_text(
            text.replace("</body>", MEASURE + "</body>", 1), encoding="utf-8"
        )


def browser_command(browser: str, profile: Path, *extra: str) -> list[str]:
    """Chromium, headless, with nothing of its own reaching the network."""
    return [
        browser,
        "--headless",
        "--no-sandbox",  # root in a container has no user namespace to sandbox with
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=10000",
        *extra,
    ]


def measure(browser: str, profile: Path, url: str) -> dict[str, Any]:
    """The page's ``{"count": code elements in cells, "broken": their texts, "height": px}``."""
    dom = subprocess.run(  # noqa: S603 - the browser named on our own command line
        browser_command(browser, profile, f"--window-size={WIDTH},1000", "--dump-dom", url),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    found = RESULT.search(dom)
    if found is None:
        raise RuntimeError(f"the measuring script did not run on {url}")
    result: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    return result


def screenshot(browser: str, profile: Path, url: str, output: Path, height: int) -> None:
    """A 1280 px wide screenshot of the whole page (of its first 16,000 px if longer)."""
    size = f"--window-size={WIDTH},{min(height, MAX_SHOT_HEIGHT)}"
    subprocess.run(  # noqa: S603 - the browser named on our own command line
        browser_command(browser, profile, size, f"--screenshot={output}", url),
        capture_output=True,
        check=True,
        timeout=120,
    )


def main(argv: list[str] | None = None) -> int:
    """Build, serve, measure each provider page; 1 if a code token breaks across lines."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--browser", default="chromium")
    parser.add_argument("--site", type=Path, help="an already built site (skips the build)")
    parser.add_argument("--screenshots", type=Path, help="write <page>.png here")
    args = parser.parse_args(argv)
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as work:
        site = Path(work) / "site"
        if args.site is None:
            build_site(site)
        else:
            shutil.copytree(args.site, site)
        add_measuring_pages(site)
        handler = functools.partial(_QuietHandler, directory=str(site))
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        failures = 0
        try:
            base = f"http://127.0.0.1:{server.server_address[1]}/providers"
            for page in PAGES:
                profile = Path(tempfile.mkdtemp(dir=work))
                url = f"{base}/{page}/check.html"
                result = measure(args.browser, profile, url)
                broken = result["broken"]
                failures += bool(broken)
                status = "broken: " + ", ".join(sorted(set(broken))) if broken else "ok"
                sys.stdout.write(f"{page}: {result['count']} code elements in cells, {status}\n")
                if args.screenshots is not None:
                    args.screenshots.mkdir(parents=True, exist_ok=True)
                    shot = (args.screenshots / f"{page}.png").resolve()
                    screenshot(args.browser, profile, url, shot, result["height"])
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)
    sys.stdout.write(f"checked {len(PAGES)} pages in {time.monotonic() - started:.1f} s\n")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
