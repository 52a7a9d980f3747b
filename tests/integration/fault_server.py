#!/usr/bin/env python3
"""A small HTTP server that misbehaves on purpose, for the tests.

Serves files from ROOT; the first path segments choose a fault:
  /FILE                    plain 200 with Content-Length (honours Range)
  /drop/N/FILE             announce the whole file, send N bytes, close
  /lie/N/FILE              announce N bytes more than the file has, send it, close
  /status/CODE/FILE        answer CODE with a short body
  /stall/MS/N/FILE         send N bytes, then nothing for MS milliseconds, then close
  /redirect/N/FILE         redirect N times, then serve FILE
  /norange/FILE            ignore Range: always 200 with the whole file
  /trickle/BPS/FILE        announce the whole file, send BPS bytes a second
  /nolocation/FILE         302 without Location, the file as its body
  /closedelim/N/FILE       HTTP/1.0 style: no length, N bytes of the file, close
  /chunked/N/FILE          chunked encoding, N bytes of the file, then a proper
                           last chunk (the stream looks complete to HTTP)
Listens on 127.0.0.1 only; writes its port to PORTFILE. Stops on SIGTERM,
or by itself after LIFETIME seconds.
Usage: fault_server.py ROOT PORTFILE [LIFETIME]
"""
import http.server
import os
import re
import sys
import time

from local_server import serve

ROOT = os.path.abspath(sys.argv[1])


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("fault_server: " + (fmt % args) + "\n")

    def file_bytes(self, name):
        path = os.path.realpath(os.path.join(ROOT, name))
        if not path.startswith(ROOT + os.sep) or not os.path.isfile(path):
            return None
        with open(path, "rb") as f:
            return f.read()

    def send_plain(self, code, body=b"", headers=()):
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        parts = self.path.lstrip("/").split("/")
        fault, args = None, []
        if parts[0] in ("drop", "lie", "status", "redirect", "trickle", "closedelim", "chunked"):
            fault, args, parts = parts[0], parts[1:2], parts[2:]
        elif parts[0] == "stall":
            fault, args, parts = "stall", parts[1:3], parts[3:]
        elif parts[0] in ("norange", "nolocation", "range416"):
            fault, parts = parts[0], parts[1:]
        name = "/".join(parts)
        if fault == "redirect":
            n = int(args[0])
            target = "/redirect/%d/%s" % (n - 1, name) if n > 1 else "/" + name
            self.send_plain(302, b"", [("Location", target)])
            return
        if fault == "status":
            self.send_plain(int(args[0]), b"fault_server: error page\n")
            return
        data = self.file_bytes(name)
        if data is None:
            self.send_plain(404, b"not found\n")
            return
        if fault == "drop":
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: int(args[0])])
            self.wfile.flush()
            self.close_connection = True
            return
        if fault == "closedelim":
            # No Content-Length and no chunking: the body ends when the
            # connection closes, so HTTP cannot tell a short one.
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data[: int(args[0])])
            self.wfile.flush()
            self.close_connection = True
            return
        if fault == "chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            body = data[: int(args[0])]
            for i in range(0, len(body), 1000):
                piece = body[i:i + 1000]
                self.wfile.write(b"%x\r\n" % len(piece) + piece + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
            return
        if fault == "nolocation":
            self.send_plain(302, data)
            return
        if fault == "trickle":
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            bps = int(args[0])
            try:
                for i in range(0, len(data), bps):
                    self.wfile.write(data[i:i + bps])
                    self.wfile.flush()
                    time.sleep(1.0)
            except OSError:
                pass
            self.close_connection = True
            return
        if fault == "lie":
            self.send_response(200)
            self.send_header("Content-Length", str(len(data) + int(args[0])))
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
            self.close_connection = True
            return
        if fault == "stall":
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: int(args[1])])
            self.wfile.flush()
            time.sleep(int(args[0]) / 1000.0)
            self.close_connection = True
            return
        if fault == "range416":
            # An ETag that never changes, and 416 for every range: a server
            # that kept an old validator or cannot serve ranges of this file.
            if self.headers.get("Range"):
                self.send_plain(416, b"", [("Content-Range", "bytes */%d" % len(data))])
            else:
                self.send_plain(200, data, [("ETag", '"fixed"')])
            return
        rng = self.headers.get("Range")
        m = re.match(r"bytes=(\d+)-$", rng or "")
        if m and fault != "norange" and int(m.group(1)) < len(data):
            start = int(m.group(1))
            self.send_response(206)
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
            self.send_header("Content-Length", str(len(data) - start))
            self.end_headers()
            self.wfile.write(data[start:])
            return
        self.send_plain(200, data)


def main():
    serve(Handler, sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 600)


if __name__ == "__main__":
    main()
