"""Test helpers: the dashboard served by a real Streamlit process on a loopback port, for the browser tests."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.request import urlopen

import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(base: str, seconds: float = 60) -> None:
    """Until Streamlit's health check answers ok; the test fails after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if urlopen(f"{base}/_stcore/health", timeout=1).read() == b"ok":
                return
        except OSError:
            time.sleep(0.25)
    pytest.fail(f"streamlit did not start at {base}")


@contextlib.contextmanager
def streamlit(env: dict[str, str], *args: str, script: str = "dashboard.py", cwd: Path = ROOT,
              drop: tuple[str, ...] = (), seconds: float = 60) -> Iterator[str]:
    """`python -m streamlit run <script>` headless on a free loopback port, with `env` added to this process's
    environment (less the names in `drop`) and extra command-line `args`; yields its base address and stops it."""
    port = free_port()
    environ = {k: v for k, v in {**os.environ, **env}.items() if k not in drop}
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true",
                             "--server.port", str(port), "--server.address", "127.0.0.1", *args],
                            cwd=cwd, env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, seconds)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)
