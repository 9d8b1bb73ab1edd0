"""Accounts in the app (AppTest, real pages, real SQLite): personal mode, the sign-in page and
its bad inputs, role-gated pages, the access matrix through the pages, a removed account, and
no planted personal data in the application log or the audit log."""

from __future__ import annotations

import logging

import pytest
from streamlit.testing.v1 import AppTest

from assistant import audit
from assistant.accounts import LOCKOUT_ATTEMPTS, Accounts
from assistant.config import Settings
from assistant.store import Store
from tests.accounts_fixtures import EMAILS, PASSWORD, Program, build_program
from tests.fixtures import APP_TIMEOUT, shown
from tests.unit.test_access_matrix import EXPECTED, OWN_PAIR, ROLES

# page module -> the permission its route in streamlit_app.py requires
GATES = {
    "history": None,
    "starters": None,
    "pairs": None,
    "knowledge": None,
    "feedback": None,
    "account": None,
    "program_health": "PROGRAM_HEALTH",
    "dashboard": "EVALS",
    "admin": "USERS_ADMIN",
}


def page(name: str) -> AppTest:
    """The page as the router runs it: framed, with its route's permission."""
    gate = GATES[name]
    permission = f"Permission.{gate}" if gate else "None"
    script = (
        "from assistant.access import Permission\n"
        "from assistant.ui.shell import framed\n"
        f"from assistant.ui.pages import {name}\n"
        f"framed({name}.render, {permission})()\n"
    )
    return AppTest.from_string(script, default_timeout=APP_TIMEOUT)


def sign_in(at: AppTest, email: str, password: str = PASSWORD) -> AppTest:
    at.run()
    at.text_input(key="sign_in_email").input(email)
    at.text_input(key="sign_in_password").input(password)
    next(b for b in at.button if b.label == "Sign in").click()
    return at.run()


def everything(at: AppTest) -> str:
    """All a user can read on the page: texts, tables, tick-box labels, expander titles."""
    frames = [e.value.to_string() for e in at.dataframe]
    labels = [c.label for c in at.checkbox] + [e.label for e in at.expander]
    return "\n".join([shown(at), *frames, *labels])


def open_as(name: str, role: str) -> AppTest:
    at = sign_in(page(name), EMAILS[role])
    assert not at.exception, at.exception
    return at


@pytest.fixture
def program(app_env: Settings) -> Program:
    return build_program(Store(app_env.database_url))


def test_personal_mode_says_so_and_how_to_turn_sign_in_on(app_env: Settings) -> None:
    at = page("history").run()
    assert not at.exception
    sidebar = shown(at.sidebar, "caption")
    assert "Personal mode" in sidebar and "coach user add --email YOU --role admin" in sidebar
    assert at.title[0].value == "History"


def test_sign_in_page_and_its_bad_inputs(program: Program) -> None:
    at = page("history").run()
    assert [t.value for t in at.title] == ["Sign in"]  # the page itself is not rendered
    assert "QUESTION-" not in shown(at)
    at = sign_in(page("history"), EMAILS["mentor"], "wrong password!")
    assert "email or the password is not right" in shown(at, "error")
    at = sign_in(page("history"), "nobody@example.org")
    assert "email or the password is not right" in shown(at, "error")
    at = sign_in(page("history"), "not an email")
    assert "email or the password is not right" in shown(at, "error")
    for _ in range(LOCKOUT_ATTEMPTS - 1):
        sign_in(at, EMAILS["mentee"], "wrong password!")
    at = sign_in(at, EMAILS["mentee"], "wrong password!")
    assert "locked after 5 failed sign-ins" in shown(at, "error")
    assert "15 minute" in shown(at, "error")
    at = sign_in(at, EMAILS["mentee"])  # the right password while locked
    assert "locked" in shown(at, "error") and at.title[0].value == "Sign in"

    at = sign_in(page("history"), EMAILS["mentor"])
    assert at.title[0].value == "History"
    assert f"Signed in as **{EMAILS['mentor']}** (mentor)" in shown(at.sidebar, "caption")


def test_a_removed_or_reset_account_is_signed_out_with_a_reason(program: Program) -> None:
    at = open_as("history", "mentee")
    assert at.title[0].value == "History"
    Accounts(program.store).remove_user(EMAILS["mentee"], program.actors["admin"])
    at.run()
    assert at.title[0].value == "Sign in"
    assert "Your account was removed" in shown(at, "error")
    assert "QUESTION-mentee" not in shown(at)

    at = open_as("history", "mentor")
    Accounts(program.store).reset_password(
        EMAILS["mentor"], "a new password!", program.actors["admin"]
    )
    at.run()
    assert at.title[0].value == "Sign in" and "signed out" in shown(at, "error")


def test_sign_out_ends_the_session(program: Program) -> None:
    at = open_as("account", "mentor")
    next(b for b in at.button if b.label == "Sign out").click()
    at.run()
    assert at.title[0].value == "Sign in" and "You are signed out" in shown(at, "error")


# --- the matrix through the pages ------------------------------------------------------------
def own_chats(role: str) -> bool:
    text = shown(open_as("history", role))
    others = [who for who in EMAILS if who != role and who in ROLES]
    assert f"QUESTION-{role}" in text
    assert not any(f"QUESTION-{who}?" in text for who in others)
    return True


def own_pairs(role: str) -> bool:
    text = everything(open_as("pairs", role))
    key = OWN_PAIR[role]  # the pair shown first (the newest one the role can list)
    return f"ACTION-{key}" in text and f"SENIOR-LEARNED-{key}" in text


def other_pairs(role: str, program: Program) -> bool:
    """Every page a role can open, and each pair picked on the Pairs page: no other pair's
    content anywhere."""
    texts = []
    for name in ("history", "pairs", "program_health", "feedback"):
        at = open_as(name, role)
        texts.append(everything(at))
        if name == "pairs":
            options = at.selectbox(key="pairs_selected").options
            for pair_id in program.pair_ids.values():
                if not any(o.startswith(f"#{pair_id} ") for o in options):
                    continue
                at.selectbox(key="pairs_selected").set_value(pair_id)
                at.run()
                texts.append(everything(at))
    joined = "\n".join(texts)
    not_mine = [k for k in ("own", "other", "leads") if k != OWN_PAIR[role]]
    leaked = [
        f"{kind}-{k}"
        for k in not_mine
        for kind in ("SUMMARY", "ACTION", "FOCUS", "SENIOR-LEARNED", "JUNIOR-LEARNED", "AGENDA")
        if f"{kind}-{k}" in joined
    ]
    return bool(leaked)


def manage(role: str) -> bool:
    at = open_as("pairs", role)
    return any(e.label == "Add a pair" for e in at.expander)


def health(role: str) -> bool:
    at = open_as("program_health", role)
    text = shown(at)
    if "Not available to your role" in text:
        assert "Omar" not in text and "Olga" not in text
        return False
    assert at.title[0].value == "Program health"
    return True


def evals(role: str) -> bool:
    return "Not available to your role" not in shown(open_as("dashboard", role))


def upload(role: str) -> bool:
    at = open_as("knowledge", role)
    return any(b.label == "Validate and add" for b in at.button)


def users(role: str) -> bool:
    at = open_as("admin", role)
    text = shown(at)
    if "Not available to your role" in text:
        assert "ola@example.org" not in text
        return False
    frames = str([e.value.to_string() for e in at.dataframe])
    assert "ola@example.org" in frames
    return True


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix_through_the_pages(program: Program, role: str) -> None:
    seen = {
        "own": own_chats(role),
        "pairs": own_pairs(role),
        "other": other_pairs(role, program),
        "manage": manage(role),
        "health": health(role),
        "evals": evals(role),
        "upload": upload(role),
        "users": users(role),
        "log": users(role),  # the audit log is on the same admin-only page
    }
    assert seen == {k: bool(v) for k, v in EXPECTED[role].items()}


# --- nothing personal in logs ---------------------------------------------------------------
PLANTED = {
    "email": "gordon.hale@bigcorp.example",
    "phone": "+44 7700 900123",
    "name": "Gordon Hale",
    "url": "https://intranet.bigcorp.example/hr/gordon",
}


def test_summarising_planted_personal_data_leaves_none_in_the_app_log_or_audit_log(
    program: Program, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    at = open_as("feedback", "mentor")
    notes = (
        f"Session with {PLANTED['name']} ({PLANTED['email']}, {PLANTED['phone']}). "
        f"He shared {PLANTED['url']}. He learned how to write a first prompt for the chatbot. "
        "I learned how the quarterly budget is approved. He will try the chatbot next week."
    )
    at.text_area(key="feedback_notes").input(notes)
    at.text_input(key="feedback_names").input(f"Priya Raman, {PLANTED['name']}")
    at.run()
    assert "your notes go to" in shown(at, "info")  # the first-use notice
    at.button(key="feedback_submit").click().run()
    assert not at.exception
    assert "Session summary" in shown(at, "subheader")
    with program.store._begin(write=False) as conn:
        entries = repr([e.as_json() for e in audit.entries(conn, limit=10_000)])
    logged = caplog.text + "".join(capfd.readouterr())
    for kind, value in PLANTED.items():
        assert value not in logged, f"the {kind} is in the application log"
        assert value not in entries, f"the {kind} is in the audit log"
    assert Accounts(program.store).find(EMAILS["mentor"]).consented_at is not None
    at.run()
    assert "your notes go to" not in shown(at, "info")  # shown until the first summary only


def test_an_expired_session_gets_the_sign_in_page_with_the_reason(program: Program) -> None:
    from assistant.ui.auth import SIGNED_IN

    at = open_as("history", "mentor")
    assert at.title[0].value == "History"
    signed = dict(at.session_state[SIGNED_IN])
    signed["at"] -= 13 * 3600  # signed in 13 hours ago; sign-ins last 12
    at.session_state[SIGNED_IN] = signed
    at.run()
    assert at.title[0].value == "Sign in"
    assert "Your session expired (sign-ins last 12 hours)" in shown(at, "error")
    assert "QUESTION-mentor" not in shown(at)


def test_the_generation_limit_gives_a_clear_message_and_keeps_the_last_result(
    program: Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    import streamlit as st

    from assistant.config import get_settings

    monkeypatch.setenv("COACH_GENERATIONS_PER_MINUTE", "1")
    get_settings.cache_clear()
    st.cache_resource.clear()
    at = open_as("starters", "mentor")
    at.text_input(key="starters_topic").input("Using AI chatbots")
    next(b for b in at.button if b.label == "Suggest starters").click()
    at.run()
    assert not at.exception and not at.error
    assert "Starters: Using AI chatbots" in shown(at, "subheader")
    at.text_input(key="starters_topic").input("Giving feedback upwards")
    next(b for b in at.button if b.label == "Suggest starters").click()
    at.run()
    assert not at.exception
    message = shown(at, "error")
    assert "You have used your 1 generations for this minute" in message
    assert "Try again in" in message and "seconds" in message
    assert "Starters: Using AI chatbots" in shown(at, "subheader")  # the last result stays
    # Another user has their own share.
    other = open_as("starters", "mentee")
    other.text_input(key="starters_topic").input("Giving feedback upwards")
    next(b for b in other.button if b.label == "Suggest starters").click()
    other.run()
    assert not other.error and "Starters: Giving feedback upwards" in shown(other, "subheader")


def test_deleting_my_account_asks_for_my_email_then_signs_me_out(program: Program) -> None:
    at = open_as("account", "mentee")
    at.text_input(key="delete_confirm").input("someone@else.org")
    at.button(key="delete_account").click().run()
    assert "The email does not match your account." in shown(at, "error")
    assert Accounts(program.store).find(EMAILS["mentee"]) is not None  # nothing deleted

    at.text_input(key="delete_confirm").input(EMAILS["mentee"].upper())
    at.button(key="delete_account").click().run()
    assert not at.exception
    assert at.title[0].value == "Sign in" and "Your account was deleted." in shown(at, "error")
    assert Accounts(program.store).find(EMAILS["mentee"]) is None
    assert "QUESTION-mentee" not in shown(at)
    # The pair's shared agenda stays with the mentor; the mentee can no longer sign in.
    mentor = shown(open_as("history", "mentor"))
    assert "QUESTION-mentor" in mentor
    gone = sign_in(page("history"), EMAILS["mentee"])
    assert gone.title[0].value == "Sign in" and gone.error
