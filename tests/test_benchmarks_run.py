"""The documented benchmark commands still run, at a small size, and pass their own checks (the
figures themselves are measured by running them in full: README, "Benchmarks")."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


RUNS = [
    (["core_commands", "--db", "sqlite", "--members", "8", "--commands", "5", "--trials", "1", "--think", "0.01"],
     "OK: no errors"),
    (["pairing_db", "--db", "sqlite", "--members", "300", "--schools", "12", "--rounds", "2"], "OK"),
    (["slack", "--members", "4", "--commands", "2"], "OK: every command acknowledged"),
    (["memory", "--adapter", "memory", "--first", "100", "--total", "200"], "RSS after 100 commands"),
]  # fmt: skip


@pytest.mark.parametrize(("arguments", "printed"), [pytest.param(*run, id=run[0][0]) for run in RUNS])
def test_a_benchmark_runs_and_passes_its_own_checks(arguments: list[str], printed: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", f"benchmarks.{arguments[0]}", *arguments[1:]],
        cwd=ROOT, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert printed in done.stdout
