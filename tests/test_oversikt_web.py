"""The leaders' page over HTTP: the link from the chat, the session cookie, the page, the CSVs."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
from yarl import URL

from adapters.memory import Chat
from adapters.ops_http import application, serve_http
from adapters.web import leader_routes
from bot.config import Config, check_config, load_config
from bot.features.oversikt.service import OverviewService
from bot.messages import Links
from tests.support import free_port
from tests.test_oversikt_figures import known_network


class Site:
    """samskap's HTTP port on loopback, and a browser-like client with its own cookie jar."""

    def __init__(self, chat: Chat, port: int) -> None:
        self.chat, self.base = chat, f"http://127.0.0.1:{port}"
        # Cookies for an IP address are refused unless the jar is told otherwise.
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))

    async def link_for(self, name: str) -> str:
        return await link_for(self.chat, name)

    async def get(self, url: str, **kw: object) -> tuple[int, str, aiohttp.ClientResponse]:
        async with self.http.get(url if url.startswith("http") else self.base + url, **kw) as response:  # type: ignore[arg-type]
            return response.status, await response.text(), response


async def link_for(chat: Chat, name: str) -> str:
    """The address in the answer to `name`'s `/samskap leder oversikt`."""
    replies = await chat.say(name, "/samskap leder oversikt")
    links = [link.url for p in replies[0].message.parts if isinstance(p, Links) for link in p.links]
    assert links, replies[0].text
    return links[0]


async def serve_site(chat: Chat) -> tuple[Site, object]:
    port = free_port()
    app = application()
    leader_routes(app, chat.bot, {"local_url": f"http://127.0.0.1:{port}"})
    runner = await serve_http(app, "127.0.0.1", port)
    return Site(chat, port), runner


@pytest.fixture
async def site(any_database_url: str) -> AsyncIterator[Site]:
    chat = await known_network(any_database_url)
    served, runner = await serve_site(chat)
    yield served
    await served.http.close()
    await runner.cleanup()  # type: ignore[attr-defined]
    await chat.close()


def cells(html: str, table_id: str) -> list[list[str]]:
    """The text of each row of a table, header included."""
    table = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)
    ]


async def test_a_leader_opens_the_link_and_sees_the_circle_in_numbers(site: Site) -> None:
    link = await site.link_for("kari")
    assert link.startswith(site.base + "/leder/lenke/")
    status, html, response = await site.get(link)
    assert status == 200 and response.url.path == "/leder/oversikt"  # the token left the address bar
    assert "<h1>Oversikt over Demo-nettverket</h1>" in html
    funnel = cells(html, "funnel-table")
    assert funnel[1:4] == [
        ["Ideer delt", "2"],
        ["Utprøvinger («Jeg prøver dette»)", "4"],
        ["Rapporter om hvordan det gikk", "1"],
    ]
    assert ["Utprøvinger ved en annen skole enn ideens", "3"] in funnel
    assert "2 ideer reiste til en annen skole" in html
    assert ["Vennskapsbenk i friminuttene", "1"] in cells(html, "travelled-table")
    participation = cells(html, "participation-table")
    assert [row[0] for row in participation[1:]] == ["Nordby", "Sørby"]  # Vestby and Østby: too few
    assert participation[0][2:4] == ["uke 31", "uke 32"] and participation[1][1] == "3"
    assert "2 skoler har for få medlemmer til å vises." in html
    assert 'id="funnel-chart"' in html and 'id="participation-chart"' in html


async def test_the_session_cookie_is_http_only_lax_and_scoped_to_the_leaders_pages(site: Site) -> None:
    link = await site.link_for("kari")
    status, _, response = await site.get(link, allow_redirects=False)
    assert status == 303 and response.headers["Location"] == "/leder/oversikt"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/leder" in cookie
    assert "Secure" not in cookie  # served over plain http on loopback
    assert "Max-Age=14400" in cookie


async def test_the_cookie_is_secure_when_the_public_address_is_https(site: Site) -> None:
    site.chat.bot.config.sections["web"] = {"base_url": "https://samskap.example.kommune.no"}
    link = await site.link_for("kari")
    assert link.startswith("https://samskap.example.kommune.no/leder/lenke/")
    local = site.base + URL(link).path
    _, _, response = await site.get(local, allow_redirects=False)
    assert "Secure" in response.headers["Set-Cookie"]


async def test_an_expired_or_altered_link_gets_a_plain_page_saying_so(site: Site) -> None:
    link = await site.link_for("kari")
    await site.chat.advance(timedelta(minutes=16))
    status, html, _ = await site.get(link)
    assert status == 403 and "Denne lenken har gått ut" in html
    assert "Set-Cookie" not in _.headers

    fresh = await site.link_for("kari")
    token = fresh.rsplit("/", 1)[1]
    altered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    status, html, _ = await site.get(f"/leder/lenke/{altered}")
    assert status == 403 and "Denne lenken er ikke gyldig" in html
    # Another member's id in a link signed for kari is an altered link too.
    status, html, _ = await site.get(f"/leder/lenke/{token.replace('.', 'x.', 1)}")
    assert status == 403 and "ikke gyldig" in html


async def test_a_non_leader_gets_no_link_and_a_demoted_leader_loses_the_page(site: Site) -> None:
    replies = await site.chat.say("ola", "/samskap leder oversikt")
    assert "nettverksledere" in replies[0].text
    assert not [p for p in replies[0].message.parts if isinstance(p, Links)]

    status, _, _ = await site.get("/leder/oversikt")
    assert status == 401  # no cookie: the page says to ask for a link
    await site.chat.say("kari", "/samskap leder rolle @ola nettverksleder")
    link = await site.link_for("ola")
    assert (await site.get(link))[0] == 200
    await site.chat.say("kari", "/samskap leder rolle @ola deltaker")
    status, html, _ = await site.get("/leder/oversikt")
    assert status == 403 and "Bare nettverksledere ser denne siden" in html
    status, _, _ = await site.get(link)  # the link, still within its minutes, is refused too
    assert status == 403


async def test_an_altered_cookie_and_a_stale_one_are_refused(site: Site) -> None:
    await site.get(await site.link_for("kari"))
    for cookie in site.http.cookie_jar:
        site.http.cookie_jar.update_cookies({cookie.key: cookie.value[:-2] + "xx"}, URL(site.base + "/leder/"))
    assert (await site.get("/leder/oversikt"))[0] == 401
    await site.get(await site.link_for("kari"))
    assert (await site.get("/leder/oversikt"))[0] == 200
    await site.chat.advance(timedelta(hours=4, minutes=1))
    assert (await site.get("/leder/oversikt"))[0] == 401


async def test_switching_period_and_downloading_a_table_as_csv(site: Site) -> None:
    await site.get(await site.link_for("kari"))
    status, html, _ = await site.get("/leder/oversikt?period=last-term")
    assert status == 200 and '<p id="period">1. jan. 2026 – 31. juli 2026</p>' in html
    assert cells(html, "funnel-table")[1] == ["Ideer delt", "0"]
    assert 'href="/leder/oversikt?period=last-term" aria-current="page"' in html
    status, text, response = await site.get("/leder/oversikt/funnel.csv?period=term")
    assert status == 200 and response.headers["Content-Type"].startswith("text/csv")
    assert 'filename="samskap-funnel-2026-08-01.csv"' in response.headers["Content-Disposition"]
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[0] == "Steg,Antall" and lines[1] == "Ideer delt,2"
    _, weeks, _ = await site.get("/leder/oversikt/weeks.csv")
    assert "uke 37,2026-09-07,2,4,0" in weeks
    assert (await site.get("/leder/oversikt/members.csv"))[0] == 404


async def test_the_page_is_in_the_leaders_language_and_loads_nothing_from_elsewhere(site: Site) -> None:
    await site.chat.say("kari", "/samskap innstillinger språk en")
    status, html, response = await site.get(await site.link_for("kari"))
    assert status == 200 and '<html lang="en">' in html and "Overview of Demo-nettverket" in html
    assert "2 ideas travelled to another school" in html
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script" not in csp
    assert response.headers["Referrer-Policy"] == "no-referrer" and response.headers["Cache-Control"] == "no-store"
    assert "<script" not in html
    # Every address the page names is its own (the SVG namespace is a name, not a request).
    addresses = re.findall(r'(?:href|src)="([^"]+)"', html)
    assert addresses and all(a.startswith("/leder/") for a in addresses)


async def test_school_names_are_escaped_on_the_page_and_in_the_csv(database_url: str) -> None:
    chat = await Chat.start(database_url)
    for name in ("kari", "kai", "kim"):
        await chat.say(name, '/samskap bli-med =HYPERLINK("x")<b>skole</b>')
    await chat.say("kari", "/ide Klassemøter")
    served, runner = await serve_site(chat)
    try:
        await served.get(await served.link_for("kari"))
        _, html, _ = await served.get("/leder/oversikt")
        assert "<b>skole</b>" not in html and "&lt;b&gt;skole&lt;/b&gt;" in html
        _, text, _ = await served.get("/leder/oversikt/participation.csv")
        assert '\n"\'=HYPERLINK(""x"")<b>skole</b>"' in text  # a spreadsheet reads it as text
    finally:
        await served.http.close()
        await runner.cleanup()  # type: ignore[attr-defined]
        await chat.close()


async def test_links_stay_valid_across_workers_sharing_the_database(any_database_url: str) -> None:
    chat = await known_network(any_database_url)
    other = await Chat.start(any_database_url, clock=chat.clock)  # a second worker, no key configured
    served, runner = await serve_site(other)
    try:
        chat.bot.config.sections["web"] = {"base_url": "https://samskap.kommune.no"}
        link = await link_for(chat, "kari")
        status, _, _ = await served.get(served.base + URL(link).path)
        assert status == 200
    finally:
        await served.http.close()
        await runner.cleanup()  # type: ignore[attr-defined]
        await other.close()
        await chat.close()


async def test_a_configured_key_signs_the_links(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAMSKAP_WEB_SECRET", "a key from the operator, shared by every worker")
    chat = await known_network(database_url)
    try:
        signer = await chat.bot.services.get(OverviewService).signer()
        from itsdangerous import URLSafeSerializer

        token = signer.link(1, 1, chat.clock.now())
        expected = URLSafeSerializer("a key from the operator, shared by every worker", salt="samskap.leaders.link")
        assert expected.loads(token)["m"] == 1
    finally:
        await chat.close()


async def test_without_an_address_the_leader_is_told_who_can_set_it_up(network_chat: Chat) -> None:
    replies = await network_chat.say("kari", "/samskap leder oversikt")
    assert "Oversiktssiden er ikke tilgjengelig her" in replies[0].text
    assert replies[0].destination.kind == "ephemeral"


def test_the_public_address_comes_from_the_file_or_the_environment(tmp_path) -> None:  # type: ignore[no-untyped-def]
    toml = tmp_path / "samskap.toml"
    toml.write_text('[web]\nbase_url = "https://samskap.kommune.no"\n', encoding="utf-8")
    assert load_config(toml, env={}).section("web")["base_url"] == "https://samskap.kommune.no"
    from_env = load_config(toml, env={"SAMSKAP_PUBLIC_URL": "https://elsewhere.no"})
    assert from_env.section("web")["base_url"] == "https://elsewhere.no"
    wrong = Config(sections={"web": {"base_url": "samskap.kommune.no", "secret": "x"}})
    problems = check_config(wrong, env={})
    assert "Unknown setting 'secret' in [web] of defaults." in problems
    assert "[web] base_url must be an https:// address people can reach (it is 'samskap.kommune.no')." in problems


async def test_the_console_serves_the_page_when_given_a_port(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import io

    from adapters.console.adapter import ConsoleAdapter
    from adapters.console.runner import serve
    from bot.app import build_bot, shutdown
    from bot.clock import OffsetClock

    out, port = io.StringIO(), free_port()
    bot = await build_bot(Config(database_url=f"sqlite:///{tmp_path / 'c.db'}"), clock=OffsetClock())
    lines = iter(["/samskap bli-med Nordby skole\n", "/samskap leder oversikt\n"])
    seen: list[int] = []

    async def readline() -> str:
        line = next(lines, None)
        if line is not None:
            return line
        link = re.search(r"http://127\.0\.0\.1:\d+/leder/lenke/[\w.-]+", out.getvalue())
        assert link, out.getvalue()
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            async with http.get(link.group(0)) as page:
                seen.append(page.status)
            async with http.get(f"http://127.0.0.1:{port}/healthz") as health:
                seen.append(health.status)
        return ""

    try:
        await serve(bot, {"console_adapter": ConsoleAdapter(out=out), "readline": readline, "http": True, "port": port})
    finally:
        await shutdown(bot)
    assert seen == [200, 200], out.getvalue()
    with pytest.raises(aiohttp.ClientConnectionError):  # and stops serving when the console ends
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/healthz"):
            pass


def test_texts_in_the_page_templates_are_checked_for_a_translation() -> None:
    from bot.i18n_check import extracted

    found = extracted()
    assert "adapters/web/templates/overview.html" in found["Download as CSV"]
    assert (
        "adapters/web/templates/overview.html"
        in found[("{n} idea travelled to another school", "{n} ideas travelled to another school")]
    )


async def test_a_refusal_is_in_the_configured_language_however_it_is_spelled(database_url: str) -> None:
    chat = await Chat.start(database_url, config=Config(language="English"))
    served, runner = await serve_site(chat)
    try:
        status, html, _ = await served.get("/leder/lenke/not-a-token")
        assert status == 403 and '<html lang="en">' in html and "This link is not valid" in html
    finally:
        await served.http.close()
        await runner.cleanup()  # type: ignore[attr-defined]
        await chat.close()
