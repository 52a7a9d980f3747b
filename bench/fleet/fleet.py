#!/usr/bin/env python3
"""A simulated fleet: N emulated devices spread over the five vector releases
update to the newest through a signed manifest, served by nginx behind a proxy
that drops a share of connections; a share of devices lose power mid-update and
run again. A staged rollout first (ROLLOUT %), then 100 %, then a check that
every device is up to date; then the same fleet again with full images only.
Usage: fleet.py OTA VECTORS KEY PUB WORK NGINX_PORT ACCESS_LOG [options]
"""
import argparse
import concurrent.futures as cf
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
RELEASES = ["d2d8d982", "b7855e8e", "32641331", "cf645f84", "12198e8d"]  # oldest first
TABLE = """nvs,      data, nvs,   ,  0x4000,
otadata,  data, ota,   ,  0x2000,
phy_init, data, phy,   ,  0x1000,
ota_0,    app,  ota_0, ,  0x280000,
ota_1,    app,  ota_1, ,  0x280000,
"""


def sh(*cmd, **kw):
    return subprocess.run([str(c) for c in cmd], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)


def must(*cmd):
    r = sh(*cmd)
    if r.returncode != 0:
        sys.exit("failed: %s\n%s" % (" ".join(map(str, cmd)), r.stdout))
    return r.stdout


def copy_device(src, dst):
    """A device is its image and the files beside it."""
    for f in os.listdir(os.path.dirname(dst)):
        if f.startswith(os.path.basename(dst) + "."):
            os.remove(os.path.join(os.path.dirname(dst), f))
    shutil.copyfile(src, dst)
    d = os.path.dirname(src)
    for f in os.listdir(d):
        if f.startswith(os.path.basename(src) + "."):
            shutil.copyfile(os.path.join(d, f), dst + f[len(os.path.basename(src)):])


def access_log_since(path, offset):
    """Requests and body bytes nginx logged after offset, by kind of file."""
    kinds = {"manifest": [0, 0], "patch": [0, 0], "image": [0, 0]}
    with open(path) as f:
        f.seek(offset)
        for line in f:
            m = re.search(r'"GET (\S+) [^"]*" (\d+) (\d+)', line)
            if not m:
                continue
            p = m.group(1)
            kind = "manifest" if "manifest.json" in p else "patch" if "/patch-" in p else "image"
            kinds[kind][0] += 1
            kinds[kind][1] += int(m.group(3))
    return kinds


class Fleet:
    def __init__(self, a):
        self.a = a
        self.rng = random.Random(a.seed)
        self.dev_dir = os.path.join(a.work, "devices")
        os.makedirs(self.dev_dir, exist_ok=True)

    def device(self, i):
        return os.path.join(self.dev_dir, "dev%04d.img" % i)

    def run_device(self, i, url, cut_at):
        """ota run until the device is done: power returns after a cut (the
        bootloader runs), a failed run is tried again later (as a device's
        next periodic check would). Returns (seconds, outcome, runs, cuts)."""
        a, img = self.a, self.device(i)
        spent, runs, cuts = 0.0, 0, 0
        outcome = "failed"
        for attempt in range(6):
            cmd = [a.ota, "run", img, "--manifest", url, "--manifest-pub", a.pub, "--device-id", "dev%04d" % i,
                   "--project", "korvo_du1906", "--retry-backoff", "20", "--retries", "8"]
            if cut_at and attempt == 0:
                cmd += ["--power-cut-at", str(cut_at)]
            t0 = time.monotonic()
            r = sh(*cmd)
            spent += time.monotonic() - t0
            runs += 1
            m = re.search(r"action=(.+?)( \((?:patch missing|fell back)\))? patch_bytes", r.stdout)
            if r.returncode == 3:
                cuts += 1
                sh(a.ota, "boot", img)  # power returns
                continue
            if r.returncode in (0, 4) and m:
                outcome = m.group(1)
                break
            with open(img + ".fail.log", "w") as f:
                f.write(r.stdout)
        return spent, outcome, runs, cuts

    def phase(self, name, url, cut_share):
        a = self.a
        cut = {i: self.rng.randint(200, 8000) for i in range(a.devices) if self.rng.random() < cut_share}
        off = os.path.getsize(a.access_log)
        t0 = time.monotonic()
        with cf.ThreadPoolExecutor(a.jobs) as ex:
            res = list(ex.map(lambda i: self.run_device(i, url, cut.get(i)), range(a.devices)))
        wall = time.monotonic() - t0
        time.sleep(0.3)
        served = access_log_since(a.access_log, off)
        out = {"name": name, "wall": wall, "served": served, "outcomes": {}, "runs": 0, "cuts": 0, "times": []}
        for spent, outcome, runs, cuts in res:
            out["outcomes"][outcome] = out["outcomes"].get(outcome, 0) + 1
            out["runs"] += runs
            out["cuts"] += cuts
            if outcome in ("patch", "full image"):
                out["times"].append(spent)
        print("%-28s %s  %.0f s" % (name, json.dumps(out["outcomes"]), wall), flush=True)
        return out

    def make_devices(self, templates):
        for i in range(self.a.devices):
            copy_device(templates[i % len(templates)], self.device(i))


def publish(a, www, rollout, serial, previous):
    args = [a.ota, "release", www, "--image", os.path.join(a.vectors, "korvo-%s.bin" % RELEASES[-1]),
            "--key", a.key, "--rollout", rollout, "--serial", serial]
    for p in previous:
        args += ["--previous", os.path.join(a.vectors, "korvo-%s.bin" % p)]
    os.makedirs(www, exist_ok=True)
    return must(*args)


def templates(a):
    tdir = os.path.join(a.work, "templates")
    os.makedirs(tdir, exist_ok=True)
    with open(os.path.join(tdir, "table.csv"), "w") as f:
        f.write(TABLE)
    out = []
    for r in RELEASES:
        img = os.path.join(tdir, r + ".img")
        must(a.ota, "flash", "create", img, "--table", os.path.join(tdir, "table.csv"), "--size", "8MB")
        must(a.ota, "flash", "write", img, "ota_0", os.path.join(a.vectors, "korvo-%s.bin" % r))
        must(a.ota, "boot", img)
        out.append(img)
    return out


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))] if xs else 0.0


def report(a, staged, full_up, check, full, proxy, published):
    mb = lambda b: b / 1e6
    delta_bytes = sum(v[1] for ph in (staged, full_up) for v in ph["served"].values())
    full_bytes = sum(v[1] for v in full["served"].values())
    reqs = lambda ph: sum(v[0] for v in ph["served"].values())
    times = staged["times"] + full_up["times"]
    lines = [
        "| fleet: %d devices over 5 releases, %d at a time, %.0f%% of connections dropped, %.0f%% power cuts |  |"
        % (a.devices, a.jobs, 100 * a.drop, 100 * a.cut),
        "|---|---|",
        "| converged on the newest (a last run says up to date) | %d of %d |" % (check["outcomes"].get("up to date", 0), a.devices),
        "| staged rollout %d%%: installed / held back / already newest | %d / %d / %d |" % (
            a.rollout, staged["outcomes"].get("patch", 0) + staged["outcomes"].get("full image", 0),
            staged["outcomes"].get("held back (rollout)", 0), staged["outcomes"].get("up to date", 0)),
        "| then 100%%: installed / already newest | %d / %d |" % (
            full_up["outcomes"].get("patch", 0) + full_up["outcomes"].get("full image", 0),
            full_up["outcomes"].get("up to date", 0)),
        "| bytes served, manifest with patches (both stages) | %.1f MB |" % mb(delta_bytes),
        "| bytes served, full images only (same fleet, same faults) | %.1f MB |" % mb(full_bytes),
        "| patches / full-only | %.1f %% |" % (100.0 * delta_bytes / full_bytes if full_bytes else 0),
        "| server requests: patches (both stages) / full only | %d / %d |" % (reqs(staged) + reqs(full_up), reqs(full)),
        "| of them manifest + signature fetches / patch / image | %d / %d / %d |" % (
            staged["served"]["manifest"][0] + full_up["served"]["manifest"][0],
            staged["served"]["patch"][0] + full_up["served"]["patch"][0],
            staged["served"]["image"][0] + full_up["served"]["image"][0]),
        "| time per updated device, patches: p50 / p95 | %.2f s / %.2f s |" % (pct(times, 0.5), pct(times, 0.95)),
        "| time per updated device, full only: p50 / p95 | %.2f s / %.2f s |" % (pct(full["times"], 0.5), pct(full["times"], 0.95)),
        "| power cuts (each followed by a restart and a new run) patches / full | %d / %d |" % (
            staged["cuts"] + full_up["cuts"], full["cuts"]),
        "| proxy: connections / dropped | %d / %d |" % (proxy.get("connections", 0), proxy.get("dropped", 0)),
        "| wall time: staged, 100%%, check, full only | %.0f s, %.0f s, %.0f s, %.0f s |" % (
            staged["wall"], full_up["wall"], check["wall"], full["wall"]),
    ]
    print("\n".join(lines))
    print("\npatches published:\n" + published)
    return check["outcomes"].get("up to date", 0) == a.devices


def main():
    p = argparse.ArgumentParser()
    for name in ("ota", "vectors", "key", "pub", "work", "nginx_port", "access_log"):
        p.add_argument(name)
    p.add_argument("--devices", type=int, default=200)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--drop", type=float, default=0.1)
    p.add_argument("--cut", type=float, default=0.1)
    p.add_argument("--rollout", type=int, default=25)
    p.add_argument("--seed", type=int, default=14)
    a = p.parse_args()
    www = os.path.join(a.work, "www")
    proxy_port_file, proxy_stats = os.path.join(a.work, "proxy.port"), os.path.join(a.work, "proxy.json")
    proxy = subprocess.Popen([sys.executable, os.path.join(HERE, "drop_proxy.py"), a.nginx_port, str(a.drop),
                              str(a.seed), proxy_port_file, proxy_stats])
    for _ in range(100):
        if os.path.exists(proxy_port_file) and os.path.getsize(proxy_port_file):
            break
        time.sleep(0.05)
    base = "http://127.0.0.1:%s" % open(proxy_port_file).read().strip()
    try:
        published = publish(a, os.path.join(www, "release"), a.rollout, 1, RELEASES[:-1])
        publish(a, os.path.join(www, "fullonly"), 100, 1, [])
        tmpl = templates(a)
        fleet = Fleet(a)
        fleet.make_devices(tmpl)
        staged = fleet.phase("staged rollout %d%%" % a.rollout, base + "/release/manifest.json", a.cut)
        publish(a, os.path.join(www, "release"), 100, 2, RELEASES[:-1])
        full_up = fleet.phase("rollout 100%", base + "/release/manifest.json", a.cut)
        check = fleet.phase("check: up to date", base + "/release/manifest.json", 0)
        fleet.make_devices(tmpl)
        full = fleet.phase("full images only", base + "/fullonly/manifest.json", a.cut)
    finally:
        proxy.terminate()
        proxy.wait()
    stats = json.load(open(proxy_stats)) if os.path.exists(proxy_stats) else {}
    ok = report(a, staged, full_up, check, full, stats, published)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
