"""`samskap demo`: half a term of a resource teachers' network, played through the real core.

Six schools and 24 members join; they meet, share practice ideas, try each other's ideas and tell how it
went, hold a kritisk venn round and a samsnakk round, share articles, and get a digest. All of it goes
through the console adapter, the core and the features exactly as typed lines would, with the console's
clock moved forward between the weeks. Afterwards `samskap run` opens the same network where the demo
left it, and leaders (kari is one) can try the leader commands on it.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

from adapters.console.adapter import ConsoleAdapter
from adapters.console.runner import ensure_demo_network, handle_line, keep_clock
from bot.app import tick
from bot.core import Bot
from storage.repositories.core import Members, Networks

SUMMARY = """A demo network is ready in {database}: six schools, 24 members, two network meetings, six
practice ideas tried across schools and reported on, a kritisk venn round, a samsnakk round and two digests.

Open it with `samskap run` (on the same database) and speak as a member, for example:
  kari: /samskap hjem        (kari and per lead the network)
  kari: /ideer
  kari: /digest
  per: /kritiskvenn status
The clock stands where the demo left it, about four weeks on; /klokke +7d moves it further."""

SCHOOLS = (
    "Nordby skole", "Sørby skole", "Vestby skole", "Østby ungdomsskole", "Haugen skole", "Fjellset oppvekstsenter",
)  # fmt: skip
MEMBERS = (
    ("kari", "ola", "ingrid", "jonas"),
    ("per", "sofie", "emil", "nora"),
    ("lars", "maja", "henrik", "ida"),
    ("anna", "magnus", "thea", "sander"),
    ("eva", "jakob", "sara", "olav"),
    ("mari", "tobias", "hanne", "vetle"),
)
IDEAS = (
    ("kari", "Vennskapsbenk i friminuttet: den som sitter der, får selskap #friminutt"),
    ("per", "Faste klassemøter hver fredag, elevene leder selv #klassemiljø"),
    ("lars", "Trivselsledere fra 5. trinn setter i gang leker for de yngste #friminutt #trivselsleder"),
    ("anna", "Relasjonskartlegging to ganger i året, fulgt opp i teamet #relasjoner"),
    ("eva", "Elevsamtaler om skolemiljøet før høstferien, med tre faste spørsmål #elevsamtale"),
    ("mari", "Voksne i gangen ved skolestart: hils på hver elev med navn #relasjoner"),
)
# Who tries which idea (by number): mostly someone from another school, as the network hopes.
TRIES = {1: ("sofie", "maja", "thea"), 2: ("ingrid", "henrik", "jakob"), 3: ("nora", "sara", "tobias"),
         4: ("jonas", "emil"), 5: ("ida", "hanne"), 6: ("olav", "magnus", "ola")}  # fmt: skip
REPORTS = {
    "sofie": "Vi satte opp benken ved ballbingen. Elevrådet passer på at den blir brukt.",
    "maja": "Benken sto tom de første dagene; da trivselslederne tok den i bruk, kom de andre.",
    "ingrid": "Klassemøtene ble bedre da elevene selv satte opp sakslisten.",
    "henrik": "Vi prøvde annenhver fredag; det passet bedre med timeplanen.",
    "nora": "Trivselslederne trengte en kort opplæring først, så gikk det fint.",
    "jonas": "Kartleggingen viste oss to elever vi ikke hadde sett.",
    "ida": "Tre spørsmål var nok; elevene svarte mer åpent enn vi trodde.",
    "olav": "Vi hilser nå ved alle tre inngangene; det merkes i stemningen om morgenen.",
}
LINKS = (
    ("kari", "https://www.udir.no/laring-og-trivsel/skolemiljo/ Les før samlingen: aktivitetsplikten"),
    ("per", "https://www.udir.no/laring-og-trivsel/skolemiljo/ Fin oversikt"),
    ("anna", "https://www.udir.no/tall-og-forskning/statistikk/statistikk-grunnskole/elevundersokelsen/ Tallene våre"),
)


def script() -> Iterator[str]:
    """The half term as lines typed into the console."""
    for school, names in zip(SCHOOLS, MEMBERS, strict=True):
        for name in names:
            yield f"{name}: /samskap bli-med {school}"
            yield f"{name}: /samsnakk på"
    yield "kari: /samskap leder rolle @per nettverksleder"
    yield "kari: /samling ny om 1 uker 12:00 Rådhuset: oppstart, trivsel i friminuttene"
    yield "kari: /samling ny om 7 uker 12:00 Biblioteket: hva har vi prøvd?"
    for author, text in IDEAS:
        yield f"{author}: /ide {text}"
    for number, people in TRIES.items():
        for name in people:
            yield f"{name}: /ide prøv {number}"
    for author, link in LINKS:
        yield f"{author}: /del {link}"
    yield "/klokke +8d"  # the first meeting has been; the thanks come the day after
    # A kritisk venn round over days, with two friends from other schools.
    yield "per: /kritiskvenn"
    yield from (f"per: {answer}" for answer in ("2", "Noen elever trekker seg unna klassemøtene og sier ingenting.",
                                                "Hvordan kan vi få de stille elevene til å bli hørt?", "2", "1", "1",
                                                "@lars @eva"))  # fmt: skip
    yield "lars: /kritiskvenn ja 1"
    yield "eva: /kritiskvenn ja 1"
    # Phases move on by themselves once everyone expected has written, or with "neste".
    yield "per: /kritiskvenn neste 1"  # after reading the presentation
    yield "lars: /kritiskvenn bidra 1 Hvor mange elever gjelder det?"
    yield "eva: /kritiskvenn bidra 1 Hvem leder møtene?"
    yield "per: /kritiskvenn bidra 1 Tre-fire elever; elevrådet leder møtene."  # the last question is answered
    yield "lars: /kritiskvenn bidra 1 Hva tror du de stille elevene selv ville sagt om møtene?"
    yield "per: /kritiskvenn neste 1"
    yield "eva: /kritiskvenn bidra 1 Jeg liker at elevene leder møtene; det gir eierskap."
    yield "per: /kritiskvenn neste 1"
    yield "lars: /kritiskvenn bidra 1 Jeg lurer på om noen kunne skrive inn saker på lapp før møtet."
    yield "per: /kritiskvenn neste 1"
    yield "per: /kritiskvenn bidra 1 Jeg tar med meg ideen om saker på lapp før møtet, og vil prøve den."
    yield "eva: /kritiskvenn bidra 1 Nyttig for oss også."
    yield "lars: /kritiskvenn bidra 1 Godt å ha en fast struktur."
    yield "per: /kritiskvenn bidra 1 Trygt å få spørsmål fra andre skoler."
    yield "per: /kritiskvenn del 1 Stille elever kan melde saker på lapp før klassemøtet."
    yield "/klokke +6d"  # the weekly digest goes out
    yield "kari: /samsnakk runde kjør"
    yield from (f"{name}: /samsnakk snakket ja" for name in ("kari", "per", "lars", "anna", "eva", "mari", "ola"))
    yield "/klokke +14d"  # follow-ups: "Hvordan gikk det?"
    for name, report in REPORTS.items():
        number = next(n for n, people in TRIES.items() if name in people)
        yield f"{name}: /ide rapport {number} {report}"
    yield "/klokke +3d"


async def fill(bot: Bot) -> str:
    """Play the half term through `bot`; returns what the console printed (for tests)."""
    out = io.StringIO()
    adapter = ConsoleAdapter(out=out)
    bot.add_adapter(adapter)
    await ensure_demo_network(bot, adapter)
    for line in script():
        await handle_line(bot, adapter, line)
    await tick(bot)
    keep_clock(bot)
    return out.getvalue()


async def already_used(bot: Bot) -> bool:
    async with bot.db.read() as s:
        network = await Networks(s).by_workspace("console:demo")
        return network is not None and bool(await Members(s).count(network.id))
