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
  static      bridge with static as its IPAM; the victim is static (through a wrapper)

and the plugins that run after others in a conflist, each after the chain's earlier
plugins as a runtime runs them (ADD: each plugin given the previous one's result; DEL: the
victim first, then the earlier plugins in reverse, each given the result the runtime
cached; a failed ADD or DEL stops the chain there, as libcni does). The victim is the
chain's last plugin:

  tuning      bridge + host-local, then tuning (MAC, MTU, promiscuous and all-multicast
              mode, queue length, a sysctl; its state files in a dataDir of the scenario)
  bandwidth   bridge + host-local, then bandwidth (ingress and egress limits: tbf qdiscs,
              an ifb device, an ingress qdisc and its redirect filter)
  firewall    bridge + host-local (ipMasq, nftables backend), then firewall
  firewall-iptables
              bridge + host-local (ipMasq, iptables backend), then firewall with
              ingressPolicy same-bridge (the isolation chains)
  loopback    loopback alone, in a container whose lo is down
  sbr         bridge + host-local (IPv4 and IPv6, default routes), then sbr: no policy
              rule of the container's addresses and no route in a table of its own may be
              left after the chain's DEL
  macvlan     macvlan of a veth master in the node with host-local (delegated), ADD and
              DEL; the victim is macvlan, the host-local it runs, or both
  tap         tap with host-local (delegated), MTU, MAC, multiqueue and owner: no link
              but lo may be left in the container (the tap or its temporary name)
  dummy       dummy with host-local, likewise (skipped, with the reason, on a kernel
              without dummy links)
  host-device host-device + host-local: the node's veth end khd0 moved into the container
              as eth0 and back; the victim is host-device or the host-local it runs
  ipvlan      ipvlan (mode l2) on macvlan's veth master, likewise (skipped, with the
              reason, on a kernel without ipvlan)
  vlan        vlan (VLAN id 7) on that master, likewise (skipped on a kernel without
              802.1Q)
  ptp         ptp + host-local + ipMasq (nftables), ADD and DEL; the victim is ptp, the
              host-local it runs, or both: no veth, container link, reservation or
              masquerade rule may be left
  vrf         bridge + host-local, then vrf: eth0 into the VRF kvrf, its routes moved; after
              DEL no VRF may be left and eth0 no longer in it (skipped on a kernel without
              VRF)
  dhcp        macvlan with dhcp (delegated) and our `dhcp daemon`, dnsmasq serving the
              master's network from a namespace of its own; the victim is macvlan or the
              dhcp plugin it runs: no link, no lease in dnsmasq's file and no lease record
              of the daemon may be left (skipped, with the reason, while bin/dhcp has no
              daemon)
  dhcp-daemon the same, the victim our `dhcp daemon` serving the ADD: started afresh for
              each kill point under strace, killed at the N-th call of a kind made in
              serving the ADD (counted from its start, whose calls are the same each
              time), then started again as a supervisor would before the DEL: likewise,
              and no release request of the plugin and no second daemon may be left

The cached result DEL is given is the full chain's after a successful ADD; after a killed
ADD it is the result of the plugins before the victim (the prevResult the victim got,
which holds everything these plugins' DEL reads).

The kill points of a scenario are found by tracing an undisturbed run (strace -f) and
counting, for the victim process, the calls of each kind it makes: one kill point per
(kind, N). After each kill: the runtime's DEL must succeed; then no veth, reservation,
temp file, nftables or iptables rule, portmap marker, tuning state file, ifb device or
qdisc of the container may be left, and the links the victim changes (the container's
eth0 for tuning, lo for loopback) must be as they were before its ADD, checked right after
its DEL (before the earlier plugins' DEL removes them); then ADD and DEL must work and
leave nothing either. (For a killed DEL, the ADD comes first.)

    kill_sweep.py --bin DIR [--sample N] [--scenario NAME ...] [--jobs J] [--json]

--sample N picks N kill points, shared among the scenarios in proportion to the kinds of
system call they make and spread over every verb and victim of each, the same ones on
every run of the same binaries (the integration test does this); without it every kill
point runs. Exits 1 when anything failed or leaked, printing the kill point and what was
left. Needs root (namespaces) and strace, ip, tc and nft; nothing outside the namespaces
and temp dirs made here is touched.
"""
import argparse
import json
import os
import re
import shutil
import socket
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
# What of a link the plugins change and their DEL puts back (LOWER_UP follows the peer).
LINK_KEYS = ("address", "mtu", "txqlen", "promiscuity")
LINK_FLAGS_IGNORED = {"LOWER_UP", "M-DOWN", "NO-CARRIER"}


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
        self.stoppers = []  # processes of the scenario, ended first at close()
        self.data = os.path.join(self.tmp, "data")
        self.state = os.path.join(self.tmp, "portmap-state")
        self.path = os.path.join(self.tmp, "path")
        self.tuning = os.path.join(self.tmp, "tuning")
        for d in (self.data, self.state, self.path, self.tuning):
            os.makedirs(d)

    def netns(self, prefix):
        ns = cnitest.Netns("%s%s" % (prefix, self.tag[:3]))
        self.nss.append(ns)
        return ns

    def close(self):
        for stop in self.stoppers:
            stop()
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

    def link_attrs(self, ns, ifname):
        """What the plugins change of a link, comparable; None when it does not exist."""
        l = self.links(ns).get(ifname)
        if l is None:
            return None
        a = {k: l.get(k) for k in LINK_KEYS}
        a["flags"] = sorted(set(l.get("flags", [])) - LINK_FLAGS_IGNORED)
        return a

    def qdiscs(self, ns):
        """The qdiscs of ns as comparable text."""
        return {"%s %s %s parent %s" % (q.get("dev"), q.get("kind"), q.get("handle"),
                                        "root" if q.get("root") else q.get("parent"))
                for q in ns.json("tc -j qdisc show")}

    def reset(self, scenario):
        """After a failure: remove whatever the scenario left, so the next point starts
        clean (its own leftovers are what it is judged by)."""
        for d, dirs, files in os.walk(self.data):
            for f in files:
                os.unlink(os.path.join(d, f))
        shutil.rmtree(self.state, True)
        os.makedirs(self.state, exist_ok=True)
        for f in os.listdir(self.tuning):
            os.unlink(os.path.join(self.tuning, f))
        self.node.sh("nft flush ruleset", check=False)
        for name, l in self.links(self.node).items():
            if l.get("linkinfo", {}).get("info_kind") == "ifb" or (
                    scenario.bridged and
                    l.get("linkinfo", {}).get("info_kind") == "veth"):
                self.node.sh("ip link del %s" % name, check=False)
        if scenario.bridged:
            self.ctr.sh("ip link del eth0", check=False)
        scenario.reset()

    def leftovers_in(self, root, what):
        """What is left under root ("store": files but the store's bookkeeping; "state":
        portmap's markers and their directories; "tuning": tuning's state files)."""
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
                elif what == "tuning":
                    kind = "tuning temp file" if ".json.tmp" in f else "tuning state file"
                elif IP_NAME.match(f) and ("." in f or ":" in f):
                    kind = "reservation"
                else:
                    kind = "temp file" if f.startswith(".") else "file"
                found.append("%s %s" % (kind, rel))
        return found


class Scenario:
    """One plugin set-up: how to ADD and DEL, what must be gone after DEL."""

    @classmethod
    def unsupported(cls, bin_dir):
        """Why the binaries in bin_dir cannot run the scenario, or None."""
        return None

    name = None
    plugin = None
    victims = ()
    bridged = False  # a bridge of the scenario gives the container a veth pair
    kernel = None    # the kernel feature it needs (a cnitest.KERNEL_FEATURES key), if any

    def __init__(self, lab):
        self.lab = lab
        self.skeleton = set()
        self.skeleton_qdiscs = set()
        self.setup()

    def setup(self):
        pass

    def reset(self):
        """After a failure: put back what setup() prepared and a failure may have changed."""

    def conf(self):
        raise NotImplementedError

    def path_for(self, victim, inject):
        """CNI_PATH for a run whose victim is victim (a delegate gets a kill wrapper)."""
        return None

    def prefix_for(self, victim, inject, trace=None):
        if trace:
            return [STRACE, "-f", "-qq", "-o", trace]
        if not inject:
            return []
        if victim == self.plugin:
            return [STRACE, "-qq", "-o", "/dev/null", "--inject=" + inject]
        if victim == "tree":
            return [STRACE, "-f", "-qq", "-o", "/dev/null", "--inject=" + inject]
        return []

    def run(self, command, cid, victim=None, inject=None, trace=None):
        """Run command as the runtime does (victim killed by inject, or traced to trace);
        returns the outcome and the seconds it took."""
        prefix = self.prefix_for(victim, inject, trace)
        path = self.path_for(victim, inject) if inject else None
        return self.lab.run(self.plugin, command, self.conf(), cid, prefix, path)

    def problems(self, cid):
        """What is left of container cid after its DEL."""
        lab, found = self.lab, []
        found += lab.leftovers_in(lab.data, "store")
        found += lab.leftovers_in(lab.state, "state")
        found += lab.leftovers_in(lab.tuning, "tuning")
        extra = lab.rules() - self.skeleton
        found += ["nft rule %s" % r for r in sorted(extra)]
        links = lab.links(lab.node)
        kinds = {n: l.get("linkinfo", {}).get("info_kind") for n, l in links.items()}
        found += ["ifb device %s" % n for n, k in sorted(kinds.items()) if k == "ifb"]
        found += ["qdisc %s" % q for q in sorted(lab.qdiscs(lab.node) - self.skeleton_qdiscs)]
        if self.bridged:
            if "eth0" in lab.links(lab.ctr):
                found.append("container interface eth0")
            # the scenario's node has no veth of its own: any is a container's
            found += ["veth %s" % n for n, k in sorted(kinds.items()) if k == "veth"]
        return found

    def learn_skeleton(self):
        """Rules and qdiscs a clean ADD+DEL leaves (tables, chains, dispatch rules, the
        bridge's qdisc): not leaks."""
        for cmd in ("ADD", "DEL"):
            res, _ = self.run(cmd, "skeleton")
            if res.rc != 0:
                raise RuntimeError("%s: clean %s failed: %r" % (self.name, cmd, res))
        self.skeleton = self.lab.rules()
        self.skeleton_qdiscs = self.lab.qdiscs(self.lab.node)


def bridge_conf(lab, net, subnet, **kw):
    """A bridge (kbr0, gateway) with host-local over subnet, for network net."""
    c = {"cniVersion": "1.0.0", "name": net, "type": "bridge", "bridge": "kbr0",
         "isGateway": True,
         "ipam": {"type": "host-local", "subnet": subnet, "dataDir": lab.data}}
    c.update(kw)
    return c


class BridgeScenario(Scenario):
    name = "bridge"
    plugin = "bridge"
    victims = ("bridge", "host-local", "tree")
    bridged = True
    ipam = "host-local"  # the delegate a wrapper can kill

    def setup(self):
        os.symlink(os.path.join(self.lab.bin, self.ipam),
                   os.path.join(self.lab.path, self.ipam))
        self.kill_path = os.path.join(self.lab.tmp, "kill-path")
        os.makedirs(self.kill_path)

    def conf(self):
        return bridge_conf(self.lab, "killnet", "10.66.0.0/24", ipMasq=True)

    def path_for(self, victim, inject):
        if victim != self.ipam:
            return None
        w = os.path.join(self.kill_path, self.ipam)
        with open(w + ".tmp", "w") as f:
            f.write("#!/bin/sh\nexec %s -f -qq -o /dev/null --inject=%s %s\n" %
                    (STRACE, inject, os.path.join(self.lab.bin, self.ipam)))
        os.chmod(w + ".tmp", 0o755)
        os.rename(w + ".tmp", w)
        return self.kill_path


class StaticScenario(BridgeScenario):
    name = "static"
    victims = ("static",)
    ipam = "static"

    def conf(self):
        return {"cniVersion": "1.0.0", "name": "killst", "type": "bridge", "bridge": "kbr0",
                "isGateway": True,
                "ipam": {"type": "static", "addresses": [
                    {"address": "10.69.0.5/24", "gateway": "10.69.0.1"},
                    {"address": "fd69::5/64", "gateway": "fd69::1"}]}}


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


class MacvlanScenario(BridgeScenario):
    """macvlan with host-local: after DEL no link may be left in the container (neither
    eth0 nor a temporary name) and no macvlan in the node."""
    name = "macvlan"
    plugin = "macvlan"
    victims = ("macvlan", "host-local", "tree")
    bridged = False

    def setup(self):
        super().setup()
        self.lab.node.sh("ip link add kmv0 type veth peer name kmv1 && "
                         "ip link set kmv0 up && ip link set kmv1 up")

    def reset(self):
        for name in self.lab.links(self.lab.ctr):
            if name != "lo":
                self.lab.ctr.sh("ip link del %s" % name, check=False)

    def conf(self):
        return {"cniVersion": "1.0.0", "name": "killmv", "type": "macvlan", "master": "kmv0",
                "ipam": {"type": "host-local", "subnet": "10.74.0.0/24",
                         "dataDir": self.lab.data}}

    def problems(self, cid):
        lab, found = self.lab, super().problems(cid)
        found += ["container link %s" % n for n in sorted(lab.links(lab.ctr)) if n != "lo"]
        found += ["node link %s" % n for n in sorted(lab.links(lab.node))
                  if n not in ("lo", "kmv0", "kmv1")]
        return found


class HostDeviceScenario(BridgeScenario):
    """The node's veth end khd0 (up, its peer in the node) moved into the container as eth0
    (moved, renamed and aliased in one request each way). After DEL it must be back in the
    node under its name, without alias or marker, and nothing of it in the container,
    whatever step the kill stopped."""
    name = "host-device"
    plugin = "host-device"
    victims = ("host-device", "host-local")
    bridged = False
    ipam = "host-local"
    device = "khd0"

    def setup(self):
        super().setup()
        self.make_device()

    def make_device(self):
        self.lab.node.sh("ip link add %s type veth peer name %sp && ip link set %s up && "
                         "ip link set %sp up" % ((self.device,) * 4))

    def reset(self):
        for name in self.lab.links(self.lab.ctr):
            if name != "lo":
                self.lab.ctr.sh("ip link del %s" % name, check=False)
        self.lab.node.sh("ip link del %s" % self.device, check=False)
        self.lab.node.sh("ip link del %sp" % self.device, check=False)
        self.make_device()

    def conf(self):
        return {"cniVersion": "1.0.0", "name": "killhd", "type": "host-device",
                "device": self.device,
                "ipam": {"type": "host-local", "subnet": "10.76.0.0/24",
                         "dataDir": self.lab.data}}

    def problems(self, cid):
        found = super().problems(cid)
        l = self.lab.links(self.lab.node).get(self.device)
        if l is None:
            found.append("device %s not in the node" % self.device)
        else:
            if l.get("ifalias"):
                found.append("device %s keeps alias %s" % (self.device, l["ifalias"]))
            found += ["device %s keeps alternative name %s" % (self.device, a)
                      for a in l.get("altnames", []) if a.startswith("cni-hostdev-")]
        found += ["container link %s" % n for n in sorted(self.lab.links(self.lab.ctr))
                  if n != "lo"]
        return found


class ChainScenario(Scenario):
    """The victim (plugin, the chain's last) run after the chain's earlier plugins as a
    runtime runs a conflist. watch names the links, as (namespace attribute of the lab,
    name), that the victim changes and its DEL must put back while they exist."""

    watch = ()

    def __init__(self, lab):
        self.cached = {}     # container ID -> the result the runtime cached
        self.before = {}     # container ID -> the watched links before the victim's ADD
        self.after_del = {}  # container ID -> what the victim's last DEL did not put back
        super().__init__(lab)
        self.victims = (self.plugin,)

    def setup(self):
        os.symlink(os.path.join(self.lab.bin, "host-local"),
                   os.path.join(self.lab.path, "host-local"))

    def chain(self):
        """The plugins' configs in the conflist's order; the last is the victim's."""
        raise NotImplementedError

    def conf(self):
        return self.chain()[-1]

    def watched(self):
        return {"link %s" % name: self.lab.link_attrs(getattr(self.lab, ns), name)
                for ns, name in self.watch}

    def changes(self, cid):
        """The watched links that exist and differ from before the victim's ADD."""
        before, found = self.before.get(cid, {}), []
        for k, now in sorted(self.watched().items()):
            was = before.get(k)
            if was is not None and now is not None and now != was:
                diff = ["%s %s -> %s" % (a, was[a], now[a]) for a in sorted(was)
                        if was[a] != now[a]]
                found.append("%s not put back: %s" % (k, ", ".join(diff)))
        return found

    def run(self, command, cid, victim=None, inject=None, trace=None):
        prefix = self.prefix_for(victim, inject, trace)
        confs, secs, res = self.chain(), 0.0, None
        if command == "ADD":
            self.cached.pop(cid, None)
            for i, c in enumerate(confs):
                last = i == len(confs) - 1
                if last:
                    self.before[cid] = self.watched()
                if cid in self.cached:
                    c = dict(c, prevResult=self.cached[cid])
                res, t = self.lab.run(c["type"], command, c, cid, prefix if last else ())
                secs += t
                if res.rc != 0:
                    return res, secs  # the runtime keeps what it had: see the docstring
                self.cached[cid] = res.json
            return res, secs
        self.after_del.pop(cid, None)
        for i, c in enumerate(reversed(confs)):
            if cid in self.cached:
                c = dict(c, prevResult=self.cached[cid])
            res, t = self.lab.run(c["type"], command, c, cid, prefix if i == 0 else ())
            secs += t
            if res.rc != 0:
                return res, secs
            if i == 0:
                self.after_del[cid] = self.changes(cid)
        self.cached.pop(cid, None)
        return res, secs

    def problems(self, cid):
        return super().problems(cid) + self.after_del.get(cid, []) + self.changes(cid)


class TuningScenario(ChainScenario):
    name = "tuning"
    plugin = "tuning"
    bridged = True
    watch = (("ctr", "eth0"),)

    def chain(self):
        return [bridge_conf(self.lab, "killtu", "10.70.0.0/24"),
                {"cniVersion": "1.0.0", "name": "killtu", "type": "tuning",
                 "mac": "0a:58:0a:46:00:63", "mtu": 1400, "promisc": True, "allmulti": True,
                 "txQLen": 333, "sysctl": {"net.ipv4.conf.eth0.arp_filter": "1"},
                 "dataDir": self.lab.tuning}]


class BandwidthScenario(ChainScenario):
    name = "bandwidth"
    plugin = "bandwidth"
    bridged = True

    def chain(self):
        return [bridge_conf(self.lab, "killbw", "10.71.0.0/24"),
                {"cniVersion": "1.0.0", "name": "killbw", "type": "bandwidth",
                 "ingressRate": 8000000, "ingressBurst": 80000,
                 "egressRate": 8000000, "egressBurst": 80000}]


class FirewallScenario(ChainScenario):
    name = "firewall"
    plugin = "firewall"
    bridged = True

    def chain(self):
        return [bridge_conf(self.lab, "killfw", "10.72.0.0/24", ipMasq=True,
                            ipMasqBackend="nftables"),
                {"cniVersion": "1.0.0", "name": "killfw", "type": "firewall"}]


class FirewallIptablesScenario(ChainScenario):
    name = "firewall-iptables"
    plugin = "firewall"
    bridged = True

    def chain(self):
        return [bridge_conf(self.lab, "killfi", "10.73.0.0/24", ipMasq=True,
                            ipMasqBackend="iptables"),
                {"cniVersion": "1.0.0", "name": "killfi", "type": "firewall",
                 "backend": "iptables", "ingressPolicy": "same-bridge"}]


class LoopbackScenario(ChainScenario):
    name = "loopback"
    plugin = "loopback"
    watch = (("ctr", "lo"),)

    def setup(self):
        self.reset()

    def reset(self):
        # a runtime's new sandbox: lo down until loopback's ADD
        self.lab.ctr.sh("ip link set lo down")

    def chain(self):
        return [{"cniVersion": "1.0.0", "name": "killlo", "type": "loopback"}]


class SbrScenario(ChainScenario):
    name = "sbr"
    plugin = "sbr"
    bridged = True

    def chain(self):
        c = bridge_conf(self.lab, "killsb", "10.77.0.0/24")
        c["ipam"] = {"type": "host-local", "dataDir": self.lab.data,
                     "ranges": [[{"subnet": "10.77.0.0/24"}], [{"subnet": "fd77::/64"}]],
                     "routes": [{"dst": "0.0.0.0/0"}, {"dst": "::/0"}]}
        return [c, {"cniVersion": "1.0.0", "name": "killsb", "type": "sbr"}]

    def reset(self):
        for fam in ("-4", "-6"):
            for r in self.lab.ctr.json("ip -j %s rule show" % fam):
                if r.get("src", "all") != "all":
                    self.lab.ctr.sh("ip %s rule del pref %s" % (fam, r["priority"]),
                                    check=False)

    def problems(self, cid):
        found = super().problems(cid)
        for fam in ("-4", "-6"):
            found += ["rule %s from %s lookup %s" % (r["priority"], r["src"], r["table"])
                      for r in self.lab.ctr.json("ip -j %s rule show" % fam)
                      if r.get("src", "all") != "all"]
            found += ["route %s table %s" % (r.get("dst"), r.get("table"))
                      for r in self.lab.ctr.json("ip -j %s route show table all" % fam)
                      if r.get("table") not in (None, "main", "local")]
        return found


class LinkScenario(Scenario):
    """An interface plugin that makes one link in the container, host-local delegated: after
    DEL no link but lo may be left there (the final name or a temporary one)."""

    def setup(self):
        os.symlink(os.path.join(self.lab.bin, "host-local"),
                   os.path.join(self.lab.path, "host-local"))

    def reset(self):
        for name in self.lab.links(self.lab.ctr):
            if name != "lo":
                self.lab.ctr.sh("ip link del %s" % name, check=False)

    def problems(self, cid):
        return super().problems(cid) + ["container link %s" % n for n in
                                        sorted(self.lab.links(self.lab.ctr)) if n != "lo"]


class TapScenario(LinkScenario):
    name = "tap"
    plugin = "tap"
    victims = ("tap",)
    kernel = "tun"

    def conf(self):
        return {"cniVersion": "1.0.0", "name": "killtap", "type": "tap", "mtu": 1400,
                "mac": "0a:58:0a:4a:00:09", "multiQueue": True, "owner": 4242,
                "ipam": {"type": "host-local", "subnet": "10.74.0.0/24",
                         "dataDir": self.lab.data}}


class DummyScenario(LinkScenario):
    name = "dummy"
    plugin = "dummy"
    victims = ("dummy",)
    kernel = "dummy"

    def conf(self):
        return {"cniVersion": "1.0.0", "name": "killdm", "type": "dummy",
                "ipam": {"type": "host-local", "subnet": "10.75.0.0/24",
                         "dataDir": self.lab.data}}


class IpvlanScenario(MacvlanScenario):
    """ipvlan (mode l2) on the veth master with host-local: likewise."""
    name = "ipvlan"
    plugin = "ipvlan"
    victims = ("ipvlan", "host-local", "tree")
    kernel = "ipvlan"

    def conf(self):
        return {"cniVersion": "1.0.0", "name": "killiv", "type": "ipvlan", "master": "kmv0",
                "mode": "l2", "ipam": {"type": "host-local", "subnet": "10.70.0.0/24",
                                       "dataDir": self.lab.data}}


class VlanScenario(MacvlanScenario):
    """vlan (VLAN id 7) on the veth master with host-local: likewise (a VLAN link left
    anywhere would also hold the id, failing the next ADD)."""
    name = "vlan"
    plugin = "vlan"
    victims = ("vlan", "host-local", "tree")
    kernel = "802.1Q vlan"

    def conf(self):
        return {"cniVersion": "1.0.0", "name": "killvl", "type": "vlan", "master": "kmv0",
                "vlanId": 7, "ipam": {"type": "host-local", "subnet": "10.71.0.0/24",
                                      "dataDir": self.lab.data}}


class DhcpScenario(MacvlanScenario):
    """macvlan with dhcp: the master's other end in a server namespace where dnsmasq
    serves 10.73.0.0/24, our daemon in the node (a private mount namespace, its socket and
    state directory in the lab). After DEL no link may be left, dnsmasq must have taken the
    release (no lease left in its file) and the daemon must hold no lease record."""
    name = "dhcp"
    plugin = "macvlan"
    victims = ("macvlan", "dhcp")
    ipam = "dhcp"

    @classmethod
    def unsupported(cls, bin_dir):
        p = subprocess.run([os.path.join(bin_dir, "dhcp"), "daemon", "-h"],
                           capture_output=True, text=True, stdin=subprocess.DEVNULL,
                           env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
        if "-socketpath" not in p.stdout + p.stderr:
            return "bin/dhcp has no daemon (`dhcp daemon`)"
        if not shutil.which("dnsmasq"):
            return "dnsmasq is not installed"
        return None

    def setup(self):
        super().setup()
        lab = self.lab
        self.srv = lab.netns("ks")
        lab.node.sh("ip link set kmv1 netns %s" % self.srv.name)
        self.srv.sh("ip addr add 10.73.0.1/24 dev kmv1 && ip link set kmv1 up")
        # the node on the server's LAN, as a macvlan master's host is: the daemon gives back
        # from there the lease of an interface that went away before it could
        lab.node.sh("ip addr add 10.73.0.2/24 dev kmv0")
        self.sock = os.path.join(lab.tmp, "dhcp.sock")
        self.dstate = os.path.join(lab.tmp, "dhcp-state")
        self.leases = os.path.join(lab.tmp, "dnsmasq.leases")
        pidfile = os.path.join(lab.tmp, "dnsmasq.pid")
        self.spawn(self.srv, [
            "dnsmasq", "-k", "--conf-file=/dev/null", "--port=0", "--user=root",
            "--interface=kmv1", "--bind-interfaces", "--no-ping",
            "--dhcp-range=10.73.0.100,10.73.0.200,255.255.255.0,10m",
            "--dhcp-option=option:router,10.73.0.1", "--dhcp-leasefile=" + self.leases,
            "--pid-file=" + pidfile], lambda: os.path.exists(pidfile), "dnsmasq")
        self.spawn(lab.node, [os.path.join(lab.bin, "dhcp"), "daemon", "-socketpath",
                              self.sock, "-statedir", self.dstate, "-timeout", "5s"],
                   lambda: os.path.exists(self.sock), "the dhcp daemon")

    def spawn(self, ns, argv, ready, what):
        """argv in ns and a private mount namespace, ended by PID at the lab's close."""
        p = subprocess.Popen(["nsenter", "--net=" + ns.path, "--", "unshare", "-m",
                              "--propagation", "slave", "--"] + argv,
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)

        def stop():
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        self.lab.stoppers.append(stop)
        cnitest.wait_for(lambda: ready() or p.poll() is not None, what, timeout=30)
        if p.poll() is not None:
            raise RuntimeError("%s did not start" % what)

    def conf(self):
        return {"cniVersion": "1.0.0", "name": "killdh", "type": "macvlan", "master": "kmv0",
                "ipam": {"type": "dhcp", "daemonSocketPath": self.sock,
                         "daemonAutostart": False, "daemonTimeout": 20}}

    def lease_lines(self):
        try:
            with open(self.leases) as f:
                return [l.strip() for l in f if l.strip()]
        except FileNotFoundError:
            return []

    def problems(self, cid):
        found = super().problems(cid)
        # dnsmasq takes the release after DEL returns: wait for it. The bound only ends a
        # wait for a release that never comes (then the lease is reported); a busy machine
        # must not turn a slow release into a finding.
        deadline = time.monotonic() + 60
        while self.lease_lines() and time.monotonic() < deadline:
            time.sleep(0.02)
        found += ["dhcp lease %s" % l for l in self.lease_lines()]
        d = os.path.join(self.dstate, "leases")
        found += ["dhcp lease record %s" % f for f in
                  (sorted(os.listdir(d)) if os.path.isdir(d) else [])]
        return found


class DhcpDaemonScenario(DhcpScenario):
    """macvlan with dhcp as in the dhcp scenario; the victim is our `dhcp daemon` serving
    the attachment's ADD. For each kill point the daemon is started afresh (an empty state
    directory: its start makes the same calls every time) under strace, killed at the N-th
    call of one kind, started again as a supervisor would, then DEL. Besides what the dhcp
    scenario checks, no release request and no second daemon may be left."""
    name = "dhcp-daemon"
    victims = ("daemon",)
    # Calls whose number depends on when events arrive, not on what the daemon does (how
    # many wakeups, so how often the timer is armed; how many reads of the connection and
    # the packet socket until EAGAIN): not kill points. Any other kind whose count differs
    # between the two traced runs is left out too.
    TIMED_KINDS = {"epoll_wait", "epoll_pwait", "read", "recvmsg", "timerfd_settime"}

    def spawn(self, ns, argv, ready, what):
        if what != "the dhcp daemon":
            return super().spawn(ns, argv, ready, what)
        self.daemon_argv = argv
        self.proc = None
        self.lab.stoppers.append(self.stop_daemon)
        self.start_daemon()

    def start_daemon(self, prefix=()):
        """The daemon in the node and a private mount namespace, with prefix (strace);
        returns once it waits for clients (it logs "listening on" just before its loop)."""
        self.stop_daemon()
        if os.path.exists(self.sock):
            os.unlink(self.sock)  # a killed daemon's, so that readiness below is its own
        self.starts = getattr(self, "starts", 0) + 1
        self.dlog = os.path.join(self.lab.tmp, "daemon-%d.log" % self.starts)
        with open(self.dlog, "w") as log:
            self.proc = subprocess.Popen(
                ["nsenter", "--net=" + self.lab.node.path, "--", "unshare", "-m",
                 "--propagation", "slave", "--"] + list(prefix) + self.daemon_argv,
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log)

        def listening():
            with open(self.dlog) as f:
                return "listening on" in f.read()
        cnitest.wait_for(lambda: listening() or self.proc.poll() is not None,
                         "the dhcp daemon", timeout=30)
        if self.proc.poll() is not None:
            raise RuntimeError("the dhcp daemon did not start: %s" % open(self.dlog).read())

    def stop_daemon(self):
        p, self.proc = self.proc, None
        if p is None or p.poll() is not None:
            return
        # the daemon itself (under strace, strace's child: strace would let it go)
        pid = self.daemon_pid(p)
        if pid is not None:
            try:
                os.kill(pid, 15)
            except ProcessLookupError:
                pass
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()

    @staticmethod
    def daemon_pid(p):
        """The daemon's PID: p's own, or under strace its child's; None once it ended."""
        pid = p.pid
        try:
            with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
                kids = f.read().split()
        except OSError:
            kids = []
        if p.poll() is not None:
            return None
        return int(kids[0]) if kids else pid

    def reset(self):
        super().reset()
        for sub in ("leases", "release"):
            d = os.path.join(self.dstate, sub)
            for f in (os.listdir(d) if os.path.isdir(d) else []):
                os.unlink(os.path.join(d, f))
        self.start_daemon()

    def trace_add(self, cid, trace):
        """Calls of each kind the daemon makes before it accepts its first client, and
        from there (the plugin's connection) to the next accept that returns a connection
        (one made after the ADD returned, so after the plugin's connection was closed)."""
        self.start_daemon([STRACE, "-f", "-qq", "-o", trace])
        res, _ = self.lab.run(self.plugin, "ADD", self.conf(), cid)
        if res.rc != 0:
            raise RuntimeError("%s: traced ADD failed: %r" % (self.name, res))
        cnitest.wait_for(lambda: self.connect_once(), "a connection to the daemon", 30)
        self.stop_daemon()
        with open(trace) as f:
            lines = f.readlines()
        pre, during, accepts = {}, {}, 0
        started = None
        for line in lines:
            m = re.match(r"^(\d+)\s+([a-z_0-9]+)\((.*)", line)
            if not m:
                continue
            pid, kind, args = m.groups()
            if started is None and kind == "execve" and re.match(
                    r'"[^"]*/dhcp"', args):
                started = pid
            if pid != started:
                continue
            if kind == "accept4" and not re.search(r"\) = -1 ", args):
                accepts += 1
                if accepts == 2:
                    break
            counts = pre if accepts == 0 else during
            counts[kind] = counts.get(kind, 0) + 1
        if accepts < 2:
            raise RuntimeError("%s: the trace has no second accept" % self.name)
        self.start_daemon()
        res, _ = self.lab.run(self.plugin, "DEL", self.conf(), cid)
        if res.rc != 0:
            raise RuntimeError("%s: DEL after the traced ADD failed: %r" % (self.name, res))
        return pre, during

    def connect_once(self):
        """Connect to the daemon's socket and hang up."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(self.sock)
            return True
        except OSError:
            return False
        finally:
            s.close()

    def kill_points(self):
        """One point per (kind, N) of the calls made in serving ADD, N counted from the
        accept of the plugin's connection (run() adds the calls of the kind the daemon's
        start makes). Kinds whose counts differ between two traced runs are left out, and
        named in self.note."""
        trace = os.path.join(self.lab.tmp, "trace.txt")
        runs = [self.trace_add("counting", trace) for _ in range(2)]
        (pre, during), (pre2, during2) = runs
        points = []
        varying = sorted(k for k in set(during) | set(during2) | set(pre) | set(pre2)
                         if k not in SKIP_KINDS and k not in self.TIMED_KINDS and
                         (during.get(k) != during2.get(k) or pre.get(k) != pre2.get(k)))
        self.pre = pre
        for kind in sorted(during):
            if kind in SKIP_KINDS or kind in self.TIMED_KINDS or kind in varying:
                continue
            for n in range(1, during[kind] + 1):
                points.append(KillPoint(self.name, "ADD", "daemon", kind, n))
        left = sorted(k for k in during if k in self.TIMED_KINDS) + varying
        self.note = "%s: calls left out (their number varies from run to run): %s" % (
            self.name, ", ".join(left) or "none")
        return points

    def run(self, command, cid, victim=None, inject=None, trace=None):
        if victim != "daemon" or not inject:
            return super().run(command, cid, victim, inject, trace)
        kind, when = re.match(r"^(\w+):signal=KILL:when=(\d+)$", inject).groups()
        inject = "%s:signal=KILL:when=%d" % (kind, self.pre.get(kind, 0) + int(when))
        self.start_daemon([STRACE, "-qq", "-o", "/dev/null", "--inject=" + inject])
        killed = self.proc
        res = self.lab.run(self.plugin, command, self.conf(), cid)
        try:
            killed.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            self.missed = "the daemon was not killed at %s" % inject
        # the supervisor starts it again
        self.start_daemon()
        return res

    def problems(self, cid):
        found = super().problems(cid)
        if getattr(self, "missed", None):
            found.append(self.missed)
            self.missed = None
        d = os.path.join(self.dstate, "release")
        found += ["dhcp release request %s" % f for f in
                  (sorted(os.listdir(d)) if os.path.isdir(d) else [])]
        mine = self.proc.pid if self.proc and self.proc.poll() is None else None
        for pid in os.listdir("/proc"):
            if not pid.isdigit() or int(pid) == mine:
                continue
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    argv = f.read().split(b"\0")
            except OSError:
                continue
            if self.sock.encode() in argv:
                found.append("dhcp daemon pid %s" % pid)
        if mine is None:
            found.append("no dhcp daemon running")
        return found


class PtpScenario(BridgeScenario):
    """ptp with host-local and ipMasq: the veth pair (the node's end holds the gateway and
    the host route), the container's routes, a masquerade rule."""
    name = "ptp"
    plugin = "ptp"
    victims = ("ptp", "host-local", "tree")

    def conf(self):
        return {"cniVersion": "1.0.0", "name": "killptp", "type": "ptp", "ipMasq": True,
                "ipam": {"type": "host-local", "subnet": "10.75.0.0/24",
                         "dataDir": self.lab.data}}


class VrfScenario(ChainScenario):
    name = "vrf"
    plugin = "vrf"
    bridged = True
    kernel = "vrf"
    watch = (("ctr", "eth0"),)

    def chain(self):
        return [bridge_conf(self.lab, "killvrf", "10.76.0.0/24"),
                {"cniVersion": "1.0.0", "name": "killvrf", "type": "vrf", "vrfname": "kvrf"}]

    def watched(self):
        # the link's master too: the victim's DEL must take it out of the VRF
        w = super().watched()
        link = self.lab.links(self.lab.ctr).get("eth0")
        if w.get("link eth0") is not None and link is not None:
            w["link eth0"]["master"] = link.get("master")
        return w

    def problems(self, cid):
        links = self.lab.links(self.lab.ctr)
        return super().problems(cid) + [
            "vrf device %s" % n for n, l in sorted(links.items())
            if l.get("linkinfo", {}).get("info_kind") == "vrf"]


SCENARIOS = {s.name: s for s in (BridgeScenario, HostLocalScenario, PortmapScenario,
                                 StaticScenario, TuningScenario, BandwidthScenario,
                                 FirewallScenario, FirewallIptablesScenario,
                                 LoopbackScenario, SbrScenario, MacvlanScenario, TapScenario,
                                 DummyScenario, HostDeviceScenario, IpvlanScenario,
                                 VlanScenario, PtpScenario, VrfScenario, DhcpScenario,
                                 DhcpDaemonScenario)}


def kernel_skips(names):
    """The scenarios of names whose kernel feature this kernel lacks, with the reason."""
    return {n: cnitest.kernel_lacks(SCENARIOS[n].kernel) for n in names
            if SCENARIOS[n].kernel and cnitest.kernel_lacks(SCENARIOS[n].kernel)}


class KillPoint:
    def __init__(self, scenario, verb, victim, kind, n):
        self.scenario, self.verb, self.victim, self.kind, self.n = scenario, verb, victim, kind, n
        self.back = None  # set by sample(): counted from the last call of its kind (0)

    def __str__(self):
        if self.back is None:
            n = str(self.n)
        else:
            n = "last-%d" % self.back if self.back else "last"
        return "%s %s victim=%s %s#%s" % (self.scenario, self.verb, self.victim, self.kind, n)


def enumerate_points(sc):
    """Trace undisturbed ADD and DEL runs of sc and list every kill point."""
    if hasattr(sc, "kill_points"):
        return sc.kill_points()
    points = []
    trace = os.path.join(sc.lab.tmp, "trace.txt")
    for verb in ("ADD", "DEL"):
        if verb == "DEL":
            res, _ = sc.run("ADD", "counting")
            if res.rc != 0:
                raise RuntimeError("%s: ADD failed: %r" % (sc.name, res))
        res, _ = sc.run(verb, "counting", trace=trace)
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
    """n points, the same ones on every run: each scenario gets a share of n in proportion
    to the kinds of system call it makes per verb and victim (at least one point per verb
    and victim), spread round-robin over them, state-changing kinds first, alternating
    between the first and the last calls of a kind. (How many calls of a kind a run makes
    can vary, portmap's conntrack flush depends on what the namespace has seen, so a
    share follows the kinds, not the counts, and late calls are named from the last one.)"""
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
        count = {kind: len(lst) for kind, lst in by_kind.items()}
        order = []
        while any(by_kind.values()):
            for kind in SAMPLE_KINDS:
                lst = by_kind.get(kind)
                if lst and len(order) % 2 == 0:
                    order.append(lst.pop(0))
                elif lst:
                    order.append(lst.pop())
                    order[-1].back = count[kind] - order[-1].n
        ranked[key] = order + rest
    # each scenario one point per group, the rest by largest remainder
    per_sc = {}
    for key in {(p.scenario, p.verb, p.victim, p.kind) for p in points}:
        per_sc[key[0]] = per_sc.get(key[0], 0) + 1
    quota = {name: sum(1 for k in ranked if k[0] == name) for name in per_sc}
    rest = max(0, n - sum(quota.values()))
    shares = {name: rest * c / sum(per_sc.values()) for name, c in per_sc.items()}
    for name in shares:
        quota[name] += int(shares[name])
    left = rest - sum(int(v) for v in shares.values())
    for name in sorted(shares, key=lambda x: (int(shares[x]) - shares[x], x))[:left]:
        quota[name] += 1
    chosen = []
    for name in sorted(quota):
        keys = sorted(k for k in ranked if k[0] == name)
        picked = 0
        while picked < quota[name] and any(ranked[k] for k in keys):
            for key in keys:
                if ranked[key] and picked < quota[name]:
                    chosen.append(ranked[key].pop(0))
                    picked += 1
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


def probe_lost_state(bin_dir):
    """What the checks see after a tuning DEL that found no state file (removed after the
    ADD): the container link it did not put back (the check after the victim's DEL, before
    the bridge's DEL removes the link, must see it)."""
    lab = Lab(bin_dir, "tuning")
    try:
        sc = TuningScenario(lab)
        res, _ = sc.run("ADD", "probe")
        if res.rc != 0:
            raise RuntimeError("tuning: ADD failed: %r" % res)
        for f in os.listdir(lab.tuning):
            os.unlink(os.path.join(lab.tuning, f))
        res, _ = sc.run("DEL", "probe")
        if res.rc != 0:
            raise RuntimeError("tuning: DEL failed: %r" % res)
        return sc.problems("probe")
    finally:
        lab.close()


def sweep(bin_dir, names, n_sample=None, jobs=3, log=print, verbose=False):
    """Run the kill points of the scenarios names; returns (points run, failures, seconds)."""
    if not STRACE:
        raise RuntimeError("strace not installed")
    t0 = time.monotonic()
    labs, scs, found = [], {}, {}
    skipped = kernel_skips(names)
    for name, why in sorted(skipped.items()):
        log("scenario %s skipped: kernel lacks %s (%s)" % (name, SCENARIOS[name].kernel, why))
    for name in names:
        why = SCENARIOS[name].unsupported(bin_dir)
        if why and name not in skipped:
            skipped[name] = why
            log("scenario %s skipped: %s" % (name, why))
    names = [n for n in names if n not in skipped]

    def prepare(name):
        lab = Lab(bin_dir, name.replace("-", ""))
        labs.append(lab)
        sc = SCENARIOS[name](lab)
        sc.learn_skeleton()
        scs[name] = sc
        found[name] = enumerate_points(sc)
    try:
        # the scenarios are set up and traced side by side, each in namespaces of its own
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as ex:
            list(ex.map(prepare, names))
        points = []
        for name in names:
            points += found[name]
        total = len(points)
        per_sc = {}
        for p in points:
            per_sc[p.scenario] = per_sc.get(p.scenario, 0) + 1
        log("kill points per scenario: %s" % ", ".join(
            "%s %d" % (name, per_sc.get(name, 0)) for name in names))
        for name in names:
            if getattr(scs[name], "note", None):
                log(scs[name].note)
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
    names = o.scenario or list(SCENARIOS)
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
