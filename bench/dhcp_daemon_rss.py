#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Memory of `dhcp daemon` holding N leases, and the ADD latency on the way there:

    python3 bench/dhcp_daemon_rss.py --bin DIR [--leases N] [--go] [--plugins DIR]

A "node" namespace holds a veth end as the macvlan master, a "server" namespace the other
end with dnsmasq; N container namespaces each get a macvlan link by Debian's Go macvlan
plugin, whose IPAM (Debian's Go dhcp plugin) asks the daemon for a lease. The daemon is
ours (bin/dhcp when it runs the daemon, else the test launcher linked with the daemon's
library; run in the node namespace) and, with --go, also Debian's Go daemon (/usr/lib/cni/dhcp daemon) for
comparison. `--plugins DIR` takes macvlan and the dhcp plugin from DIR instead (e.g. bin/, our
whole chain). Printed: VmRSS of the daemon before the first lease and with N leases, its
peak (VmHWM), open fds, threads, and ADD latency (median, p90, max). Everything is removed
at the end; nothing of the machine's own network is touched.
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
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
REF = "/usr/lib/cni"


def sh(cmd):
    subprocess.run(cmd, shell=True, check=True, capture_output=True)


def status(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    out["fds"] = len(os.listdir("/proc/%d/fd" % pid))
    return out


def kib(v):
    return int(v.split()[0])


def wait_socket(path, proc, timeout=30):
    import socket
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("daemon exited")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            return
        except OSError:
            time.sleep(0.02)
        finally:
            s.close()
    raise SystemExit("daemon does not answer on %s" % path)


def start_daemon(cmd, sock, node):
    """A dhcp daemon (cmd, its argv up to the socket option) listening on sock, run in
    netns node (a path) in a mount namespace of its own; returns its Popen once it
    answers. Stop it with stop()."""
    proc = subprocess.Popen(["nsenter", "--net=" + node, "--", "unshare", "-m",
                             "--propagation", "slave"] + cmd +
                            ["-socketpath", sock],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_socket(sock, proc)
    except BaseException:
        stop(proc)
        raise
    return proc


def start_dnsmasq(srv, iface, tmp, net="10.79"):
    """dnsmasq serving DHCP for net.0.0/16 (router net.0.1, leases from net.1.1) on iface
    in netns srv (a path), its lease and pid files in tmp; returns its Popen once its pid
    file exists. Stop it with stop()."""
    pid = os.path.join(tmp, "dnsmasq.pid")
    server = subprocess.Popen(
        ["nsenter", "--net=" + srv, "dnsmasq", "-k", "--conf-file=/dev/null", "--port=0",
         "--user=root", "--interface=" + iface, "--bind-interfaces", "--no-ping",
         "--dhcp-range=%s.1.1,%s.9.254,255.255.0.0,1h" % (net, net),
         "--dhcp-lease-max=10000", "--dhcp-option=option:router,%s.0.1" % net,
         "--dhcp-leasefile=" + os.path.join(tmp, "leases"), "--pid-file=" + pid],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not os.path.exists(pid) and time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("dnsmasq exited %d" % server.returncode)
        time.sleep(0.02)
    return server


def stop(proc):
    """Terminate a process started here and reap it."""
    if proc and proc.poll() is None:
        proc.terminate()
        proc.wait(timeout=30)


def run(label, cmd, n, tmp, node, plugins=REF):
    sock = os.path.join(tmp, label, "dhcp.sock")
    os.makedirs(os.path.dirname(sock))
    proc = start_daemon(cmd, sock, "/run/netns/" + node)
    containers = []
    try:
        before = status(proc.pid)
        conf = json.dumps({"cniVersion": "1.0.0", "name": "benchnet", "type": "macvlan",
                           "master": "mv0",
                           "ipam": {"type": "dhcp", "daemonSocketPath": sock}}).encode()
        lat = []
        for i in range(n):
            ns = "dhb-%s" % uuid.uuid4().hex[:8]
            sh("ip netns add " + ns)
            containers.append(ns)
            env = dict(os.environ, CNI_COMMAND="ADD", CNI_CONTAINERID="b%d" % i,
                       CNI_NETNS="/run/netns/" + ns, CNI_IFNAME="eth0", CNI_PATH=plugins)
            t = time.monotonic()
            p = subprocess.run(["nsenter", "--net=/run/netns/" + node, "--",
                                os.path.join(plugins, "macvlan")], input=conf, env=env,
                               capture_output=True, timeout=300)
            lat.append((time.monotonic() - t) * 1000)
            if p.returncode != 0:
                raise SystemExit("ADD %d failed: %s" % (i, p.stdout.decode()))
        after = status(proc.pid)
        lat.sort()
        return {
            "daemon": label,
            "rss_kib_idle": kib(before["VmRSS"]),
            "rss_kib_leases": kib(after["VmRSS"]),
            "hwm_kib": kib(after["VmHWM"]),
            "threads": int(after["Threads"]),
            "fds": after["fds"],
            "add_ms_median": round(statistics.median(lat), 1),
            "add_ms_p90": round(lat[int(len(lat) * 0.9) - 1], 1),
            "add_ms_max": round(lat[-1], 1),
        }
    finally:
        for i, ns in enumerate(containers):
            env = dict(os.environ, CNI_COMMAND="DEL", CNI_CONTAINERID="b%d" % i,
                       CNI_NETNS="/run/netns/" + ns, CNI_IFNAME="eth0", CNI_PATH=plugins)
            subprocess.run(["nsenter", "--net=/run/netns/" + node, "--",
                            os.path.join(plugins, "macvlan")],
                           input=json.dumps({"cniVersion": "1.0.0", "name": "benchnet",
                                             "type": "macvlan", "master": "mv0",
                                             "ipam": {"type": "dhcp",
                                                      "daemonSocketPath": sock}}).encode(),
                           env=env, capture_output=True, timeout=300)
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        stop(proc)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "bin"))
    ap.add_argument("--leases", type=int, default=100)
    ap.add_argument("--go", action="store_true", help="also measure Debian's Go daemon")
    ap.add_argument("--plugins", default=REF,
                    help="where macvlan and the dhcp plugin come from (default: Debian's)")
    opts = ap.parse_args()
    os.environ["CNI_TEST_BIN"] = os.path.abspath(opts.bin)
    sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
    import test_dhcp_daemon  # noqa: E402  (the launcher when bin/dhcp has no daemon)

    tmp = tempfile.mkdtemp(prefix="dhcpbench-")
    node = "dhbnode-" + uuid.uuid4().hex[:6]
    srv = "dhbsrv-" + uuid.uuid4().hex[:6]
    server = None
    try:
        sh("ip netns add %s && ip netns add %s" % (node, srv))
        sh("ip -n %s link add mv0 type veth peer name s0 netns %s" % (node, srv))
        sh("ip -n %s link set mv0 up && ip -n %s link set s0 up && "
           "ip -n %s addr add 10.79.0.1/16 dev s0" % (node, srv, srv))
        server = start_dnsmasq("/run/netns/" + srv, "s0", tmp)
        results = []
        ours = test_dhcp_daemon.daemon_binary() + [
            "daemon", "-statedir", os.path.join(tmp, "state")]
        plugins = os.path.abspath(opts.plugins)
        results.append(run("ours", ours, opts.leases, tmp, node, plugins))
        if opts.go:
            results.append(run("go-1.1.1", [os.path.join(REF, "dhcp"), "daemon"],
                               opts.leases, tmp, node, plugins))
        keys = list(results[0].keys())
        print("| " + " | ".join(keys) + " |")
        print("|" + "---|" * len(keys))
        for r in results:
            print("| " + " | ".join(str(r[k]) for k in keys) + " |")
        print("(%d leases; RSS in KiB)" % opts.leases)
    finally:
        stop(server)
        for ns in (node, srv):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        shutil.rmtree(tmp, True)


if __name__ == "__main__":
    main()
