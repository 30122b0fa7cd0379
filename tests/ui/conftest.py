"""Fixtures for the pages: users and objects from the API tests, and a form-posting client."""

from __future__ import annotations

import re
import threading

import pytest
from werkzeug.serving import make_server

from tests.api.conftest import PASSWORD, admin, as_admin, assets, people  # noqa: F401  (fixtures)
from tests.ui.browser_steps import CHROMIUM, LAUNCH_ARGS, SHOTS, require_browser

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """A test client that logs in through the login form and posts forms with their token."""

    def __init__(self, client):
        self.client = client
        self.csrf = ""

    def get(self, path: str, **kwargs):
        response = self.client.get(path, **kwargs)
        if response.mimetype != "text/html":
            return response
        found = CSRF.search(response.get_data(as_text=True))
        if found:
            self.csrf = found.group(1)
        return response

    def post(self, path: str, data=None, **kwargs):
        form = {"csrf_token": self.csrf, **(data or {})}
        return self.client.post(path, data=form, **kwargs)

    def login(self, email: str, password: str = PASSWORD):
        self.get("/app/login")
        return self.post("/app/login", {"email": email, "password": password})

    @staticmethod
    def text(response) -> str:
        return response.get_data(as_text=True)


@pytest.fixture
def browser(client) -> Browser:
    return Browser(client)


@pytest.fixture
def server(app):
    """The app served on a free local port in a thread."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


@pytest.fixture
def browser_page():
    sync_api = require_browser()
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()
