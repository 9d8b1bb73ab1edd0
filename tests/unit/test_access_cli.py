"""The access matrix through the command line: `--as EMAIL` (or COACH_USER) acts as an
account under the store's rules; a refused command exits 2 with one line on stderr and prints
none of the content it was refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.store import Store
from tests.accounts_fixtures import EMAILS, Program, build_program
from tests.unit.test_access_matrix import EXPECTED, OWN_PAIR, ROLES

# Every text the program planted in pairs' content starts with one of these.
CONTENT_MARKS = ("SUMMARY-", "FOCUS-", "ACTION-", "LEARNED-", "AGENDA-", "QUESTION-", "ANSWER-")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Program]:
    root = tmp_path_factory.mktemp("cli-matrix")
    return root, build_program(Store(f"sqlite:///{root / 'coach.db'}"))


@pytest.fixture
def env(db: tuple[Path, Program], monkeypatch: pytest.MonkeyPatch) -> Program:
    root, program = db
    monkeypatch.setenv("COACH_DATA_DIR", str(root))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{root / 'coach.db'}")
    monkeypatch.setenv("COACH_MODEL", "scripted")
    monkeypatch.setenv("CHROMA_HOST", "")
    monkeypatch.delenv("COACH_USER", raising=False)
    return program


def run(capsys: pytest.CaptureFixture[str], role: str, *argv: str) -> tuple[int, str, str]:
    code = main([*argv, "--as", EMAILS[role]])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def refused(code: int, out: str, err: str) -> bool:
    """Exit 2, one line on stderr, nothing on stdout: the shape of every refusal."""
    if code == 2 and ("may not" in err or "not a member" in err):
        assert out == "" and len(err.strip().splitlines()) == 1, err
        assert not any(mark in err for mark in CONTENT_MARKS)
        return True
    return False


def own_pairs(p: Program, role: str, capsys: pytest.CaptureFixture[str]) -> bool:
    code, out, err = run(capsys, role, "pair", "show", str(p.pair_ids[OWN_PAIR[role]]), "--json")
    if refused(code, out, err):
        return False
    shown = json.loads(out)
    assert [a["action"] for a in shown["open_actions"]] == [f"ACTION-{OWN_PAIR[role]}"]
    return True


def other_pairs(p: Program, role: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> bool:
    key = "other" if OWN_PAIR[role] != "other" else "own"
    pair_id = str(p.pair_ids[key])
    action_id = str(p.pairs("admin" if key == "leads" else "mentor2").actions(int(pair_id))[0].id)
    target = tmp_path / "timeline.md"
    attempts = [
        ("pair", "show", pair_id, "--json"),
        ("pair", "export", pair_id, "md", str(target)),
        ("action", "done", action_id),
        ("agenda", "--pair", pair_id, "--minutes", "30"),
        ("starters", "--pair", pair_id),
    ]
    results = [refused(*run(capsys, role, *argv)) for argv in attempts]
    assert not target.exists()
    assert len(set(results)) == 1, f"{role}: some of another pair's content was not refused"
    return not results[0]


def manage(p: Program, role: str, capsys: pytest.CaptureFixture[str]) -> bool:
    argv = ("pair", "members", str(p.pair_ids["other"]), "--mentor-email", EMAILS["mentor2"])
    return not refused(*run(capsys, role, *argv))


def health(p: Program, role: str, capsys: pytest.CaptureFixture[str]) -> bool:
    code, out, err = run(capsys, role, "pairs", "health", "--json")
    if refused(code, out, err):
        return False
    assert code == 0 and not any(mark in out for mark in CONTENT_MARKS)
    return True


def evals(p: Program, role: str, capsys: pytest.CaptureFixture[str]) -> bool:
    # Allowed roles get past the check and are told there is no run #999 to resume.
    code, out, err = run(capsys, role, "eval", "--resume", "999")
    return not refused(code, out, err)


def upload(p: Program, role: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> bool:
    code, out, err = run(capsys, role, "knowledge", "add", str(tmp_path / "missing.md"))
    return not refused(code, out, err)


def users(p: Program, role: str, capsys: pytest.CaptureFixture[str]) -> bool:
    code, out, err = run(capsys, role, "user", "list", "--json")
    if refused(code, out, err):
        return False
    assert {u["email"] for u in json.loads(out)["users"]} == set(EMAILS.values())
    return True


def audit_log(p: Program, role: str, capsys: pytest.CaptureFixture[str]) -> bool:
    code, out, err = run(capsys, role, "audit", "--json")
    if refused(code, out, err):
        return False
    actions = {e["action"] for e in json.loads(out)["entries"]}
    assert {"user_added", "pair_members_changed"} <= actions
    return True


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix_through_the_cli(
    env: Program, role: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    seen = {
        "pairs": own_pairs(env, role, capsys),
        "other": other_pairs(env, role, capsys, tmp_path),
        "manage": manage(env, role, capsys),
        "health": health(env, role, capsys),
        "evals": evals(env, role, capsys),
        "upload": upload(env, role, capsys, tmp_path),
        "users": users(env, role, capsys),
        "log": audit_log(env, role, capsys),
    }
    expected = {k: bool(v) for k, v in EXPECTED[role].items() if k in seen}
    assert seen == expected


def test_without_an_identity_the_cli_says_how_to_give_one(
    env: Program, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["pair", "list"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "--as EMAIL" in captured.err
    monkeypatch.setenv("COACH_USER", EMAILS["mentor"])
    assert main(["pair", "list", "--json"]) == 0
    assert [p["mentor"] for p in json.loads(capsys.readouterr().out)["pairs"]] == ["Priya"]
    assert main(["pair", "list", "--as", "ghost@example.org"]) == 2
    assert "no account for 'ghost@example.org'" in capsys.readouterr().err


def test_the_first_admin_reads_the_password_from_stdin_never_an_argument(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'coach.db'}")
    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path))
    with pytest.raises(SystemExit):
        main(["user", "add", "--email", "a@example.org", "--role", "admin", "--password", "x"])
    capsys.readouterr()
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery\n"))
    argv = ["user", "add", "--email", "a@example.org", "--role", "admin", "--password-stdin"]
    assert main(argv) == 0
    assert "Sign-in is now on" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main([*argv[:3], "b@example.org", "--role", "mentor", "--password-stdin"]) == 2
    assert "No password on stdin" in capsys.readouterr().err
