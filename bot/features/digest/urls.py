"""Finding links in chat text and canonicalising them, so one article is one entry.

Canonical form: http(s) only, host lower-cased (IDNA), default port dropped, credentials and
fragment removed, tracking parameters (utm_*, fbclid, ...) dropped, an empty path as "/".

`web_address` is the one reading of a URL's scheme, host and port: links, feeds and every
redirect hop go through it, and the fetcher hands the HTTP client the host it returns, so the
address that is checked is the address that is used.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

import idna

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
_NO_HOST = "That web address has no valid host name."
NOT_WEB = "Only web addresses starting with http:// or https:// can be shared."
_HOST_LABEL = re.compile(r"[a-z0-9_-]{1,63}")
_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")
# Control characters (NUL among them: PostgreSQL refuses it in text) and lone surrogates (no
# encoding takes them) have no place in a title or a description.
_UNSTORABLE = ("Cc", "Cs")


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


@dataclass(frozen=True)
class WebAddress:
    """A URL read the one way the bot reads them: the host as the HTTP client will use it."""

    scheme: str  # "http" or "https"
    host: str  # ASCII: a lower-case DNS name, a dotted-quad IPv4 address or a compressed IPv6 one
    port: int  # the scheme's default when none is written
    path: str  # as written (the fetcher and canonical_url each encode it their way)
    query: str

    @property
    def ip(self) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
        """The address itself when the host is written as one, else None (a name to resolve)."""
        try:
            return ipaddress.ip_address(self.host)
        except ValueError:
            return None

    @property
    def netloc(self) -> str:
        """Host and port as written in a URL, without the default port and with no credentials."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == _DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


def web_address(raw: str) -> WebAddress:
    """`raw` taken apart into scheme, normalised host and port; InvalidUrl with the reason."""
    try:
        parts = urlsplit(raw.strip())
        port = parts.port
    except ValueError:  # a bad port, or a host that NFKC would turn into a separator
        raise InvalidUrl("That web address is malformed.") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise InvalidUrl(NOT_WEB)
    host = normal_host(parts.hostname or "")
    return WebAddress(scheme, host, _DEFAULT_PORTS[scheme] if port is None else port, parts.path, parts.query)


def normal_host(host: str) -> str:
    """The host as the HTTP client will use it, or InvalidUrl.

    Non-ASCII hosts go through NFKC and IDNA (UTS #46), which fold full-width, mathematical and
    circled digits and the ideographic full stop into ASCII: `１２７。０。０。１` is 127.0.0.1. A host
    that ends in a number is an IPv4 address in any of the forms resolvers accept (2130706433,
    0x7f.1, 0177.0.0.1) and becomes its dotted quad; one that is not a valid address is refused.
    One trailing dot is dropped. Anything else must be letters, digits, `-` and `_`.
    """
    if ":" in host:
        try:
            ip = ipaddress.IPv6Address(host)
        except ValueError:
            raise InvalidUrl(_NO_HOST) from None
        if ip.scope_id:  # a zone (`fe80::1%eth0`) names an interface of this machine
            raise InvalidUrl(_NO_HOST)
        return ip.compressed
    if not host.isascii():
        host = _idna_ascii(unicodedata.normalize("NFKC", host))
    host = host.lower().removesuffix(".")
    labels = host.split(".")
    if not host or len(host) > 253 or not all(_HOST_LABEL.fullmatch(label) for label in labels):
        raise InvalidUrl(_NO_HOST)
    if _NUMERIC_LABEL.fullmatch(labels[-1]):
        return str(_numeric_ipv4(labels))
    return host


def _idna_ascii(host: str) -> str:
    """IDNA 2008 with UTS #46 mapping; IDNA 2003 for what it refuses but browsers still open
    (i❤.ws), as the HTTP client itself would. Either result is checked as ASCII after this."""
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        pass
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        raise InvalidUrl(_NO_HOST) from None


def _numeric_ipv4(labels: list[str]) -> ipaddress.IPv4Address:
    """The WHATWG (and inet_aton) reading of 1 to 4 decimal, octal (0…) or hex (0x…) numbers."""
    if len(labels) > 4:
        raise InvalidUrl(_NO_HOST)
    numbers = []
    for label in labels:
        if not _NUMERIC_LABEL.fullmatch(label):
            raise InvalidUrl(_NO_HOST)
        if label.startswith("0x"):
            numbers.append(int(label[2:] or "0", 16))
        elif len(label) > 1 and label.startswith("0"):
            try:
                numbers.append(int(label[1:], 8))
            except ValueError:  # 08, 09: not octal
                raise InvalidUrl(_NO_HOST) from None
        else:
            numbers.append(int(label))
    *high, last = numbers
    if any(n > 255 for n in high) or last >= 256 ** (5 - len(numbers)):
        raise InvalidUrl(_NO_HOST)
    value = last
    for position, n in enumerate(high):
        value += n << (8 * (3 - position))
    return ipaddress.IPv4Address(value)


def storable(text: str) -> str:
    """`text` without control characters (NUL among them) or lone surrogates; tabs and line breaks
    become spaces."""
    if text.isprintable():
        return text
    return "".join(" " if c in "\t\n\r" else c for c in text if unicodedata.category(c) not in _UNSTORABLE)


def canonical_url(raw: str) -> str:
    """The canonical form of `raw`, or InvalidUrl with the reason."""
    raw = raw.strip().strip("<>")
    if "|" in raw:  # Slack's <url|label>
        raw = raw.split("|", 1)[0]
    if not raw:
        raise InvalidUrl("That is not a web address.")
    if "://" not in raw and re.match(r"^[\w-]+(\.[\w-]+)+(/|$)", raw):
        raw = "https://" + raw
    address = web_address(raw)
    path = quote(unquote(address.path), safe="/:@!$&'()*+,;=-._~%") or "/"
    query = urlencode(
        [(k, v) for k, v in parse_qsl(address.query, keep_blank_values=True) if not is_tracking(k)],
        quote_via=quote,
        safe="/:@!$'()*,;-._~",
    )
    url = urlunsplit((address.scheme, address.netloc, path, query, ""))
    if len(url) > MAX_URL_LENGTH:
        raise InvalidUrl("That web address is too long.")
    return url


def title_from_url(url: str) -> str:
    """A readable title for a page we could not read: the last path segment, or the host."""
    parts = urlsplit(url)
    segment = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1])
    segment = re.sub(r"\.(pdf|html?|aspx?|php)$", "", segment, flags=re.IGNORECASE)
    words = re.sub(r"[-_+]+", " ", storable(segment)).strip()
    if words and not words.isdigit():
        return words[:1].upper() + words[1:]
    return parts.hostname or url
