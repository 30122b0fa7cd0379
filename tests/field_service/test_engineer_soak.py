"""Soak test of the engineer app's outbox: 10,000 changes queued offline on phones and
replayed through random disconnects; on the server every one is there, and only once.

The app's own modules (``outbox.js``, ``api.js``, ``db.js``) run in Chromium on the app's
shell page (its UI, ``main.js``, left out: it re-reads the whole outbox on every change, so
with thousands queued the screen, not the network, would be what is measured). Each phone
works in offline stretches: the network goes, the engineer makes a few to a few hundred
changes (``outbox.enqueue`` with the changes the screens make: expense lines and check-ins
created, notes edited on a stale copy of the task, wait-for-parts and resume steps, each
with a marker of its own), the network comes back and the outbox sends them. Playwright's
request routing breaks the network as it does:

- cut before: the request never reaches the server
- answer lost: the server applies it, the phone never hears back (the hard case)
- cut midway: the phone gives up while the server is still applying it, and sends again at
  once (the two meet on the server)
- offline: the phone loses its network as it sends, and gets it back a moment later

Each phone has a server process of its own (all on the test's PostgreSQL database), so the
servers, the browser and the test's routing share the machine's cores rather than one
Python interpreter, and each server sends an answer's headers and body without waiting
(TCP_NODELAY: werkzeug writes them apart, and Nagle's algorithm would hold the body ~40 ms
for the phone's delayed ACK, on every request). The seed is printed; ``PLINTH_SOAK_SEED=<seed>`` replays a run (as far
as the timing of threads and processes allows).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from plinth.runtime import idempotency
from plinth.testing import PASSWORD
from tests.field_service.city import HQ

pytestmark = [pytest.mark.slow, pytest.mark.postgres_only]

CHANGES = 10_000
PHONES = ("ann", "bob", "cleo", "dan", "eve")
SEED = int(os.environ.get("PLINTH_SOAK_SEED", "20260419"))
# The changes the phones make (kind, share): expense lines and check-ins created, notes
# edited, wait-for-parts and resume steps.
MIX = (("expense", 0.74), ("check_in", 0.08), ("notes", 0.12), ("step", 0.06))
LOW_WATER = 25  # a phone's next offline stretch starts once fewer changes wait to be sent
MOST_IN_A_STRETCH = 300  # changes made in one offline stretch: 1 to this, log-uniform
# The network is bad in patches. Now and then a storm routes a phone's next few requests
# through the test, where each meets one of these fates (or passes); in the calm between
# storms they go straight to the server (routing every request would cost the browser and
# the test about as much as the server's work).
FATES = (("cut before", 0.10), ("answer lost", 0.10), ("cut midway", 0.04), ("offline", 0.015))
STORM_REQUESTS = (1, 20)
CALM_REQUESTS = (10, 90)
API = re.compile(r"^https?://[^/]+/api/")
MAIN_JS = re.compile(r"/m/static/js/main\.js$")
ZONE = "Asia/Shanghai"
WAIT_MS = 15000
DEADLINE_S = 900

PHONE_JS = """
async ([user, seed, notesTask]) => {
  const outbox = await import("/m/static/js/outbox.js");
  const api = await import("/m/static/js/api.js");
  outbox.setUser(user);
  let state = seed >>> 0;
  const random = () => {  // mulberry32: the phone's own seeded randomness
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const soak = { errors: [], flushes: 0, halts: {}, stopped: false, requests: 0 };
  window.soak = soak;
  new PerformanceObserver((list) => {
    soak.requests += list.getEntries().filter((e) => e.name.includes("/api/")).length;
  }).observe({ type: "resource" });

  // Queue changes as the screens do; a notes edit is made on the task as the phone has it
  // (offline: its kept copy) with the changes already queued on top (the notes screen).
  soak.enqueue = async (changes) => {
    for (const change of changes) {
      if (change.kind === "patch") {
        const { data: task } = await api.load(`/api/v1/records/${change.object}/${change.id}`);
        const shown = outbox.overlay(task, await outbox.entries());
        change.version = task.version;
        change.base = {};
        for (const name of Object.keys(change.fields)) {
          change.base[name] = shown[name] == null ? null : shown[name];
        }
      }
      await outbox.enqueue(change);
    }
  };

  // The app sends when the network comes back and every 15 s while changes wait. This phone
  // is fast-forwarded: it sends again a few milliseconds after a failed send (so a request
  // cut midway goes again while the first is still on the server), and with nothing left
  // to send it waits for the next change.
  let wake = null;
  outbox.subscribe((event) => event.type === "queued" && wake && wake());
  soak.loop = async () => {
    while (!soak.stopped) {
      let why = "offline";
      if (api.online()) {
        try {
          await outbox.flush();
        } catch (error) {
          soak.errors.push(String((error && error.stack) || error));
        }
        soak.flushes += 1;
        why = outbox.haltedBy();
        if (why) {
          soak.halts[why] = (soak.halts[why] || 0) + 1;
        }
      }
      await new Promise((resolve) => {
        wake = why ? null : resolve;
        setTimeout(resolve, why ? 2 + random() * 20 : 1000);
      });
      wake = null;
    }
  };

  soak.status = async () => {
    const list = await outbox.entries();
    const stuck = list.filter((e) => e.state !== "queued");
    return {
      queued: list.length - stuck.length,
      stuck: stuck.slice(0, 5).map((e) => ({ seq: e.seq, kind: e.kind, url: e.url, name: e.name, state: e.state, problem: e.problem, clashes: e.clashes })),
      stuckCount: stuck.length,
      flushes: soak.flushes,
      halts: soak.halts,
      errors: soak.errors.slice(0, 3),
      requests: soak.requests,
    };
  };

  await api.load(`/api/v1/records/field_task/${notesTask}`); // the task, opened once online
  soak.loop();
}
"""

SERVE = """
import json, sys
from werkzeug.serving import WSGIRequestHandler, make_server
from plinth.app import create_app

class Handler(WSGIRequestHandler):
    disable_nagle_algorithm = True  # headers and body go out at once, not 40 ms apart

    def log_request(self, *args, **kwargs):
        pass

app = create_app(json.loads(sys.argv[1]))
httpd = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Handler)
print(httpd.server_port, flush=True)
httpd.serve_forever()
"""


@pytest.fixture
def servers(app, plinth_settings, tmp_path, request):
    """``servers(n)``: the app served by ``n`` processes of its own (the test's database),
    their base URLs; each logs to the test's tmp folder."""
    started: list[subprocess.Popen] = []

    def start(n: int) -> list[str]:
        settings = json.dumps({**plinth_settings, "LOG_LEVEL": "WARNING"})
        for i in range(n):
            log = (tmp_path / f"server-{i}.log").open("w")
            started.append(
                subprocess.Popen(
                    [sys.executable, "-c", SERVE, settings],
                    cwd=request.config.rootpath,
                    stdout=subprocess.PIPE,
                    stderr=log,
                    text=True,
                )
            )
        urls = []
        for i, process in enumerate(started):
            port = process.stdout.readline().strip()
            assert port.isdigit(), (tmp_path / f"server-{i}.log").read_text()
            urls.append(f"http://127.0.0.1:{port}")
        return urls

    yield start
    for process in started:
        process.terminate()
    for process in started:
        process.wait(10)


def make_task(city, subject: str, resource: int, hour: int) -> dict:
    """A work order sent to the field, its task given to ``resource`` and dispatched."""
    ids, dora = city.ids, city.dispatcher
    created = dora.post(
        "/api/v1/records/work_order",
        json={
            "subject": subject,
            "customer": ids["customer"],
            "contact": ids["contact"],
            "site": ids["site"],
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
            "assigned_resource": resource,
            "assigned_start": start.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        },
    )
    assert patched.status == 200, patched.json
    dispatched = dora.post(f"/api/v1/records/field_task/{task['id']}/transitions/dispatch", json={})
    assert dispatched.status == 200, dispatched.json
    return dispatched.json


def step(api, task_id: int, name: str, **body) -> dict:
    reply = api.post(f"/api/v1/records/field_task/{task_id}/transitions/{name}", json=body)
    assert reply.status == 200, reply.json
    return reply.json


@dataclasses.dataclass
class Phone:
    """One engineer's phone: a browser context on the app, its changes, its state."""

    name: str
    user: int
    resource: int
    notes_task: dict
    work_task: dict
    rng: random.Random
    plan: list = dataclasses.field(default_factory=list)
    server: str = ""
    context: object = None
    page: object = None
    queued: int = 0  # how many of the plan were queued so far
    stretches: int = 0
    offline_until: float | None = None
    next_stretch: float = 0.0
    status: dict = dataclasses.field(default_factory=lambda: {"queued": 0})
    polled: float = 0.0


def engineer(city, people, as_user, name: str) -> tuple[int, int, object]:
    """(user id, service resource id, API client) of an engineer; ann and bob exist."""
    if name in ("ann", "bob"):
        api = city.engineer if name == "ann" else city.other_engineer
        return city.ids[name], city.ids[f"{name}_resource"], api
    user = people(name, roles=["engineer"])
    resource = city.create(
        "service_resource",
        {"name": name.title(), "login": user["id"], "home_base": HQ, "working_hours": "fs_7x24"},
    )
    city.create("service_group_member", {"group": city.ids["group"], "resource": resource["id"]})
    return user["id"], resource["id"], as_user(user)


def plan_changes(phone: Phone, count: int, rng: random.Random) -> list[dict]:
    """``count`` changes as the app's screens make them, each with a marker of its own."""
    kinds = rng.choices([k for k, _ in MIX], weights=[w for _, w in MIX], k=count)
    work, notes = phone.work_task, phone.notes_task
    waiting = False
    at = dt.datetime(2026, 1, 5, 1, 0, tzinfo=dt.UTC)
    changes = []
    for i, kind in enumerate(kinds):
        marker = f"soak {phone.name} #{i}"
        on_work = {"object": "field_task", "id": work["id"], "number": work["number"]}
        if kind == "expense":
            body = {
                "resource": phone.resource,
                "field_task": work["id"],
                "kind": rng.choice(["travel", "other"]),
                "quantity": rng.randint(1, 3),
                "unit_price": rng.randint(5, 80),
                "description": marker,
            }
            change = {"kind": "post", "url": "/api/v1/records/expense", "body": body}
            changes.append({**on_work, **change, "label": "Expense"})
        elif kind == "check_in":  # "check in again" on the task
            body = {
                "resource": phone.resource,
                "field_task": work["id"],
                "location": {"lat": HQ["lat"], "lng": HQ["lng"]},
                "accuracy_m": 12,
                "checked_in_at": (at + dt.timedelta(seconds=i)).isoformat().replace("+00:00", "Z"),
                "note": marker,
            }
            change = {"kind": "post", "url": "/api/v1/records/check_in", "body": body}
            changes.append({**on_work, **change, "label": "Check in again"})
        elif kind == "notes":  # version and base: as the phone has the task when queued
            change = {"kind": "patch", "fields": {"notes": marker}, "label": "Notes"}
            changes.append({**change, "object": "field_task", "id": notes["id"]})
        else:
            name, to = ("resume", "in_service") if waiting else ("wait_parts", "waiting_parts")
            waiting = not waiting
            values = {"parts_note": marker} if name == "wait_parts" else {}
            change = {"kind": "transition", "name": name, "to": to, "field": "status"}
            changes.append(
                {**on_work, **change, "values": values, "comment": marker, "label": name}
            )
    return changes


def open_phone(browser, phone: Phone) -> None:
    """A phone's context on its server's app shell, logged in, the outbox sending."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        locale="en",
        service_workers="block",
    )
    context.set_default_timeout(WAIT_MS)
    context.route(MAIN_JS, lambda route: route.fulfill(content_type="text/javascript", body=";"))
    page = context.new_page()
    page.goto(f"{phone.server}/m/")
    page.wait_for_url(re.compile(r".*/app/login\?next=(/|%2F)m(/|%2F)$"))
    page.fill('input[name="email"]', f"{phone.name}@example.com")
    page.fill('input[name="password"]', PASSWORD)
    page.locator('main button[type="submit"]').click()
    page.wait_for_url(f"{phone.server}/m/")
    page.evaluate(PHONE_JS, [phone.user, phone.rng.randrange(2**32), phone.notes_task["id"]])
    context.unroute(MAIN_JS)  # no route left: requests go straight out (between storms)
    phone.context, phone.page = context, page


class Network:
    """The phones' bad network: in a storm a phone's requests go through ``handle``."""

    def __init__(self, seed: int):
        self.seed = seed
        self.fates: Counter = Counter()
        self.lost: Counter = Counter()  # answers lost, by method
        self.midway: Counter = Counter()  # what the server answered requests cut midway
        self.requests = 0  # requests routed (in storms)
        self.storms = 0
        self.threads: list[threading.Thread] = []
        self.storm_on: dict[str, Callable[[], None]] = {}

    def attach(self, phone: Phone) -> None:
        rng = random.Random(f"{self.seed}:{phone.name}:network")
        cookies = phone.context.cookies(phone.server)
        cookie = "; ".join(f"{c['name']}={c['value']}" for c in cookies)
        weather = {"left": 0, "calm_until": rng.randint(*CALM_REQUESTS)}  # the phone's nth

        def handle(route) -> None:
            self.requests += 1
            weather["left"] -= 1
            if not weather["left"]:
                sent = phone.status.get("requests", weather["calm_until"])
                weather["calm_until"] = sent + rng.randint(*CALM_REQUESTS)
            fate, roll = None, rng.random()
            for name, chance in FATES:
                if roll < chance:
                    fate = name
                    break
                roll -= chance
            if fate:
                self.fates[fate] += 1
            if fate == "offline":
                phone.context.set_offline(True)
                phone.offline_until = time.monotonic() + rng.uniform(0.05, 0.5)
                route.abort("internetdisconnected")
            elif fate == "cut before":
                route.abort("connectionrefused")
            elif fate == "answer lost":
                self.lost[route.request.method] += 1
                try:
                    route.fetch(timeout=120_000)  # the server applies it...
                finally:
                    route.abort("connectionreset")  # ...and the phone never hears back
            elif fate == "cut midway":
                self.forward(route.request, cookie)  # on its way to the server...
                route.abort("connectionreset")  # ...as the phone gives up
            else:
                route.continue_()

        def storm() -> None:
            if weather["left"] or phone.status.get("requests", 0) < weather["calm_until"]:
                return
            self.storms += 1
            weather["left"] = rng.randint(*STORM_REQUESTS)
            phone.context.route(API, handle, times=weather["left"])

        self.storm_on[phone.name] = storm

    def weather(self, phone: Phone) -> None:
        """Start a storm on ``phone`` when its calm is over."""
        self.storm_on[phone.name]()

    def forward(self, request, cookie: str) -> None:
        """Send ``request`` on to the server on a thread of its own."""
        sent = urllib.request.Request(
            request.url,
            data=request.post_data_buffer,
            headers={**request.headers, "cookie": cookie},
            method=request.method,
        )

        def send() -> None:
            try:
                with urllib.request.urlopen(sent, timeout=120) as answer:
                    self.midway[answer.status] += 1
            except urllib.error.HTTPError as error:
                self.midway[error.code] += 1

        thread = threading.Thread(target=send, daemon=True)
        thread.start()
        self.threads.append(thread)

    def settle(self) -> None:
        for thread in self.threads:
            thread.join(120)


def drive(phone: Phone, now: float) -> bool:
    """Look at a phone once: back online after a drop; a new offline stretch of work once
    its outbox is nearly empty; its outbox's state now and then. True once all is sent."""
    if phone.offline_until is not None:
        if now >= phone.offline_until:
            phone.context.set_offline(False)
            phone.offline_until = None
        return False
    remaining = len(phone.plan) - phone.queued
    low = phone.status.get("queued", LOW_WATER) < LOW_WATER
    if remaining and low and now >= phone.next_stretch:
        phone.context.set_offline(True)
        size = min(remaining, round(MOST_IN_A_STRETCH ** phone.rng.random()))  # 1 to most
        stretch = phone.plan[phone.queued : phone.queued + size]
        phone.page.evaluate("changes => soak.enqueue(changes)", stretch)
        phone.queued += size
        phone.stretches += 1
        phone.offline_until = time.monotonic() + phone.rng.uniform(0.02, 0.3)
        phone.next_stretch = phone.offline_until + phone.rng.uniform(0.0, 0.5)
        phone.status, phone.polled = {}, 0.0
        return False
    if now - phone.polled < 0.2:
        return False
    status = phone.status = phone.page.evaluate("soak.status()")
    phone.polled = time.monotonic()
    assert not status["errors"], (phone.name, status["errors"])
    assert not status["stuckCount"], json.dumps([phone.name, status["stuck"]], indent=1)
    return not remaining and status["queued"] == 0


def on_the_server(tenant, phones: list[Phone]) -> dict[str, Counter]:
    """How many times each marker is on the server: expense lines and check-ins by their
    text, notes values by the task's field history, steps by their comment."""
    h = sa.table("plinth_history", *map(sa.column, ("object", "record_id", "field", "new_value")))
    t = sa.table(
        "plinth_transition", *map(sa.column, ("object", "record_id", "transition", "comment"))
    )
    with tenant.database.transaction() as conn:
        expenses = conn.execute(sa.text("SELECT description FROM obj_expense"))
        check_ins = conn.execute(sa.text("SELECT note FROM obj_check_in"))
        notes = conn.execute(
            sa.select(h.c.new_value).where(
                h.c.object == "field_task",
                h.c.record_id.in_([p.notes_task["id"] for p in phones]),
                h.c.field == "notes",
            )
        )
        steps = conn.execute(
            sa.select(t.c.transition, t.c.comment).where(
                t.c.object == "field_task",
                t.c.record_id.in_([p.work_task["id"] for p in phones]),
                t.c.comment.is_not(None),
            )
        )
        return {
            "expense": Counter(m for m in expenses.scalars() if m),
            "check_in": Counter(m for m in check_ins.scalars() if m),
            "notes": Counter(m for m in notes.scalars() if m),
            "step": Counter(f"{name}: {comment}" for name, comment in steps),
        }


def planned(phones: list[Phone]) -> dict[str, Counter]:
    want: dict[str, Counter] = {"expense": Counter(), "check_in": Counter(), "notes": Counter()}
    want["step"] = Counter()
    for phone in phones:
        for change in phone.plan:
            if change["kind"] == "post" and change["url"].endswith("/expense"):
                want["expense"][change["body"]["description"]] += 1
            elif change["kind"] == "post":
                want["check_in"][change["body"]["note"]] += 1
            elif change["kind"] == "patch":
                want["notes"][change["fields"]["notes"]] += 1
            else:
                want["step"][f"{change['name']}: {change['comment']}"] += 1
    return want


def test_ten_thousand_queued_changes_are_each_applied_once_through_random_disconnects(
    city, people, as_user, servers, browser_page
):
    print(f"\nsoak: seed {SEED} (PLINTH_SOAK_SEED={SEED} replays it), {CHANGES} changes")
    phones = []
    for i, name in enumerate(PHONES):
        user, resource, api = engineer(city, people, as_user, name)
        notes_task = make_task(city, f"Notes of {name}", resource, 8)
        work_task = make_task(city, f"Work of {name}", resource, 10)
        step(api, work_task["id"], "accept")
        step(api, work_task["id"], "arrive", values={"arrival_location": HQ, "arrival_accuracy": 9})
        work_task = step(api, work_task["id"], "start")
        phone = Phone(name, user, resource, notes_task, work_task, random.Random(f"{SEED}:{name}"))
        share = CHANGES // len(PHONES) + (i < CHANGES % len(PHONES))
        phone.plan = plan_changes(phone, share, random.Random(f"{SEED}:{name}:plan"))
        phones.append(phone)
    assert sum(len(p.plan) for p in phones) == CHANGES

    network = Network(SEED)
    for phone, url in zip(phones, servers(len(phones)), strict=True):
        phone.server = url
        open_phone(browser_page, phone)
        network.attach(phone)

    started = time.monotonic()
    finished: set[str] = set()
    while len(finished) < len(phones):
        now = time.monotonic()
        assert now - started < DEADLINE_S, [(p.name, p.queued, p.status) for p in phones]
        for phone in phones:
            if phone.name not in finished:
                network.weather(phone)
                if drive(phone, now):
                    finished.add(phone.name)
        phones[0].page.wait_for_timeout(10)  # the routes are served meanwhile
    elapsed = time.monotonic() - started
    network.settle()
    outboxes = {p.name: p.page.evaluate("soak.status()") for p in phones}
    for phone in phones:
        phone.page.evaluate("soak.stopped = true")

    got, want = on_the_server(city.app_tenant, phones), planned(phones)
    print(
        f"soak: {CHANGES} changes ({', '.join(f'{k} {sum(v.values())}' for k, v in want.items())})"
        f" on {len(phones)} phones in {sum(p.stretches for p in phones)} offline stretches:"
        f" {sum(o['requests'] for o in outboxes.values())} API requests answered, {elapsed:.1f} s"
    )
    print(
        f"soak: {network.storms} storms, {network.requests} requests routed; disconnects"
        f" {dict(network.fates)}; answers lost by method {dict(network.lost)};"
        f" requests cut midway answered {dict(network.midway)}"
    )
    print(f"soak: outbox halts {[(n, o['halts']) for n, o in outboxes.items()]}")
    print(f"soak: load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    problems = {}
    for kind in want:
        lost = sorted(set(want[kind]) - set(got[kind]))
        twice = {marker: n for marker, n in got[kind].items() if n > 1}
        stray = sorted(set(got[kind]) - set(want[kind]))
        print(
            f"soak: {kind}: {sum(want[kind].values())} queued, {len(got[kind])} on the server,"
            f" {len(lost)} lost, {len(twice)} applied more than once"
        )
        if lost or twice or stray:
            problems[kind] = {"lost": lost[:5], "twice": list(twice.items())[:5], "stray": stray}
    assert not problems, problems
    for name, outbox in outboxes.items():
        assert outbox["queued"] == 0 and outbox["stuckCount"] == 0, (name, outbox)
    for phone in phones:  # sent in the order they were made: the last edit and step hold
        notes = [c["fields"]["notes"] for c in phone.plan if c["kind"] == "patch"]
        steps = [c["to"] for c in phone.plan if c["kind"] == "transition"]
        task = city.dispatcher.get(f"/api/v1/records/field_task/{phone.notes_task['id']}").json
        assert task["notes"] == notes[-1], (phone.name, task["notes"], notes[-1])
        work = city.dispatcher.get(f"/api/v1/records/field_task/{phone.work_task['id']}").json
        assert work["status"] == steps[-1], (phone.name, work["status"], steps[-1])


def test_a_change_cut_while_the_server_applies_it_waits_for_its_answer(
    city, server, browser_page, monkeypatch
):
    """Found by the soak: a send cut while the server is still applying it, sent again at
    once, finds the first send's key applied without an answer yet and gets 409 "Idempotency
    key in use". The outbox took that for a refusal: the expense line sat as refused, and the
    engineer's "send again" would have sent it with a new key, entering it twice. It now stays
    queued and goes again with the same key until the first answer comes back."""
    committed = threading.Event()
    save_answer = idempotency.save_answer

    def kept_late(*args, **kwargs):  # the answer is stored a moment after the commit
        committed.set()
        time.sleep(0.5)
        return save_answer(*args, **kwargs)

    monkeypatch.setattr(idempotency, "save_answer", kept_late)
    phone = Phone(
        "ann",
        city.ids["ann"],
        city.ids["ann_resource"],
        make_task(city, "Notes of ann", city.ids["ann_resource"], 8),
        make_task(city, "Work of ann", city.ids["ann_resource"], 10),
        random.Random(SEED),
        server=server,
    )
    made = plan_changes(phone, 20, random.Random(SEED))
    change = next(c for c in made if c["kind"] == "post" and c["url"].endswith("/expense"))
    open_phone(browser_page, phone)
    network = Network(SEED)
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in phone.context.cookies(server))
    cut = []

    def handle(route) -> None:
        if route.request.method == "POST" and not cut:
            cut.append(route.request.headers["idempotency-key"])
            network.forward(route.request, cookie)  # the server is applying it...
            assert committed.wait(10)
            route.abort("connectionreset")  # ...when the phone gives up, and sends again
        else:
            route.continue_()

    phone.context.route(API, handle)
    phone.context.set_offline(True)
    phone.page.evaluate("changes => soak.enqueue(changes)", [change])
    phone.context.set_offline(False)
    deadline = time.monotonic() + 20
    while True:
        status = phone.page.evaluate("soak.status()")
        assert not status["stuckCount"], json.dumps(status["stuck"], indent=1)
        if not status["queued"]:
            break
        assert time.monotonic() < deadline, status
        phone.page.wait_for_timeout(50)
    network.settle()
    assert cut, status
    assert status["halts"].get("server"), status  # it met the 409, and waited it out
    assert network.midway == Counter({201: 1}), network.midway  # the first send applied it
    got = on_the_server(city.app_tenant, [phone])["expense"]
    assert got == Counter({change["body"]["description"]: 1}), got
