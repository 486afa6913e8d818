"""Deciding on a proposal: accepting it adds its deduction line, overriding it records the count and reason.

Kept apart from :mod:`canteen.assessment.proposals` (which only computes proposals) so that
:mod:`canteen.assessment.assessments` can ask for undecided proposals while this module builds on both.
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from canteen.assessment import audit
from canteen.assessment.assessments import add_line, load_for_edit, parse_count
from canteen.assessment.models import ProposalDecision
from canteen.assessment.proposals import proposals_for
from canteen.auth.models import User
from canteen.config import AppConfig
from canteen.core.errors import FieldErrors, NotFound
from canteen.core.validation import clean_text
from canteen.db import utcnow


def decide_proposal(session: Session, settings: AppConfig, actor: User, assessment_id: object, key: Any,
                    accept: bool, count: Any = None, reason: Any = None,
                    now: datetime | None = None) -> ProposalDecision:
    """Accept a proposal as it stands, or override its count (0 dismisses it) with a reason."""
    assessment = load_for_edit(session, actor, assessment_id)
    # Proposals are recomputed from current data, so a decision is always taken on today's figures.
    proposal = next((item for item in proposals_for(session, settings, assessment, now) if item.key == key),
                    None)
    if proposal is None:
        raise NotFound(_("no such proposal"), {"key": _("unknown proposal")})
    errors = FieldErrors()
    text = clean_text(reason, "reason", 500, errors, required=not accept)
    decided = proposal.count
    if not accept:
        # 0 is a valid override: it dismisses the proposal, with the reason on record.
        parsed = parse_count(count, errors, minimum=0)
        if parsed is None and "count" not in errors:
            errors["count"] = _("required")
        elif parsed is not None:
            decided = parsed
    errors.raise_if_any(_("an override needs a count and a reason"))
    moment = now or utcnow()
    previous = next((item for item in assessment.decisions
                     if item.key == proposal.key and not item.superseded), None)
    # A new decision replaces the old one; its line is withdrawn, not deleted, so the change stays visible.
    if previous is not None:
        previous.superseded = True
        line = next((line for line in assessment.lines if line.id == previous.line_id), None)
        if line is not None and line.active:
            line.withdrawn_at, line.withdrawn_by_id = moment, actor.id
            line.withdrawn_revision = assessment.revision
            line.withdraw_reason = "superseded by a new decision"
    line_id = None
    if decided > 0:
        data: dict[str, Any] = {"rule": proposal.rule_code, "count": decided, "reference": proposal.reference,
                                "spot_check": proposal.spot_check_id, "ledger_day": proposal.ledger_day,
                                "note": text or ""}
        line = add_line(session, settings, actor, assessment.id, data, now=now, proposal_key=proposal.key)
        # An overridden count no longer follows from the measured excess, so only an accepted line keeps it.
        line.excess_pct = proposal.excess_pct if accept else None
        line_id = line.id
    decision = ProposalDecision(
        assessment_id=assessment.id, key=proposal.key, rule_code=proposal.rule_code,
        proposed_count=proposal.count, decided_count=decided, accepted=accept, reason=text or "",
        detail=json.dumps(proposal.detail, ensure_ascii=False, sort_keys=True), line_id=line_id,
        decided_by_id=actor.id, decided_at=moment)
    session.add(decision)
    session.flush()
    session.refresh(assessment)
    action = "proposal_accepted" if accept else "proposal_overridden"
    audit.record(session, "assessment", assessment.id, action, actor, now, key=proposal.key,
                 rule=proposal.rule_code, proposed=proposal.count, decided=decided, reason=text,
                 detail=proposal.detail)
    return decision
