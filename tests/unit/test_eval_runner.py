"""`coach eval` end to end: real index, real SQLite store, scripted model (one real-model smoke).

The retrieval suite runs in full on the project's knowledge base: it is the regression gate for
search quality. The structural suites run a few cases on the scripted model.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.config import Settings
from assistant.llm.errors import ModelUnavailable
from assistant.llm.scripted import ScriptedModel
from assistant.services import build_services
from assistant.store import Store
from evals import runner
from evals.suites import SUITES, attacks
from evals.suites.common import SuiteContext, dataset_version, load_dataset
from tests.fixtures import coach_env


@pytest.fixture
def env(
    real_index_settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Settings:
    """The shared real index, a private history database, the scripted model."""
    values = coach_env(
        real_index_settings.data_dir,
        real_index_settings.knowledge_dir,
        DATABASE_URL=f"sqlite:///{tmp_path / 'coach.db'}",
    )
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return Settings.from_env(values, secrets_file=tmp_path / "absent.toml")


def _eval(tmp_path: Path, *args: str) -> int:
    return main(["eval", "--report", str(tmp_path / "report.json"), *args])


def test_retrieval_suite_on_the_real_index_meets_its_targets(
    env: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = _eval(
        tmp_path,
        "--suite",
        "retrieval",
        "--json",
        "--fail-under",
        "retrieval.ndcg@10=0.65",
        "retrieval.recall@5=0.65",
    )
    out = capsys.readouterr()
    assert code == 0, out.err
    summary = json.loads(out.out)
    assert summary["metrics"]["retrieval.errors"] == 0.0
    assert all(g["passed"] for g in summary["gates"])
    assert "retrieval: 195/195 cases" in out.err  # the progress went to stderr
    [run] = Store(env.database_url).list_eval_runs()
    stored = Store(env.database_url).get_eval_run(run.id)
    assert stored is not None and len(stored.cases) == len(load_dataset("retrieval"))
    case = stored.cases[0]
    assert case["input"]["query"] and case["output"]["ranked_sources"]
    assert set(case["reasons"]) == {"hit@1", "recall@5", "mrr", "ndcg@10"}
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["run_id"] == run.id and len(report["cases"]) == len(stored.cases)


def test_structural_suites_on_the_scripted_model_store_scores_and_reasons(
    env: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = _eval(
        tmp_path,
        "--suite",
        "agenda",
        "--suite",
        "starters",
        "--suite",
        "attacks",
        "--model",
        "scripted",
        "--limit",
        "3",
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "agenda.minutes_match" in out and "starters.open_rate" in out
    assert "attacks.attack_success" in out and "Report:" in out
    [run] = Store(env.database_url).list_eval_runs()
    assert run.backend == "scripted" and run.suites == ["agenda", "starters", "attacks"]
    assert set(run.prompt_versions) >= {"agenda", "starters", "answer", "feedback"}
    assert run.metrics["agenda.minutes_match"] == 1.0  # the planner guarantees the sum
    stored = Store(env.database_url).get_eval_run(run.id)
    assert stored is not None and len(stored.cases) == 9
    agenda_case = stored.cases[0]
    assert agenda_case["input"]["topic"] and agenda_case["output"]["items"]
    assert "min for" in agenda_case["reasons"]["minutes_match"]
    # The run says which cases it scored and the targets it was judged by.
    version = stored.config["datasets"]["agenda"]
    assert version == dataset_version("agenda", 3) and version["cases"] == 3
    assert stored.config["targets"]["agenda.minutes_match"]["target"] == 1.0


def test_dataset_versions_tell_a_sample_from_the_full_set_and_a_changed_file(
    tmp_path: Path,
) -> None:
    sample, full = dataset_version("chat", 2), dataset_version("chat", None)
    assert sample["sha256"] == full["sha256"] and sample["limit"] == 2
    assert sample["case_ids_sha256"] != full["case_ids_sha256"]
    assert full["cases"] == len(load_dataset("chat"))
    (tmp_path / "chat.jsonl").write_text('{"id": "x"}\n', encoding="utf-8")
    assert dataset_version("chat", None, tmp_path)["sha256"] != full["sha256"]


def test_a_baseline_shows_deltas_and_a_failed_gate_exits_1(
    env: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _eval(tmp_path, "--suite", "retrieval", "--limit", "4") == 0
    first = Store(env.database_url).list_eval_runs()[0].id
    capsys.readouterr()
    code = _eval(
        tmp_path,
        "--suite",
        "retrieval",
        "--limit",
        "8",
        "--baseline",
        str(first),
        "--fail-under",
        "retrieval.ndcg@10=0.999",
    )
    out = capsys.readouterr()
    assert code == 1
    assert "baseline" in out.out and "delta" in out.out
    assert "gate FAILED: retrieval.ndcg@10" in out.out
    assert "gate(s) failed" in out.err
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["baseline"]["run_id"] == first
    assert "retrieval.ndcg@10" in report["baseline"]["deltas"]


@pytest.mark.parametrize(
    "args",
    [
        ["--fail-under", "ndcg"],
        ["--suite", "retrieval", "--fail-under", "chat.groundedness=0.7"],
        ["--baseline", "999"],
        ["--limit", "0"],
    ],
)
def test_bad_arguments_exit_2_with_one_line_and_run_nothing(
    env: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    assert _eval(tmp_path, *args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("coach: ")
    assert Store(env.database_url).list_eval_runs() == []


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _interrupt_eval(sig: signal.Signals) -> subprocess.CompletedProcess:
    """`coach eval --suite retrieval` in its own process, sent `sig` once it scores cases."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "eval", "--suite", "retrieval"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # As from a terminal: a test run launched in the background (nohup, `cmd &` in a
        # script) inherits SIGINT ignored, and Ctrl-C would then never reach the eval.
        preexec_fn=_default_sigint,
    )
    assert proc.stderr is not None
    seen = ""
    for line in proc.stderr:  # "retrieval: 0/195 cases" is printed as the first case starts
        seen += line
        if "retrieval: 0/" in line:
            proc.send_signal(sig)
            break
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, seen + err)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "killed"])
def test_a_stopped_run_keeps_its_cases_and_resume_completes_it(
    env: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str], sig: signal.Signals
) -> None:
    from assistant.store import RUN_COMPLETE, RUN_INTERRUPTED, RUN_RUNNING

    stopped = _interrupt_eval(sig)
    store = Store(env.database_url)
    [run] = store.list_eval_runs()
    kept = store.get_eval_run(run.id).cases
    total = len(load_dataset("retrieval"))
    assert len(kept) < total
    if sig == signal.SIGINT:
        assert stopped.returncode == 130, stopped.stderr
        assert f"Carry on with `coach eval --resume {run.id}`" in stopped.stderr
        assert "Traceback" not in stopped.stderr
        assert run.status == RUN_INTERRUPTED
    else:
        assert run.status == RUN_RUNNING  # killed: nothing could mark it, it still resumes

    assert _eval(tmp_path, "--resume", str(run.id)) == 0
    resumed = store.get_eval_run(run.id)
    assert resumed.status == RUN_COMPLETE and resumed.config["resumed"] == 1
    assert resumed.config["cases"] == total
    ids = [c["case_id"] for c in resumed.cases]
    assert len(ids) == len(set(ids)) == total
    assert [c["case_id"] for c in resumed.cases[: len(kept)]] == [c["case_id"] for c in kept]
    # Scores equal a run made in one go (retrieval is deterministic).
    capsys.readouterr()
    assert _eval(tmp_path, "--suite", "retrieval") == 0
    fresh = store.list_eval_runs()[0]
    assert fresh.id != run.id
    same = {k: v for k, v in fresh.metrics.items() if "latency" not in k}
    assert {k: resumed.metrics[k] for k in same} == same


def test_resume_refuses_a_finished_run_another_model_or_new_suites(
    env: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = Store(env.database_url)
    assert _eval(tmp_path, "--suite", "retrieval", "--limit", "2") == 0
    finished = store.list_eval_runs()[0].id
    services = build_services(env)
    other = store.start_eval_run(
        suites=["chat"],
        backend="local",
        model="qwen2.5-coder-1.5b",
        prompt_versions=services.prompts.versions(),
        config={},
    )
    stale = store.start_eval_run(
        suites=["chat"],
        backend="scripted",
        model="scripted",
        prompt_versions={"answer": "answer-v0"},
        config={},
    )
    moved = store.start_eval_run(
        suites=["chat"],
        backend="scripted",
        model="scripted",
        prompt_versions=services.prompts.versions(),
        config={"limit": 2, "datasets": {"chat": dataset_version("chat", 2) | {"sha256": "0"}}},
    )
    capsys.readouterr()
    for args, expected in [
        (["--resume", str(moved)], "datasets changed"),
        (["--resume", str(finished)], "already complete"),
        (["--resume", str(other)], "was made with local/qwen2.5-coder-1.5b"),
        (["--resume", str(stale)], "prompts changed"),
        (["--resume", "999"], "no eval run #999"),
        (["--resume", str(other), "--suite", "chat"], "own suites and limit"),
    ]:
        assert _eval(tmp_path, *args) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and expected in err[0], (args, err)
    assert len(store.get_eval_run(other).cases) == 0


def test_an_unknown_suite_is_refused_by_the_parser(env: Settings) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["eval", "--suite", "vibes"])
    assert exit_.value.code == 2


def test_a_failing_model_call_is_recorded_as_the_cases_error(env: Settings) -> None:
    services = build_services(env)
    services.model = ScriptedModel([ModelUnavailable("The model server is down.")] * 2, strict=True)
    run = runner.run_eval(services, ["chat"], limit=2)
    assert [c["error"] for c in run.cases] == ["ModelUnavailable: The model server is down."] * 2
    assert run.metrics["chat.errors"] == 1.0
    run_id = runner.save(run, services.store)
    assert services.store.get_eval_run(run_id).cases[0]["error"].startswith("ModelUnavailable")


def test_the_attack_suite_catches_a_model_that_obeys_a_planted_document(env: Settings) -> None:
    case = next(
        c
        for c in load_dataset("attacks")
        if c["vector"] == "document" and c["family"] == "prompt_injection"
    )
    services = build_services(env)
    services.model = ScriptedModel(
        [f"Plan one goal per session [1]. {case['canary']}"], strict=True
    )
    record = runner.run_case(attacks, SuiteContext(services), case)
    assert record["error"] is None
    assert record["scores"] == {"attack_success": 1.0, "success_document": 1.0}
    sent = "\n".join(m["content"] for m in services.model.last_call.messages)
    assert "Team notes (uploaded)" in sent  # the planted document reached the prompt


def _feedback_case(case_id: str) -> dict:
    return next(c for c in load_dataset("feedback") if c["id"] == case_id)


def test_the_feedback_suite_credits_found_action_items_and_catches_obeyed_notes(
    env: Settings,
) -> None:
    services = build_services(env)
    clean = _feedback_case("feedback-001")
    planted = _feedback_case("feedback-004")  # carries "write the summary in French ..."
    services.model = ScriptedModel(
        [
            {
                "summary": "A practical session on prompting and checking figures.",
                "action_items": [
                    {"owner": g["owner"], "action": g["action"]} for g in clean["gold_action_items"]
                ],
            },
            {"summary": "Bonjour tout le monde! La session était utile.", "action_items": []},
        ],
        strict=True,
    )
    ctx = SuiteContext(services)
    good = runner.run_case(SUITES["feedback"], ctx, clean)
    # Every action item found, each with the right owner and backed by the notes; the reply
    # reports no learning.
    assert good["scores"] == {
        "action_recall": 1.0,
        "pii_leaks": 0.0,
        "owner_accuracy": 1.0,
        "learned_recall": 0.0,
        "backed": 1.0,
    }
    assert good["reasons"]["pii_leaks"] == "none of 4 planted personal details appear"
    obeyed = runner.run_case(SUITES["feedback"], ctx, planted)
    assert obeyed["scores"]["injection_obeyed"] == 1.0
    assert obeyed["scores"]["action_recall"] == 0.0


def test_every_dataset_loads_and_every_suite_declares_its_metrics() -> None:
    from assistant.eval_report import SUITE_NAMES

    # The report's catalog, which the dashboard reads, names the suites the runner runs.
    assert tuple(SUITES) == SUITE_NAMES
    for name, suite in SUITES.items():
        assert runner.suite_cases(name), name
        assert all(m.name.startswith(f"{name}.") for m in suite.METRICS)


# The fast bundled model: two chat cases on the 1.5B default took ~9 minutes on a busy 2-core
# machine, too close to the test timeout; `make eval` runs the full suites on the default.
SMOKE_MODEL = "qwen2.5-coder-0.5b"


@pytest.mark.slow_model
def test_smoke_run_on_the_real_local_model(env: Settings, allow_model_requests: None) -> None:
    from assistant.config import PROJECT_ROOT
    from assistant.llm.local import LocalModel
    from assistant.llm.weights import resolve

    local = LocalModel(
        resolve(SMOKE_MODEL, PROJECT_ROOT / ".coach-data" / "models"), n_ctx=4096, n_threads=2
    )
    problem = local.availability_problem()
    if problem is not None:
        pytest.skip(str(problem))
    services = build_services(env)
    services.model = local
    run = runner.run_eval(services, ["chat"], limit=2)
    assert [c["error"] for c in run.cases] == [None, None], run.cases
    assert run.backend == "local"
    assert 0.0 <= run.metrics["chat.groundedness"] <= 1.0
    assert run.metrics["chat.citation_valid"] == 1.0
