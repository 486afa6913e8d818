"""The chain of an escalation: every line of its history (started, approved, rejected, warning given,
letter sent, appealed, ended), each with the escalation's decision as it stood right after that line.

Hashed per line: the action, who, when, the note, and the escalation it belongs to (diner, offence, step).
The decision columns of the escalation row (status, decided by/at, note, board and letter dates) are current
values; each link keeps a snapshot of them (``state``) and ``canteen verify`` compares the row with the newest
link's snapshot, so a direct UPDATE of a decision is found. Left out: ``ordinal`` (kept for the record, never
decided on) and the appeals' own rows (their decisions are lines of this history too).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload, object_session

from canteen.chain.links import ChainedKind, LinkFacts, append
from canteen.offences.models import Escalation, EscalationAction

# The escalation's columns that a decision sets; verify compares them with the newest link's snapshot.
STATE_COLUMNS = ("status", "decided_by_id", "decided_at", "decision_note", "starts_at", "expires_at",
                 "left_board_at", "letter_sent_on", "letter_sent_by_id", "letter_sent_recorded_at",
                 "letter_note", "closed_at", "closed_reason")


def escalation_state(escalation: Escalation) -> dict[str, Any]:
    """The escalation's decision columns as they stand now."""
    return {column: getattr(escalation, column) for column in STATE_COLUMNS}


def _facts(action: EscalationAction) -> LinkFacts:
    escalation = action.escalation
    return LinkFacts(
        stream=f"escalation:{escalation.id}", canteen_id=escalation.offence.event.canteen_id, month=None,
        actor_id=action.actor_id, at=action.at,
        record={"escalation": escalation.id, "diner": escalation.diner_id, "offence": escalation.offence_id,
                "step": escalation.step, "action": action.action, "by": action.actor_id, "at": action.at,
                "note": action.note},
        state=escalation_state(escalation))


ESCALATION_ACTION = ChainedKind(
    "escalation_action", EscalationAction, _facts,
    lambda: select(EscalationAction).options(joinedload(EscalationAction.escalation)))
KINDS = (ESCALATION_ACTION,)


def link_escalation_action(action: EscalationAction) -> None:
    """Chain a new line of an escalation's history in the session holding it; two at once: one gets a 409."""
    session = object_session(action)
    # Every caller acts on an escalation loaded or added in a session; a detached one is a programming error.
    if session is None:
        raise RuntimeError("an escalation action must belong to a session to be chained")
    append(session, ESCALATION_ACTION, action)
