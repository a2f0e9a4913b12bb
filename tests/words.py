"""Words that give another language away, for the tests that read every text in each language.

A list per language of words the others use and it never does: an English text with "ikke" or
"/ide prøv" in it, a bokmål text with "ikkje" or "Saved", a nynorsk text with "ikke" or "hva".
Names of things that are the same in every language (samskap, samsnakk, /digest, Jitsi) are not
listed. Words are compared whole, lower-cased; a hyphenated word is one word ("to-og-to").
"""

from __future__ import annotations

import re

BOKMAL_ONLY = {
    "jeg", "ikke", "hva", "hvordan", "hvem", "hvor", "hvilken", "hvorfor", "noe", "noen", "bare", "dere",
    "ennå", "fortsatt", "være", "skole", "skolen", "skoler", "leder", "ledere", "deltaker", "navn", "navnet",
    "lagret", "slettet", "høyst", "tegn", "idéer", "ideer", "idéen", "idéene", "kilde", "kilder", "kilden",
    "uke", "uker", "uka", "mandag", "hjem", "innstillinger", "se", "gjøre", "mens", "senere",
    "skrev", "fikk", "ble", "blitt", "nå", "hver", "lenke", "lenken", "lenker", "kjør", "ikke-ennå",
    "jeg-kan", "snakket", "forhåndsvis", "foreslå", "skoleleder", "nettverksleder", "ukedag", "sted",
    "hverdager", "tirsdag", "lørdag", "fortsett", "deltakere", "vennlig", "allerede",
    "ideene", "oppfølging", "påminnelse", "bekreft", "hennes", "kommer", "dem",
}
NYNORSK_ONLY = {
    "eg", "ikkje", "kva", "korleis", "kven", "kvar", "kvifor", "noko", "nokon", "nokre", "berre", "dykk",
    "dykkar", "enno", "framleis", "vere", "skule", "skulen", "skular", "leiar", "leiarar", "deltakar", "namn",
    "lagra", "høgst", "teikn", "idear", "ideane", "kjelde", "kjelder", "veke", "veker", "måndag", "heim",
    "innstillingar", "sjå", "gjere", "medan", "seinare", "skreiv", "fekk", "vart", "vorte", "frå", "lenkje",
    "lenkja", "køyr", "ikkje-enno", "eg-kan", "snakka", "førehandsvis", "føreslå", "skuleleiar",
    "nettverksleiar", "vekedag", "stad", "kvardagar", "tysdag", "laurdag", "sundag", "hald-fram", "ein",
    "eit", "dei", "òg", "stadfest", "påminning", "kjem",
}
NORWEGIAN = {
    "og", "med", "til", "fra", "av", "på", "om", "det", "den", "er", "har", "du", "deg", "din", "ditt",
    "dine", "nr", "tekst", "søk", "kommentar", "dato", "kl", "tema", "tid", "verdi", "prøv", "rapport",
    "utsett", "bli-med", "innstilling", "fredag", "ny", "fjern", "siste", "vis", "hopp", "hopp-over",
    "spørsmål", "innstill", "notat", "linje", "flytt", "avlys", "godta", "avslå", "tider", "unngå", "runde",
    "legg-til", "liste", "rolle", "språk", "tidssone", "velkomst", "lenkefangst", "nettverksbrev", "samling",
    "samlinger", "elevråd", "friminutt", "morgen", "morgon", "kritisk", "venn", "kritiskvenn", "ja", "nei",
    "bidra", "neste", "avbryt", "frivillige", "slett-meg", "mine-data", "oppsett", "tagg", "ide", "idé",
    "samling_varsel", "oppfolging", "samsnakk_uker", "samsnakk_dag", "samsnakk_kl", "samsnakk_tider",
    "samsnakk_refleksjon", "man-fre", "fre", "tor", "trivsel", "rådhuset", "friminuttene", "ukedag",
    "snakket", "del",
} | BOKMAL_ONLY | NYNORSK_ONLY
ENGLISH = {
    "the", "and", "with", "you", "your", "is", "not", "of", "idea", "ideas", "report", "share", "join",
    "settings", "setting", "meeting", "meetings", "week", "weeks", "every", "monday", "timezone", "language",
    "name", "saved", "remove", "number", "text", "search", "link", "comment", "weekday", "date",
    "where", "what", "topic", "one", "line", "yes", "not-yet", "skip", "role", "value", "school",
    "until", "try", "show", "snooze", "next", "cancel", "contribute", "participant", "leader", "digest_",
    "welcome", "follow_up", "link_capture", "meeting_reminder", "criticalfriend", "samsnakk_hours",
    "samsnakk_weeks", "samsnakk_day", "samsnakk_time", "samsnakk_prompt", "mon-fri", "preview", "run",
    "prompt", "add", "latest", "turn", "off", "tomorrow",
}
FOREIGN = {
    "en": NORWEGIAN,
    "nb": ENGLISH | NYNORSK_ONLY,
    "nn": ENGLISH | BOKMAL_ONLY,
}
_WORD = re.compile(r"[\wæøåÆØÅéÉòÒ]+(?:[-_'][\wæøåÆØÅéÉòÒ]+)*")
# What is not the bot's words: placeholders, addresses, and words inside guillemets or quotes
# (examples of what a member might write are the member's words).
_NOT_PROSE = re.compile(r"\{[^}]*\}|https?://\S+|www\.\S+|<@\w+>")


# Commands whose names are the same words in every language but have an English name to show.
_NORWEGIAN_COMMANDS = re.compile(r"/(samsnakk|kritiskvenn|samling|samlinger|ide|ideer|del)\b")


def foreign_words(text: str, language: str) -> list[str]:
    """The words of `text` that belong to another language than `language`."""
    prose = _NOT_PROSE.sub(" ", text)
    words = {word for word in _WORD.findall(prose) if word.lower() in FOREIGN[language]}
    if language == "en":
        words |= {match.group(0) for match in _NORWEGIAN_COMMANDS.finditer(prose)}
    return sorted(words)
