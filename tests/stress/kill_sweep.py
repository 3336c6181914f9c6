#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Kill injection: SIGKILL a plugin at the N-th call of each system call, then clean up.

Scenarios (each in namespaces of its own: a "node" standing in for the host, where the
plugins run, and a container):

  bridge      bridge + host-local (delegated) + ipMasq, ADD and DEL; the victim is the
              bridge process itself, the host-local it runs (through a wrapper in
              CNI_PATH), or both (strace -f, each killed at its own N-th call)
  host-local  host-local alone, two range sets, ADD and DEL
  portmap     portmap with a tcp and a udp mapping, ADD and DEL

The kill points of a scenario are found by tracing an undisturbed run (strace -f) and
counting, for the victim process, the calls of each kind it makes: one kill point per
(kind, N). After each kill: the runtime's DEL must succeed; then no veth, reservation,
temp file, nftables rule or portmap marker of the container may be left; then ADD and DEL
must work and leave nothing either. (For a killed DEL, the ADD comes first.)

    kill_sweep.py --bin DIR [--sample N] [--scenario NAME ...] [--jobs J] [--json]

--sample N picks N kill points spread over every scenario, verb and victim (the
integration test does this); without it every kill point runs. Exits 1 when anything
failed or leaked, printing the kill point and what was left. Needs root (namespaces) and
strace, ip and nft; nothing outside the namespaces and temp dirs made here is touched.
"""
import argparse
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
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import cnitest  # noqa: E402  (namespaces and shell helpers of the integration tests)

STRACE = shutil.which("strace")
# Calls of the dynamic loader and the allocator: a kill there is a kill before anything.
SKIP_KINDS = {"mmap", "munmap", "mprotect", "brk", "arch_prctl", "set_tid_address",
              "set_robust_list", "rseq", "prlimit64", "rt_sigaction", "rt_sigprocmask",
              "sigaltstack", "madvise", "futex", "access", "pread64", "getrandom"}
# What the sample prefers: the calls that change state or end a step.
SAMPLE_KINDS = ["linkat", "rename", "renameat", "renameat2", "unlink", "unlinkat", "write",
                "sendmsg", "recvmsg", "flock", "mkdir", "openat", "execve", "exit_group",
                "setns", "wait4", "close"]
TIMEOUT = 30
# Names a store directory may hold after DEL (besides subdirectories).
STORE_OWN = re.compile(r"^(lock|last_reserved_ip\.\d+|\.host-local\.index|\.host-local\.boot)$")
IP_NAME = re.compile(r"^[0-9a-fA-F.:]+$")


def trace_counts(lines, victim):
    """Calls of each kind per process of an strace -f log: with victim (a program name),
    only of the process that executed it, from its execve on (as strace counts them when
    it traces that program); without, of every process from its first call."""
    per_pid, started = {}, set()
    for line in lines:
        m = re.match(r"^(\d+)\s+([a-z_0-9]+)\((.*)", line)
        if not m:
            continue  # "<... x resumed>", signals, exits: counted where the call began
        pid, name, args = m.groups()
        if victim and name == "execve" and re.match(r'"[^"]*/%s"' % re.escape(victim), args):
            started.add(pid)
            per_pid[pid] = {}
        if victim and pid not in started:
            continue
        counts = per_pid.setdefault(pid, {})
        counts[name] = counts.get(name, 0) + 1
    return per_pid


class Lab:
    """Namespaces and directories of one scenario; close() removes them."""

    def __init__(self, bin_dir, tag):
        self.bin = bin_dir
        self.tag = tag
        self.nss = []
        self.tmp = tempfile.mkdtemp(prefix="cni-kill-%s-" % tag)
        self.node = self.netns("kn")
        self.ctr = self.netns("kc")
        self.data = os.path.join(self.tmp, "data")
        self.state = os.path.join(self.tmp, "portmap-state")
        self.path = os.path.join(self.tmp, "path")
        for d in (self.data, self.state, self.path):
            os.makedirs(d)

    def netns(self, prefix):
        ns = cnitest.Netns("%s%s" % (prefix, self.tag[:3]))
        self.nss.append(ns)
        return ns

    def close(self):
        for ns in self.nss:
            ns.close()
        shutil.rmtree(self.tmp, True)

    def env(self, command, cid, path=None):
        e = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
             "CNI_COMMAND": command, "CNI_CONTAINERID": cid, "CNI_NETNS": self.ctr.path,
             "CNI_IFNAME": "eth0", "CNI_PATH": path or self.path,
             "CNI_PORTMAP_STATE_DIR": self.state,
             # LeakSanitizer cannot run under ptrace (strace): a sanitizer build would abort.
             "ASAN_OPTIONS": "detect_leaks=0"}
        return e

    def run(self, plugin, command, conf, cid, prefix=(), path=None, timeout=TIMEOUT):
        cmd = ["nsenter", "--net=" + self.node.path, "--"] + list(prefix) + [
            os.path.join(self.bin, plugin)]
        t0 = time.monotonic()
        try:
            p = subprocess.run(cmd, input=json.dumps(conf).encode(), capture_output=True,
                               env=self.env(command, cid, path), timeout=timeout)
        except subprocess.TimeoutExpired:
            return cnitest.Result(-1, "", "timed out after %ds" % timeout), timeout
        return (cnitest.Result(p.returncode, p.stdout.decode(errors="replace"),
                               p.stderr.decode(errors="replace")), time.monotonic() - t0)

    def rules(self):
        """The node's nftables rules as comparable text (handles left out)."""
        out = self.node.sh("nft -j list ruleset", check=False)
        rules = set()
        for item in json.loads(out or '{"nftables": []}')["nftables"]:
            r = item.get("rule")
            if r:
                r = {k: v for k, v in r.items() if k != "handle"}
                rules.add(json.dumps(r, sort_keys=True))
        return rules

    def links(self, ns):
        return {l["ifname"]: l for l in ns.json("ip -j -d link show")}

    def reset(self, scenario):
        """After a failure: remove whatever the scenario left, so the next point starts
        clean (its own leftovers are what it is judged by)."""
        for d, dirs, files in os.walk(self.data):
            for f in files:
                os.unlink(os.path.join(d, f))
        shutil.rmtree(self.state, True)
        os.makedirs(self.state, exist_ok=True)
        self.node.sh("nft flush ruleset", check=False)
        if scenario.name == "bridge":
            for name, l in self.links(self.node).items():
                if l.get("linkinfo", {}).get("info_kind") == "veth":
                    self.node.sh("ip link del %s" % name, check=False)
            self.ctr.sh("ip link del eth0", check=False)

    def leftovers_in(self, root, what):
        """What is left under root ("store": files but the store's bookkeeping; "state":
        portmap's markers and their directories)."""
        found = []
        for d, dirs, files in os.walk(root):
            if what == "state":
                # DEL removes the marker's directories once they are empty
                found += ["portmap marker directory %s" % os.path.relpath(
                    os.path.join(d, x), root) for x in dirs]
            for f in files:
                rel = os.path.relpath(os.path.join(d, f), root)
                if what == "store" and STORE_OWN.match(f):
                    continue
                if what == "state":
                    kind = "portmap marker"
                elif IP_NAME.match(f) and ("." in f or ":" in f):
                    kind = "reservation"
                else:
                    kind = "temp file" if f.startswith(".") else "file"
                found.append("%s %s" % (kind, rel))
        return found


class Scenario:
    """One plugin set-up: how to ADD and DEL, what must be gone after DEL."""

    name = None
    plugin = None
    victims = ()

    def __init__(self, lab):
        self.lab = lab
        self.skeleton = set()
        self.setup()

    def setup(self):
        pass

    def conf(self):
        raise NotImplementedError

    def path_for(self, victim, inject):
        """CNI_PATH for a run whose victim is victim (a delegate gets a kill wrapper)."""
        return None

    def prefix_for(self, victim, inject):
        if victim == self.plugin:
            return [STRACE, "-qq", "-o", "/dev/null", "--inject=" + inject]
        if victim == "tree":
            return [STRACE, "-f", "-qq", "-o", "/dev/null", "--inject=" + inject]
        return []

    def run(self, command, cid, victim=None, inject=None):
        prefix = self.prefix_for(victim, inject) if inject else []
        path = self.path_for(victim, inject) if inject else None
        return self.lab.run(self.plugin, command, self.conf(), cid, prefix, path)

    def problems(self, cid):
        """What is left of container cid after its DEL."""
        lab, found = self.lab, []
        found += lab.leftovers_in(lab.data, "store")
        found += lab.leftovers_in(lab.state, "state")
        extra = lab.rules() - self.skeleton
        found += ["nft rule %s" % r for r in sorted(extra)]
        return found

    def learn_skeleton(self):
        """Rules a clean ADD+DEL leaves (tables, chains, dispatch rules): not leaks."""
        for cmd in ("ADD", "DEL"):
            res, _ = self.run(cmd, "skeleton")
            if res.rc != 0:
                raise RuntimeError("%s: clean %s failed: %r" % (self.name, cmd, res))
        self.skeleton = self.lab.rules()


class BridgeScenario(Scenario):
    name = "bridge"
    plugin = "bridge"
    victims = ("bridge", "host-local", "tree")

    def setup(self):
        os.symlink(os.path.join(self.lab.bin, "host-local"),
                   os.path.join(self.lab.path, "host-local"))
        self.kill_path = os.path.join(self.lab.tmp, "kill-path")
        os.makedirs(self.kill_path)

    def conf(self):
        return {"cniVersion": "1.0.0", "name": "killnet", "type": "bridge", "bridge": "kbr0",
                "isGateway": True, "ipMasq": True,
                "ipam": {"type": "host-local", "subnet": "10.66.0.0/24",
                         "dataDir": self.lab.data}}

    def path_for(self, victim, inject):
        if victim != "host-local":
            return None
        w = os.path.join(self.kill_path, "host-local")
        with open(w + ".tmp", "w") as f:
            f.write("#!/bin/sh\nexec %s -f -qq -o /dev/null --inject=%s %s\n" %
                    (STRACE, inject, os.path.join(self.lab.bin, "host-local")))
        os.chmod(w + ".tmp", 0o755)
        os.rename(w + ".tmp", w)
        return self.kill_path

    def problems(self, cid):
        found = super().problems(cid)
        if "eth0" in self.lab.links(self.lab.ctr):
            found.append("container interface eth0")
        # the scenario's node has no veth of its own: any is a container's
        found += ["veth %s" % n for n, l in self.lab.links(self.lab.node).items()
                  if l.get("linkinfo", {}).get("info_kind") == "veth"]
        return found


class HostLocalScenario(Scenario):
    name = "host-local"
    plugin = "host-local"
    victims = ("host-local",)

    def conf(self):
        return {"cniVersion": "1.0.0", "name": "killhl", "type": "host-local",
                "ipam": {"type": "host-local", "dataDir": self.lab.data,
                         "ranges": [[{"subnet": "10.67.0.0/24"}], [{"subnet": "fd67::/64"}]]}}


class PortmapScenario(Scenario):
    name = "portmap"
    plugin = "portmap"
    victims = ("portmap",)

    def setup(self):
        n, c = self.lab.node, self.lab.ctr
        n.sh("ip link add pbr0 type bridge && ip link set pbr0 up && "
             "ip addr add 10.68.0.1/24 dev pbr0 && ip addr add fd68::1/64 dev pbr0 nodad")
        n.sh("ip link add kpv0 type veth peer name eth0 netns %s && "
             "ip link set kpv0 master pbr0 up" % c.name)
        c.sh("ip addr add 10.68.0.2/24 dev eth0 && ip addr add fd68::2/64 dev eth0 nodad && "
             "ip link set eth0 up")

    def conf(self):
        return {"cniVersion": "1.0.0", "name": "killpm", "type": "portmap",
                "backend": "nftables",
                "runtimeConfig": {"portMappings": [
                    {"hostPort": 8080, "containerPort": 80, "protocol": "tcp"},
                    {"hostPort": 5353, "containerPort": 53, "protocol": "udp"}]},
                "prevResult": {"cniVersion": "1.0.0",
                               "interfaces": [{"name": "eth0", "sandbox": self.lab.ctr.path}],
                               "ips": [{"address": "10.68.0.2/24", "gateway": "10.68.0.1",
                                        "interface": 0},
                                       {"address": "fd68::2/64", "gateway": "fd68::1",
                                        "interface": 0}]}}


SCENARIOS = {s.name: s for s in (BridgeScenario, HostLocalScenario, PortmapScenario)}


class KillPoint:
    def __init__(self, scenario, verb, victim, kind, n):
        self.scenario, self.verb, self.victim, self.kind, self.n = scenario, verb, victim, kind, n

    def __str__(self):
        return "%s %s victim=%s %s#%d" % (self.scenario, self.verb, self.victim, self.kind,
                                          self.n)


def enumerate_points(sc):
    """Trace undisturbed ADD and DEL runs of sc and list every kill point."""
    points = []
    trace = os.path.join(sc.lab.tmp, "trace.txt")
    for verb in ("ADD", "DEL"):
        if verb == "DEL":
            res, _ = sc.run("ADD", "counting")
            if res.rc != 0:
                raise RuntimeError("%s: ADD failed: %r" % (sc.name, res))
        prefix = [STRACE, "-f", "-qq", "-o", trace]
        res, _ = sc.lab.run(sc.plugin, verb, sc.conf(), "counting", prefix)
        if res.rc != 0:
            raise RuntimeError("%s: traced %s failed: %r" % (sc.name, verb, res))
        if verb == "ADD":
            res, _ = sc.run("DEL", "counting")
        with open(trace) as f:
            lines = f.readlines()
        for victim in sc.victims:
            per_pid = trace_counts(lines, None if victim == "tree" else victim)
            counts = {}
            for c in per_pid.values():
                for k, v in c.items():
                    counts[k] = max(counts.get(k, 0), v)
            for kind in sorted(counts):
                if kind in SKIP_KINDS:
                    continue
                for n in range(1, counts[kind] + 1):
                    points.append(KillPoint(sc.name, verb, victim, kind, n))
    return points


def sample(points, n):
    """n points spread over scenario, verb and victim, state-changing kinds first."""
    groups = {}
    for p in points:
        groups.setdefault((p.scenario, p.verb, p.victim), []).append(p)
    ranked = {}
    for key, ps in groups.items():
        pref = [p for p in ps if p.kind in SAMPLE_KINDS]
        rest = [p for p in ps if p.kind not in SAMPLE_KINDS]
        # alternate between kinds, earliest and latest occurrences first
        by_kind = {}
        for p in pref:
            by_kind.setdefault(p.kind, []).append(p)
        order = []
        while any(by_kind.values()):
            for kind in SAMPLE_KINDS:
                lst = by_kind.get(kind)
                if lst:
                    order.append(lst.pop(0) if len(order) % 2 == 0 else lst.pop())
        ranked[key] = order + rest
    chosen, i = [], 0
    while len(chosen) < n and any(ranked.values()):
        for key in sorted(ranked):
            if ranked[key] and len(chosen) < n:
                chosen.append(ranked[key].pop(0))
        i += 1
    return chosen


def run_point(sc, p, serial):
    """Kill at p, then DEL, check, ADD and DEL again with the same container ID, check.
    Returns a list of failures."""
    cid = "k%05d-%s" % (serial, uuid.uuid4().hex[:6])
    inject = "%s:signal=KILL:when=%d" % (p.kind, p.n)
    fails = []
    if p.verb == "DEL":
        res, _ = sc.run("ADD", cid)
        if res.rc != 0:
            return ["setup ADD failed: %r" % res]
    killed, _ = sc.run(p.verb, cid, p.victim, inject)
    p.killed_rc = killed.rc
    res, _ = sc.run("DEL", cid)
    if res.rc != 0:
        fails.append("DEL after the kill failed: %r" % res)
    left = sc.problems(cid)
    if left:
        fails.append("left after DEL (killed run rc %d): %s" % (killed.rc, "; ".join(left)))
    # the runtime tries again with the same container ID
    res, _ = sc.run("ADD", cid)
    if res.rc != 0:
        fails.append("next ADD failed: %r" % res)
    res, _ = sc.run("DEL", cid)
    if res.rc != 0:
        fails.append("next DEL failed: %r" % res)
    left = sc.problems(cid)
    if left:
        fails.append("left after the next ADD+DEL: %s" % "; ".join(left))
    return fails


def probe(bin_dir, name):
    """What the checks see after an ADD without its DEL (they must see the container)."""
    lab = Lab(bin_dir, name.replace("-", ""))
    try:
        sc = SCENARIOS[name](lab)
        sc.learn_skeleton()
        res, _ = sc.run("ADD", "probe")
        if res.rc != 0:
            raise RuntimeError("%s: ADD failed: %r" % (name, res))
        left = sc.problems("probe")
        res, _ = sc.run("DEL", "probe")
        if res.rc != 0 or sc.problems("probe"):
            raise RuntimeError("%s: DEL failed or left something: %r" % (name, res))
        return left
    finally:
        lab.close()


def sweep(bin_dir, names, n_sample=None, jobs=3, log=print, verbose=False):
    """Run the kill points of the scenarios names; returns (points run, failures, seconds)."""
    if not STRACE:
        raise RuntimeError("strace not installed")
    t0 = time.monotonic()
    labs, scs = [], {}
    try:
        for name in names:
            lab = Lab(bin_dir, name.replace("-", ""))
            labs.append(lab)
            sc = SCENARIOS[name](lab)
            sc.learn_skeleton()
            scs[name] = sc
        points = []
        for name in names:
            points += enumerate_points(scs[name])
        total = len(points)
        if n_sample:
            points = sample(points, n_sample)
        log("kill points: %d enumerated, %d to run" % (total, len(points)))
        by_sc = {}
        for i, p in enumerate(points):
            by_sc.setdefault(p.scenario, []).append((i, p))
        failures, lock = [], threading.Lock()

        def worker(name):
            for i, p in by_sc.get(name, []):
                fails = run_point(scs[name], p, i)
                if verbose:
                    log("%s %s (killed run rc %s)" % ("FAIL" if fails else "ok", p,
                                                      getattr(p, "killed_rc", "?")))
                if fails:
                    with lock:
                        failures.append((str(p), fails))
                        log("FAIL %s: %s" % (p, " | ".join(fails)))
                    # the next point starts clean, whatever this one left
                    scs[name].lab.reset(scs[name])
                    scs[name].learn_skeleton()
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as ex:
            list(ex.map(worker, names))
        return len(points), total, failures, time.monotonic() - t0
    finally:
        for lab in labs:
            lab.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", required=True)
    ap.add_argument("--sample", type=int, default=None)
    ap.add_argument("--scenario", action="append", choices=sorted(SCENARIOS))
    ap.add_argument("--jobs", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true", help="one line per kill point")
    o = ap.parse_args()
    names = o.scenario or ["bridge", "host-local", "portmap"]
    ran, total, failures, secs = sweep(os.path.abspath(o.bin), names, o.sample, o.jobs,
                                       verbose=o.verbose)
    summary = {"kill_points": ran, "enumerated": total, "failures": len(failures),
               "seconds": round(secs, 1)}
    if o.json:
        print(json.dumps(dict(summary, failed=failures), indent=2))
    else:
        print("kill sweep: %(kill_points)d kill points (%(enumerated)d enumerated), "
              "%(failures)d failures, %(seconds)ss" % summary)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
