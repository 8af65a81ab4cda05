"""Dynalite: a DynamoDB server that keeps items in LevelDB, for measurements moto cannot make.

moto answers every Query by walking the whole table in Python, so on moto a Query's latency grows
with the table even when it reads ten items. Dynalite (npm, maintained by the Architect
project; pynamodb knows it) stores each table and each index as a sorted LevelDB key space and answers a Query by reading the key range and stopping at `Limit`, which is how DynamoDB
serves it. It has no TransactWriteItems and no UpdateTimeToLive: fine for a benchmark, not for
the devstack (use moto or LocalStack there).

Installed on first use with npm into a cache directory (nothing in the repository), started on a
loopback port, stopped with its process.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from .aws_endpoint import is_listening

VERSION = "4.0.0"


def cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "smartalex" / f"dynalite-{VERSION}"


def install(where: Path | None = None) -> Path:
    """dynalite's cli.js, installed with npm if missing."""
    where = where or cache_dir()
    cli = where / "node_modules" / "dynalite" / "cli.js"
    if cli.exists():
        return cli
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            raise RuntimeError(f"dynalite needs Node.js and npm; `{tool}` is not on PATH "
                               "(Debian: apt-get install nodejs npm)")
    where.mkdir(parents=True, exist_ok=True)
    subprocess.run(["npm", "install", "--prefix", str(where), "--no-audit", "--no-fund",
                    "--loglevel", "error", f"dynalite@{VERSION}"], check=True)
    return cli


class Dynalite:
    """`with Dynalite(port, data_dir) as db:` serves DynamoDB on http://127.0.0.1:port."""

    def __init__(self, port: int, data_dir: Path | None = None, log_path: Path | None = None):
        self.port, self.data_dir, self.log_path = port, data_dir, log_path
        self.url = f"http://127.0.0.1:{port}"
        self._proc: subprocess.Popen | None = None

    def start(self, timeout: float = 20) -> Dynalite:
        cmd = ["node", str(install()), "--host", "127.0.0.1", "--port", str(self.port),
               "--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0"]
        if self.data_dir is not None:  # on disk, like a real store; else in memory
            cmd += ["--path", str(self.data_dir)]
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        self._proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not is_listening(self.url):
            if self._proc.poll() is not None:
                raise RuntimeError(f"dynalite exited with {self._proc.returncode}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"dynalite not ready on {self.url} after {timeout} s")
            time.sleep(0.1)

    @property
    def pid(self) -> int:
        return self._proc.pid

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(5)
        self._proc = None

    def __enter__(self) -> Dynalite:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
