"""The peers' own throwaway virtualenvs, installed from the pinned lists in requirements/.

Each peer gets a virtualenv under the cache folder, named after a hash of its list and the
Python it is made with, so a changed pin or interpreter makes a new one; nothing is ever
installed into the project's environment.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
DONE = ".installed"  # written last: a virtualenv without it was interrupted and is made again


def default_root() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "samskap-peers"


def interpreter_version(python: str) -> str:
    return subprocess.run([python, "-c", "import sys; print(sys.version)"], check=True, capture_output=True,
                          text=True).stdout.strip()  # fmt: skip


def peer_python(peer: str, root: Path, python: str) -> Path:
    """The python of `peer`'s virtualenv, made and installed first if it is not there yet."""
    requirements = HERE / "requirements" / f"{peer}.txt"
    digest = hashlib.sha256(requirements.read_bytes() + interpreter_version(python).encode()).hexdigest()[:12]
    venv = root / f"{peer}-{digest}"
    bin_python = venv / "bin" / "python"
    if (venv / DONE).exists():
        return bin_python
    print(f"Installing {peer} (pinned in {requirements.relative_to(HERE.parents[1])}) into {venv} …", flush=True)
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(bin_python), "-m", "pip", "install", "--quiet", "--requirement", str(requirements)],
                   check=True)  # fmt: skip
    (venv / DONE).write_text(requirements.read_text())
    return bin_python
