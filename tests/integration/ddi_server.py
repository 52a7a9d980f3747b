#!/usr/bin/env python3
"""A hawkBit DDI server for the tests (python stdlib, 127.0.0.1 only).

It serves the Direct Device Integration resources a device uses, with the
paths and JSON shapes of hawkBit's published DDI API:

  GET  /{tenant}/controller/v1/{id}                      controller base: config.polling.sleep, _links
  GET  .../{id}/deploymentBase/{action}?c=...            the deployment: modes, window, chunks, artifacts
  POST .../{id}/deploymentBase/{action}/feedback         status.execution / result.finished / details
  GET  .../{id}/cancelAction/{action}                    {"id", "cancelAction": {"stopId"}}
  POST .../{id}/cancelAction/{action}/feedback
  PUT  .../{id}/configData                               {"mode": "merge", "data": {...}}
  GET  .../{id}/softwaremodules/{sm}/artifacts/{file}    the artifact (download-http link)
  GET  .../{id}/installedBase/{action}                   the action last installed (closed with success)
  GET  .../{id}/confirmationBase/{action}                an action waiting for the device's confirmation
  POST .../{id}/confirmationBase/{action}/feedback       {"confirmation": "confirmed"|"denied", "code", "details"}

What a controller is offered comes from STATE/{id}.json, re-read at every
request (the test edits it between polls):

  {"action": {"id": "7", "download": "forced", "update": "forced",
              "window": null | "available" | "unavailable",
              "chunks": [{"part": "os", "name": "app", "version": "v2",
                          "file": "/path/v2.bin", "bad_sha256": false, "missing": false}]},
   "cancel": false,                 # the operator cancels the action
   "cancel_after_download": false,  # ... as soon as the app artifact has been served
   "confirm": false,                # the action waits for the device's confirmation (user consent flow)
   "confirm_id": null,              # ... and confirmationBase names this id instead of the action's
   "config_data": false,            # ask for the device's attributes (the configData link)
   "fail_config": 0,                # answer the next N configData PUTs with HTTP 500
   "fault": null | "garbage" | "huge" | "slow" | "never" | "deep" | "status500",
   "fail_final_feedback": 0,        # answer the next N final (closed) feedbacks with HTTP 500
   "fail_progress": false,          # answer every feedback that carries a progress count with HTTP 500
   "record_snapshot": null,         # a device's record file: copied to FILE.at-put when a configData PUT is taken
                                    # (what the device keeps at that moment: a cut before its next save leaves that)
   (a chunk's "artifact_host": "localhost:PORT" links its artifact on another host name)
   "sleep": "00:00:05"}

What the server learned goes to STATE/{id}.log.jsonl, one JSON object a
line: every request ({"req": METHOD, "path", "auth"}), every accepted
feedback ({"feedback": "deploymentBase"|"cancelAction", "action", "body"})
and configData ({"config": body}). The action's server-side state
(open/closed/canceled, final result) is in STATE/{id}.server.json.
"""
import argparse
import hashlib
import json
import os
import re
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

EXECUTIONS = {"closed", "proceeding", "canceled", "scheduled", "rejected", "resumed", "downloaded", "download"}
FINISHED = {"success", "failure", "none"}
LOCK = threading.Lock()


def load(path, default):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return default


def save(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f)
    os.replace(tmp, path)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ddi-test"

    def log_message(self, fmt, *args):
        sys.stderr.write("ddi: " + fmt % args + "\n")

    # ---- helpers -------------------------------------------------------
    def paths(self, cid):
        st = self.server.state_dir
        return (os.path.join(st, cid + ".json"), os.path.join(st, cid + ".log.jsonl"),
                os.path.join(st, cid + ".server.json"))

    def log(self, cid, entry):
        with LOCK, open(self.paths(cid)[1], "a") as f:
            f.write(json.dumps(entry) + "\n")

    def send(self, status, body=b"", ctype="application/hal+json;charset=UTF-8"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_json(self, obj):
        self.send(200, json.dumps(obj).encode())

    def authorized(self):
        tok = self.server.token
        if not tok:
            return True
        return self.headers.get("Authorization") in ("TargetToken " + tok, "GatewayToken " + tok)

    def base_url(self, cid):
        # as hawkBit does, links name the host the device asked (a proxy in front stays in the path)
        host = self.headers.get("Host") or "127.0.0.1:%d" % self.server.server_port
        if not re.match(r"^[A-Za-z0-9.\[\]:-]+$", host):
            host = "127.0.0.1:%d" % self.server.server_port
        return "%s://%s/%s/controller/v1/%s" % (self.server.scheme, host, self.server.tenant, cid)

    def body_json(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        return json.loads(raw.decode("utf-8"))

    # ---- routing -------------------------------------------------------
    def route(self, method):
        m = re.match(r"^/([^/]+)/controller/v1/([^/?]+)(/[^?]*)?(\?.*)?$", self.path)
        if not m or m.group(1) != self.server.tenant:
            return self.send(404, b'{"errorCode":"hawkbit.server.error.repo.entitiyNotFound"}')
        cid, rest = m.group(2), m.group(3) or ""
        self.log(cid, {"req": method, "path": self.path, "auth": self.headers.get("Authorization")})
        if not self.authorized():
            return self.send(401, b"")
        spec = load(self.paths(cid)[0], {})
        srv = load(self.paths(cid)[2], {})
        if method == "GET" and rest == "":
            return self.base(cid, spec, srv)
        a = re.match(r"^/deploymentBase/(\d+)(/feedback)?$", rest)
        if a:
            return self.deployment(cid, spec, srv, method, a.group(1), bool(a.group(2)))
        i = re.match(r"^/installedBase/(\d+)$", rest)
        if i and method == "GET":
            return self.installed(cid, spec, srv, i.group(1))
        k = re.match(r"^/confirmationBase/(\d+)(/feedback)?$", rest)
        if k:
            return self.confirmation(cid, spec, srv, method, k.group(1), bool(k.group(2)))
        c = re.match(r"^/cancelAction/(\d+)(/feedback)?$", rest)
        if c:
            return self.cancel(cid, spec, srv, method, c.group(1), bool(c.group(2)))
        if rest == "/configData" and method == "PUT":
            return self.config(cid, srv)
        s = re.match(r"^/softwaremodules/(\d+)/artifacts/([^/]+)$", rest)
        if s and method == "GET":
            return self.artifact(cid, spec, srv, int(s.group(1)), s.group(2))
        return self.send(404, b"")

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def do_PUT(self):
        self.route("PUT")

    # ---- resources -----------------------------------------------------
    def open_action(self, spec, srv):
        a = spec.get("action")
        if not a or srv.get("action") == a["id"] and srv.get("state") in ("closed", "canceled"):
            return None
        return a

    def cancelling(self, spec, srv, a):
        return a and (spec.get("cancel") or srv.get("cancel_requested") == a["id"]) and \
            srv.get("cancel_rejected") != a["id"]

    def fault(self, kind):
        if kind == "garbage":
            return self.send(200, b"<html><body>502 Bad Gateway</body></html>")
        if kind == "huge":
            return self.send(200, b'{"config":{"polling":{"sleep":"00:00:05"}},"pad":"' + b"x" * (4 << 20) + b'"}')
        if kind == "deep":
            return self.send(200, b"[" * 2000 + b"]" * 2000)
        if kind == "status500":
            return self.send(500, b"")
        body = b'{"config":{"polling":{"sleep":"00:00:05"}},"_links":{}}'
        self.send_response(200)
        self.send_header("Content-Type", "application/hal+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            if kind == "slow":
                for b in body:
                    self.wfile.write(bytes([b]))
                    self.wfile.flush()
                    time.sleep(1)
            else:  # never: the headers, then nothing
                time.sleep(600)
        except OSError:
            pass

    def base(self, cid, spec, srv):
        if spec.get("fault"):
            return self.fault(spec["fault"])
        links = {}
        a = self.open_action(spec, srv)
        base = self.base_url(cid)
        if self.cancelling(spec, srv, a):
            links["cancelAction"] = {"href": "%s/cancelAction/%s" % (base, a["id"])}
        elif a and self.awaiting_confirmation(spec, srv, a):
            links["confirmationBase"] = {"href": "%s/confirmationBase/%s?c=-%d" % (base, a["id"], 2129030598)}
        elif a:
            links["deploymentBase"] = {"href": "%s/deploymentBase/%s?c=-%d" % (base, a["id"], 2129030598)}
        done = self.installed_action(spec, srv)
        if done:
            links["installedBase"] = {"href": "%s/installedBase/%s" % (base, done["id"])}
        if spec.get("config_data") and not srv.get("config_received"):
            links["configData"] = {"href": base + "/configData"}
        self.send_json({"config": {"polling": {"sleep": spec.get("sleep", "00:00:05")}}, "_links": links})

    def chunk_json(self, cid, k, ch):
        data = open(ch["file"], "rb").read() if os.path.exists(ch["file"]) else b""
        sha256 = hashlib.sha256(data).hexdigest()
        if ch.get("bad_sha256"):
            sha256 = ("0" if sha256[0] != "0" else "1") + sha256[1:]
        name = os.path.basename(ch["file"])
        href = "%s/softwaremodules/%d/artifacts/%s" % (self.base_url(cid), k + 1, name)
        if ch.get("artifact_host"):  # a link to another host (a CDN): it must not get the device's token
            href = re.sub(r"^(https?)://[^/]+", r"\1://" + ch["artifact_host"], href)
        return {"part": ch["part"], "version": ch["version"], "name": ch["name"],
                "artifacts": [{"filename": name,
                               "hashes": {"sha1": hashlib.sha1(data).hexdigest(),
                                          "md5": hashlib.md5(data).hexdigest(), "sha256": sha256},
                               "size": len(data),
                               "_links": {("download" if href.startswith("https") else "download-http"): {"href": href},
                                          "md5sum-http": {"href": href + ".MD5SUM"}}}]}

    def awaiting_confirmation(self, spec, srv, a):
        return spec.get("confirm") and srv.get("confirmed") != a["id"]

    def installed_action(self, spec, srv):
        a = spec.get("action")
        if a and srv.get("action") == a["id"] and srv.get("state") == "closed" and srv.get("result") == "success":
            return a
        return None

    def deployment_json(self, cid, a):
        dep = {"download": a.get("download", "forced"), "update": a.get("update", "forced"),
               "chunks": [self.chunk_json(cid, k, ch) for k, ch in enumerate(a["chunks"])]}
        if a.get("window"):
            dep["maintenanceWindow"] = a["window"]
        return dep

    def installed(self, cid, spec, srv, aid):
        a = self.installed_action(spec, srv)
        if not a or a["id"] != aid:
            return self.send(404, b"")
        self.send_json({"id": aid, "deployment": self.deployment_json(cid, a),
                        "actionHistory": {"status": "closed", "messages": []}})

    def confirmation(self, cid, spec, srv, method, aid, feedback):
        a = self.open_action(spec, srv)
        if not a or a["id"] != aid or not self.awaiting_confirmation(spec, srv, a):
            return self.send(404, b"")
        if method == "GET" and not feedback:
            return self.send_json({"id": spec.get("confirm_id", aid), "confirmation": self.deployment_json(cid, a),
                                   "actionHistory": {"status": "wait_for_confirmation", "messages": []}})
        if method != "POST" or not feedback:
            return self.send(404, b"")
        try:
            body = self.body_json()
        except (ValueError, UnicodeDecodeError):
            return self.send(400, b"")
        if not isinstance(body, dict) or body.get("confirmation") not in ("confirmed", "denied") or \
                not all(isinstance(d, str) for d in body.get("details", [])):
            return self.send(400, b"")
        with LOCK:
            srv = load(self.paths(cid)[2], {})
            if body["confirmation"] == "confirmed":
                srv["confirmed"] = aid
            save(self.paths(cid)[2], srv)
        self.log(cid, {"confirmation": body, "action": aid})
        self.send(200, b"")

    def deployment(self, cid, spec, srv, method, aid, feedback):
        a = self.open_action(spec, srv)
        if feedback and method == "POST":
            return self.feedback(cid, spec, srv, "deploymentBase", aid)
        if method != "GET" or not a or a["id"] != aid or self.awaiting_confirmation(spec, srv, a):
            return self.send(404, b"")
        self.send_json({"id": aid, "deployment": self.deployment_json(cid, a),
                        "actionHistory": {"status": srv.get("last_execution", "scheduled"), "messages": []}})

    def valid_feedback(self, body):
        st = body.get("status") if isinstance(body, dict) else None
        return isinstance(st, dict) and st.get("execution") in EXECUTIONS and \
            isinstance(st.get("result"), dict) and st["result"].get("finished") in FINISHED and \
            all(isinstance(d, str) for d in st.get("details", []))

    def feedback(self, cid, spec, srv, resource, aid):
        try:
            body = self.body_json()
        except (ValueError, UnicodeDecodeError):
            return self.send(400, b'{"errorCode":"hawkbit.server.error.rest.body.notReadable"}')
        if not self.valid_feedback(body):
            return self.send(400, b'{"errorCode":"hawkbit.server.error.rest.param.invalid"}')
        st = body["status"]
        final = st["execution"] in ("closed", "rejected", "canceled")
        if spec.get("fail_progress") and "progress" in st["result"]:
            return self.send(500, b"")
        with LOCK:
            srv = load(self.paths(cid)[2], {})
            if final and spec.get("fail_final_feedback", 0) > srv.get("final_failed", 0):
                srv["final_failed"] = srv.get("final_failed", 0) + 1
                save(self.paths(cid)[2], srv)
                return self.send(500, b"")
            if resource == "deploymentBase" and st["execution"] == "closed":
                if srv.get("action") == aid and srv.get("state") == "closed":
                    srv["duplicate_final"] = srv.get("duplicate_final", 0) + 1
                srv.update(action=aid, state="closed", result=st["result"]["finished"])
            elif resource == "cancelAction" and st["execution"] == "closed":
                srv.update(action=aid, state="canceled", result="canceled")
            elif resource == "cancelAction" and st["execution"] == "rejected":
                srv["cancel_rejected"] = aid
            srv["last_execution"] = st["execution"]
            save(self.paths(cid)[2], srv)
        self.log(cid, {"feedback": resource, "action": aid, "body": body})
        self.send(200, b"")

    def cancel(self, cid, spec, srv, method, aid, feedback):
        if feedback and method == "POST":
            return self.feedback(cid, spec, srv, "cancelAction", aid)
        if method != "GET":
            return self.send(404, b"")
        self.send_json({"id": aid, "cancelAction": {"stopId": aid}})

    def config(self, cid, srv):
        try:
            body = self.body_json()
        except (ValueError, UnicodeDecodeError):
            return self.send(400, b"")
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            return self.send(400, b"")
        with LOCK:
            srv = load(self.paths(cid)[2], {})
            spec = load(self.paths(cid)[0], {})
            if spec.get("fail_config", 0) > srv.get("config_failed", 0):
                srv["config_failed"] = srv.get("config_failed", 0) + 1
                save(self.paths(cid)[2], srv)
                return self.send(500, b"")
            srv["config_received"] = True
            save(self.paths(cid)[2], srv)
            snap = spec.get("record_snapshot")
            if snap and os.path.exists(snap):
                with open(snap, "rb") as src, open(snap + ".at-put", "wb") as dst:
                    dst.write(src.read())
        self.log(cid, {"config": body})
        self.send(200, b"")

    def artifact(self, cid, spec, srv, sm, name):
        a = self.open_action(spec, srv)
        chunks = a["chunks"] if a else []
        if sm < 1 or sm > len(chunks) or os.path.basename(chunks[sm - 1]["file"]) != name or \
                chunks[sm - 1].get("missing"):
            return self.send(404, b"")
        data = open(chunks[sm - 1]["file"], "rb").read()
        self.send(200, data, "application/octet-stream")
        if spec.get("cancel_after_download"):
            with LOCK:
                srv = load(self.paths(cid)[2], {})
                srv["cancel_requested"] = a["id"]
                save(self.paths(cid)[2], srv)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--state", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--tenant", default="DEFAULT")
    ap.add_argument("--token", default=None)
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"), help="serve https with this certificate")
    args = ap.parse_args()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.state_dir = args.state
    httpd.tenant = args.tenant
    httpd.token = args.token
    httpd.scheme = "http"
    if args.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls[0], args.tls[1])
        httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
        httpd.scheme = "https"
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(httpd.server_port))
    os.replace(tmp, args.port_file)
    httpd.serve_forever()


if __name__ == "__main__":
    main()
