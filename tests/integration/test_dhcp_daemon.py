# SPDX-License-Identifier: Apache-2.0
"""Live tests of `dhcp daemon` with Debian's Go dhcp plugin as its client.

Each test builds its own namespaces: a "node" namespace holding the macvlan master (one end
of a veth pair), a "server" namespace holding the other end with a DHCP server (dnsmasq,
or busybox udhcpd where a lease of seconds is needed: dnsmasq's shortest is 2 minutes),
and container namespaces. Debian's Go macvlan plugin runs in the node namespace and calls
Debian's Go dhcp plugin, whose ipam.daemonSocketPath points at our daemon. The daemon runs
in a mount namespace of its own (slave propagation: it sees the container namespaces the
test mounts later, nothing it mounts leaks out) with its socket, pid file and state
directory in the test's temporary directory, and is ended by its PID.

Waits are events with bounds: the daemon's log line, the server's lease file and the
daemon's lease records are watched with inotify; nothing sleeps to let time pass.
"""
import ctypes
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import time

import cnitest
from cnitest import CNITestCase

GO_DHCP = os.path.join(cnitest.REFERENCE_BIN, "dhcp")
GO_MACVLAN = os.path.join(cnitest.REFERENCE_BIN, "macvlan")
REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
NET = "dhnet"
SERVER_IP = "10.78.0.1"

_launcher = None


def launcher():
    """The test launcher (tests/integration/dhcp_daemon_launcher.c) linked with the
    daemon's library of the build under test: `daemon ...` and `call ...`."""
    global _launcher
    if _launcher:
        return _launcher
    bindir = os.path.abspath(cnitest.BIN)
    san = bindir.endswith(os.path.join("build", "san", "bin"))
    build = os.path.dirname(bindir) if san else os.path.join(REPO, "build", "rel")
    rel = os.path.relpath(build, REPO)
    libs = ["libdhcp.a", "libcniipmasq.a", "libcniiface.a", "libcninet.a", "libcniproto.a"]
    subprocess.run(["make", "-s", "-C", REPO, "SANITIZE=1" if san else "SANITIZE="] +
                   [os.path.join(rel, l) for l in libs], check=True, capture_output=True)
    out = os.path.join(build, "tests", "dhcp-daemon-launcher")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    flags = ["-fsanitize=address,undefined", "-fno-omit-frame-pointer"] if san else []
    subprocess.run(["cc", "-D_GNU_SOURCE", "-I" + os.path.join(REPO, "common"),
                    "-I" + os.path.join(REPO, "plugins")] + flags +
                   ["-o", out, os.path.join(REPO, "tests", "integration",
                                            "dhcp_daemon_launcher.c")] +
                   [os.path.join(build, l) for l in libs] + ["-lcjson", "-lmnl", "-lnftnl"],
                   check=True)
    _launcher = out
    return out


def daemon_binary():
    """bin/dhcp when it runs the daemon, else the test launcher."""
    ours = cnitest.plugin_path("dhcp")
    if os.path.exists(ours):
        p = subprocess.run([ours, "daemon", "-no-such-flag"], capture_output=True)
        if p.returncode == 2 and b"-socketpath" in p.stderr:
            return [ours]
    return [launcher()]


# ---- inotify: wait for a directory's files to say something -------------------------------

_libc = ctypes.CDLL(None, use_errno=True)
IN_MODIFY, IN_CLOSE_WRITE, IN_MOVED_TO, IN_CREATE, IN_DELETE = 0x2, 0x8, 0x80, 0x100, 0x200


def wait_dir(directory, cond, what, timeout=30):
    """Return cond()'s first true value, re-evaluated whenever a file of `directory`
    changes (inotify); fail naming `what` after `timeout` seconds."""
    fd = _libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
    if fd < 0:
        raise OSError(ctypes.get_errno(), "inotify_init1")
    try:
        if _libc.inotify_add_watch(fd, directory.encode(), IN_MODIFY | IN_CLOSE_WRITE |
                                   IN_MOVED_TO | IN_CREATE | IN_DELETE) < 0:
            raise OSError(ctypes.get_errno(), "inotify_add_watch " + directory)
        deadline = time.monotonic() + timeout
        while True:
            value = cond()
            if value:
                return value
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("%s: not so after %d s" % (what, timeout))
            if select.select([fd], [], [], left)[0]:
                try:
                    os.read(fd, 65536)
                except BlockingIOError:
                    pass
    finally:
        os.close(fd)


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return ""


def answers(sock):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(sock)
        return True
    except OSError:
        return False
    finally:
        s.close()


class Daemon:
    """Our daemon in the network namespace ns (the node's; None: the test's own, for runs
    that make no lease) and a mount namespace of its own, its log in <dir>/daemon.log."""

    def __init__(self, case, d, ns, extra=()):
        self.case, self.dir, self.ns = case, d, ns
        self.sock = os.path.join(d, "run", "dhcp.sock")
        self.pidfile = os.path.join(d, "dhcp.pid")
        self.statedir = os.path.join(d, "state")
        self.log = os.path.join(d, "daemon.log")
        self.proc = None
        self.extra = list(extra)
        self.wrap = []  # a command the daemon runs under (strace)

    def start(self, wait=True):
        log = open(self.log, "a")
        self.mark = os.path.getsize(self.log)
        enter = ["nsenter", "--net=" + self.ns.path, "--"] if self.ns else []
        cmd = enter + ["unshare", "-m", "--propagation", "slave"] + self.wrap + \
            daemon_binary() + [
            "daemon", "-socketpath", self.sock, "-statedir", self.statedir,
            "-pidfile", self.pidfile] + self.extra
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=log)
        log.close()
        self.case.addCleanup(self.kill)
        if wait:
            wait_dir(self.dir, lambda: "listening on" in self.text() or
                     self.proc.poll() is not None, "daemon started")
            self.case.assertIsNone(self.proc.poll(), self.text())
        return self

    def text(self):
        return read(self.log)[self.mark:]

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=30)

    def kill(self):
        """End the daemon if it still runs; fail on a sanitizer's report in its log."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        text = read(self.log)
        for mark in ("Sanitizer", "runtime error:"):
            if mark in text:
                raise AssertionError("the daemon's log has a sanitizer report:\n" + text)

    def netns_fds(self, ns_ino):
        """How many of the daemon's fds refer to the namespace of inode ns_ino."""
        n = 0
        fddir = "/proc/%d/fd" % self.proc.pid
        for f in os.listdir(fddir):
            try:
                if os.stat(os.path.join(fddir, f)).st_ino == ns_ino:
                    n += 1
            except OSError:
                pass
        return n


class DhcpDaemonTest(CNITestCase):
    needs_netns = True

    def setUp(self):
        super().setUp()
        for tool in (GO_DHCP, GO_MACVLAN):
            if not os.path.exists(tool):
                self.skipTest("%s is not installed" % tool)
        cnitest.require_kernel(self, "macvlan", what="macvlan links")
        self.tmp = self.tmpdir()
        os.chmod(self.tmp, 0o755)
        self.node = self.netns("dhnode")
        self.srv = self.netns("dhsrv")
        self.node.sh("ip link add mv0 type veth peer name s0 netns %s && ip link set mv0 up"
                     % self.srv.name)
        self.srv.sh("ip link set s0 up && ip addr add %s/24 dev s0" % SERVER_IP)
        self.d = Daemon(self, self.tmp, self.node)
        self.server = None

    # ---- servers ---------------------------------------------------------------------

    def dnsmasq(self, first=100, last=150, extra=()):
        self.leases = os.path.join(self.tmp, "dnsmasq.leases")
        pid = os.path.join(self.tmp, "dnsmasq.pid")
        if os.path.exists(pid):
            os.unlink(pid)
        cmd = ["ip", "netns", "exec", self.srv.name, "dnsmasq", "-k", "--conf-file=/dev/null",
               "--port=0", "--user=root", "--interface=s0", "--bind-interfaces",
               "--dhcp-range=10.78.0.%d,10.78.0.%d,255.255.255.0,2m" % (first, last),
               "--dhcp-option=option:router,10.78.0.1",
               "--dhcp-option=option:dns-server,10.78.0.53",
               "--dhcp-option=option:domain-name,example.test",
               "--dhcp-leasefile=" + self.leases, "--pid-file=" + pid, "--no-ping",
               "--log-dhcp", "--log-facility=" + os.path.join(self.tmp, "dnsmasq.log")]
        self.server = subprocess.Popen(cmd + list(extra), stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)
        proc = self.server
        self.addCleanup(self.stop_server, proc)
        # dnsmasq writes its pid file once its sockets are open
        wait_dir(self.tmp, lambda: read(pid) or proc.poll() is not None, "dnsmasq started")
        self.assertIsNone(proc.poll(), "dnsmasq exited")

    def udhcpd(self, lease=6):
        self.leases = os.path.join(self.tmp, "udhcpd.leases")
        conf = os.path.join(self.tmp, "udhcpd.conf")
        pid = os.path.join(self.tmp, "udhcpd.pid")
        with open(conf, "w") as f:
            f.write("start 10.78.0.20\nend 10.78.0.30\ninterface s0\nlease_file %s\n"
                    "pidfile %s\noption subnet 255.255.255.0\noption router 10.78.0.1\n"
                    "option dns 10.78.0.53\noption lease %d\nmin_lease 1\n"
                    % (self.leases, pid, lease))
        self.server = subprocess.Popen(["ip", "netns", "exec", self.srv.name, "busybox",
                                        "udhcpd", "-f", conf],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        proc = self.server
        self.addCleanup(self.stop_server, proc)
        wait_dir(self.tmp, lambda: read(pid) or proc.poll() is not None, "udhcpd started")
        self.assertIsNone(proc.poll(), "udhcpd exited")

    def stop_server(self, proc):
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=30)

    # ---- CNI -------------------------------------------------------------------------

    def conf(self):
        return {"cniVersion": "1.0.0", "name": NET, "type": "macvlan", "master": "mv0",
                "ipam": {"type": "dhcp", "daemonSocketPath": self.d.sock}}

    def cni(self, command, ns, cid="c1", ifname="eth0", netns=None):
        return cnitest.run_reference("macvlan", command, self.conf(), cid,
                                     netns or ns.path, node=self.node.name, ifname=ifname)

    def container(self):
        """A container namespace; ino: its inode (the daemon's fds of it are counted)."""
        ns = self.netns("dhc")
        ns.ino = os.stat(ns.path).st_ino
        return ns

    def check(self, ns, cid="c1"):
        """CHECK of the dhcp plugin itself (macvlan's wants a prevResult): an Allocate."""
        return cnitest.run_reference("dhcp", "CHECK", self.conf(), cid, ns.path,
                                     node=self.node.name)

    def add(self, ns, cid="c1"):
        res = self.cni("ADD", ns, cid)
        self.assertEqual(res.rc, 0, "ADD failed: %r\n%s" % (res, self.d.text()))
        return res.json

    def leased(self, ip):
        return ip in read(self.leases)

    def wait_lease(self, ip, present=True):
        wait_dir(self.tmp, lambda: self.leased(ip) == present,
                 "%s %s the server's lease file" % (ip, "in" if present else "gone from"))

    def record(self, cid="c1", ifname="eth0"):
        name = ("%s/%s/%s" % (cid, NET, ifname)).replace("/", "%2F") + ".json"
        text = read(os.path.join(self.d.statedir, "leases", name))
        return json.loads(text) if text else None

    # ---- tests -----------------------------------------------------------------------

    def test_add_check_del(self):
        """ADD gets a lease the server records, with DNS in the result; CHECK answers from
        the maintained lease without a new exchange; DEL releases it (unicast from the
        leased address, which dnsmasq honours) and closes the namespace."""
        self.dnsmasq()
        self.d.start()
        st = os.stat(self.d.sock)
        self.assertEqual(st.st_mode & 0o777, 0o600)
        self.assertEqual(read(self.d.pidfile), str(self.d.proc.pid))
        c = self.container()
        res = self.add(c)
        ip = res["ips"][0]["address"].split("/")[0]
        self.assertTrue(ip.startswith("10.78.0."), res)
        self.assertEqual(res["ips"][0]["gateway"], "10.78.0.1")
        self.wait_lease(ip)
        rec = self.record()
        self.assertEqual(rec["lease"]["address"], ip)
        self.assertEqual(self.d.text().count("acquiring a lease"), 1)
        # macvlan replaces the DNS of IPAM with its config's: the dhcp plugin's own result
        # (the same lease, answered from the daemon's) carries the server's
        ipam = cnitest.run_reference("dhcp", "ADD", self.conf(), "c1", c.path,
                                     node=self.node.name)
        self.assertEqual(ipam.rc, 0, ipam)
        self.assertEqual(ipam.json["ips"][0]["address"], res["ips"][0]["address"])
        self.assertEqual(ipam.json["dns"].get("nameservers"), ["10.78.0.53"], ipam.json)
        self.assertEqual(ipam.json["dns"].get("domain"), "example.test", ipam.json)

        chk = self.check(c)
        self.assertEqual(chk.rc, 0, chk)
        self.assertEqual(self.d.text().count("acquiring a lease"), 1, self.d.text())
        self.assertEqual(self.d.netns_fds(c.ino), 1)

        dl = self.cni("DEL", c)
        self.assertEqual(dl.rc, 0, dl)
        self.wait_lease(ip, present=False)
        self.assertIsNone(self.record())
        self.assertEqual(self.d.netns_fds(c.ino), 0)
        # a second DEL: an unknown lease is released without error
        self.assertEqual(self.cni("DEL", c).rc, 0)

        self.assertEqual(self.d.stop(), 0)
        self.assertFalse(os.path.exists(self.d.sock))
        self.assertFalse(os.path.exists(self.d.pidfile))

    def test_del_answered_before_the_packet_socket_closes(self):
        """Closing a lease's packet socket waits for an RCU grace period in the kernel
        (about 10 ms): the daemon answers the release first and closes it afterwards."""
        if not shutil.which("strace"):
            self.skipTest("strace is not installed")
        self.dnsmasq()
        trace = os.path.join(self.tmp, "daemon.strace")
        # LeakSanitizer cannot run under ptrace: a sanitized daemon ends without it here
        asan = (os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0").lstrip(":")
        self.d.wrap = ["env", "ASAN_OPTIONS=" + asan,
                       "strace", "-qq", "-o", trace, "-e", "trace=accept4,socket,close,sendto"]
        self.d.start()
        # strace's child: the Daemon's own cleanup ends strace, which would leave it running
        daemon_pid = int(read(self.d.pidfile))

        def end_daemon():
            try:
                with open("/proc/%d/cmdline" % daemon_pid, "rb") as f:
                    if b"daemon" in f.read():
                        os.kill(daemon_pid, signal.SIGKILL)
            except OSError:
                pass  # already ended
        self.addCleanup(end_daemon)
        c = self.container()
        self.add(c)
        self.assertEqual(self.cni("DEL", c).rc, 0)
        # the daemon (strace's child, its pid in the pid file) ends, and strace with it once
        # every traced line is written
        os.kill(int(read(self.d.pidfile)), signal.SIGTERM)
        self.assertEqual(self.d.proc.wait(timeout=30), 0)
        lines = read(trace).splitlines()
        pkt = [(i, l.rsplit("= ", 1)[1]) for i, l in enumerate(lines)
               if l.startswith("socket(AF_PACKET") and "= -1" not in l]
        self.assertTrue(pkt, "no packet socket in the trace:\n" + "\n".join(lines))
        opened, fd = pkt[-1]
        closed = next(i for i in range(opened, len(lines))
                      if lines[i].startswith("close(%s)" % fd))
        conns = [(i, l.rsplit("= ", 1)[1]) for i, l in enumerate(lines[:closed])
                 if l.startswith("accept4(") and "= -1" not in l]
        accepted, conn = conns[-1]  # the DEL's connection
        # its first send is the HTTP CONNECT answer, then the RPC answers
        answered = [i for i in range(accepted, len(lines))
                    if lines[i].startswith("sendto(%s," % conn) and "HTTP/" not in lines[i]]
        self.assertTrue(answered and answered[0] < closed,
                        "the release was answered after the packet socket's close:\n" +
                        "\n".join(lines[accepted:]))

    def test_restart_keeps_and_renews(self):
        """A lease of 6 s (udhcpd) is renewed at T1; the daemon is stopped, the lease stays
        in the journal, and the next daemon re-adopts it (INIT-REBOOT) and renews it again:
        each renewal rewrites the lease record with new times."""
        self.udhcpd(lease=6)
        self.d.start()
        c = self.container()
        res = self.add(c)
        ip = res["ips"][0]["address"].split("/")[0]
        first = self.record()
        self.assertEqual(first["lease"]["expiresAt"] - first["lease"]["boundAt"], 6000)
        leases = os.path.join(self.d.statedir, "leases")
        renewed = wait_dir(leases, lambda: (self.record() or first)["lease"]["boundAt"] >
                           first["lease"]["boundAt"] and self.record(), "renewed at T1")
        self.assertEqual(renewed["lease"]["address"], ip)
        self.assertIn("renewed", self.d.text())

        self.assertEqual(self.d.stop(), 0)
        kept = self.record()
        self.assertIsNotNone(kept, "the lease record must survive a stop")
        self.d.start()
        self.assertIn("re-adopting", self.d.text())
        again = wait_dir(leases, lambda: (self.record() or kept)["lease"]["boundAt"] >
                         kept["lease"]["boundAt"] and self.record(), "re-adopted and renewed")
        self.assertEqual(again["lease"]["address"], ip)
        # the re-adopted lease answers CHECK without a new DISCOVER
        self.assertEqual(self.check(c).rc, 0)
        self.assertNotIn("acquiring a lease", self.d.text())
        self.assertEqual(self.cni("DEL", c).rc, 0)
        self.assertIsNone(self.record())

    def test_crash_restart(self):
        """SIGKILL leaves the socket file and the pid file behind (the reference's crash
        loop); the next daemon removes the stale socket, re-adopts the lease and answers
        CHECK from it."""
        self.dnsmasq()
        self.d.start()
        c = self.container()
        ip = self.add(c)["ips"][0]["address"].split("/")[0]
        self.d.proc.kill()
        self.d.proc.wait()
        self.assertTrue(os.path.exists(self.d.sock))
        self.assertFalse(answers(self.d.sock))
        self.d.start()
        text = self.d.text()
        self.assertIn("removing stale socket", text)
        self.assertIn("re-adopting", text)
        self.assertEqual(self.check(c).rc, 0)
        self.assertNotIn("acquiring a lease", self.d.text())
        self.assertEqual(self.record()["lease"]["address"], ip)
        self.assertEqual(self.cni("DEL", c).rc, 0)
        self.wait_lease(ip, present=False)

    def test_killed_at_journal_write(self):
        """Killed between writing a lease record's temp file and renaming it (the record of
        the offer taken, written before its REQUEST goes out): ADD fails, the server has
        granted nothing, no half record is left to adopt, and the next daemon's ADD gets
        a lease and sweeps the dead writer's temp file."""
        if not shutil.which("strace"):
            self.skipTest("strace is not installed")
        self.dnsmasq()
        self.d.wrap = ["strace", "-qq", "-o", "/dev/null",
                       "-e", "inject=rename:signal=SIGKILL:when=1"]
        self.d.start()
        c = self.container()
        res = self.cni("ADD", c)
        self.assertNotEqual(res.rc, 0)
        self.d.proc.wait(timeout=30)
        leases = os.path.join(self.d.statedir, "leases")
        self.assertEqual([f for f in os.listdir(leases) if not f.startswith(".")], [])
        self.assertEqual(len(os.listdir(leases)), 1, os.listdir(leases))
        self.assertEqual(read(self.leases).strip(), "")
        self.d.wrap = []
        self.d.start()
        # the runtime retries in a new sandbox (Go's macvlan leaves its link in the old one)
        c2 = self.container()
        ip = self.add(c2)["ips"][0]["address"].split("/")[0]
        self.assertEqual(self.record()["lease"]["address"], ip)
        self.assertEqual([f for f in os.listdir(leases) if f.startswith(".")], [])
        self.assertEqual(self.cni("DEL", c2).rc, 0)

    def test_killed_before_the_ack_is_recorded(self):
        """Killed at the rename of the bound lease's record, after the server granted the
        lease: the record of the offer, written before the REQUEST went out, is left with
        the granted address; the next daemon gives it back at start, and DEL leaves no
        lease at the server and no record."""
        if not shutil.which("strace"):
            self.skipTest("strace is not installed")
        self.dnsmasq()
        self.d.wrap = ["strace", "-qq", "-o", "/dev/null",
                       "-e", "inject=rename:signal=SIGKILL:when=2"]
        self.d.start()
        c = self.container()
        res = self.cni("ADD", c)
        self.assertNotEqual(res.rc, 0)
        self.d.proc.wait(timeout=30)
        granted = [l.split()[2] for l in read(self.leases).splitlines()]
        self.assertEqual(len(granted), 1)
        rec = self.record()
        self.assertEqual(rec["lease"]["state"], "requesting")
        self.assertEqual(rec["lease"]["address"], granted[0])
        self.d.wrap = []
        self.d.start()
        self.assertIn("was being requested: releasing it", self.d.text())
        self.assertIsNone(self.record())
        self.wait_lease(granted[0], present=False)
        self.assertEqual(self.cni("DEL", c).rc, 0)

    def test_killed_at_the_request(self):
        """Killed as it sends the REQUEST of the offer it took (its third send: the RPC
        handshake, the DISCOVER, the REQUEST): the offer's record is left, the server has
        granted nothing; the next daemon gives the offer back at start and drops the record,
        and the next ADD gets a lease."""
        if not shutil.which("strace"):
            self.skipTest("strace is not installed")
        self.dnsmasq()
        self.d.wrap = ["strace", "-qq", "-o", "/dev/null",
                       "-e", "inject=sendto:signal=SIGKILL:when=3"]
        self.d.start()
        c = self.container()
        self.assertNotEqual(self.cni("ADD", c).rc, 0)
        self.d.proc.wait(timeout=30)
        self.assertEqual(self.record()["lease"]["state"], "requesting")
        self.assertEqual(read(self.leases).strip(), "")
        self.d.wrap = []
        self.d.start()
        self.assertIn("was being requested: releasing it", self.d.text())
        self.assertIsNone(self.record())
        c2 = self.container()
        ip = self.add(c2)["ips"][0]["address"].split("/")[0]
        self.assertEqual(self.record()["lease"]["address"], ip)
        self.assertEqual(self.cni("DEL", c2).rc, 0)
        self.wait_lease(ip, present=False)

    def test_rebind_at_t2(self):
        """The server does not take unicast (an nftables rule in its namespace drops what is
        sent to its address): renewing at T1 gets no answer, rebinding at T2 (a broadcast
        REQUEST) does, and the lease goes on."""
        if not shutil.which("nft"):
            self.skipTest("nft is not installed")
        self.udhcpd(lease=6)
        self.srv.sh("nft add table inet dh && nft add chain inet dh in "
                    "'{ type filter hook input priority 0; }' && "
                    "nft add rule inet dh in ip daddr %s udp dport 67 drop" % SERVER_IP)
        self.d.start()
        c = self.container()
        ip = self.add(c)["ips"][0]["address"].split("/")[0]
        first = self.record()
        leases = os.path.join(self.d.statedir, "leases")
        rec = wait_dir(leases, lambda: (self.record() or first)["lease"]["boundAt"] >
                       first["lease"]["boundAt"] and self.record(), "rebound at T2")
        self.assertEqual(rec["lease"]["address"], ip)
        # bound again at T2 or later (the record's rebindAt), not at T1
        self.assertGreaterEqual(rec["lease"]["boundAt"], first["lease"]["rebindAt"])
        self.assertIn("renewed (rebinding)", self.d.text())
        self.assertNotIn("renewed (renewing)", self.d.text())
        self.assertEqual(self.cni("DEL", c).rc, 0)

    def test_readopt_nak(self):
        """A re-adopted lease the server no longer grants is NAKed at INIT-REBOOT; the
        daemon acquires a new one in the container and records it."""
        self.dnsmasq(100, 110)
        self.d.start()
        c = self.container()
        ip = self.add(c)["ips"][0]["address"].split("/")[0]
        self.assertEqual(self.d.stop(), 0)
        self.stop_server(self.server)
        os.unlink(self.leases)
        # an authoritative server with another range refuses the old address
        self.dnsmasq(120, 130, extra=["--dhcp-authoritative"])
        self.d.start()
        leases = os.path.join(self.d.statedir, "leases")
        rec = wait_dir(leases, lambda: (self.record() or {"lease": {"address": ip}})
                       ["lease"]["address"] != ip and self.record(), "a new lease after NAK")
        self.assertIn("Nak", self.d.text())
        new = rec["lease"]["address"]
        self.assertTrue(120 <= int(new.split(".")[3]) <= 130, new)
        self.wait_lease(new)
        self.assertEqual(self.cni("DEL", c).rc, 0)
        self.wait_lease(new, present=False)

    def test_readopt_other_mac_and_gone_netns(self):
        """At start, a record whose interface now has another MAC is released (from the
        container, with the old MAC); one whose namespace is gone is dropped and released
        from the daemon's namespace (the node, which has a route to the server here)."""
        self.dnsmasq()
        self.node.sh("ip addr add 10.78.0.2/24 dev mv0")
        self.d.start()
        c1, c2 = self.container(), self.container()
        ip1 = self.add(c1, "c1")["ips"][0]["address"].split("/")[0]
        ip2 = self.add(c2, "c2")["ips"][0]["address"].split("/")[0]
        self.wait_lease(ip1)
        self.wait_lease(ip2)
        self.assertEqual(self.d.stop(), 0)
        c1.sh("ip link set eth0 address 02:42:00:00:00:99")
        c2.close()
        self.d.start()
        self.wait_lease(ip1, present=False)
        self.wait_lease(ip2, present=False)
        text = self.d.text()
        self.assertIn("has another MAC", text)
        self.assertIn("dropping lease record", text)
        self.assertIn("released from the daemon's namespace", text)
        self.assertIsNone(self.record("c1"))
        self.assertIsNone(self.record("c2"))
        self.assertEqual(self.d.netns_fds(c1.ino), 0)
        self.assertEqual(self.cni("DEL", c1, "c1").rc, 0)

    def test_stale_socket_and_second_daemon(self):
        """A socket file nobody answers on is replaced; a second daemon on a live socket
        refuses to start and leaves the first one serving."""
        os.makedirs(os.path.dirname(self.d.sock), mode=0o700)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(self.d.sock)
        s.listen(4)
        # something else answers there (another daemon, say the reference's): refused
        first = Daemon(self, self.tmp, self.node)
        first.log = os.path.join(self.tmp, "first.log")
        first.start(wait=False)
        self.assertEqual(first.proc.wait(timeout=30), 1)
        self.assertIn("another dhcp daemon is listening", read(first.log))
        self.assertTrue(answers(self.d.sock))
        s.close()
        self.assertFalse(answers(self.d.sock))
        self.d.start()
        self.assertIn("removing stale socket", self.d.text())
        self.assertTrue(answers(self.d.sock))

        other = Daemon(self, self.tmp, self.node)
        other.log = os.path.join(self.tmp, "other.log")
        other.start(wait=False)
        self.assertEqual(other.proc.wait(timeout=30), 1)
        self.assertIn("another dhcp daemon is listening", read(other.log))
        self.assertTrue(answers(self.d.sock))
        # the running daemon's pid file is left alone
        self.assertEqual(read(self.d.pidfile), str(self.d.proc.pid))
        self.assertEqual(self.d.stop(), 0)

    def test_no_server(self):
        """No DHCP server: ADD fails within -resendtimeout, naming the cause."""
        self.d.extra = ["-timeout", "500ms", "-resendtimeout", "3s"]
        self.d.start()
        c = self.container()
        t = time.monotonic()
        res = self.cni("ADD", c)
        self.assertNotEqual(res.rc, 0)
        self.assertLess(time.monotonic() - t, 30)
        self.assertIn("no DHCP offer", res.stdout + res.stderr, res)
        self.assertIsNone(self.record())
        self.assertEqual(self.d.netns_fds(c.ino), 0)

    def test_interface_gone_while_acquiring(self):
        """An ADD waiting for a server gets "interface ... is gone" as soon as the container's
        interface is deleted, not after -resendtimeout."""
        self.d.extra = ["-resendtimeout", "10m"]
        self.d.start()
        c = self.container()
        self.node.sh("ip link add link mv0 name dh0 type macvlan mode bridge && "
                     "ip link set dh0 netns %s" % c.name)
        conf = json.dumps(self.conf()).encode()
        env = {k: v for k, v in os.environ.items() if not k.startswith("CNI_")}
        env.update(CNI_COMMAND="ADD", CNI_CONTAINERID="c1", CNI_NETNS=c.path,
                   CNI_IFNAME="dh0", CNI_PATH=cnitest.REFERENCE_BIN)
        confpath = os.path.join(self.tmp, "conf.json")
        with open(confpath, "wb") as f:
            f.write(conf)
        with open(confpath, "rb") as stdin:
            p = subprocess.Popen([GO_DHCP], stdin=stdin, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, env=env)
        self.addCleanup(lambda: p.poll() is None and (p.kill(), p.wait()))
        wait_dir(self.tmp, lambda: "acquiring a lease" in self.d.text(), "acquiring")
        c.sh("ip link del dh0")
        out, err = p.communicate(timeout=60)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('interface \\"dh0\\" is gone', out.decode() + err.decode())
        self.assertEqual(self.d.netns_fds(c.ino), 0)

    def test_release_while_requesting(self):
        """DEL while the ADD's REQUEST is unanswered: the acquisition stops, the ADD fails,
        and the address requested is given back to the server (which bound it when it sent
        its ACK) before the DEL is answered. The server's ACKs are dropped on their way out
        until the DEL is done, so the daemon is sure to be still requesting."""
        self.dnsmasq()
        # DHCP message type 5 (ACK), the first option after the magic cookie, dropped
        self.srv.sh("nft add table inet hold && nft add chain inet hold out "
                    "'{ type filter hook output priority 0; }' && "
                    "nft add rule inet hold out udp sport 67 @th,1984,24 0x350105 drop")
        self.d.start()
        c = self.container()
        self.node.sh("ip link add link mv0 name dh0 type macvlan mode bridge && "
                     "ip link set dh0 netns %s && ip -n %s link set dh0 up" % (c.name, c.name))
        env = {k: v for k, v in os.environ.items() if not k.startswith("CNI_")}
        env.update(CNI_COMMAND="ADD", CNI_CONTAINERID="c1", CNI_NETNS=c.path,
                   CNI_IFNAME="dh0", CNI_PATH=cnitest.REFERENCE_BIN)
        confpath = os.path.join(self.tmp, "conf.json")
        with open(confpath, "w") as f:
            json.dump(self.conf(), f)
        with open(confpath, "rb") as stdin:
            p = subprocess.Popen([GO_DHCP], stdin=stdin, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, env=env)
        self.addCleanup(lambda: p.poll() is None and (p.kill(), p.wait()))
        # the server bound an address (its lease file has it); its ACK never left
        wait_dir(self.tmp, lambda: "10.78.0." in read(self.leases), "the server's binding")
        ip = read(self.leases).split()[2]
        self.assertIsNone(p.poll())
        dl = cnitest.run_reference("dhcp", "DEL", self.conf(), "c1", c.path,
                                   node=self.node.name, ifname="dh0")
        self.assertEqual(dl.rc, 0, dl)
        out, err = p.communicate(timeout=60)
        self.assertNotEqual(p.returncode, 0, out)
        self.wait_lease(ip, present=False)
        self.assertIn("DHCPRELEASE", read(os.path.join(self.tmp, "dnsmasq.log")))
        self.assertIsNone(self.record(ifname="dh0"))
        self.assertEqual(self.d.netns_fds(c.ino), 0)

    def test_hostile_clients(self):
        """Clients that send nothing, garbage or a huge message do not stop an ADD; the
        garbage and huge ones are disconnected."""
        self.dnsmasq()
        self.d.start()
        silent = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        silent.connect(self.d.sock)
        self.addCleanup(silent.close)
        garbage = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        garbage.connect(self.d.sock)
        self.addCleanup(garbage.close)
        # a complete gob message of 8 bytes that is no valid type definition or value
        garbage.sendall(b"CONNECT /_goRPC_ HTTP/1.0\n\n\x08" + b"\xff" * 8)
        huge = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        huge.connect(self.d.sock)
        self.addCleanup(huge.close)
        huge.settimeout(30)
        try:
            # a gob message announcing 256 MiB
            huge.sendall(b"CONNECT /_goRPC_ HTTP/1.0\n\n\xfc\x10\x00\x00\x00" +
                         b"\x00" * (1 << 20))
        except (BrokenPipeError, ConnectionResetError):
            pass

        c = self.container()
        res = self.add(c)
        self.assertTrue(res["ips"][0]["address"].startswith("10.78.0."))
        for s in (garbage, huge):
            s.settimeout(30)
            data = b""
            try:
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
            except ConnectionResetError:
                pass
            self.assertTrue(data == b"" or data.startswith(b"HTTP/1.0 200"), data)
        self.assertEqual(self.cni("DEL", c).rc, 0)

    def test_del_after_netns_unmounted(self):
        """The daemon's fd keeps the namespace: DEL after the runtime unmounted it still
        releases the lease, and the namespace is let go afterwards."""
        self.dnsmasq()
        self.d.start()
        c = self.container()
        path = c.path
        ip = self.add(c)["ips"][0]["address"].split("/")[0]
        self.wait_lease(ip)
        c.close()
        self.assertFalse(os.path.exists(path))
        self.assertEqual(self.d.netns_fds(c.ino), 1)
        dl = self.cni("DEL", None, netns=path)
        self.assertEqual(dl.rc, 0, dl)
        self.wait_lease(ip, present=False)
        self.assertEqual(self.d.netns_fds(c.ino), 0)

    def test_pending_release(self):
        """A release the plugin recorded while no daemon ran is performed at start."""
        self.dnsmasq()
        self.d.start()
        c = self.container()
        ip = self.add(c)["ips"][0]["address"].split("/")[0]
        self.wait_lease(ip)
        self.assertEqual(self.d.stop(), 0)
        req = {"ContainerID": "c1", "Netns": c.path, "IfName": "eth0", "Args": "",
               "Path": "/usr/lib/cni", "StdinData": json.dumps(self.conf())}
        with open(os.path.join(self.d.statedir, "release", "c1-eth0.json"), "w") as f:
            json.dump(req, f)
        self.d.start()
        self.wait_lease(ip, present=False)
        self.assertEqual(os.listdir(os.path.join(self.d.statedir, "release")), [])
        self.assertIsNone(self.record())

    def test_interface_gone(self):
        """The container's interface deleted under a lease: the daemon stops maintaining
        it, gives it back to the server from its own namespace, closes the namespace and
        forgets the record; ADD acquires again."""
        self.dnsmasq()
        # the node on the server's LAN: the daemon gives the lease back from there
        self.node.sh("ip addr add 10.78.0.2/24 dev mv0")
        self.d.start()
        c = self.container()
        ip = self.add(c)["ips"][0]["address"].split("/")[0]
        self.wait_lease(ip)
        c.sh("ip link del eth0")
        wait_dir(os.path.join(self.d.statedir, "leases"), lambda: self.record() is None,
                 "the record dropped")
        self.assertIn("is gone", self.d.text())
        self.assertIn("released from the daemon's namespace", self.d.text())
        self.wait_lease(ip, present=False)
        self.assertEqual(self.d.netns_fds(c.ino), 0)
        self.assertEqual(self.cni("DEL", c).rc, 0)
        res = self.add(c)
        self.assertTrue(res["ips"][0]["address"].startswith("10.78.0."))
        self.assertEqual(self.cni("DEL", c).rc, 0)

    def call(self, method, cid, netns, ifname="eth0", conf=None):
        """One net/rpc call by the test launcher: (exit status, stdout, stderr)."""
        path = os.path.join(self.tmp, "call-conf.json")
        with open(path, "w") as f:
            f.write(conf if isinstance(conf, str) else json.dumps(conf or self.conf()))
        p = subprocess.run([launcher(), "call", self.d.sock, method, cid, netns, ifname, path],
                           capture_output=True, text=True, timeout=60)
        return p.returncode, p.stdout, p.stderr

    def test_gc(self):
        """DHCP.GC releases the leases of the network whose attachment is not valid, and
        no other."""
        self.dnsmasq()
        self.d.start()
        c1, c2 = self.container(), self.container()
        ip1 = self.add(c1, "c1")["ips"][0]["address"].split("/")[0]
        ip2 = self.add(c2, "c2")["ips"][0]["address"].split("/")[0]
        self.wait_lease(ip1)
        self.wait_lease(ip2)
        other = {"cniVersion": "1.1.0", "name": "othernet",
                 "cni.dev/valid-attachments": []}
        self.assertEqual(self.call("DHCP.GC", "", "", "", other)[0], 0)
        gc = {"cniVersion": "1.1.0", "name": NET, "ipam": self.conf()["ipam"],
              "cni.dev/valid-attachments": [{"containerID": "c1", "ifname": "eth0"}]}
        rc, out, err = self.call("DHCP.GC", "", "", "", gc)
        self.assertEqual(rc, 0, err)
        self.wait_lease(ip2, present=False)
        self.assertTrue(self.leased(ip1))
        self.assertIsNotNone(self.record("c1"))
        self.assertIsNone(self.record("c2"))
        self.assertEqual(self.d.netns_fds(c2.ino), 0)
        self.assertEqual(self.d.netns_fds(c1.ino), 1)
        self.assertEqual(self.cni("DEL", c1, "c1").rc, 0)
        self.assertEqual(self.cni("DEL", c2, "c2").rc, 0)

    def test_rpc_validation(self):
        """What the daemon is asked to enter is checked: a namespace path that is no
        namespace, an invalid interface name, a config that is no JSON; an unknown method
        is Go's error; Release of an unknown lease succeeds."""
        self.d.start()
        c = self.container()
        plain = os.path.join(self.tmp, "plain")
        open(plain, "w").close()
        rc, _, err = self.call("DHCP.Allocate", "c1", plain)
        self.assertEqual(rc, 1)
        self.assertIn("unknown FS magic", err)
        rc, _, err = self.call("DHCP.Allocate", "c1", c.path, "a/b")
        self.assertEqual(rc, 1)
        self.assertIn('invalid interface name "a/b"', err)
        rc, _, err = self.call("DHCP.Allocate", "c1", c.path, "eth0", "{not json")
        self.assertEqual(rc, 1)
        self.assertIn("error parsing netconf", err)
        rc, _, err = self.call("DHCP.Allocate", "c1", c.path, "nosuch0")
        self.assertEqual(rc, 1)
        self.assertIn('error looking up "nosuch0"', err)
        rc, _, err = self.call("DHCP.Nope", "c1", c.path)
        self.assertEqual(rc, 1)
        self.assertIn("rpc: can't find method DHCP.Nope", err)
        self.assertEqual(self.call("DHCP.Release", "c9", c.path)[:2], (0, "{}\n"))
        self.assertEqual(self.d.netns_fds(c.ino), 0)
        self.assertTrue(answers(self.d.sock))

    def test_expiry(self):
        """A lease that cannot be renewed runs out: the daemon sets the link down (its
        address may be someone else's now), lets the namespace go and forgets the
        record."""
        self.udhcpd(lease=4)
        self.d.start()
        c = self.container()
        self.add(c)
        self.stop_server(self.server)
        wait_dir(os.path.join(self.d.statedir, "leases"), lambda: self.record() is None,
                 "the expired lease dropped")
        self.assertIn("lease expired", self.d.text())
        self.assertNotIn("UP", c.json("ip -j link show eth0")[0]["flags"])
        self.assertEqual(self.d.netns_fds(c.ino), 0)
        self.assertEqual(self.cni("DEL", c).rc, 0)

    def test_moved_container(self):
        """The same container ID and interface in a new namespace is a new attachment: the
        old lease is released and a new one acquired there."""
        self.dnsmasq()
        self.d.start()
        c1, c2 = self.container(), self.container()
        ip1 = self.add(c1)["ips"][0]["address"].split("/")[0]
        self.wait_lease(ip1)
        self.add(c2)
        self.assertEqual(self.d.text().count("acquiring a lease"), 2)
        self.assertEqual(self.d.netns_fds(c1.ino), 0)
        self.assertEqual(self.d.netns_fds(c2.ino), 1)
        self.assertEqual(self.cni("DEL", c2).rc, 0)

    def test_hostprefix(self):
        """-hostprefix goes before the socket path and every netns path received (here
        /proc/self/root: the daemon's own root, as a host root mounted in its container)."""
        self.dnsmasq()
        self.d.extra = ["-hostprefix", "/proc/self/root"]
        self.d.start()
        self.assertIn("listening on /proc/self/root" + self.d.sock, self.d.text())
        c = self.container()
        self.assertTrue(self.add(c)["ips"][0]["address"].startswith("10.78.0."))
        self.assertEqual(self.d.netns_fds(c.ino), 1)
        self.assertEqual(self.cni("DEL", c).rc, 0)
        self.assertEqual(self.d.stop(), 0)
        self.assertFalse(os.path.exists(self.d.sock))

    def test_socket_activation(self):
        """One listening socket passed by systemd's protocol is served as is (mode and
        file left to the socket unit)."""
        sock = os.path.join(self.tmp, "act.sock")
        ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        ls.bind(sock)
        ls.listen(16)
        os.chmod(sock, 0o660)
        fd = ls.fileno()
        log = open(self.d.log, "a")
        self.d.mark = os.path.getsize(self.d.log)
        self.d.proc = subprocess.Popen(
            ["sh", "-c", 'export LISTEN_PID=$$ LISTEN_FDS=1; exec "$@"', "sh", "nsenter",
             "--net=" + self.node.path, "--", "unshare", "-m", "--propagation", "slave"] +
            daemon_binary() +
            ["daemon", "-socketpath", os.path.join(self.tmp, "unused.sock"),
             "-statedir", self.d.statedir],
            stdout=log, stderr=log, pass_fds=(3,),
            preexec_fn=None if fd == 3 else (lambda: os.dup2(fd, 3)))
        log.close()
        ls.close()
        self.addCleanup(self.d.kill)
        wait_dir(self.tmp, lambda: "listening on" in self.d.text() or
                 self.d.proc.poll() is not None, "daemon started")
        self.d.sock = sock
        self.dnsmasq()
        c = self.container()
        self.assertTrue(self.add(c)["ips"][0]["address"].startswith("10.78.0."))
        self.assertEqual(self.cni("DEL", c).rc, 0)
        self.assertEqual(self.d.stop(), 0)
        self.assertTrue(os.path.exists(sock), "the socket unit's file stays")
        self.assertEqual(os.stat(sock).st_mode & 0o777, 0o660)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "unused.sock")))


class DhcpDaemonCommandLineTest(CNITestCase):
    """The command line as Go's flag package reads it."""

    def run_daemon(self, *args, env=None):
        e = dict(os.environ)
        e.update(env or {})
        return subprocess.run(["unshare", "-m", "--propagation", "slave"] + daemon_binary() +
                              ["daemon"] + list(args), capture_output=True, text=True,
                              timeout=30, env=e)

    def test_bad_flags(self):
        if os.geteuid() != 0:
            self.skipTest("needs root for a mount namespace")
        p = self.run_daemon("-nosuch")
        self.assertEqual(p.returncode, 2)
        self.assertIn("flag provided but not defined: -nosuch", p.stderr)
        p = self.run_daemon("-timeout", "10x")
        self.assertEqual(p.returncode, 2)
        self.assertIn('invalid value "10x" for flag -timeout', p.stderr)
        d = self.tmpdir()
        p = self.run_daemon("-pidfile", "rel/pid", "-socketpath", os.path.join(d, "s"),
                            "-statedir", os.path.join(d, "st"))
        self.assertEqual(p.returncode, 1)
        self.assertIn('Error writing pidfile "rel/pid": path not absolute', p.stderr)

    def test_too_many_activation_fds(self):
        if os.geteuid() != 0:
            self.skipTest("needs root for a mount namespace")
        d = self.tmpdir()
        # LISTEN_PID is the daemon's own pid: unshare execs it without forking
        p = subprocess.run(["sh", "-c", 'export LISTEN_PID=$$ LISTEN_FDS=2; exec "$@"', "sh",
                            "unshare", "-m", "--propagation", "slave"] + daemon_binary() +
                           ["daemon", "-socketpath", os.path.join(d, "s"), "-statedir",
                            os.path.join(d, "st")], capture_output=True, text=True,
                           timeout=30)
        self.assertEqual(p.returncode, 1, p)
        self.assertIn("Too many (2) FDs passed through socket activation", p.stderr)
        self.assertFalse(os.path.exists(os.path.join(d, "s")))
