"""A flood of requests sent at once from another process, and the worst latency a cheap
probe sees meanwhile: shared by the login-guard test and bench/login_flood_bench.py."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import requests

FLOOD = """
import json, selectors, socket, sys, time
host, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
bodies = json.load(sys.stdin)
sockets = []
for body in bodies:
    payload = json.dumps(body).encode()
    sock = socket.create_connection((host, port), timeout=120)
    head = (f"POST {path} HTTP/1.1\\r\\nHost: {host}\\r\\nContent-Type: application/json\\r\\n"
            f"Content-Length: {len(payload)}\\r\\nConnection: close\\r\\n\\r\\n")
    sock.sendall(head.encode() + payload)
    sockets.append(sock)
received = {sock: b"" for sock in sockets}
selector = selectors.DefaultSelector()
for sock in sockets:
    selector.register(sock, selectors.EVENT_READ)
deadline = time.monotonic() + 120
while selector.get_map() and time.monotonic() < deadline:
    for key, _ in selector.select(timeout=5):
        chunk = key.fileobj.recv(65536)
        if chunk:
            received[key.fileobj] += chunk
        else:
            selector.unregister(key.fileobj)
            key.fileobj.close()
answers = []
for sock in sockets:
    head, _, body = received[sock].partition(b"\\r\\n\\r\\n")
    lines = head.decode().split("\\r\\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    answers.append([int(lines[0].split()[1]), json.loads(body), headers])
json.dump(answers, sys.stdout)
"""


def flood(url: str, bodies: list[dict], path: str) -> list[tuple[int, dict, dict]]:
    """Send every login at once, each on its own connection, from another process (as an
    attacker would: no share of this process's interpreter), and collect the answers."""
    host, port = url.removeprefix("http://").split(":")
    done = subprocess.run(
        [sys.executable, "-c", FLOOD, host, port, path],
        input=json.dumps(bodies),
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    return [tuple(answer) for answer in json.loads(done.stdout)]


def worst_latency_during(url: str, path: str, bodies: list[dict], probe: str = "/healthz"):
    """Poll ``probe`` every 50 ms while ``bodies`` hit ``path`` at once: (worst, answers)."""
    latencies, answers = latencies_during(url, path, bodies, probe)
    return max(latencies), answers


def latencies_during(url: str, path: str, bodies: list[dict], probe: str = "/healthz"):
    """Poll ``probe`` every 50 ms while ``bodies`` hit ``path`` at once: (latencies, answers)."""
    done = threading.Event()
    latencies = []

    def poll():
        while not done.is_set() or len(latencies) < 3:  # a few samples even if it is quick
            started = time.monotonic()
            assert requests.get(url + probe, timeout=30).status_code == 200
            latencies.append(time.monotonic() - started)
            time.sleep(0.05)

    poller = threading.Thread(target=poll)
    poller.start()
    try:
        answers = flood(url, bodies, path)
    finally:
        done.set()
        poller.join(60)
    assert len(latencies) >= 3
    return latencies, answers
