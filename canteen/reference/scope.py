"""The canteens the logged-in user may see (pages of every feature list them)."""
from __future__ import annotations

from flask_login import current_user
from sqlalchemy import select

from canteen.core.permissions import visible_canteens
from canteen.extensions import db
from canteen.reference.models import Canteen


def user_canteens() -> list[Canteen]:
    """Active canteens within the current user's scope."""
    canteens = list(db.session.scalars(
        select(Canteen).where(Canteen.active.is_(True)).order_by(Canteen.id)))
    return visible_canteens(current_user, canteens)
