#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Benchmarks of this suite's plugins side by side with Debian's Go reference plugins
(containernetworking-plugins, /usr/lib/cni): `make bench`, or

    python3 bench/run.py --bin DIR [--ref DIR] [--iterations N] [--occupancy N]
                         [--concurrency N] [--parallel N] [--quick] [--out DIR]

Everything runs in network namespaces made here (one "node" namespace per implementation
standing in for the host, container namespaces as needed) and temp dirs; nothing of the
machine's own network is touched. Ours and the reference alternate A B A B, so that load
on the machine meets both alike. Each figure is one plugin execution as a runtime pays
for it: fork, exec, the work, exit (the time until its stdout closes).

 1. every verb of bridge (ipMasq off/on, IPv4 and dual stack), host-local, portmap (2
    mappings, tcp and udp), macvlan (with host-local, of a veth master in the node), ptp
    (with host-local, ipMasq off and on), sbr (a container link with two routes, the same
    prevResult for both), and
    the containerd default conflist through bin/cnitool: median and p90, ratio
    reference/ours; tap (L2 and with host-local), ours alone (the reference 1.1.1 has no
    tap); loopback, static, tuning, bandwidth, firewall (iptables), dhcp (each side's
    daemon against one dnsmasq), ipvlan, vlan, dummy (ours alone) and vrf, the last four
    in one QEMU guest when this kernel lacks those links;
 1b. our chain (bridge, host-local, portmap through bin/cnitool) against podman's
    netavark 1.4 doing the same job, with a port mapping and without: ADD, DEL, and one
    traced DEL without a port mapping on each side (strace);
 2. the exec floor of each plugin (VERSION), and the kernel's share of bridge DEL (the
    removal of a container veth, timed alone over netlink);
 3. occupancy: N containers attached one after another to one network, ADD latency at
    #1, #10, #100, #500, #N and DEL latency at those occupancies (the DELs go in reverse);
 4. concurrency: M attachments (bridge + host-local + ipMasq), added then deleted with P
    at a time: wall time, the slowest and the median call, failures;
 5. processes forked and programs executed per verb (strace), stripped binary sizes, peak
    RSS per verb (/usr/bin/time).

Writes a table to stdout, <out>/results.md (machine, kernel, versions, date, load) and
<out>/occupancy.png (ADD latency against occupancy, gnuplot). Needs root.
"""
import argparse
import concurrent.futures
import ctypes
import datetime
import json
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
LIBC = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000
PREFIX = "bn%d" % (os.getpid() % 100000)
DEBIAN_PACKAGES = {"containernetworking-plugins": "/usr/lib/cni/bridge",
                   "gnuplot-nox": "/usr/bin/gnuplot", "time": "/usr/bin/time",
                   "strace": "/usr/bin/strace", "iptables": "/usr/sbin/iptables",
                   "binutils": "/usr/bin/strip", "netavark": "/usr/lib/podman/netavark",
                   "dnsmasq-base": "/usr/sbin/dnsmasq",
                   "qemu-system-x86": "/usr/bin/qemu-system-x86_64"}
# The row families of the verbs section (--only NAME).
FAMILIES = ("bridge", "host-local", "portmap", "macvlan", "ptp", "chain", "host-device", "tap",
            "sbr", "loopback", "static", "tuning", "bandwidth", "firewall", "dhcp", "ipvlan",
            "vlan", "dummy", "vrf", "netavark")


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def ensure_packages():
    """Install the Debian packages the benchmark needs that are missing."""
    missing = [p for p, f in DEBIAN_PACKAGES.items() if not os.path.exists(f)]
    if not missing:
        return
    log("installing %s" % " ".join(missing))
    subprocess.run(["apt-get", "install", "-y", "--no-install-recommends"] + missing,
                   check=True, stdout=subprocess.DEVNULL)


# ---- namespaces -----------------------------------------------------------------------

# The run's namespaces are bind mounts in a directory of its own (not /run/netns), so that
# nothing that cleans up namespaces by name (ip -all netns del) takes them away mid-run.
NS_DIR = "/run/cni-bench-%d" % os.getpid()
NAMESPACES = {}  # path -> fd (held: the namespace lives as long as the run needs it)
NS_LOCK = threading.Lock()


def netns_add(name):
    """A new network namespace; returns its path (what CNI_NETNS gets)."""
    os.makedirs(NS_DIR, exist_ok=True)
    path = os.path.join(NS_DIR, name)
    open(path, "w").close()
    subprocess.run(["unshare", "--net=" + path, "true"], check=True)
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    with NS_LOCK:
        NAMESPACES[path] = fd
    return path


def netns_del(path):
    with NS_LOCK:
        fd = NAMESPACES.pop(path, None)
    if fd is not None:
        os.close(fd)
    # Detached, as `ip netns del` and the runtimes unmount it: a process may still hold the
    # namespace (our bridge DEL's child finishing the veth's removal), which makes a plain
    # umount fail with EBUSY and leaves the name taken.
    subprocess.run(["umount", "--lazy", path], stderr=subprocess.DEVNULL)
    try:
        os.unlink(path)
    except OSError:
        pass


def cleanup_namespaces():
    for path in list(NAMESPACES):
        netns_del(path)
    try:
        os.rmdir(NS_DIR)
    except OSError:
        pass


def setns(path):
    """Move the calling thread (and what it starts from now on) into netns path."""
    with NS_LOCK:
        fd = NAMESPACES.get(path)
    own = fd is None
    if own:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        if LIBC.setns(fd, CLONE_NEWNET) != 0:
            e = ctypes.get_errno()
            raise OSError(e, "setns %s: %s" % (path, os.strerror(e)))
    finally:
        if own:
            os.close(fd)


def sh(cmd, ns=None, check=True):
    """Run a shell command, inside netns ns (a path) when given."""
    argv = ["sh", "-c", cmd]
    if ns:
        argv = ["nsenter", "--net=" + ns] + argv
    p = subprocess.run(argv, capture_output=True, text=True)
    if check and p.returncode != 0:
        raise RuntimeError("%s: %s" % (cmd, p.stderr.strip()))
    return p.stdout


# ---- running plugins ------------------------------------------------------------------

class Impl:
    """One implementation: a directory of plugins and the node namespace it runs in."""

    def __init__(self, name, bindir):
        self.name = name
        self.dir = bindir
        self.node_name = "%s-%s" % (PREFIX, name)
        self.node = None

    def start(self):
        self.node = netns_add(self.node_name)
        # The node routes: portmap's route_localnet lookup and the reference's iptables
        # want a default route; an uplink of its own stands in for the host's.
        sh("ip link set lo up && ip link add up0 type veth peer name up0p && "
           "ip addr add 192.168.250.1/24 dev up0 && ip link set up0 up && "
           "ip link set up0p up && ip route add default via 192.168.250.254", self.node)


class Failed(Exception):
    pass


BASE_ENV = {k: v for k, v in os.environ.items() if not k.startswith("CNI_")}


def run_plugin(impl, plugin, command, conf, cid="benchcid", netns="/x", ifname="eth0",
               env=None, prefix=()):
    """Run one plugin command in impl's node namespace (the calling thread is moved there);
    returns (seconds, stdout). Raises Failed on a non-zero exit."""
    setns(impl.node)
    e = dict(BASE_ENV)
    e.update({"CNI_COMMAND": command, "CNI_CONTAINERID": cid, "CNI_NETNS": netns,
              "CNI_IFNAME": ifname, "CNI_PATH": impl.dir})
    if env:
        e.update(env)
    data = conf if isinstance(conf, bytes) else json.dumps(conf).encode()
    cmd = list(prefix) + [os.path.join(impl.dir, plugin)]
    t0 = time.perf_counter()
    p = subprocess.run(cmd, input=data, capture_output=True, env=e)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        raise Failed("%s %s %s: rc %d: %s %s" % (impl.name, plugin, command, p.returncode,
                                                 p.stdout.decode(errors="replace")[:300],
                                                 p.stderr.decode(errors="replace")[:300]))
    return dt, p.stdout


def median(v):
    return statistics.median(v) if v else float("nan")


def p90(v):
    if not v:
        return float("nan")
    s = sorted(v)
    return s[min(len(s) - 1, int(round(0.9 * (len(s) - 1))))]


class Stat:
    """Samples of one measurement for both implementations, in ms."""

    def __init__(self, label):
        self.label = label
        self.s = {"ours": [], "ref": []}
        self.failed = {"ours": "", "ref": ""}
        self.note = ""

    def add(self, impl, seconds):
        self.s[impl].append(seconds * 1000)

    def fail(self, impl, why):
        if not self.failed[impl]:
            self.failed[impl] = why

    def med(self, impl):
        return median(self.s[impl])

    def ratio(self):
        o, r = self.med("ours"), self.med("ref")
        if self.failed["ours"] or self.failed["ref"] or not o or o != o or r != r:
            return float("nan")
        return r / o


def fmt(ms):
    return "—" if ms != ms else ("%.1f" % ms if ms < 100 else "%.0f" % ms)


# ---- configurations -------------------------------------------------------------------

def bridge_conf(name, bridge, masq, dual, data, subnet4="10.%d.0.0/16", idx=0,
                spoofchk=False):
    ranges = [[{"subnet": subnet4 % (60 + idx)}]]
    routes = [{"dst": "0.0.0.0/0"}]
    if dual:
        ranges.append([{"subnet": "fd%02x::/64" % (0x60 + idx)}])
        routes.append({"dst": "::/0"})
    c = {"cniVersion": "1.0.0", "name": name, "type": "bridge", "bridge": bridge,
         "isGateway": True, "ipMasq": masq,
         "ipam": {"type": "host-local", "ranges": ranges, "routes": routes, "dataDir": data}}
    if spoofchk:
        c["macspoofchk"] = True
    return c


def hostlocal_conf(name, data, dual=False):
    ranges = [[{"subnet": "10.59.0.0/16"}]]
    if dual:
        ranges.append([{"subnet": "fd59::/64"}])
    return {"cniVersion": "1.0.0", "name": name, "type": "host-local",
            "ipam": {"type": "host-local", "ranges": ranges, "dataDir": data}}


def portmap_conf(name, dual, i=0, udp=True):
    ips = [{"address": "10.58.%d.%d/16" % (i // 250, 2 + i % 250), "interface": 1}]
    if dual:
        ips.append({"address": "fd58::%x/64" % (2 + i), "interface": 1})
    return {"cniVersion": "1.0.0", "name": name, "type": "portmap",
            "runtimeConfig": {"portMappings": [
                {"hostPort": 20000 + i, "containerPort": 80, "protocol": "tcp"},
                {"hostPort": 40000 + i, "containerPort": 53,
                 "protocol": "udp" if udp else "tcp"}]},
            "prevResult": {"cniVersion": "1.0.0",
                           "interfaces": [{"name": "br0"}, {"name": "eth0", "sandbox": "/x"}],
                           "ips": ips}}


def with_prev(conf, add_out):
    c = dict(conf)
    c["prevResult"] = json.loads(add_out)
    return c


STRACE_LINE = re.compile(r"^(\d+) +(\d+):(\d+):(\d+\.\d+) (.*?)(?: <(\d+\.\d+)>)?$")


def strace_summary(path):
    """What one traced command spent its time on (strace -f -tt -T -yy): each process
    (its program, wall time from its first to its last traced line), the longest
    system calls (which process, the call, ms), and time summed by system call name."""
    procs, calls, byname, pending, parent = {}, [], {}, {}, {}
    first = last = None
    with open(path) as f:
        for line in f:
            m = STRACE_LINE.match(line.rstrip("\n"))
            if not m:
                continue
            pid = int(m.group(1))
            t = int(m.group(2)) * 3600 + int(m.group(3)) * 60 + float(m.group(4))
            rest, dur = m.group(5), m.group(6)
            first = t if first is None else first
            last = t
            p = procs.setdefault(pid, {"prog": "", "start": t, "end": t})
            p["end"] = t
            em = re.match(r'execve\("([^"]+)"', rest)
            if em and not rest.rstrip().endswith("= -1 ENOENT (No such file or directory)") \
                    and "= -1" not in rest:
                p["prog"] = os.path.basename(em.group(1))
            if rest.endswith("<unfinished ...>"):
                pending[pid] = rest[:-len("<unfinished ...>")].rstrip()
            rm = re.match(r"<\.\.\. \w+ resumed>(.*)", rest)
            if rm and pid in pending:
                rest = pending.pop(pid) + rm.group(1)
            cm = re.match(r"(?:clone3?|v?fork)\(.*= (\d+)(?: <|$)", rest)
            if cm:
                parent[int(cm.group(1))] = pid
            if dur is None:
                continue
            name = re.match(r"(?:<\.\.\. )?(\w+)", rest).group(1)
            ms = float(dur) * 1000
            byname[name] = byname.get(name, 0.0) + ms
            calls.append((ms, pid, rest))
    # Programs of processes that only forked (no execve of their own): their parent's.
    for pid, p in sorted(procs.items(), key=lambda x: x[1]["start"]):
        if not p["prog"]:
            pp = procs.get(parent.get(pid), {}).get("prog", "?")
            p["prog"] = "%s's child" % pp.replace("'s child", "")
    calls.sort(reverse=True)
    top = []
    rtm = {0x10: "RTM_NEWLINK", 0x11: "RTM_DELLINK", 0x12: "RTM_GETLINK",
           0x14: "RTM_NEWADDR", 0x15: "RTM_DELADDR", 0x18: "RTM_NEWROUTE",
           0x19: "RTM_DELROUTE"}
    for ms, pid, rest in calls[:8]:
        tm = re.search(r"nlmsg_type=(0x[0-9a-f]+|[A-Z][A-Z_0-9]*)", rest)
        short = re.sub(r"\{iov_base=.*|\[\{nlmsg_len=.*", "…", rest)
        if tm:
            t = tm.group(1)
            short += " (%s)" % (rtm.get(int(t, 16), t) if t.startswith("0x") else t)
        short = re.sub(r'"[^"]{24,}"', '"…"', short)
        top.append((procs[pid]["prog"], pid, ms, short[:140]))
    return {"wall_ms": ((last - first) * 1000) if first is not None else float("nan"),
            "procs": [(p["prog"], pid, (p["end"] - p["start"]) * 1000)
                      for pid, p in sorted(procs.items(), key=lambda x: x[1]["start"])],
            "top": top,
            "byname": sorted(byname.items(), key=lambda x: -x[1])[:8]}


# ---- 1. verbs -------------------------------------------------------------------------

class Bench:
    def __init__(self, args):
        self.args = args
        self.ours = Impl("ours", os.path.abspath(args.bin))
        self.ref = Impl("ref", os.path.abspath(args.ref))
        self.impls = (self.ours, self.ref)
        self.tmp = tempfile.mkdtemp(prefix="cni-bench-")
        self.state = os.path.join(self.tmp, "portmap-state")
        self.rows = []      # (section, Stat)
        self.extra = {}     # other results
        self.targets = []   # (text, ok, detail)
        self.nv_rows = []   # ours (the chain through cnitool) against netavark, as "ref"

    def env(self):
        return {"CNI_PORTMAP_STATE_DIR": self.state}

    def alternate(self, i):
        """A B A B: the order of the two implementations in iteration i."""
        return self.impls if i % 2 == 0 else self.impls[::-1]

    def verbs_bridge(self, masq, dual):
        label = "bridge ipMasq %s, %s" % ("on" if masq else "off", "dual" if dual else "IPv4")
        stats = {v: Stat("%s: %s" % (label, v)) for v in ("ADD", "CHECK", "DEL")}
        idx = (1 if masq else 0) + (2 if dual else 0)
        per = {}
        for impl in self.impls:
            c = netns_add("%s-%s-c%d" % (PREFIX, impl.name, idx))
            conf = bridge_conf("bnet%d" % idx, "bnbr%d" % idx, masq, dual,
                               os.path.join(self.tmp, "%s-br%d" % (impl.name, idx)), idx=idx)
            per[impl.name] = (c, conf)
            try:  # warm-up: creates the bridge, the tables
                _, out = run_plugin(impl, "bridge", "ADD", conf, "warm", c)
                run_plugin(impl, "bridge", "DEL", conf, "warm", c)
            except Failed as e:
                for s in stats.values():
                    s.fail(impl.name, str(e))
        for i in range(self.args.iterations):
            for impl in self.alternate(i):
                c, conf = per[impl.name]
                if stats["ADD"].failed[impl.name]:
                    continue
                cid = "b%d" % i
                try:
                    dt, out = run_plugin(impl, "bridge", "ADD", conf, cid, c)
                    stats["ADD"].add(impl.name, dt)
                except Failed as e:
                    stats["ADD"].fail(impl.name, str(e))
                    continue
                try:
                    dt, _ = run_plugin(impl, "bridge", "CHECK", with_prev(conf, out), cid, c)
                    stats["CHECK"].add(impl.name, dt)
                except Failed as e:
                    stats["CHECK"].fail(impl.name, str(e))
                try:
                    dt, _ = run_plugin(impl, "bridge", "DEL", with_prev(conf, out), cid, c)
                    stats["DEL"].add(impl.name, dt)
                except Failed as e:
                    stats["DEL"].fail(impl.name, str(e))
        for impl in self.impls:
            netns_del(per[impl.name][0])
        return list(stats.values())

    def verbs_hostlocal(self):
        stats = {v: Stat("host-local IPv4: %s" % v) for v in ("ADD", "CHECK", "DEL")}
        confs = {i.name: hostlocal_conf("hlnet", os.path.join(self.tmp, i.name + "-hl"))
                 for i in self.impls}
        for i in range(self.args.iterations):
            for impl in self.alternate(i):
                conf = confs[impl.name]
                for verb in ("ADD", "CHECK", "DEL"):
                    try:
                        dt, _ = run_plugin(impl, "host-local", verb, conf, "h%d" % i)
                        stats[verb].add(impl.name, dt)
                    except Failed as e:
                        stats[verb].fail(impl.name, str(e))
        return list(stats.values())

    def verbs_portmap(self, dual, udp=True):
        label = "portmap 2 mappings, %s%s" % ("dual" if dual else "IPv4",
                                             "" if udp else ", both tcp")
        stats = {v: Stat("%s: %s" % (label, v)) for v in ("ADD", "CHECK", "DEL")}
        conf = portmap_conf("pmnet", dual, udp=udp)
        for impl in self.impls:
            try:
                run_plugin(impl, "portmap", "ADD", conf, "warm", env=self.env())
                run_plugin(impl, "portmap", "DEL", conf, "warm", env=self.env())
            except Failed as e:
                for s in stats.values():
                    s.fail(impl.name, str(e))
        for i in range(self.args.iterations):
            for impl in self.alternate(i):
                if stats["ADD"].failed[impl.name]:
                    continue
                for verb in ("ADD", "CHECK", "DEL"):
                    try:
                        dt, _ = run_plugin(impl, "portmap", verb, conf, "p%d" % i,
                                           env=self.env())
                        stats[verb].add(impl.name, dt)
                    except Failed as e:
                        stats[verb].fail(impl.name, str(e))
        return list(stats.values())

    def verbs_macvlan(self):
        """macvlan of a veth master in the node with host-local (IPv4), into a container
        namespace of each implementation: ADD, CHECK, DEL."""
        stats = {v: Stat("macvlan, IPv4: %s" % v) for v in ("ADD", "CHECK", "DEL")}
        per = {}
        for impl in self.impls:
            sh("ip link add mvb0 type veth peer name mvb0p && ip link set mvb0 up && "
               "ip link set mvb0p up", impl.node)
            c = netns_add("%s-%s-mv" % (PREFIX, impl.name))
            conf = {"cniVersion": "1.0.0", "name": "mvnet", "type": "macvlan",
                    "master": "mvb0",
                    "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.56.0.0/16"}]],
                             "routes": [{"dst": "0.0.0.0/0"}],
                             "dataDir": os.path.join(self.tmp, impl.name + "-mv")}}
            per[impl.name] = (c, conf)
            try:  # warm-up
                run_plugin(impl, "macvlan", "ADD", conf, "warm", c)
                run_plugin(impl, "macvlan", "DEL", conf, "warm", c)
            except Failed as e:
                for s in stats.values():
                    s.fail(impl.name, str(e))
        for i in range(self.args.iterations):
            for impl in self.alternate(i):
                c, conf = per[impl.name]
                if stats["ADD"].failed[impl.name]:
                    continue
                cid = "m%d" % i
                try:
                    dt, out = run_plugin(impl, "macvlan", "ADD", conf, cid, c)
                    stats["ADD"].add(impl.name, dt)
                except Failed as e:
                    stats["ADD"].fail(impl.name, str(e))
                    continue
                try:
                    dt, _ = run_plugin(impl, "macvlan", "CHECK", with_prev(conf, out), cid, c)
                    stats["CHECK"].add(impl.name, dt)
                except Failed as e:
                    stats["CHECK"].fail(impl.name, str(e))
                try:
                    dt, _ = run_plugin(impl, "macvlan", "DEL", with_prev(conf, out), cid, c)
                    stats["DEL"].add(impl.name, dt)
                except Failed as e:
                    stats["DEL"].fail(impl.name, str(e))
        for impl in self.impls:
            netns_del(per[impl.name][0])
        return list(stats.values())

    def verbs_ptp(self, masq):
        """ptp with host-local (IPv4), ipMasq off or on, into a container namespace of each
        implementation: ADD, CHECK, DEL."""
        label = "ptp ipMasq %s, IPv4" % ("on" if masq else "off")
        stats = {v: Stat("%s: %s" % (label, v)) for v in ("ADD", "CHECK", "DEL")}
        per = {}
        for impl in self.impls:
            c = netns_add("%s-%s-ptp%d" % (PREFIX, impl.name, masq))
            conf = {"cniVersion": "1.0.0", "name": "ptpnet%d" % masq, "type": "ptp",
                    "ipMasq": masq,
                    "ipam": {"type": "host-local",
                             "ranges": [[{"subnet": "10.%d.0.0/16" % (57 + masq)}]],
                             "routes": [{"dst": "0.0.0.0/0"}],
                             "dataDir": os.path.join(self.tmp, "%s-ptp%d" % (impl.name,
                                                                             masq))}}
            per[impl.name] = (c, conf)
            try:  # warm-up: forwarding, the masquerade tables
                run_plugin(impl, "ptp", "ADD", conf, "warm", c)
                run_plugin(impl, "ptp", "DEL", conf, "warm", c)
            except Failed as e:
                for s in stats.values():
                    s.fail(impl.name, str(e))
        for i in range(self.args.iterations):
            for impl in self.alternate(i):
                c, conf = per[impl.name]
                if stats["ADD"].failed[impl.name]:
                    continue
                cid = "t%d" % i
                try:
                    dt, out = run_plugin(impl, "ptp", "ADD", conf, cid, c)
                    stats["ADD"].add(impl.name, dt)
                except Failed as e:
                    stats["ADD"].fail(impl.name, str(e))
                    continue
                try:
                    dt, _ = run_plugin(impl, "ptp", "CHECK", with_prev(conf, out), cid, c)
                    stats["CHECK"].add(impl.name, dt)
                except Failed as e:
                    stats["CHECK"].fail(impl.name, str(e))
                try:
                    dt, _ = run_plugin(impl, "ptp", "DEL", with_prev(conf, out), cid, c)
                    stats["DEL"].add(impl.name, dt)
                except Failed as e:
                    stats["DEL"].fail(impl.name, str(e))
        for impl in self.impls:
            netns_del(per[impl.name][0])
        return list(stats.values())

    def verbs_chain(self):
        """The containerd default conflist (bridge cni0 with ipMasq and promiscMode,
        host-local dual stack, portmap) through bin/cnitool, for either plugin dir."""
        stats = {v: Stat("containerd chain via cnitool: %s" % v) for v in ("add", "check", "del")}
        cnitool = os.path.join(self.ours.dir, "cnitool")
        per = {}
        for impl in self.impls:
            d = os.path.join(self.tmp, impl.name + "-netconf")
            os.makedirs(d)
            conflist = {"cniVersion": "1.0.0", "name": "containerd-net", "plugins": [
                {"type": "bridge", "bridge": "bncni0", "isGateway": True, "ipMasq": True,
                 "promiscMode": True,
                 "ipam": {"type": "host-local",
                          "ranges": [[{"subnet": "10.57.0.0/16"}], [{"subnet": "fd57::/64"}]],
                          "routes": [{"dst": "0.0.0.0/0"}, {"dst": "::/0"}],
                          "dataDir": os.path.join(self.tmp, impl.name + "-chain")}},
                {"type": "portmap", "capabilities": {"portMappings": True}}]}
            with open(os.path.join(d, "10-containerd-net.conflist"), "w") as f:
                json.dump(conflist, f)
            per[impl.name] = (d, netns_add("%s-%s-cc" % (PREFIX, impl.name)))
        caps = json.dumps({"portMappings": [
            {"hostPort": 8080, "containerPort": 80, "protocol": "tcp"},
            {"hostPort": 5353, "containerPort": 53, "protocol": "udp"}]})
        for i in range(self.args.iterations):
            for impl in self.alternate(i):
                d, c = per[impl.name]
                env = dict(BASE_ENV, NETCONFPATH=d, CNI_PATH=impl.dir, CAP_ARGS=caps,
                           CNI_CONTAINERID="cc%d" % i, CNI_PORTMAP_STATE_DIR=self.state,
                           CNI_CACHE_DIR=os.path.join(self.tmp, impl.name + "-cache"))
                for verb in ("add", "check", "del"):
                    setns(impl.node)
                    t0 = time.perf_counter()
                    p = subprocess.run([cnitool, verb, "containerd-net", c], env=env,
                                       capture_output=True)
                    dt = time.perf_counter() - t0
                    if p.returncode != 0:
                        stats[verb].fail(impl.name, "cnitool %s: %s" % (
                            verb, (p.stdout + p.stderr).decode(errors="replace")[:300]))
                        if verb == "add":
                            break
                    else:
                        stats[verb].add(impl.name, dt)
        for impl in self.impls:
            netns_del(per[impl.name][1])
        return list(stats.values())

    def verbs_hostdevice(self, ipam):
        """host-device: a veth end of the node (its peer in the node) moved into a container
        and back, L2 or with static IPAM (an address and a route)."""
        label = "host-device, %s" % ("static IPAM" if ipam else "L2")
        stats = {v: Stat("%s: %s" % (label, v)) for v in ("ADD", "CHECK", "DEL")}
        idx = 1 if ipam else 0
        per = {}
        for impl in self.impls:
            c = netns_add("%s-%s-hd%d" % (PREFIX, impl.name, idx))
            dev = "bhd%d" % idx
            sh("ip link add %s type veth peer name %sp && ip link set %s up && "
               "ip link set %sp up" % (dev, dev, dev, dev), impl.node)
            conf = {"cniVersion": "1.0.0", "name": "hdnet%d" % idx, "type": "host-device",
                    "device": dev}
            if ipam:
                conf["ipam"] = {"type": "static",
                                "addresses": [{"address": "10.58.0.2/24",
                                               "gateway": "10.58.0.1"}],
                                "routes": [{"dst": "10.59.0.0/16"}]}
            per[impl.name] = (c, conf)
            try:  # warm-up
                _, out = run_plugin(impl, "host-device", "ADD", conf, "warm", c, "net1")
                run_plugin(impl, "host-device", "DEL", with_prev(conf, out), "warm", c, "net1")
            except Failed as e:
                for st in stats.values():
                    st.fail(impl.name, str(e))
        for i in range(self.args.iterations):
            for impl in self.alternate(i):
                c, conf = per[impl.name]
                if stats["ADD"].failed[impl.name]:
                    continue
                cid = "hd%d" % i
                try:
                    dt, out = run_plugin(impl, "host-device", "ADD", conf, cid, c, "net1")
                    stats["ADD"].add(impl.name, dt)
                except Failed as e:
                    stats["ADD"].fail(impl.name, str(e))
                    continue
                try:
                    dt, _ = run_plugin(impl, "host-device", "CHECK", with_prev(conf, out), cid,
                                       c, "net1")
                    stats["CHECK"].add(impl.name, dt)
                except Failed as e:
                    stats["CHECK"].fail(impl.name, str(e))
                try:
                    dt, _ = run_plugin(impl, "host-device", "DEL", with_prev(conf, out), cid,
                                       c, "net1")
                    stats["DEL"].add(impl.name, dt)
                except Failed as e:
                    stats["DEL"].fail(impl.name, str(e))
                    stats["ADD"].fail(impl.name, "DEL failed: the device stays inside")
                # Where the device was up before ADD (DEL leaves it down, as both do).
                sh("ip link set bhd%d up" % idx, impl.node, check=False)
        for impl in self.impls:
            netns_del(per[impl.name][0])
        return list(stats.values())

    def verbs_tap(self, l3):
        """tap (multiqueue, owner, MTU, MAC; with host-local when l3): ours only, Debian's
        1.1.1 has no tap plugin."""
        label = "tap %s" % ("with host-local" if l3 else "L2 (multiqueue, owner, mtu, mac)")
        stats = {v: Stat("%s: %s" % (label, v)) for v in ("ADD", "CHECK", "DEL")}
        for st in stats.values():
            st.note = "no tap in 1.1.1"
        conf = {"cniVersion": "1.0.0", "name": "tapnet", "type": "tap", "multiQueue": True,
                "owner": 4242, "mtu": 1400, "mac": "0a:58:0a:38:00:09"}
        if l3:
            conf["ipam"] = {"type": "host-local", "subnet": "10.56.0.0/16",
                            "routes": [{"dst": "0.0.0.0/0"}],
                            "dataDir": os.path.join(self.tmp, "ours-tap")}
        c = netns_add("%s-ours-tap%d" % (PREFIX, l3))
        for i in range(self.args.iterations):
            cid = "t%d" % i
            try:
                dt, out = run_plugin(self.ours, "tap", "ADD", conf, cid, c)
                stats["ADD"].add("ours", dt)
            except Failed as e:
                stats["ADD"].fail("ours", str(e))
                break
            for verb in ("CHECK", "DEL"):
                try:
                    dt, _ = run_plugin(self.ours, "tap", verb, with_prev(conf, out), cid, c)
                    stats[verb].add("ours", dt)
                except Failed as e:
                    stats[verb].fail("ours", str(e))
        netns_del(c)
        return list(stats.values())

    def verbs_sbr(self):
        """sbr on a container's eth1 (a veth end with an address and, as its main plugin
        left them, a default route and one more route), both given the same prevResult:
        ADD, CHECK, DEL. Between runs (untimed) the main table gets its routes back and the
        tables are emptied, since neither DEL restores main and the reference's DEL leaves
        its table's routes."""
        stats = {v: Stat("sbr, IPv4 (2 routes): %s" % v) for v in ("ADD", "CHECK", "DEL")}
        conf = {"cniVersion": "1.0.0", "name": "sbrnet", "type": "sbr",
                "prevResult": {"cniVersion": "1.0.0",
                               "interfaces": [{"name": "eth1", "sandbox": "/x"}],
                               "ips": [{"address": "10.57.0.2/24", "gateway": "10.57.0.1",
                                        "interface": 0}]}}
        reset = ("ip route flush table 100 2>/dev/null; ip -6 route flush table 100 "
                 "2>/dev/null; "
                 "ip route replace 10.57.0.0/24 dev eth1 proto kernel scope link "
                 "src 10.57.0.2 && ip route replace default via 10.57.0.1 dev eth1 && "
                 "ip route replace 10.57.100.0/24 via 10.57.0.1 dev eth1 && "
                 "ip -6 route replace fe80::/64 dev eth1 proto kernel metric 256")
        per = {}
        for impl in self.impls:
            c = netns_add("%s-%s-sbr" % (PREFIX, impl.name))
            sh("ip link add eth1 type veth peer name eth1p && ip link set eth1 up && "
               "ip link set eth1p up && ip addr add 10.57.0.2/24 dev eth1 && " + reset, c)
            per[impl.name] = c
            try:  # warm-up
                run_plugin(impl, "sbr", "ADD", conf, "warm", c, "eth1")
                run_plugin(impl, "sbr", "DEL", conf, "warm", c, "eth1")
                sh(reset, c)
            except (Failed, RuntimeError) as e:
                for st in stats.values():
                    st.fail(impl.name, str(e))
        for i in range(self.args.iterations):
            for impl in self.alternate(i):
                c = per[impl.name]
                if stats["ADD"].failed[impl.name]:
                    continue
                cid = "s%d" % i
                try:
                    dt, _ = run_plugin(impl, "sbr", "ADD", conf, cid, c, "eth1")
                    stats["ADD"].add(impl.name, dt)
                except Failed as e:
                    stats["ADD"].fail(impl.name, str(e))
                    continue
                for verb in ("CHECK", "DEL"):
                    try:
                        dt, _ = run_plugin(impl, "sbr", verb, conf, cid, c, "eth1")
                        stats[verb].add(impl.name, dt)
                    except Failed as e:
                        stats[verb].fail(impl.name, str(e))
                sh(reset, c)
        for impl in self.impls:
            netns_del(per[impl.name])
        return list(stats.values())

    # ---- the other plugins: one loop for ADD, CHECK, DEL -------------------------------

    def verbs_rows(self, label, plugin, setup, ifname="eth0", reset=None, impls=None,
                   note="", env=None):
        """ADD, CHECK, DEL of one plugin for each implementation, A B A B. setup(impl)
        (untimed) returns (netns, conf): the container namespace (or "/x" where the plugin
        needs none) and the config; reset(impl, netns), when given, runs untimed after
        each iteration's DEL. CHECK and DEL get ADD's result as prevResult. impls: those
        that run (the others' cells say note)."""
        impls = impls or self.impls
        stats = {v: Stat("%s: %s" % (label, v)) for v in ("ADD", "CHECK", "DEL")}
        for st in stats.values():
            st.note = note
        per = {}
        for impl in impls:
            try:
                per[impl.name] = setup(impl)
                ns, conf = per[impl.name]
                # warm-up: tables, modules, the first exec of the binaries
                _, out = run_plugin(impl, plugin, "ADD", conf, "warm", ns, ifname, env)
                run_plugin(impl, plugin, "DEL", with_prev(conf, out), "warm", ns, ifname, env)
                if reset:
                    reset(impl, ns)
            except (Failed, RuntimeError, OSError) as e:
                for st in stats.values():
                    st.fail(impl.name, str(e))
        for i in range(self.args.iterations):
            for impl in self.alternate(i):
                if impl not in impls or impl.name not in per or stats["ADD"].failed[impl.name]:
                    continue
                ns, conf = per[impl.name]
                cid = "%s%d" % (plugin[:3], i)
                try:
                    dt, out = run_plugin(impl, plugin, "ADD", conf, cid, ns, ifname, env)
                    stats["ADD"].add(impl.name, dt)
                except Failed as e:
                    stats["ADD"].fail(impl.name, str(e))
                    continue
                for verb in ("CHECK", "DEL"):
                    try:
                        dt, _ = run_plugin(impl, plugin, verb, with_prev(conf, out), cid, ns,
                                           ifname, env)
                        stats[verb].add(impl.name, dt)
                    except Failed as e:
                        stats[verb].fail(impl.name, str(e))
                if reset:
                    try:
                        reset(impl, ns)
                    except RuntimeError as e:
                        stats["ADD"].fail(impl.name, "reset after DEL: %s" % e)
        for impl in impls:
            if impl.name in per and per[impl.name][0].startswith(NS_DIR):
                netns_del(per[impl.name][0])
        return list(stats.values())

    def container(self, impl, tag, cmd=None):
        """A container namespace of impl's for one row, with cmd run in it (untimed)."""
        c = netns_add("%s-%s-%s" % (PREFIX, impl.name, tag))
        if cmd:
            sh(cmd, c)
        return c

    def verbs_loopback(self):
        conf = {"cniVersion": "1.0.0", "name": "lonet", "type": "loopback"}
        return self.verbs_rows("loopback", "loopback",
                               lambda impl: (self.container(impl, "lo"), conf), ifname="lo")

    def verbs_static(self):
        conf = {"cniVersion": "1.0.0", "name": "stnet", "type": "static",
                "ipam": {"type": "static",
                         "addresses": [{"address": "10.62.0.2/24", "gateway": "10.62.0.1"},
                                       {"address": "fd62::2/64", "gateway": "fd62::1"}],
                         "routes": [{"dst": "0.0.0.0/0"}, {"dst": "10.63.0.0/16"}],
                         "dns": {"nameservers": ["10.62.0.1"]}}}
        return self.verbs_rows("static IPAM (2 addresses, 2 routes)", "static",
                               lambda impl: ("/x", conf))

    def verbs_tuning(self):
        """tuning of an existing eth0 (a veth end in the container): a sysctl, MAC, MTU and
        promiscuous mode, with the main plugin's prevResult; DEL puts MAC, MTU and promisc
        back (both keep what to restore in dataDir)."""
        def setup(impl):
            c = self.container(impl, "tun", "ip link add eth0 type veth peer name eth0p && "
                               "ip link set eth0 up && ip link set eth0p up")
            conf = {"cniVersion": "1.0.0", "name": "tunnet", "type": "tuning",
                    "sysctl": {"net.ipv4.conf.eth0.rp_filter": "1"},
                    "mac": "0a:58:0a:3d:00:09", "mtu": 1400, "promisc": True,
                    "dataDir": os.path.join(self.tmp, impl.name + "-tuning"),
                    "prevResult": {"cniVersion": "1.0.0",
                                   "interfaces": [{"name": "eth0", "sandbox": c}],
                                   "ips": [{"address": "10.61.0.2/24", "interface": 0}]}}
            return c, conf
        return self.verbs_rows("tuning (sysctl, mac, mtu, promisc)", "tuning", setup)

    def verbs_bandwidth(self):
        """bandwidth, ingress and egress, on a veth pair made untimed (its host end in the
        node): ADD puts a tbf on the host end and redirects its ingress to a new ifb with a
        tbf; DEL removes the ifb. The host end's qdiscs, which DEL leaves to the veth's
        removal, are taken off untimed between runs."""
        def setup(impl):
            c = self.container(impl, "bw")
            sh("ip link add bnbw0 type veth peer name eth0 && ip link set eth0 netns %s && "
               "ip link set bnbw0 up" % c, impl.node)
            sh("ip link set eth0 up", c)
            conf = {"cniVersion": "1.0.0", "name": "bwnet", "type": "bandwidth",
                    "ingressRate": 8000000, "ingressBurst": 16000,
                    "egressRate": 8000000, "egressBurst": 16000,
                    "prevResult": {"cniVersion": "1.0.0",
                                   "interfaces": [{"name": "bnbw0"},
                                                  {"name": "eth0", "sandbox": c}],
                                   "ips": [{"address": "10.61.0.2/24", "interface": 1}]}}
            return c, conf

        def reset(impl, c):
            sh("tc qdisc del dev bnbw0 root 2>/dev/null; tc qdisc del dev bnbw0 ingress "
               "2>/dev/null; true", impl.node)
        return self.verbs_rows("bandwidth (ingress + egress, ifb)", "bandwidth", setup,
                               reset=reset)

    def verbs_firewall(self):
        """firewall, iptables backend (the default of both; Debian's 1.1.1 has no nftables
        backend and neither has ours), a container's IPv4 and IPv6 address."""
        conf = {"cniVersion": "1.0.0", "name": "fwnet", "type": "firewall",
                "backend": "iptables",
                "prevResult": {"cniVersion": "1.0.0",
                               "interfaces": [{"name": "eth0", "sandbox": "/x"}],
                               "ips": [{"address": "10.61.0.2/24", "interface": 0},
                                       {"address": "fd61::2/64", "interface": 0}]}}
        return self.verbs_rows("firewall iptables, dual", "firewall",
                               lambda impl: ("/x", conf))

    def verbs_link(self, kind):
        """ipvlan, vlan or dummy with host-local (IPv4), the first two of a veth master in
        the node, into a container namespace: as macvlan's rows."""
        def setup(impl):
            c = self.container(impl, kind[:3])
            conf = {"cniVersion": "1.0.0", "name": "%snet" % kind, "type": kind,
                    "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.55.0.0/16"}]],
                             "routes": [{"dst": "0.0.0.0/0"}],
                             "dataDir": os.path.join(self.tmp, "%s-%s" % (impl.name, kind))}}
            if kind != "dummy":
                sh("ip link add bn%s0 type veth peer name bn%s0p && ip link set bn%s0 up && "
                   "ip link set bn%s0p up" % ((kind[:3],) * 4), impl.node)
                conf["master"] = "bn%s0" % kind[:3]
            if kind == "vlan":
                conf["vlanId"] = 100
            return c, conf
        ours_only = kind == "dummy" and not os.access(os.path.join(self.ref.dir, kind),
                                                      os.X_OK)
        return self.verbs_rows("%s, IPv4" % kind, kind, setup,
                               impls=(self.ours,) if ours_only else None,
                               note="no %s in 1.1.1" % kind if ours_only else "")

    def verbs_vrf(self):
        """vrf: a container's eth1 (a veth end with an address) put into a new VRF (table
        given); DEL takes it out and removes the VRF. Its address is put back untimed."""
        def setup(impl):
            c = self.container(impl, "vrf", "ip link add eth1 type veth peer name eth1p && "
                               "ip link set eth1p up && ip link set eth1 up && "
                               "ip addr add 10.64.0.2/24 dev eth1")
            conf = {"cniVersion": "1.0.0", "name": "vrfnet", "type": "vrf",
                    "vrfname": "bnvrf", "table": 1001,
                    "prevResult": {"cniVersion": "1.0.0",
                                   "interfaces": [{"name": "eth1", "sandbox": c}],
                                   "ips": [{"address": "10.64.0.2/24", "interface": 0}]}}
            return c, conf

        def reset(impl, c):
            sh("ip link set eth1 up && ip addr replace 10.64.0.2/24 dev eth1", c)
        return self.verbs_rows("vrf (one interface, table given)", "vrf", setup,
                               ifname="eth1", reset=reset)

    def verbs_dhcp(self):
        """The dhcp IPAM plugin with its daemon (each implementation's own, in its node)
        against one dnsmasq in a server namespace: ADD acquires a lease for a container's
        eth0 (a macvlan of the node's link to the server, made untimed), CHECK, DEL
        releases it."""
        sys.path.insert(0, HERE)
        import dhcp_daemon_rss as dd  # the server and daemon setup
        srv = netns_add("%s-dhsrv" % PREFIX)
        procs = []
        daemons = {}
        try:
            sh("ip link set lo up && ip link add bndh type bridge && "
               "ip addr add 10.54.0.1/16 dev bndh && ip link set bndh up", srv)
            for impl in self.impls:
                sh("ip link add bndh0 type veth peer name bndh-%s netns %s && "
                   "ip link set bndh0 up" % (impl.name, srv), impl.node)
                sh("ip link set bndh-%s master bndh up" % impl.name, srv)
            procs.append(dd.start_dnsmasq(srv, "bndh", self.tmp, net="10.54"))
            # The containers first: a daemon in a mount namespace of its own sees only the
            # namespace mounts made before it started.
            cs = {}
            for impl in self.impls:
                cs[impl.name] = self.container(impl, "dh")
                sh("ip link add bndhm link bndh0 type macvlan mode bridge && "
                   "ip link set bndhm netns %s" % cs[impl.name], impl.node)
                sh("ip link set bndhm name eth0 && ip link set eth0 up && ip link set lo up",
                   cs[impl.name])
            for impl in self.impls:
                d = os.path.join(self.tmp, impl.name + "-dhcpd")
                os.makedirs(d)
                cmd = [os.path.join(impl.dir, "dhcp"), "daemon"]
                if impl is self.ours:
                    cmd += ["-statedir", os.path.join(d, "state")]
                sock = os.path.join(d, "dhcp.sock")
                try:
                    procs.append(dd.start_daemon(cmd, sock, impl.node))
                    daemons[impl.name] = sock
                except SystemExit as e:
                    daemons[impl.name] = "daemon: %s" % e

            def setup(impl):
                if not daemons[impl.name].startswith("/"):
                    raise RuntimeError(daemons[impl.name])
                return cs[impl.name], {"cniVersion": "1.0.0", "name": "dhnet", "type": "dhcp",
                           "ipam": {"type": "dhcp", "daemonSocketPath": daemons[impl.name]}}
            return self.verbs_rows("dhcp (plugin and daemon, dnsmasq)", "dhcp", setup)
        finally:
            for p in reversed(procs):
                dd.stop(p)
            netns_del(srv)

    # ---- podman's own stack: netavark against our chain ---------------------------------

    NETAVARK = "/usr/lib/podman/netavark"

    def netavark_opts(self, i, ports):
        """netavark's network options (the JSON podman sends on stdin) for container i on
        a bridge network like our chain's: one subnet, gateway, masquerade, DNS off, the
        address given (podman allocates it), and one tcp port mapping when ports."""
        net = {"name": "bnpod", "id": "%064x" % 0xb3c4, "driver": "bridge",
               "network_interface": "bnpod0", "internal": False, "ipv6_enabled": False,
               "dns_enabled": False, "ipam_options": {"driver": "host-local"},
               "subnets": [{"subnet": "10.66.0.0/16", "gateway": "10.66.0.1"}]}
        return {"container_id": "%064x" % (0xc0 + i), "container_name": "bench%d" % i,
                "networks": {"bnpod": {"interface_name": "eth0",
                                       "static_ips": ["10.66.%d.%d" % (i // 250,
                                                                       2 + i % 250)]}},
                "network_info": {"bnpod": net},
                "port_mappings": [{"host_ip": "", "container_port": 80, "host_port": 18080,
                                   "protocol": "tcp", "range": 1}] if ports else None}

    def netavark_run(self, verb, i, c, ports, prefix=()):
        """netavark setup/teardown of container i (netns c) in the netavark node; returns
        seconds. Raises Failed."""
        verb = {"ADD": "setup", "DEL": "teardown"}[verb]
        setns(self.nv.node)
        e = dict(BASE_ENV, NETAVARK_FW="iptables")
        cmd = list(prefix) + [self.NETAVARK, "--config", os.path.join(self.tmp, "nv-config"),
                              "--rootless", "false", verb, c]
        data = json.dumps(self.netavark_opts(i, ports)).encode()
        t0 = time.perf_counter()
        p = subprocess.run(cmd, input=data, capture_output=True, env=e)
        dt = time.perf_counter() - t0
        if p.returncode != 0:
            raise Failed("netavark %s: rc %d: %s" % (verb, p.returncode, (
                p.stdout + p.stderr).decode(errors="replace")[:300]))
        return dt

    def podman_chain(self, verb, i, c, ports, prefix=()):
        """Our chain (bridge + host-local, portmap) for container i through bin/cnitool,
        which runs the conflist's plugins in order as libcni does; returns seconds."""
        env = dict(BASE_ENV, NETCONFPATH=os.path.join(self.tmp, "pod-netconf"),
                   CNI_PATH=self.ours.dir, CNI_CONTAINERID="%064x" % (0xc0 + i),
                   CNI_PORTMAP_STATE_DIR=self.state,
                   CNI_CACHE_DIR=os.path.join(self.tmp, "pod-cache"))
        if ports:
            env["CAP_ARGS"] = json.dumps({"portMappings": [
                {"hostPort": 18080, "containerPort": 80, "protocol": "tcp"}]})
        setns(self.ours.node)
        cmd = list(prefix) + [os.path.join(self.ours.dir, "cnitool"), verb.lower(), "bnpod", c]
        t0 = time.perf_counter()
        p = subprocess.run(cmd, env=env, capture_output=True)
        dt = time.perf_counter() - t0
        if p.returncode != 0:
            raise Failed("cnitool %s: rc %d: %s" % (verb, p.returncode, (
                p.stdout + p.stderr).decode(errors="replace")[:300]))
        return dt

    def verbs_netavark(self):
        """ADD and DEL with one port mapping and without, our chain (through cnitool) and
        netavark 1.4 (`setup`/`teardown`, NETAVARK_FW=iptables), A B A B, each in a node
        namespace of its own with one resident container attached all along (as on a node
        with pods, so that neither removes the bridge or its chains). netavark has no
        CHECK. Then one traced DEL without a port mapping on each side (strace)."""
        if not os.access(self.NETAVARK, os.X_OK):
            st = Stat("podman bridge network vs netavark: ADD")
            st.fail("ref", "%s is missing (make deps)" % self.NETAVARK)
            return [st]
        self.nv = Impl("netavark", os.path.dirname(self.NETAVARK))
        self.nv.start()
        d = os.path.join(self.tmp, "pod-netconf")
        os.makedirs(d)
        with open(os.path.join(d, "87-bnpod.conflist"), "w") as f:
            json.dump({"cniVersion": "1.0.0", "name": "bnpod", "plugins": [
                {"type": "bridge", "bridge": "bnpod0", "isGateway": True, "ipMasq": True,
                 "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.66.0.0/16",
                                                             "gateway": "10.66.0.1"}]],
                          "routes": [{"dst": "0.0.0.0/0"}],
                          "dataDir": os.path.join(self.tmp, "pod-ipam")}},
                {"type": "portmap", "capabilities": {"portMappings": True}}]}, f)
        sides = (("ours", self.podman_chain), ("ref", self.netavark_run))
        stats = {}
        for ports in (True, False):
            for verb in ("ADD", "DEL"):
                stats[(ports, verb)] = Stat("bridge network, %s port mapping: %s" % (
                    "one" if ports else "no", verb))
        cns = {"ours": netns_add("%s-ours-pod" % PREFIX),
               "ref": netns_add("%s-nv-pod" % PREFIX)}
        res = {"ours": netns_add("%s-ours-podres" % PREFIX),
               "ref": netns_add("%s-nv-podres" % PREFIX)}
        for name, fn in sides:  # the resident container, then a warm-up
            try:
                fn("ADD", 999, res[name], True)
                fn("ADD", 0, cns[name], True)
                fn("DEL", 0, cns[name], True)
            except Failed as e:
                for st in stats.values():
                    st.fail(name, str(e))
        for i in range(self.args.iterations):
            for ports in (True, False):
                for name, fn in (sides if i % 2 == 0 else sides[::-1]):
                    if stats[(ports, "ADD")].failed[name]:
                        continue
                    try:
                        stats[(ports, "ADD")].add(name, fn("ADD", i + 1, cns[name], ports))
                    except Failed as e:
                        stats[(ports, "ADD")].fail(name, str(e))
                        continue
                    try:
                        stats[(ports, "DEL")].add(name, fn("DEL", i + 1, cns[name], ports))
                    except Failed as e:
                        stats[(ports, "DEL")].fail(name, str(e))
        traces = {}
        for name, fn in sides:
            path = os.path.join(self.tmp, "strace-del-%s" % name)
            try:
                fn("ADD", 500, cns[name], False)
                fn("DEL", 500, cns[name], False,
                   prefix=("strace", "-f", "-tt", "-T", "-yy", "-s", "96", "-o", path))
                traces[name] = strace_summary(path)
            except Failed as e:
                traces[name] = {"error": str(e)}
        self.extra["netavark_traces"] = traces
        for name, fn in sides:
            try:
                fn("DEL", 999, res[name], True)
            except Failed as e:
                log("  resident container %s: %s" % (name, e))
        for c in list(cns.values()) + list(res.values()):
            netns_del(c)
        return [stats[(p, v)] for p in (True, False) for v in ("ADD", "DEL")]

    # ---- 2. floors ---------------------------------------------------------------------

    def floors(self, plugins=("bridge", "host-local", "portmap", "sbr")):
        out = []
        for plugin in plugins:
            if not all(os.access(os.path.join(i.dir, plugin), os.X_OK) for i in self.impls):
                continue
            s = Stat("%s VERSION (exec floor)" % plugin)
            for i in range(self.args.iterations * 2):
                for impl in self.alternate(i):
                    try:
                        dt, _ = run_plugin(impl, plugin, "VERSION", {"cniVersion": "1.0.0"})
                        s.add(impl.name, dt)
                    except Failed as e:
                        s.fail(impl.name, str(e))
            out.append(s)
        return out

    def netns_move(self):
        """The kernel's move of an up device (a veth end) into another namespace, timed from
        the request to its ACK (RTM_NEWLINK with IFLA_NET_NS_FD), and back: host-device
        makes one of them per ADD and per DEL (moved and renamed in one request)."""
        node = netns_add("%s-mv" % PREFIX)
        cpath = netns_add("%s-mvc" % PREFIX)
        sh("ip link add mv0 type veth peer name mv0p && ip link set mv0p up", node)
        fds = {p: os.open(p, os.O_RDONLY | os.O_CLOEXEC) for p in (node, cpath)}
        samples = []

        def move(src, dst, seq):
            setns(src)
            s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
            try:
                s.bind((0, 0))
                idx = socket.if_nametoindex("mv0")
                msg = struct.pack("=LHHLL", 40, 16, 1 | 4, seq, 0) + \
                    struct.pack("=BxHiII", 0, 0, idx, 0, 0) + \
                    struct.pack("=HHI", 8, 28, fds[dst])
                t0 = time.perf_counter()
                s.send(msg)
                reply = s.recv(4096)
                dt = time.perf_counter() - t0
            finally:
                s.close()
            err = struct.unpack_from("=i", reply, 16)[0]
            if err != 0:
                raise RuntimeError("RTM_NEWLINK IFLA_NET_NS_FD: %s" % os.strerror(-err))
            return dt * 1000
        try:
            for i in range(self.args.iterations * 2):
                sh("ip link set mv0 up", node)
                samples.append(move(node, cpath, 2 * i + 1))
                move(cpath, node, 2 * i + 2)
        finally:
            for fd in fds.values():
                os.close(fd)
            netns_del(cpath)
            netns_del(node)
        return samples

    def conntrack_walk(self):
        """One dump of the kernel's conntrack table (IPv4, the request until NLMSG_DONE) in
        our node namespace: the walk a UDP mapping's flush costs. The table is shared by
        every namespace, so the walk visits every bucket whatever this namespace holds."""
        samples = []
        setns(self.ours.node)
        for i in range(self.args.iterations * 2):
            s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 12)  # NETLINK_NETFILTER
            try:
                s.bind((0, 0))
                msg = struct.pack("=LHHLL", 20, (1 << 8) | 1, 1 | 0x300, i + 1, 0) + \
                    struct.pack("=BBH", socket.AF_INET, 0, 0)
                t0 = time.perf_counter()
                s.send(msg)
                done = False
                while not done:
                    buf = s.recv(65536)
                    off = 0
                    while off + 16 <= len(buf):
                        ln, typ = struct.unpack_from("=LH", buf, off)
                        if typ in (2, 3):  # NLMSG_ERROR, NLMSG_DONE
                            done = True
                        off += (ln + 3) & ~3 if ln else len(buf)
                samples.append((time.perf_counter() - t0) * 1000)
            finally:
                s.close()
        return samples

    def veth_teardown(self):
        """The kernel's removal of a container veth whose peer is a bridge port, timed from
        the request to its ACK (RTM_DELLINK over rtnetlink)."""
        node = netns_add("%s-vt" % PREFIX)
        cpath = netns_add("%s-vtc" % PREFIX)
        sh("ip link add vtbr type bridge && ip link set vtbr up", node)
        # A process in the container namespace, for "ip link set ... netns PID".
        holder = subprocess.Popen(["nsenter", "--net=" + cpath, "sleep", "3600"])
        samples = []
        try:
            for i in range(self.args.iterations * 2):
                sh("ip link add vt%d type veth peer name eth0 && ip link set eth0 netns %d && "
                   "ip link set vt%d master vtbr up" % (i, holder.pid, i), node)
                sh("ip link set eth0 up && ip addr add 10.56.0.2/24 dev eth0", cpath)
                setns(cpath)
                s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
                try:
                    s.bind((0, 0))
                    idx = socket.if_nametoindex("eth0")
                    msg = struct.pack("=LHHLL", 32, 17, 1 | 4, i + 1, 0) + \
                        struct.pack("=BxHiII", 0, 0, idx, 0, 0)
                    t0 = time.perf_counter()
                    s.send(msg)
                    reply = s.recv(4096)
                    dt = time.perf_counter() - t0
                finally:
                    s.close()
                err = struct.unpack_from("=i", reply, 16)[0]
                if err != 0:
                    raise RuntimeError("RTM_DELLINK: %s" % os.strerror(-err))
                samples.append(dt * 1000)
        finally:
            holder.kill()
            holder.wait()
            netns_del(cpath)
            netns_del(node)
        return samples

    # ---- 3. occupancy ------------------------------------------------------------------

    POINTS = (1, 10, 100, 500, 1000)

    def occupancy(self, kind):
        n = self.args.occupancy
        adds = {"ours": [], "ref": []}
        floors = {"ours": [], "ref": []}
        dels = {"ours": [None] * n, "ref": [None] * n}
        failed = {"ours": "", "ref": ""}
        ctx = {}
        for impl in self.impls:
            ctx[impl.name] = {
                "bridge": bridge_conf("occnet", "bnocc", True, False,
                                      os.path.join(self.tmp, impl.name + "-occ"), idx=20),
                "host-local": hostlocal_conf("occhl", os.path.join(self.tmp,
                                                                   impl.name + "-occhl")),
            }.get(kind)
        netns = {"ours": [], "ref": []}
        outs = {"ours": [], "ref": []}
        v6probe = {"ours": {}, "ref": {}}
        probe_at = {}
        if kind == "bridge":
            for k in sorted(set(p for p in self.POINTS if p <= n) | {n}):
                probe_at.setdefault(min(k + 4, n), []).append(k)
        log("  occupancy %s: %d ADDs per implementation" % (kind, n))
        for i in range(n):
            for impl in self.alternate(i):
                if failed[impl.name]:
                    continue
                cid = "o%d" % i
                try:
                    if kind == "bridge":
                        c = netns_add("%s-%s-o%d" % (PREFIX, impl.name, i))
                        netns[impl.name].append(c)
                        dt, out = run_plugin(impl, "bridge", "ADD", ctx[impl.name], cid, c)
                        outs[impl.name].append(with_prev(ctx[impl.name], out))
                    elif kind == "portmap":
                        conf = portmap_conf("occpm", False, i)
                        dt, _ = run_plugin(impl, "portmap", "ADD", conf, cid, env=self.env())
                        outs[impl.name].append(conf)
                    else:
                        dt, _ = run_plugin(impl, "host-local", "ADD", ctx[impl.name], cid)
                        outs[impl.name].append(ctx[impl.name])
                    adds[impl.name].append(dt * 1000)
                    # The same binary doing nothing, right after: the machine's load at
                    # this moment, to tell growth with occupancy from load drifting.
                    ft, _ = run_plugin(impl, kind, "VERSION", {"cniVersion": "1.0.0"})
                    floors[impl.name].append(ft * 1000)
                except Failed as e:
                    failed[impl.name] = str(e)
            # After the window at() takes ADD #k from, so as not to disturb it.
            for k in probe_at.get(i + 1, ()):
                for impl in self.alternate(i):
                    if not failed[impl.name]:
                        v6probe[impl.name][k] = self.ipv6_share(impl, ctx[impl.name], i)
        log("  occupancy %s: DELs in reverse" % kind)
        for i in reversed(range(n)):
            for impl in self.alternate(i):
                if i >= len(outs[impl.name]):
                    continue
                cid = "o%d" % i
                try:
                    if kind == "bridge":
                        c = netns[impl.name][i]
                        dt, _ = run_plugin(impl, "bridge", "DEL", outs[impl.name][i], cid, c)
                        netns_del(c)
                    elif kind == "portmap":
                        dt, _ = run_plugin(impl, "portmap", "DEL", outs[impl.name][i], cid,
                                           env=self.env())
                    else:
                        dt, _ = run_plugin(impl, "host-local", "DEL", outs[impl.name][i], cid)
                    dels[impl.name][i] = dt * 1000
                except Failed as e:
                    failed[impl.name] = failed[impl.name] or str(e)
        return {"adds": adds, "dels": dels, "floors": floors, "failed": failed,
                "v6probe": v6probe}

    PROBE_ROUNDS = 4

    def ipv6_share(self, impl, conf, i):
        """At the current occupancy: ADDs (each DEL'd again) of one more container, with
        IPv6 on as usual and with IPv6 off in its namespace, alternating. The difference is
        the kernel's work for the new interface's first IPv6 multicast (MLD reports and a
        router solicitation when its link-local address is ready), which the bridge floods
        to every port and, for the DAD completion's part, sends holding the RTNL lock that
        the ADD's next netlink requests wait for. Returns (median on, median off) in ms."""
        on, off = [], []
        for r in range(2 * self.PROBE_ROUNDS):
            v6 = r % 2 == 0
            cid = "p%d-%d" % (i, r)
            c = netns_add("%s-%s-p%d" % (PREFIX, impl.name, r))
            try:
                if not v6:
                    sh("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
                       "net.ipv6.conf.default.disable_ipv6=1", c)
                dt, out = run_plugin(impl, "bridge", "ADD", conf, cid, c)
                (on if v6 else off).append(dt * 1000)
                run_plugin(impl, "bridge", "DEL", with_prev(conf, out), cid, c)
            except (Failed, RuntimeError) as e:
                log("  ipv6 probe %s: %s" % (impl.name, e))
            finally:
                netns_del(c)
        return median(on), median(off)

    @staticmethod
    def at(samples, k):
        """The latency at occupancy k (1-based): #1 alone, else the median of #k-4..#k+4
        (those that exist), so that one scheduling hiccup does not decide a figure."""
        v = [x for x in samples if x is not None]
        if len(samples) < k or samples[k - 1] is None:
            return float("nan")
        if k == 1:
            return samples[0]
        lo, hi = max(1, k - 4), min(len(samples), k + 4)
        return median([x for x in samples[lo - 1:hi] if x is not None]) if v else float("nan")

    def rel(self, r, impl, k):
        """ADD #k over the exec floor measured with it (both as at())."""
        a, f = self.at(r["adds"][impl], k), self.at(r["floors"][impl], k)
        return a / f if a == a and f == f and f else float("nan")

    # ---- 4. concurrency ----------------------------------------------------------------

    def concurrency(self, impl):
        n, par = self.args.concurrency, self.args.parallel
        conf = bridge_conf("conc", "bnconc", True, False,
                           os.path.join(self.tmp, impl.name + "-conc"), idx=30)
        paths = [netns_add("%s-%s-k%d" % (PREFIX, impl.name, i)) for i in range(n)]
        res = {}
        for verb in ("ADD", "DEL"):
            lat, fails = [], []
            lock = threading.Lock()

            def one(i):
                try:
                    dt, _ = run_plugin(impl, "bridge", verb, conf, "k%d" % i, paths[i])
                    with lock:
                        lat.append(dt * 1000)
                except Failed as e:
                    with lock:
                        fails.append(str(e))

            t0 = time.perf_counter()
            with concurrent.futures.ThreadPoolExecutor(max_workers=par) as ex:
                list(ex.map(one, range(n)))
            wall = time.perf_counter() - t0
            res[verb] = {"wall_s": wall, "max_ms": max(lat) if lat else float("nan"),
                         "median_ms": median(lat), "failed": len(fails),
                         "first_failure": fails[0] if fails else ""}
        for p in paths:
            netns_del(p)
        return res

    # ---- 5. processes, sizes, RSS ------------------------------------------------------


    @staticmethod
    def count_processes(path):
        """Processes forked and programs executed (beyond the plugin itself) in an
        strace -f log."""
        forks = execs = 0
        with open(path) as f:
            for line in f:
                if re.search(r"\b(fork|vfork)\(", line) or (
                        re.search(r"\bclone3?\(", line) and "CLONE_THREAD" not in line):
                    forks += 1
                if ("execve(" in line and "unfinished" not in line and
                        re.search(r"\) += 0$", line.rstrip())) or (
                        "execve resumed" in line and re.search(r"= 0$", line.rstrip())):
                    execs += 1
        return forks, execs - 1

    def processes(self):
        """Processes forked and programs executed per verb (strace), and peak RSS per verb
        (/usr/bin/time): each verb traced once and measured once, ADD before DEL."""
        rows = []
        for impl in self.impls:
            c = netns_add("%s-%s-pc" % (PREFIX, impl.name))
            cases = [("bridge", bridge_conf("pnet", "bnpbr", True, False,
                                            os.path.join(self.tmp, impl.name + "-proc"),
                                            idx=40), c),
                     ("portmap", portmap_conf("ppm", False, 7), "/x"),
                     ("host-local", hostlocal_conf("phl", os.path.join(
                         self.tmp, impl.name + "-prochl")), "/x")]
            for plugin, conf, ns in cases:
                res = {"ADD": {}, "DEL": {}}
                try:
                    # warm-up: the bridge, the tables
                    run_plugin(impl, plugin, "ADD", conf, "pw", ns, env=self.env())
                    run_plugin(impl, plugin, "DEL", conf, "pw", ns, env=self.env())
                    for verb in ("ADD", "DEL"):
                        path = os.path.join(self.tmp, "strace-%s-%s-%s" % (impl.name, plugin,
                                                                           verb))
                        run_plugin(impl, plugin, verb, conf, "ps", ns, env=self.env(),
                                   prefix=("strace", "-f", "-qq", "-o", path, "-e",
                                           "trace=execve,fork,vfork,clone,clone3"))
                        res[verb]["forks"], res[verb]["execs"] = self.count_processes(path)
                    for verb in ("ADD", "DEL"):
                        rpath = os.path.join(self.tmp, "rss-%s-%s-%s" % (impl.name, plugin,
                                                                         verb))
                        run_plugin(impl, plugin, verb, conf, "pr", ns, env=self.env(),
                                   prefix=("/usr/bin/time", "-f", "%M", "-o", rpath))
                        with open(rpath) as f:
                            res[verb]["rss_kb"] = int(f.read().split()[-1])
                except (Failed, ValueError, OSError) as e:
                    for verb in ("ADD", "DEL"):
                        res[verb].setdefault("error", str(e)[:200])
                for verb in ("ADD", "DEL"):
                    row = {"impl": impl.name, "plugin": plugin, "verb": verb}
                    row.update(res[verb])
                    if "error" not in row and "rss_kb" not in row:
                        row["error"] = "not measured"
                    rows.append(row)
            netns_del(c)
        return rows

    def sizes(self):
        out = {}
        for impl in self.impls:
            for plugin in ("bridge", "host-local", "portmap"):
                src = os.path.join(impl.dir, plugin)
                dst = os.path.join(self.tmp, "strip-%s-%s" % (impl.name, plugin))
                subprocess.run(["strip", "--strip-all", "-o", dst, src], check=True,
                               stderr=subprocess.DEVNULL)
                out[(impl.name, plugin)] = (os.path.getsize(dst), os.path.getsize(src))
        return out


# ---- rows this kernel cannot run: one QEMU guest -----------------------------------------

KERNEL_PROBES = {
    "dummy": "ip link add bnk0 type dummy",
    "ipvlan": "ip link add bnk0 type veth peer name bnk1 && "
              "ip link add link bnk0 name bnk2 type ipvlan mode l2",
    "vlan": "ip link add bnk0 type veth peer name bnk1 && "
            "ip link add link bnk0 name bnk2 type vlan id 5",
    "vrf": "ip link add bnk0 type vrf table 10",
}


def kernel_has(kind):
    """Whether this kernel makes a link of kind (tried in a scratch namespace)."""
    p = subprocess.run(["unshare", "-n", "sh", "-c", KERNEL_PROBES[kind]],
                       capture_output=True)
    return p.returncode == 0


def vm_label(label, accel):
    head, sep, verb = label.rpartition(": ")
    if not sep:
        return "%s (QEMU %s)" % (label, accel.upper())
    return "%s (QEMU %s): %s" % (head, accel.upper(), verb)


def vm_rows(args, kinds):
    """The verbs rows of kinds (ipvlan, vlan, dummy, vrf: links this kernel lacks), run by
    this script in one QEMU guest on Debian's stock kernel (scripts/vm: the host's userland
    read-only over 9p, KVM where the machine has it, else TCG, about 100x slower per
    exec); their rows come back as JSON through a writable share, labelled with the
    accelerator. A guest that fails leaves its rows failing with the reason."""
    top = os.path.dirname(HERE)
    vm = os.path.join(top, "scripts", "vm")
    build = os.path.join(top, "build", "vm-bench")
    out = os.path.join(build, "out")
    accel = "tcg"
    if os.access("/dev/kvm", os.R_OK | os.W_OK) and re.search(
            r"\b(vmx|svm)\b", open("/proc/cpuinfo").read()):
        accel = "kvm"
    stats = []

    def failed(why):
        rows = []
        for kind in kinds:
            for verb in ("ADD", "CHECK", "DEL"):
                st = Stat(vm_label("%s: %s" % (kind, verb), accel))
                st.fail("ours", why)
                st.fail("ref", why)
                rows.append(st)
        return rows
    try:
        kdir = subprocess.run(["sh", os.path.join(vm, "kernel.sh"),
                               os.path.join(top, "build", "vm", "kernel")], check=True,
                              capture_output=True, text=True).stdout.strip()
        os.makedirs(build, exist_ok=True)
        initrd = os.path.join(build, "initramfs.gz")
        subprocess.run(["sh", os.path.join(vm, "mkinitramfs.sh"), kdir, initrd], check=True,
                       capture_output=True)
    except (subprocess.CalledProcessError, OSError) as e:
        return failed("guest kernel: %s" % str(getattr(e, "stderr", "") or e)[-300:].strip())
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    argv = ["python3", os.path.join(HERE, "run.py"), "--bin", os.path.abspath(args.bin),
            "--ref", os.path.abspath(args.ref), "--iterations", str(args.vm_iterations),
            "--guest-json", "/run/vm/rows.json"]
    for k in kinds:
        argv += ["--only", k]
    with open(os.path.join(out, "run.sh"), "w") as f:
        f.write("export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "
                "HOME=/root PYTHONDONTWRITEBYTECODE=1\n"
                "cd %s || exit 1\nip link set lo up\n"
                "modprobe -a veth bridge 8021q dummy ipvlan macvlan vrf\n"
                "%s >/run/vm/bench.log 2>&1\necho $? >/run/vm/status\n" % (
                    shlex.quote(top), " ".join(shlex.quote(a) for a in argv)))
    with open(os.path.join(out, "checkout"), "w") as f:
        f.write(top + "\n")
    kernel = [os.path.join(kdir, "boot", k) for k in os.listdir(os.path.join(kdir, "boot"))
              if k.startswith("vmlinuz-")][0]
    qemu = ["qemu-system-x86_64", "-accel", accel, "-cpu", "max", "-m", "2048", "-smp", "2",
            "-machine", "q35", "-nodefaults", "-no-user-config", "-display", "none",
            "-no-reboot", "-net", "none",
            "-chardev", "file,id=con,path=%s" % os.path.join(out, "console.log"),
            "-serial", "chardev:con", "-kernel", kernel, "-initrd", initrd,
            "-append", "console=ttyS0 quiet panic=-1 oops=panic",
            "-virtfs", "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,"
                       "multidevs=remap",
            "-virtfs", "local,path=%s,mount_tag=modules,security_model=none,readonly=on" %
                       os.path.join(kdir, "lib", "modules"),
            "-virtfs", "local,path=%s,mount_tag=results,security_model=none" % out,
            "-virtfs", "local,path=%s,mount_tag=checkout,security_model=none,readonly=on,"
                       "multidevs=remap" % top]
    log("  %s: one QEMU guest (%s, %d iterations)" % (", ".join(kinds), accel,
                                                      args.vm_iterations))
    t0 = time.monotonic()
    try:
        p = subprocess.Popen(qemu, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
    except OSError as e:
        return failed("qemu: %s" % e)
    try:
        _, err = p.communicate(timeout=args.vm_timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        return failed("the guest did not power off within %d s" % args.vm_timeout)
    log("  guest ran %.0f s" % (time.monotonic() - t0))
    rows = os.path.join(out, "rows.json")
    if not os.path.exists(rows):
        tail = ""
        for name in ("bench.log", "console.log"):
            if os.path.exists(os.path.join(out, name)):
                tail = open(os.path.join(out, name), errors="replace").read()[-300:]
                break
        return failed("the guest wrote no rows (qemu %d %s): %s" % (
            p.returncode, err.decode(errors="replace")[-200:], tail))
    for r in json.load(open(rows)):
        st = Stat(vm_label(r["label"], accel))
        st.s, st.failed, st.note = r["s"], r["failed"], r["note"]
        stats.append(st)
    return stats


# ---- report ---------------------------------------------------------------------------

def machine_info(args, load_start, load_end):
    def read(path, default=""):
        try:
            with open(path) as f:
                return f.read().strip()
        except OSError:
            return default
    cpu = ""
    for line in read("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = read("/proc/meminfo").splitlines()[0].split()[1] if read("/proc/meminfo") else "0"
    ref_v = subprocess.run(["dpkg-query", "-W", "-f", "${Version}",
                            "containernetworking-plugins"], capture_output=True,
                           text=True).stdout or "?"
    git = subprocess.run(["git", "-C", HERE, "describe", "--always", "--dirty"],
                         capture_output=True, text=True).stdout.strip() or "?"
    return [("date", datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")),
            ("machine", "%s, %d CPUs, %d MiB" % (cpu or platform.machine(), os.cpu_count(),
                                                int(mem) // 1024)),
            ("kernel", platform.release()),
            ("system", "Debian " + read("/etc/debian_version", "?")),
            ("ours", "%s (git %s)" % (os.path.abspath(args.bin), git)),
            ("reference", "containernetworking-plugins %s (%s)" % (ref_v, os.path.abspath(args.ref))),
            ("load average", "%s at the start, %s at the end" % (load_start, load_end))]


def plot(out_dir, tmp, occ):
    """occupancy.png: ADD latency against occupancy, one panel per plugin."""
    if not shutil.which("gnuplot"):
        return None
    panels = []
    for kind, r in occ.items():
        data = os.path.join(tmp, "occ-%s.dat" % kind)
        with open(data, "w") as f:
            for i in range(max(len(r["adds"]["ours"]), len(r["adds"]["ref"]))):
                o = r["adds"]["ours"][i] if i < len(r["adds"]["ours"]) else float("nan")
                g = r["adds"]["ref"][i] if i < len(r["adds"]["ref"]) else float("nan")
                f.write("%d %s %s\n" % (i + 1, o if o == o else "NaN", g if g == g else "NaN"))
        panels.append((kind, data))
    png = os.path.join(out_dir, "occupancy.png")
    script = ['set terminal pngcairo size 1000,%d font ",10"' % (300 * len(panels)),
              'set output "%s"' % png, "set multiplot layout %d,1" % len(panels),
              "set grid", "set key top left", "set xlabel 'containers attached (ADD #)'",
              "set ylabel 'ADD latency (ms, log scale)'", "set logscale y"]
    for kind, data in panels:
        script += ['set title "%s ADD latency against occupancy"' % kind,
                   'plot "%s" using 1:3 with points pt 7 ps 0.3 lc rgb "#d62728" title '
                   '"reference (Go 1.1.1)", "%s" using 1:2 with points pt 7 ps 0.3 '
                   'lc rgb "#1f77b4" title "ours"' % (data, data)]
    script.append("unset multiplot")
    p = subprocess.run(["gnuplot"], input="\n".join(script), text=True, capture_output=True)
    if p.returncode != 0:
        log("gnuplot failed: %s" % p.stderr)
        return None
    return png


def report_netavark(b, L, notes):
    """The netavark table and where each side's DEL time goes."""
    L.append("## 1b. Against netavark (podman's own network stack)")
    L.append("")
    L.append("The same bridge network (one subnet, gateway, masquerade, one tcp port mapping "
             "or none), each side in a node namespace of its own with one resident container "
             "attached all along, A B A B. Ours: `bin/cnitool`, which runs the conflist's "
             "plugins in order as libcni does (bridge, which runs host-local, then portmap; "
             "without a port mapping portmap still runs and finds nothing to do), so each "
             "figure is 3 or 4 execs. netavark 1.4 (Debian): one process, `netavark setup` / "
             "`teardown` with podman's network options on stdin, `NETAVARK_FW=iptables`, DNS "
             "off, the address given (podman allocates it). netavark has no CHECK (its "
             "commands are setup, teardown, update, version).")
    L.append("")
    L.append("| verb | ours median | ours p90 | netavark median | netavark p90 | netavark/ours |")
    L.append("|---|---:|---:|---:|---:|---:|")
    for s in b.nv_rows:
        cells = []
        for impl in ("ours", "ref"):
            if s.failed[impl] and not s.s[impl]:
                cells += ["fails", ""]
                notes.append("%s, %s: %s" % (s.label, "ours" if impl == "ours" else
                                             "netavark", s.failed[impl]))
            else:
                cells += [fmt(s.med(impl)), fmt(p90(s.s[impl]))]
        r = s.ratio()
        L.append("| %s | %s | %s | %s | %s | %s |" % (s.label, cells[0], cells[1], cells[2],
                                                      cells[3], "—" if r != r else "%.1f" % r))
    L.append("")
    traces = b.extra.get("netavark_traces", {})
    for name, title in (("ours", "ours (cnitool, bridge, host-local, portmap)"),
                        ("ref", "netavark")):
        t = traces.get(name)
        if not t:
            continue
        L.append("DEL without a port mapping, %s, traced once (`strace -f -tt -T -yy`, "
                 "which slows every call):" % title)
        L.append("")
        if "error" in t:
            L.append("- fails: %s" % t["error"].replace("\n", " ").replace("|", "/"))
            L.append("")
            continue
        L.append("- wall time traced: %.1f ms; processes (program, wall ms): %s" % (
            t["wall_ms"], ", ".join("%s %.1f" % (prog, ms) for prog, _, ms in t["procs"])))
        L.append("- time by system call (ms, all processes): %s" % ", ".join(
            "%s %.1f" % (n, ms) for n, ms in t["byname"]))
        L.append("")
        L.append("| process | ms | longest system calls |")
        L.append("|---|---:|---|")
        for prog, pid, ms, call in t["top"]:
            L.append("| %s | %.1f | `%s` |" % (prog, ms, call.replace("|", "/")
                                               .replace("`", "'")))
        L.append("")


def report(b, info, sections, floors, veth, occ, conc, procs, sizes):
    L = []
    L.append("# Benchmark results")
    L.append("")
    L.append("Written by `make bench` (`bench/run.py`). Every figure is one plugin execution "
             "as a runtime pays for it (fork, exec, work, exit), in ms; ours and the "
             "reference alternate A B A B in each namespace of their own; ratio = "
             "reference / ours (higher is better for ours).")
    L.append("")
    for k, v in info:
        L.append("- **%s**: %s" % (k, v))
    L.append("- **iterations**: %d per verb, occupancy %d, concurrency %d attachments %d at a "
             "time" % (b.args.iterations, b.args.occupancy, b.args.concurrency, b.args.parallel))
    L.append("")
    L.append("## 1. Verbs (median / p90)")
    L.append("")
    L.append("| verb | ours median | ours p90 | ref median | ref p90 | ref/ours |")
    L.append("|---|---:|---:|---:|---:|---:|")
    notes = []
    for s in sections + floors:
        cells = []
        for impl in ("ours", "ref"):
            if impl == "ref" and s.note and not s.s[impl]:
                cells += [s.note, ""]  # no reference to compare with
            elif s.failed[impl] and not s.s[impl]:
                cells += ["fails", ""]
                notes.append("%s, %s: %s" % (s.label, impl, s.failed[impl]))
            else:
                cells += [fmt(s.med(impl)), fmt(p90(s.s[impl]))]
                if s.failed[impl]:
                    notes.append("%s, %s (some runs): %s" % (s.label, impl, s.failed[impl]))
        r = s.ratio()
        L.append("| %s | %s | %s | %s | %s | %s |" % (s.label, cells[0], cells[1], cells[2],
                                                      cells[3], "—" if r != r else "%.1f" % r))
    L.append("")
    if any(s.label.find("(QEMU ") >= 0 for s in sections):
        L.append("Rows marked (QEMU TCG) ran in one QEMU guest on Debian's stock kernel "
                 "(this kernel lacks those links), under software emulation, about 100x "
                 "slower per exec than the other rows: compare their ratios, not their "
                 "times, with the rest (%d iterations)." % b.args.vm_iterations)
        L.append("")
    if b.nv_rows:
        report_netavark(b, L, notes)
    bdel = [s for s in sections if s.label == "bridge ipMasq on, IPv4: DEL"]
    if veth:
        L.append("## 2. The kernel's share of bridge DEL")
        L.append("")
        v = median(veth)
        line = "Removing a container veth whose peer is a bridge port (RTM_DELLINK until its " \
               "ACK, alone): median %.1f ms, p90 %.1f ms." % (v, p90(veth))
        if bdel:
            o, r = bdel[0].med("ours"), bdel[0].med("ref")
            line += " The reference waits for all of it (%.0f%% of its bridge DEL, ipMasq " \
                    "on, IPv4: %.1f ms); ours returns once the link has left its namespace, " \
                    "within the first millisecond of it, and a child waits for the rest " \
                    "(our bridge DEL: %.1f ms)." % (100 * v / r if r == r and r else 0, r, o)
        L.append(line)
        L.append("")
    ct = b.extra.get("ct_walk")
    if ct:
        pm = [s for s in sections if s.label == "portmap 2 mappings, IPv4: ADD"]
        pt = [s for s in sections if s.label == "portmap 2 mappings, IPv4, both tcp: ADD"]
        L.append("One dump of the kernel's conntrack table (IPv4, request to NLMSG_DONE) in the "
                 "node namespace: median %.1f ms, p90 %.1f ms. The table is shared by every "
                 "namespace (%s buckets here), so the walk costs this however few entries "
                 "the namespace has; portmap's UDP flush pays it once per command when the "
                 "namespace has any entry (DEL overlaps it with the kernel's release of the "
                 "deleted rules)." % (median(ct), p90(ct), open(
                     "/proc/sys/net/netfilter/nf_conntrack_buckets").read().strip()
                     if os.path.exists("/proc/sys/net/netfilter/nf_conntrack_buckets")
                     else "?"))
        if pm and pt:
            L.append(" Our portmap ADD: %.1f ms with a udp mapping, %.1f ms with two tcp "
                     "mappings (no flush)." % (pm[0].med("ours"), pt[0].med("ours")))
        L.append("")
    mv = b.extra.get("netns_move")
    if mv:
        hd = {s.label: s for s in sections}
        L.append("Moving an up device into another namespace (RTM_NEWLINK with IFLA_NET_NS_FD "
                 "until its ACK, alone): median %.1f ms, p90 %.1f ms. The kernel waits for "
                 "RCU callbacks on every CPU (rcu_barrier) in each move, so the figure grows "
                 "with the machine's load. host-device ADD and DEL each move the device once "
                 "(moved, renamed and aliased in one request; the newest reference moves it "
                 "twice, through a temporary namespace); Debian's 1.1.1 moves it once and "
                 "renames it inside the container after." % (median(mv), p90(mv)))
        a, d = hd.get("host-device, L2: ADD"), hd.get("host-device, L2: DEL")
        if a and d:
            L.append(" Our host-device L2 ADD: %.1f ms, DEL: %.1f ms (the reference's: %.1f, "
                     "%.1f ms)." % (a.med("ours"), d.med("ours"), a.med("ref"), d.med("ref")))
        L.append("")
    L.append("## 3. Occupancy (one network, containers attached one after another)")
    L.append("")
    L.append("ADD at #k: the ADD that attaches the k-th container (#1 alone, else the median "
             "of #k-4..#k+4); DEL at #k: the DEL done while k are attached (DELs in reverse "
             "order).")
    L.append("")
    pts = [k for k in b.POINTS if k <= b.args.occupancy]
    if b.args.occupancy not in pts:
        pts.append(b.args.occupancy)
    L.append("| plugin | impl | " + " | ".join("ADD #%d" % k for k in pts) + " | " +
             " | ".join("DEL #%d" % k for k in pts) + " |")
    L.append("|---|---|" + "---:|" * (2 * len(pts)))
    for kind, r in occ.items():
        for impl in ("ours", "ref"):
            a = [fmt(b.at(r["adds"][impl], k)) for k in pts]
            d = [fmt(b.at(r["dels"][impl], k)) for k in pts]
            L.append("| %s | %s | %s | %s |" % (kind, impl, " | ".join(a), " | ".join(d)))
            if r["failed"][impl]:
                notes.append("occupancy %s, %s: %s" % (kind, impl, r["failed"][impl]))
    L.append("")
    L.append("The same ADDs in units of the plugin's exec floor measured right after each "
             "(VERSION of the same binary): growth with occupancy apart from the machine's "
             "load drifting during the run.")
    L.append("")
    L.append("| plugin | impl | " + " | ".join("ADD #%d / floor" % k for k in pts) + " |")
    L.append("|---|---|" + "---:|" * len(pts))
    for kind, r in occ.items():
        for impl in ("ours", "ref"):
            L.append("| %s | %s | %s |" % (kind, impl, " | ".join(
                "%.1f" % b.rel(r, impl, k) if b.rel(r, impl, k) == b.rel(r, impl, k) else "—"
                for k in pts)))
    L.append("")
    br = occ.get("bridge")
    if br and any(br["v6probe"][impl] for impl in ("ours", "ref")):
        L.append("The kernel's share of bridge ADD growth: at each occupancy, ADDs of one more "
                 "container (DEL'd again) with IPv6 on, as in the series above, and with IPv6 "
                 "off in its namespace (%d of each, alternating, medians). With IPv6 on, the "
                 "new interface's MLD reports and router solicitation, sent when its "
                 "link-local address is ready, are flooded by the bridge to every port, and "
                 "the part sent on DAD completion holds the RTNL lock the ADD's next netlink "
                 "requests wait for." % b.PROBE_ROUNDS)
        L.append("")
        L.append("| impl | " + " | ".join("#%d IPv6 on / off" % k for k in pts) + " |")
        L.append("|---|" + "---:|" * len(pts))
        for impl in ("ours", "ref"):
            cells = []
            for k in pts:
                v = br["v6probe"][impl].get(k)
                cells.append("%s / %s" % (fmt(v[0]), fmt(v[1])) if v else "—")
            L.append("| %s | %s |" % (impl, " | ".join(cells)))
        L.append("")
    L.append("![ADD latency against occupancy](occupancy.png)")
    L.append("")
    L.append("## 4. Concurrency (bridge + host-local + ipMasq, one network)")
    L.append("")
    L.append("| impl | verb | attachments | at a time | wall (s) | median (ms) | slowest (ms) "
             "| failed |")
    L.append("|---|---|---:|---:|---:|---:|---:|---:|")
    for impl, res in conc.items():
        for verb, x in res.items():
            L.append("| %s | %s | %d | %d | %.1f | %s | %s | %d |" % (
                impl, verb, b.args.concurrency, b.args.parallel, x["wall_s"],
                fmt(x["median_ms"]), fmt(x["max_ms"]), x["failed"]))
            if x["first_failure"]:
                notes.append("concurrency %s %s: %s" % (impl, verb, x["first_failure"]))
    L.append("")
    L.append("## 5. Processes, sizes, memory")
    L.append("")
    L.append("| impl | plugin | verb | processes forked | programs executed | peak RSS (KiB) |")
    L.append("|---|---|---|---:|---:|---:|")
    for row in procs:
        if "error" in row:
            L.append("| %s | %s | %s | fails | | |" % (row["impl"], row["plugin"], row["verb"]))
            notes.append("processes %s %s %s: %s" % (row["impl"], row["plugin"], row["verb"],
                                                     row["error"]))
            continue
        L.append("| %s | %s | %s | %d | %d | %d |" % (row["impl"], row["plugin"], row["verb"],
                                                       row["forks"], row["execs"],
                                                       row["rss_kb"]))
    L.append("")
    L.append("Peak RSS is the largest of the plugin and what it runs (wait4's rusage).")
    L.append("")
    L.append("| binary | ours stripped (bytes) | reference stripped (bytes) |")
    L.append("|---|---:|---:|")
    for plugin in ("bridge", "host-local", "portmap"):
        L.append("| %s | %d | %d |" % (plugin, sizes[("ours", plugin)][0],
                                       sizes[("ref", plugin)][0]))
    L.append("")
    L.append("## Targets")
    L.append("")
    L.append("| target | result | |")
    L.append("|---|---|---|")
    for text, ok, detail in b.targets:
        L.append("| %s | %s | %s |" % (text, "met" if ok else "**not met**", detail))
    L.append("")
    if notes:
        L.append("## Notes")
        L.append("")
        for n in notes:
            L.append("- " + n.replace("\n", " ").replace("|", "/"))
        L.append("")
    return "\n".join(L)


def evaluate_targets(b, sections, floors, occ, procs, sizes):
    by = {s.label: s for s in sections + floors}

    def ratio(label, want):
        if label not in by:  # left out by --only
            return
        s = by.get(label)
        r = s.ratio() if s else float("nan")
        b.targets.append(("%s: ref/ours ≥ %g" % (label, want), r == r and r >= want,
                          "%.1f" % r if r == r else "n/a"))
    ratio("bridge ipMasq on, IPv4: ADD", 4)
    ratio("portmap 2 mappings, IPv4: ADD", 10)
    ratio("portmap 2 mappings, IPv4: DEL", 6)
    ratio("bridge ipMasq on, IPv4: CHECK", 3)
    ratio("bridge ipMasq on, IPv4: DEL", 2)
    ratio("host-device, L2: ADD", 5)
    ratio("host-device, L2: DEL", 5)
    ratio("macvlan, IPv4: ADD", 5)
    ratio("macvlan, IPv4: DEL", 5)
    ratio("sbr, IPv4 (2 routes): ADD", 5)
    ratio("sbr, IPv4 (2 routes): CHECK", 5)
    ratio("sbr, IPv4 (2 routes): DEL", 5)
    for masq in ("off", "on"):
        for verb in ("ADD", "CHECK", "DEL"):
            ratio("ptp ipMasq %s, IPv4: %s" % (masq, verb), 5)
    for s in b.nv_rows:
        r = s.ratio()
        b.targets.append(("ours ahead of netavark: %s" % s.label, r == r and r > 1,
                          "netavark/ours %.1f (%.1f / %.1f ms)" % (r, s.med("ref"),
                                                                   s.med("ours"))
                          if r == r else "n/a"))
    for plugin, label, k in (("portmap", "portmap 2 mappings, IPv4: ADD", 5),
                             ("bridge", "bridge ipMasq on, IPv4: ADD", 10)):
        if label not in by:  # left out by --only
            continue
        f = by["%s VERSION (exec floor)" % plugin].med("ours")
        v = by[label].med("ours")
        b.targets.append(("ours: %s ≤ %d× its exec floor" % (label, k), v <= k * f,
                          "%.1f× (%.1f / %.1f ms)" % (v / f, v, f)))
    n = b.args.occupancy
    for kind, r in occ.items():
        if n >= 10:
            a10, an = b.at(r["adds"]["ours"], 10), b.at(r["adds"]["ours"], n)
            ok = a10 == a10 and an == an and an <= 1.2 * a10
            r10, rn = b.rel(r, "ours", 10), b.rel(r, "ours", n)
            detail = (("%.2f× (%.1f / %.1f ms); over the exec floor %.2f× "
                       "(%.1f / %.1f)" % (an / a10, an, a10, rn / r10, rn, r10))
                      if a10 == a10 and an == an and r10 == r10 and rn == rn else "n/a")
            p10, pn = r.get("v6probe", {}).get("ours", {}).get(10), \
                r.get("v6probe", {}).get("ours", {}).get(n)
            if p10 and pn and p10[1] == p10[1] and pn[1] == pn[1]:
                detail += "; with the container's IPv6 off %.2f× (%.1f / %.1f)" % (
                    pn[1] / p10[1], pn[1], p10[1])
            b.targets.append(("ours: %s ADD #%d within 1.2× of ADD #10" % (kind, n), ok,
                              detail))
    for plugin in ("bridge", "host-local", "portmap"):
        sz = sizes[("ours", plugin)][0]
        b.targets.append(("ours: %s ≤ 200 KB stripped" % plugin, sz <= 200 * 1024,
                          "%d bytes" % sz))
    rss = [r["rss_kb"] for r in procs if r["impl"] == "ours" and "rss_kb" in r]
    if rss:
        b.targets.append(("ours: peak RSS ≤ 4 MB per verb", max(rss) <= 4096,
                          "largest %d KiB" % max(rss)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", required=True, help="directory of our plugins (and cnitool)")
    ap.add_argument("--ref", default="/usr/lib/cni", help="the reference plugins")
    ap.add_argument("--iterations", type=int, default=21)
    ap.add_argument("--occupancy", type=int, default=1000)
    ap.add_argument("--concurrency", type=int, default=500)
    ap.add_argument("--parallel", type=int, default=64)
    ap.add_argument("--quick", action="store_true",
                    help="few iterations, 100 containers, 128 attachments (a smoke run)")
    ap.add_argument("--out", default=HERE, help="where results.md and occupancy.png go")
    ap.add_argument("--skip", action="append", default=[],
                    help="leave out a section: verbs, occupancy, concurrency, processes")
    ap.add_argument("--only", action="append", default=[],
                    help="in the verbs section, only these rows (repeated or comma-separated): "
                         "%s (default: all)" % ", ".join(FAMILIES))
    ap.add_argument("--vm-iterations", type=int,
                    help="iterations of the rows run in a QEMU guest (ipvlan, vlan, dummy, "
                         "vrf where this kernel lacks them; default: --iterations)")
    ap.add_argument("--vm-timeout", type=int, default=1800,
                    help="seconds the QEMU guest may run")
    ap.add_argument("--guest-json", help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.only = [n for o in args.only for n in o.split(",") if n]
    for n in args.only:
        if n not in FAMILIES:
            sys.exit("--only %s: no such rows (%s)" % (n, ", ".join(FAMILIES)))
    if args.quick:
        args.iterations, args.occupancy, args.concurrency = 7, 100, 128
        args.vm_iterations = min(args.vm_iterations or 5, 5)
    args.vm_iterations = args.vm_iterations or args.iterations
    if os.geteuid() != 0:
        sys.exit("bench/run.py needs root (network namespaces)")
    ensure_packages()
    for p in ("bridge", "host-local", "portmap", "cnitool"):
        if not os.access(os.path.join(args.bin, p), os.X_OK):
            sys.exit("%s/%s is missing: build first (make all)" % (args.bin, p))
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))
    load_start = open("/proc/loadavg").read().split()[0]
    b = Bench(args)
    sections, floors, veth, occ, conc, procs = [], [], [], {}, {}, []
    try:
        for impl in b.impls:
            impl.start()
        if "verbs" not in args.skip:
            log("1. verbs")

            def want(name):
                return not args.only or name in args.only
            if want("bridge"):
                for masq in (False, True):
                    for dual in (False, True):
                        sections += b.verbs_bridge(masq, dual)
            if want("host-local"):
                sections += b.verbs_hostlocal()
            if want("portmap"):
                for dual in (False, True):
                    sections += b.verbs_portmap(dual)
                sections += b.verbs_portmap(False, udp=False)
            if want("macvlan"):
                sections += b.verbs_macvlan()
            if want("ptp") and os.access(os.path.join(args.bin, "ptp"), os.X_OK):
                for masq in (False, True):
                    sections += b.verbs_ptp(masq)
            if want("chain"):
                sections += b.verbs_chain()
            if want("host-device"):
                for ipam in (False, True):
                    sections += b.verbs_hostdevice(ipam)
            if want("tap") and os.access(os.path.join(args.bin, "tap"), os.X_OK):
                for l3 in (False, True):
                    sections += b.verbs_tap(l3)
            if want("sbr") and os.access(os.path.join(args.bin, "sbr"), os.X_OK):
                sections += b.verbs_sbr()
            for name, fn in (("loopback", b.verbs_loopback), ("static", b.verbs_static),
                             ("tuning", b.verbs_tuning), ("bandwidth", b.verbs_bandwidth),
                             ("firewall", b.verbs_firewall), ("dhcp", b.verbs_dhcp)):
                if want(name):
                    log("  %s" % name)
                    sections += fn()
            in_vm = []
            for kind in ("ipvlan", "vlan", "dummy", "vrf"):
                if not want(kind):
                    continue
                if args.guest_json or kernel_has(kind):
                    log("  %s" % kind)
                    sections += b.verbs_vrf() if kind == "vrf" else b.verbs_link(kind)
                else:
                    in_vm.append(kind)
            if args.guest_json:
                # The exec floor here, for the rows' own scale.
                sections += b.floors([k for k in ("ipvlan", "vlan", "dummy", "vrf")
                                      if want(k)])
                with open(args.guest_json, "w") as f:
                    json.dump([{"label": s.label, "s": s.s, "failed": s.failed,
                                "note": s.note} for s in sections], f)
                return
            if in_vm:
                sections += vm_rows(args, in_vm)
            if want("netavark"):
                log("  netavark")
                b.nv_rows = b.verbs_netavark()
            log("2. exec floors, veth teardown")
            floors = b.floors()
            veth = b.veth_teardown()
            b.extra["ct_walk"] = b.conntrack_walk()
            b.extra["netns_move"] = b.netns_move()
        if "occupancy" not in args.skip:
            log("3. occupancy")
            for kind in ("bridge", "portmap", "host-local"):
                occ[kind] = b.occupancy(kind)
        if "concurrency" not in args.skip:
            log("4. concurrency")
            for impl in b.impls:
                conc[impl.name] = b.concurrency(impl)
        if "processes" not in args.skip:
            log("5. processes, sizes, RSS")
            procs = b.processes()
        sizes = b.sizes()
    finally:
        cleanup_namespaces()
    load_end = open("/proc/loadavg").read().split()[0]
    if sections:
        evaluate_targets(b, sections, floors, occ, procs, sizes)
    info = machine_info(args, load_start, load_end)
    os.makedirs(args.out, exist_ok=True)
    text = report(b, info, sections, floors, veth, occ, conc, procs, sizes)
    png = plot(args.out, b.tmp, occ) if occ else None
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(text + "\n")
    print(text)
    log("wrote %s%s" % (os.path.join(args.out, "results.md"), ", " + png if png else ""))
    shutil.rmtree(b.tmp, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    finally:
        cleanup_namespaces()
