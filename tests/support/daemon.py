"""`vahti run` and `vahti worker` as real processes, and waiting for what they do."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

# Small intervals, so that a test sees a daemon's life in seconds.
FAST = {
    "VAHTI_SCHEDULER__LEASE_TTL_SECONDS": "2",
    "VAHTI_SCHEDULER__LEASE_RENEW_SECONDS": "0.4",
    "VAHTI_SCHEDULER__SOURCE_SYNC_SECONDS": "0.5",
    "VAHTI_SCHEDULER__DIGEST_TICK_SECONDS": "0.5",
    "VAHTI_SCHEDULER__WORKER_POLL_SECONDS": "0.3",
    "VAHTI_SCHEDULER__CRAWL_JITTER_SECONDS": "0",
    "VAHTI_SCHEDULER__STOP_TIMEOUT_SECONDS": "10",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(check: Callable[[], T], timeout: float, what: str, every: float = 0.1) -> T:
    """Poll `check` until it returns something true; fail naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(every)


class VahtiProcess:
    """`python -m vahti ARGS` in `cwd`, its output (logs) kept in a file."""

    def __init__(self, name: str, args: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.name = name
        self.log_path = cwd / f"{name}.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "vahti", *args],
            cwd=cwd,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, text: str, timeout: float = 30) -> None:
        def seen() -> bool:
            if self.process.poll() is not None and text not in self.log():
                raise AssertionError(
                    f"{self.name} exited ({self.process.returncode}):\n{self.log()}"
                )
            return text in self.log()

        wait_for(seen, timeout, f"{text!r} in the log of {self.name}")

    def send_signal(self, sig: int) -> None:
        os.kill(self.process.pid, sig)

    def wait(self, timeout: float = 30) -> int:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired as exc:
            raise AssertionError(f"{self.name} did not exit:\n{self.log()}") from exc

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        """Send `sig` and wait for the exit code."""
        self.send_signal(sig)
        return self.wait(timeout)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self._log.close()


def started(
    processes: list[VahtiProcess], name: str, args: list[str], **kwargs: Any
) -> VahtiProcess:
    process = VahtiProcess(name, args, **kwargs)
    processes.append(process)
    return process
