"""Starters never raise private matters: a job search, leaving, retiring, age."""

from __future__ import annotations

import pytest

from assistant.starters import fit_to_ask

NOT_TO_ASK = [
    "How is your job search going now that AI tools are everywhere?",
    "Which AI tools would help you in your next job?",
    "What are you looking for in a new role after this company?",
    "How could LinkedIn help you find a new job?",
    "When you retire, which digital habits will you keep?",
    "How do you plan for retirement with these tools?",
    "How old were you when you first used email?",
    "What would make you consider leaving the company?",
    "How do you prepare for job interviews these days?",
    "At your age, what feels hardest about TikTok?",
    "Which job applications have you sent using a chatbot?",
]

FINE_TO_ASK = [
    "How do you decide which roles to hire for next year?",
    "What would a new joiner find hardest about our tools?",
    "How do you judge whether a chatbot's draft is a job well done?",
    "Which part of your week would you hand to an assistant first?",
    "How did the team react when the last reorganisation was announced?",
    "What makes a post from a senior leader feel authentic to you?",
    "How do you weigh a risky new channel against the brand's reputation?",
    "What did you learn from the last project that failed?",
    "How do your graduates use short-form video differently from you?",
    "Which interview question do you ask candidates that tells you the most?",
]


@pytest.mark.parametrize("text", NOT_TO_ASK)
def test_private_matters_are_not_asked(text: str) -> None:
    assert not fit_to_ask(text)


@pytest.mark.parametrize("text", FINE_TO_ASK)
def test_work_questions_are_fine(text: str) -> None:
    assert fit_to_ask(text)


def test_a_starter_about_a_job_search_never_reaches_the_set(real_retriever, scripted_model) -> None:  # noqa: ANN001
    from assistant.coach import Coach
    from assistant.schemas import StartersRequest

    coach = Coach(real_retriever, scripted_model)
    scripted_model.enqueue(
        {
            "starters": [
                {"text": "How is your job search going with LinkedIn?", "why": "Personal."},
                {"text": "Which post of yours got the most useful replies?", "why": "Concrete."},
            ]
        }
    )
    result = coach.starters(StartersRequest(topic="LinkedIn", stage="middle", count=4))
    texts = [s.text for s in result.starters]
    assert "Which post of yours got the most useful replies?" in texts
    assert all(fit_to_ask(t) for t in texts) and len(texts) == 4
