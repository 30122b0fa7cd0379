"""A week of demo location pings per engineer: home, a few sites, back; then their tracks."""

from __future__ import annotations

import datetime as dt

from packs.field_service.geo import distance_m

PING_MINUTES = 10
SPEED_KMH = 25


def generate(session, city, progress) -> int:
    progress("field_service: a week of location tracks")
    tenant, rng = session.tenant, city.rng
    today = tenant.clock().astimezone(tenant.zone).date()
    count = 0
    days = [today - dt.timedelta(days=n) for n in range(7, 0, -1)]
    by_group: dict[str, list[dict]] = {}
    for site in city.sites:
        by_group.setdefault(city.district_group.get(site.get("district"), "central"), []).append(
            site
        )
    built = []
    for resource in city.resources:
        sites = by_group.get(resource["group"]) or city.sites
        seq = 0
        for day in days:
            if day.weekday() >= 5 and resource["working_hours"] != "fs_7x24":
                continue
            stops = [s["location"] for s in rng.sample(sites, min(len(sites), rng.randint(2, 4)))]
            start = dt.datetime.combine(day, dt.time(8, 30), tzinfo=city.dispatcher.zone)
            if start.astimezone(tenant.zone).date() != day:  # keep the working day in one track
                start = dt.datetime.combine(day, dt.time(1, 0), tzinfo=tenant.zone)
            for at, point, accuracy in _day_path(rng, resource["home_base"], stops, start):
                session.records.create(
                    "location_ping",
                    {
                        "resource": resource["id"],
                        "device_id": f"demo-{resource['id']}",
                        "seq": seq,
                        "recorded_at": at,
                        "location": point,
                        "accuracy_m": accuracy,
                    },
                )
                seq += 1
                count += 1
            built.append((resource["id"], day))
    _build_tracks(session, built, progress)
    return count


def _day_path(rng, home: dict, stops: list[dict], start: dt.datetime):
    """(time, point, accuracy) every PING_MINUTES: travel at SPEED_KMH, dwell 30-70 min."""
    at, here = start, home
    for target in [*stops, home]:
        metres = distance_m(here, target) or 0
        legs = max(1, round(metres / (SPEED_KMH * 1000 / 60 * PING_MINUTES)))
        for step in range(1, legs + 1):
            at += dt.timedelta(minutes=PING_MINUTES)
            point = {
                "lat": here["lat"]
                + (target["lat"] - here["lat"]) * step / legs
                + rng.uniform(-3e-4, 3e-4),
                "lng": here["lng"]
                + (target["lng"] - here["lng"]) * step / legs
                + rng.uniform(-3e-4, 3e-4),
            }
            yield at, point, rng.choice([5, 8, 10, 15, 20, 30])
        here = target
        if target is not home:
            for _ in range(rng.randint(3, 7)):
                at += dt.timedelta(minutes=PING_MINUTES)
                yield at, _wobble(rng, target), rng.choice([5, 8, 10, 15])


def _wobble(rng, point: dict) -> dict:
    return {
        "lat": point["lat"] + rng.uniform(-1e-4, 1e-4),
        "lng": point["lng"] + rng.uniform(-1e-4, 1e-4),
    }


def _build_tracks(session, built, progress) -> None:
    from packs.field_service.tracks import locations as tracks

    progress(f"field_service: building {len(built)} daily tracks")
    for resource_id, day in built:
        tracks.store_track(session, resource_id, day)
