"""Offline evaluation of the coach: datasets (evals/datasets/*.jsonl), metrics and the runner."""
