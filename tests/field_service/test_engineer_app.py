"""The engineer app (/m/) on an emulated phone (Playwright driving Debian's chromium, 390x844,
touch, the phone's position at the task's site): log in, see the day, and do a task from
accept to complete by tapping, in English and in Chinese; the same offline, sent once when
back online; a conflicting edit shown on the conflict screen; a signature that survives a
turn of the phone.

Screenshots go to the test's tmp folder and to ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import shutil
import struct
import time
import zlib
from collections import Counter
from zoneinfo import ZoneInfo

import pytest

from plinth.auth.actor import SYSTEM
from plinth.testing import PASSWORD
from tests.field_service.city import HQ
from tests.ui.browser_steps import SHOTS

pytestmark = pytest.mark.sqlite_only

ZONE = "Asia/Shanghai"
PORTRAIT = {"width": 390, "height": 844}
LANDSCAPE = {"width": 844, "height": 390}
WAIT_MS = 15000
WORDS = {
    "en": {"tab_day": "Day", "accept": "Accept", "complete": "Complete", "done": "Completed"},
    "zh-CN": {"tab_day": "今日", "accept": "接单", "complete": "完工", "done": "已完工"},
}


def transition(api, task_id: int, name: str, **body):
    reply = api.post(f"/api/v1/records/field_task/{task_id}/transitions/{name}", json=body)
    assert reply.status == 200, reply.json
    return reply.json


def make_task(city, subject: str, site: int, hour: int) -> dict:
    """A work order sent to the field, its task given to Ann and dispatched for ``hour``
    o'clock today in her time zone."""
    ids, dora = city.ids, city.dispatcher
    created = dora.post(
        "/api/v1/records/work_order",
        json={
            "subject": subject,
            "customer": ids["customer"],
            "contact": ids["contact"],
            "site": site,
            "priority": "high",
            "channel": "phone",
        },
    )
    assert created.status == 201, created.json
    wo = created.json
    moved = dora.post(f"/api/v1/records/work_order/{wo['id']}/transitions/send_to_field", json={})
    assert moved.status == 200, moved.json
    task = dora.get(f"/api/v1/records/field_task?work_order={wo['id']}").json["data"][0]
    today = dt.datetime.now(ZoneInfo(ZONE)).date()
    start = dt.datetime.combine(today, dt.time(hour), tzinfo=ZoneInfo(ZONE))
    patched = dora.patch(
        f"/api/v1/records/field_task/{task['id']}",
        json={
            "assigned_resource": ids["ann_resource"],
            "assigned_start": start.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        },
    )
    assert patched.status == 200, patched.json
    return transition(dora, task["id"], "dispatch")


@pytest.fixture
def field_day(city):
    """Ann's day: two dispatched tasks (the first at Acme HQ) for Carl, who has a phone;
    three filters in her bag."""
    ids = city.ids
    second_site = city.create(
        "site",
        {
            "name": "Acme Depot",
            "customer": ids["customer"],
            "district": "Huangpu",
            "address": "88 Middle Henan Road",
            "location": {"lat": 31.2380, "lng": 121.4850},
        },
    )["id"]
    with city.app_tenant.session(SYSTEM) as s:
        s.records.update("contact", ids["contact"], {"phone": "+86 21 5555 0101"})
    first = make_task(city, "AC blows warm air", ids["site"], 9)
    second = make_task(city, "Check the chiller", second_site, 14)
    city.post_stock(ids["part"], ids["ann_bag"], 3)
    return city, first, second


def phone(browser_page, locale: str, **extra):
    """A phone context: portrait 390x844, touch, the position at Acme HQ."""
    context = browser_page.new_context(
        viewport=PORTRAIT,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale=locale,
        geolocation={"latitude": HQ["lat"], "longitude": HQ["lng"], "accuracy": 12},
        permissions=["geolocation"],
        **extra,
    )
    context.set_default_timeout(WAIT_MS)
    return context


class Shots:
    """Screenshots named by step, in the test's folder and in test-artifacts/screenshots."""

    def __init__(self, page, folder, prefix: str):
        self.page, self.folder, self.prefix = page, folder, prefix

    def __call__(self, name: str) -> None:
        path = self.folder / f"{self.prefix}-{name}.png"
        self.page.screenshot(path=str(path))
        shutil.copyfile(path, SHOTS / f"engineer-app-{path.name}")


def log_in(page, server: str, email: str) -> None:
    """Open /m/ without a session: the login page, then back to the app."""
    page.goto(f"{server}/m/")
    page.wait_for_url(re.compile(r".*/app/login\?next=(/|%2F)m(/|%2F)$"))
    page.fill('input[name="email"]', email)
    page.fill('input[name="password"]', PASSWORD)
    page.locator('main button[type="submit"]').click()
    page.wait_for_url(f"{server}/m/")
    page.locator('[data-screen="my-day"]').wait_for()


def set_profile(api, locale: str) -> None:
    reply = api.patch("/api/v1/me", json={"locale": locale, "time_zone": ZONE})
    assert reply.status == 200, reply.json


def tap(page, selector: str) -> None:
    page.locator(selector).first.tap()


def open_task(page, task: dict) -> None:
    page.locator(f'[data-task-id="{task["id"]}"] .card-main').tap()
    page.locator('[data-screen="task"]').wait_for()


def step(page, name: str, then: str | None = None) -> None:
    """Tap the step button ``name``; wait for the step ``then`` (or the screen again)."""
    page.locator(f'[data-screen="task"] [data-transition="{name}"]').tap()
    if then:
        page.locator(f'[data-screen="task"] [data-transition="{then}"]').wait_for()


def use_a_filter(page, part: int) -> None:
    tap(page, '[data-screen="task"] [data-action="parts"]')
    page.locator('[data-screen="parts"]').wait_for()
    row = page.locator(f'[data-screen="parts"] li[data-part="{part}"]')
    assert "3" in row.locator(".stock").inner_text()
    row.locator('[data-step="plus"]').tap()
    tap(page, '[data-action="use-parts"]')
    page.locator('[data-screen="task"]').wait_for()


def write_the_work_done(page, text: str) -> None:
    tap(page, '[data-check="resolution"]')
    page.locator('[data-screen="notes"]').wait_for()
    page.fill('textarea[name="resolution"]', text)
    tap(page, '[data-action="save-notes"]')
    page.locator('[data-screen="task"]').wait_for()


def draw(page) -> None:
    box = page.locator(".pad canvas").bounding_box()
    page.mouse.move(box["x"] + 30, box["y"] + 60)
    page.mouse.down()
    page.mouse.move(box["x"] + 140, box["y"] + 140, steps=10)
    page.mouse.move(box["x"] + 300, box["y"] + 50, steps=10)
    page.mouse.up()
    page.locator('.pad[data-strokes="1"]').wait_for()


def strokes(page) -> tuple[int, int]:
    pad = page.locator(".pad")
    return int(pad.get_attribute("data-strokes")), int(pad.get_attribute("data-points"))


def ink(page) -> int:
    """How many non-white pixels the signature canvas holds."""
    return page.evaluate(
        """() => {
            const c = document.querySelector('.pad canvas');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let i = 0; i < d.length; i += 4) { if (d[i] < 200) n += 1; }
            return n;
        }"""
    )


def sign(page, shot=None) -> None:
    tap(page, '[data-check="customer_signature"]')
    page.locator('[data-screen="signature"]').wait_for()
    assert page.input_value('input[name="signer"]') == "Carl"  # the task's contact
    draw(page)
    if shot:
        shot("5-signature")
    tap(page, '[data-action="save-signature"]')
    page.locator('[data-screen="task"]').wait_for()


def complete(page, words: dict) -> None:
    button = page.locator('[data-screen="task"] [data-transition="complete"]')
    assert button.inner_text() == words["complete"]
    assert button.get_attribute("aria-disabled") is None  # nothing missing any more
    button.tap()
    page.locator('[data-screen="task"] .final').wait_for()
    assert words["done"] in page.locator('[data-screen="task"] .task-head').inner_text()


def noise_png(width: int, height: int) -> bytes:
    """A photo-sized PNG of random pixels (it hardly compresses: the worst case)."""
    rng = random.Random(7)
    raw = b"".join(b"\x00" + rng.randbytes(width * 3) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 1))
        + chunk(b"IEND", b"")
    )


PHOTO = noise_png(1200, 800)


def take_a_photo(page) -> None:
    tap(page, '[data-screen="task"] [data-action="photos"]')
    page.locator('[data-screen="photos"]').wait_for()
    page.set_input_files(
        '[data-action="photo-input"]',
        files=[{"name": "unit.png", "mimeType": "image/png", "buffer": PHOTO}],
    )
    row = page.locator(".uploads li[data-state]")
    row.wait_for()
    assert row.get_attribute("data-state") in ("sent", "queued")
    assert int(row.get_attribute("data-bytes")) <= 500 * 1024
    page.locator("#m-back").tap()
    page.locator('[data-screen="task"]').wait_for()


def assert_one_small_photo(city, task: dict) -> None:
    ann = city.engineer
    photos = ann.get(f"/api/v1/records/field_task/{task['id']}").json["photos"]
    assert len(photos) == 1, photos
    image = ann.client.get(
        f"/api/v1/files/{photos[0]}", headers={"Authorization": f"Bearer {ann.token}"}
    )
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    assert len(PHOTO) > 2_000_000 and len(image.data) <= 500 * 1024


def pings_of(city, at_least: int) -> list:
    """Ann's location points on the server, once ``at_least`` arrived (sent in the
    background: a few seconds at most)."""
    url = f"/api/v1/records/location_ping?resource={city.ids['ann_resource']}"
    deadline = time.monotonic() + WAIT_MS / 1000
    while True:
        pings = city.dispatcher.get(url).json["data"]
        if len(pings) >= at_least or time.monotonic() > deadline:
            return pings
        time.sleep(0.2)


def timeline_steps(city, task_id: int) -> Counter:
    entries = city.dispatcher.get(f"/api/v1/records/field_task/{task_id}/timeline").json["data"]
    return Counter(e["transition"] for e in entries if e["transition"])


def assert_done_on_the_server(city, task: dict, resolution: str) -> None:
    dora, ids = city.dispatcher, city.ids
    record = dora.get(f"/api/v1/records/field_task/{task['id']}").json
    assert record["status"] == "completed", record
    assert record["resolution"] == resolution
    assert record["customer_signature"]["signer"] == "Carl"
    assert re.fullmatch(r"[0-9a-f]{64}", record["customer_signature"]["sha256"])
    check_ins = dora.get(f"/api/v1/records/check_in?field_task={task['id']}").json["data"]
    assert len(check_ins) == 1 and check_ins[0]["at_site"] is True, check_ins
    assert float(check_ins[0]["accuracy_m"]) == 12
    moves = dora.get(
        f"/api/v1/records/part_movement?field_task={task['id']}&kind=consumption"
    ).json["data"]
    assert [(m["part"], float(m["qty"]), m["status"]) for m in moves] == [
        (ids["part"], 1.0, "posted")
    ]
    assert timeline_steps(city, task["id"]) == Counter(
        {"dispatch": 1, "accept": 1, "depart": 1, "arrive": 1, "start": 1, "complete": 1}
    )
    pings = pings_of(city, at_least=4)  # a point for every step but the last, at least
    assert {p["device_id"][:4] for p in pings} == {"web-"}
    assert len({p["seq"] for p in pings}) == len(pings)


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_an_engineer_does_a_task_from_accept_to_complete_by_tapping(
    field_day, server, browser_page, locale, tmp_path
):
    city, first, second = field_day
    set_profile(city.engineer, locale)
    words = WORDS[locale]
    context = phone(browser_page, locale)
    page = context.new_page()
    shot = Shots(page, tmp_path, locale)

    log_in(page, server, "ann@example.com")
    assert page.locator("html").get_attribute("lang") == locale
    assert page.locator('.tab[data-tab="day"]').inner_text() == words["tab_day"]
    cards = page.locator('[data-screen="my-day"] .task-card')
    assert cards.count() == 2
    assert [c.get_attribute("data-task-id") for c in cards.all()] == [
        str(first["id"]),
        str(second["id"]),
    ]
    head = cards.first.inner_text()
    assert "Acme" in head and "Acme HQ" in head
    assert cards.first.locator('[data-action="call"]').get_attribute("href") == "tel:+862155550101"
    cards.first.locator('[data-action="navigate"]').tap()
    links = page.locator('[data-sheet="navigate"] a[data-app]')
    hrefs = {a.get_attribute("data-app"): a.get_attribute("href") for a in links.all()}
    assert hrefs["geo"].startswith(f"geo:{HQ['lat']},{HQ['lng']}")
    assert hrefs["amap"].startswith(f"https://uri.amap.com/marker?position={HQ['lng']},{HQ['lat']}")
    assert f"location={HQ['lat']},{HQ['lng']}" in hrefs["baidu"]
    assert hrefs["apple"] == f"https://maps.apple.com/?daddr={HQ['lat']},{HQ['lng']}"
    assert hrefs["google"].endswith(f"destination={HQ['lat']},{HQ['lng']}")
    shot("0-navigate")
    page.locator('[data-sheet="navigate"] [data-action="cancel"]').tap()
    shot("1-my-day")

    open_task(page, first)
    accept = page.locator('[data-transition="accept"]')
    assert accept.inner_text() == words["accept"]
    assert page.locator('[data-transition="reject"]').count() == 1
    shot("2-task")
    step(page, "accept", then="depart")
    step(page, "depart", then="arrive")
    step(page, "arrive", then="start")
    page.locator('[data-check-in="at-site"]').wait_for()
    shot("3-arrived")
    step(page, "start", then="complete")
    checklist = page.locator('[data-checklist="complete"]')
    assert checklist.locator('[data-done="0"]').count() == 3  # signature, work done, parts
    assert page.locator('[data-transition="complete"]').get_attribute("aria-disabled") == "true"
    shot("4-checklist")

    use_a_filter(page, city.ids["part"])
    assert page.locator('[data-check="parts"][data-done="1"]').count() == 1
    write_the_work_done(page, "Replaced the filter")
    sign(page, shot)
    assert checklist.locator('[data-done="0"]').count() == 0
    shot("6-ready")
    complete(page, words)
    shot("7-completed")
    assert_done_on_the_server(city, first, "Replaced the filter")
    context.close()


def test_offline_steps_are_sent_once_when_back_online(field_day, server, browser_page, tmp_path):
    city, first, _ = field_day
    set_profile(city.engineer, "en")
    context = phone(browser_page, "en")
    page = context.new_page()
    shot = Shots(page, tmp_path, "offline")
    log_in(page, server, "ann@example.com")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    open_task(page, first)  # online once: the task, its site and its customer are kept
    page.locator('[data-transition="accept"]').wait_for()

    context.set_offline(True)
    page.reload()  # the app shell comes from the service worker, the data from IndexedDB
    page.locator('[data-screen="task"] [data-stale="1"]').wait_for()
    step(page, "accept", then="depart")
    step(page, "depart", then="arrive")
    step(page, "arrive", then="start")
    step(page, "start", then="complete")
    use_a_filter(page, city.ids["part"])
    take_a_photo(page)
    write_the_work_done(page, "Cleaned the coil")
    sign(page)
    shot("1-queued")
    complete(page, {"complete": "Complete", "done": "Completed"})
    sync = page.locator("#m-sync")
    assert sync.get_attribute("data-state") == "waiting"
    assert sync.get_attribute("data-waiting") == "9"
    shot("2-all-queued")
    record = city.dispatcher.get(f"/api/v1/records/field_task/{first['id']}").json
    assert record["status"] == "dispatched"  # nothing reached the server

    context.set_offline(False)
    page.locator('#m-sync[data-state="ok"]').wait_for()
    shot("3-sent")
    assert_done_on_the_server(city, first, "Cleaned the coil")
    assert_one_small_photo(city, first)
    context.close()


def test_a_conflicting_edit_is_shown_and_decided(field_day, server, browser_page, tmp_path):
    city, first, _ = field_day
    set_profile(city.engineer, "zh-CN")
    context = phone(browser_page, "zh-CN")
    page = context.new_page()
    shot = Shots(page, tmp_path, "conflict")
    log_in(page, server, "ann@example.com")
    open_task(page, first)
    tap(page, '[data-action="notes"]')
    page.locator('[data-screen="notes"]').wait_for()
    context.set_offline(True)
    page.fill('textarea[name="notes"]', "客户要求下午再来")
    tap(page, '[data-action="save-notes"]')
    page.locator('[data-screen="task"]').wait_for()
    changed = city.dispatcher.patch(
        f"/api/v1/records/field_task/{first['id']}", json={"notes": "Call before coming"}
    )
    assert changed.status == 200, changed.json

    context.set_offline(False)
    page.locator('#m-sync[data-state="problem"]').wait_for()
    tap(page, "#m-sync")
    conflict = page.locator('[data-screen="conflict"] [data-kind="fields"]')
    conflict.wait_for()
    clash = conflict.locator('[data-field="notes"]')
    assert "Call before coming" in clash.locator(".theirs").inner_text()
    assert clash.locator(".mine textarea").input_value() == "客户要求下午再来"
    assert "保留我的" in clash.inner_text()
    shot("1-conflict")
    clash.locator(".mine textarea").fill("客户要求下午再来；Call before coming")
    conflict.locator('[data-action="apply"]').tap()
    page.locator('#m-sync[data-state="ok"]').wait_for()
    record = city.dispatcher.get(f"/api/v1/records/field_task/{first['id']}").json
    assert record["notes"] == "客户要求下午再来；Call before coming"
    context.close()


def test_a_signature_survives_turning_the_phone(field_day, server, browser_page, tmp_path):
    city, first, _ = field_day
    set_profile(city.engineer, "en")
    context = phone(browser_page, "en")
    page = context.new_page()
    shot = Shots(page, tmp_path, "rotate")
    log_in(page, server, "ann@example.com")
    page.goto(f"{server}/m/#/task/{first['id']}/signature")
    page.locator('[data-screen="signature"]').wait_for()
    draw(page)
    drawn, points = strokes(page)
    before = ink(page)
    assert drawn == 1 and points > 5 and before > 50
    shot("1-portrait")

    page.set_viewport_size(LANDSCAPE)
    page.wait_for_function("() => document.querySelector('.pad canvas').width > 1000")
    assert strokes(page) == (drawn, points)
    assert ink(page) > 50
    shot("2-landscape")
    page.set_viewport_size(PORTRAIT)
    page.wait_for_function("() => document.querySelector('.pad canvas').width < 1000")
    assert strokes(page) == (drawn, points)
    page.reload()  # the strokes are kept on the phone too
    page.locator('.pad[data-strokes="1"]').wait_for()
    assert ink(page) > 50
    tap(page, '[data-action="save-signature"]')
    page.locator('[data-screen="task"]').wait_for()
    signature = city.dispatcher.get(f"/api/v1/records/field_task/{first['id']}").json[
        "customer_signature"
    ]
    assert signature["signer"] == "Carl" and signature["content_type"] == "image/png"
    # the strokes went with it, in the pad's first size (kept beside the PNG on the server)
    assert (signature["strokes"]["count"], signature["strokes"]["points"]) == (drawn, points)
    dora = city.dispatcher
    kept = dora.client.get(
        f"/api/v1/files/{signature['strokes']['file']}",
        headers={"Authorization": f"Bearer {dora.token}"},
    ).json
    assert 0 < kept["width"] <= PORTRAIT["width"] and len(kept["strokes"][0]) == points, kept
    assert all(x <= kept["width"] and y <= kept["height"] for x, y, _t in kept["strokes"][0])
    context.close()


def test_the_pool_week_stock_photos_a_requisition_and_a_reject(
    field_day, server, browser_page, tmp_path
):
    city, first, second = field_day
    ids = city.ids
    set_profile(city.engineer, "zh-CN")
    offered = city.create(
        "field_task", {"description": "Replace a lamp", "site": ids["site"], "priority": "low"}
    )
    assert offered["assigned_resource"] is None  # in the grab pool
    context = phone(browser_page, "zh-CN")
    page = context.new_page()
    shot = Shots(page, tmp_path, "screens")
    log_in(page, server, "ann@example.com")

    tap(page, '.tab[data-tab="pool"]')
    page.locator('[data-screen="pool"]').wait_for()
    card = page.locator(f'[data-screen="pool"] [data-pool-task="{offered["id"]}"]')
    assert "距离 0 米" in card.inner_text()
    shot("1-pool")
    card.locator('[data-action="claim"]').tap()
    page.locator('[data-screen="task"]').wait_for()
    claimed = city.dispatcher.get(f"/api/v1/records/field_task/{offered['id']}").json
    assert claimed["assigned_resource"] == ids["ann_resource"]

    tap(page, '.tab[data-tab="week"]')
    page.locator('[data-screen="week"]').wait_for()
    today = page.locator('[data-screen="week"] section.day').first
    assert today.locator("[data-task-id]").count() == 2
    shot("2-week")
    tap(page, '.tab[data-tab="stock"]')
    page.locator('[data-screen="stock"]').wait_for()
    row = page.locator(f'[data-screen="stock"] li[data-part="{ids["part"]}"]')
    assert row.locator(".qty-shown").inner_text().startswith("3")
    shot("3-stock")
    tap(page, '.tab[data-tab="more"]')
    page.locator('[data-screen="more"] [data-lang="zh-CN"][aria-pressed="true"]').wait_for()
    shot("4-more")

    page.goto(f"{server}/m/#/task/{first['id']}")
    page.locator('[data-screen="task"]').wait_for()
    tap(page, '[data-screen="task"] [data-action="requisition"]')
    page.locator('[data-screen="requisition"]').wait_for()
    page.locator(f'li[data-part="{ids["part"]}"] [data-step="plus"]').tap()
    page.locator(f'li[data-part="{ids["part"]}"] [data-step="plus"]').tap()
    shot("5-requisition")
    tap(page, '[data-action="request"]')
    page.locator('[data-screen="task"]').wait_for()
    asked = city.dispatcher.get(
        f"/api/v1/records/part_movement?field_task={first['id']}&kind=requisition"
    ).json["data"]
    assert [(m["to_location"], float(m["qty"]), m["status"]) for m in asked] == [
        (ids["ann_bag"], 2.0, "pending_approval")
    ]
    take_a_photo(page)
    shot("6-photo")
    assert_one_small_photo(city, first)

    page.goto(f"{server}/m/#/task/{second['id']}")
    step(page, "reject")
    page.locator('[data-sheet="ask"] textarea').fill("不在我的服务区域")
    shot("7-reject-reason")
    page.locator('[data-sheet="ask"] [data-action="ok"]').tap()
    page.locator('[data-screen="my-day"]').wait_for()
    rejected = city.dispatcher.get(f"/api/v1/records/field_task/{second['id']}").json
    assert ids["ann_resource"] in rejected["excluded_resources"]
    assert rejected["assigned_resource"] != ids["ann_resource"]
    entries = city.dispatcher.get(f"/api/v1/records/field_task/{second['id']}/timeline").json
    assert [e["comment"] for e in entries["data"] if e["transition"] == "reject"] == [
        "不在我的服务区域"
    ]
    context.close()


def test_the_app_start_tells_how_each_step_gathers_its_values(city):
    answer = city.engineer.get("/api/v1/fs/my/app")
    assert answer.status == 200, answer.json
    start = answer.json
    assert start["resource"]["id"] == city.ids["ann_resource"]
    assert start["bag"] == {"id": city.ids["ann_bag"], "name": "Ann's bag"}
    assert start["settings"] == {
        "check_in_radius_m": 300,
        "average_speed_kmh": 30,
        "require_check_in": True,
    }
    steps = {t["name"]: t for t in start["workflow"]["transitions"]}
    assert set(steps) == {
        "accept", "reject", "depart", "arrive", "start", "wait_parts", "resume", "complete"
    }  # fmt: skip
    assert steps["arrive"]["geo"] == [{"field": "arrival_location", "accuracy": "arrival_accuracy"}]
    assert steps["arrive"]["from"] == ["accepted", "en_route"]
    assert steps["reject"]["prompts"] == [{"field": "comment", "label": "Reject"}]
    assert steps["wait_parts"]["prompts"] == [{"field": "parts_note", "label": "Parts needed"}]
    assert steps["complete"]["on_record"] == ["customer_signature"]
    assert steps["complete"]["prompts"] == [{"field": "resolution", "label": "Work done"}]
    assert steps["complete"]["conditional"] and steps["start"]["conditional"]
    assert start["fields"]["customer_signature"] == {
        "label": "Customer signature",
        "type": "signature",
    }

    set_profile(city.engineer, "zh-CN")
    chinese = city.engineer.get("/api/v1/fs/my/app").json
    assert {t["name"]: t["label"] for t in chinese["workflow"]["transitions"]}[
        "arrive"
    ] == "到达签到"
    assert chinese["user"]["time_zone"] == ZONE
    office = city.dispatcher.get("/api/v1/fs/my/app").json
    assert office["resource"] is None and office["bag"] is None
    assert {"dispatch", "approve", "close"} <= {
        t["name"] for t in office["workflow"]["transitions"]
    }


def test_the_shell_needs_a_login_and_serves_its_worker_and_manifest(client):
    shell = client.get("/m/")
    assert shell.status_code == 302 and shell.headers["Location"] == "/app/login?next=/m/"
    worker = client.get("/m/sw.js")
    assert worker.status_code == 200 and worker.mimetype == "text/javascript"
    assert worker.headers["Service-Worker-Allowed"] == "/m/"
    script = worker.get_data(as_text=True)
    for asset in (
        "/m/static/js/main.js",
        "/m/static/app.css",
        "/m/static/vendor/signature_pad/signature_pad.umd.min.js",
    ):
        assert f'"{asset}"' in script
    manifest = client.get("/m/manifest.webmanifest?lang=zh-CN")
    assert manifest.mimetype == "application/manifest+json"
    assert manifest.json["name"] == "Plinth 工程师应用"
    assert manifest.json["scope"] == manifest.json["start_url"] == "/m/"
    assert {i["sizes"] for i in manifest.json["icons"]} == {"192x192", "512x512"}
    texts = client.get("/m/static/texts.json").json
    assert set(texts) == {"en", "zh-CN"} and set(texts["en"]) == set(texts["zh-CN"])
    assert all(texts["en"].values()) and all(texts["zh-CN"].values())


def test_an_arrival_away_from_the_site_is_explained_and_checked_again(
    field_day, server, browser_page, tmp_path
):
    city, first, _ = field_day
    set_profile(city.engineer, "en")
    context = phone(browser_page, "en")
    context.set_geolocation({"latitude": 31.2394, "longitude": 121.4737, "accuracy": 10})
    page = context.new_page()
    shot = Shots(page, tmp_path, "away")
    log_in(page, server, "ann@example.com")
    open_task(page, first)
    step(page, "accept", then="arrive")
    step(page, "arrive")  # a kilometre north of the site
    away = page.locator('[data-sheet="not-at-site"]')
    away.wait_for()
    assert "within 300 m" in away.inner_text()
    assert "Acme HQ" in away.locator(".targets").inner_text()
    shot("1-not-at-site")
    away.locator('[data-action="ok"]').tap()
    page.locator('[data-check-in="away"]').wait_for()

    step(page, "start")
    refused = page.locator('[data-sheet="problem"]')
    refused.wait_for()
    assert "check in at the task's site first" in refused.locator(".detail").inner_text()
    assert "Acme HQ" in refused.locator(".targets").inner_text()
    shot("2-start-refused")
    refused.locator('[data-action="ok"]').tap()

    context.set_geolocation({"latitude": HQ["lat"], "longitude": HQ["lng"], "accuracy": 8})
    tap(page, '[data-action="check-in-again"]')
    page.locator('[data-check-in="at-site"]').wait_for()
    step(page, "start", then="complete")
    check_ins = city.dispatcher.get(f"/api/v1/records/check_in?field_task={first['id']}&sort=id")
    assert [c["at_site"] for c in check_ins.json["data"]] == [False, True]
    context.close()
