"""zh-CN is complete: every text of the pages has a translation, and the compiled catalogue
matches its source."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "admin_ui" / "translations" / "zh_Hans_CN" / "LC_MESSAGES"
METHODS = [("admin_ui/**.py", "python"), ("admin_ui/templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "_l": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None}


def _texts() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), METHODS, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def _key(text):
    """A message id or translation, plurals (lists or tuples) as tuples."""
    return text if isinstance(text, str) else tuple(text)


def test_every_page_text_has_a_chinese_translation():
    with open(CATALOG / "messages.po", "rb") as source:
        catalog = read_po(source)
    texts = _texts()
    assert len(texts) > 50
    missing = sorted(
        t for t in texts if not (catalog.get(t) and catalog.get(t).string) or catalog.get(t).fuzzy
    )
    assert missing == [], "run `make translations` and translate these in messages.po"


def test_the_compiled_catalogue_matches_the_source():
    with open(CATALOG / "messages.po", "rb") as source:
        po = {_key(m.id): _key(m.string) for m in read_po(source) if m.id}
    with open(CATALOG / "messages.mo", "rb") as compiled:
        mo = {_key(m.id): _key(m.string) for m in read_mo(compiled) if m.id}
    assert mo == po, "run `make translations` to compile messages.mo"


def _server_message_templates() -> set[str]:
    """The literal templates of the engine's ``Message(...)`` and ``FieldError(...)``."""
    import ast

    found = set()
    for path in (ROOT / "plinth").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            first = node.args[0]
            if name in ("Message", "FieldError") and isinstance(first, ast.Constant):
                found.add(first.value)
    return found


def test_every_server_message_a_page_may_show_has_a_translation():
    """The pages say the engine's field and workflow messages in the user's language
    (admin_ui/messages.py); a new message there needs its entry and translation."""
    from admin_ui.messages import SAID

    templates = _server_message_templates()
    assert len(templates) > 60
    assert sorted(templates - set(SAID)) == []
