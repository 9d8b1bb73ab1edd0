"""Single sign-on end to end: a real OpenID Connect provider (oidc-provider-mock) on 127.0.0.1,
the app under `streamlit run` with an `[auth]` section in its secrets file, and headless
Chromium going through Streamlit's `st.login` flow: the provider's authorize page, the
redirect back, the session signed in as the account with that email, and the "ask your
program lead for access" page for an email with no account.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from assistant.config import PROJECT_ROOT
from tests.e2e.conftest import AppServer, launch_app
from tests.fixtures import answers_http, coach_env, free_port, stop_process, wait_until_ready

pytestmark = pytest.mark.e2e
BIN = Path(sys.executable).parent
ADMIN_PASSWORD = "correct horse battery staple"


@dataclass
class SsoApp:
    url: str
    env: dict[str, str]


def _coach(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [str(BIN / "coach"), *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def sso_app(app_server: AppServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SsoApp]:
    pytest.importorskip("authlib", reason="st.login needs Authlib (pip install Authlib)")
    root = tmp_path_factory.mktemp("e2e-sso")
    provider_port = free_port()
    env = {
        **os.environ,
        **coach_env(root / "data", root / "knowledge"),
        "PYTHONUNBUFFERED": "1",
        # The test provider speaks plain http on 127.0.0.1 (a real one is https).
        "AUTHLIB_INSECURE_TRANSPORT": "1",
    }
    provider_log = root / "provider.log"
    with provider_log.open("w") as out:
        provider = subprocess.Popen(
            [sys.executable, "-m", "oidc_provider_mock", "--port", str(provider_port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    app: subprocess.Popen | None = None
    try:
        issuer = f"http://127.0.0.1:{provider_port}"
        wait_until_ready(
            "oidc-provider-mock",
            provider,
            answers_http(f"{issuer}/.well-known/openid-configuration"),
            60,
            provider_log,
        )
        shutil.copytree(PROJECT_ROOT / "knowledge", root / "knowledge")
        shutil.copytree(app_server.data_dir / "chroma", root / "data" / "chroma")
        # The operator's accounts: the first admin (a password), and a lead who signs in
        # only through the organisation's provider.
        _coach(
            env,
            "user",
            "add",
            "--email",
            "admin@example.org",
            "--role",
            "admin",
            "--password-stdin",
            stdin=ADMIN_PASSWORD + "\n",
        )
        _coach(
            env,
            "--as",
            "admin@example.org",
            "user",
            "add",
            "--email",
            "Lead@Example.org",
            "--role",
            "lead",
            "--sso-only",
        )
        secrets_file = root / "secrets.toml"
        secrets_file.write_text(
            "[auth]\n"
            'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
            f'cookie_secret = "{secrets.token_urlsafe(32)}"\n'
            'client_id = "reverse-mentoring-coach"\n'
            f'client_secret = "{secrets.token_urlsafe(16)}"\n'
            f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n',
            encoding="utf-8",
        )
        url, app = launch_app(env, root / "streamlit.log", ["--secrets.files", str(secrets_file)])
        yield SsoApp(url=url, env=env)
    finally:
        if app is not None:
            stop_process(app)
        stop_process(provider)


def _sign_in_at_provider(page: Any, app_url: str, email: str) -> None:
    """From the app's sign-in page through the provider's authorize form and back."""
    page.goto(app_url)
    page.get_by_role("heading", name="Sign in").wait_for()
    page.get_by_role("button", name="Sign in with your organisation's account").click()
    page.get_by_role("heading", name="Authorize Client").wait_for()
    page.get_by_placeholder("sub").fill(email)
    page.get_by_role("button", name="Authorize").click()


@pytest.fixture
def fresh_page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 2000})
    page = context.new_page()
    page.set_default_timeout(90_000)
    yield page
    context.close()


def test_a_lead_signs_in_through_the_provider_and_gets_the_leads_pages(
    sso_app: SsoApp,
    fresh_page: Any,
    screenshot,  # noqa: ANN001
) -> None:
    page = fresh_page
    # The provider sends the email in another case: accounts are matched in any case.
    _sign_in_at_provider(page, sso_app.url, "lead@EXAMPLE.org")
    try:
        page.get_by_text("Signed in as", exact=False).first.wait_for()
    finally:
        screenshot(page, "e2e-sso-lead-signed-in")
    body = page.inner_text("body")
    assert "lead@example.org" in body and "(lead)" in body
    assert "No access yet" not in body
    # The menu is the lead's: the admins' page is not in it.
    assert "Program health" in body and "Accounts and audit log" not in body
    # A lead's page (program health) opens; reloading keeps the sign-in (Streamlit's cookie).
    page.goto(f"{sso_app.url}/program-health")
    page.get_by_text("Signed in as", exact=False).first.wait_for()
    assert "Not available to your role" not in page.inner_text("body")

    audit = _coach(sso_app.env, "--as", "admin@example.org", "audit", "--json")
    assert '"sign_in"' in audit and "lead@example.org" in audit

    # Signing out of the coach ends the provider's session too, and the next visit asks again.
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="End Session").wait_for()
    page.get_by_role("button", name="End session").click()
    page.get_by_role("heading", name="Sign in").wait_for()
    page.goto(f"{sso_app.url}/program-health")
    page.get_by_role("heading", name="Sign in").wait_for()
    assert "Signed in as" not in page.inner_text("body")


def test_an_email_without_an_account_is_asked_to_get_access_and_sees_nothing_else(
    sso_app: SsoApp,
    fresh_page: Any,
    screenshot,  # noqa: ANN001
) -> None:
    page = fresh_page
    _sign_in_at_provider(page, sso_app.url, "stranger@example.org")
    try:
        page.get_by_role("heading", name="No access yet").wait_for()
    finally:
        screenshot(page, "e2e-sso-no-account")
    body = page.inner_text("body")
    assert "There is no account for stranger@example.org here." in body
    assert "Ask your program lead for access" in body
    assert "Signed in as" not in body and "Ask the coach" not in body
    # Another page by its address: the same refusal, nothing of the page.
    page.goto(f"{sso_app.url}/history")
    page.get_by_role("heading", name="No access yet").wait_for()
    assert "Search" not in page.inner_text("body").split("No access yet", 1)[1]

    audit = _coach(sso_app.env, "--as", "admin@example.org", "audit", "--json")
    assert "stranger@example.org" in audit and '"sign_in_failed"' in audit
