#!/usr/bin/env python3
"""A TCP proxy on loopback that cuts the first request's connection after N bytes of
the server's response (headers included), then passes later connections
through untouched. Put it in front of nginx (which honours Range) or
python's http.server (which does not) to drop a download at a chosen byte.
Writes its port to PORTFILE; stops by itself after LIFETIME seconds. With
PATH, the first request whose request line holds PATH is the one cut (a
release's item, after its manifest went through).
Usage: cut_proxy.py UPSTREAM_PORT CUT_AFTER PORTFILE [LIFETIME [PATH]]
"""
import os
import socket
import sys
import threading

from proxy_pipe import pipe, serve

UPSTREAM = int(sys.argv[1])
CUT_AFTER = int(sys.argv[2])
PATH = sys.argv[5].encode() if len(sys.argv) > 5 else b""
lock = threading.Lock()
connections = 0


def handle(client):
    global connections
    request = client.recv(16384)
    if not request:  # a port probe, not a download
        client.close()
        return
    with lock:
        named = PATH in request.split(b"\r\n", 1)[0]
        connections += named
        first = named and connections == 1
    upstream = socket.create_connection(("127.0.0.1", UPSTREAM))
    upstream.sendall(request)
    threading.Thread(target=pipe, args=(client, upstream, None, 16384), daemon=True).start()
    pipe(upstream, client, CUT_AFTER if first else None, 16384)
    client.close()
    upstream.close()


def main():
    timer = threading.Timer(float(sys.argv[4]) if len(sys.argv) > 4 else 300, lambda: os._exit(0))
    timer.daemon = True
    timer.start()
    serve(handle, sys.argv[3])


if __name__ == "__main__":
    main()
