"""The ``security:`` section of config.yaml: login throttling, the session cookie and trusted proxies."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from canteen.settings.base import Strict


class SecuritySettings(Strict):
    """Login throttling and session settings."""

    login_max_failures: int = Field(default=5, ge=1)
    login_window_minutes: int = Field(default=15, ge=1)
    login_lockout_seconds: int = Field(default=60, ge=1)
    # "auto": the session cookie is Secure when the request came over HTTPS (directly, or as a trusted proxy
    # says), so the plain-HTTP demo on 127.0.0.1 still logs in; "always" for a deployment that is HTTPS-only.
    secure_cookies: Literal["auto", "always", "never"] = "auto"
    # How many reverse proxies stand in front of the service; their X-Forwarded-For/-Proto are believed.
    # 0: none are, so a client cannot pretend to be on HTTPS or at another address.
    trusted_proxies: int = Field(default=0, ge=0, le=5)
