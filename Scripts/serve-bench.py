#!/usr/bin/env python3
"""A load benchmark for `rescind serve`: N concurrent keep-alive clients post the
example requests for a while, then report throughput and latency percentiles. With
--reload-every, a reload is triggered (SIGHUP to --pid, or the admin endpoint) while the
load runs, and any non-200 answer is reported: reload-under-load on a real socket.

    .build/release/rescind serve --policies Policies --admin-token secret &
    python3 Scripts/serve-bench.py --seconds 10 --clients 8
    python3 Scripts/serve-bench.py --seconds 10 --clients 8 --reload-every 0.5 --token secret
"""
import argparse
import glob
import http.client
import os
import threading
import time
import urllib.parse

parser = argparse.ArgumentParser()
parser.add_argument("--url", default="http://127.0.0.1:8080")
parser.add_argument("--seconds", type=float, default=10)
parser.add_argument("--clients", type=int, default=8)
parser.add_argument("--batch", type=int, default=0, help="post batches of this many requests instead of one")
parser.add_argument("--reload-every", type=float, default=0, help="seconds between reloads during the run")
parser.add_argument("--token", default=os.environ.get("RESCIND_ADMIN_TOKEN"), help="admin token, for reloads")
arguments = parser.parse_args()

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
bodies = [open(path, "rb").read() for path in sorted(glob.glob(os.path.join(root, "Examples/requests/*.json")))]
if arguments.batch:
    path = "/v1/decisions:batch"
    bodies = [b"[" + b",".join((bodies * arguments.batch)[i:i + arguments.batch]) + b"]" for i in range(len(bodies))]
else:
    path = "/v1/decisions"
url = urllib.parse.urlparse(arguments.url)
deadline = time.monotonic() + arguments.seconds
latencies, statuses, lock = [], {}, threading.Lock()


def client(index):
    connection = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=10)
    mine, seen, n = [], {}, index
    while time.monotonic() < deadline:
        body = bodies[n % len(bodies)]
        n += 1
        start = time.perf_counter()
        connection.request("POST", path, body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        mine.append(time.perf_counter() - start)
        # Example requests that the schema rejects on purpose still count as answered.
        seen[response.status] = seen.get(response.status, 0) + 1
    with lock:
        latencies.extend(mine)
        for status, count in seen.items():
            statuses[status] = statuses.get(status, 0) + count


def reloader():
    reloads = 0
    while time.monotonic() < deadline:
        time.sleep(arguments.reload_every)
        connection = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=30)
        connection.request("POST", "/v1/policies:reload", b"", {"Authorization": f"Bearer {arguments.token}"})
        response = connection.getresponse()
        response.read()
        reloads += 1
        if response.status != 200:
            print(f"reload answered {response.status}")
    print(f"reloads during the run: {reloads}")


threads = [threading.Thread(target=client, args=(i,)) for i in range(arguments.clients)]
if arguments.reload_every > 0:
    threads.append(threading.Thread(target=reloader))
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()

latencies.sort()
count = len(latencies)
per = arguments.batch or 1


def percentile(p):
    return latencies[min(count - 1, int(count * p))] * 1000


print(f"{count} HTTP requests ({count * per} decisions) in {arguments.seconds:.0f} s with {arguments.clients} clients: "
      f"{count / arguments.seconds:.0f} req/s, {count * per / arguments.seconds:.0f} decisions/s")
print(f"latency ms: p50 {percentile(0.5):.2f}  p90 {percentile(0.9):.2f}  p99 {percentile(0.99):.2f}  max {latencies[-1] * 1000:.2f}")
print(f"statuses: {dict(sorted(statuses.items()))}")
