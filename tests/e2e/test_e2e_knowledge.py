"""The Knowledge page's upload in a real browser: what a refused document tells the user.

The browser applies the uploader's own size cap before anything reaches the coach, so only a
real browser shows whether an oversized document arrives to be refused with its size.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

FRONT = (
    "---\ntitle: A long handbook\naudience: all\ntopics: [habits]\nkind: guide\n"
    "summary: Everything at once.\n---\n# A long handbook\n\n"
)


def _upload(page, name: str, content: bytes) -> str:  # noqa: ANN001
    """Choose one file, press Validate and add, and return the error the page shows."""
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        files=[{"name": name, "mimeType": "text/markdown", "buffer": content}]
    )
    page.get_by_test_id("stFileUploader").get_by_text(name).wait_for()
    page.get_by_role("button", name="Validate and add").click()
    error = page.get_by_test_id("stAlertContentError").first
    error.wait_for()
    return error.inner_text()


def test_an_oversized_or_binary_upload_is_refused_with_the_real_reason(
    page,  # noqa: ANN001
    app_server,  # noqa: ANN001
    screenshot,  # noqa: ANN001
) -> None:
    page.goto(f"{app_server.url}/knowledge")
    page.get_by_text("chunks indexed", exact=False).wait_for()
    page.get_by_role("tab", name="Upload").click()

    big = FRONT.encode() + b"Practise the pause before answering.\n" * 41_000  # ~1.5 MB
    said = _upload(page, "handbook.md", big)
    screenshot(page, "e2e-knowledge-oversized-upload")
    assert f"handbook.md: is {len(big):,} bytes; the limit is 200,000 bytes" in said
    assert "Choose at least one" not in said

    page.reload()
    page.get_by_text("chunks indexed", exact=False).wait_for()
    page.get_by_role("tab", name="Upload").click()
    said = _upload(page, "binary.md", FRONT.encode() + b"\x00\x01\x02")
    assert "binary.md: looks binary" in said and "upload it again" in said
    assert "coach index" not in said
