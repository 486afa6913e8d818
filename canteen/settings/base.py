"""The base of every config section model, shared by canteen.config and the feature settings modules."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict

# Codes end up in URLs, query strings and file names (ledger-<canteen>-<month>.xlsx): short lowercase ASCII.
CODE_PATTERN = r"^[a-z][a-z0-9_-]{0,31}$"


class Strict(BaseModel):
    """Base for every config section: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)
