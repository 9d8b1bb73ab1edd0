"""Text made safe for Streamlit's Markdown (OWASP LLM05, improper output handling).

- `plain(text)`: user text shown as exactly what was typed. The characters that make Markdown
  structure (brackets, parentheses, `!`, `<`, `*`, `_`, backticks, `#`, `|`, `~`, a list marker
  at a line start) and the `//` after a URL scheme are backslash-escaped (CommonMark allows it
  for any ASCII punctuation), so `![x](http://...)` shows as those characters instead of loading
  an image, and no URL becomes a link. Ordinary punctuation is left alone.
- `safe_markdown(text, allowed)`: model output (or a saved document mixing user and model text)
  keeps its formatting, but never loads a remote image (images become their alt text) and links
  only to the knowledge base or to URLs in `allowed` (those the source passages contain); any
  other link or bare URL is shown as inert text.
No streamlit import: the pages call these before `st.markdown`, an expander label or a heading.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_STRUCTURE = re.compile(r"([\\`*_{}\[\]()#!|<>~])")
_LINE_MARKER = re.compile(r"^(\s*)([-+=]|\d+[.)])", re.MULTILINE)
_SCHEME_SLASHES = re.compile(r"(?<=[A-Za-z]):(?=//)|(?<=:)/(?=/)", re.IGNORECASE)
_WWW = re.compile(r"\b(www)\.", re.IGNORECASE)
_IMAGE = re.compile(r"!\[([^\]]*)\]\s*(?:\([^)]*\)|\[[^\]]*\])?")
_REF_DEF = re.compile(r"^ {0,3}\[[^\]]+\]:\s*\S+.*$", re.MULTILINE)
_LINK = re.compile(r"\[([^\]]*)\]\(\s*<?([^)\s>]*)>?(?:\s+[\"'][^\"']*[\"'])?\s*\)")
_REF_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_AUTOLINK = re.compile(r"<((?:[a-z][a-z0-9+.-]{1,31}:|www\.)[^\s<>]*)>", re.IGNORECASE)
_BARE_URL = re.compile(r"(?:\b[a-z][a-z0-9+.-]{1,31}://|\bwww\.)[^\s<>()\[\]]*", re.IGNORECASE)
_HTML_TAG = re.compile(r"</?[a-z][^>\n]*>", re.IGNORECASE)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")

KNOWLEDGE_PREFIXES = ("knowledge/",)


def plain(text: str) -> str:
    """`text` as literal characters in Markdown."""
    text = _STRUCTURE.sub(r"\\\1", text or "")
    text = _LINE_MARKER.sub(lambda m: m.group(1) + "\\" + m.group(2), text)
    text = _SCHEME_SLASHES.sub(lambda m: "\\" + m.group(0), text)
    return _WWW.sub(r"\1\\.", text)


def urls_in(texts: Iterable[str]) -> set[str]:
    """The URLs the given passages contain (the only outside links an answer may carry)."""
    found: set[str] = set()
    for text in texts:
        for match in _BARE_URL.findall(text or ""):
            found.add(match.rstrip(".,;:!?'\""))
    return found


def _allowed(url: str, allowed: set[str]) -> bool:
    if url in allowed:
        return True
    if "://" in url or url.lower().startswith(("www.", "mailto:", "javascript:", "data:")):
        return False
    return url.startswith(KNOWLEDGE_PREFIXES) and ".." not in url


def safe_markdown(text: str, allowed: Iterable[str] = ()) -> str:
    """Model output with formatting kept, remote images dropped, untrusted links made inert."""
    allowed_set = set(allowed)
    text = _REF_DEF.sub("", text or "")
    text = _IMAGE.sub(lambda m: plain(m.group(1).strip()) or "(image removed)", text)
    kept: list[str] = []

    def link(match: re.Match[str]) -> str:
        label, url = match.group(1), match.group(2)
        if _allowed(url, allowed_set):
            kept.append(f"[{label}]({url})")
            return f"\x00{len(kept) - 1}\x00"
        return f"{label} ({plain(url)})" if url and url != label else label

    text = _LINK.sub(link, text)
    text = _REF_LINK.sub(lambda m: m.group(1), text)
    text = _AUTOLINK.sub(lambda m: plain(m.group(1)), text)
    text = _HTML_TAG.sub(lambda m: plain(m.group(0)), text)

    def bare(match: re.Match[str]) -> str:
        url = match.group(0)
        core = url.rstrip(".,;:!?'\"")
        if core in allowed_set:
            kept.append(core)
            return f"\x00{len(kept) - 1}\x00{url[len(core) :]}"
        return plain(url)

    text = _BARE_URL.sub(bare, text)
    text = _EMAIL.sub(lambda m: plain(m.group(0)), text)  # no mailto: autolinks either
    return re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m.group(1))], text)
