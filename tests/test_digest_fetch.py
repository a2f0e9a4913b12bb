"""Canonical URLs, the guarded metadata fetcher and feed polling, against a local web server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from ipaddress import ip_address

import pytest
from digest_server import DigestWebServer

from bot.features.digest import feeds
from bot.features.digest.fetch import AddressPolicy, Fetcher, FetchError, FetchSettings, is_public_address
from bot.features.digest.urls import InvalidUrl, canonical_url, find_urls, remove_urls, title_from_url


@pytest.fixture
async def server() -> AsyncIterator[DigestWebServer]:
    async with DigestWebServer(slow_seconds=0.8) as web:
        yield web


def open_fetcher(**kw: object) -> Fetcher:
    settings = {"allow_private_addresses": True, "timeout": 0.5, "max_bytes": 64 * 1024, "max_redirects": 3}
    settings.update(kw)
    return Fetcher(FetchSettings(**settings))  # type: ignore[arg-type]


# -- canonical URLs ---------------------------------------------------------------------------------
def test_tracking_parameters_host_case_fragment_and_default_port_are_dropped() -> None:
    assert (
        canonical_url("HTTPS://WWW.Udir.NO:443/Tall/Mobbing?utm_source=fb&side=2&fbclid=abc&utm_medium=x#del-2")
        == "https://www.udir.no/Tall/Mobbing?side=2"
    )
    assert canonical_url("http://udir.no:80") == "http://udir.no/"
    assert canonical_url("http://udir.no:8080/a") == "http://udir.no:8080/a"


def test_two_spellings_of_one_article_are_the_same_url() -> None:
    a = canonical_url("https://laringsmiljosenteret.uis.no/artikkel?id=7&utm_campaign=uke37")
    b = canonical_url("<https://Laringsmiljosenteret.UIS.no/artikkel?id=7#kommentarer|Les her>")
    assert a == b


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("ftp://udir.no/fil", "Only web addresses starting with http:// or https:// can be shared."),
        ("javascript:alert(1)", "Only web addresses starting with http:// or https:// can be shared."),
        ("http://", "That web address has no valid host name."),
        ("http://udir.no:99999/", "That web address is malformed."),
        ("https://udir.no/" + "a" * 2100, "That web address is too long."),
        ("", "That is not a web address."),
    ],
)
def test_malformed_addresses_are_refused_with_a_reason(raw: str, reason: str) -> None:
    with pytest.raises(InvalidUrl) as err:
        canonical_url(raw)
    assert err.value.reason == reason


def test_links_are_found_in_chat_text_without_trailing_punctuation() -> None:
    text = "Les denne (https://no.wikipedia.org/wiki/Mobbing_(skole)). Og <https://udir.no/a?b=1|Udir>, https://x.no/b."
    assert find_urls(text) == [
        "https://no.wikipedia.org/wiki/Mobbing_(skole)",
        "https://udir.no/a?b=1",
        "https://x.no/b",
    ]
    assert remove_urls("Bra om relasjoner: https://udir.no/a – verdt å lese") == "Bra om relasjoner: verdt å lese"


def test_a_page_without_metadata_is_titled_from_its_address() -> None:
    assert title_from_url("https://x.no/filer/veileder-mot_mobbing.pdf") == "Veileder mot mobbing"
    assert title_from_url("https://x.no/") == "x.no"


def test_private_loopback_and_link_local_addresses_are_not_public() -> None:
    for address in ("127.0.0.1", "10.0.0.8", "192.168.1.1", "169.254.169.254", "::1", "fe80::1", "::ffff:10.0.0.1"):
        assert not is_public_address(address), address
    assert is_public_address("151.101.1.1")


# -- fetching ---------------------------------------------------------------------------------------
async def test_opengraph_metadata_is_read_from_the_head(server: DigestWebServer) -> None:
    async with open_fetcher() as fetcher:
        meta = await fetcher.page_meta(server.link("/article"))
    assert meta.ok
    assert meta.title == "Trygt og godt skolemiljø"
    assert meta.description == "Hvordan ressurslærere & skoleledere jobber sammen mot mobbing."
    assert meta.site_name == "Utdanningsdirektoratet"
    assert meta.language == "nb"
    assert meta.published_at is not None and meta.published_at.isoformat() == "2026-09-03T08:00:00+00:00"


async def test_a_plain_page_falls_back_to_title_and_description(server: DigestWebServer) -> None:
    async with open_fetcher() as fetcher:
        meta = await fetcher.page_meta(server.link("/plain"))
    assert (meta.title, meta.description) == ("Relasjoner i klasserommet", "Om lærer–elev-relasjonen.")


async def test_html_without_a_content_type_is_still_read(server: DigestWebServer) -> None:
    async with open_fetcher() as fetcher:
        meta = await fetcher.page_meta(server.link("/untyped"))
    assert meta.title == "Relasjoner i klasserommet"


async def test_a_pdf_is_kept_and_titled_from_its_metadata(server: DigestWebServer) -> None:
    async with open_fetcher() as fetcher:
        meta = await fetcher.page_meta(server.link("/doc.pdf"))
        other = await fetcher.page_meta(server.link("/bin"))
    assert meta.ok and meta.title == "Veileder mot mobbing" and meta.content_type == "application/pdf"
    assert other.ok and other.title == "Bin"


async def test_a_huge_page_is_read_only_up_to_the_cap(server: DigestWebServer) -> None:
    async with open_fetcher(max_bytes=32 * 1024) as fetcher:
        resp = await fetcher.get(server.link("/huge"))
        meta = await fetcher.page_meta(server.link("/huge"))
    assert resp.truncated and len(resp.body) == 32 * 1024
    assert meta.ok and meta.title == "Stor side"


async def test_redirects_are_followed_up_to_the_limit(server: DigestWebServer) -> None:
    async with open_fetcher(max_redirects=3) as fetcher:
        followed = await fetcher.page_meta(server.link("/redirect/3"))
        too_many = await fetcher.page_meta(server.link("/redirect/5"))
        loop = await fetcher.page_meta(server.link("/loop"))
        to_ftp = await fetcher.page_meta(server.link("/to-ftp"))
    assert followed.ok and followed.title == "Trygt og godt skolemiljø"
    assert followed.url == server.link("/redirect/3")
    assert too_many.error == "too_many_redirects"
    assert loop.error == "redirect_loop"
    assert to_ftp.error == "bad_scheme"


async def test_slow_and_failing_servers_give_an_error_not_an_exception(server: DigestWebServer) -> None:
    async with open_fetcher(timeout=0.3) as fetcher:
        slow = await fetcher.page_meta(server.link("/slow"))
        failing = await fetcher.page_meta(server.link("/fail"))
        refused = await fetcher.page_meta("http://127.0.0.1:9/nothing-listens-here")
    assert slow.error == "timeout" and slow.title == "Slow"
    assert failing.error == "http_500"
    assert refused.error == "connection"


async def test_loopback_is_refused_unless_allowed(server: DigestWebServer) -> None:
    async with open_fetcher(allow_private_addresses=False) as fetcher:
        literal = await fetcher.page_meta(server.link("/article"))
        named = await fetcher.page_meta(f"http://localhost:{server.port}/article")
        with pytest.raises(FetchError) as err:
            await fetcher.get(f"http://[::ffff:127.0.0.1]:{server.port}/article")
    assert literal.error == "blocked_address" and named.error == "blocked_address"
    assert err.value.code == "blocked_address"
    assert server.hits("/article") == 0


async def test_every_redirect_hop_is_checked_again(server: DigestWebServer) -> None:
    # Let the test server count as a public site, so only the hop after it is in question.
    policy = AddressPolicy(treat_as_public=frozenset({ip_address("127.0.0.1")}), ports=None)
    async with Fetcher(FetchSettings(timeout=0.5), policy=policy) as fetcher:
        private = await fetcher.page_meta(server.link("/to-private"))
        named = await fetcher.page_meta(server.link("/to-localhost"))
    assert private.error == "blocked_address"
    assert named.error == "blocked_address" and server.hits("/article") == 0


async def test_a_name_resolving_to_loopback_is_refused_by_the_resolver(server: DigestWebServer) -> None:
    from bot.features.digest.fetch import GuardedResolver

    resolver = GuardedResolver(AddressPolicy())
    with pytest.raises(FetchError):
        await resolver.resolve("localhost", server.port)
    await resolver.close()


# -- feeds ------------------------------------------------------------------------------------------
async def test_a_feed_is_read_then_answered_with_304_when_unchanged(server: DigestWebServer) -> None:
    async with open_fetcher() as fetcher:
        first = await feeds.poll(fetcher, server.link("/feed.xml"), etag=None, last_modified=None)
        second = await feeds.poll(fetcher, server.link("/feed.xml"), etag=first.etag, last_modified=first.last_modified)
    assert first.title == "Læringsmiljøsenteret"
    assert [e.url for e in first.entries] == [server.link("/news/1"), server.link("/news/old")]
    assert first.entries[0].summary == "Ny kunnskap om skolemiljø ."
    assert second.not_modified
    conditional = server.requests[-1].headers
    assert conditional["If-None-Match"] == first.etag and conditional["If-Modified-Since"] == first.last_modified


async def test_a_page_that_is_not_a_feed_is_recognised(server: DigestWebServer) -> None:
    async with open_fetcher() as fetcher:
        with pytest.raises(feeds.NotAFeed):
            await feeds.poll(fetcher, server.link("/not-a-feed"), etag=None, last_modified=None)


def test_feed_polling_backs_off_after_errors() -> None:
    assert feeds.next_poll_delay(0) == feeds.POLL_INTERVAL
    assert feeds.next_poll_delay(1) == 2 * feeds.POLL_INTERVAL
    assert feeds.next_poll_delay(3) == 8 * feeds.POLL_INTERVAL
    assert feeds.next_poll_delay(20) == feeds.MAX_BACKOFF


def test_a_wrong_digest_setting_names_itself() -> None:
    with pytest.raises(ValueError, match="fetch_timeout"):
        FetchSettings.from_section({"fetch_timeout": "fast"})
    with pytest.raises(ValueError, match="allow_private_addresses"):
        FetchSettings.from_section({"allow_private_addresses": "yes"})
    assert FetchSettings.from_section({}).max_redirects == 5
