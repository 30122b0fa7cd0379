"""Forms generated from the metadata schemas: widgets chosen by schema, documents read back."""

from __future__ import annotations

import json

from werkzeug.datastructures import MultiDict

from admin_ui.builder.schema_form import SchemaForm, attach_errors, json_line
from plinth.metadata.kinds import schema
from plinth.metadata.schema_validation import schema_problems


def form_of(kind: str) -> SchemaForm:
    return SchemaForm(schema(kind), choices=lambda key: ["asset"] if key == "object" else None)


def posted(widgets, extra=()) -> MultiDict:
    """What the browser would send for these widgets, filled with their values."""
    data = MultiDict()

    def add(widget):
        if widget.kind == "fieldset":
            for child in widget.children:
                add(child)
        elif widget.kind in ("table", "map"):
            data.add(f"{widget.name}#rows", str(len(widget.rows)))
            for row in widget.rows:
                if widget.kind == "map":
                    data.add(f"{row.name}#key", row.key)
                for cell in row.cells:
                    add(cell)
        elif widget.kind == "label":
            for code, text in widget.locale_values.items():
                data.add(f"{widget.name}#{code}", text)
        elif widget.kind == "checkbox":
            data.add(f"{widget.name}#present", "1")
            if widget.value is not None:
                data.add(f"{widget.name}#was", "set")
            if widget.value or (widget.value is None and widget.default):
                data.add(widget.name, "on")  # as the template ticks it
        elif widget.kind == "checks":
            for value in widget.value or ():
                data.add(widget.name, value)
        else:
            data.add(widget.name, widget.text)

    for widget in widgets:
        add(widget)
    for key, value in extra:
        data.add(key, value)
    return data


SLA = {
    "name": "response",
    "label": {"en": "Response", "zh-CN": "响应"},
    "object": "asset",
    "calendar": "office",
    "warn_at": 0.75,
    "active": False,
    "targets": [
        {"name": "first", "start_states": ["new"], "stop_states": ["done", "open"],
         "durations": {"high": "1h", "normal": "4h"}},
    ],
}  # fmt: skip

ROLE = {
    "name": "viewer",
    "objects": {"asset": {"read": "all", "fields": {"serial": "none"}, "user_fields": ["owner"]}},
}

AUTOMATION = {
    "name": "tell",
    "object": "asset",
    "trigger": {"type": "on_create"},
    "actions": [{"type": "script", "source": "x = 1\nbad("}],
}


def test_documents_survive_the_form_unchanged():
    for kind, document in (("sla_policies", SLA), ("roles", ROLE), ("automations", AUTOMATION)):
        form = form_of(kind)
        read, errors = form.read(posted(form.widgets(document)))
        assert errors == {}
        assert read == document, kind
        assert schema_problems(kind, read) == []


def test_widgets_follow_the_schema():
    widgets = {w.key: w for w in form_of("sla_policies").widgets(SLA)}
    assert widgets["label"].kind == "label"
    assert widgets["object"].kind == "text" and widgets["object"].choices == ["asset"]
    assert widgets["warn_at"].kind == "number"
    assert widgets["active"].kind == "checkbox"
    assert widgets["applies_if"].kind == "code"
    targets = widgets["targets"]
    assert targets.kind == "table" and len(targets.rows) == 1 + 2  # two blank rows to fill
    cells = {c.key: c.kind for c in targets.rows[0].cells}
    assert cells["start_states"] == "list" and cells["durations"] == "json"
    roles = {w.key: w for w in form_of("roles").widgets(ROLE)}
    assert roles["objects"].kind == "map" and roles["objects"].rows[0].key == "asset"


def test_unchecking_a_box_that_defaults_to_true_writes_false():
    form = form_of("validation_rules")
    data = MultiDict({"/name": "r", "/active#present": "1"})  # never set, now unticked
    read, _ = form.read(data)
    assert read["active"] is False
    read, _ = form.read(MultiDict({"/name": "r", "/required#present": "1"}))
    assert "required" not in read


def test_rows_are_removed_blank_rows_dropped_and_bad_input_reported():
    form = form_of("sla_policies")
    data = posted(
        form.widgets(SLA),
        [("/targets/0#remove", "on"), ("/warn_at", "lots"), ("/label#zh-CN", "")],
    )
    data.setlist("/warn_at", ["lots"])
    read, errors = form.read(data)
    assert "targets" not in read
    assert errors == {"/warn_at": ["must be a number"]}
    broken = posted(form.widgets(SLA))
    broken.setlist("/targets/0/durations", ['{"high": '])
    _read, errors = form.read(broken)
    assert errors["/targets/0/durations"][0].startswith("line 1: not valid JSON")


def test_a_problem_inside_a_json_box_names_its_line():
    form = form_of("automations")
    widgets = form.widgets(AUTOMATION)
    stray = attach_errors(widgets, {"/actions/0/source": ["line 2: invalid syntax"]})
    actions = next(w for w in widgets if w.key == "actions")
    assert stray == []
    assert actions.errors == ["/0/source (line 4): line 2: invalid syntax"]
    text = json.dumps(AUTOMATION["actions"], indent=2).split("\n")
    assert '"source"' in text[json_line(AUTOMATION["actions"], "/0/source") - 1]


def test_problems_with_no_input_are_returned_for_the_top_of_the_form():
    widgets = form_of("roles").widgets(ROLE)
    assert attach_errors(widgets, {"/nowhere": ["odd"]}) == [("/nowhere", "odd")]


def test_numbers_must_be_finite_and_json_has_no_nan():
    form = form_of("sla_policies")
    data = posted(form.widgets(SLA))
    data.setlist("/warn_at", ["nan"])
    data.setlist("/targets/0/durations", ['{"high": NaN}'])
    _read, errors = form.read(data)
    assert errors["/warn_at"] == ["must be a number"]
    assert errors["/targets/0/durations"] == ["NaN is not a JSON value"]


def test_a_label_keeps_other_languages_and_ignores_junk():
    form = form_of("roles")
    read, _ = form.read(
        MultiDict({"/name": "r", "/label#en": "R", "/label#others": '{"fr": "Rf"}'})
    )
    assert read["label"] == {"fr": "Rf", "en": "R"}
    read, _ = form.read(MultiDict({"/name": "r", "/label#en": "R", "/label#others": "{bad"}))
    assert read["label"] == "R"
