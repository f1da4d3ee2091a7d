"""Canonical URLs: one key per article, whatever tracking, AMP or mobile variant a lead arrived with (SPEC §6.3).

`canonical_url` gives a deduplication key, not an address to show or fetch: keep the URL as submitted (or as the
fetcher's final URL) for links, and compare `canonical_url(a) == canonical_url(b)`. The rules, in order:

1. scheme and host in lower case; internationalised hosts in their ASCII (punycode) form; user:password@ and
   default ports (http 80, https 443) dropped; `http` and `https` are kept apart (a site rarely serves different
   articles on them, but the key must stay a URL; the dedupe layer may compare without the scheme).
2. Google AMP cache addresses (`*.cdn.ampproject.org/c/s/host/path`, `www.google.com/amp/s/host/path`) are
   unwrapped to the publisher's address.
3. host prefixes of variants dropped: `amp.`, `m.`, `mobile.`, and `www.`. Decision on `www.`: always dropped,
   because news sites serve one site on both names and a key that ignores it matches whichever one a submitter
   pasted; the rare site with different content on `www.` and the bare name is not worth a missed duplicate.
4. the fragment dropped.
5. tracking parameters dropped (`utm_*`, click ids, newsletter ids, referral and campaign tags, the French
   `xtor`/AT Internet tags...: `TRACKING_PARAMETERS` and `TRACKING_PREFIXES`), and the AMP switches `amp`,
   `amp=1`, `outputType=amp`; the remaining parameters sorted (by name, then value, order of equals kept).
6. AMP paths: a `/amp` or `/amp/` segment at the start or the end of the path removed, `.amp.html` to `.html`,
   `.amp` suffix removed.
7. percent-encoding normalised: escapes of unreserved characters decoded (`%7E` to `~`), other escapes in upper
   case, characters that need escaping (spaces, non-ASCII) escaped as UTF-8; `+` and `%20` in the query are one
   thing; dot segments (`/a/./b`, `/a/../b`) resolved, repeated slashes collapsed.
8. the trailing slash dropped (except the root path, which is `/`).
"""

from __future__ import annotations

import contextlib
import posixpath
import re
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

TRACKING_PARAMETERS = frozenset(
    {
        # click identifiers of ad networks and platforms
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "ttclid", "li_fat_id",
        "igshid", "igsh", "epik", "_ga", "_gl", "_hsenc", "_hsmi", "__s", "srsltid",
        # newsletters (Mailchimp, Marketo, Vero...)
        "mc_cid", "mc_eid", "mkt_tok", "vero_id", "vero_conv", "oly_anon_id", "oly_enc_id", "rb_clickid",
        # referral and campaign tags of publishers
        "ref", "ref_src", "ref_url", "referrer", "cmpid", "cmp", "icid", "ocid", "ncid",
        "s_cid", "sr_share", "share", "smid", "soc_src", "soc_trk", "taid", "spm", "ito", "wt.mc_id", "wt_mc",
        "xtor", "xts", "at_medium", "at_campaign", "at_custom1", "at_custom2", "at_custom3", "at_custom4",
        "__twitter_impression", "fromref",
        # AMP switches
        "amp", "outputtype", "usqp",
    }
)  # fmt: skip
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "at_", "ga_", "__hs")
VARIANT_HOST_PREFIXES = ("amp.", "m.", "mobile.", "www.")
DEFAULT_PORTS = {"http": 80, "https": 443}
UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
PATH_SAFE = "/:@!$&'()*+,;=-._~%"
ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
AMP_CACHE = re.compile(r"^[^.]+\.cdn\.ampproject\.org$")


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMETERS or lowered.startswith(TRACKING_PREFIXES)


def _normalise_escapes(text: str, safe: str) -> str:
    """Decode escapes of unreserved characters, upper-case the others, escape what must be escaped."""

    def fix(match: re.Match) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in UNRESERVED else "%" + match.group(1).upper()

    return quote(ESCAPE.sub(fix, text), safe=safe)


def _unwrap_amp_cache(host: str, path: str, query: str) -> tuple[str, str, str] | None:
    """The publisher's URL inside a Google AMP cache URL, or None."""
    inner = None
    if AMP_CACHE.match(host):
        match = re.match(r"^/(?:c|v|i|r)/(?:s/)?(.+)$", path)
        inner = match.group(1) if match else None
        scheme = "https" if "/s/" in path[:5] else "http"
    elif host in {"google.com", "www.google.com"} and path.startswith("/amp/"):
        inner = path[len("/amp/") :]
        scheme = "http"
        if inner.startswith("s/"):
            inner, scheme = inner[2:], "https"
    if not inner:
        return None
    return scheme, inner, query


def _strip_host(host: str) -> str:
    changed = True
    while changed:
        changed = False
        for prefix in VARIANT_HOST_PREFIXES:
            if host.startswith(prefix) and host.count(".") >= 2:
                host, changed = host[len(prefix) :], True
    return host


def _clean_path(path: str) -> str:
    path = _normalise_escapes(path, PATH_SAFE)
    path = re.sub(r"/{2,}", "/", path) or "/"
    path = posixpath.normpath(path) if path not in {"", "/"} else "/"
    path = "/" + path.lstrip("/")
    # AMP variants of the article path
    path = re.sub(r"\.amp\.html?$", ".html", path, flags=re.IGNORECASE)
    path = re.sub(r"(?<=[^/])\.amp$", "", path, flags=re.IGNORECASE)
    path = re.sub(r"^/amp(?=/|$)", "", path, flags=re.IGNORECASE) or "/"
    path = re.sub(r"/amp/?$", "", path, flags=re.IGNORECASE) or "/"
    return path  # normpath has already dropped the trailing slash


def _clean_query(query: str) -> str:
    pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if not _is_tracking(k)]
    pairs.sort(key=lambda pair: pair[0])  # stable: values of one name keep their order
    return urlencode(pairs, quote_via=quote, safe="-._~")


def canonical_url(url: str) -> str:
    """The deduplication key of `url` (rules in the module docstring). A non-http(s) URL comes back stripped."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return url
    host = parts.hostname.lower().rstrip(".")
    with contextlib.suppress(UnicodeError):  # a host the IDNA codec refuses stays as written
        host = host.encode("idna").decode("ascii")
    path, query = parts.path, parts.query

    unwrapped = _unwrap_amp_cache(host, path, query)
    if unwrapped is not None:
        return canonical_url(
            f"{unwrapped[0]}://{unwrapped[1]}" + (f"?{unwrapped[2]}" if unwrapped[2] else "")
        )

    host = _strip_host(host)
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    if ":" in host:  # an IPv6 literal
        netloc = f"[{host}]" if port in (None, DEFAULT_PORTS[scheme]) else f"[{host}]:{port}"
    return urlunsplit((scheme, netloc, _clean_path(path), _clean_query(query), ""))


def same_article(a: str, b: str) -> bool:
    return canonical_url(a) == canonical_url(b)
