"""Demo work orders driven through the real workflows on a simulated clock.

Each work order gets a final state; the steps that lead there are fired as the people who
would fire them (the dispatcher, the assigned engineer), minutes apart on a clock that
ends before the real now, so timelines, SLA clocks, check-ins, parts and expenses are
what the product itself produced.
"""

from __future__ import annotations

import base64
import datetime as dt

from plinth.toolkit import Filter, ListQuery, PlinthError, act_as, fire_transition

# Final states and how many of 500 work orders end there.
FINAL_STATES = {
    "new": 40,
    "remote": 30,
    "cancelled": 25,
    "dispatched": 40,
    "accepted": 20,
    "en_route": 15,
    "arrived": 10,
    "in_service": 25,
    "waiting_parts": 15,
    "completed": 50,
    "awaiting_acceptance": 40,
    "closed": 190,
}
FIELD_STEPS = ["dispatch", "accept", "depart", "arrive", "start", "complete", "approve", "close"]
STEPS_TO = {
    "dispatched": 1,
    "accepted": 2,
    "en_route": 3,
    "arrived": 4,
    "in_service": 5,
    "completed": 6,
    "awaiting_acceptance": 7,
    "closed": 8,
}
SUBJECTS = [
    ("repair", "空调不制冷 AC not cooling", "hvac"),
    ("repair", "电梯异响 Lift makes noise", "elevator"),
    ("maintenance", "季度保养 Quarterly maintenance", "hvac"),
    ("repair", "配电柜跳闸 Breaker trips", "electrical"),
    ("installation", "新装网络设备 Install switch", "network"),
    ("repair", "水泵漏水 Pump leaking", "plumbing"),
    ("inspection", "消防年检 Fire safety inspection", "fire_safety"),
    ("repair", "门禁故障 Door access fault", "electrical"),
]
PRIORITIES = ["low"] + ["normal"] * 5 + ["high"] * 3 + ["urgent"]
CHANNELS = ["phone"] * 4 + ["wechat"] * 3 + ["web"] * 2 + ["email", "api", "manual"]
SIGNATURE = (
    "data:image/png;base64,"
    + base64.b64encode(
        bytes.fromhex(
            "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
            "1f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a5a90000000049454e44ae426082"
        )
    ).decode()
)


class SimulatedClock:
    """The tenant's clock during generation: set explicitly, never past the real now."""

    def __init__(self, now: dt.datetime):
        self.real_now = now
        self.at = now

    def __call__(self) -> dt.datetime:
        return self.at

    def advance(self, rng, low: int, high: int) -> None:
        self.at = min(self.at + dt.timedelta(minutes=rng.randint(low, high)), self.real_now)


def generate(session, city, progress) -> int:
    tenant = session.tenant
    clock = SimulatedClock(tenant.clock())
    tenant.clock = clock
    rng = city.rng
    plan = [state for state, n in FINAL_STATES.items() for _ in range(city.count(n))]
    rng.shuffle(plan)
    dispatcher = act_as(session, city.dispatcher)
    count = 0
    for index, final in enumerate(plan):
        if index % 50 == 0:
            last = min(index + 50, len(plan))
            progress(f"field_service: work orders {index + 1}-{last} of {len(plan)}")
        steps = STEPS_TO.get(final, 1) + (2 if final == "waiting_parts" else 0)
        span_minutes = 60 + steps * 45
        days_back = (
            rng.uniform(0, 6.5)
            if final in ("closed", "awaiting_acceptance", "cancelled")
            else (rng.uniform(0, 1.5))
        )
        start = clock.real_now - dt.timedelta(days=days_back, minutes=span_minutes)
        local = start.astimezone(city.dispatcher.zone)
        if not 8 <= local.hour < 18:  # requests come in during the day
            start -= dt.timedelta(hours=(local.hour - 10) % 24)
        clock.at = min(start, clock.real_now - dt.timedelta(minutes=span_minutes))
        try:
            count += _one(session, dispatcher, city, final, clock)
        except PlinthError as exc:  # a demo step the rules refuse is reported, not hidden
            progress(f"field_service: work order {index + 1} stopped early: {exc.detail}")
    return count


def new_work_order(dispatcher, rng, site, kind, subject, channel, description) -> dict:
    """A customer's request at ``site``, taken by the dispatcher (priority drawn at random)."""
    return dispatcher.records.create(
        "work_order",
        {
            "subject": subject,
            "customer": site["customer"],
            "contact": site["contact"],
            "site": site["id"],
            "asset": site.get("asset"),
            "type": kind,
            "priority": rng.choice(PRIORITIES),
            "channel": channel,
            "description": description,
        },
    )


def field_task_of(session, work_order_id: int) -> dict:
    """The field task that sending a work order to the field created."""
    query = ListQuery([Filter("work_order", "eq", work_order_id)], limit=1)
    return session.records.list("field_task", query).data[0]


def _one(session, dispatcher, city, final: str, clock) -> int:
    rng = city.rng
    site = rng.choice(city.sites)
    kind, subject, skill = rng.choice(SUBJECTS)
    description = f"{subject} — reported by the customer"
    wo = new_work_order(dispatcher, rng, site, kind, subject, rng.choice(CHANNELS), description)
    if final == "new":
        return 1
    clock.advance(rng, 5, 40)
    remote = final in ("remote", "cancelled") or (final == "closed" and rng.random() < 0.15)
    if remote:
        fire_transition(dispatcher, "work_order", wo["id"], "handle_remotely")
        clock.advance(rng, 10, 60)
        if final == "cancelled":
            fire_transition(
                dispatcher, "work_order", wo["id"], "cancel", comment="客户取消 Customer cancelled"
            )
        elif final == "closed":
            fire_transition(
                dispatcher,
                "work_order",
                wo["id"],
                "resolve_remotely",
                {"resolution": "远程指导客户重启设备 Guided a restart by phone"},
            )
            clock.advance(rng, 30, 240)
            fire_transition(dispatcher, "work_order", wo["id"], "close")
        return 1
    fire_transition(dispatcher, "work_order", wo["id"], "send_to_field")
    task = field_task_of(session, wo["id"])
    session.records.update(
        "field_task",
        task["id"],
        {
            "required_skills": [{"skill": skill, "level": 1}],
            "duration": rng.choice([45, 60, 90, 120]),
        },
    )
    if not task.get("assigned_resource"):
        task["assigned_resource"] = rng.choice(city.resources)["id"]
        session.records.update(
            "field_task", task["id"], {"assigned_resource": task["assigned_resource"]}
        )
    resource = next(r for r in city.resources if r["id"] == task["assigned_resource"])
    engineer = act_as(session, resource["actor"])
    steps = FIELD_STEPS[: STEPS_TO[final if final != "waiting_parts" else "in_service"]]
    for step in steps:
        clock.advance(rng, 10, 50)
        actor = dispatcher if step in ("dispatch", "approve", "close") else engineer
        values = None
        if step == "arrive":
            values = {
                "arrival_location": _jitter(rng, site["location"]),
                "arrival_accuracy": rng.randint(5, 40),
            }
        if step == "complete":
            _finish(session, engineer, city, task, resource, clock)
        fire_transition(actor, "field_task", task["id"], step, values)
    if final == "waiting_parts":
        clock.advance(rng, 10, 40)
        fire_transition(
            engineer,
            "field_task",
            task["id"],
            "wait_parts",
            {"parts_note": "需要更换压缩机继电器 Needs a compressor relay"},
        )
    return 3


def _finish(session, engineer, city, task, resource, clock) -> None:
    """Before completing: the customer's signature, the work done, parts if any."""
    rng = city.rng
    values = {
        "customer_signature": {"image": SIGNATURE, "signer": "客户 Customer"},
        "resolution": "已修复并测试 Fixed and tested",
    }
    used = False
    if rng.random() < 0.4:
        bag = city.bags[resource["id"]]
        balances = session.records.list(
            "stock_balance",
            ListQuery([Filter("location", "eq", bag), Filter("qty", "gte", 1)], limit=5),
        ).data
        if balances:
            balance = rng.choice(balances)
            movement = engineer.records.create(
                "part_movement",
                {
                    "kind": "consumption",
                    "part": balance["part"],
                    "qty": 1,
                    "from_location": bag,
                    "field_task": task["id"],
                },
            )
            fire_transition(engineer, "part_movement", movement["id"], "post")
            used = True
    values["no_parts_used"] = not used
    engineer.records.update("field_task", task["id"], values)


def _jitter(rng, point: dict) -> dict:
    return {
        "lat": point["lat"] + rng.uniform(-0.0008, 0.0008),
        "lng": point["lng"] + rng.uniform(-0.0008, 0.0008),
    }
