"""Eval runs and their cases: a run is started, gets its cases as they finish, and is
finished (or left interrupted, to resume)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from assistant.access import Permission
from assistant.db import eval_cases, eval_runs
from assistant.store.base import StoreBase
from assistant.store.rows import RUN_COMPLETE, RUN_RUNNING, EvalRunRow, _now


class EvalRunStore(StoreBase):
    def save_eval_run(
        self,
        *,
        suites: list[str],
        backend: str,
        model: str,
        prompt_versions: dict,
        config: dict,
        seconds: float,
        metrics: dict[str, float],
        cases: list[dict],
    ) -> int:
        """A finished run in one go (runs made case by case use start/add/finish)."""
        run_id = self.start_eval_run(
            suites=suites,
            backend=backend,
            model=model,
            prompt_versions=prompt_versions,
            config=config,
        )
        self.add_eval_cases(run_id, cases)
        self.finish_eval_run(run_id, seconds=seconds, metrics=metrics, config=config)
        return run_id

    def start_eval_run(
        self, *, suites: list[str], backend: str, model: str, prompt_versions: dict, config: dict
    ) -> int:
        """A run that has not finished yet: its cases are added as they complete, so an
        interrupted run keeps them and can be resumed."""
        with self._begin() as conn:
            self._acting(conn).require(Permission.EVALS)
            return conn.execute(
                eval_runs.insert().values(
                    created_at=_now(),
                    suites=list(suites),
                    backend=backend,
                    model=model,
                    prompt_versions=prompt_versions,
                    config=config | {"status": RUN_RUNNING},
                    seconds=0.0,
                    metrics={},
                )
            ).inserted_primary_key[0]

    def add_eval_cases(self, run_id: int, cases: list[dict]) -> None:
        if not cases:
            return
        with self._begin() as conn:
            self._acting(conn).require(Permission.EVALS)
            self._require(conn, eval_runs, run_id, "eval run")
            conn.execute(
                eval_cases.insert(),
                [
                    {
                        "run_id": run_id,
                        "suite": c["suite"],
                        "case_id": str(c["case_id"]),
                        "input": c.get("input", {}),
                        "output": c.get("output"),
                        "scores": c.get("scores", {}),
                        "reasons": c.get("reasons", {}),
                        "seconds": float(c.get("seconds", 0.0)),
                        "error": c.get("error"),
                    }
                    for c in cases
                ],
            )

    def finish_eval_run(
        self,
        run_id: int,
        *,
        seconds: float,
        metrics: dict[str, float],
        config: dict,
        status: str = RUN_COMPLETE,
    ) -> None:
        """Record the run's scores and time; `status="interrupted"` keeps it resumable."""
        with self._begin() as conn:
            self._acting(conn).require(Permission.EVALS)
            self._require(conn, eval_runs, run_id, "eval run")
            conn.execute(
                eval_runs.update()
                .where(eval_runs.c.id == run_id)
                .values(seconds=float(seconds), metrics=metrics, config=config | {"status": status})
            )

    @staticmethod
    def _to_run(row: Any, cases: list[dict] | None) -> EvalRunRow:
        return EvalRunRow(
            id=row.id,
            created_at=row.created_at,
            suites=row.suites,
            backend=row.backend,
            model=row.model,
            prompt_versions=row.prompt_versions,
            config=row.config,
            seconds=row.seconds,
            metrics=row.metrics,
            cases=cases,
        )

    def list_eval_runs(self, limit: int = 50) -> list[EvalRunRow]:
        query = sa.select(eval_runs).order_by(eval_runs.c.id.desc()).limit(limit)
        with self._begin(write=False) as conn:
            self._acting(conn).require(Permission.EVALS)
            return [self._to_run(row, None) for row in conn.execute(query)]

    def count_eval_cases(self, run_ids: list[int]) -> dict[int, int]:
        """Cases stored so far per run (how far an unfinished run got)."""
        query = (
            sa.select(eval_cases.c.run_id, sa.func.count().label("n"))
            .where(eval_cases.c.run_id.in_(run_ids))
            .group_by(eval_cases.c.run_id)
        )
        with self._begin(write=False) as conn:
            self._acting(conn).require(Permission.EVALS)
            counts = {row.run_id: int(row.n) for row in conn.execute(query)}
        return {run_id: counts.get(run_id, 0) for run_id in run_ids}

    def get_eval_run(self, run_id: int, *, with_cases: bool = True) -> EvalRunRow | None:
        with self._begin(write=False) as conn:
            self._acting(conn).require(Permission.EVALS)
            row = conn.execute(sa.select(eval_runs).where(eval_runs.c.id == run_id)).first()
            if row is None:
                return None
            if not with_cases:
                return self._to_run(row, None)
            case_rows = conn.execute(
                sa.select(eval_cases).where(eval_cases.c.run_id == run_id).order_by(eval_cases.c.id)
            )
            cases = [
                {
                    "suite": c.suite,
                    "case_id": c.case_id,
                    "input": c.input,
                    "output": c.output,
                    "scores": c.scores,
                    "reasons": c.reasons,
                    "seconds": c.seconds,
                    "error": c.error,
                }
                for c in case_rows
            ]
        return self._to_run(row, cases)
