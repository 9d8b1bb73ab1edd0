"""The shared resources, built lazily: the app caches one Services; the CLI builds one per run."""

from __future__ import annotations

import threading
from functools import cached_property
from typing import TYPE_CHECKING

from assistant.config import Settings

if TYPE_CHECKING:
    from assistant.access import Actor


class Services:
    """`store` and `pairs` act for `actor`: the CLI's --as EMAIL / COACH_USER account, or
    personal mode when none is named (refused once accounts exist). The app makes one view per
    signed-in session with `acting_as`; the heavy resources are shared between views."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()

    def acting_as(self, actor: Actor) -> ActingServices:
        return ActingServices(self, actor)

    @cached_property
    def actor(self) -> Actor:
        from assistant.access import PERSONAL
        from assistant.accounts import Accounts

        email = self.settings.acting_user
        return Accounts(self.base_store).actor_for(email) if email else PERSONAL

    @cached_property
    def base_store(self):  # noqa: ANN201
        """The store with no actor: for accounts and sign-in only, never for content."""
        from assistant.store import Store

        return Store(self.settings.database_url)

    @cached_property
    def limiter(self):  # noqa: ANN201
        from assistant.rate_limit import RateLimiter

        return RateLimiter(self.settings.generations_per_minute)

    @cached_property
    def accounts(self):  # noqa: ANN201
        from assistant.accounts import Accounts

        return Accounts(self.base_store)

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
        return self.base_store.acting_as(self.actor)

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


class ActingServices:
    """The shared Services as one actor: `store` and `pairs` are bound to them; everything
    else (index, model, coach...) is the shared object's, built once for all views."""

    def __init__(self, shared: Services, actor: Actor) -> None:
        self.shared = shared
        self.actor = actor

    def __getattr__(self, name: str):  # noqa: ANN204
        return getattr(self.shared, name)

    @cached_property
    def store(self):  # noqa: ANN201
        return self.shared.base_store.acting_as(self.actor)

    @cached_property
    def pairs(self):  # noqa: ANN201
        from assistant.pair_store import PairStore

        return PairStore(self.store)

    @cached_property
    def coach(self):  # noqa: ANN201
        """The shared coach; a signed-in user's generations count against their limit."""
        if self.actor.is_personal:
            return self.shared.coach
        from assistant.rate_limit import LimitedCoach

        return LimitedCoach(self.shared.coach, self.shared.limiter, self.actor.user_id)


def build_services(settings: Settings) -> Services:
    return Services(settings)
