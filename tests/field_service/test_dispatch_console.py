"""The dispatch console (/app/dispatch) in a real browser (Playwright driving Debian's
chromium, a 1440x900 desktop): a dispatcher drags a task from the queue onto an engineer,
sees a missing-skill violation on another drop, forces it with a reason, moves a bar along
its row, in English and in Chinese. Screenshots go to ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil

import pytest

from plinth.auth.actor import SYSTEM
from plinth.testing import PASSWORD
from tests.field_service.city import HQ
from tests.ui.browser_steps import SHOTS

pytestmark = pytest.mark.sqlite_only

DAY = "2026-11-25"
NOW = dt.datetime(2026, 11, 25, 0, 0, tzinfo=dt.UTC)  # 08:00 in Shanghai
ZONE = "Asia/Shanghai"
WAIT_MS = 15000
WORDS = {
    "en": {"title": "Dispatch console", "skill": "Needs skill plumbing at level 1 (has 0)"},
    "zh-CN": {"title": "调度台", "skill": "需要技能 plumbing 等级 1（现有 0）"},
}


def shanghai(hour: int, minute: int = 0) -> str:
    local = dt.datetime(2026, 11, 25, hour, minute, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    return local.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


@pytest.fixture
def desk(city):
    """Two new tasks due today: one Ann can do, one needing a skill nobody has."""
    city.app_tenant.clock = lambda: NOW
    with city.app_tenant.session(SYSTEM) as s:
        s.records.update(
            "service_group",
            city.ids["group"],
            {"polygon": [[31.20, 121.44], [31.26, 121.44], [31.26, 121.51], [31.20, 121.51]]},
        )
        s.records.update(
            "service_resource",
            city.ids["ann_resource"],
            {"last_location": HQ, "last_seen_at": NOW - dt.timedelta(minutes=5)},
        )

    def task(description: str, skill: str, due_hour: int) -> dict:
        return city.create(
            "field_task",
            {
                "description": description,
                "location": {"lat": HQ["lat"] + 0.01, "lng": HQ["lng"]},
                "duration": 60,
                "required_skills": [{"skill": skill, "level": 1}],
                "service_group": city.ids["group"],
                "due_at": shanghai(due_hour),
            },
        )

    return city, task("Fix the air conditioning", "hvac", 13), task("Leaking pipe", "plumbing", 16)


def log_in(page, server: str, email: str) -> None:
    page.goto(f"{server}/app/dispatch?date={DAY}")
    page.wait_for_url(re.compile(r".*/app/login\?next=.*dispatch.*"))
    page.fill('input[name="email"]', email)
    page.fill('input[name="password"]', PASSWORD)
    page.locator('main button[type="submit"]').click()
    page.wait_for_url(re.compile(r".*/app/dispatch.*"))
    page.goto(f"{server}/app/dispatch?date={DAY}")
    page.locator('#dc[data-state="ready"]').wait_for()


def shot(page, tmp_path, name: str) -> None:
    path = tmp_path / f"dispatch-console-{name}.png"
    page.screenshot(path=str(path))
    shutil.copyfile(path, SHOTS / path.name)


def x_of(page, instant: str) -> float:
    """The page x of an instant on the board (its window is in data attributes)."""
    box = page.locator("#dc-timeline")
    start = float(box.get_attribute("data-window-start"))
    end = float(box.get_attribute("data-window-end"))
    centre = page.locator(".vis-panel.vis-center").bounding_box()
    at = dt.datetime.fromisoformat(instant.replace("Z", "+00:00")).timestamp() * 1000
    return centre["x"] + centre["width"] * (at - start) / (end - start)


def row_point(page, engineer_id: int, hour: float) -> dict:
    """Where on the board a drop lands on that engineer's row at ``hour`` (Shanghai)."""
    label = page.locator(f'.vis-label [data-engineer-id="{engineer_id}"]').bounding_box()
    x = x_of(page, shanghai(int(hour), round(hour % 1 * 60)))
    return {"x": x, "y": label["y"] + label["height"] / 2}


def drag_card(page, task: dict, engineer_id: int, hour: float) -> None:
    point = row_point(page, engineer_id, hour)
    target = page.locator(".vis-panel.vis-center")
    box = target.bounding_box()
    page.locator(f'#dc-queue [data-task-id="{task["id"]}"]').drag_to(
        target, target_position={"x": point["x"] - box["x"], "y": point["y"] - box["y"]}
    )


def bar(page, task: dict):
    return page.locator(f'.vis-item:has(.dc-bar[data-task-id="{task["id"]}"])')


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_a_dispatcher_places_forces_and_moves_tasks_on_the_board(
    desk, server, browser_page, tmp_path, locale
):
    city, easy, hard = desk
    ann = city.ids["ann_resource"]
    reply = city.dispatcher.patch("/api/v1/me", json={"locale": locale, "time_zone": ZONE})
    assert reply.status == 200
    words = WORDS[locale]
    context = browser_page.new_context(viewport={"width": 1440, "height": 900}, locale=locale)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # a refused drop is a 409 the console shows; the browser logs it as a failed load
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and "Failed to load resource" not in m.text
            else None
        ),
    )
    try:
        log_in(page, server, "dora@example.com")
    finally:
        print("browser errors:", errors)
    assert page.locator("#dc-title").inner_text() == words["title"]
    boards: list[str] = []
    page.on("request", lambda r: boards.append(r.url) if "/dispatch/board" in r.url else None)
    page.reload()
    page.locator('#dc[data-state="ready"]').wait_for()
    assert len(boards) == 1, boards  # early.js's read is the one the board is drawn from
    shot(page, tmp_path, f"{locale}-0-open")
    assert page.locator(f'.vis-label [data-engineer-id="{ann}"]').is_visible()
    queue = page.locator("#dc-queue [data-task-id]")
    assert queue.count() == 2
    assert queue.first.get_attribute("data-task-id") == str(easy["id"])  # due first
    shot(page, tmp_path, f"{locale}-1-queue")

    drag_card(page, easy, ann, 10)
    bar(page, easy).wait_for()
    placed = city.dispatcher.get(f"/api/v1/records/field_task/{easy['id']}").json
    assert placed["status"] == "dispatched" and placed["assigned_resource"] == ann
    start = dt.datetime.fromisoformat(placed["assigned_start"].replace("Z", "+00:00"))
    assert abs(start - dt.datetime.fromisoformat(shanghai(10))) <= dt.timedelta(minutes=20)
    assert page.locator(f'#dc-queue [data-task-id="{easy["id"]}"]').count() == 0

    drag_card(page, hard, ann, 14)
    problem = page.locator("#dc-problem")
    problem.wait_for()
    assert problem.locator('[data-rule="skill"]').inner_text() == words["skill"]
    shot(page, tmp_path, f"{locale}-2-violation")
    page.fill("#dc-reason", "the only engineer nearby")
    page.locator('[data-action="force"]').click()
    forced = bar(page, hard)
    forced.wait_for()
    assert "dc-override" in forced.get_attribute("class")
    record = city.dispatcher.get(f"/api/v1/records/field_task/{hard['id']}").json
    assert (
        record["status"] == "dispatched"
        and "the only engineer nearby" in (record["dispatch_override"])
    )
    shot(page, tmp_path, f"{locale}-3-forced")

    # move the first bar an hour later along Ann's row
    box = bar(page, easy).bounding_box()
    hour_px = x_of(page, shanghai(11)) - x_of(page, shanghai(10))
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + hour_px, box["y"] + box["height"] / 2, steps=8)
    page.mouse.up()
    page.wait_for_function(
        f"""() => document.getElementById('dc-status').dataset.kind === 'ok'
              && document.getElementById('dc-status').textContent.includes('{placed["number"]}')"""
    )
    moved = city.dispatcher.get(f"/api/v1/records/field_task/{easy['id']}").json
    later = dt.datetime.fromisoformat(moved["assigned_start"].replace("Z", "+00:00"))
    assert dt.timedelta(minutes=40) <= later - start <= dt.timedelta(minutes=80), (start, later)
    shot(page, tmp_path, f"{locale}-4-moved")
    assert errors == []
    context.close()


def test_engineers_are_refused_the_console(desk, server, browser_page):
    city, _easy, _hard = desk
    page = browser_page.new_page()
    page.goto(f"{server}/app/login?next=/app/dispatch")
    page.fill('input[name="email"]', "ann@example.com")
    page.fill('input[name="password"]', PASSWORD)
    page.locator('main button[type="submit"]').click()
    answer = page.goto(f"{server}/app/dispatch")
    assert answer.status == 403
    assert "dispatchers" in page.locator("main h1").inner_text()
    page.close()


def test_a_change_in_one_browser_appears_in_another_without_reload(
    desk, server, browser_page, tmp_path
):
    city, easy, _hard = desk
    ann = city.ids["ann_resource"]
    assert city.dispatcher.patch("/api/v1/me", json={"time_zone": ZONE}).status == 200
    pages = []
    for _ in range(2):
        context = browser_page.new_context(viewport={"width": 1440, "height": 900})
        context.set_default_timeout(WAIT_MS)
        page = context.new_page()
        log_in(page, server, "dora@example.com")
        pages.append(page)
    mine, theirs = pages
    theirs.evaluate("window.__noReload = true")  # gone if the page loads again
    # select the card, then click the time on Ann's row (the other way to place a task)
    mine.locator(f'#dc-queue [data-task-id="{easy["id"]}"]').click()
    point = row_point(mine, ann, 10)
    mine.mouse.click(point["x"], point["y"])
    bar(mine, easy).wait_for()
    bar(theirs, easy).wait_for(timeout=5000)  # pushed by the event stream
    assert theirs.evaluate("window.__noReload") is True
    assert theirs.locator(f'#dc-queue [data-task-id="{easy["id"]}"]').count() == 0

    # a change made elsewhere (another process: here the server's own session) shows too
    before = bar(theirs, easy).bounding_box()["x"]
    with city.app_tenant.session(SYSTEM) as s:
        s.records.update("field_task", easy["id"], {"assigned_start": shanghai(13)})
    theirs.wait_for_function(
        f"""() => {{
              const node = document.querySelector('.dc-bar[data-task-id="{easy["id"]}"]');
              return node && node.getBoundingClientRect().x > {before} + 50;
            }}"""
    )
    assert theirs.evaluate("window.__noReload") is True
    shot(theirs, tmp_path, "live")
    for page in pages:
        page.context.close()


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_the_best_three_slots_for_an_urgent_task_and_one_click(
    desk, server, browser_page, tmp_path, locale
):
    city, easy, _hard = desk
    ann, bob = city.ids["ann_resource"], city.ids["bob_resource"]
    reply = city.dispatcher.patch("/api/v1/me", json={"locale": locale, "time_zone": ZONE})
    assert reply.status == 200
    context = browser_page.new_context(viewport={"width": 1440, "height": 900}, locale=locale)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    log_in(page, server, "dora@example.com")
    page.locator(f'#dc-queue [data-task-id="{easy["id"]}"] [data-action="slots"]').click()
    slots = page.locator("#dc-slot-list li[data-engineer-id]")
    slots.first.wait_for()
    offered = [
        int(s) for s in slots.evaluate_all("(items) => items.map((i) => i.dataset.engineerId)")
    ]
    assert offered[0] == ann and set(offered) <= {ann, bob}  # Ann lives next door
    why = {"en": "of driving", "zh-CN": "增加路程"}[locale]
    assert why in slots.first.inner_text()
    shot(page, tmp_path, f"{locale}-5-slots")
    slots.first.locator('[data-action="place-slot"]').click()
    bar(page, easy).wait_for()
    placed = city.dispatcher.get(f"/api/v1/records/field_task/{easy['id']}").json
    assert placed["status"] == "dispatched" and placed["assigned_resource"] == ann
    context.close()


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_a_dispatcher_optimises_the_day_reads_the_diff_commits_and_undoes(
    desk, server, browser_page, tmp_path, locale
):
    city, easy, hard = desk
    reply = city.dispatcher.patch("/api/v1/me", json={"locale": locale, "time_zone": ZONE})
    assert reply.status == 200
    more = city.create(
        "field_task",
        {
            "description": "Check the chiller",
            "location": {"lat": HQ["lat"] + 0.004, "lng": HQ["lng"]},
            "duration": 45,
            "required_skills": [{"skill": "hvac", "level": 1}],
            "service_group": city.ids["group"],
        },
    )
    context = browser_page.new_context(viewport={"width": 1440, "height": 900}, locale=locale)
    context.set_default_timeout(30000)
    page = context.new_page()
    log_in(page, server, "dora@example.com")
    page.locator('[data-action="optimise"]').click()
    page.select_option("#dc-seconds", "5")
    page.locator('[data-action="start-optimise"]').click()
    page.locator("#dc-diff").wait_for()
    counts = {"en": "2 newly assigned", "zh-CN": "新派 2"}[locale]
    assert counts in page.locator("#dc-diff-counts").inner_text()
    left_out = page.locator(f'#dc-diff-tasks [data-task-id="{hard["id"]}"]')
    assert left_out.get_attribute("data-change") == "left_out"
    assert page.locator(".vis-item.dc-proposed").count() == 2  # shown, not written
    record = city.dispatcher.get(f"/api/v1/records/field_task/{easy['id']}").json
    assert record["status"] == "new"
    shot(page, tmp_path, f"{locale}-6-diff")

    page.locator('[data-action="commit"]').click()
    bar(page, easy).wait_for()
    bar(page, more).wait_for()
    assert page.locator(".vis-item.dc-proposed").count() == 0
    for task in (easy, more):
        record = city.dispatcher.get(f"/api/v1/records/field_task/{task['id']}").json
        assert record["status"] == "dispatched"
    shot(page, tmp_path, f"{locale}-7-committed")

    page.locator('[data-action="undo"]').click()
    page.locator(f'#dc-queue [data-task-id="{more["id"]}"]').wait_for()
    assert bar(page, easy).count() == 0
    for task in (easy, more):
        record = city.dispatcher.get(f"/api/v1/records/field_task/{task['id']}").json
        assert record["status"] == "new"
    shot(page, tmp_path, f"{locale}-8-undone")
    context.close()
