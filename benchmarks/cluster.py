"""Benchmarks: N `streamlit run dashboard.py` processes on loopback, optionally behind Debian's nginx configured from
deploy/nginx-pantau.conf itself (its maps, sticky upstream and proxy settings; only the listen address, the TLS lines
and the upstream's server lines are replaced for a loopback run). Used by benchmarks/load_sessions.py and by
tests/test_deploy_nginx.py.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
NGINX_SITE = ROOT / "deploy" / "nginx-pantau.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(base: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=1) as resp:
                if resp.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{base} did not answer /_stcore/health in {seconds:.0f} s")


@dataclass
class Cluster:
    """The started processes: Streamlit servers (ports, psutil handles) and nginx when asked for."""

    ports: list[int]
    servers: list[subprocess.Popen]
    nginx: subprocess.Popen | None = None
    nginx_port: int | None = None
    workdir: Path | None = None
    procs: list[psutil.Process] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.nginx_port or self.ports[0]}"

    def rss_mib(self) -> list[float]:
        out = []
        for p in self.procs:
            try:
                out.append(round(p.memory_info().rss / 2**20, 1))
            except psutil.Error:
                out.append(0.0)
        return out

    def cpu_seconds(self) -> float:
        total = 0.0
        for p in self.procs:
            with contextlib.suppress(psutil.Error):
                t = p.cpu_times()
                total += t.user + t.system
        return total

    def stop(self) -> None:
        for proc in ([self.nginx] if self.nginx else []) + self.servers:
            if proc.poll() is None:
                proc.terminate()
        for proc in ([self.nginx] if self.nginx else []) + self.servers:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def start_servers(db: str | Path, n: int = 1, *, server_args: tuple[str, ...] = (), env: dict[str, str] | None = None,
                  cwd: Path = ROOT, log_dir: Path | None = None, cpus: set[int] | None = None) -> Cluster:
    """`n` Streamlit processes of dashboard.py on free loopback ports, each healthy before this returns; `cpus` pins
    them (and every thread they start) to those cores."""
    ports, servers = [], []
    environ = {**os.environ, "PANTAU_DB": str(db), **(env or {})}
    try:
        for i in range(n):
            port = free_port()
            out = open(log_dir / f"streamlit-{i}.log", "wb") if log_dir else subprocess.DEVNULL  # noqa: SIM115
            servers.append(subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.headless", "true",
                 "--server.address", "127.0.0.1", "--server.port", str(port), *server_args],
                cwd=cwd, env=environ, stdout=out, stderr=subprocess.STDOUT,
                preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None))
            ports.append(port)
        for port in ports:
            wait_healthy(f"http://127.0.0.1:{port}")
    except BaseException:
        Cluster(ports, servers).stop()
        raise
    return Cluster(ports, servers, procs=[psutil.Process(p.pid) for p in servers])


ROUTE_LOG = 'log_format route "$request_uri $status $upstream_addr $cookie_pantau_route";\n'


def nginx_config(ports: list[int], listen: int, prefix: Path, site: Path = NGINX_SITE, *,
                 log_route: bool = False) -> str:
    """nginx.conf for a loopback run: deploy/nginx-pantau.conf with its upstream pointed at `ports`, the HTTPS server
    listening on 127.0.0.1:`listen` without TLS, and the redirecting port-80 server left out. Every replacement must
    match, so a change to the shipped file that this does not understand fails loudly instead of testing something
    else."""
    text = site.read_text(encoding="utf-8")

    def sub(pattern: str, repl: str, count: int = 1) -> None:
        nonlocal text
        text, n = re.subn(pattern, repl, text, flags=re.M)
        if n != count:
            raise ValueError(f"{site.name}: expected {count} match(es) of {pattern!r}, found {n}")

    servers = "".join(f"    server 127.0.0.1:{p};\n" for p in ports)
    sub(r"^(upstream pantau \{\n(?:    #.*\n|    hash .*\n)*)(?:    server 127\.0\.0\.1:\d+;\n)+", r"\g<1>" + servers)
    sub(r"^server \{\n    listen 80;\n(?:.*\n)*?\}\n", "")
    sub(r"^    listen 443 ssl http2;\n", f"    listen 127.0.0.1:{listen};\n")
    sub(r"^    ssl_\w+ .*;\n", "", count=3)
    logs = prefix / "logs"
    return (f"pid {prefix}/nginx.pid;\nerror_log {logs}/error.log;\nevents {{ worker_connections 4096; }}\n"
            f"http {{\n    {ROUTE_LOG if log_route else ''}    access_log {logs}/access.log"
            f"{' route' if log_route else ''};\n    client_body_temp_path {prefix}/tmp/body;\n"
            f"    proxy_temp_path {prefix}/tmp/proxy;\n    fastcgi_temp_path {prefix}/tmp/fastcgi;\n"
            f"    uwsgi_temp_path {prefix}/tmp/uwsgi;\n    scgi_temp_path {prefix}/tmp/scgi;\n"
            f"{text}}}\n")


def start_nginx(cluster: Cluster, workdir: Path, *, log_route: bool = False) -> Cluster:
    """Debian's nginx in the foreground (`-p` prefix, `-c` a config written to `workdir`) in front of `cluster`: one
    process that needs no user switch (`master_process off`), so it runs as whoever runs this."""
    workdir.mkdir(parents=True, exist_ok=True)
    for sub in ("logs", "tmp"):
        (workdir / sub).mkdir(exist_ok=True)
    port = free_port()
    conf = workdir / "nginx.conf"
    conf.write_text(nginx_config(cluster.ports, port, workdir, log_route=log_route), encoding="utf-8")
    check = subprocess.run([NGINX, "-t", "-p", str(workdir), "-c", str(conf)], capture_output=True, text=True)
    if check.returncode:
        raise RuntimeError(f"nginx -t failed:\n{check.stderr}")
    cluster.nginx = subprocess.Popen(
        [NGINX, "-p", str(workdir), "-c", str(conf), "-g", "daemon off; master_process off;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cluster.nginx_port, cluster.workdir = port, workdir
    wait_healthy(cluster.url, 30)
    return cluster
