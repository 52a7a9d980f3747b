#!/usr/bin/env python3
"""A TCP proxy on loopback that drops a share of connections: with probability
SHARE a connection is cut after a random number of response bytes (seeded, so a
run can be repeated). Counts connections and cuts in STATSFILE on exit.
Usage: drop_proxy.py UPSTREAM_PORT SHARE SEED PORTFILE STATSFILE
"""
import json
import os
import random
import signal
import socket
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "integration"))
from proxy_pipe import pipe, serve  # noqa: E402

UPSTREAM, SHARE, SEED = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
PORTFILE, STATSFILE = sys.argv[4], sys.argv[5]
rng = random.Random(SEED)
lock = threading.Lock()
stats = {"connections": 0, "dropped": 0}


def handle(client):
    with lock:
        stats["connections"] += 1
        # cut somewhere in the first 1.5 MB: past the headers, often mid-image
        limit = rng.randint(2000, 1500000) if rng.random() < SHARE else None
        if limit is not None:
            stats["dropped"] += 1
    try:
        upstream = socket.create_connection(("127.0.0.1", UPSTREAM))
    except OSError:
        client.close()
        return
    t = threading.Thread(target=pipe, args=(client, upstream, None), daemon=True)
    t.start()
    pipe(upstream, client, limit)
    t.join(5)
    client.close()
    upstream.close()


def save_stats(*_):
    with open(STATSFILE, "w") as f:
        json.dump(stats, f)
    sys.exit(0)


signal.signal(signal.SIGTERM, save_stats)
serve(handle, PORTFILE, backlog=64)
