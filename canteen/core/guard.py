"""Who may open a page: the per-app list of pages open without login, and the role check for views."""
from __future__ import annotations

from functools import wraps
from typing import Any, Callable, TypeVar, cast

from flask import Flask, abort
from flask_login import current_user

from canteen.core.permissions import has_permission

F = TypeVar("F", bound=Callable[..., Any])
_PUBLIC = "canteen_public"


def public_pages(app: Flask) -> dict[str, set[str]]:
    """The app's endpoints and blueprints that need no login (the login guard reads it)."""
    return app.extensions.setdefault(_PUBLIC, {"endpoints": set(), "blueprints": set()})


def allow_anonymous(app: Flask, *, endpoints: tuple[str, ...] = (), blueprints: tuple[str, ...] = ()) -> None:
    """Let visitors without a login open these endpoints or every page of these blueprints."""
    public = public_pages(app)
    public["endpoints"].update(endpoints)
    public["blueprints"].update(blueprints)


def require(permission: str) -> Callable[[F], F]:
    """Answer 403 unless the logged-in user's role grants ``permission``."""
    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not has_permission(current_user, permission):
                abort(403)
            return view(*args, **kwargs)
        # functools.wraps keeps the view's signature at run time, but mypy cannot see that wrapped is an F.
        return cast(F, wrapped)
    return decorator
