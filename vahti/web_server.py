"""uvicorn inside the daemon's own event loop (`vahti run`)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI


class WebServer(uvicorn.Server):
    """uvicorn's server, minus its signal handling: the daemon owns SIGTERM and SIGINT (uvicorn
    would raise a caught signal again after its own shutdown, so the process would die of the
    signal instead of exiting 0 after draining)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    def stop(self) -> None:
        self.should_exit = True


def make_web_server(app: FastAPI, host: str, port: int) -> WebServer:
    return WebServer(
        uvicorn.Config(
            app,
            host=host,
            port=port,
            log_config=None,  # the daemon's logging, uvicorn's lines included
            access_log=False,  # /healthz is probed every few seconds
            # The app believes forwarded headers from web.trusted_proxies only (web.app); uvicorn's
            # own default would believe whatever 127.0.0.1 sends.
            proxy_headers=False,
            server_header=False,
        )
    )
