"""The engineer app on an emulated phone: a photo's upload cut off mid-way goes on from the
bytes the server has (every byte range reaches the server once) and the photo ends up on
the task; parts are picked by scanning their code, with a hardware (wedge) scanner typing
into the search box and with the camera where the browser has BarcodeDetector (a fake
detector and camera here, as the test machine has neither).

Screenshots go to the test's tmp folder and to ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import time

import pytest

from tests.field_service.test_engineer_app import (
    PHOTO,
    WAIT_MS,
    Shots,
    log_in,
    make_task,
    open_task,
    phone,
    set_profile,
    tap,
)

pytestmark = pytest.mark.sqlite_only

CUT = 2  # the chunk whose answer is lost (the server gets it; the phone does not hear)


@pytest.fixture
def task(city):
    """A task dispatched to Ann for today, and three filters in her bag."""
    city.post_stock(city.ids["part"], city.ids["ann_bag"], 3)
    return make_task(city, "AC blows warm air", city.ids["site"], 9)


class Wire:
    """What crosses the network to /api/v1/uploads: each chunk that reached the server as
    (offset, length), the GETs asking for the offset, and one chunk's answer cut off."""

    def __init__(self) -> None:
        self.delivered: list[tuple[int, int]] = []
        self.asked: list[int] = []  # how many chunks had been delivered at each GET
        self.cut_at: int | None = None

    def handle(self, route) -> None:
        request = route.request
        if request.method != "PATCH":
            if request.method == "GET":
                self.asked.append(len(self.delivered))
            route.continue_()
            return
        offset = int(request.headers["upload-offset"])
        answer = route.fetch()  # it reaches the server ...
        self.delivered.append((offset, len(request.post_data_buffer or b"")))
        if len(self.delivered) == CUT and self.cut_at is None:
            self.cut_at = offset
            route.abort("connectionreset")  # ... and its answer is lost on the way back
        else:
            route.fulfill(response=answer)


def photos_on(city, task: dict) -> list:
    deadline = time.monotonic() + WAIT_MS / 1000
    while True:
        photos = city.engineer.get(f"/api/v1/records/field_task/{task['id']}").json["photos"]
        if photos or time.monotonic() > deadline:
            return photos or []
        time.sleep(0.2)


def test_a_cut_photo_upload_goes_on_from_the_servers_offset(
    city, task, server, browser_page, tmp_path
):
    set_profile(city.engineer, "en")
    context = phone(browser_page, "en", service_workers="block")
    wire = Wire()
    context.route("**/api/v1/uploads/*", wire.handle)
    page = context.new_page()
    shot = Shots(page, tmp_path, "upload")
    log_in(page, server, "ann@example.com")
    open_task(page, task)
    tap(page, '[data-screen="task"] [data-action="photos"]')
    page.locator('[data-screen="photos"]').wait_for()
    page.set_input_files(
        '[data-action="photo-input"]',
        files=[{"name": "unit.png", "mimeType": "image/png", "buffer": PHOTO}],
    )
    row = page.locator('.uploads li[data-state="sent"]')
    row.wait_for(timeout=30000)
    shot("1-sent")
    size = int(row.get_attribute("data-bytes"))

    assert wire.cut_at is not None and wire.cut_at > 0
    # Every byte range reached the server once, in order, and all of them did.
    ends = [offset + length for offset, length in wire.delivered]
    assert [offset for offset, _ in wire.delivered] == [0, *ends[:-1]]
    assert ends[-1] == size and len(wire.delivered) > CUT
    # After the cut the phone asked how far the server got, and went on from there.
    assert CUT in wire.asked
    resumed = wire.delivered[CUT][0]
    assert resumed == wire.cut_at + wire.delivered[CUT - 1][1] > 0

    photos = photos_on(city, task)
    assert len(photos) == 1, photos
    ann = city.engineer
    image = ann.client.get(
        f"/api/v1/files/{photos[0]}", headers={"Authorization": f"Bearer {ann.token}"}
    )
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    assert len(image.data) == size <= 500 * 1024
    context.close()


FAKE_CAMERA = """
(() => {
  const code = %s;
  window.__camera = { asked: null, stopped: 0 };
  class FakeBarcodeDetector {
    static async getSupportedFormats() { return ["code_128", "ean_13", "qr_code"]; }
    constructor(options) { window.__camera.formats = options && options.formats; this.looks = 0; }
    async detect(source) {
      this.looks += 1;
      window.__camera.seen = document.querySelector('[data-sheet="scan"] video') === source;
      return this.looks < 3 ? [] : [{ rawValue: window.__camera.code, format: "code_128" }];
    }
  }
  window.BarcodeDetector = FakeBarcodeDetector;
  window.__camera.code = code;
  navigator.mediaDevices.getUserMedia = async (constraints) => {
    window.__camera.asked = constraints;
    const canvas = document.createElement("canvas");
    canvas.width = 320;
    canvas.height = 240;
    const paint = canvas.getContext("2d");
    paint.fillStyle = "#fff";
    paint.fillRect(0, 0, 320, 240);
    setInterval(() => paint.fillRect(0, 0, 1, 1), 50);  // frames keep coming
    const stream = canvas.captureStream(10);
    for (const track of stream.getTracks()) {
      const stop = track.stop.bind(track);
      track.stop = () => { window.__camera.stopped += 1; stop(); };
    }
    return stream;
  };
})();
"""
NO_DETECTOR = "delete window.BarcodeDetector;"


def open_parts(page, server: str, task: dict) -> None:
    page.goto(f"{server}/m/#/task/{task['id']}/parts")
    page.locator('[data-screen="parts"] li.part').first.wait_for()


def chosen(page, part: int) -> str:
    return page.locator(f'[data-screen="parts"] li[data-part="{part}"] .qty').input_value()


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_a_wedge_scanner_picks_parts_from_the_bag(
    city, task, server, browser_page, tmp_path, locale
):
    ids = city.ids
    city.create("part", {"code": "FLT-02", "name": "Big filter", "price": 40})
    set_profile(city.engineer, locale)
    context = phone(browser_page, locale)
    context.add_init_script(NO_DETECTOR)
    page = context.new_page()
    shot = Shots(page, tmp_path, f"wedge-{locale}")
    log_in(page, server, "ann@example.com")
    open_parts(page, server, task)
    assert page.locator('[data-action="scan"]').is_hidden()  # no camera scanning here

    search = page.locator('[data-screen="parts"] [data-action="search"]')
    search.tap()
    page.keyboard.type("flt-01", delay=15)  # what a scanner types: the code, then Enter
    page.keyboard.press("Enter")
    result = page.locator('.scan-result[data-scan="found"]')
    result.wait_for()
    assert chosen(page, ids["part"]) == "1" and search.input_value() == ""
    assert "FLT-01" in result.inner_text()
    shot("1-found")

    search.tap()
    page.keyboard.type("FLT-02", delay=15)
    page.keyboard.press("Enter")
    missing = page.locator('.scan-result[data-scan="missing"]')
    missing.wait_for()
    page.wait_for_function(
        "() => document.querySelector('.scan-result').textContent.includes('Big filter')"
    )
    shot("2-not-in-bag")

    page.evaluate("document.activeElement.blur()")  # nothing focused: the scanner types anyway
    page.keyboard.type("FLT-01", delay=10)
    page.keyboard.press("Enter")
    page.wait_for_function(
        f"() => document.querySelector('li[data-part=\"{ids['part']}\"] .qty').value === '2'"
    )
    tap(page, '[data-action="use-parts"]')
    page.locator('[data-screen="task"]').wait_for()
    moves = city.dispatcher.get(
        f"/api/v1/records/part_movement?field_task={task['id']}&kind=consumption"
    ).json["data"]
    assert [(m["part"], float(m["qty"])) for m in moves] == [(ids["part"], 2.0)]
    context.close()


def test_the_camera_scans_a_code_with_barcode_detector(city, task, server, browser_page, tmp_path):
    ids = city.ids
    set_profile(city.engineer, "zh-CN")
    context = phone(browser_page, "zh-CN")
    context.add_init_script(FAKE_CAMERA % '"FLT-01"')
    page = context.new_page()
    shot = Shots(page, tmp_path, "camera")
    log_in(page, server, "ann@example.com")
    open_parts(page, server, task)

    scan = page.locator('[data-action="scan"]')
    assert scan.is_visible() and "扫码" in scan.inner_text()
    scan.tap()
    page.locator('.scan-result[data-scan="found"]').wait_for()
    assert page.locator('[data-sheet="scan"]').count() == 0
    assert chosen(page, ids["part"]) == "1"
    camera = page.evaluate("window.__camera")
    assert camera["seen"] is True  # the code was read from the sheet's camera picture
    assert camera["asked"]["video"]["facingMode"] == {"ideal": "environment"}
    assert camera["stopped"] >= 1  # the camera is off once the code is read
    assert camera["formats"] == ["code_128", "ean_13", "qr_code"]
    shot("1-scanned")

    page.evaluate("window.__camera.code = 'NOPE-404'")
    scan.tap()
    missing = page.locator('.scan-result[data-scan="missing"]')
    missing.wait_for()
    assert "NOPE-404" in missing.inner_text() and "随身库" in missing.inner_text()
    assert chosen(page, ids["part"]) == "1"
    shot("2-not-in-bag")
    context.close()
