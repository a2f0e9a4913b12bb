"""The leaders' page in a real headless Chromium, as a leader on a laptop and on a phone sees it.

Skips only where Chromium or its driver is missing (CI installs them, see .ci/run). Chromium is
told that every host but 127.0.0.1 does not exist, and every request it made is checked afterwards.
The screenshot goes to $SAMSKAP_ARTIFACTS (CI keeps that folder); with SAMSKAP_UPDATE_SCREENSHOT=1
it also replaces the README's docs/leaders-overview.png.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import time
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.test_oversikt_figures import known_network
from tests.test_oversikt_web import Site, link_for, serve_site

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)) and not os.environ.get("CI"),
    reason="Chromium and chromedriver are not installed (apt-get install chromium chromium-driver)",
)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",  # root in a container has no user namespace for the sandbox
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--window-size=1280,900",
        "--lang=nb",
    ):
        options.add_argument(argument)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads)})
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.downloads = downloads  # type: ignore[attr-defined]
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
async def site(database_url: str) -> AsyncIterator[Site]:
    chat = await known_network(database_url)
    await chat.say("kari", "/samling ny 21.09 12:00 Rådhuset")
    await chat.say("kari", "/samling ny 26.10.2026 12:00 Biblioteket")
    served, runner = await serve_site(chat)
    yield served
    await served.http.close()
    await runner.cleanup()  # type: ignore[attr-defined]
    await chat.close()


def text_of(driver: object, css: str) -> str:
    return driver.find_element("css selector", css).text  # type: ignore[attr-defined]


def rows(driver: object, table_id: str) -> list[list[str]]:
    found = driver.find_elements("css selector", f"#{table_id} tbody tr")  # type: ignore[attr-defined]
    return [[cell.text for cell in row.find_elements("css selector", "th, td")] for row in found]


def requested_hosts(driver: object) -> set[str]:
    hosts = set()
    for entry in driver.get_log("performance"):  # type: ignore[attr-defined]
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            url = urlparse(message["params"]["request"]["url"])
            if url.scheme in ("http", "https", "ws", "wss"):
                hosts.add(url.hostname or "")
    return hosts


def wait_for_file(folder: Path, pattern: str) -> Path:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        done = [p for p in folder.glob(pattern) if not p.name.endswith(".crdownload")]
        if done:
            return done[0]
        time.sleep(0.1)
    raise AssertionError(f"no {pattern} was downloaded")


def save_screenshot(driver: object) -> Path:
    height = driver.execute_script("return document.documentElement.scrollHeight")  # type: ignore[attr-defined]
    driver.set_window_size(1280, min(int(height) + 40, 6000))  # type: ignore[attr-defined]
    folder = Path(os.environ.get("SAMSKAP_ARTIFACTS") or ROOT / ".ci" / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    shot = folder / "leaders-overview.png"
    driver.save_screenshot(str(shot))  # type: ignore[attr-defined]
    if os.environ.get("SAMSKAP_UPDATE_SCREENSHOT"):
        shutil.copyfile(shot, ROOT / "docs" / "leaders-overview.png")
    driver.set_window_size(1280, 900)  # type: ignore[attr-defined]
    return shot


async def test_a_leader_reads_the_overview_switches_period_and_downloads_a_table(site: Site, browser: object) -> None:
    link = await link_for(site.chat, "kari")
    await asyncio.to_thread(browser.get, link)  # type: ignore[attr-defined]

    def read_the_page() -> None:
        assert browser.current_url == site.base + "/leder/oversikt"  # type: ignore[attr-defined]
        assert text_of(browser, "h1") == "Oversikt over Demo-nettverket"
        assert rows(browser, "funnel-table")[:3] == [
            ["Ideer delt", "2"],
            ["Utprøvinger («Jeg prøver dette»)", "4"],
            ["Rapporter om hvordan det gikk", "1"],
        ]
        assert ["Vennskapsbenk i friminuttene", "1"] in rows(browser, "travelled-table")
        assert [row[0] for row in rows(browser, "participation-table")] == ["Nordby", "Sørby"]
        # The charts are drawn: three lines over the weeks, a bar per step, a cell per school and week.
        weeks = len(rows(browser, "weeks-table"))
        assert len(browser.find_elements("css selector", "#weeks-chart polyline")) == 3  # type: ignore[attr-defined]
        assert len(browser.find_elements("css selector", "#funnel-chart rect[height='16']")) == 3  # type: ignore[attr-defined]
        cells = browser.find_elements("css selector", "#participation-chart rect[width='22']")  # type: ignore[attr-defined]
        assert len(cells) == 2 * weeks
        chart = browser.find_element("css selector", "#funnel-chart")  # type: ignore[attr-defined]
        assert chart.size["width"] > 300 and chart.is_displayed()
        assert "Samling 21. sep. 2026" in browser.page_source  # type: ignore[attr-defined]
        assert "Påminnelse om å ta med en fortelling" in text_of(browser, "section:last-of-type")
        save_screenshot(browser)

        browser.find_element("link text", "Forrige semester").click()  # type: ignore[attr-defined]
        assert text_of(browser, "#period") == "1. jan. 2026 – 31. juli 2026"
        assert rows(browser, "funnel-table")[0] == ["Ideer delt", "0"]
        browser.find_element("link text", "Dette semesteret").click()  # type: ignore[attr-defined]
        browser.find_element("css selector", "a[href^='/leder/oversikt/funnel.csv']").click()  # type: ignore[attr-defined]
        downloaded = wait_for_file(browser.downloads, "*.csv")  # type: ignore[attr-defined]
        assert downloaded.name == "samskap-funnel-2026-08-01.csv"
        lines = downloaded.read_text(encoding="utf-8-sig").splitlines()
        assert lines[:2] == ["Steg,Antall", "Ideer delt,2"]

        # On a phone the page is as wide as the screen: tables scroll inside their own box.
        browser.set_window_size(390, 844)  # type: ignore[attr-defined]
        overflow = browser.execute_script(  # type: ignore[attr-defined]
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
        assert requested_hosts(browser) == {"127.0.0.1"}

    await asyncio.to_thread(read_the_page)


async def test_the_link_refuses_a_non_leader_an_expired_and_an_altered_link(site: Site, browser: object) -> None:
    chat = site.chat
    assert "nettverksledere" in (await chat.say("ola", "/samskap leder oversikt"))[0].text
    expired = await link_for(chat, "kari")
    await chat.advance(timedelta(minutes=16))
    await chat.say("kari", "/samskap leder rolle @ola nettverksleder")
    ola_link = await link_for(chat, "ola")
    await chat.say("kari", "/samskap leder rolle @ola deltaker")
    fresh = await link_for(chat, "kari")
    altered = fresh[:-4] + ("abcd" if not fresh.endswith("abcd") else "efgh")

    def open_each() -> None:
        for link, title in [
            (ola_link, "Bare nettverksledere ser denne siden"),
            (expired, "Denne lenken har gått ut"),
            (altered, "Denne lenken er ikke gyldig"),
            (site.base + "/leder/oversikt", "Åpne oversikten fra chatten"),  # no cookie was set by any of them
        ]:
            browser.get(link)  # type: ignore[attr-defined]
            assert text_of(browser, "h1") == title
            assert not browser.find_elements("css selector", "table")  # type: ignore[attr-defined]
        browser.get(fresh)  # type: ignore[attr-defined]
        assert text_of(browser, "h1") == "Oversikt over Demo-nettverket"
        assert requested_hosts(browser) == {"127.0.0.1"}

    await asyncio.to_thread(open_each)
