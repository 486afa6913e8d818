"""HTTP hardening for every response: security headers, the session cookie's flags, trusted proxies.

Installed by the app factory, so pages, the API, static files and error pages all get the same headers.
"""
from __future__ import annotations

from flask import Flask, Response, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from canteen.settings.security import SecuritySettings

# No inline script anywhere (the pages' JavaScript lives in static/js/), so an injected <script> or on*
# attribute does not run. Styles keep 'unsafe-inline': the PDF and stored-report templates must carry their
# CSS inline (WeasyPrint and a report opened from disk load nothing else), and a style cannot run code.
# data: images: the assessment chart embedded in its HTML. frame-ancestors: no page can be framed
# (the approve buttons must not be clickjacked).
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "media-src 'self'",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    # For browsers that predate frame-ancestors.
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # Full URLs (with canteen, card numbers, filters) stay on this site; other sites see only the origin.
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session whose Secure flag follows ``security.secure_cookies``."""

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure always, never, or (auto) when this request came over HTTPS."""
        mode = app.config["SECURE_COOKIES"]
        if mode == "auto":
            # request.is_secure already reflects a trusted proxy's X-Forwarded-Proto (ProxyFix below).
            return has_request_context() and request.is_secure
        return bool(mode == "always")


def add_security_headers(response: Response) -> Response:
    """Set the security headers on a response, keeping any a view set itself."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def init_security(app: Flask, settings: SecuritySettings) -> None:
    """Trust the configured proxies, set the session cookie's flags and add the headers to every response."""
    if settings.trusted_proxies:
        # Only as many hops as configured: a client's own X-Forwarded-* in front of them is ignored.
        hops = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    app.config.setdefault("SECURE_COOKIES", settings.secure_cookies)
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.session_interface = SessionInterface()
    app.after_request(add_security_headers)
