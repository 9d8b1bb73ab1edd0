"""A user's own data as one JSON document (issue 12, "Your data").

Everything comes through the store bound to the user, so the export holds exactly what they
may see: their chats and saved items, and the content of their pairs that is shared with them
or written by them. The export itself is written to the audit log (who, when; not what).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from assistant import audit
from assistant.access import AccessDenied


def export_my_data(services: Any) -> dict[str, Any]:
    """`services` is bound to the user (`Services.acting_as`)."""
    store, pairs = services.store, services.pairs
    actor = store.whoami()
    conversations = []
    for row in store.list_conversations(limit=100_000):
        conversations.append(
            {
                "id": row.id,
                "title": row.title,
                "persona": row.persona,
                "created_at": row.created_at,
                "messages": [
                    {"role": m.role, "content": m.content, "created_at": m.created_at}
                    for m in store.get_messages(row.id)
                ],
            }
        )
    items = [
        {"id": a.id, "kind": a.kind, "title": a.title, "created_at": a.created_at, **a.payload}
        for a in store.list_artifacts(limit=100_000)
    ]
    my_pairs = []
    for pair in pairs.list_pairs():
        try:
            pairs.require_member(pair.id)
        except AccessDenied:  # leads list every pair's record; content only of their own
            continue
        my_pairs.append(
            {
                "pair": pair.model_dump(mode="json"),
                "sessions": [s.model_dump(mode="json") for s in pairs.sessions(pair.id)],
                "actions": [a.model_dump(mode="json") for a in pairs.actions(pair.id)],
                "ledger": [e.model_dump(mode="json") for e in pairs.ledger(pair.id)],
            }
        )
    store.audit(audit.EXPORT, actor.label, scope="my data")
    return {
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "account": {"email": actor.email, "role": actor.role} if actor.email else "personal",
        "conversations": conversations,
        "items": items,
        "pairs": my_pairs,
    }
