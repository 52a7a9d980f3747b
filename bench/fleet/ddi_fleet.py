#!/usr/bin/env python3
"""A simulated fleet on a hawkBit DDI server: N emulated devices (`ota run
--ddi` processes, JOBS at a time) poll tests/integration/ddi_server.py
through a proxy that drops a share of connections; each is offered v2 of
its app. A share of devices lose power at a random flash operation of their
first poll (and are powered on again, `ota boot`), a share run a v2 whose
self-test fails (they roll back). Each device polls until the server has
closed its action, then once more.

Checked, for every device: the server closed its action with exactly one
final report (none missing, none twice), and that report is what the device
boots: success when v2 runs, failure ("rolled back: self-test failed" for the
failing share) when v1 does. Prints a table; exit 1 when a check fails.
Usage: ddi_fleet.py OTA WORKDIR [--devices N] [--jobs J] [--drop SHARE] [--cut SHARE] [--fail SHARE] [--seed S]
"""
import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
MAX_POLLS = 12


def sh(*args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


def wait_file(path):
    for _ in range(200):
        if os.path.exists(path) and os.path.getsize(path):
            return open(path).read().strip()
        time.sleep(0.05)
    raise SystemExit("%s did not appear" % path)


def finals(state, dev):
    out = []
    try:
        for line in open(os.path.join(state, dev + ".log.jsonl")):
            e = json.loads(line)
            st = e.get("body", {}).get("status", {})
            if e.get("feedback") == "deploymentBase" and st.get("execution") == "closed":
                out.append((st["result"]["finished"], " | ".join(st.get("details", []))))
    except FileNotFoundError:
        pass
    return out


def server_state(state, dev):
    try:
        return json.load(open(os.path.join(state, dev + ".server.json")))
    except FileNotFoundError:
        return {}


class Device:
    def __init__(self, a, work, i, role, cut_at):
        self.a, self.name, self.role, self.cut_at = a, "d%03d" % i, role, cut_at
        self.img = os.path.join(work, self.name + ".img")
        self.polls, self.cuts, self.seconds = 0, 0, 0.0

    def make(self, work):
        ota = self.a.ota
        sh(ota, "flash", "create", self.img, "--table", os.path.join(ROOT, "examples/ota_example/partitions.csv"),
           "--rollback", check=True)
        sh(ota, "flash", "write", self.img, "ota_0", os.path.join(work, "v1.bin"), check=True)
        sh(ota, "boot", self.img, check=True)
        action = {"id": str(1000 + int(self.name[1:])), "chunks": [
            {"part": "os", "name": "app", "version": "v2.0.0", "file": os.path.join(work, "v2.bin")}]}
        with open(os.path.join(self.a.state, self.name + ".json"), "w") as f:
            json.dump({"action": action, "sleep": "00:00:01"}, f)

    def poll(self, url):
        args = [self.a.ota, "run", self.img, "--ddi", url, "--controller-id", self.name, "--rollback",
                "--retry-backoff", "10", "--connect-timeout", "2000", "--read-timeout", "3000"]
        if self.role == "fail":
            args += ["--self-test", "fail"]
        if self.role == "cut" and self.polls == 0:
            args += ["--power-cut-at", str(self.cut_at)]
        t0 = time.monotonic()
        r = sh(*args)
        self.seconds += time.monotonic() - t0
        self.polls += 1
        if r.returncode == 3:  # the power came back: the bootloader runs
            self.cuts += 1
            sh(self.a.ota, "boot", self.img, "--rollback")
        return r.returncode

    def run(self, url):
        while self.polls < MAX_POLLS and server_state(self.a.state, self.name).get("state") != "closed":
            self.poll(url)
        self.poll(url)  # once more: nothing may be reported again

    def check(self):
        r = sh(self.a.ota, "boot", self.img, "--rollback")
        boot = r.stdout + r.stderr
        runs = "v2.0.0" if "App version:      v2.0.0" in boot else "v1.0.0"
        f = finals(self.a.state, self.name)
        if len(f) != 1:
            return "%d final reports" % len(f)
        want = "success" if runs == "v2.0.0" else "failure"
        if f[0][0] != want:
            return "reported %s (%s) but boots %s" % (f[0][0], f[0][1], runs)
        if self.role == "fail" and "rolled back: self-test failed" not in f[0][1]:
            return "a failing self-test reported as: %s" % f[0][1]
        self.outcome = (want, f[0][1])
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ota")
    ap.add_argument("work")
    ap.add_argument("--devices", type=int, default=40)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--drop", type=float, default=0.10)
    ap.add_argument("--cut", type=float, default=0.10)
    ap.add_argument("--fail", type=float, default=0.10)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    a.ota = os.path.abspath(a.ota)
    work = os.path.abspath(a.work)
    a.state = os.path.join(work, "state")
    os.makedirs(a.state, exist_ok=True)
    for v in (1, 2):
        sh(a.ota, "image", "make", os.path.join(work, "v%d.bin" % v), "--project", "lamp", "--version",
           "v%d.0.0" % v, "--size", "1000000", check=True)
    rng = random.Random(a.seed)
    n_cut, n_fail = round(a.devices * a.cut), round(a.devices * a.fail)
    roles = ["cut"] * n_cut + ["fail"] * n_fail + ["ok"] * (a.devices - n_cut - n_fail)
    rng.shuffle(roles)
    # a whole install is about 4200 flash operations for a 1 MB image: cut anywhere in it
    devices = [Device(a, work, i, roles[i], rng.randint(1, 4300)) for i in range(a.devices)]
    procs = []
    try:
        procs.append(subprocess.Popen([sys.executable, os.path.join(ROOT, "tests/integration/ddi_server.py"),
                                       "--state", a.state, "--port-file", os.path.join(work, "ddi.port")],
                                      stderr=subprocess.DEVNULL))
        ddi_port = wait_file(os.path.join(work, "ddi.port"))
        procs.append(subprocess.Popen([sys.executable, os.path.join(HERE, "drop_proxy.py"), ddi_port, str(a.drop),
                                       str(a.seed), os.path.join(work, "proxy.port"),
                                       os.path.join(work, "proxy.json")]))
        url = "http://127.0.0.1:" + wait_file(os.path.join(work, "proxy.port"))
        for d in devices:
            d.make(work)
        t0 = time.monotonic()
        with ThreadPoolExecutor(a.jobs) as ex:
            list(ex.map(lambda d: d.run(url), devices))
        wall = time.monotonic() - t0
    finally:
        for p in reversed(procs):
            p.terminate()
            p.wait()
    stats = json.load(open(os.path.join(work, "proxy.json"))) if os.path.exists(
        os.path.join(work, "proxy.json")) else {"connections": 0, "dropped": 0}
    problems = [(d.name, d.role, d.check()) for d in devices]
    bad = [p for p in problems if p[2]]
    ok = [d for d in devices if not any(p[0] == d.name for p in bad)]
    succ = sum(1 for d in ok if d.outcome[0] == "success")
    rolled = sum(1 for d in ok if "rolled back" in d.outcome[1])
    other = len(ok) - succ - rolled
    polls = [d.polls for d in devices]
    print("| devices | closed with one final report | success | rolled back (reported why) | other failures "
          "| power cuts | connections dropped | polls p50/max | wall |")
    print("|---|---|---|---|---|---|---|---|---|")
    print("| %d | %d | %d | %d | %d | %d | %d of %d | %d/%d | %.0f s |" % (
        a.devices, len(ok), succ, rolled, other, sum(d.cuts for d in devices), stats["dropped"],
        stats["connections"], statistics.median(polls), max(polls), wall))
    for name, role, why in bad:
        print("FAIL %s (%s): %s" % (name, role, why))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
