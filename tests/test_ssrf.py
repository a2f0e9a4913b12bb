"""No shared link, feed or redirect makes the bot reach into its own network (server-side request forgery).

Loopback addresses play the internet and the inside. A "public" web server listens on 127.0.0.2,
the one address the fetcher's address policy is told to treat as public. An "internal" server
listens on 127.0.0.1, 127.0.0.3 and [::1] on the same port, and on a second port of 127.0.0.2 (a
service on the public host that is not the web); it answers anything with a secret page and counts
who reached it. Host names resolve through a seam that points them where a hostile DNS would.

Every hostile address is tried as a link and as a feed, directly, as the target of one redirect
from the public server and at the end of a chain of two; the internal server must see no request.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from ipaddress import ip_address
from urllib.parse import urlencode

import pytest
from digest_server import DigestWebServer, InternalServer

from adapters.memory import Chat
from bot.config import Config
from bot.features.digest import feeds
from bot.features.digest.fetch import AddressPolicy, Fetcher, FetchError, FetchSettings, is_public_address
from bot.features.digest.service import DigestService
from bot.features.digest.urls import InvalidUrl, canonical_url, web_address
from tests.support import free_port

PUBLIC = "127.0.0.2"
REFUSED = {"blocked_address", "blocked_port", "bad_url", "bad_scheme"}

# What a hostile DNS says: names that point inside, or inside and outside at once.
NAMES: dict[str, list[str]] = {
    "public.test": [PUBLIC],
    "intranet.test": ["127.0.0.1"],
    "db.intranet.test": ["127.0.0.3"],
    "mixed.test": [PUBLIC, "127.0.0.1"],
    "mapped.test": ["::ffff:127.0.0.1"],
    "nat64.test": ["64:ff9b::7f00:1"],
    "sixtofour.test": ["2002:7f00:1::"],
    "loopback6.test": ["::1"],
    "metadata.test": ["169.254.169.254"],
    "anywhere.test": ["0.0.0.0"],
}

# (address, the refusal it must get). {p} is the web port every server shares; {q} is the other port
# on the public host. Each is also tried as a redirect target and at the end of a two-hop chain.
HOSTILE: list[tuple[str, str]] = [
    # The inside, written plainly.
    ("http://127.0.0.1:{p}/", "blocked_address"),
    ("http://127.0.0.3:{p}/admin", "blocked_address"),
    ("https://127.0.0.1:{p}/", "blocked_address"),
    ("HTTP://127.0.0.1:{p}/", "blocked_address"),
    ("http://127.0.0.1:{p}", "blocked_address"),
    ("http://[::1]:{p}/", "blocked_address"),
    ("http://0.0.0.0:{p}/", "blocked_address"),
    ("http://[::]:{p}/", "blocked_address"),
    ("http://10.0.0.1/", "blocked_address"),
    ("http://172.16.0.1/", "blocked_address"),
    ("http://192.168.1.1/", "blocked_address"),
    ("http://100.64.0.1/", "blocked_address"),
    ("http://169.254.169.254/latest/meta-data/", "blocked_address"),
    ("http://[fd00::1]/", "blocked_address"),
    ("http://[fe80::1]/", "blocked_address"),
    ("http://224.0.0.1/", "blocked_address"),
    # IPv4 written the other ways resolvers accept.
    ("http://0:{p}/", "blocked_address"),
    ("http://2130706433:{p}/", "blocked_address"),
    ("http://2130706435:{p}/", "blocked_address"),
    ("http://0x7f000001:{p}/", "blocked_address"),
    ("http://017700000001:{p}/", "blocked_address"),
    ("http://127.1:{p}/", "blocked_address"),
    ("http://127.0.1:{p}/", "blocked_address"),
    ("http://0x7f.1:{p}/", "blocked_address"),
    ("http://0x7f.0.0.1:{p}/", "blocked_address"),
    ("http://0X7F.0x0.0X0.0x1:{p}/", "blocked_address"),
    ("http://0177.0.0.1:{p}/", "blocked_address"),
    ("http://0177.0.0.01:{p}/", "blocked_address"),
    ("http://127.000.000.001:{p}/", "blocked_address"),
    ("http://127.0.0.1.:{p}/", "blocked_address"),
    ("http://127.0.0.3.:{p}/", "blocked_address"),
    ("http://0x7f.1.:{p}/", "blocked_address"),
    ("http://127.0.0.1..:{p}/", "bad_url"),
    ("http://127.0.0.0.1:{p}/", "bad_url"),
    ("http://127.0.0.256:{p}/", "bad_url"),
    ("http://09.0.0.1:{p}/", "bad_url"),
    ("http://intranet.127:{p}/", "bad_url"),
    # Digits and dots from elsewhere in Unicode, which IDNA folds into ASCII.
    ("http://１２７.０.０.１:{p}/", "blocked_address"),
    ("http://１２７.０.０.３:{p}/", "blocked_address"),
    ("http://127。0。0。1:{p}/", "blocked_address"),
    ("http://127．0．0．1:{p}/", "blocked_address"),
    ("http://127｡0｡0｡1:{p}/", "blocked_address"),
    ("http://127﹒0﹒0﹒1:{p}/", "blocked_address"),
    ("http://127.0.0.1。:{p}/", "blocked_address"),
    ("http://𝟏𝟐𝟕.𝟎.𝟎.𝟏:{p}/", "blocked_address"),
    ("http://𝟙𝟚𝟟.𝟘.𝟘.𝟙:{p}/", "blocked_address"),
    ("http://𝟣𝟤𝟩.𝟢.𝟢.𝟣:{p}/", "blocked_address"),
    ("http://①②⑦.⓪.⓪.①:{p}/", "blocked_address"),
    ("http://⑫⑦.⓪.⓪.①:{p}/", "blocked_address"),
    ("http://２１３０７０６４３３:{p}/", "blocked_address"),
    ("http://０ｘ７ｆ.１:{p}/", "blocked_address"),
    ("http://ｌｏｃａｌｈｏｓｔ:{p}/", "blocked_address"),
    ("http://ｉｎｔｒａｎｅｔ.ｔｅｓｔ:{p}/", "blocked_address"),
    ("http://127\u200b.0.0.1:{p}/", "blocked_address"),
    ("http://127.0.0.1\u00ad:{p}/", "blocked_address"),
    # Names that mean this machine, or that a hostile DNS points inside.
    ("http://localhost:{p}/", "blocked_address"),
    ("http://LOCALHOST:{p}/", "blocked_address"),
    ("http://localhost.:{p}/", "blocked_address"),
    ("http://admin.localhost:{p}/", "blocked_address"),
    ("http://intranet.test:{p}/", "blocked_address"),
    ("http://INTRANET.TEST.:{p}/", "blocked_address"),
    ("http://db.intranet.test:{p}/", "blocked_address"),
    ("http://mixed.test:{p}/", "blocked_address"),
    ("http://mapped.test:{p}/", "blocked_address"),
    ("http://nat64.test:{p}/", "blocked_address"),
    ("http://sixtofour.test:{p}/", "blocked_address"),
    ("http://loopback6.test:{p}/", "blocked_address"),
    ("http://metadata.test/", "blocked_address"),
    ("http://anywhere.test:{p}/", "blocked_address"),
    ("http://intranet.test:{q}/", "blocked_address"),  # inside is inside, whatever the port
    # IPv6 forms that carry 127.0.0.1 (or 127.0.0.3) inside.
    ("http://[::ffff:127.0.0.1]:{p}/", "blocked_address"),
    ("http://[::ffff:7f00:1]:{p}/", "blocked_address"),
    ("http://[0:0:0:0:0:ffff:127.0.0.1]:{p}/", "blocked_address"),
    ("http://[::FFFF:127.0.0.3]:{p}/", "blocked_address"),
    ("http://[::127.0.0.1]:{p}/", "blocked_address"),
    ("http://[::ffff:0:127.0.0.1]:{p}/", "blocked_address"),
    ("http://[64:ff9b::127.0.0.1]:{p}/", "blocked_address"),
    ("http://[64:ff9b::a9fe:a9fe]/", "blocked_address"),
    ("http://[64:ff9b:1::7f00:1]:{p}/", "blocked_address"),
    ("http://[2002:7f00:1::]:{p}/", "blocked_address"),
    ("http://[2002:a00:1::1]/", "blocked_address"),
    ("http://[2001:0:4136:e378:8000:63bf:80ff:fffe]:{p}/", "blocked_address"),
    ("http://[fe80::1%25lo]:{p}/", "bad_url"),
    # Credentials that dress the inside up as the public host.
    ("http://127.0.0.2:{p}@127.0.0.1:{p}/", "blocked_address"),
    ("http://127.0.0.2:{p}:secret@127.0.0.1:{p}/", "blocked_address"),
    ("http://public.test@intranet.test:{p}/", "blocked_address"),
    ("http://public.test:{p}#@127.0.0.1:{p}/", "http_404"),  # the host is public.test: a page it does not have
    ("http://127.0.0.2\\@127.0.0.1:{p}/", "blocked_address"),
    ("http://user:pass@[::1]:{p}/", "blocked_address"),
    ("http://127.0.0.2%40127.0.0.1:{p}/", "bad_url"),
    # Escapes and control characters in the host.
    ("http://%31%32%37.0.0.1:{p}/", "bad_url"),
    ("http://127.0.0.1%00.public.test:{p}/", "bad_url"),
    ("http://127.0.0.1 .public.test:{p}/", "bad_url"),
    # Other schemes, and http without a host.
    ("ftp://127.0.0.1:{p}/", "bad_scheme"),
    ("file:///etc/passwd", "bad_scheme"),
    ("gopher://127.0.0.1:{p}/_GET%20/", "bad_scheme"),
    ("dict://127.0.0.1:{p}/info", "bad_scheme"),
    ("ws://127.0.0.1:{p}/", "bad_scheme"),
    ("jar:http://127.0.0.1:{p}/!/", "bad_scheme"),
    ("data:text/html,<title>INTERNAL</title>", "bad_scheme"),
    ("javascript:alert(1)", "bad_scheme"),
    # The public host on a port that is not the web.
    ("http://127.0.0.2:{q}/", "blocked_port"),
    ("http://public.test:{q}/", "blocked_port"),
    ("http://２１３０７０６４３４:{q}/", "blocked_port"),
    ("http://[::ffff:127.0.0.2]:{q}/", "blocked_port"),
    ("http://127.0.0.2:22/", "blocked_port"),
    ("http://127.0.0.2:0/", "blocked_port"),
]

# Addresses no server can send as a redirect (a line break in a header), or that mean another
# thing relative to the page that redirects.
DIRECT_ONLY: list[tuple[str, str]] = [
    ("http://127.0.\n0.1:{p}/", "blocked_address"),
    ("http://127.0.0.1\t:{p}/", "blocked_address"),
    ("http://\r\n127.0.0.1:{p}/", "blocked_address"),
    ("http:///127.0.0.1:{p}/", "bad_url"),
    ("http:127.0.0.1:{p}/", "bad_url"),
]

# Locations that only mean something relative to the page that redirects.
REDIRECT_ONLY: list[tuple[str, str]] = [
    ("//127.0.0.1:{p}/", "blocked_address"),
    ("//１２７.０.０.１:{p}/", "blocked_address"),
    ("//intranet.test:{p}/", "blocked_address"),
    ("//[::1]:{p}/", "blocked_address"),
    ("http://127.0.0.1:{p}/%2e%2e/", "blocked_address"),
]


@dataclass
class Network:
    public: DigestWebServer
    internal: InternalServer
    port: int  # the web port: the same on the public and the internal addresses
    other_port: int  # a port on the public host that is not the web
    lookups: list[str] = field(default_factory=list)
    _rebind_calls: int = 0

    def policy(self) -> AddressPolicy:
        return AddressPolicy(treat_as_public=frozenset({ip_address(PUBLIC)}), ports=frozenset({self.port}))

    async def lookup(self, host: str, port: int) -> Sequence[str]:
        self.lookups.append(host)
        if host == "rebind.test":  # public on the first answer, inside on the next
            self._rebind_calls += 1
            return [PUBLIC] if self._rebind_calls % 2 else ["127.0.0.1"]
        if host not in NAMES:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return NAMES[host]

    def fetcher(self) -> Fetcher:
        return Fetcher(FetchSettings(timeout=2.0, max_redirects=3), policy=self.policy(), lookup=self.lookup)

    def hostile(self, template: str) -> str:
        return template.format(p=self.port, q=self.other_port)

    def via_redirect(self, target: str) -> str:
        return self.public.link("/go?" + _query(target))

    def via_two_redirects(self, target: str) -> str:
        return self.public.link("/go-twice?" + _query(target))


def _query(target: str) -> str:
    return urlencode({"to": target})


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.fixture
async def network() -> AsyncIterator[Network]:
    for _attempt in range(20):  # the public server's port may be taken on another loopback address
        public = await DigestWebServer(host=PUBLIC, slow_seconds=0.5).start()
        other = free_port(PUBLIC)
        listen = [("127.0.0.1", public.port), ("127.0.0.3", public.port), (PUBLIC, other)]
        if _ipv6_loopback():
            listen.append(("::1", public.port))
        try:
            internal = await InternalServer(listen).start()
        except OSError:
            await public.close()
            continue
        break
    else:
        pytest.fail("no port free on every loopback address")
    yield Network(public, internal, public.port, other)
    await internal.close()
    await public.close()


def all_cases(network: Network) -> list[tuple[str, str, str]]:
    """(how, address tried, expected refusal) for every hostile address and every way to reach it."""
    cases = []
    for template, code in HOSTILE:
        target = network.hostile(template)
        cases.append(("direct", target, code))
        cases.append(("redirect", network.via_redirect(target), code))
        cases.append(("two redirects", network.via_two_redirects(target), code))
    for template, code in DIRECT_ONLY:
        cases.append(("direct", network.hostile(template), code))
    for template, code in REDIRECT_ONLY:
        target = network.hostile(template)
        cases.append(("redirect", network.via_redirect(target), code))
        cases.append(("two redirects", network.via_two_redirects(target), code))
    return cases


# -- the table --------------------------------------------------------------------------------------
async def test_the_public_server_is_reachable_so_the_zeros_below_mean_something(network: Network) -> None:
    async with network.fetcher() as fetcher:
        direct = await fetcher.page_meta(network.public.link("/article"))
        named = await fetcher.page_meta(f"http://public.test:{network.port}/article")
        chained = await fetcher.page_meta(network.via_two_redirects(f"http://public.test:{network.port}/plain"))
        feed = await feeds.poll(fetcher, network.public.link("/feed.xml"), etag=None, last_modified=None)
    assert direct.title == named.title == "Trygt og godt skolemiljø"
    assert chained.title == "Relasjoner i klasserommet"
    assert feed.title == "Læringsmiljøsenteret"
    # And the internal server does answer whoever reaches it: its silence below is the guard's work.
    async with Fetcher(FetchSettings(allow_private_addresses=True, timeout=2.0)) as unguarded:
        leaked = await unguarded.page_meta(f"http://127.0.0.1:{network.port}/")
    assert leaked.title == "INTERNAL admin" and len(network.internal.requests) == 1


async def test_no_hostile_address_reaches_the_internal_server(network: Network) -> None:
    cases = all_cases(network)
    assert len(cases) >= 300
    wrong: list[str] = []
    async with network.fetcher() as fetcher:
        for how, url, code in cases:
            meta = await fetcher.page_meta(url)
            try:
                await feeds.poll(fetcher, url, etag=None, last_modified=None)
                feed_error = "read"
            except FetchError as err:
                feed_error = err.code
            except feeds.NotAFeed:
                feed_error = "not_a_feed"
            if meta.error != code or feed_error != code or "INTERNAL" in meta.title + meta.description:
                wrong.append(f"{how} {url!r}: page {meta.error}, feed {feed_error}, expected {code}")
    assert not wrong, "\n".join(wrong)
    assert network.internal.requests == []


async def test_a_name_that_answers_public_then_internal_is_connected_only_where_checked(network: Network) -> None:
    for _ in range(4):  # a fresh fetcher each time: no cached answer between the check and the connection
        async with network.fetcher() as fetcher:
            await fetcher.page_meta(f"http://rebind.test:{network.port}/article")
    assert network.lookups.count("rebind.test") == 4
    assert network.internal.requests == []
    assert network.public.hits("/article") == 2  # the two public answers


async def test_a_refused_internal_address_reads_the_same_whether_its_port_is_open_or_closed(network: Network) -> None:
    closed = free_port()
    async with network.fetcher() as fetcher:
        errors = {
            (await fetcher.page_meta(url)).error
            for url in (
                f"http://１２７.０.０.１:{network.port}/",  # the internal server listens here
                f"http://１２７.０.０.１:{closed}/",  # nothing listens here
                f"http://127.0.0.4:{network.port}/",  # nor here
                f"http://intranet.test:{closed}/",
                network.via_redirect(f"http://１２７.０.０.１:{network.port}/"),
                network.via_redirect(f"http://１２７.０.０.１:{closed}/"),
            )
        }
    assert errors == {"blocked_address"}
    assert network.internal.requests == []


# -- one normalisation ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "host"),
    [
        ("http://１２７.０.０.１/", "127.0.0.1"),
        ("http://127。0。0。1/", "127.0.0.1"),
        ("http://𝟏𝟐𝟕.𝟎.𝟎.𝟏/", "127.0.0.1"),
        ("http://①②⑦.⓪.⓪.①/", "127.0.0.1"),
        ("http://2130706433/", "127.0.0.1"),
        ("http://0x7f.1/", "127.0.0.1"),
        ("http://0177.0.0.1/", "127.0.0.1"),
        ("http://127.0.0.1./", "127.0.0.1"),
        ("http://[::FFFF:127.0.0.1]/", "::ffff:7f00:1"),
        ("http://Udir.NO./", "udir.no"),
        ("http://Bücher.example/", "xn--bcher-kva.example"),
        ("http://ｕｄｉｒ．ｎｏ/", "udir.no"),
        ("http://i❤.ws/", "xn--i-7iq.ws"),
        ("http://1２7﹒0﹒0﹒1/", "127.0.0.1"),
        ("http://user:pw@udir.no:8080/", "udir.no"),
    ],
)
def test_the_host_is_read_as_the_http_client_will_use_it(raw: str, host: str) -> None:
    assert web_address(raw).host == host


def test_a_shared_link_is_stored_with_the_host_it_will_be_fetched_from() -> None:
    assert canonical_url("http://１２７.０.０.１:8080/a") == "http://127.0.0.1:8080/a"
    assert canonical_url("https://ｕｄｉｒ．ｎｏ/Mobbing") == "https://udir.no/Mobbing"
    for bad in ("http://127.0.0.256/", "http://a%00b.no/", "http://[fe80::1%25eth0]/", "http://intranet.127/"):
        with pytest.raises(InvalidUrl):
            canonical_url(bad)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "10.0.0.8", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1",
        "::1", "::", "fe80::1", "fc00::1", "::ffff:10.0.0.1", "::ffff:0:10.0.0.1", "::10.0.0.1",
        "64:ff9b::10.0.0.1", "64:ff9b::169.254.169.254", "64:ff9b:1::a00:1", "2002:a00:1::",
        "2002:c0a8:101::1", "2001:0:4136:e378:8000:63bf:f5ff:fffe",
    ],
)  # fmt: skip
def test_ipv6_forms_are_judged_by_the_ipv4_address_they_carry(address: str) -> None:
    assert not is_public_address(address)


@pytest.mark.parametrize("address", ["151.101.1.1", "2a00:1450:4010::64", "::ffff:151.101.1.1", "64:ff9b::9765:101"])
def test_public_addresses_stay_public(address: str) -> None:
    assert is_public_address(address)


# -- through the bot --------------------------------------------------------------------------------
@pytest.fixture
async def guarded_chat(database_url: str, network: Network) -> AsyncIterator[Chat]:
    config = Config(sections={"digest": {"allow_private_addresses": False, "fetch_timeout": 2.0}})
    chat = await Chat.start(database_url, config=config)
    service = chat.bot.services.get(DigestService)
    service.address_policy, service.lookup = network.policy(), network.lookup
    await chat.say("kari", "/samskap bli-med Nordby skole")  # the first to join leads the network
    await chat.say("ola", "/samskap bli-med Sørby skole")
    yield chat
    await chat.close()


async def test_a_shared_link_that_redirects_inside_shows_nothing_from_inside(
    guarded_chat: Chat, network: Network
) -> None:
    chat = guarded_chat
    inside = network.via_redirect(f"http://１２７.０.０.１:{network.port}/admin")
    await chat.say("ola", f"/del {inside} Se denne")
    await chat.say("ola", f"/del {network.public.link('/article')} Og denne")
    await chat.tick()
    [preview] = await chat.say("kari", "/digest forhåndsvis")
    assert "Trygt og godt skolemiljø" in preview.text
    assert "INTERNAL" not in preview.text
    assert network.internal.requests == []


async def test_a_feed_inside_is_refused_in_the_same_words_whether_anything_listens(
    guarded_chat: Chat, network: Network
) -> None:
    chat = guarded_chat
    closed = free_port()
    replies = [  # the reply's first paragraph: then comes the leader's own text, given back
        (await chat.say("kari", f"/digest kilde legg-til {url}"))[0].text.split("\n\n")[0]
        for url in (
            f"http://１２７.０.０.１:{network.port}/feed.xml",
            f"http://１２７.０.０.１:{closed}/feed.xml",
            network.via_redirect(f"http://１２７.０.０.１:{network.port}/feed.xml"),
            network.via_redirect(f"http://１２７.０.０.１:{closed}/feed.xml"),
        )
    ]
    assert len(set(replies)) == 1 and "privat eller lokal" in replies[0]
    [odd_port] = await chat.say("kari", f"/digest kilde legg-til http://public.test:{network.other_port}/feed.xml")
    assert "vanlige nettportene" in odd_port.text
    assert network.internal.requests == []


async def test_a_feed_that_later_moves_inside_is_not_followed_on_the_hourly_poll(
    guarded_chat: Chat, network: Network
) -> None:
    chat = guarded_chat
    [added] = await chat.say("kari", f"/digest kilde legg-til {network.public.link('/feed.xml')}")
    assert "Læringsmiljøsenteret" in added.text
    network.public.feed_moved_to = f"http://１２７.０.０.１:{network.port}/feed.xml"
    await chat.advance(timedelta(hours=1, minutes=1))
    await chat.advance(timedelta(hours=2, minutes=1))  # backed off after the first refusal
    assert network.public.hits("/feed.xml") == 3
    [listing] = await chat.say("kari", "/digest kilde liste")
    assert "feilet 2 ganger på rad (blocked_address)" in listing.text
    assert network.internal.requests == []
