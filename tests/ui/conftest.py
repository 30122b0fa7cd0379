"""Fixtures for the pages: users and objects from the API tests, and a form-posting client."""

from __future__ import annotations

import re

import pytest

from plinth.testing import PASSWORD

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
