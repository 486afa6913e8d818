"""Demo data for review and the ladder: diners, reviewed events with drawn evidence, a diner at each step."""
from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from canteen.auth.models import User
from canteen.camera_events.models import MEDIA_KINDS, CameraEvent
from canteen.camera_events.storage import media_root as camera_media_root
from canteen.camera_events.storage import store_atomically
from canteen.config import AppConfig
from canteen.db import utcnow
from canteen.diners.models import Diner
from canteen.diners.services import add_revision
from canteen.offences.appeals import file_appeal
from canteen.offences.escalations import approve, record_warning
from canteen.offences.evidence_art import evidence_files
from canteen.offences.models import Escalation, Offence
from canteen.reference.models import Canteen
from canteen.review.services import review_event

DINERS = [
    ("100101", "张伟", "办公室"), ("100102", "王芳", "财务科"), ("100103", "李娜", "人事科"),
    ("100104", "刘洋", "后勤管理科"), ("100105", "陈静", "信息中心"), ("100106", "杨磊", "法规科"),
    ("100107", "赵敏", "办公室"), ("100108", "黄强", "规划科"), ("100109", "周杰", "财务科"),
    ("100110", "吴婷", "人事科"), ("100111", "徐刚", "信息中心"), ("100112", "孙丽", "后勤管理科"),
    ("200201", "马超", "八大街综合楼物业"), ("200202", "朱琳", "八大街综合楼物业"), ("200203", "胡军", "档案室"),
    ("200204", "郭慧", "档案室"), ("200205", "何平", "机要室"), ("200206", "高洁", "机要室"),
]


def demo_media_root() -> Path | None:
    """The camera media folder of the current app; None outside an app context (then no files are drawn)."""
    from flask import current_app, has_app_context

    return camera_media_root(current_app.instance_path) if has_app_context() else None


def _camera_of(settings: AppConfig, canteen: str) -> str:
    return next((camera.id for camera in settings.cameras if camera.canteen == canteen), f"tray-{canteen}")


class _Builder:
    """Creates events at chosen local times and reviews them through the services."""

    def __init__(self, session: Session, settings: AppConfig, users: dict[str, User], root: Path | None,
                 now: datetime) -> None:
        self.session, self.settings, self.users, self.root, self.now = session, settings, users, root, now
        self.canteens = {row.code: row for row in session.scalars(select(Canteen))}
        self.count = 0

    def at(self, days_ago: int, minute: int = 0) -> datetime:
        """Lunch time, ``days_ago`` days before today, in UTC."""
        day = self.now.astimezone(self.settings.zone).date() - timedelta(days=days_ago)
        moment = datetime.combine(day, time(12, 5 + minute % 50), tzinfo=self.settings.zone).astimezone(
            self.now.tzinfo)
        # Before lunch, today's events happened earlier this morning.
        return min(moment, self.now - timedelta(minutes=10 + minute))

    def event(self, when: datetime, canteen: str = "zonghe", changed: bool = True,
              public: bool = True) -> CameraEvent:
        """A pending event with evidence drawn for it.

        ``changed`` False is a visit that left the bin as it was, ``public`` False one whose bin never became
        still (no publishable image).
        """
        self.count += 1
        event_uuid = str(uuid.UUID(int=0x5EED_0000_0000_0000 + self.count))
        relative_dir = f"{when:%Y/%m}/{event_uuid}"
        kinds = ""
        if self.root is not None:
            # Like the worker: a clip only for a lasting change.
            files = evidence_files(self.count, with_clip=changed and self.count <= 8, changed=changed,
                                   public=public)
            store_atomically(self.root, relative_dir, files)
            kinds = ",".join(kind for kind in MEDIA_KINDS if kind in files)
        # As the detector scores them: below 0.3 without a lasting change, 0.5 to 1 with one.
        confidence = 0.6 + (self.count % 4) / 10 if changed else 0.1 + (self.count % 3) / 10
        event = CameraEvent(uuid=event_uuid, camera=_camera_of(self.settings, canteen),
                            canteen_id=self.canteens[canteen].id, started_at=when,
                            ended_at=when + timedelta(seconds=6),
                            start_s=100.0 + self.count, end_s=106.0 + self.count, peak_activity=0.3,
                            activity_integral=1.2, scene_changed=changed,
                            changed_fraction=0.05 if changed else 0.001,
                            confidence=confidence,
                            public_image=public, end_reason="scene_changed" if changed else "quiet",
                            detector_version="demo", media_dir=relative_dir, media_kinds=kinds,
                            received_by_id=self.users["manager"].id, received_at=when + timedelta(seconds=20))
        self.session.add(event)
        self.session.flush()
        return event

    def review(self, event: CameraEvent, decision: str, card_no: str | None = None, note: str = "",
               delay: timedelta = timedelta(hours=2)) -> None:
        """The reviewer decides on the event a little after it happened."""
        review_event(self.session, self.settings, self.users["reviewer"], event.uuid,
                     {"decision": decision, "card_no": card_no, "note": note}, now=event.started_at + delay)

    def step(self, event: CameraEvent) -> Escalation:
        """The current step of an event's offence."""
        return self.session.scalars(select(Escalation).join(Offence, Offence.id == Escalation.offence_id)
                                    .where(Offence.event_id == event.id)
                                    .order_by(Escalation.id.desc()).limit(1)).one()


def seed_offence_demo(session: Session, settings: AppConfig, users: dict[str, User],
                      media_root: Path | None) -> bool:
    """Add diners, reviewed events and one diner at each ladder step; False when diners already exist."""
    if session.scalar(select(Diner).limit(1)) is not None:
        return False
    # The services translate messages only when they refuse something, so seeding needs no request; the CLI's
    # app context still gets the configured language in case one does.
    from flask import has_app_context
    from flask_babel import force_locale

    if has_app_context():
        with force_locale(settings.default_locale):
            return _seed(session, settings, users, media_root)
    return _seed(session, settings, users, media_root)


def _seed(session: Session, settings: AppConfig, users: dict[str, User], media_root: Path | None) -> bool:
    admin = users["admin"]
    for card_no, name, department in DINERS:
        diner = Diner(card_no=card_no, name=name, department=department)
        session.add(diner)
        add_revision(diner, admin, "demo", "demo data")
    session.flush()
    now = utcnow()
    build = _Builder(session, settings, users, Path(media_root) if media_root else None, now)
    discipline, reviewer = users["discipline"], users["reviewer"]

    # Warning: 张伟, once, the warning given at the counter.
    first = build.event(build.at(5))
    build.review(first, "confirmed", "100101", "整盘米饭倒入回收桶")
    record_warning(session, settings, reviewer, build.step(first).id,
                   now=first.started_at + timedelta(hours=3))

    # Exposure on the board: 王芳, twice; the second approved by the discipline office two days ago.
    earlier = build.event(build.at(40, 3))
    build.review(earlier, "confirmed", "100102")
    record_warning(session, settings, reviewer, build.step(earlier).id,
                   now=earlier.started_at + timedelta(hours=3))
    second = build.event(build.at(3, 7))
    build.review(second, "confirmed", "100102", "第二次倒餐")
    approve(session, settings, discipline, build.step(second).id, "核实无误，予以曝光", now=build.at(2, 40))

    # Another exposure in badajie: 马超. The bin never became still during his second visit, so the board shows
    # his entry in words only.
    for days_ago, minute in ((70, 11), (4, 13)):
        event = build.event(build.at(days_ago, minute), "badajie", public=days_ago > 10)
        build.review(event, "confirmed", "200201")
        escalation = build.step(event)
        if escalation.step == "warning":
            record_warning(session, settings, reviewer, escalation.id,
                           now=event.started_at + timedelta(hours=4))
        else:
            approve(session, settings, discipline, escalation.id, now=build.at(3, 30))

    # Referral: 李娜, three times; the exposure has expired, the referral is approved, its letter not yet sent.
    for days_ago, minute in ((200, 2), (90, 9), (10, 15)):
        event = build.event(build.at(days_ago, minute))
        build.review(event, "confirmed", "100103")
        escalation = build.step(event)
        if escalation.step == "warning":
            record_warning(session, settings, reviewer, escalation.id,
                           now=event.started_at + timedelta(hours=4))
        else:
            approve(session, settings, discipline, escalation.id, now=event.started_at + timedelta(days=1))

    # Awaiting a second person: 刘洋's second offence, yesterday.
    for days_ago, minute in ((60, 4), (1, 6)):
        event = build.event(build.at(days_ago, minute))
        build.review(event, "confirmed", "100104")
        escalation = build.step(event)
        if escalation.step == "warning":
            record_warning(session, settings, reviewer, escalation.id,
                           now=event.started_at + timedelta(hours=4))

    # An appeal that suspends a warning: 陈静 says the tray was someone else's.
    appealed = build.event(build.at(6, 21))
    build.review(appealed, "confirmed", "100105")
    file_appeal(session, settings, reviewer, build.step(appealed).id, "本人称当天餐盘系同事所放，请求复核",
                now=appealed.started_at + timedelta(days=1))

    # Not a dump, and a dump nobody can be identified in.
    build.review(build.event(build.at(2, 25)), "dismissed", note="仅倒入汤汁，非剩饭")
    build.review(build.event(build.at(8, 27), "badajie"), "unidentified", note="背对镜头，无法辨认")

    # The reviewer's queue: pending events of today and yesterday in both canteens, and visits that left the
    # bin as it was (most visits at a tray return), which a reviewer may dismiss together.
    queue = ((0, 31, "zonghe"), (0, 33, "badajie"), (1, 35, "zonghe"), (1, 38, "zonghe"))
    for days_ago, minute, canteen in queue:
        build.event(build.at(days_ago, minute), canteen)
    unchanged = ((0, 40, "zonghe"), (0, 42, "zonghe"), (0, 44, "badajie"), (1, 46, "zonghe"))
    for days_ago, minute, canteen in unchanged:
        build.event(build.at(days_ago, minute), canteen, changed=False)
    session.flush()
    return True
