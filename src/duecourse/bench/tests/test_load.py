"""The load generator: keep-alive clients, unmeasured warm-up, one latency per measured request and the
server's own time from its Server-Timing header."""

import http.server
import threading

import pytest

from duecourse.bench import load


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like gunicorn

    def do_GET(self):  # noqa: N802 - the http.server protocol
        server = self.server
        with server.lock:
            server.seen.append((self.path, self.headers["Authorization"], self.client_address))
        status = 500 if self.path.startswith("/fail") else 200
        body = b'{"ok": true}'
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        if "timed" in self.path:
            self.send_header("Server-Timing", "db;dur=1.5, app;dur=12.5")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.seen, httpd.lock = [], threading.Lock()
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_every_measured_request_has_a_latency_and_warm_up_is_not_measured(server):
    url = f"http://127.0.0.1:{server.server_address[1]}/api/v1/me/assignments?limit=10"
    measured = load.run(url, "dc_x_y", requests=40, concurrency=4, warmup=3)
    assert len(measured["latency"]) == 40 and all(0 < spent < 5 for spent in measured["latency"])
    assert measured["server"] == []  # this server does not say how long it took
    assert len(server.seen) == 40 + 4 * 3
    assert {path for path, _, _ in server.seen} == {"/api/v1/me/assignments?limit=10"}
    assert {auth for _, auth, _ in server.seen} == {"Bearer dc_x_y"}
    assert len({peer for _, _, peer in server.seen}) == 4  # one keep-alive connection per client


def test_an_error_status_fails_the_run(server):
    with pytest.raises(RuntimeError, match="answered 500"):
        load.run(f"http://127.0.0.1:{server.server_address[1]}/fail", "t", requests=8, concurrency=2, warmup=1)


def test_the_servers_own_time_is_read_from_server_timing(server):
    measured = load.run(f"http://127.0.0.1:{server.server_address[1]}/timed", "t", requests=8, concurrency=2, warmup=1)
    assert measured["server"] == [0.0125] * 8
    assert load.server_seconds("app;dur=3") == 0.003 and load.server_seconds("db;dur=4") is None


@pytest.mark.django_db
def test_every_response_of_duecourse_says_its_server_time(client):
    response = client.get("/login/")
    assert load.server_seconds(response.headers["Server-Timing"]) > 0
