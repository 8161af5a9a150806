"""Numbers for the creator's own charts: plays per day of a release, followers over time."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from backend.core import clock
from backend.core.actor import Actor
from backend.social import access, queries

DAYS = 30


def _days(today: date, days: int) -> list[date]:
    return [today - timedelta(days=days - 1 - i) for i in range(days)]


async def plays_per_day(
    actor: Actor | None, release: dict[str, Any], days: int = DAYS
) -> list[tuple[date, int]] | None:
    """Plays per UTC day for the last ``days`` days, or None for anyone but the owner."""
    if not access.can_see_stats(actor, release["owner_id"]):
        return None
    days = max(7, min(days, 90))
    today = clock.now().date()
    since = today - timedelta(days=days - 1)
    found = {}
    for row in await queries.plays_by_day(release["id"], since):
        day = row["day"] if isinstance(row["day"], date) else date.fromisoformat(str(row["day"])[:10])
        found[day] = int(row["plays"])
    return [(day, found.get(day, 0)) for day in _days(today, days)]


async def follower_growth(
    actor: Actor | None, user_id: int, days: int = DAYS
) -> list[tuple[date, int]] | None:
    """Followers at the end of each of the last ``days`` days (counting today's follows), owner only.

    Built from current follows: someone who followed and left is not counted on any day."""
    if not access.can_see_stats(actor, user_id):
        return None
    days = max(7, min(days, 90))
    today = clock.now().date()
    start = datetime.combine(today - timedelta(days=days - 1), time.min, tzinfo=clock.now().tzinfo)
    total = await queries.followers_before(user_id, start)
    new = {row["day"]: row["n"] for row in await queries.new_followers_by_day(user_id, start)}
    series = []
    for day in _days(today, days):
        total += new.get(day, 0)
        series.append((day, total))
    return series
