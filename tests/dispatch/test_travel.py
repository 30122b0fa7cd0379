"""Travel models: straight lines with speed and detour, and an OSRM server's table API
(served here by a small local HTTP server speaking the same protocol)."""

from __future__ import annotations

import http.server
import json
import threading
import urllib.parse

import numpy as np
import pytest

from packs.field_service.dispatch import HaversineTravel, OsrmTravel
from packs.field_service.dispatch.travel import UNREACHABLE, TravelError
from plinth.runtime.field_types.geo import distance_km
from tests.dispatch.days import HQ, north


def test_haversine_matrices_use_the_detour_and_speed():
    points = [HQ, north(10), north(0, 5)]
    metres, seconds = HaversineTravel(speed_kmh=36, detour_factor=1.5).matrices(points)
    straight = distance_km({"lat": HQ[0], "lng": HQ[1]}, {"lat": points[1][0], "lng": points[1][1]})
    assert metres[0, 1] == round(straight * 1000 * 1.5)
    assert seconds[0, 1] == round(metres[0, 1] / 10)  # 36 km/h = 10 m/s
    assert metres.dtype == np.int64 and (np.diag(metres) == 0).all()
    assert (metres == metres.T).all()
    rect_m, _ = HaversineTravel().matrices(points[:1], points[1:])
    assert rect_m.shape == (1, 2)


@pytest.mark.parametrize("speed, detour", [(0, 1.3), (500, 1.3), (30, 0.5), (30, 4)])
def test_haversine_refuses_nonsense_settings(speed, detour):
    with pytest.raises(ValueError):
        HaversineTravel(speed, detour)


class FakeOsrm(http.server.BaseHTTPRequestHandler):
    """Answers /table/v1/driving/... like OSRM: 2x the straight-line metres, 20 m/s, and no
    route to or from a point at latitude 0."""

    answer_code = "Ok"
    requests: list[str] = []

    def do_GET(self):  # noqa: N802 - http.server's naming
        FakeOsrm.requests.append(self.path)
        parsed = urllib.parse.urlsplit(self.path)
        coords = parsed.path.split("/")[-1].split(";")
        points = [tuple(float(v) for v in c.split(","))[::-1] for c in coords]
        query = urllib.parse.parse_qs(parsed.query)
        sources = [int(i) for i in query["sources"][0].split(";")] if "sources" in query else None
        targets = (
            [int(i) for i in query["destinations"][0].split(";")]
            if "destinations" in query
            else None
        )
        sources = sources or list(range(len(points)))
        targets = targets or list(range(len(points)))
        metres, _ = HaversineTravel(36, 2.0).matrices(
            [points[i] for i in sources], [points[j] for j in targets]
        )
        distances = [
            [
                None if points[i][0] == 0 or points[j][0] == 0 else int(metres[a, b])
                for b, j in enumerate(targets)
            ]
            for a, i in enumerate(sources)
        ]
        body = {
            "code": self.answer_code,
            "message": "bad query" if self.answer_code != "Ok" else None,
        }
        body["distances"] = distances
        body["durations"] = [[None if d is None else d / 20 for d in row] for row in distances]
        data = json.dumps(body).encode()
        self.send_response(200 if self.answer_code == "Ok" else 400)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def osrm():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeOsrm)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeOsrm.requests = []
    FakeOsrm.answer_code = "Ok"
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_osrm_tables_are_read_square_and_rectangular(osrm):
    travel = OsrmTravel(osrm + "/")
    points = [HQ, north(3), (0.0, 0.0)]
    metres, seconds = travel.matrices(points)
    straight, _ = HaversineTravel(36, 2.0).matrices(points[:2])
    assert metres[0, 1] == straight[0, 1] and seconds[0, 1] == round(straight[0, 1] / 20)
    assert metres[0, 2] == UNREACHABLE and seconds[2, 0] == UNREACHABLE
    assert "/table/v1/driving/121.473700,31.230400;" in FakeOsrm.requests[0]
    rect, _ = travel.matrices(points[:1], points[1:2])
    assert rect.shape == (1, 1) and rect[0, 0] == straight[0, 1]
    assert "sources=0" in urllib.parse.unquote(FakeOsrm.requests[1])
    assert travel.describe() == {"kind": "osrm", "url": osrm, "profile": "driving"}


def test_osrm_failures_are_clear_errors(osrm):
    FakeOsrm.answer_code = "InvalidQuery"
    with pytest.raises(TravelError, match="OSRM server"):
        OsrmTravel(osrm).matrices([HQ, north(1)])
    with pytest.raises(TravelError, match="did not answer"):
        OsrmTravel("http://127.0.0.1:9", timeout=2).matrices([HQ, north(1)])
    with pytest.raises(ValueError, match="http"):
        OsrmTravel("file:///etc/passwd")
