"""A user's own data export, and the per-user limit wrapped around the shared coach."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant import audit
from assistant.access import PERSONAL
from assistant.config import Settings
from assistant.my_data import export_my_data
from assistant.rate_limit import LimitedCoach, RateLimited
from assistant.services import Services
from assistant.store import Store
from tests.accounts_fixtures import Program, build_program
from tests.fixtures import coach_env


@pytest.fixture
def program(tmp_path: Path) -> tuple[Services, Program]:
    settings = Settings.from_env(coach_env(tmp_path / "data"), secrets_file=tmp_path / "none")
    services = Services(settings)
    return services, build_program(Store(settings.database_url))


def test_the_export_holds_what_the_user_can_see_and_nothing_else(
    program: tuple[Services, Program],
) -> None:
    services, p = program
    data = export_my_data(services.acting_as(p.actors["mentee"]))
    text = json.dumps(data)
    assert data["account"] == {"email": "gus@example.org", "role": "mentee"}
    assert "QUESTION-mentee?" in text and "ANSWER-mentee." in text  # own chat, with messages
    assert "SUMMARY-own" in text and "ACTION-own" in text and "AGENDA-own" in text  # own pair
    for other in ("QUESTION-mentor?", "SUMMARY-other", "ACTION-leads", "QUESTION-admin?"):
        assert other not in text
    with p.store._begin(write=False) as conn:
        [entry] = audit.entries(conn, action=audit.EXPORT)
    assert entry.actor == "gus@example.org"

    # A lead lists every pair's record, but exports only their own pair's content.
    lead = json.dumps(export_my_data(services.acting_as(p.actors["lead"])))
    assert "SUMMARY-leads" in lead and "SUMMARY-own" not in lead and "SUMMARY-other" not in lead


def test_signed_in_users_share_the_coach_through_their_own_limit(
    program: tuple[Services, Program],
) -> None:
    services, p = program

    class Echo:
        name = "echo"

        def feedback(self, request: str) -> str:
            return f"summary of {request}"

    services.__dict__["coach"] = Echo()
    services.limiter.per_minute = 2
    assert services.acting_as(PERSONAL).coach is services.coach  # personal mode: no limit
    ana = services.acting_as(p.actors["mentor"]).coach
    assert isinstance(ana, LimitedCoach) and ana.name == "echo"
    assert ana.feedback("a") == "summary of a"
    ana.feedback("b")
    with pytest.raises(RateLimited, match="2 generations for this minute"):
        services.acting_as(p.actors["mentor"]).coach.feedback("c")  # a new page run, same user
    assert services.acting_as(p.actors["mentee"]).coach.feedback("d") == "summary of d"
