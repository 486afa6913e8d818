"""Assessment endpoints of the JSON API: the sheet, contractors, assessments, deductions and the workflow."""
from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, request
from flask_babel import gettext as _

from canteen.api.base import api_blueprint, api_user, json_body, require_api
from canteen.api.openapi import CODE, DAY, ID_SCHEMA, MONTH, document, param, text
from canteen.assessment.access import visible_assessment
from canteen.assessment.assessments import (MAX_COUNT, MAX_EXCESS_PCT, add_line, amend, answer,
                                            assessment_as_dict, finalize, line_as_dict, list_assessments,
                                            open_assessment, respond, score_of, sheet_for, submit,
                                            withdraw_line)
from canteen.assessment.contractors import contractor_as_dict, visible_contractors
from canteen.assessment.decisions import decide_proposal
from canteen.assessment.proposals import proposal_as_dict, proposals_for
from canteen.assessment.sheet import current_sheet_version, sheet_as_dict
from canteen.core.errors import InvalidInput
from canteen.extensions import db

bp = api_blueprint("assessment_api", __name__)
# This feature's component schemas, added to the OpenAPI document by its init_app.
SCHEMAS: dict[str, dict[str, Any]] = {}

_POINTS = {"type": "number"}
_NAMED = {"code": {"type": "string"}, "name_zh": {"type": "string"}, "name_en": {"type": "string"}}
_RULE = {"type": "object", "properties": {
    **_NAMED, "points": _POINTS, "per": {"type": "string", "enum": ["occurrence", "person", "step5pct"]},
    "cap": {"type": "number", "nullable": True}, "evidence_required": {"type": "boolean"},
    "source": {"type": "string", "nullable": True,
               "enum": ["ledger_missing", "reweigh", "plate_baseline", None]}}}
_LINE = {"type": "object", "properties": {
    "id": {"type": "integer"}, "kind": {"type": "string", "enum": ["deduction", "veto", "bonus"]},
    "rule": {"type": "string"}, "item": {"type": "string", "nullable": True}, "name_zh": {"type": "string"},
    "name_en": {"type": "string"}, "count": {"type": "integer"},
    "excess_pct": {"type": "number", "nullable": True},
    "points": {"type": "number", "nullable": True}, "note": {"type": "string"},
    "evidence": {"type": "object", "properties": {
        "spot_check": {"type": "integer", "nullable": True},
        "ledger_day": {"type": "string", "format": "date", "nullable": True},
        "photo": {"type": "boolean"}, "reference": {"type": "string"}}},
    "proposal": {"type": "string", "nullable": True}, "added_revision": {"type": "integer"},
    "added_by": {"type": "string"}, "added_at": {"type": "string", "format": "date-time"},
    "withdrawn": {"type": "object", "nullable": True}}}

SCHEMAS["AssessmentTemplate"] = {"type": "object", "properties": {
    "version": {"type": "integer", "description": "The sheet version; past assessments keep theirs."},
    "hash": {"type": "string"},
    "groups": {"type": "array", "items": {"type": "object", "properties": _NAMED}},
    "items": {"type": "array", "items": {"type": "object", "properties": {
        **_NAMED, "group": {"type": "string"}, "max_points": _POINTS,
        "rules": {"type": "array", "items": _RULE}}}},
    "vetoes": {"type": "array", "items": {"type": "object"}},
    "bonuses": {"type": "array", "items": {"type": "object"}},
    "bonus_cap": _POINTS, "bands": {"type": "array", "items": {"type": "object"}},
    "warning": {"type": "object"}}}
SCHEMAS["Contractor"] = {"type": "object", "properties": {
    "id": {"type": "integer"}, "name": {"type": "string"}, "contract_no": {"type": "string"},
    "starts_on": {"type": "string", "format": "date"}, "ends_on": {"type": "string", "format": "date"},
    "active": {"type": "boolean"}, "monthly_fee": {"type": "number", "description": "yuan"},
    "canteens": {"type": "array", "items": {"type": "object", "properties": {
        "canteen": {"type": "string"}, "monthly_fee": {"type": "number"}}}}}}
SCHEMAS["ContractorList"] = {"type": "object", "properties": {
    "contractors": {"type": "array", "items": {"$ref": "#/components/schemas/Contractor"}}}}
SCHEMAS["AssessmentInput"] = {
    "type": "object", "required": ["contractor", "canteen", "month"], "properties": {
        "contractor": ID_SCHEMA, "canteen": dict(CODE, example="zonghe"), "month": MONTH}}
SCHEMAS["AssessmentLine"] = _LINE
SCHEMAS["Assessment"] = {"type": "object", "properties": {
    "id": {"type": "integer"},
    "contractor": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}},
    "canteen": {"type": "string"}, "month": {"type": "string"},
    "status": {"type": "string", "enum": ["draft", "submitted", "disputed", "amending", "final"]},
    "revision": {"type": "integer"}, "sheet_version": {"type": "integer"},
    "items": {"type": "array", "items": {"type": "object", "properties": {
        **_NAMED, "group": {"type": "string"}, "max_points": _POINTS, "deducted": _POINTS,
        "score": {"type": "number", "description": "max minus deductions, never below 0"},
        "rules": {"type": "array", "items": {"type": "object"}},
        "deductions": {"type": "array", "items": {"$ref": "#/components/schemas/AssessmentLine"}}}}},
    "vetoes": {"type": "array", "items": {"type": "string"}}, "bonus": _POINTS,
    "deductions": {"type": "array", "items": {"$ref": "#/components/schemas/AssessmentLine"}},
    "withdrawn": {"type": "array", "items": {"$ref": "#/components/schemas/AssessmentLine"}},
    "total": _POINTS,
    "grade": {"type": "object", "properties": {**_NAMED, "rectification_plan": {"type": "boolean"}}},
    "fee": {"type": "object",
            "properties": {"base": _POINTS, "payable": _POINTS, "rule": {"type": "string"}}},
    "warning": {"type": "boolean", "description": "consecutive months below the warning threshold"},
    "respond_by": {"type": "string", "format": "date", "nullable": True},
    "response": {"type": "string", "nullable": True}, "response_text": {"type": "string", "nullable": True},
    "answer": {"type": "string", "nullable": True},
    "revisions": {"type": "array", "items": {"type": "object"}}}}
SCHEMAS["AssessmentSummary"] = {"type": "object", "properties": {
    "id": {"type": "integer"}, "contractor": {"type": "integer"}, "canteen": {"type": "string"},
    "month": {"type": "string"}, "status": {"type": "string"}, "revision": {"type": "integer"},
    "total": _POINTS, "grade": {"type": "string"}, "fee": _POINTS}}
SCHEMAS["AssessmentList"] = {"type": "object", "properties": {
    "assessments": {"type": "array", "items": {"$ref": "#/components/schemas/AssessmentSummary"}}}}
SCHEMAS["DeductionInput"] = {"type": "object", "required": ["rule"], "properties": {
    "rule": dict(CODE, description="a rule, veto or bonus code of the assessment's sheet version"),
    "count": {"type": "integer", "minimum": 1, "maximum": MAX_COUNT, "default": 1,
              "description": "occurrences, persons or 5 % steps"},
    "excess_pct": {"type": "number", "minimum": 0, "maximum": MAX_EXCESS_PCT,
                   "description": "per-5 % rules: the excess over the baseline"},
    "points": {"type": "number", "minimum": 0, "exclusiveMinimum": True, "maximum": 100,
               "description": "a partial deduction instead of count x points, at most two decimals; at most "
                              "the item's max"},
    "note": text(1000),
    "spot_check": dict(ID_SCHEMA, description="evidence: a spot-check record of the month"),
    "ledger_day": dict(DAY, description="evidence: a ledger day of the month"),
    "reference": text(300, "evidence: e.g. a complaint number")}}
# One schema per limit: each action keeps its reason to its own length.
SCHEMAS["WithdrawalInput"] = {"type": "object", "required": ["reason"], "properties": {"reason": text(500)}}
SCHEMAS["AmendmentInput"] = {"type": "object", "required": ["reason"], "properties": {"reason": text(1000)}}
SCHEMAS["DisputeInput"] = {"type": "object", "required": ["reason"], "properties": {"reason": text(2000)}}
SCHEMAS["CommentInput"] = {"type": "object", "properties": {"comment": text(2000)}}
SCHEMAS["AnswerInput"] = {"type": "object", "required": ["answer"], "properties": {"answer": text(2000)}}
SCHEMAS["Proposal"] = {"type": "object", "properties": {
    "key": {"type": "string"}, "source": {"type": "string"}, "rule": {"type": "string"},
    "count": {"type": "integer"}, "detail": {"type": "object"},
    "spot_check": {"type": "integer", "nullable": True},
    "decision": {"type": "object", "nullable": True}}}
SCHEMAS["ProposalList"] = {"type": "object", "properties": {
    "proposals": {"type": "array", "items": {"$ref": "#/components/schemas/Proposal"}}}}
SCHEMAS["ProposalDecisionInput"] = {"type": "object", "required": ["key", "accept"], "properties": {
    "key": {"type": "string", "example": "ledger_missing"}, "accept": {"type": "boolean"},
    "count": {"type": "integer", "minimum": 0, "maximum": MAX_COUNT, "description": "when overriding"},
    "reason": text(500, "required when overriding")}}


def _settings() -> Any:
    return current_app.config["SETTINGS"]


def summary_as_dict(assessment: Any) -> dict[str, Any]:
    """The short JSON shape used in lists."""
    card = score_of(assessment)
    return {"id": assessment.id, "contractor": assessment.contractor_id, "canteen": assessment.canteen.code,
            "month": assessment.month.strftime("%Y-%m"), "status": assessment.status,
            "revision": assessment.revision, "total": float(card.total), "grade": card.band.code,
            "fee": card.fee_fen / 100}


# Every workflow step answers with the whole assessment, so a client needs no second request to show it.
def _detail(assessment_id: int) -> Any:
    return jsonify(assessment_as_dict(db.session, visible_assessment(db.session, api_user(), assessment_id)))


@bp.get("/assessment-template")
@document("get", "/assessment-template", "The assessment sheet in force, with its version",
          responses={200: "AssessmentTemplate"}, tag="assessment")
def get_assessment_template() -> Any:
    """The 10-item sheet of config.yaml as stored (a new content gets the next version number)."""
    require_api("assessment.view")
    version = current_sheet_version(db.session, _settings())
    # This GET may store a new sheet version: commit, so the number shown is the number kept.
    db.session.commit()
    return jsonify(sheet_as_dict(version))


@bp.get("/contractors")
@document("get", "/contractors", "Contractors and their contracts (a caterer sees its own)",
          responses={200: "ContractorList"}, tag="assessment")
def get_contractors() -> Any:
    """Contractors the token's user may see."""
    require_api("assessment.view")
    contractors = visible_contractors(db.session, api_user())
    return jsonify({"contractors": [contractor_as_dict(item) for item in contractors]})


@bp.get("/assessments")
@document("get", "/assessments", "Assessments of a contractor and year",
          query={"contractor": param("contractor id", ID_SCHEMA),
                 "year": param("e.g. 2021", {"type": "integer", "minimum": 2000, "maximum": 2100}),
                 "canteen": param("canteen code", CODE)},
          responses={200: "AssessmentList"}, tag="assessment")
def get_assessments() -> Any:
    """Monthly assessments the token's user may see, by month."""
    items = list_assessments(db.session, api_user(), request.args.get("contractor"), request.args.get("year"),
                             request.args.get("canteen"))
    return jsonify({"assessments": [summary_as_dict(item) for item in items]})


@bp.post("/assessments")
@document("post", "/assessments", "Open the draft assessment of a contractor, canteen and month",
          body="AssessmentInput", responses={201: "Assessment"}, tag="assessment")
def post_assessment() -> Any:
    """Open a draft; a second one for the same contractor, canteen and month answers 409."""
    assessment = open_assessment(db.session, _settings(), api_user(), json_body())
    db.session.commit()
    return jsonify(assessment_as_dict(db.session, assessment)), 201


@bp.get("/assessments/<int:assessment_id>")
@document("get", "/assessments/{assessment_id}",
          "An assessment: items, deductions, total, grade, fee, status",
          responses={200: "Assessment"}, tag="assessment")
def get_assessment(assessment_id: int) -> Any:
    """One assessment with its score card and revisions."""
    require_api("assessment.view")
    return _detail(assessment_id)


@bp.post("/assessments/<int:assessment_id>/deductions")
@document("post", "/assessments/{assessment_id}/deductions", "Apply a deduction, veto or bonus by rule",
          body="DeductionInput", responses={201: "AssessmentLine"}, tag="assessment")
def post_deduction(assessment_id: int) -> Any:
    """Add a line to a draft (or an amendment); refused once submitted."""
    line = add_line(db.session, _settings(), api_user(), assessment_id, json_body())
    db.session.commit()
    return jsonify(line_as_dict(line, sheet_for(line.assessment))), 201


@bp.post("/assessments/<int:assessment_id>/deductions/<int:line_id>/withdraw")
@document("post", "/assessments/{assessment_id}/deductions/{line_id}/withdraw",
          "Withdraw a deduction with a reason (it stays on record)", body="WithdrawalInput",
          responses={200: "AssessmentLine"}, tag="assessment")
def post_withdraw_deduction(assessment_id: int, line_id: int) -> Any:
    """Withdraw a line."""
    line = withdraw_line(db.session, api_user(), assessment_id, line_id, json_body().get("reason"))
    db.session.commit()
    return jsonify(line_as_dict(line, sheet_for(line.assessment)))


@bp.get("/assessments/<int:assessment_id>/proposals")
@document("get", "/assessments/{assessment_id}/proposals",
          "Deductions proposed from ledger and spot-check data",
          responses={200: "ProposalList"}, tag="assessment")
def get_proposals(assessment_id: int) -> Any:
    """The proposals and their decisions."""
    # Proposals are the assessors' working material; the caterer sees only the lines they lead to.
    require_api("assessment.edit")
    assessment = visible_assessment(db.session, api_user(), assessment_id)
    return jsonify({"proposals": [proposal_as_dict(item)
                                  for item in proposals_for(db.session, _settings(), assessment)]})


@bp.post("/assessments/<int:assessment_id>/proposals")
@document("post", "/assessments/{assessment_id}/proposals", "Accept a proposal, or override it with a reason",
          body="ProposalDecisionInput", responses={200: "Assessment"}, tag="assessment")
def post_proposal_decision(assessment_id: int) -> Any:
    """Decide one proposal."""
    require_api("assessment.edit")
    data = json_body()
    accept = data.get("accept")
    # Only a real JSON boolean: a string such as "false" would otherwise count as acceptance.
    if not isinstance(accept, bool):
        raise InvalidInput(_("invalid decision"), {"accept": _("true or false")})
    decide_proposal(db.session, _settings(), api_user(), assessment_id, data.get("key"), accept,
                    data.get("count"), data.get("reason"))
    db.session.commit()
    return _detail(assessment_id)


@bp.post("/assessments/<int:assessment_id>/submit")
@document("post", "/assessments/{assessment_id}/submit", "Submit (lock) the month and send it to the caterer",
          responses={200: "Assessment"}, tag="assessment")
def post_submit(assessment_id: int) -> Any:
    """Submit a draft or an amendment."""
    submit(db.session, _settings(), api_user(), assessment_id)
    db.session.commit()
    return _detail(assessment_id)


@bp.post("/assessments/<int:assessment_id>/acknowledge")
@document("post", "/assessments/{assessment_id}/acknowledge", "The caterer acknowledges the month",
          body="CommentInput", responses={200: "Assessment"}, tag="assessment")
def post_acknowledge(assessment_id: int) -> Any:
    """Acknowledge within the response window."""
    # The comment is optional, so an acknowledgement may arrive with no body at all.
    data = json_body() if request.get_data() else {}
    respond(db.session, _settings(), api_user(), assessment_id, "acknowledge", data.get("comment"))
    db.session.commit()
    return _detail(assessment_id)


@bp.post("/assessments/<int:assessment_id>/dispute")
@document("post", "/assessments/{assessment_id}/dispute", "The caterer disputes the month with a reason",
          body="DisputeInput", responses={200: "Assessment"}, tag="assessment")
def post_dispute(assessment_id: int) -> Any:
    """Dispute within the response window."""
    respond(db.session, _settings(), api_user(), assessment_id, "dispute", json_body().get("reason"))
    db.session.commit()
    return _detail(assessment_id)


@bp.post("/assessments/<int:assessment_id>/amend")
@document("post", "/assessments/{assessment_id}/amend",
          "Reopen a submitted or disputed month as a new revision",
          body="AmendmentInput", responses={200: "Assessment"}, tag="assessment")
def post_amend(assessment_id: int) -> Any:
    """Start an amendment."""
    amend(db.session, _settings(), api_user(), assessment_id, json_body().get("reason"))
    db.session.commit()
    return _detail(assessment_id)


@bp.post("/assessments/<int:assessment_id>/answer")
@document("post", "/assessments/{assessment_id}/answer", "Answer a dispute; the month becomes final",
          body="AnswerInput", responses={200: "Assessment"}, tag="assessment")
def post_answer(assessment_id: int) -> Any:
    """Answer the caterer's dispute (closing an amendment, if one is open)."""
    answer(db.session, _settings(), api_user(), assessment_id, json_body().get("answer"))
    db.session.commit()
    return _detail(assessment_id)


@bp.post("/assessments/<int:assessment_id>/finalize")
@document("post", "/assessments/{assessment_id}/finalize",
          "Make a month final after the response window passed",
          responses={200: "Assessment"}, tag="assessment")
def post_finalize(assessment_id: int) -> Any:
    """Finalize without a response."""
    finalize(db.session, _settings(), api_user(), assessment_id)
    db.session.commit()
    return _detail(assessment_id)
