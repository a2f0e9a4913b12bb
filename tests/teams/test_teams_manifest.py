"""`samskap teams manifest`: the app package Teams takes, from the router and the options."""

from __future__ import annotations

import asyncio
import json
import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from adapters.teams.cli import main
from adapters.teams.events import command_of
from adapters.teams.manifest import MANIFEST_VERSION
from bot.app import build_bot
from bot.config import Config
from bot.router import Router

APP_ID = "6f1d0b8e-3c4a-4d2e-9b7f-0a1b2c3d4e5f"


def router() -> Router:
    async def build() -> Router:
        bot = await build_bot(Config(database_url="sqlite:///:memory:"), migrate=False)
        await bot.db.dispose()
        return bot.router

    return asyncio.run(build())


def pixels(data: bytes) -> tuple[int, list[bytes]]:
    """The size and RGBA pixels of one of our PNGs (8-bit RGBA, filter 0 on every row)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    size = struct.unpack(">I", data[16:20])[0]
    idat = data.index(b"IDAT")
    length = struct.unpack(">I", data[idat - 4 : idat])[0]
    raw = zlib.decompress(data[idat + 4 : idat + 4 + length])
    stride = 1 + size * 4
    rows = [raw[i * stride + 1 : (i + 1) * stride] for i in range(size)]
    return size, [row[x : x + 4] for row in rows for x in range(0, len(row), 4)]


def test_the_package_has_the_manifest_its_english_strings_and_both_icons(tmp_path: Path) -> None:
    output = tmp_path / "samskap.zip"
    assert main(["manifest", "--app-id", APP_ID, "--output", str(output), "--version", "1.2.0"]) == 0
    with zipfile.ZipFile(output) as archive:
        assert sorted(archive.namelist()) == ["color.png", "en-us.json", "manifest.json", "nn-no.json", "outline.png"]
        manifest = json.loads(archive.read("manifest.json"))
        english = json.loads(archive.read("en-us.json"))
        nynorsk = json.loads(archive.read("nn-no.json"))
        colour, outline = pixels(archive.read("color.png")), pixels(archive.read("outline.png"))
    assert manifest["manifestVersion"] == MANIFEST_VERSION and f"v{MANIFEST_VERSION}/" in manifest["$schema"]
    assert manifest["id"] == APP_ID and manifest["version"] == "1.2.0"
    bot = manifest["bots"][0]
    assert bot["botId"] == APP_ID and set(bot["scopes"]) == {"team", "groupChat", "personal"}
    assert "authorization" not in manifest  # no reading of every channel message unless asked for
    assert len(manifest["description"]["short"]) <= 80
    assert manifest["localizationInfo"]["defaultLanguageTag"] == "nb-no"

    commands = bot["commandLists"][0]["commands"]
    assert 0 < len(commands) <= 10
    assert all(len(c["title"]) <= 32 and 0 < len(c["description"]) <= 128 for c in commands)
    known = router()
    titles = [c["title"] for c in commands]
    english_titles = [english[f"bots[0].commandLists[0].commands[{i}].title"] for i in range(len(commands))]
    assert {"ide", "bli-med", "samsnakk"} <= set(titles) and {"idea", "join", "talk"} <= set(english_titles)
    # Whatever the menu puts in the compose box is a command, in either language.
    nynorsk_titles = [nynorsk[f"bots[0].commandLists[0].commands[{i}].title"] for i in range(len(commands))]
    assert "idear" in nynorsk_titles or "ide" in nynorsk_titles
    assert all(command_of(title, known) is not None for title in titles + english_titles + nynorsk_titles)
    assert english["description.short"] == "Keeps a learning network learning between its meetings"

    assert colour[0] == 192 and outline[0] == 32
    assert {p[3] for p in outline[1]} == {0, 255}
    assert all(p[:3] == b"\xff\xff\xff" for p in outline[1] if p[3])  # white on transparent only


def test_reading_channel_messages_is_asked_for_only_when_wanted(tmp_path: Path) -> None:
    output = tmp_path / "samskap.zip"
    assert main(["manifest", "--app-id", APP_ID, "--output", str(output), "--channel-messages"]) == 0
    with zipfile.ZipFile(output) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    permissions = manifest["authorization"]["permissions"]["resourceSpecific"]
    assert permissions == [{"name": "ChannelMessage.Read.Group", "type": "Application"}]
    assert manifest["webApplicationInfo"]["id"] == APP_ID


@pytest.mark.parametrize("argv", [["manifest", "--app-id", "not-a-guid"],
                                  ["manifest", "--app-id", APP_ID, "--url", "http://plain.example"]])  # fmt: skip
def test_bad_options_are_refused_in_plain_words(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert "--" in capsys.readouterr().err
