"""The deploy files and the package work as shipped, checked as far as this machine allows."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"


# -- Docker ---------------------------------------------------------------------------------------
def test_the_image_runs_as_a_user_who_owns_the_data_volume_under_an_init() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    base = re.search(r"^FROM (\S+)", dockerfile, re.MULTILINE)
    assert base and re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+", base.group(1)), "base image pinned to a release"
    assert re.search(r"^USER samskap$", dockerfile, re.MULTILINE)
    assert "chown samskap:samskap /data" in dockerfile and 'VOLUME ["/data"]' in dockerfile
    assert "SAMSKAP_DATABASE_URL=sqlite:////data/samskap.db" in dockerfile  # the default SQLite is writable
    assert 'ENTRYPOINT ["/usr/bin/tini", "--"' in dockerfile
    assert "/healthz" in dockerfile.split("HEALTHCHECK", 1)[1]
    ignored = [line for line in (ROOT / ".dockerignore").read_text().splitlines() if not line.startswith("#")]
    assert ignored[0] == "*" and "!bot/" in ignored  # only what the image needs goes to the build


def test_compose_runs_postgres_a_migration_and_two_healthy_workers_behind_one_port() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "migrate", "samskap", "proxy"}
    assert services["samskap"]["deploy"]["replicas"] == 2
    assert services["samskap"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("postgres", "samskap"):
        assert services[name]["healthcheck"]["test"], name
    assert "/readyz" in " ".join(services["samskap"]["healthcheck"]["test"])
    assert services["proxy"]["ports"] == ["3000:3000"] and "ports" not in services["samskap"]
    assert "postgres-data" in compose["volumes"]
    assert (DEPLOY / "env.example").exists() and (DEPLOY / "nginx.conf").exists()


def test_docker_compose_accepts_the_file() -> None:
    docker = shutil.which("docker")
    if docker is None or subprocess.run([docker, "compose", "version"], capture_output=True).returncode != 0:
        pytest.skip("docker compose is not installed here; the file is checked by parsing above")
    env = {"POSTGRES_PASSWORD": "test", "PATH": "/usr/bin:/bin"}
    (DEPLOY / ".env").write_text("") if not (DEPLOY / ".env").exists() else None
    result = subprocess.run([docker, "compose", "-f", str(DEPLOY / "compose.yaml"), "config", "-q"], env=env,
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0, result.stderr


# -- systemd --------------------------------------------------------------------------------------
def _systemd_analyze() -> str:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed here")
    return tool


def test_the_systemd_unit_is_rated_ok_by_systemd_analyze_security(tmp_path: Path) -> None:
    unit = tmp_path / "samskap.service"
    shutil.copy(DEPLOY / "samskap.service", unit)
    result = subprocess.run([_systemd_analyze(), "security", "--offline=true", "--no-pager", str(unit)],
                            capture_output=True, text=True)  # fmt: skip
    score = re.search(r"Overall exposure level for samskap.service: ([\d.]+)", result.stdout)
    assert score, result.stdout + result.stderr
    assert float(score.group(1)) <= 3.0, result.stdout


def test_the_systemd_unit_verifies_and_keeps_its_state_where_sqlite_can_write(tmp_path: Path) -> None:
    text = (DEPLOY / "samskap.service").read_text()
    assert "StateDirectory=samskap" in text and "sqlite:////var/lib/samskap/" in text
    assert "DynamicUser=yes" in text and "Wants=network-online.target" in text
    assert "db upgrade" not in text.split("[Service]")[1].split("#")[0]  # `run` migrates: not twice
    unit = tmp_path / "samskap.service"
    shutil.copy(DEPLOY / "samskap.service", unit)
    result = subprocess.run([_systemd_analyze(), "verify", str(unit)], capture_output=True, text=True)
    # The program is not installed on this machine; anything else systemd says is a fault in the unit.
    complaints = [line for line in result.stderr.splitlines() if line and "is not executable" not in line]
    assert complaints == []


# -- Kubernetes -----------------------------------------------------------------------------------
def _manifests() -> dict[str, dict]:
    found = {}
    for path in sorted((DEPLOY / "kubernetes").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            assert {"apiVersion", "kind", "metadata"} <= set(doc), path.name
            found[doc["kind"]] = doc
    return found


def test_kubernetes_manifests_have_probes_secret_config_and_a_migration_job() -> None:
    manifests = _manifests()
    assert {"Deployment", "Service", "Secret", "ConfigMap", "Job"} <= set(manifests)
    [container] = manifests["Deployment"]["spec"]["template"]["spec"]["containers"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert {"secretRef": {"name": "samskap"}} in container["envFrom"]
    [job] = manifests["Job"]["spec"]["template"]["spec"]["containers"]
    assert job["args"] == ["db", "upgrade"]
    assert "Discord" in (DEPLOY / "kubernetes" / "README.md").read_text()


# -- the package ----------------------------------------------------------------------------------
def test_the_sdist_carries_tests_fakes_docs_deploy_and_the_license(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", str(tmp_path), str(ROOT)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    [sdist] = tmp_path.glob("samskap-*.tar.gz")
    with tarfile.open(sdist) as tar:
        names = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
        pkg_info = tar.extractfile(next(n for n in tar.getnames() if n.endswith("/PKG-INFO") and n.count("/") == 1))
        metadata = pkg_info.read().decode() if pkg_info else ""
    for needed in ("LICENSE", "tests/conftest.py", "tests/slack/fake_slack.py", "tests/discord/fake_discord.py",
                   "tests/digest_server.py", "docs/slack.md", "deploy/Dockerfile", "deploy/compose.yaml",
                   "bot/locale/nb/core.po"):  # fmt: skip
        assert needed in names, needed
    assert "License-Expression: MIT" in metadata and "Classifier: Topic :: Education" in metadata
    assert "Project-URL: Source" in metadata
