"""Generated demo data: a service organisation in Shanghai (``plinth demo``).

Deterministic (one seeded random generator). The full city (``PLINTH_DEMO_SCALE=1``): 4
service groups over real districts, 40 engineers with skills, bags and working hours, 3
warehouses with stock, 200 customers with sites at real-looking coordinates, 500 work
orders across every state (driven through the real workflows on a simulated clock, so
timelines, SLA clocks, check-ins, parts and expenses are all genuine), a week of location
tracks, and 80 field tasks booked for the next working day, waiting to be dispatched.
``PLINTH_DEMO_SCALE`` sizes it: the default 0.5 (20 engineers, about 250 work orders, 40
tasks to dispatch) keeps ``make demo`` quick; the tests use a small city.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections.abc import Callable

from packs.field_service.demo import backlog as demo_backlog
from packs.field_service.demo import tracks as demo_tracks
from packs.field_service.demo import work as demo_work
from plinth.toolkit import (
    Actor,
    act_as,
    demo_account,
    ensure_user,
    fire_transition,
    hash_password,
)

SEED = 20261124
ZONE = "Asia/Shanghai"
PASSWORD = "plinth-demo"
GROUPS = {
    "central": (
        "Central",
        {
            "Huangpu": (31.2317, 121.4846),
            "Jing'an": (31.2286, 121.4481),
            "Xuhui": (31.1886, 121.4365),
        },
    ),
    "west": (
        "West",
        {
            "Changning": (31.2204, 121.4244),
            "Putuo": (31.2494, 121.3972),
            "Minhang": (31.1128, 121.3817),
        },
    ),
    "north": (
        "North",
        {
            "Hongkou": (31.2646, 121.5050),
            "Yangpu": (31.2595, 121.5260),
            "Baoshan": (31.4050, 121.4890),
        },
    ),
    "east": (
        "East",
        {
            "Pudong": (31.2215, 121.5447),
            "Zhangjiang": (31.2040, 121.5900),
            "Jinqiao": (31.2560, 121.6000),
        },
    ),
}
SKILLS = {
    "hvac": "HVAC",
    "electrical": "Electrical",
    "plumbing": "Plumbing",
    "elevator": "Elevators",
    "fire_safety": "Fire safety",
    "network": "Networks",
}
PARTS = [
    ("FLT-100", "Air filter", "AF-100", 35),
    ("CMP-220", "Compressor relay", "CR-220", 180),
    ("FAN-330", "Fan motor", "FM-330", 420),
    ("THS-010", "Thermostat", "TS-10", 260),
    ("BRK-016", "Circuit breaker 16A", "CB-16", 55),
    ("CBL-025", "Cable 2.5mm (m)", "C25", 6),
    ("VLV-050", "Ball valve DN50", "BV-50", 95),
    ("PMP-070", "Circulation pump", "CP-70", 980),
    ("SNS-440", "Smoke sensor", "SD-440", 150),
    ("RLY-024", "Door relay 24V", "DR-24", 75),
    ("SFP-010", "SFP module 10G", "SFP10", 320),
    ("GSK-200", "Door gasket", "DG-200", 28),
]
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
)
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "涛",
    "明",
    "超",
    "秀英",
    "华",
    "平",
    "刚",
    "桂英",
    "建国",
    "志强",
    "海燕",
    "晓东",
    "文博",
    "子轩",
]
COMPANY_WORDS = [
    "华东",
    "申城",
    "浦江",
    "东方",
    "长江",
    "金桥",
    "新元",
    "恒泰",
    "宏达",
    "瑞丰",
    "远景",
    "中信",
    "嘉和",
    "国润",
    "安泰",
    "锦程",
]
COMPANY_KINDS = [
    "物业管理有限公司",
    "科技有限公司",
    "商业广场",
    "酒店",
    "医院",
    "数据中心",
    "实业有限公司",
    "学校",
    "写字楼",
    "购物中心",
]
STREETS = [
    "南京东路",
    "淮海中路",
    "延安西路",
    "四川北路",
    "世纪大道",
    "张杨路",
    "漕溪北路",
    "长宁路",
    "曹杨路",
    "吴中路",
    "江湾路",
    "长阳路",
    "牡丹江路",
    "碧波路",
    "金桥路",
]


@dataclasses.dataclass
class City:
    """What the generator built, for the later steps."""

    rng: random.Random
    scale: float
    groups: dict[str, int] = dataclasses.field(default_factory=dict)
    district_group: dict[str, str] = dataclasses.field(default_factory=dict)
    skills: dict[str, int] = dataclasses.field(default_factory=dict)
    resources: list[dict] = dataclasses.field(default_factory=list)
    bags: dict[int, int] = dataclasses.field(default_factory=dict)  # resource -> bag
    warehouses: list[int] = dataclasses.field(default_factory=list)
    parts: list[dict] = dataclasses.field(default_factory=list)
    sites: list[dict] = dataclasses.field(default_factory=list)
    dispatcher: Actor | None = None
    keeper: Actor | None = None
    password_hash: str | None = None  # every demo user's: Argon2 is slow, hashed once

    def count(self, full: int, least: int = 1) -> int:
        return max(least, round(full * self.scale))


def load(session, progress: Callable[[str], None]) -> int:
    """Generate the demo city in the given (system) session; returns how many records."""
    tenant = session.tenant
    real_clock = tenant.clock
    city = City(random.Random(SEED), float(tenant.config["DEMO_SCALE"]))
    start = real_clock()
    try:
        count = _people_and_places(session, city, progress)
        count += demo_work.generate(session, city, progress)
        count += demo_tracks.generate(session, city, progress)
        tenant.clock = real_clock
        count += demo_backlog.generate(session, city, progress)
    finally:
        tenant.clock = real_clock
    progress(
        f"field_service: demo city generated in {(real_clock() - start).total_seconds():.0f} s"
    )
    return count


def _user(session, city: City, email: str, name: str, role: str, locale: str) -> Actor:
    if city.password_hash is None:
        city.password_hash = hash_password(PASSWORD)
    return ensure_user(
        session, email, name, [role], None, locale, ZONE, password_hash=city.password_hash
    )


def _near(rng: random.Random, centre: tuple[float, float], km: float) -> dict:
    """A point within about ``km`` of a centre."""
    return {
        "lat": round(centre[0] + rng.uniform(-km, km) / 111.0, 6),
        "lng": round(centre[1] + rng.uniform(-km, km) / 95.0, 6),
    }


def _people_and_places(session, city: City, progress) -> int:
    rng, create = city.rng, session.records.create
    count = 0
    city.dispatcher = _user(
        session, city, "dispatcher@example.com", "Dora Dispatch", "dispatcher", "en"
    )
    _user(session, city, "manager@example.com", "Max Manager", "service_manager", "en")
    city.keeper = _user(session, city, "keeper@example.com", "库管 孙", "warehouse_keeper", "zh-CN")
    for email, role in (
        ("dispatcher@example.com", "dispatcher"),
        ("manager@example.com", "service_manager"),
        ("keeper@example.com", "warehouse_keeper"),
        ("engineer01@example.com", "engineer"),
    ):
        demo_account(session, email, role, PASSWORD)  # shown by `plinth run`
    for code, name in SKILLS.items():
        city.skills[code] = create("skill", {"code": code, "name": name})["id"]
    for code, (name, districts) in GROUPS.items():
        city.groups[code] = create(
            "service_group", {"code": code, "name": name, "districts": list(districts)}
        )["id"]
        city.district_group.update(dict.fromkeys(districts, code))
    count += len(SKILLS) + len(GROUPS) + 3
    progress("field_service: engineers, skills, bags")
    engineers = city.count(40, 4)
    group_codes = list(GROUPS)
    for index in range(engineers):
        group = group_codes[index % len(group_codes)]
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        email = f"engineer{index + 1:02d}@example.com"
        actor = _user(session, city, email, name, "engineer", "zh-CN")
        home = _near(rng, rng.choice(list(GROUPS[group][1].values())), 3)
        resource = create(
            "service_resource",
            {
                "name": name,
                "phone": f"+86 139 {rng.randrange(10**7, 10**8)}",
                "email": actor.label,
                "login": actor.id,
                "resource_type": rng.choice(
                    ["technician"] * 5 + ["senior_technician"] * 2 + ["contractor"]
                ),
                "working_hours": "fs_7x24" if index % 5 == 0 else "fs_5x8",
                "home_base": home,
                "efficiency": rng.choice([0.8, 1, 1, 1.1, 1.2]),
            },
        )
        resource["actor"], resource["group"] = actor, group
        city.resources.append(resource)
        for skill in rng.sample(list(SKILLS), rng.randint(2, 3)):
            create(
                "resource_skill",
                {
                    "resource": resource["id"],
                    "skill": city.skills[skill],
                    "level": rng.randint(2, 5),
                    "efficiency": rng.choice([0.9, 1, 1.1]),
                },
            )
        create("service_group_member", {"group": city.groups[group], "resource": resource["id"]})
        city.bags[resource["id"]] = create(
            "stock_location",
            {
                "code": f"BAG-{index + 1:02d}",
                "name": f"{name} 随身库",
                "kind": "bag",
                "resource": resource["id"],
            },
        )["id"]
        count += 6
    if engineers > 4:
        absent = city.resources[3]
        today = session.tenant.clock().astimezone(absent["actor"].zone).date()
        create(
            "resource_absence",
            {
                "resource": absent["id"],
                "reason": "leave",
                "starts_at": f"{today}T00:00:00+08:00",
                "ends_at": f"{today + dt.timedelta(days=2)}T00:00:00+08:00",
            },
        )
    count += _stock(session, city, progress)
    count += _customers(session, city, progress)
    return count


def _stock(session, city: City, progress) -> int:
    progress("field_service: warehouses, parts and stock")
    create, rng = session.records.create, city.rng
    for code, name, district in (
        ("WH-C", "中心仓 Central", "Huangpu"),
        ("WH-W", "西区仓 West", "Minhang"),
        ("WH-E", "东区仓 East", "Pudong"),
    ):
        centre = next(d[district] for _, d in GROUPS.values() if district in d)
        city.warehouses.append(
            create(
                "stock_location",
                {
                    "code": code,
                    "name": name,
                    "kind": "warehouse",
                    "keeper": city.keeper.id,
                    "location": _near(rng, centre, 1),
                },
            )["id"]
        )
    for code, name, model, price in PARTS:
        city.parts.append(
            create(
                "part",
                {"code": code, "name": name, "model": model, "price": price, "reorder_level": 2},
            )
        )
    keeper = act_as(session, city.keeper)
    count = 3 + len(PARTS)
    for warehouse in city.warehouses:
        for part in city.parts:
            _move(
                session,
                {
                    "kind": "adjustment",
                    "part": part["id"],
                    # enough for every bag it fills, however many engineers there are
                    "qty": round(rng.randint(40, 120) * max(1.0, city.scale)),
                    "to_location": warehouse,
                    "reason": "opening stock",
                },
                "post",
            )
            count += 1
    for resource in city.resources:
        warehouse = city.warehouses[city.resources.index(resource) % len(city.warehouses)]
        for part in rng.sample(city.parts, 4):
            _move(
                keeper,
                {
                    "kind": "requisition",
                    "part": part["id"],
                    "qty": rng.randint(2, 6),
                    "from_location": warehouse,
                    "to_location": city.bags[resource["id"]],
                },
                "post",
            )
            count += 1
    return count


def _move(session, values: dict, transition: str) -> dict:
    movement = session.records.create("part_movement", values)
    return fire_transition(session, "part_movement", movement["id"], transition)


def _customers(session, city: City, progress) -> int:
    progress("field_service: customers, contacts, sites and assets")
    create, rng = session.records.create, city.rng
    count = 0
    districts = [(d, centre) for _, ds in GROUPS.values() for d, centre in ds.items()]
    for index in range(city.count(200, 6)):
        kind = rng.choice(["enterprise"] * 6 + ["government", "individual"])
        name = (
            rng.choice(COMPANY_WORDS) + rng.choice(COMPANY_KINDS)
            if kind != "individual"
            else (rng.choice(SURNAMES) + rng.choice(GIVEN))
        )
        customer = create(
            "customer",
            {
                "name": f"{name} {index + 1:03d}",
                "code": f"C{index + 1:04d}",
                "kind": kind,
                "phone": f"+86 21 {rng.randrange(10**7, 10**8)}",
                "service_level": "premium" if index % 4 == 0 else "standard",
            },
        )
        contact = create(
            "contact",
            {
                "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
                "customer": customer["id"],
                "phone": f"+86 138 {rng.randrange(10**7, 10**8)}",
                # Few have e-mail: without SMTP every status e-mail is a job that fails.
                "email": f"contact{index + 1:03d}@customer.example" if index % 10 == 0 else None,
                "primary": True,
            },
        )
        for number in range(1 if rng.random() < 0.8 else 2):
            district, centre = rng.choice(districts)
            site = create(
                "site",
                {
                    "name": f"{customer['name']} #{number + 1}",
                    "customer": customer["id"],
                    "contact": contact["id"],
                    "district": district,
                    "address": f"上海市{district}{rng.choice(STREETS)}{rng.randint(1, 999)}号",
                    "location": _near(rng, centre, 2.5),
                },
            )
            site["contact"], site["customer"] = contact["id"], customer["id"]
            site["asset"] = None
            if rng.random() < 0.5:
                site["asset"] = create(
                    "asset",
                    {
                        "serial": f"SN{index + 1:04d}{number}{rng.randrange(1000, 9999)}",
                        "product": rng.choice(
                            ["Daikin VRV", "Otis Gen2", "Grundfos CR", "Schneider MV"]
                        ),
                        "customer": customer["id"],
                        "site": site["id"],
                        "install_date": f"{rng.randint(2015, 2025)}-{rng.randint(1, 12):02d}-01",
                    },
                )["id"]
                count += 1
            city.sites.append(site)
            count += 1
        count += 2
    return count
