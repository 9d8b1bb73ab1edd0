"""Goal-led agenda plans, built in code on the real knowledge index: each stated goal gets a
block of its own, a session of 30 minutes or more has the senior teach back, and the agenda
cites only what its items use. The scripted model never decides any of it."""

from __future__ import annotations

import pytest

from assistant.agendas import check_agenda
from assistant.coach import Coach
from assistant.llm.scripted import ScriptedModel
from assistant.planning import TEACH_BACK, TEACH_BACK_MINUTES
from assistant.schemas import AgendaRequest


@pytest.fixture
def coach(real_retriever, scripted_model: ScriptedModel) -> Coach:  # noqa: ANN001
    return Coach(real_retriever, scripted_model)


def script_details(coach: Coach, details: list[str]) -> None:
    """The scripted model's next agenda draft: these details, nothing else."""
    coach.model.enqueue(
        {
            "title": "T",
            "details": details,
            "objectives": [],
            "starters": [],
            "prepare": [],
            "follow_up": [],
        }
    )


def known_sources(coach: Coach) -> set[str]:
    return {str(c.metadata["source"]) for c in coach.retriever.index.all_chunks()}


REQUESTS = [
    AgendaRequest(
        topic="Using AI chatbots to prepare board papers",
        minutes=45,
        stage="middle",
        session_number=3,
        goals=[
            "draft the executive summary of a real board paper with a chatbot",
            "agree what must never be pasted into a public chatbot",
        ],
    ),
    AgendaRequest(
        topic="Short-form video for the brand",
        minutes=90,
        stage="first",
        goals=["agree what stays confidential between us", "film a first clip together"],
    ),
    AgendaRequest(
        topic="Hybrid meeting habits",
        minutes=20,
        stage="closing",
        goals=["reflect on the no-meetings-Friday trial"],
    ),
    AgendaRequest(topic="Team chat etiquette", minutes=30, stage="middle"),
    AgendaRequest(
        topic="LinkedIn for leaders",
        minutes=240,
        stage="middle",
        goals=["write a first LinkedIn post", "rework the profile headline"],
    ),
]


@pytest.mark.parametrize("request_", REQUESTS, ids=lambda r: f"{r.minutes}min-{r.stage}")
def test_each_goal_has_its_own_block_and_every_citation_is_used(
    coach: Coach, request_: AgendaRequest
) -> None:
    job = coach.plan_agenda(request_)
    agenda = job.preview
    assert check_agenda(agenda, request_.minutes, known_sources(coach)) == []
    goals = [g for g in request_.goals if g.strip()]
    # each goal names exactly one block, and no block serves two goals
    for goal in goals:
        assert sum(goal in item.activity for item in agenda.items) == 1, (goal, agenda.items)
    assert sum(any(g in i.activity for g in goals) for i in agenda.items) == len(goals)
    # nothing is cited that no item uses, and every item's sources are cited
    used = {s for item in agenda.items for s in item.sources}
    assert {c.source for c in agenda.citations} == used


@pytest.mark.parametrize("request_", REQUESTS, ids=lambda r: f"{r.minutes}min-{r.stage}")
def test_a_session_of_thirty_minutes_or_more_has_the_senior_teach_back(
    coach: Coach, request_: AgendaRequest
) -> None:
    job = coach.plan_agenda(request_)
    teach_back = [i for i in job.plan if TEACH_BACK in i.card.provides]
    assert bool(teach_back) == (request_.minutes >= TEACH_BACK_MINUTES)


def test_without_goals_the_topic_still_gets_a_main_block_beside_the_teach_back(
    coach: Coach,
) -> None:
    job = coach.plan_agenda(AgendaRequest(topic="Team chat etiquette", minutes=30, stage="middle"))
    main = [i for i in job.plan if i.card.slot == "core" and TEACH_BACK not in i.card.provides]
    assert main and main[0].minutes >= main[0].card.minutes_min


def test_a_short_closing_session_works_on_its_goal_in_the_reflection(coach: Coach) -> None:
    request = REQUESTS[2]
    job = coach.plan_agenda(request)
    [item] = [i for i in job.plan if i.goal]
    assert "reflection" in item.card.provides or "retrospective" in item.card.source


def test_the_model_sees_each_items_goal_and_guide_but_not_the_cards_summary(
    coach: Coach,
) -> None:
    request = REQUESTS[0]
    job = coach.plan_agenda(request)
    prompt = job.messages[-1]["content"]
    for goal in request.goals:
        assert f"for the goal: {goal}" in prompt
    for item in job.plan:
        if item.card.slot == "core":
            assert item.card.summary not in prompt
    guides = [s for i in job.plan for s in i.guides]
    cited = [c for c in job.citations if c.source in guides]
    assert all(f"Use {c.title}:" in prompt for c in cited)


def test_a_detail_that_only_echoes_a_plan_line_gets_the_code_written_one(coach: Coach) -> None:
    """What the local model wrote in eval run #9: "1. Check-in and agenda review (5 min)" as an
    item's details, and the next item's name in the wrap-up (slipped by one)."""
    request = REQUESTS[0]
    job = coach.plan_agenda(request)
    titles = [i.card.title for i in job.plan]
    details = [f"{n}. {i.card.title} ({i.minutes} min)" for n, i in enumerate(job.plan, 1)]
    details[1] = "The mentee drafts a real executive summary with the chatbot, the mentor watches."
    details[-1] = f"{titles[0]} (5 min)"
    coach.model.enqueue(
        {
            "title": "Board papers",
            "details": details,
            "objectives": ["Draft one summary"],
            "starters": [],
            "prepare": [],
            "follow_up": [],
        }
    )
    agenda = coach.write_agenda(job)
    shown = [i.details for i in agenda.items]
    assert shown[1] == details[1]
    preview = [i.details for i in job.preview.items]
    assert [d for n, d in enumerate(shown) if n != 1] == [
        d for n, d in enumerate(preview) if n != 1
    ]
    assert not any(t in d for t in titles for d in shown)


def test_a_detail_that_repeats_another_items_line_is_not_kept(coach: Coach) -> None:
    """Eval run #10: the charter's details were the teach-back's line, one item early."""
    request = REQUESTS[1]
    job = coach.plan_agenda(request)
    teach = next(n for n, i in enumerate(job.plan) if TEACH_BACK in i.card.provides)
    slipped = "The mentee teaches the mentor how they judge a real business decision."
    details = ["They talk it through together and agree one next step."] * len(job.plan)
    details[teach - 1] = slipped  # one item early
    details[teach] = slipped + " Today: how a budget gets approved."
    script_details(coach, details)
    agenda = coach.write_agenda(job)
    assert agenda.items[teach].details == details[teach]
    assert agenda.items[teach - 1].details == job.preview.items[teach - 1].details


def test_a_goal_too_long_for_a_block_title_is_refused_with_what_to_do() -> None:
    from assistant.errors import InputError
    from assistant.schemas import MAX_GOAL_CHARS

    with pytest.raises(InputError, match="Goal 2 is 5,000 characters long") as refused:
        AgendaRequest.from_input(topic="AI chatbots", minutes=45, goals=["ok", "x" * 5000])
    assert f"{MAX_GOAL_CHARS} characters or fewer" in str(refused.value)
    request = AgendaRequest.from_input(topic="AI chatbots", minutes=45, goals=["  a\n goal ", " "])
    assert request.goals == ["a goal"]


def test_goals_beyond_the_third_are_named_in_the_agendas_notes(coach: Coach) -> None:
    goals = [f"goal number {n} about prompting" for n in range(1, 6)]
    job = coach.plan_agenda(AgendaRequest(topic="AI chatbots", minutes=90, goals=goals))
    assert sum(bool(i.goal) for i in job.plan) == 3
    assert any("goals 4-5 are left to the other blocks" in n for n in job.preview.notes)


# Goal intent: written before the rule's second round, from the two blind sets' phrasings
# (the blind sets themselves are measured by benchmarks/agenda_plans.py).
SENIOR_TEACHES = [
    "she walks me through how the quarterly forecast is built",
    "he shows me how he decides which vendor gets the contract",
    "get her advice on asking for a pay rise",
    "his take on whether I should apply for the graduate rotation",
    "learn how she handles a board member who disagrees",
    "How does he decide what goes in the monthly report",
    "what she checks first in a business case",
    "understand how headcount gets approved",
    "he explains the capital budget round",
    "how did he get the reorganisation past the works council",
    "should I take the secondment to Singapore",
    "who signs off a new supplier contract",
    "her honest take on my CV",
]
SENIOR_DOES_NOT_TEACH = [
    "try ChatGPT on a real email",
    "he posts his first LinkedIn update",
    "talk about why my generation dislikes phone calls",
    "agree how often we meet and what stays between us",
    "reflect on the business lessons I picked up from her",
    "I show her how I filter my feed",
    "agree what never goes into a public chatbot",
    "his questions about what can go into Copilot",
    "find out what she hopes to get out of the programme",
    "how my generation sees office politics",
]


@pytest.mark.parametrize("goal", SENIOR_TEACHES)
def test_a_goal_where_the_senior_teaches_is_a_teach_back(goal: str) -> None:
    from assistant.planning import teaches_back

    assert teaches_back(goal)


@pytest.mark.parametrize("goal", SENIOR_DOES_NOT_TEACH)
def test_a_goal_where_the_senior_learns_or_reflects_is_not_a_teach_back(goal: str) -> None:
    from assistant.planning import teaches_back

    assert not teaches_back(goal)


def test_a_teach_back_goal_is_worked_on_in_the_teach_back(coach: Coach) -> None:
    goal = "she walks me through how the quarterly forecast is built"
    practice = "try ChatGPT on a real email"
    # with a planned teach-back, and in a session too short for one (its own block)
    for minutes, goals in ((45, [practice, goal]), (20, [goal])):
        request = AgendaRequest(
            topic="AI tools for finance reports", minutes=minutes, stage="middle", goals=goals
        )
        plan = coach.plan_agenda(request).plan
        [home] = [i for i in plan if goal in i.goals]
        assert TEACH_BACK in home.card.provides, (minutes, [i.card.title for i in plan])
        for other in [i for i in plan if practice in i.goals]:
            assert "hands-on" in other.card.provides


def test_two_charter_goals_share_the_charter_and_both_are_named(coach: Coach) -> None:
    goals = [
        "agree how often we meet and what happens if one of us cancels",
        "say what each of us hopes to get out of this",
    ]
    request = AgendaRequest(
        topic="Getting started with AI tools", minutes=45, stage="first", goals=goals
    )
    job = coach.plan_agenda(request)
    [charter] = [i for i in job.plan if "expectation-setting" in i.card.provides]
    assert charter.goals == goals
    [item] = [i for i in job.preview.items if i.activity.startswith(charter.card.title)]
    assert all(g[:30] in item.activity for g in goals)
    assert any("for the goals: " in line for line in job.lines)


def test_a_goal_with_no_room_is_named_in_the_notes_not_given_to_the_teach_back(
    coach: Coach,
) -> None:
    goals = ["set up a Notion page for meeting notes", "talk about why podcasts beat reading"]
    request = AgendaRequest(topic="Podcasts and notes", minutes=30, stage="middle", goals=goals)
    job = coach.plan_agenda(request)
    teach_back = [i for i in job.plan if TEACH_BACK in i.card.provides]
    assert teach_back and not teach_back[0].goals
    homeless = [g for g in goals if not any(g in i.goals for i in job.plan)]
    assert homeless, [(i.card.title, i.goals) for i in job.plan]
    note = " ".join(job.preview.notes)
    assert all(f"'{g}'" in note for g in homeless) and "next session" in note


def test_the_code_written_detail_says_what_the_pair_does_about_the_goal_not_the_card(
    coach: Coach,
) -> None:
    request = REQUESTS[0]
    job = coach.plan_agenda(request)
    for plan_item, shown in zip(job.plan, job.preview.items, strict=True):
        card = plan_item.card
        assert card.does, card.source  # every card in the knowledge base has one
        assert shown.details[:40] not in (card.how_to + card.summary)
        for goal in plan_item.goals:
            assert shown.details.startswith(goal[:1].upper() + goal[1:]), shown.details
        assert "{" not in shown.details


def test_a_detail_that_hands_back_its_own_plan_line_is_replaced(coach: Coach) -> None:
    """Eval run #7 (session 8): "For the goal: move his weekly status email onto the team
    board. Use Collaboration tools ... playbook: Shared documents with ..." as a detail."""
    from assistant.agendas import _copies_line

    request = AgendaRequest(
        topic="Collaboration tools",
        minutes=45,
        stage="middle",
        goals=["move his weekly status email onto the team board"],
    )
    job = coach.plan_agenda(request)
    n = next(k for k, i in enumerate(job.plan) if i.goals)
    line = job.lines[n]
    echo = line.split(", ", 1)[1]  # "for the goal: ... Use <guide>: <excerpt>"
    assert _copies_line(echo, line)
    own = (
        "He copies this week's status into three columns on the board, and the mentor shows "
        "him how to tag the two people who usually reply to the email."
    )
    assert not _copies_line(own, line)
    details = ["They talk it through together and agree one next step."] * len(job.plan)
    details[n] = echo
    script_details(coach, details)
    agenda = coach.write_agenda(job)
    assert agenda.items[n].details == job.preview.items[n].details
    assert agenda.items[n].details.startswith("Move his weekly status email onto the team board:")


def test_a_teach_back_turned_round_is_not_kept(coach: Coach) -> None:
    """The local model (session 8) wrote the business judgement exchange as "The mentor
    teaches the mentee how to evaluate real business decisions": the wrong way round."""
    job = coach.plan_agenda(REQUESTS[0])
    teach = next(n for n, i in enumerate(job.plan) if TEACH_BACK in i.card.provides)
    inverted = "The mentor teaches the mentee how to evaluate real business decisions."
    details = ["They talk it through together and agree one next step."] * len(job.plan)
    details[teach] = inverted
    coach.model.enqueue(
        {
            "title": "Board papers",
            "details": details,
            "objectives": [inverted, "Draft one executive summary with a chatbot."],
            "starters": [],
            "prepare": [],
            "follow_up": [],
        }
    )
    agenda = coach.write_agenda(job)
    assert agenda.items[teach].details == job.preview.items[teach].details
    assert agenda.objectives == ["Draft one executive summary with a chatbot."]
    # the right way round is kept
    from assistant.agendas import _ok

    assert _ok("The mentee shows the mentor how she weighs a budget decision.")
    assert _ok("The mentor shows the mentee how to write a first prompt.")


def test_a_topic_mid_sentence_keeps_product_names_as_typed() -> None:
    from assistant.agendas import _in_sentence

    assert _in_sentence("How younger customers judge our stores?") == (
        "how younger customers judge our stores"
    )
    for typed in ("Excel tricks", "LinkedIn for leaders", "AI chatbots", "Teams etiquette"):
        assert _in_sentence(typed) == typed
