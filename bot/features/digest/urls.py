"""Finding links in chat text and canonicalising them, so one article is one entry.

Canonical form: http(s) only, host lower-cased (IDNA), default port dropped, credentials and
fragment removed, tracking parameters (utm_*, fbclid, ...) dropped, an empty path as "/".
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from storage.models.digest import MAX_URL_LENGTH

# Slack writes links as <https://x|label>; other platforms as bare text. Stop at whitespace,
# angle brackets, the Slack label bar and quotes.
_URL_IN_TEXT = re.compile(r"https?://[^\s<>|\"']+", re.IGNORECASE)
_TRAILING = ".,;:!?'\"*_"
_DEFAULT_PORTS = {"http": 80, "https": 443}
_TRACKING_PREFIXES = ("utm_", "mc_", "_hs", "pk_", "mtm_")
_TRACKING_NAMES = {
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "twclid",
    "mkt_tok", "_ga", "_gl", "ref_src", "ref_url", "si", "oly_anon_id", "oly_enc_id", "vero_id",
}  # fmt: skip
MAX_LINKS_PER_MESSAGE = 5


class InvalidUrl(ValueError):
    """The text is not a usable web address; `reason` is an English msgid for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def find_urls(text: str) -> list[str]:
    """The web addresses in a chat message, in order, without surrounding punctuation."""
    found: list[str] = []
    for match in _URL_IN_TEXT.finditer(text):
        url = _strip_trailing(match.group(0))
        if url not in found:
            found.append(url)
    return found


def _strip_trailing(url: str) -> str:
    while url:
        last = url[-1]
        if last in _TRAILING:
            url = url[:-1]
        elif last in ")]}" and url.count({")": "(", "]": "[", "}": "{"}[last]) < url.count(last):
            # "(se https://x.no/a)" — but keep balanced ones like .../Mobbing_(skole)
            url = url[:-1]
        else:
            break
    return url


def remove_urls(text: str) -> str:
    """The message without its links (and Slack's <...|label> wrapping): the sharer's comment."""
    text = re.sub(r"<(https?://[^>|]+)(?:\|[^>]*)?>", "\x00", text, flags=re.IGNORECASE)
    text = _URL_IN_TEXT.sub("\x00", text)
    # A dash that only joined the comment to the link goes with the link.
    text = re.sub(r"\s*[-–—]?\s*\x00\s*[-–—]?\s*", " ", text)
    return re.sub(r"\s+", " ", text).strip(" -–—:")


def is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in _TRACKING_NAMES or lowered.startswith(_TRACKING_PREFIXES)


def canonical_url(raw: str) -> str:
    """The canonical form of `raw`, or InvalidUrl with the reason."""
    raw = raw.strip().strip("<>")
    if "|" in raw:  # Slack's <url|label>
        raw = raw.split("|", 1)[0]
    if not raw:
        raise InvalidUrl("That is not a web address.")
    if "://" not in raw and re.match(r"^[\w-]+(\.[\w-]+)+(/|$)", raw):
        raw = "https://" + raw
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        raise InvalidUrl("That web address is malformed.") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise InvalidUrl("Only web addresses starting with http:// or https:// can be shared.")
    host = (parts.hostname or "").rstrip(".")
    if not host or any(c.isspace() for c in host):
        raise InvalidUrl("That web address has no valid host name.")
    try:
        host = host.encode("idna").decode("ascii").lower() if not _is_ip_literal(host) else host.lower()
    except UnicodeError:
        raise InvalidUrl("That web address has no valid host name.") from None
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = quote(unquote(parts.path), safe="/:@!$&'()*+,;=-._~%") or "/"
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_tracking(k)],
        quote_via=quote,
        safe="/:@!$'()*,;-._~",
    )
    url = urlunsplit((scheme, netloc, path, query, ""))
    if len(url) > MAX_URL_LENGTH:
        raise InvalidUrl("That web address is too long.")
    return url


def _is_ip_literal(host: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def title_from_url(url: str) -> str:
    """A readable title for a page we could not read: the last path segment, or the host."""
    parts = urlsplit(url)
    segment = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1])
    segment = re.sub(r"\.(pdf|html?|aspx?|php)$", "", segment, flags=re.IGNORECASE)
    words = re.sub(r"[-_+]+", " ", segment).strip()
    if words and not words.isdigit():
        return words[:1].upper() + words[1:]
    return parts.hostname or url
