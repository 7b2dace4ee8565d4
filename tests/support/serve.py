"""`python -m vahti serve` as a real process, answering /healthz before the test goes on."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


@contextmanager
def vahti_serve(
    port: int, *, cwd: Path, env: dict[str, str], log_path: Path, wait: float = 30
) -> Iterator[subprocess.Popen[str]]:
    """Start `vahti serve` on 127.0.0.1:`port` with `env` (its output into `log_path`), wait
    until /healthz answers 200, and stop it (terminate, then kill) when the block ends."""
    base_url = f"http://127.0.0.1:{port}"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "vahti", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=cwd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            deadline = time.monotonic() + wait
            while True:
                if process.poll() is not None:
                    raise AssertionError(f"vahti serve exited: {log_path.read_text()}")
                try:
                    if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"vahti serve did not answer /healthz within {wait:g} s")
                time.sleep(0.2)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
