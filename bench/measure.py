#!/usr/bin/env python3
"""Run a command N times (each after an untimed setup command) and print the
median wall time and median CPU time (user + system of the child) as JSON.
Usage: measure.py N SETUP_CMD -- CMD..."""
import json
import resource
import statistics
import subprocess
import sys
import time


def main():
    n = int(sys.argv[1])
    setup = sys.argv[2]
    cmd = sys.argv[sys.argv.index("--") + 1:]
    walls, cpus = [], []
    for _ in range(n):
        if setup:
            subprocess.run(setup, shell=True, check=True)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if r.returncode != 0:
            print(json.dumps({"error": "exit %d: %s" % (r.returncode, " ".join(cmd))}))
            sys.exit(1)
        walls.append(wall)
        cpus.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
    print(json.dumps({"wall": statistics.median(walls), "cpu": statistics.median(cpus), "runs": n,
                      "walls": walls}))


if __name__ == "__main__":
    main()
