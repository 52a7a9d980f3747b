#!/usr/bin/env python3
"""An HTTP server that serves releases the way an attacker would, for the
tests. Files come from ROOT; the first path segment names the mode:

  /MODE/PATH

MODES below is the table of what each mode does with PATH; add a mode by
adding an entry (a function of the handler and PATH). Today:
  plain        the file as it is (what a compromised mirror serves is then
               up to the files the test puts there: another product's
               signed manifest, an older one)
  endless      a body that never ends, whatever PATH names
  endless-sig  files ending in .sig never end; the rest as they are
  swap         the first request under PATH's folder gets DIR/FILE, every
               later one DIR.next/FILE: the content is replaced between two
               fetches (a manifest and its signature, or two resumes)
  shifty       manifests as they are; any other file is cut half-way on its
               first request, and a resume (Range, If-Range with the same
               ETag) gets the bytes of FILE.alt instead: content that
               changes between resumes while the server swears it did not
Listens on 127.0.0.1 only, on a free port it writes to PORTFILE (whole, by
rename). Stops on SIGTERM, or by itself after LIFETIME seconds.
Usage: hostile_server.py ROOT PORTFILE [LIFETIME]
"""
import http.server
import os
import posixpath
import sys
import threading

from local_server import serve

ROOT = os.path.abspath(sys.argv[1])
ENDLESS_CHUNK = b" " * 65536
ENDLESS_CAP = 1 << 30  # "never" ends: a client that keeps reading gets 1 GiB


def read_file(rel):
    path = os.path.realpath(os.path.join(ROOT, rel))
    if not path.startswith(ROOT + os.sep) or not os.path.isfile(path):
        return None
    with open(path, "rb") as f:
        return f.read()


def serve_plain(h, rel):
    body = read_file(rel)
    if body is None:
        h.send_body(404, b"hostile_server: no such file\n")
    else:
        h.send_body(200, body)


def serve_endless(h, rel):
    h.send_response(200)
    h.send_header("Content-Type", "application/octet-stream")
    h.send_header("Connection", "close")  # no length: the body ends when we close, which we do not
    h.end_headers()
    sent = 0
    try:
        while sent < ENDLESS_CAP:
            h.wfile.write(ENDLESS_CHUNK)
            sent += len(ENDLESS_CHUNK)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the client gave up: what the test wants
    h.close_connection = True


def serve_endless_sig(h, rel):
    (serve_endless if rel.endswith(".sig") else serve_plain)(h, rel)


SWAPPED = set()
SWAP_LOCK = threading.Lock()


def serve_swap(h, rel):
    folder, name = posixpath.split(rel)
    with SWAP_LOCK:
        later = folder in SWAPPED
        SWAPPED.add(folder)
    serve_plain(h, posixpath.join(folder + ".next", name) if later else rel)


SHIFTY_SEEN = set()


def serve_shifty(h, rel):
    body = read_file(rel)
    if body is None or posixpath.basename(rel).startswith("manifest.json"):
        serve_plain(h, rel)
        return
    with SWAP_LOCK:
        first = rel not in SHIFTY_SEEN
        SHIFTY_SEEN.add(rel)
    rng = h.headers.get("Range", "")
    start = int(rng[6:].split("-", 1)[0]) if rng.startswith("bytes=") and not first else 0
    if start:
        body = read_file(rel + ".alt") or body
    h.send_response(206 if start else 200)
    h.send_header("ETag", '"same-as-ever"')
    h.send_header("Accept-Ranges", "bytes")
    h.send_header("Content-Length", str(len(body) - start))
    if start:
        h.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(body) - 1, len(body)))
    h.end_headers()
    try:
        h.wfile.write(body[start:len(body) // 2] if first else body[start:])
        h.wfile.flush()
    except (BrokenPipeError, ConnectionResetError):
        pass
    if first:
        h.close_connection = True  # cut: fewer bytes than Content-Length


MODES = {
    "plain": serve_plain,
    "endless": serve_endless,
    "endless-sig": serve_endless_sig,
    "swap": serve_swap,
    "shifty": serve_shifty,
}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("hostile_server: " + (fmt % args) + "\n")

    def send_body(self, code, body):
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path = self.path.split("?", 1)[0].split("#", 1)[0].lstrip("/")
        mode, _, rel = path.partition("/")
        if mode not in MODES or not rel:
            self.send_body(404, b"hostile_server: unknown mode\n")
            return
        MODES[mode](self, rel)


def main():
    serve(Handler, sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 600)


if __name__ == "__main__":
    main()
