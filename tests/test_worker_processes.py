"""The workers the tests start die with the test run: a killed pytest leaves none behind."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# A stand-in for a test run that starts a worker the way `start_worker` does, then is killed outright.
KILLED_RUN = """
import subprocess, sys, os
sys.path[:0] = ["tests", "."]
from worker_processes import _die_with_the_tests
worker = subprocess.Popen(["sleep", "60"], stdout=subprocess.DEVNULL, preexec_fn=_die_with_the_tests)
print(worker.pid, flush=True)
os._exit(1)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="the parent-death signal is Linux's")
def test_a_worker_dies_when_the_run_that_started_it_is_killed() -> None:
    run = subprocess.run([sys.executable, "-c", KILLED_RUN], cwd=ROOT, capture_output=True, text=True, timeout=60)
    worker = int(run.stdout.split()[0])
    for _ in range(200):
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            return
        time.sleep(0.025)
    os.kill(worker, 9)
    raise AssertionError("the worker outlived the run that started it")
