"""The shared resources, built lazily: the app caches one Services; the CLI builds one per run."""

from __future__ import annotations

import threading
from functools import cached_property

from assistant.config import Settings


class Services:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()

    @cached_property
    def index(self):  # noqa: ANN201
        from assistant.index import KnowledgeIndex

        return KnowledgeIndex(self.settings)

    @cached_property
    def retriever(self):  # noqa: ANN201
        from assistant.retrieval import Retriever

        return Retriever(self.index)

    @cached_property
    def model(self):  # noqa: ANN201
        from assistant.llm import get_model

        return get_model(self.settings)

    @cached_property
    def store(self):  # noqa: ANN201
        from assistant.store import Store

        return Store(self.settings.database_url)

    @cached_property
    def pairs(self):  # noqa: ANN201
        from assistant.pair_store import PairStore

        return PairStore(self.store)

    @cached_property
    def prompts(self):  # noqa: ANN201
        from assistant.prompts import PromptLibrary

        return PromptLibrary(self.settings.prompts_dir)

    @cached_property
    def coach(self):  # noqa: ANN201
        from assistant.coach import Coach

        return Coach(self.retriever, self.model, self.prompts)


def build_services(settings: Settings) -> Services:
    return Services(settings)
