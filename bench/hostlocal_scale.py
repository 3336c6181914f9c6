#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""ADD/DEL latency of host-local with many existing reservations.

usage: bench/hostlocal_scale.py [--bin DIR] [--n 5000] [--runs 21] [--go /usr/lib/cni/host-local]

Fills a store with N reservations (files written exactly as the reference
plugin writes them), then times ADD followed by DEL of one more container,
`runs` times, for: our plugin with its index, our plugin with the index
disabled (HOSTLOCAL_INDEX=0: every operation reads all files, like the
reference), and the reference Go binary when present. Prints medians.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def fill(netdir, n):
    os.makedirs(netdir, exist_ok=True)
    for i in range(n):
        ip = "10.%d.%d.%d" % (100 + (i + 2) // 65536, ((i + 2) // 256) % 256, (i + 2) % 256)
        with open(os.path.join(netdir, ip), "w") as f:
            f.write("filler%06d\r\neth0" % i)
        os.chmod(os.path.join(netdir, ip), 0o600)


def run(binary, cmd, conf, cid, extra_env=None):
    env = {"PATH": os.environ.get("PATH", ""), "CNI_COMMAND": cmd, "CNI_CONTAINERID": cid,
           "CNI_NETNS": "/var/run/netns/bench", "CNI_IFNAME": "eth0", "CNI_PATH": "/nonexistent"}
    if extra_env:
        env.update(extra_env)
    t = time.perf_counter()
    p = subprocess.run([binary], input=conf, capture_output=True, env=env)
    dt = time.perf_counter() - t
    if p.returncode != 0:
        raise SystemExit("%s %s failed: %s" % (binary, cmd, p.stdout.decode()))
    return dt


def bench(label, binary, n, runs, version, extra_env=None):
    root = tempfile.mkdtemp(prefix="hlbench-")
    try:
        conf = json.dumps({"cniVersion": version, "name": "bench", "ipam": {
            "type": "host-local", "dataDir": root,
            "ranges": [[{"subnet": "10.100.0.0/16"}]]}}).encode()
        fill(os.path.join(root, "bench"), n)
        # warm-up: builds our index (first run reads every file once)
        run(binary, "ADD", conf, "warm", extra_env)
        run(binary, "DEL", conf, "warm", extra_env)
        adds, dels = [], []
        for i in range(runs):
            cid = "bench%04d" % i
            adds.append(run(binary, "ADD", conf, cid, extra_env))
            dels.append(run(binary, "DEL", conf, cid, extra_env))
        print("%-34s n=%-6d ADD %7.2f ms   DEL %7.2f ms" % (
            label, n, statistics.median(adds) * 1e3, statistics.median(dels) * 1e3))
    finally:
        shutil.rmtree(root, True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "bin"))
    ap.add_argument("--n", type=int, action="append")
    ap.add_argument("--runs", type=int, default=21)
    ap.add_argument("--go", default="/usr/lib/cni/host-local")
    o = ap.parse_args()
    ours = os.path.join(o.bin, "host-local")
    for n in o.n or [0, 5000]:
        bench("C host-local (index)", ours, n, o.runs, "1.0.0")
        bench("C host-local (HOSTLOCAL_INDEX=0)", ours, n, o.runs, "1.0.0", {"HOSTLOCAL_INDEX": "0"})
        if os.path.exists(o.go):
            bench("Go host-local " + o.go, o.go, n, o.runs, "1.0.0")


if __name__ == "__main__":
    main()
