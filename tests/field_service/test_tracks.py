"""Location pings and daily tracks through the HTTP API: idempotent batches, who may send
and read, distance, stops, dropped points, the stored track record and the nightly job."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from packs.field_service.geo import distance_m
from packs.field_service.tracks.building import TrackRules, build_track, kept_points, stops
from plinth.auth.tokens import create_token
from plinth.testing import Api
from tests.field_service.city import HQ, NEAR_HQ

DAY = dt.date(2026, 11, 20)
NOON = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
START = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC)
METRES_PER_DEGREE_LAT = 111_195  # on the mean-radius sphere geo.distance_m uses


@pytest.fixture
def clock(city):
    """The app's clock, frozen at noon on DAY (``clock[0]`` moves it)."""
    now = [NOON]
    city.app_tenant.clock = lambda: now[0]
    return now


def iso(instant: dt.datetime) -> str:
    return instant.isoformat().replace("+00:00", "Z")


def point(seq: int, minute: float, lat: float, lng: float, **extra) -> dict:
    at = START + dt.timedelta(minutes=minute)
    return {"seq": seq, "at": iso(at), "lat": lat, "lng": lng, **extra}


def north_line(count: int, step_m: float = 400, first_seq: int = 0) -> list[dict]:
    """Points going due north from HQ, one a minute (``step_m`` a minute)."""
    step = step_m / METRES_PER_DEGREE_LAT
    return [
        point(first_seq + i, i, HQ["lat"] + i * step, HQ["lng"], accuracy=10, speed=24)
        for i in range(count)
    ]


def send(api: Api, points: list[dict], device: str = "phone-1", **extra):
    return api.post("/api/v1/fs/locations", json={"device_id": device, "points": points, **extra})


def pings_of(city, resource: int) -> list[dict]:
    reply = city.dispatcher.get(f"/api/v1/records/location_ping?resource={resource}&limit=1000")
    assert reply.status == 200, reply.json
    return reply.json["data"]


def track_of(api: Api, resource: int, day: dt.date = DAY):
    return api.get(f"/api/v1/fs/resources/{resource}/track?date={day.isoformat()}")


def stored_tracks(city, resource: int) -> list[dict]:
    reply = city.dispatcher.get(f"/api/v1/records/track?resource={resource}")
    assert reply.status == 200, reply.json
    return reply.json["data"]


def test_a_batch_is_stored_once_and_moves_the_last_location(city, clock):
    ann = city.ids["ann_resource"]
    batch = north_line(3)
    first = send(city.engineer, batch)
    assert first.status == 200, first.json
    assert first.json == {"resource": ann, "accepted": 3, "duplicates": 0}

    again = send(city.engineer, batch)
    assert again.status == 200 and again.json["accepted"] == 0
    assert again.json["duplicates"] == 3
    overlapping = send(city.engineer, north_line(5)[2:])
    assert (overlapping.json["accepted"], overlapping.json["duplicates"]) == (2, 1)
    other_device = send(city.engineer, batch, device="tablet")  # same seqs, another device
    assert other_device.json["accepted"] == 3

    rows = pings_of(city, ann)
    assert len(rows) == 8
    assert sorted((r["device_id"], r["seq"]) for r in rows) == sorted(
        [("phone-1", s) for s in range(5)] + [("tablet", s) for s in range(3)]
    )
    newest = north_line(5)[4]
    resource = city.dispatcher.get(f"/api/v1/records/service_resource/{ann}").json
    assert resource["last_location"] == {"lat": newest["lat"], "lng": newest["lng"]}
    assert resource["last_seen_at"] == newest["at"]

    # an older point sent late does not move the last location back
    late = send(city.engineer, [point(0, -60, 31.0, 121.0)], device="old-phone")
    assert late.json["accepted"] == 1
    resource = city.dispatcher.get(f"/api/v1/records/service_resource/{ann}").json
    assert resource["last_seen_at"] == newest["at"]


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"lat": None}, "points/1/lat"),
        ({"lat": 91}, "points/1/lat"),
        ({"lng": "121.4"}, "points/1/lng"),
        ({"seq": -1}, "points/1/seq"),
        ({"seq": 1.5}, "points/1/seq"),
        ({"at": "2026-11-20T08:01:00"}, "points/1/at"),  # no UTC offset
        ({"at": "yesterday"}, "points/1/at"),
        ({"at": "2026-11-20T13:00:00Z"}, "points/1/at"),  # an hour in the future
        ({"accuracy": -5}, "points/1/accuracy"),
        ({"speed": True}, "points/1/speed"),
    ],
)
def test_an_invalid_point_is_refused_by_its_index_and_nothing_is_stored(city, clock, bad, field):
    points = north_line(3)
    points[1] = {**points[1], **bad}
    reply = send(city.engineer, points)
    assert reply.status == 422, reply.json
    assert list(reply.problem["errors"]) == [field]
    assert pings_of(city, city.ids["ann_resource"]) == []


def test_a_batch_needs_a_device_and_one_to_a_thousand_points(city, clock):
    assert list(send(city.engineer, north_line(1), device="").problem["errors"]) == ["device_id"]
    assert list(send(city.engineer, []).problem["errors"]) == ["points"]
    too_many = [point(i, 0, HQ["lat"], HQ["lng"]) for i in range(1001)]
    assert list(send(city.engineer, too_many).problem["errors"]) == ["points"]
    assert send(city.engineer, ["not a point"]).problem["errors"] == {
        "points/0": ["must be an object"]
    }


def test_engineers_send_only_as_themselves_office_roles_for_anyone(city, clock):
    ids = city.ids
    refused = send(city.engineer, north_line(2), resource=ids["bob_resource"])
    assert refused.status == 403, refused.json
    assert pings_of(city, ids["bob_resource"]) == []
    assert send(city.engineer, north_line(2), resource=ids["ann_resource"]).status == 200

    for_bob = send(city.dispatcher, north_line(2), resource=ids["bob_resource"])
    assert for_bob.status == 200 and for_bob.json["resource"] == ids["bob_resource"]
    assert len(pings_of(city, ids["bob_resource"])) == 2
    # the dispatcher is no resource: without "resource" there is nobody to send for
    assert send(city.dispatcher, north_line(2)).status == 404
    assert send(city.dispatcher, north_line(2), resource=999999).status == 404


def test_engineers_read_only_their_own_track(city, clock):
    ann = city.ids["ann_resource"]
    assert send(city.engineer, north_line(3)).status == 200
    assert track_of(city.other_engineer, ann).status == 404
    assert stored_tracks(city, ann) == []  # refused before anything was built
    mine = track_of(city.engineer, ann)
    assert mine.status == 200, mine.json
    assert mine.json["ping_count"] == 3
    assert track_of(city.dispatcher, ann).json["ping_count"] == 3
    assert track_of(city.engineer, 999999).status == 404
    assert city.engineer.get(f"/api/v1/fs/resources/{ann}/track?date=20-11-2026").status == 400


def test_a_straight_line_measures_its_length(city, clock):
    line = north_line(20)
    assert send(city.engineer, line).status == 200
    track = track_of(city.engineer, city.ids["ann_resource"]).json
    expected_km = distance_m(line[0], line[-1]) / 1000  # about 7.6 km
    assert abs(track["distance_km"] - expected_km) <= expected_km * 0.01, track
    assert track["day"] == DAY.isoformat() and track["ping_count"] == 20
    assert [p["at"] for p in track["points"]] == [p["at"] for p in line]
    assert track["stops"] == []  # one minute per 400 m: never dwelling


def test_a_dwell_is_a_stop_and_jumps_and_inaccurate_points_are_left_out(city, clock):
    drive = north_line(6)  # minutes 0-5
    here = drive[-1]
    dwell = [  # ten more minutes within about 20 m of the last drive point
        point(6 + i, 6 + i, here["lat"] + (i % 3) * 0.0001, here["lng"] + (i % 2) * 0.0001)
        for i in range(10)
    ]
    jump = point(16, 15.5, here["lat"] + 0.5, here["lng"])  # 55 km in half a minute
    vague = point(17, 15.8, here["lat"] - 0.01, here["lng"], accuracy=800)
    onwards = [
        point(18 + i, 17 + i, here["lat"] + (i + 1) * 0.004, here["lng"], accuracy=8)
        for i in range(3)
    ]
    points = drive + dwell + [jump, vague] + onwards
    assert send(city.engineer, points).json["accepted"] == len(points)

    track = track_of(city.engineer, city.ids["ann_resource"]).json
    kept = drive + dwell + onwards
    assert [p["at"] for p in track["points"]] == [p["at"] for p in kept]
    assert track["ping_count"] == len(points)
    expected = sum(distance_m(a, b) for a, b in zip(kept, kept[1:], strict=False)) / 1000
    assert track["distance_km"] == pytest.approx(expected, abs=0.01)
    assert track["distance_km"] < 10  # the jump (2 x 55 km) is not in it

    [stop] = track["stops"]
    assert stop["arrived_at"] == here["at"] and stop["left_at"] == dwell[-1]["at"]
    assert stop["minutes"] == 10 and stop["points"] == 11
    assert distance_m(stop, here) < 20


def test_the_track_is_stored_once_per_day_with_the_check_ins(city, clock):
    ann = city.ids["ann_resource"]
    drive = north_line(4)
    dwell = [point(4 + i, 4 + i, HQ["lat"], HQ["lng"]) for i in range(8)]
    assert send(city.engineer, drive + dwell).status == 200
    check_in = city.engineer.post(
        "/api/v1/records/check_in",
        json={"resource": ann, "location": NEAR_HQ, "site": city.ids["site"]},
    )
    assert check_in.status == 201, check_in.json

    reply = track_of(city.engineer, ann)
    assert reply.status == 200, reply.json
    [visit] = reply.json["check_ins"]
    assert visit["id"] == check_in.json["id"] and visit["at_site"] is True
    assert visit["location"] == NEAR_HQ and visit["checked_in_at"] == iso(NOON)
    [stored] = stored_tracks(city, ann)
    assert stored["day"] == DAY.isoformat()
    assert stored["distance_km"] == reply.json["distance_km"] > 0
    assert (stored["ping_count"], stored["stop_count"], stored["check_in_count"]) == (12, 1, 1)
    assert stored["first_at"] == drive[0]["at"] and stored["last_at"] == dwell[-1]["at"]
    assert stored["stops"] == reply.json["stops"] and stored["computed_at"] == iso(NOON)

    assert send(city.engineer, [point(12, 20, HQ["lat"], HQ["lng"])]).status == 200
    clock[0] = NOON + dt.timedelta(minutes=5)
    assert track_of(city.dispatcher, ann).json["ping_count"] == 13
    [again] = stored_tracks(city, ann)
    assert again["id"] == stored["id"] and again["ping_count"] == 13
    assert again["computed_at"] == iso(clock[0])
    # another day has a record of its own, even when empty
    assert track_of(city.engineer, ann, DAY - dt.timedelta(days=1)).json["ping_count"] == 0
    assert len(stored_tracks(city, ann)) == 2


def run_job(city, key: str) -> None:
    city.app_tenant.jobs.enqueue_now("field_service.build_tracks", key=key)


def test_the_job_builds_yesterdays_tracks_of_resources_with_pings(city, clock):
    ann, bob = city.ids["ann_resource"], city.ids["bob_resource"]
    assert send(city.engineer, north_line(10)).status == 200
    clock[0] = dt.datetime(2026, 11, 21, 0, 30, tzinfo=dt.UTC)
    run_job(city, "first")
    [track] = stored_tracks(city, ann)
    assert track["day"] == DAY.isoformat() and track["ping_count"] == 10
    assert track["distance_km"] > 3 and track["computed_at"] == iso(clock[0])
    assert stored_tracks(city, bob) == []  # no pings, no track

    clock[0] += dt.timedelta(hours=1)
    run_job(city, "second")  # nothing new: the stored track stands
    [same] = stored_tracks(city, ann)
    assert same["version"] == track["version"] and same["computed_at"] == track["computed_at"]

    late = point(10, 10, HQ["lat"], HQ["lng"] + 0.001)  # sent late from a phone offline
    assert send(city.engineer, [late]).json["accepted"] == 1
    clock[0] += dt.timedelta(hours=1)
    run_job(city, "third")
    [rebuilt] = stored_tracks(city, ann)
    assert rebuilt["id"] == track["id"] and rebuilt["ping_count"] == 11
    assert rebuilt["computed_at"] == iso(clock[0])


def test_the_job_is_registered_to_run_hourly(city):
    assert city.app_tenant.jobs.periodic["field_service.build_tracks"] == 3600


@pytest.mark.postgres_only
def test_the_same_batch_sent_twice_at_once_is_stored_once(city, clock):
    batch = north_line(500)  # minute by minute until 16:19
    clock[0] = NOON + dt.timedelta(hours=8)
    app = city.engineer.client.application
    with city.app_tenant.database.transaction(write=True) as conn:
        # a token each (as two devices): using one token would serialise the requests on
        # its last-used stamp, and the race would not be tested
        tokens = [create_token(conn, city.ids["ann"], f"device {i}")[0] for i in range(2)]
    clients = [Api(app.test_client(), token) for token in tokens]
    start = threading.Barrier(2)
    replies: list = [None, None]

    def post(index: int) -> None:
        start.wait()
        replies[index] = send(clients[index], batch)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [r.status for r in replies] == [200, 200], [r.json for r in replies]
    assert sorted(r.json["accepted"] for r in replies) == [0, 500]
    assert sorted(r.json["duplicates"] for r in replies) == [0, 500]
    assert len(pings_of(city, city.ids["ann_resource"])) == 500


# ---- the pure algorithm (no database) -----------------------------------------------------
RULES = TrackRules(max_accuracy_m=50, stop_radius_m=100, stop_minutes=5)


def at(minute: float, lat: float, lng: float = HQ["lng"], accuracy=None) -> dict:
    return {
        "at": START + dt.timedelta(minutes=minute),
        "lat": lat,
        "lng": lng,
        "accuracy": accuracy,
    }


def test_no_points_make_an_empty_track():
    track = build_track([], RULES)
    assert (track.points, track.distance_m, track.stops) == ([], 0, [])


def test_a_point_elsewhere_at_the_same_instant_is_a_jump_the_same_place_is_not():
    points = [at(0, HQ["lat"]), at(0, HQ["lat"] + 0.001), at(0, HQ["lat"]), at(1, HQ["lat"])]
    assert kept_points(points, RULES) == [points[0], points[2], points[3]]


def test_a_dwell_shorter_than_the_stop_minutes_is_no_stop():
    short = [at(m, HQ["lat"]) for m in range(5)]  # four minutes
    assert stops(short, 100, 5) == []
    assert [s["minutes"] for s in stops([*short, at(5, HQ["lat"])], 100, 5)] == [5]


def test_an_accuracy_at_the_limit_is_kept_worse_is_not():
    points = [at(0, HQ["lat"], accuracy=50), at(1, HQ["lat"], accuracy=50.1)]
    assert kept_points(points, RULES) == points[:1]
