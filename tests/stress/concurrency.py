#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Concurrency stress: parallel ADD/DEL streams on one network.

A node namespace of its own holds the network: bridge + host-local (one /22) with
ipMasq, chained with portmap (one tcp mapping per container). --streams parallel streams,
each with a container namespace of its own holding up to two containers (eth0, eth1),
ADD and DEL containers (a fresh container ID every time; ADD a new one, then DEL the
older) until --ops operations (an ADD or a DEL of the whole chain, as a runtime runs it:
bridge then portmap, DEL in reverse) are done. Checked throughout:

  * no address is held by two live containers (ADD done, DEL not started) at once;
  * no reservation is lost: after its ADD and right before its DEL, a container's address
    file holds its owner; after its DEL, no file holds it;
  * no call hangs (each plugin run has --timeout seconds: a stuck lock fails it);
  * every call succeeds;
and at the end: no reservation, veth, nftables rule of a container or portmap marker left.

    concurrency.py --bin DIR [--streams 64] [--ops 10000] [--timeout 60] [--json]

Prints operations, failures, wall time and ADD/DEL latency percentiles; exits 1 on any
failure. Needs root; only namespaces and temp dirs made here are touched (the plugins run
in the node namespace, which this process enters with setns(2) and leaves at the end).
"""
import argparse
import ctypes
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import cnitest  # noqa: E402

CLONE_NEWNET = 0x40000000
NET = "stressnet"
SUBNET = "10.72.0.0/22"
IP_NAME = re.compile(r"^[0-9a-fA-F.:]+$")
STORE_OWN = re.compile(r"^(lock|last_reserved_ip\.\d+|\.host-local\.index|\.host-local\.boot)$")


def setns(fd):
    """Move the calling thread (and the threads and processes it starts) into the network
    namespace of fd."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, "setns: %s" % os.strerror(e))


def percentile(values, p):
    if not values:
        return 0.0
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


class Stress:
    def __init__(self, bin_dir, streams, ops, timeout):
        self.bin, self.n_streams, self.n_ops, self.timeout = bin_dir, streams, ops, timeout
        self.lock = threading.Lock()
        self.started = 0
        self.failures = []
        self.lat = {"ADD": [], "DEL": []}
        self.live = {}       # ip -> cid of containers whose ADD is done and DEL not begun
        self.max_live = 0
        self.calls = 0

    # ---- set-up ---------------------------------------------------------------------
    def setup(self):
        self.tmp = tempfile.mkdtemp(prefix="cni-stress-")
        self.nss = []
        self.node = self.netns("sn")
        self.ctrs = [self.netns("sc") for _ in range(self.n_streams)]
        self.data = os.path.join(self.tmp, "data")
        self.state = os.path.join(self.tmp, "portmap-state")
        self.path = os.path.join(self.tmp, "path")
        for d in (self.data, self.state, self.path):
            os.makedirs(d)
        for p in ("bridge", "host-local", "portmap"):
            os.symlink(os.path.join(self.bin, p), os.path.join(self.path, p))
        self.store = os.path.join(self.data, NET)
        self.home = os.open("/proc/self/ns/net", os.O_RDONLY)

    def netns(self, prefix):
        ns = cnitest.Netns(prefix)
        self.nss.append(ns)
        return ns

    def close(self):
        for ns in getattr(self, "nss", []):
            ns.close()
        shutil.rmtree(getattr(self, "tmp", "/nonexistent"), True)

    # ---- plugin runs --------------------------------------------------------------
    def conf(self, plugin, slot, prev=None):
        if plugin == "bridge":
            return {"cniVersion": "1.0.0", "name": NET, "type": "bridge", "bridge": "sbr0",
                    "isGateway": True, "ipMasq": True,
                    "ipam": {"type": "host-local", "subnet": SUBNET, "dataDir": self.data}}
        c = {"cniVersion": "1.0.0", "name": NET, "type": "portmap", "backend": "nftables",
             "runtimeConfig": {"portMappings": [
                 {"hostPort": 20000 + slot, "containerPort": 80, "protocol": "tcp"}]}}
        if prev is not None:
            c["prevResult"] = prev
        return c

    def call(self, plugin, command, conf, cid, ns, ifname):
        env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
               "CNI_COMMAND": command, "CNI_CONTAINERID": cid, "CNI_NETNS": ns.path,
               "CNI_IFNAME": ifname, "CNI_PATH": self.path, "CNI_PORTMAP_STATE_DIR": self.state}
        with self.lock:
            self.calls += 1
        try:
            p = subprocess.run([os.path.join(self.path, plugin)], input=json.dumps(conf).encode(),
                               capture_output=True, env=env, timeout=self.timeout)
        except subprocess.TimeoutExpired:
            return None, "%s %s %s: no answer after %ds (stuck?)" % (plugin, command, cid,
                                                                     self.timeout)
        if p.returncode != 0:
            return None, "%s %s %s failed (%d): %s %s" % (plugin, command, cid, p.returncode,
                                                          p.stdout.decode(errors="replace"),
                                                          p.stderr.decode(errors="replace"))
        out = p.stdout.decode(errors="replace")
        return (json.loads(out) if out.strip() else {}), None

    def owner(self, ip):
        try:
            with open(os.path.join(self.store, ip), "rb") as f:
                return f.read().decode(errors="replace").split("\r\n")[0].strip()
        except FileNotFoundError:
            return None

    def fail(self, msg):
        with self.lock:
            self.failures.append(msg)

    def take_cycle(self):
        """Reserve the two operations of one container (its ADD and its DEL)."""
        with self.lock:
            if self.started + 2 > self.n_ops:
                return False
            self.started += 2
            return True

    def add(self, stream, slot, cid):
        """ADD container cid (slot 0 or 1 of the stream: interface eth<slot> in the stream's
        namespace, host port 20000 + 2 * stream + slot)."""
        ns, ifname, port = self.ctrs[stream], "eth%d" % slot, 2 * stream + slot
        t0 = time.monotonic()
        res, err = self.call("bridge", "ADD", self.conf("bridge", port), cid, ns, ifname)
        if err:
            return None, err
        ip = res["ips"][0]["address"].split("/")[0]
        _, err = self.call("portmap", "ADD", self.conf("portmap", port, res), cid, ns, ifname)
        if err:
            return None, err
        with self.lock:
            self.lat["ADD"].append(time.monotonic() - t0)
            other = self.live.get(ip)
            if other:
                self.failures.append("address %s given to %s while %s holds it" %
                                     (ip, cid, other))
            self.live[ip] = cid
            self.max_live = max(self.max_live, len(self.live))
        if self.owner(ip) != cid:
            self.fail("after ADD of %s, the file of %s holds %r" % (cid, ip, self.owner(ip)))
        return (ip, res), None

    def delete(self, stream, slot, cid, ip, res):
        ns, ifname, port = self.ctrs[stream], "eth%d" % slot, 2 * stream + slot
        if self.owner(ip) != cid:
            self.fail("before DEL of %s, the file of %s holds %r" % (cid, ip, self.owner(ip)))
        with self.lock:
            if self.live.get(ip) == cid:
                del self.live[ip]
        t0 = time.monotonic()
        _, err = self.call("portmap", "DEL", self.conf("portmap", port, res), cid, ns, ifname)
        if err:
            return err
        _, err = self.call("bridge", "DEL", self.conf("bridge", port), cid, ns, ifname)
        if err:
            return err
        with self.lock:
            self.lat["DEL"].append(time.monotonic() - t0)
        if self.owner(ip) == cid:
            self.fail("after DEL of %s, the file of %s still holds it" % (cid, ip))
        return None

    def remove(self, stream, slot, cid):
        """DEL whatever a failed ADD of cid holds, so the stream can go on."""
        ns, ifname, port = self.ctrs[stream], "eth%d" % slot, 2 * stream + slot
        self.call("portmap", "DEL", self.conf("portmap", port), cid, ns, ifname)
        self.call("bridge", "DEL", self.conf("bridge", port), cid, ns, ifname)

    def stream(self, i):
        """Two containers live at a time: ADD into the free slot, then DEL the older one."""
        held = {}  # slot -> (cid, ip, result)
        slot = 0
        while self.take_cycle():
            cid = "s%02d-%s" % (i, uuid.uuid4().hex[:12])
            got, err = self.add(i, slot, cid)
            if err:
                self.fail(err)
                self.remove(i, slot, cid)
            else:
                held[slot] = (cid,) + got
            slot ^= 1
            if slot in held:
                err = self.delete(i, slot, *held.pop(slot))
                if err:
                    self.fail(err)
        for s, h in held.items():
            err = self.delete(i, s, *h)
            if err:
                self.fail(err)

    # ---- the run ------------------------------------------------------------------------
    def rules(self):
        out = subprocess.run(["nft", "-j", "list", "ruleset"], capture_output=True,
                             text=True).stdout
        rules = set()
        for item in json.loads(out or '{"nftables": []}')["nftables"]:
            r = item.get("rule")
            if r:
                rules.add(json.dumps({k: v for k, v in r.items() if k != "handle"},
                                     sort_keys=True))
        return rules

    def leftovers(self, skeleton):
        left = []
        for f in (os.listdir(self.store) if os.path.isdir(self.store) else []):
            if not STORE_OWN.match(f):
                left.append(("reservation " if IP_NAME.match(f) else "file ") + f)
        for d, _, files in os.walk(self.state):
            left += ["portmap marker %s" % os.path.relpath(os.path.join(d, f), self.state)
                     for f in files]
        out = subprocess.run(["ip", "-j", "-d", "link", "show"], capture_output=True,
                             text=True).stdout
        left += ["veth %s" % l["ifname"] for l in json.loads(out or "[]")
                 if l.get("linkinfo", {}).get("info_kind") == "veth"]
        left += ["nft rule %s" % r for r in sorted(self.rules() - skeleton)]
        return left

    def run(self):
        self.setup()
        node_fd = os.open(self.node.path, os.O_RDONLY)
        try:
            setns(node_fd)
            # the tables and chains a clean ADD+DEL leaves are not leaks
            got, err = self.add(0, 0, "skeleton")
            if err:
                raise RuntimeError("clean ADD failed: %s" % err)
            err = self.delete(0, 0, "skeleton", *got)
            if err:
                raise RuntimeError("clean DEL failed: %s" % err)
            skeleton = self.rules()
            self.lat = {"ADD": [], "DEL": []}
            self.calls = 0
            t0 = time.monotonic()
            threads = [threading.Thread(target=self.stream, args=(i,))
                       for i in range(self.n_streams)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.monotonic() - t0
            for what in self.leftovers(skeleton):
                self.failures.append("left at the end: " + what)
            if self.live:
                self.failures.append("containers never deleted: %d" % len(self.live))
        finally:
            setns(self.home)
            os.close(self.home)
            os.close(node_fd)
            self.close()
        return wall

    def report(self, wall):
        ops = len(self.lat["ADD"]) + len(self.lat["DEL"])
        r = {"operations": ops, "adds": len(self.lat["ADD"]), "dels": len(self.lat["DEL"]),
             "plugin_calls": self.calls, "streams": self.n_streams,
             "failures": len(self.failures), "wall_seconds": round(wall, 1),
             "ops_per_second": round(ops / wall, 1) if wall else 0,
             "max_live": self.max_live}
        for verb in ("ADD", "DEL"):
            for p in (50, 99):
                r["%s_p%d_ms" % (verb.lower(), p)] = round(percentile(self.lat[verb], p) * 1000)
        allv = self.lat["ADD"] + self.lat["DEL"]
        r["p50_ms"] = round(percentile(allv, 50) * 1000)
        r["p99_ms"] = round(percentile(allv, 99) * 1000)
        return r


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", required=True)
    ap.add_argument("--streams", type=int, default=64)
    ap.add_argument("--ops", type=int, default=10000)
    ap.add_argument("--timeout", type=int, default=60)
    ap.add_argument("--json", action="store_true")
    o = ap.parse_args()
    s = Stress(os.path.abspath(o.bin), o.streams, o.ops, o.timeout)
    wall = s.run()
    r = s.report(wall)
    if o.json:
        print(json.dumps(dict(r, failed=s.failures[:50]), indent=2))
    else:
        for f in s.failures[:50]:
            print("FAIL " + f)
        print("concurrency: %(operations)d operations (%(adds)d ADD, %(dels)d DEL, "
              "%(plugin_calls)d plugin runs) in %(streams)d streams, %(failures)d failures, "
              "%(wall_seconds)ss (%(ops_per_second)s ops/s), latency p50 %(p50_ms)d ms, "
              "p99 %(p99_ms)d ms (ADD p50/p99 %(add_p50_ms)d/%(add_p99_ms)d ms, DEL "
              "%(del_p50_ms)d/%(del_p99_ms)d ms), at most %(max_live)d live" % r)
    sys.exit(1 if s.failures else 0)


if __name__ == "__main__":
    main()
