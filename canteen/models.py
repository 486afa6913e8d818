"""Imports every model so that ``Base.metadata`` is complete (for Alembic and tests)."""
from canteen.assessment.models import (Assessment, AssessmentLine, AssessmentRevision, AuditEntry, Contractor,
                                       ContractorCanteen, ContractorUser, ProposalDecision, SheetVersion)
from canteen.assessment.spotchecks.models import (SpotCheck, SpotCheckDraw, SpotCheckFinding, SpotCheckPhoto,
                                                  SpotCheckReweigh, SpotCheckSlot)
from canteen.audit.models import ChainCheck
from canteen.auth.models import ApiToken, LoginFailure, User, UserCanteen
from canteen.camera_events.models import CameraEvent, CameraStatus, EventReview, EvidenceAccess
from canteen.chain.models import ChainLink
from canteen.db import Base
from canteen.diners.models import Diner, DinerRevision
from canteen.ledger.models import (DinerCount, DinerCountRevision, Disposal, LedgerMonthSignoff, WasteEntry,
                                   WasteEntryRevision)
from canteen.offences.models import Appeal, Escalation, EscalationAction, Offence, RetentionLog
from canteen.reference.models import Canteen, Dish, Meal, Stream
from reports.models import JobRun, MissingEntryCheck, ReportRun, SchedulerStart

__all__ = [
    "ApiToken", "Appeal", "Assessment", "AssessmentLine", "AssessmentRevision", "AuditEntry", "Base",
    "CameraEvent", "CameraStatus", "Canteen", "ChainCheck", "ChainLink", "Contractor", "ContractorCanteen",
    "ContractorUser", "Diner", "DinerCount", "DinerCountRevision", "DinerRevision", "Dish", "Disposal",
    "Escalation", "EscalationAction", "EventReview", "EvidenceAccess", "JobRun", "LedgerMonthSignoff",
    "LoginFailure", "Meal", "MissingEntryCheck", "Offence", "ProposalDecision", "ReportRun", "RetentionLog",
    "SchedulerStart", "SheetVersion", "SpotCheck", "SpotCheckDraw", "SpotCheckFinding", "SpotCheckPhoto",
    "SpotCheckReweigh", "SpotCheckSlot", "Stream", "User", "UserCanteen", "WasteEntry", "WasteEntryRevision",
]
