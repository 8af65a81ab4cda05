"""benchmarks/diagnostics.py keeps working, and what it exists to show holds: each of a number's
Diagnostics lists reads at most 100 (calls) or 50 (errors) items, however many calls are stored.
Latency is the benchmark's business (it prints figures); this asserts no time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_diagnostics_benchmark_reads_the_same_items_with_a_longer_history():
    run = subprocess.run(
        [sys.executable, "benchmarks/diagnostics.py", "--store", "moto", "--calls", "300",
         "--repetitions", "3"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)

    assert run.returncode == 0, run.stderr[-3000:]
    out = run.stdout
    assert "100 calls stored" in out and "400 calls stored" in out
    assert out.count("listed: 10 calls, 5 errors; items read per query: calls 100, "
                     "errors 50") == 2
    assert "items read per list query: {'calls': 100, 'errors': 50} -> " \
           "{'calls': 100, 'errors': 50}" in out
