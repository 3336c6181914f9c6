#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""nftables race stress: parallel ADD/DEL streams over a busy node ruleset.

A node namespace gets `--resident` containers' rules (portmap's DNAT and masquerade rules,
written by portmap ADD with prevResults naming addresses that exist nowhere, and the
bridge plugin's masq_checks rules, written with `nft -f` in the exact layout the plugin
and the reference write), so that every listing the plugins make is a multi-part dump.
Then `--streams` parallel loops run ADD and DEL until `--duration` seconds have passed:
portmap ADD/DEL with a fresh container ID each time, and bridge ADD/DEL (host-local IPAM,
isGateway, ipMasq, every other stream with macspoofchk) of a container namespace of their
own. Meanwhile `--foreign` loops of nft(8) commit to a table of their own, as other
software on a node does (kube-proxy, a firewall), which no lock of the suite holds back.
Every call must succeed, and afterwards no rule of a stream may be left while every
resident rule is still there.

    python3 tests/stress/nft_race.py --bin build/rel/bin [--resident 500 --streams 64
                                     --duration 30 --foreign 2] [--json]

Prints the figures (calls, failures, rules left) and exits 1 when anything failed or
leaked. Needs root (network namespaces) and nft(8) for the resident rules and the final
inspection. Only namespaces created here are touched; they are removed at the end.
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import cnitest  # noqa: E402  (the reference's names and the prevResult a runtime passes)

MASQ_TABLE = "cni_plugins_masquerade"
MASQ_TABLE_COMMENT = "Masquerading for plugins from github.com/containernetworking/plugins"
MASQ_CHAIN_COMMENT = ("Masquerade traffic from certain IPs to any (non-multicast) IP "
                      "outside their subnet")
RESIDENT_NET = "residentnet"
STREAM_NET = "streamnet"
BRIDGE = "cnistress0"


def pm_mappings(n):
    """n TCP port mappings, 8080 -> 80 and on."""
    return [{"hostPort": 8080 + i, "containerPort": 80 + i, "protocol": "tcp"}
            for i in range(n)]


def sh(cmd, ns=None, input=None, check=True, timeout=120):
    if ns:
        cmd = ["nsenter", "--net=/run/netns/" + ns, "--"] + cmd
    p = subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise RuntimeError("%s failed (%d): %s%s" % (" ".join(cmd), p.returncode, p.stdout,
                                                      p.stderr))
    return p.stdout


class Stress:
    """One run: namespaces, resident rules, streams, figures."""

    def __init__(self, bin_dir, resident, streams, duration, foreign=0, mappings=2, seed=None,
                 log=None):
        self.bin = os.path.abspath(bin_dir)
        self.resident = resident
        self.streams = streams
        self.foreign = foreign
        self.mappings = pm_mappings(mappings)
        self.foreign_commits = 0
        self.duration = duration
        self.rand = random.Random(seed)
        self.log = log or (lambda msg: None)
        self.tag = uuid.uuid4().hex[:6]
        self.netns = []
        self.tmp = tempfile.mkdtemp(prefix="nft-race-")
        self.lock = threading.Lock()
        self.calls = {}
        self.failures = []
        self.node = None

    # ---- setup ----------------------------------------------------------------------

    def add_netns(self, what):
        name = "nr%s-%s" % (what, self.tag)
        sh(["ip", "netns", "add", name])
        self.netns.append(name)
        sh(["ip", "link", "set", "lo", "up"], ns=name)
        return name

    def env(self, cmd, cid, netns="", ifname="eth0"):
        e = {k: v for k, v in os.environ.items() if not k.startswith("CNI_")}
        e.update({"CNI_COMMAND": cmd, "CNI_CONTAINERID": cid, "CNI_NETNS": netns,
                  "CNI_IFNAME": ifname, "CNI_PATH": self.bin,
                  "CNI_PORTMAP_STATE_DIR": os.path.join(self.tmp, "portmap-state")})
        return e

    def plugin(self, plugin, cmd, conf, cid, netns="/run/netns/nr-none", kind=None):
        """Run one plugin command in the node namespace; record the outcome."""
        p = subprocess.run(["nsenter", "--net=/run/netns/" + self.node, "--",
                            os.path.join(self.bin, plugin)],
                           input=json.dumps(conf).encode(), capture_output=True,
                           env=self.env(cmd, cid, netns), timeout=120)
        key = "%s %s" % (kind or plugin, cmd)
        with self.lock:
            self.calls[key] = self.calls.get(key, 0) + 1
            if p.returncode != 0:
                self.failures.append("%s %s: rc %d: %s%s" % (
                    key, cid, p.returncode, p.stdout.decode(errors="replace").strip(),
                    p.stderr.decode(errors="replace").strip()))
        return p.returncode == 0

    def pm_conf(self, ip4):
        return {"cniVersion": "1.0.0", "name": STREAM_NET, "type": "portmap",
                "backend": "nftables", "runtimeConfig": {"portMappings": self.mappings},
                "prevResult": cnitest.prev_result([ip4 + "/16"], sandbox="/nowhere", host=())}

    def bridge_conf(self, spoofchk):
        return {"cniVersion": "1.0.0", "name": STREAM_NET, "type": "bridge",
                "bridge": BRIDGE, "isGateway": True, "ipMasq": True,
                "macspoofchk": spoofchk,
                "ipam": {"type": "host-local", "subnet": "10.210.0.0/16",
                         "dataDir": os.path.join(self.tmp, "ipam")}}

    def setup(self):
        self.node = self.add_netns("node")
        lines = [
            "add table inet %s { comment \"%s\" ; }" % (MASQ_TABLE, MASQ_TABLE_COMMENT),
            "add chain inet %s masq_checks { comment \"%s\" ; }" % (MASQ_TABLE,
                                                                   MASQ_CHAIN_COMMENT),
            "add chain inet %s postrouting { type nat hook postrouting priority srcnat ; }"
            % MASQ_TABLE,
            "add rule inet %s postrouting ip daddr 224.0.0.0/4 return" % MASQ_TABLE,
            "add rule inet %s postrouting ip6 daddr ff00::/8 return" % MASQ_TABLE,
            "add rule inet %s postrouting goto masq_checks" % MASQ_TABLE,
        ]
        for i in range(self.resident):
            ip = "10.220.%d.%d" % (i // 250, i % 250 + 1)
            lines.append("add rule inet %s masq_checks ip saddr %s ip daddr != 10.220.0.0/16 "
                         "masquerade comment \"%s\"" % (
                             MASQ_TABLE, ip,
                             cnitest.masq_comment(RESIDENT_NET, "eth0", "res-%d" % i)))
        sh(["nft", "-f", "-"], ns=self.node, input="\n".join(lines) + "\n")
        # portmap residents through the plugin, a few at a time.
        todo = list(range(self.resident))

        def worker():
            while True:
                with self.lock:
                    if not todo:
                        return
                    i = todo.pop()
                ip = "10.230.%d.%d" % (i // 250, i % 250 + 1)
                self.plugin("portmap", "ADD", self.pm_conf(ip), "res-%d" % i, kind="resident")
        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if self.failures:
            raise RuntimeError("resident setup failed: %s" % self.failures[0])
        self.calls.clear()
        self.resident_counts = self.count_resident()

    # ---- streams --------------------------------------------------------------------

    def portmap_stream(self, k, deadline):
        i = 0
        # one round at least, however late on a busy machine the thread starts
        while i == 0 or time.monotonic() < deadline:
            cid = "st-p%d-%d" % (k, i)
            ip = "10.240.%d.%d" % (k % 250, i % 250 + 1)
            conf = self.pm_conf(ip)
            self.plugin("portmap", "ADD", conf, cid)
            self.plugin("portmap", "DEL", conf, cid)
            i += 1

    def bridge_stream(self, k, deadline):
        ctr = self.add_netns("c%d" % k)
        conf = self.bridge_conf(spoofchk=(k % 4 == 1))
        i = 0
        while i == 0 or time.monotonic() < deadline:  # as in portmap_stream
            cid = "st-b%d-%d" % (k, i)
            self.plugin("bridge", "ADD", conf, cid, netns="/run/netns/" + ctr)
            self.plugin("bridge", "DEL", conf, cid, netns="/run/netns/" + ctr)
            i += 1

    def foreign_writer(self, k, deadline):
        """nft(8) commits to a table of its own, as long as the streams run."""
        table = "nrforeign%d" % k
        script = ("add table ip %s\nadd chain ip %s c\nadd rule ip %s c counter\n"
                  "flush chain ip %s c\n" % (table, table, table, table))
        n = 0
        while time.monotonic() < deadline:
            p = subprocess.run(["nsenter", "--net=/run/netns/" + self.node, "--", "nft", "-f",
                                "-"], input=script, capture_output=True, text=True)
            if p.returncode == 0:
                n += 1
        with self.lock:
            self.foreign_commits += n

    def run_streams(self):
        # The first parallel bridge ADDs create the bridge concurrently, which is part of
        # what is exercised here.
        deadline = time.monotonic() + self.duration
        threads = [threading.Thread(target=self.foreign_writer, args=(k, deadline))
                   for k in range(self.foreign)]
        for k in range(self.streams):
            fn = self.bridge_stream if k % 2 else self.portmap_stream
            threads.append(threading.Thread(target=fn, args=(k, deadline)))
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    # ---- inspection -----------------------------------------------------------------

    def ruleset(self):
        out = sh(["nft", "-j", "list", "ruleset"], ns=self.node)
        return json.loads(out)["nftables"] if out.strip() else []

    def count_resident(self):
        pm = masq = 0
        for o in self.ruleset():
            r = o.get("rule")
            if not r:
                continue
            c = r.get("comment") or ""
            if r["table"] == "cni_hostport" and c.startswith("res-"):
                pm += 1
            elif r["table"] == MASQ_TABLE and ", id: res-" in c:
                masq += 1
        return {"portmap": pm, "masq": masq}

    def leftovers(self):
        left = []
        for o in self.ruleset():
            if "rule" in o:
                r = o["rule"]
                c = r.get("comment") or ""
                if c.startswith("st-") or ", id: st-" in c or c.startswith("macspoofchk-st-"):
                    left.append("%s %s %s: %s" % (r["family"], r["table"], r["chain"], c))
            elif "chain" in o and o["chain"]["name"].startswith("cni-br-iface-st-"):
                left.append("chain %s" % o["chain"]["name"])
        return left

    def cleanup(self):
        for ns in reversed(self.netns):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        shutil.rmtree(self.tmp, True)

    def run(self):
        """Set up, run the streams, inspect. Returns the figures (a dict)."""
        t0 = time.monotonic()
        self.setup()
        t1 = time.monotonic()
        self.log("resident rules written in %.1f s: %s" % (t1 - t0, self.resident_counts))
        self.run_streams()
        t2 = time.monotonic()
        left = self.leftovers()
        after = self.count_resident()
        calls = sum(self.calls.values())
        return {
            "resident": self.resident, "streams": self.streams,
            "duration_s": round(t2 - t1, 1), "calls": calls,
            "calls_by_kind": dict(sorted(self.calls.items())),
            "calls_per_s": round(calls / max(t2 - t1, 0.001), 1),
            "foreign_commits": self.foreign_commits,
            "failures": len(self.failures), "failure_samples": self.failures[:5],
            "rules_left": len(left), "left_samples": left[:5],
            "resident_before": self.resident_counts, "resident_after": after,
        }


def ok(fig):
    return (fig["failures"] == 0 and fig["rules_left"] == 0 and
            fig["resident_before"] == fig["resident_after"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", required=True, help="directory holding the built plugins")
    ap.add_argument("--resident", type=int, default=500, help="resident containers")
    ap.add_argument("--streams", type=int, default=64, help="parallel ADD/DEL loops")
    ap.add_argument("--duration", type=float, default=30, help="seconds of ADD/DEL")
    ap.add_argument("--foreign", type=int, default=2,
                    help="parallel nft(8) loops committing to a table of their own")
    ap.add_argument("--mappings", type=int, default=2,
                    help="port mappings of every portmap container")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    opts = ap.parse_args()
    if os.geteuid() != 0:
        print("nft_race: needs root (network namespaces)", file=sys.stderr)
        return 2
    for tool in ("nft", "nsenter", "ip"):
        if not shutil.which(tool):
            print("nft_race: missing tool %s" % tool, file=sys.stderr)
            return 2
    for p in ("bridge", "portmap", "host-local"):
        if not os.access(os.path.join(opts.bin, p), os.X_OK):
            print("nft_race: %s not built in %s" % (p, opts.bin), file=sys.stderr)
            return 2
    s = Stress(opts.bin, opts.resident, opts.streams, opts.duration, opts.foreign,
               opts.mappings, opts.seed,
               log=lambda m: print("nft_race: " + m, file=sys.stderr))
    try:
        fig = s.run()
    finally:
        s.cleanup()
    if opts.json:
        print(json.dumps(fig, indent=2))
    else:
        print("nft_race: %d resident, %d streams, %.1f s: %d calls (%.1f/s), %d foreign "
              "commits, %d failed, %d rules left, resident rules %s -> %s" % (
                  fig["resident"], fig["streams"], fig["duration_s"], fig["calls"],
                  fig["calls_per_s"], fig["foreign_commits"], fig["failures"], fig["rules_left"],
                  fig["resident_before"], fig["resident_after"]))
        for f in fig["failure_samples"]:
            print("  failed: " + f[:400])
        for f in fig["left_samples"]:
            print("  left: " + f)
    if ok(fig):
        print("nft_race: 1 passed, 0 failed")
        return 0
    print("nft_race: 0 passed, 1 failed")
    return 1


if __name__ == "__main__":
    sys.exit(main())
