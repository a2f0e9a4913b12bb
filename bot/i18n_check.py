"""Find user-visible texts that have no bokmål or nynorsk translation yet.

    python -m bot.i18n_check                    # list missing msgids per language and source file
    python -m bot.i18n_check --po NAME          # print the missing ones as .po entries to paste into
                                                # bot/locale/nb/NAME.po (or an adapter's NAME.po)
    python -m bot.i18n_check --po NAME --lang nn  # the same for bot/locale/nn/NAME.po

Texts are found by Babel's extractor: calls of `t(...)`, `tn(..., ...)` and `N_(...)`. A text in
`adapters/<platform>/` may be translated in the core's catalogs or in that platform's own
(`adapters/<platform>/locale/`), which is all a process running that platform loads; any other
text only in the core's.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir

from bot.i18n import LANGUAGE_NAMES, LOCALE_DIR, add_catalogs, load_catalog

ROOT = Path(__file__).resolve().parent.parent
# Each platform's own catalogs, by platform (the folder's name under adapters/).
ADAPTER_CATALOGS = {folder.parent.name: folder for folder in sorted((ROOT / "adapters").glob("*/locale"))}
# What reads every text (this check, tests/test_words.py) sees them as that platform's process would.
for _folder in ADAPTER_CATALOGS.values():
    add_catalogs(_folder)
# Error classes carry untranslated msgids that handlers translate for the user.
KEYWORDS = {
    "t": None,
    "tn": (1, 2),
    "N_": None,
    "UserError": None,
    "IdeaError": None,
    "KvError": None,
    "SamsnakkError": None,
    "DigestProblem": None,
    "MembershipError": None,
    "SettingError": None,
    "SamlingError": None,
    "CalendarError": None,
    "MailError": None,
    "check_text": (3,),
}
SOURCES = ("bot", "adapters")
# The languages with a catalog for every text (English is the msgids themselves).
TRANSLATED = ("nb", "nn")
# Web page templates call the same translations through Jinja2's i18n extension.
TEMPLATE_KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2)}
TEMPLATE_METHOD = [("**/templates/**.html", "jinja2.ext:babel_extract")]


def extracted() -> dict[str | tuple[str, str], list[str]]:
    """msgid (or (singular, plural)) -> the files it appears in."""
    found: dict[str | tuple[str, str], list[str]] = {}
    for folder in SOURCES:
        for method, keywords in (([("**.py", "python")], KEYWORDS), (TEMPLATE_METHOD, TEMPLATE_KEYWORDS)):
            for filename, _lineno, message, _comments, _context in extract_from_dir(
                ROOT / folder, method_map=method, keywords=keywords, comment_tags=()
            ):
                if not message or (isinstance(message, tuple) and not message[0]):
                    continue
                key = message if isinstance(message, str) else (message[0], message[1])
                found.setdefault(key, []).append(f"{folder}/{filename}")
    return found


def missing(language: str = "nb") -> dict[str | tuple[str, str], list[str]]:
    """msgid (or (singular, plural)) -> the files that show it without a translation in `language`."""
    core = load_catalog(language, [LOCALE_DIR])
    own = {name: load_catalog(language, [LOCALE_DIR, folder]) for name, folder in ADAPTER_CATALOGS.items()}
    result = {}
    for key, files in extracted().items():
        msgid = key if isinstance(key, str) else key[0]
        lacking = [file for file in files if not _translated(own.get(_platform_of(file), core), msgid)]
        if lacking:
            result[key] = lacking
    return result


def _platform_of(file: str) -> str:
    """The platform whose folder `file` is in ("adapters/teams/client.py" -> "teams"), or ""."""
    parts = file.split("/")
    return parts[1] if parts[0] == "adapters" and len(parts) > 2 else ""


def _translated(catalog: Catalog, msgid: str) -> bool:
    message = catalog.get(msgid)
    return not (
        message is None or not message.string or (isinstance(message.string, tuple) and not all(message.string))
    )


def _po_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--po", help="print missing entries as .po text for this file name")
    parser.add_argument("--lang", choices=TRANSLATED, default="nb", help="the catalog language for --po")
    args = parser.parse_args()
    if args.po:
        todo = missing(args.lang)
        for key, files in todo.items():
            if not any(args.po in f for f in files):
                continue
            if isinstance(key, tuple):
                print(f"msgid {_po_string(key[0])}\nmsgid_plural {_po_string(key[1])}")
                print('msgstr[0] ""\nmsgstr[1] ""\n')
            else:
                print(f'msgid {_po_string(key)}\nmsgstr ""\n')
        return
    for language in TRANSLATED:
        todo = missing(language)
        for key, files in todo.items():
            print(f"{language} {sorted(set(files))[0]}: {key!r}")
        print(f"{len(todo)} text(s) without a {LANGUAGE_NAMES[language]} translation")


if __name__ == "__main__":
    main()
