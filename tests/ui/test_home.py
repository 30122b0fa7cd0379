"""``/``, the address ``make demo`` prints: a clear way into the app, the API beside it, and
the icon every page links (also served at ``/favicon.ico``)."""

from __future__ import annotations


def test_the_front_page_leads_into_the_app_with_the_api_beside_it(client):
    reply = client.get("/", headers={"Accept": "text/html", "Accept-Language": "en"})
    page = reply.get_data(as_text=True)
    assert reply.status_code == 200 and reply.mimetype == "text/html"
    assert '<a class="open" href="/app/">Open Plinth →</a>' in page
    for link in ("/api/v1/docs", "/api/v1/openapi.json", "/api/v1/health", "/admin/"):
        assert f'href="{link}"' in page
    assert page.index('href="/app/"') < page.index('href="/api/v1/docs"')  # the app first
    chinese = client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert "打开 Plinth" in chinese.get_data(as_text=True)


def test_every_page_has_the_icon(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/vnd.microsoft.icon"
    assert icon.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert icon.headers["Cache-Control"] == "public, max-age=86400"
    svg = client.get("/ui-static/favicon.svg")
    assert svg.status_code == 200 and b"<svg" in svg.data
    for path in ("/", "/app/login", "/api/v1/docs"):
        page = client.get(path).get_data(as_text=True)
        assert 'rel="icon" href="/ui-static/favicon.svg"' in page, path
        assert 'href="/favicon.ico"' in page, path
