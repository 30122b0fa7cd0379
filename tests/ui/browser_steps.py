"""Steps of the browser tests (Playwright driving Debian's chromium), shared by them.

Screenshots go to ``test-artifacts/screenshots/`` (git-ignored).
"""

from __future__ import annotations

from pathlib import Path

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def log_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/app/login")
    page.fill('input[name="email"]', email)
    page.fill('input[name="password"]', "correct horse battery")
    page.click('button[type="submit"]')
    page.wait_for_url(f"{base}/app/")


def pick_on_map(page, field: str) -> None:
    page.locator(".geo-picker .map").click(position={"x": 120, "y": 100})
    assert page.input_value(f'input[name="{field}__lat"]') != ""


def draw_signature(page, field: str, signer: str) -> None:
    box = page.locator(".signature-pad canvas").bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 40)
    page.mouse.down()
    page.mouse.move(box["x"] + 140, box["y"] + 90, steps=8)
    page.mouse.move(box["x"] + 260, box["y"] + 30, steps=8)
    page.mouse.up()
    page.fill(f'input[name="{field}__signer"]', signer)


def upload(page, field: str, folder: Path) -> None:
    upload = folder / "photo.png"
    upload.write_bytes(PNG)
    page.set_input_files(f"#f-{field}", str(upload))
    page.locator(f".upload:has(#f-{field}) .upload-status").filter(has_text="✓").wait_for()
