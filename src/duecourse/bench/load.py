"""The HTTP load generator of `duecourse bench`, run as its own process so it never shares a GIL with the
benchmark (or the server); no Django here, only the standard library.

    DUECOURSE_BENCH_TOKEN=… python -m duecourse.bench.load URL --requests 200 --concurrency 4

Each client keeps one keep-alive connection and sends its requests one after another; the output is
one JSON object: `latency`, every measured request's latency in seconds as the client saw it, and
`server`, the server's own time for each (its `Server-Timing: app;dur=` header, in seconds; absent
when the server did not say). Each client first sends a few unmeasured warm-up requests.
"""

import argparse
import http.client
import json
import os
import re
import sys
import threading
import time
from urllib.parse import urlsplit

WARMUP = 10  # unmeasured requests per client before the measured ones
SERVER_TIMING = re.compile(r"(?:^|,)\s*app;dur=([0-9.]+)")


def server_seconds(header: str | None) -> float | None:
    """The `app` duration of a Server-Timing header, in seconds."""
    found = SERVER_TIMING.search(header or "")
    return float(found.group(1)) / 1000 if found else None


class Client:
    def __init__(self, url: str, token: str):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "localhost", parts.port or 80
        self.target = parts.path + (f"?{parts.query}" if parts.query else "")
        # A page of the web UI signs in with a session cookie (DUECOURSE_BENCH_COOKIE), the API with a token.
        cookie = os.environ.get("DUECOURSE_BENCH_COOKIE")
        self.headers = (
            {"Cookie": cookie, "Accept": "text/html"}
            if cookie
            else {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        )
        self.connection: http.client.HTTPConnection | None = None

    def request(self) -> tuple[float, float | None]:
        """One GET: seconds from sending to the last byte of the body, and the server's own seconds.
        Reconnects once if the server closed the idle connection."""
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                started = time.perf_counter()
                self.connection.request("GET", self.target, headers=self.headers)
                response = self.connection.getresponse()
                response.read()
                spent = time.perf_counter() - started
            except (http.client.RemoteDisconnected, ConnectionError):
                self.close()
                if attempt == 2:
                    raise
                continue
            if response.status >= 400:
                raise RuntimeError(f"{self.target} answered {response.status}")
            if response.will_close:
                self.close()
            return spent, server_seconds(response.getheader("Server-Timing"))
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def run(url: str, token: str, requests: int, concurrency: int, warmup: int = WARMUP) -> dict[str, list[float]]:
    clients = [Client(url, token) for _ in range(concurrency)]
    per_client = max(1, requests // concurrency)
    latencies: list[list[tuple[float, float | None]]] = [[] for _ in clients]
    failures: list[BaseException] = []
    start = threading.Barrier(concurrency)

    def work(index: int) -> None:
        try:
            # Warm up under the same concurrency, unmeasured: connections are made, each server process
            # has filled its database pool and loaded what it loads lazily; then all start together.
            for _ in range(warmup):
                clients[index].request()
            start.wait()
            latencies[index].extend(clients[index].request() for _ in range(per_client))
        except BaseException as exc:  # reported by the parent, with the exit status
            failures.append(exc)
            start.abort()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for client in clients:
        client.close()
    if failures:
        raise failures[0]
    measured = [one for per in latencies for one in per]
    return {
        "latency": [spent for spent, _ in measured],
        "server": [server for _, server in measured if server is not None],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args(argv)
    token = os.environ.get("DUECOURSE_BENCH_TOKEN", "")
    json.dump(run(args.url, token, args.requests, args.concurrency), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
