"""Time helpers: everything is stored in UTC and shown in Europe/Oslo (DESIGN §1)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import sqlalchemy as sa

OSLO = ZoneInfo("Europe/Oslo")
UTC = dt.UTC


def utcnow() -> dt.datetime:
    """Return the current time as an aware UTC datetime."""
    return dt.datetime.now(UTC)


def to_oslo(moment: dt.datetime) -> dt.datetime:
    """Convert an aware datetime to Europe/Oslo time."""
    return moment.astimezone(OSLO)


def oslo_today(now: dt.datetime | None = None) -> dt.date:
    """Return today's calendar date in Oslo (``now`` defaults to the current time)."""
    return to_oslo(now or utcnow()).date()


def end_of_oslo_day(day: dt.date) -> dt.datetime:
    """Return the last second of ``day`` in Oslo, 23:59:59, as an aware UTC datetime.

    A deadline shown as "15. mars" accepts comments until 23:59:59 Oslo time that day
    (DESIGN §1). Daylight-saving changes are handled by the tz database.
    """
    local = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=OSLO)
    return local.astimezone(UTC)


def oslo_to_utc(local: dt.datetime) -> dt.datetime:
    """Interpret a naive wall-clock datetime as Oslo time and return it in UTC."""
    return local.replace(tzinfo=OSLO).astimezone(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """A timestamp stored as naive UTC and read back as an aware UTC datetime.

    SQLite has no time zones; storing naive UTC on both databases keeps them alike.

    Raises:
        ValueError: on binding a naive datetime (its zone would be a guess).
    """

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def alembic_render_item(type_: str, obj, autogen_context):
    """Alembic autogenerate hook: write :class:`UTCDateTime` columns as ``sa.DateTime()``,
    so migrations do not import application code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False
