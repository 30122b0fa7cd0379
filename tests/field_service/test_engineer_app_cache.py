"""The engineer app on a slow network (Playwright, as test_engineer_app.py): my day and a task
open from the copy kept on the phone at once, marked "refreshing", and are drawn again with
what the network answers; the shell names every module in a ``modulepreload`` link."""

from __future__ import annotations

import pytest

from packs.field_service.engineer.mobile.pages import STATIC
from tests.field_service.test_engineer_app import (  # noqa: F401 - field_day is a fixture
    field_day,
    log_in,
    make_task,
    phone,
    set_profile,
)

pytestmark = pytest.mark.sqlite_only

CARDS = '[data-screen="my-day"] .task-card'


class Held:
    """Requests to matching URLs, held until ``release()`` (a network that does not answer)."""

    def __init__(self, page, pattern: str):
        self.routes: list = []
        self.released = False
        page.route(pattern, self.hold)

    def hold(self, route) -> None:
        if self.released:
            route.continue_()
        else:
            self.routes.append(route)

    def release(self) -> None:
        self.released = True
        for route in self.routes:
            route.continue_()


def test_a_slow_network_shows_the_phones_copy_then_the_fresh_answer(
    field_day,  # noqa: F811 - the fixture
    server,
    browser_page,
):
    city, first, _ = field_day
    set_profile(city.engineer, "en")
    context = phone(browser_page, "en")
    page = context.new_page()
    log_in(page, server, "ann@example.com")
    modules = {p.relative_to(STATIC).as_posix() for p in STATIC.glob("js/**/*.js")}
    preloaded = page.eval_on_selector_all(
        'link[rel="modulepreload"]', "links => links.map((l) => l.getAttribute('href'))"
    )
    assert sorted(preloaded) == sorted(f"/m/static/{m}" for m in modules)
    assert page.locator(CARDS).count() == 2
    page.wait_for_load_state("networkidle")  # each task was read ahead (kept on the phone)

    # the dispatcher gives Ann a third task while her network stops answering
    make_task(city, "Noisy fan", city.ids["site"], 16)
    held = Held(page, "**/api/v1/fs/my/tasks?*")
    page.reload()
    page.locator('[data-screen="my-day"] [data-refreshing="1"]').wait_for()
    assert page.locator(CARDS).count() == 2  # the day kept on the phone
    assert page.locator("[data-stale]").count() == 0  # not "offline": still asking
    held.release()
    page.locator(CARDS).nth(2).wait_for()  # the network's day, drawn in its place
    assert page.locator(CARDS).count() == 3
    assert page.locator("[data-refreshing]").count() == 0

    # a task too: its copy at once, then the change the dispatcher made meanwhile
    reply = city.dispatcher.patch(
        f"/api/v1/records/field_task/{first['id']}", json={"description": "Bring a ladder"}
    )
    assert reply.status == 200, reply.json
    held = Held(page, f"**/api/v1/records/field_task/{first['id']}")
    page.locator(f'[data-task-id="{first["id"]}"] .card-main').tap()
    page.locator('[data-screen="task"] [data-refreshing="1"]').wait_for()
    assert "Bring a ladder" not in page.locator('[data-screen="task"]').inner_text()
    page.locator('[data-screen="task"] [data-transition="accept"]').wait_for()
    held.release()
    page.get_by_text("Bring a ladder").wait_for()
    assert page.locator("[data-refreshing]").count() == 0
    context.close()
