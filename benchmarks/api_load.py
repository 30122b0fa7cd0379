"""Load generator for benchmarks/api.py: runs in its own processes, prints JSON results."""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import random
import time
from urllib.parse import urlsplit


def _worker(args, seed: int, queue) -> None:
    url = urlsplit(args.base)
    rng = random.Random(seed)
    headers = {"Authorization": f"Bearer {args.token}", "Content-Type": "application/json"}
    latencies, errors = [], 0
    deadline = time.perf_counter() + args.seconds
    statuses = ["open", "assigned", "working", "done", "closed"]
    while time.perf_counter() < deadline:
        if args.op == "create":
            body = json.dumps(
                {
                    "title": f"Load {rng.random()}",
                    "status": rng.choice(statuses),
                    "priority": rng.randint(0, 9),
                    "amount": "12.50",
                }
            )
            method, path = "POST", args.create_path
        elif args.op == "get":
            body, method = None, "GET"
            path = args.get_path.format(id=rng.randint(1, args.max_id))
        else:
            body, method = None, "GET"
            path = args.list_path.format(status=rng.choice(statuses))
        start = time.perf_counter()
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        conn.close()
        latencies.append((time.perf_counter() - start) * 1000)
        if response.status >= 300:
            errors += 1
    queue.put((latencies, errors))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--op", choices=["create", "get", "list"], required=True)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--max-id", type=int, default=1000)
    parser.add_argument("--create-path", required=True)
    parser.add_argument("--get-path", required=True)
    parser.add_argument("--list-path", required=True)
    args = parser.parse_args()
    queue = multiprocessing.Queue()
    workers = [
        multiprocessing.Process(target=_worker, args=(args, i, queue))
        for i in range(args.concurrency)
    ]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    results = [queue.get() for _ in workers]
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    latencies = sorted(x for lat, _ in results for x in lat)
    errors = sum(e for _, e in results)

    def pct(q):
        return latencies[min(len(latencies) - 1, int(q * (len(latencies) - 1)))] if latencies else 0

    print(
        json.dumps(
            {
                "requests": len(latencies),
                "errors": errors,
                "rps": len(latencies) / elapsed,
                "p50": pct(0.5),
                "p95": pct(0.95),
            }
        )
    )


if __name__ == "__main__":
    main()
