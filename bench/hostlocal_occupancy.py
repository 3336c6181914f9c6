#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""host-local ADD latency at given occupancies, for one or more builds side by side:

    python3 bench/hostlocal_occupancy.py [--at 10,1000] [--samples N] [--dir DIR]
                                         LABEL=PATH [LABEL=PATH ...]

PATH is a host-local binary (bin/host-local, or a copy of another build's). For each
occupancy k, every build gets its own store filled with k reservations (one ADD per
container, as a runtime makes them), then N ADDs of one more container, each DEL'd again
right after (the DEL is not timed), the builds taking turns A B A B so that load on the
machine meets them alike. Each figure is one plugin execution as a runtime pays for it:
fork, exec, the work, exit. Prints the median and p90 of the wall time in ms per build and
occupancy, and the mean CPU time (user + system, which the machine's load disturbs less), each
against the first build's. The section "3. occupancy" of bench/run.py
measures the same ADDs among bridge and portmap; this runs host-local alone, in seconds.
Needs no root and no network namespace: host-local only touches its store.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

BASE_ENV = {k: v for k, v in os.environ.items() if not k.startswith("CNI_")}


def conf(data):
    return json.dumps({"cniVersion": "1.0.0", "name": "occhl", "type": "host-local",
                       "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.59.0.0/16"}]],
                                "dataDir": data}}).encode()


def run(path, command, data, cid):
    """One execution of path; returns its wall time and its CPU time (user + system,
    which load on the machine disturbs less), in seconds."""
    env = dict(BASE_ENV, CNI_COMMAND=command, CNI_CONTAINERID=cid, CNI_NETNS="/x",
               CNI_IFNAME="eth0", CNI_PATH=os.path.dirname(path))
    t0 = time.perf_counter()
    p = subprocess.Popen([path], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, env=env)
    p.stdin.write(conf(data))
    p.stdin.close()
    out = p.stdout.read()
    p.stdout.close()
    _, status, ru = os.wait4(p.pid, 0)
    dt = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit("%s %s %s: rc %d: %s" % (path, command, cid, p.returncode,
                                          out.decode(errors="replace")))
    return dt, ru.ru_utime + ru.ru_stime


def p90(v):
    s = sorted(v)
    return s[min(len(s) - 1, int(round(0.9 * (len(s) - 1))))]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("builds", nargs="+", metavar="LABEL=PATH")
    ap.add_argument("--at", default="10,1000", help="occupancies, comma-separated")
    ap.add_argument("--samples", type=int, default=100, help="ADDs per build and occupancy")
    ap.add_argument("--dir", help="where the stores go (default: a new temp dir)")
    args = ap.parse_args()
    builds = []
    for b in args.builds:
        label, _, path = b.partition("=")
        if not path or not os.access(path, os.X_OK):
            sys.exit("%s: want LABEL=PATH of an executable" % b)
        builds.append((label, os.path.abspath(path)))
    top = tempfile.mkdtemp(prefix="hl-occ-", dir=args.dir)
    results = {}
    try:
        for k in (int(x) for x in args.at.split(",")):
            stores = {}
            for label, path in builds:
                stores[label] = os.path.join(top, "%s-%d" % (label, k))
                for i in range(k):
                    run(path, "ADD", stores[label], "fill%d" % i)
            samples = {label: [] for label, _ in builds}
            cpu = {label: [] for label, _ in builds}
            for i in range(args.samples):
                order = builds if i % 2 == 0 else builds[::-1]
                for label, path in order:
                    cid = "probe%d" % i
                    wall, used = run(path, "ADD", stores[label], cid)
                    samples[label].append(wall * 1000)
                    cpu[label].append(used * 1000)
                    run(path, "DEL", stores[label], cid)
            for label, _ in builds:
                shutil.rmtree(stores[label])
            results[k] = (samples, cpu)
    finally:
        shutil.rmtree(top, ignore_errors=True)
    with open("/proc/loadavg") as f:
        load = f.read().split()[0]
    print("host-local ADD, ms (%d samples each; load average %s)" % (args.samples, load))
    print("%-12s %9s %8s %8s %9s %9s %9s" % ("build", "occupancy", "median", "p90",
                                               "vs first", "CPU mean", "vs first"))
    for k, (samples, cpu) in results.items():
        first = statistics.median(samples[builds[0][0]])
        cfirst = statistics.mean(cpu[builds[0][0]])
        for label, _ in builds:
            m = statistics.median(samples[label])
            c = statistics.mean(cpu[label])
            print("%-12s %9d %8.2f %8.2f %8.1f%% %9.3f %8.1f%%" % (
                label, k, m, p90(samples[label]), 100.0 * (m / first - 1), c,
                100.0 * (c / cfirst - 1)))


if __name__ == "__main__":
    main()
