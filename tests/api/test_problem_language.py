"""API errors in the language a request asks for (Accept-Language), English otherwise."""

import pytest

from plinth.metadata.publisher import Publisher, Put

TICKET = {
    "name": "ticket",
    "label": {"en": "Ticket", "zh-CN": "工单"},
    "fields": [{"name": "title", "type": "text", "required": True}],
}
ROLES = [{"name": "reader", "objects": {"ticket": {"read": "all"}}}]


@pytest.fixture
def world(app, as_admin):
    tenant = app.extensions["plinth"].tenant
    Publisher(tenant).publish([Put("objects", TICKET), Put("roles", ROLES[0])])
    return as_admin


def test_field_errors_speak_chinese_when_asked(world):
    reply = world.post("/api/v1/records/ticket", {}, headers={"Accept-Language": "zh-CN"})
    assert reply.status == 422
    assert reply.problem["errors"] == {"title": ["必填"]}
    assert reply.headers["Content-Language"] == "zh-CN"
    assert "Accept-Language" in reply.headers["Vary"]
    english = world.post("/api/v1/records/ticket", {})
    assert (reply.problem["type"], reply.problem["title"]) == (
        english.problem["type"],
        english.problem["title"],
    )  # what code reads does not change with the language


@pytest.mark.parametrize("asked", [None, "en-US,en;q=0.9", "fr-FR", "de;q=1, en;q=0.5"])
def test_english_unless_a_supported_language_is_asked(world, asked):
    headers = {"Accept-Language": asked} if asked else {}
    reply = world.post("/api/v1/records/ticket", {}, headers=headers)
    assert reply.problem["errors"] == {"title": ["is required"]}
    assert reply.headers["Content-Language"] == "en"


def test_a_bare_zh_and_quality_values_choose_chinese(world):
    reply = world.post(
        "/api/v1/records/ticket", {}, headers={"Accept-Language": "en;q=0.3, zh;q=0.9"}
    )
    assert reply.problem["errors"] == {"title": ["必填"]}


def test_arguments_are_named_in_the_language_asked(app, world, people, as_user):
    reader = as_user(people("rea", roles=["reader"]))
    reply = reader.post(
        "/api/v1/records/ticket", {"title": "x"}, headers={"Accept-Language": "zh-CN"}
    )
    assert reply.status == 403
    assert reply.problem["detail"] == "你无权新建工单记录"
    english = reader.post("/api/v1/records/ticket", {"title": "x"})
    assert english.problem["detail"] == "you may not create ticket records"
    assert english.problem["type"] == reply.problem["type"]


def test_a_message_the_catalogue_lacks_stays_as_written(world):
    path = "/api/v1/records/ticket?sort=nope"
    reply = world.get(path, headers={"Accept-Language": "zh-CN"})
    assert reply.status in (400, 422)
    assert reply.problem["detail"] == world.get(path).problem["detail"]
