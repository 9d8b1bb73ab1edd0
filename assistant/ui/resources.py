"""Shared, cached resources: one `Services` per settings, built lazily.

Nothing heavy happens at import or on the first render: `build_services` returns an object whose
index, embedder, model and store are built on first use, so the sidebar and an empty page show
in a couple of seconds. The cache is keyed on the settings, so a changed environment (tests, a
new COACH_DATA_DIR) gets its own services instead of a stale one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from assistant.config import Settings, get_settings

if TYPE_CHECKING:
    from assistant.services import Services


def settings() -> Settings:
    return get_settings()


def shared_services() -> Services:
    """The app's resources, not bound to anyone: for sign-in and accounts only."""
    current = get_settings()
    return _services_for(repr(current), current)


def services() -> Services:
    """The resources as this browser session's signed-in account (personal mode when the
    coach has no accounts): every store call on a page is checked for that account."""
    from assistant.ui.auth import current_actor

    return shared_services().acting_as(current_actor())


@st.cache_resource(show_spinner=False, max_entries=4)
def _services_for(key: str, _settings: Settings) -> Services:
    # Only `key` is hashed (Streamlit skips arguments whose name starts with "_"); the repr of
    # a frozen Settings names every field, so equal settings share one Services.
    from assistant.services import build_services

    # COACH_USER is for the command line: the app acts only for whoever signed in.
    return build_services(_settings.with_(acting_user=None))
