"""Pairs in the history database: the one place that encodes and decodes pairs, cohorts,
sessions, tracked actions, ledger entries and a pair's links to artifacts and conversations.

It shares the Store's engine and transactions (BEGIN IMMEDIATE on SQLite), so two processes
recording sessions for the same pair queue up: each gets its own session number and nothing
is lost. A session's summary, its actions and its ledger entries are written in one transaction.
"""

from __future__ import annotations

from assistant.pair_store.base import PairStoreBase, UnknownAction, UnknownPair, _now
from assistant.pair_store.health import PairHealthStore
from assistant.pair_store.items import PairArtifact, PairItemStore
from assistant.pair_store.roster import PairRosterStore

__all__ = [
    "PairArtifact",
    "PairStore",
    "PairStoreBase",
    "UnknownAction",
    "UnknownPair",
    "_now",
]


class PairStore(PairRosterStore, PairHealthStore, PairItemStore):
    """Pairs over a Store: `PairStore(store.acting_as(actor))` checks everything for that
    actor. Roster, sessions (with actions and ledger), health figures and pair items are
    its parts."""
