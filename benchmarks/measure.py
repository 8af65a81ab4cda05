"""What the benchmarks share: the local AWS endpoint they run against, and how they read a
process tree's memory and CPU from /proc."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from devstack import aws_endpoint
from devstack.pbx import free_port


def local_aws(stack: contextlib.ExitStack) -> aws_endpoint.EmbeddedMoto:
    """The local AWS endpoint (moto in its own process), provisioned, and this process (and the
    children it starts) pointed at it; stopped with `stack`."""
    moto = aws_endpoint.EmbeddedMoto(port=free_port()).start()
    stack.callback(moto.stop)
    aws_endpoint.use_endpoint(moto.url)
    aws_endpoint.provision(queue_visibility_timeout=5)
    return moto


def pss_kib(pid: int) -> int:
    """Proportional set size: shared pages split between the processes that share them."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def process_tree(root: int) -> list[int]:
    """`root` and its direct children (the edge supervisor and its workers)."""
    children = Path(f"/proc/{root}/task/{root}/children").read_text().split()
    return [root, *map(int, children)]


def cpu_seconds(*pids: int) -> float:
    """User + system CPU the processes have used so far (gone ones count 0)."""
    ticks, total = os.sysconf("SC_CLK_TCK"), 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks
