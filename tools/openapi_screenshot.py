"""Screenshot FastAPI's /docs for webhook routes, to see what Swagger UI makes of the document.

    pip install uvicorn fastapi-offline   # Swagger UI's files, served by the app itself
    apt-get install chromium              # or any Chromium/Chrome; pass its path with --browser
    python tools/openapi_screenshot.py docs/integrations/fastapi-openapi.png

The app listens on 127.0.0.1 only, for as long as the screenshot takes. Swagger UI's script and
stylesheet come from the fastapi-offline package rather than a CDN, so no network is needed.
"""

# No "from __future__ import annotations": FastAPI reads the endpoints' annotations at run time,
# and the dependencies they name are local variables.

import argparse
import importlib.resources
import subprocess
import threading
import time
from pathlib import Path
from typing import Annotated

import uvicorn
from fastapi import Depends, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from webhook_payloads.integrations.fastapi import document_webhooks, webhook_event
from webhook_payloads.mastercard_connect import MastercardConnectEvent
from webhook_payloads.payscore import PayscoreEvent

SECRET = "example-secret"  # noqa: S105 - a demo app's secret; nothing is ever signed with it


def make_app() -> FastAPI:
    """A FastAPI app with two webhook routes and Swagger UI served from local files."""
    app = FastAPI(title="Webhook receiver", docs_url=None, redoc_url=None)
    static = importlib.resources.files("fastapi_offline") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="Webhook receiver",
            swagger_js_url="/static/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger-ui.css",
            swagger_favicon_url="/static/favicon.png",
            swagger_ui_parameters={"docExpansion": "full", "defaultModelsExpandDepth": 0},
        )

    payscore_event = webhook_event("payscore", secret=SECRET)
    connect_event = webhook_event("mastercard_connect", secret=SECRET)

    @app.post("/hooks/payscore", status_code=204)
    def payscore_hook(event: Annotated[PayscoreEvent, Depends(payscore_event)]) -> None:
        """Receive Payscore webhooks."""

    @app.post("/hooks/mastercard-connect", status_code=204)
    def connect_hook(event: Annotated[MastercardConnectEvent, Depends(connect_event)]) -> None:
        """Receive Mastercard Open Finance Connect webhooks."""

    document_webhooks(app)
    return app


def main() -> None:
    """Serve the app, screenshot /docs with headless Chromium, stop the server."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path)
    parser.add_argument("--browser", default="chromium")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--size", default="1280,2000")
    args = parser.parse_args()
    config = uvicorn.Config(make_app(), host="127.0.0.1", port=args.port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.05)
        subprocess.run(  # noqa: S603 - the browser named on our own command line
            [
                args.browser,
                "--headless",
                "--no-sandbox",  # root in a container has no user namespace to sandbox with
                "--disable-gpu",
                "--hide-scrollbars",
                "--virtual-time-budget=15000",  # let Swagger UI fetch and render the document
                f"--window-size={args.size}",
                f"--screenshot={args.output.resolve()}",
                f"http://127.0.0.1:{args.port}/docs",
            ],
            check=True,
            timeout=120,
        )
    finally:
        server.should_exit = True
        thread.join(timeout=10)


if __name__ == "__main__":
    main()
