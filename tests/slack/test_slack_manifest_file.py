from pathlib import Path

import pytest

from adapters.cli import main

COMMITTED = Path(__file__).resolve().parents[2] / "deploy" / "slack" / "manifest.yaml"


def test_the_committed_manifest_matches_the_commands_the_bot_has(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["slack", "manifest", "--url", "https://example.org"]) == 0
    assert capsys.readouterr().out == COMMITTED.read_text(encoding="utf-8"), (
        "regenerate it: samskap slack manifest --url https://example.org > deploy/slack/manifest.yaml"
    )
