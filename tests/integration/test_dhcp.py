# SPDX-License-Identifier: Apache-2.0
"""Black-box tests of bin/dhcp, the IPAM plugin, under our macvlan and bridge.

Every test works in namespaces of its own: a "node" namespace (the plugins and the dhcp
daemon run in it) whose master link is one end of a veth pair, a "server" namespace holding
the other end, where dnsmasq serves 10.79.0.0/24, and container namespaces. The daemon is
Debian's Go one (/usr/lib/cni/dhcp daemon, which our plugin speaks to over its net/rpc
socket) or ours (`bin/dhcp daemon`, once it is built), each in a private mount namespace
with its socket in the test's temporary directory, ended by PID.
"""
import json
import os
import signal
import subprocess

import cnitest
from cnitest import BIN, CNITestCase, run_plugin

GO_DHCP = os.path.join(cnitest.REFERENCE_BIN, "dhcp")
VERSIONS = ("0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0")
MASTER = "dh0"
SERVER_IP = "10.79.0.1"
HERE = os.path.dirname(os.path.abspath(__file__))
OUR_DAEMON = os.path.exists(os.path.join(HERE, "..", "..", "plugins", "dhcp", "daemon.h"))


class DhcpCase(CNITestCase):
    needs_netns = True

    def setUp(self):
        super().setUp()
        cnitest.require(self, ("dhcp", "macvlan", "bridge"), ("dnsmasq", "unshare"))
        cnitest.require_kernel(self, "macvlan", what="macvlan links")
        self.t = self.tmpdir()
        self.sock = os.path.join(self.t, "dhcp.sock")
        self.node = self.netns("dhnode")
        self.server = self.netns("dhsrv")
        self.path = cnitest.plugin_dir(self, ("macvlan", "bridge", "dhcp"))
        self.node.sh("ip link add %s type veth peer name s0 netns %s" % (MASTER,
                                                                       self.server.name))
        self.node.sh("ip link set %s up" % MASTER)
        self.server.sh("ip addr add %s/24 dev s0 && ip link set s0 up" % SERVER_IP)

    # ---- processes of the test ---------------------------------------------------------

    def spawn(self, ns, argv, log):
        """argv in namespace ns and a private mount namespace (mounts of the machine still
        reach it, so it sees the containers' /run/netns entries); ended by PID at cleanup."""
        out = open(os.path.join(self.t, log), "ab")
        p = subprocess.Popen(["nsenter", "--net=" + ns.path, "--", "unshare", "-m",
                              "--propagation", "slave", "--"] + argv,
                             stdout=out, stderr=out, stdin=subprocess.DEVNULL)
        out.close()

        def stop():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        self.addCleanup(stop)
        return p, stop

    def start_dnsmasq(self, lease_time="10m"):
        self.leases = os.path.join(self.t, "leases")
        self.dnslog = os.path.join(self.t, "dnsmasq.log")
        pidfile = os.path.join(self.t, "dnsmasq.pid")
        self.dnsmasq, _ = self.spawn(self.server, [
            "dnsmasq", "-k", "--conf-file=/dev/null", "--port=0", "--user=root",
            "--interface=s0", "--bind-interfaces",
            "--dhcp-range=10.79.0.100,10.79.0.150,255.255.255.0," + lease_time,
            "--dhcp-option=option:router," + SERVER_IP,
            "--dhcp-option=option:dns-server,10.79.0.53",
            "--dhcp-option=option:domain-name,pods.example",
            "--dhcp-option=option:domain-search,a.example,b.example",
            "--dhcp-leasefile=" + self.leases, "--pid-file=" + pidfile, "--log-dhcp",
            "--no-ping", "--log-facility=" + self.dnslog], "dnsmasq.out")
        # dnsmasq writes its pid file once its sockets are open
        cnitest.wait_for(lambda: os.path.exists(pidfile) or self.dnsmasq.poll() is not None,
                         "dnsmasq started")
        self.assertIsNone(self.dnsmasq.poll(), self.read("dnsmasq.out"))

    def start_go_daemon(self, *flags):
        self.daemon, self.stop_daemon = self.spawn(
            self.node, [GO_DHCP, "daemon", "-socketpath", self.sock] + list(flags),
            "daemon.log")
        cnitest.wait_for(lambda: os.path.exists(self.sock) or self.daemon.poll() is not None,
                         "the dhcp daemon's socket")
        self.assertIsNone(self.daemon.poll(), self.read("daemon.log"))

    def read(self, name):
        p = os.path.join(self.t, name)
        if not os.path.exists(p):
            return ""
        with open(p, errors="replace") as f:
            return f.read()

    def lease_lines(self):
        return [l for l in self.read("leases").splitlines() if l.strip()]

    # ---- configs and runs --------------------------------------------------------------

    def ipam(self, **kw):
        i = {"type": "dhcp", "daemonSocketPath": self.sock}
        i.update(kw)
        return i

    def macvlan(self, version="1.0.0", **kw):
        return {"cniVersion": version, "name": "dhnet", "type": "macvlan", "master": MASTER,
                "ipam": self.ipam(**kw)}

    def plug(self, cmd, conf, ctr, cid="cid1", plugin="macvlan", env=None, **kw):
        e = {"CNI_DHCP_NO_AUTOSTART": "1"}
        e.update(env or {})
        return run_plugin(plugin, cmd, conf, containerid=cid, netns=ctr.path if ctr else "",
                          in_netns=self.node.name, path=self.path, env=e, timeout=120, **kw)

    def ipam_run(self, cmd, conf, ctr=None, cid="cid1", env=None, unset=()):
        """bin/dhcp alone (no interface plugin), as an interface plugin would run it."""
        return self.plug(cmd, conf, ctr, cid=cid, plugin="dhcp", env=env, unset=unset)

    def plug_private(self, cmd, conf, ctr, cid="cid1", varlib=None, env=None):
        """macvlan in the node namespace and a mount namespace of its own (so a daemon it
        starts has a private one too), /var/lib bound to varlib when given."""
        e = {k: v for k, v in os.environ.items() if not k.startswith("CNI_")}
        e.update({"CNI_COMMAND": cmd, "CNI_CONTAINERID": cid, "CNI_NETNS": ctr.path,
                  "CNI_IFNAME": "eth0", "CNI_PATH": self.path, "CNI_DHCP_NO_AUTOSTART": "1"})
        e.update(env or {})
        bind = 'mount --bind "$3" /var/lib && ' if varlib else ""
        p = subprocess.run(
            ["unshare", "-m", "--propagation", "slave", "--", "sh", "-c",
             bind + 'exec nsenter --net="$1" -- "$2"', "sh", self.node.path,
             os.path.join(BIN, "macvlan"), varlib or ""],
            input=json.dumps(conf).encode(), capture_output=True, env=e, timeout=120)
        return cnitest.Result(p.returncode, p.stdout.decode(), p.stderr.decode())

    def addr(self, ctr, ifname="eth0"):
        info = ctr.json("ip -j -4 addr show dev %s" % ifname)[0]
        return [a["local"] for a in info["addr_info"]]


class DhcpGoDaemonTest(DhcpCase):
    """Our plugin against Debian's Go daemon."""

    def setUp(self):
        super().setUp()
        if not os.path.exists(GO_DHCP):
            self.skipTest("Debian's Go dhcp plugin is not installed")
        self.start_dnsmasq()
        self.start_go_daemon("-timeout", "5s")

    def test_macvlan_lease_check_del(self):
        """macvlan + dhcp: the container's address is the lease dnsmasq's file shows, the
        result has the address, the gateway and the default route; CHECK asks the daemon
        again and agrees; DEL returns success."""
        ctr = self.netns("dhctr")
        conf = self.macvlan()
        res = self.assertOK(self.plug("ADD", conf, ctr))
        ip = res["ips"][0]["address"].split("/")[0]
        self.assertTrue(ip.startswith("10.79.0."), res)
        self.assertEqual(res["ips"][0]["address"], ip + "/24")
        self.assertEqual(res["ips"][0]["gateway"], SERVER_IP)
        self.assertEqual(res["ips"][0]["interface"], 0)
        self.assertIn({"dst": "0.0.0.0/0", "gw": SERVER_IP}, res["routes"])
        self.assertEqual(self.addr(ctr), [ip])
        lines = self.lease_lines()
        self.assertEqual(len(lines), 1, lines)
        self.assertIn(" %s " % ip, lines[0])
        # dnsmasq's client identifier column: 00 + "cid1/dhnet/eth0" in hex
        cid_hex = ":".join("%02x" % b for b in b"\x00cid1/dhnet/eth0")
        self.assertTrue(lines[0].endswith(cid_hex), lines[0])
        # the container reaches the server through the leased address
        ctr.sh("ping -c1 -W10 %s" % SERVER_IP)
        conf_check = dict(conf, prevResult=res)
        self.assertOK(self.plug("CHECK", conf_check, ctr))
        self.assertEqual(self.addr(ctr), [ip])
        self.assertOK(self.plug("DEL", conf_check, ctr))
        self.assertEqual(ctr.json("ip -j link show type macvlan"), [])

    def test_release_from_go_daemon(self):
        """DEL's release with Debian's Go daemon (1.1.1): it sends DHCPRELEASE from 0.0.0.0
        to the broadcast address, and dnsmasq, on the same link, takes it: the lease leaves
        its file. (The newest reference unicasts from 0.0.0.0 to the server, which dnsmasq
        ignores: its #1278.)"""
        ctr = self.netns("dhctr")
        res = self.assertOK(self.plug("ADD", self.macvlan(), ctr))
        ip = res["ips"][0]["address"].split("/")[0]
        self.assertEqual(len(self.lease_lines()), 1)
        self.assertOK(self.plug("DEL", self.macvlan(), ctr))
        cnitest.wait_for(lambda: "DHCPRELEASE(s0) %s " % ip in self.read("dnsmasq.log"),
                         "dnsmasq receives the release")
        cnitest.wait_for(lambda: not self.lease_lines(), "the lease leaves dnsmasq's file")

    def ipam_conf(self, version="1.0.0", **kw):
        return {"cniVersion": version, "name": "dhnet", "ipam": self.ipam(**kw)}

    def test_every_version(self):
        """ADD through the IPAM plugin alone in every CNI version: the result in the
        config's version (0.1.0/0.2.0 as ip4, later as ips); CHECK where the version has it;
        DEL."""
        ctr = self.netns("dhctr")
        # the container's eth0 is a veth whose other end, x0, is bridged with the master
        ctr.sh("ip link add eth0 type veth peer name x0 netns %s" % self.node.name)
        self.node.sh("ip link add dbr type bridge && ip link set dbr up && "
                     "ip link set x0 master dbr up && ip link set %s master dbr" % MASTER)
        for i, v in enumerate(VERSIONS):
            cid = "v%d" % i
            conf = self.ipam_conf(v)
            res = self.assertOK(self.ipam_run("ADD", conf, ctr, cid=cid))
            self.assertEqual(res["cniVersion"], v)
            if v in ("0.1.0", "0.2.0"):
                self.assertTrue(res["ip4"]["ip"].startswith("10.79.0."), res)
                self.assertEqual(res["ip4"]["gateway"], SERVER_IP)
                ip = res["ip4"]["ip"].split("/")[0]
            else:
                self.assertTrue(res["ips"][0]["address"].startswith("10.79.0."), res)
                self.assertNotIn("interface", res["ips"][0])
                ip = res["ips"][0]["address"].split("/")[0]
                if v in ("0.3.0", "0.3.1"):
                    self.assertEqual(res["ips"][0]["version"], "4")
            self.assertTrue(any(" %s " % ip in l for l in self.lease_lines()),
                            self.lease_lines())
            if v not in ("0.1.0", "0.2.0", "0.3.0", "0.3.1"):
                self.assertOK(self.ipam_run("CHECK", dict(conf, prevResult=res), ctr,
                                            cid=cid))
            self.assertOK(self.ipam_run("DEL", conf, ctr, cid=cid))

    def test_bridge_lease(self):
        """bridge + dhcp: the container's veth on a bridge that holds the master; the lease
        is in dnsmasq's file and on the container's eth0."""
        ctr = self.netns("dhctr")
        self.node.sh("ip link add dbr type bridge && ip link set dbr up && "
                     "ip link set %s master dbr" % MASTER)
        conf = {"cniVersion": "1.0.0", "name": "dhnet", "type": "bridge", "bridge": "dbr",
                "ipam": self.ipam()}
        res = self.assertOK(self.plug("ADD", conf, ctr, plugin="bridge"))
        ip = res["ips"][0]["address"].split("/")[0]
        self.assertEqual(self.addr(ctr), [ip])
        self.assertTrue(any(" %s " % ip in l for l in self.lease_lines()), self.lease_lines())
        ctr.sh("ping -c1 -W10 %s" % SERVER_IP)
        self.assertOK(self.plug("DEL", dict(conf, prevResult=res), ctr, plugin="bridge"))

    def test_status_gc(self):
        """STATUS succeeds while the daemon answers; GC succeeds (the Go daemon has no
        DHCP.GC: its "can't find method" is success)."""
        conf = dict(self.ipam_conf("1.1.0"))
        self.assertOK(self.ipam_run("STATUS", conf, unset=("CNI_CONTAINERID", "CNI_IFNAME",
                                                             "CNI_NETNS")))
        gc = dict(conf, **{"cni.dev/valid-attachments": [{"containerID": "x",
                                                          "ifname": "eth0"}]})
        self.assertOK(self.ipam_run("GC", gc, unset=("CNI_CONTAINERID", "CNI_IFNAME",
                                                       "CNI_NETNS")))
        self.stop_daemon()
        r = self.ipam_run("STATUS", conf, unset=("CNI_CONTAINERID", "CNI_IFNAME", "CNI_NETNS"))
        self.assertCNIError(r, 50, "dhcp daemon not answering on " + self.sock)

    def test_daemon_down_del(self):
        """The daemon is gone at DEL: DEL succeeds, and a release request for the daemon to
        carry out later is in <statedir>/release/ (the plugin runs with /var/lib of its own,
        so the machine's is not touched)."""
        ctr = self.netns("dhctr")
        conf = self.macvlan()
        res = self.assertOK(self.plug("ADD", conf, ctr))
        self.stop_daemon()
        varlib = self.tmpdir()
        r = self.plug_private("DEL", dict(conf, prevResult=res), ctr, varlib=varlib)
        self.assertOK(r)
        rel = os.path.join(varlib, "cni", "dhcp", "release")
        files = os.listdir(rel)
        self.assertEqual(len(files), 1, files)
        self.assertTrue(files[0].endswith(".json") and len(files[0]) == 64 + 5, files)
        self.assertEqual(os.stat(os.path.join(rel, files[0])).st_mode & 0o777, 0o600)
        with open(os.path.join(rel, files[0])) as f:
            rec = json.load(f)
        self.assertEqual(rec["ContainerID"], "cid1")
        self.assertEqual(rec["IfName"], "eth0")
        self.assertEqual(rec["Netns"], ctr.path)
        self.assertEqual(json.loads(rec["StdinData"])["ipam"]["daemonSocketPath"], self.sock)
        self.assertEqual(ctr.json("ip -j link show type macvlan"), [])
        self.assertIn("no dhcp daemon to release the lease", r.stderr)

    def test_no_server_bounded(self):
        """No DHCP server answers: ADD fails within daemonTimeout with an error naming the
        call, and leaves no link."""
        self.dnsmasq.terminate()
        self.dnsmasq.wait()
        ctr = self.netns("dhctr")
        r = self.plug("ADD", self.macvlan(daemonTimeout=3), ctr)
        self.assertCNIError(r, 5, "error calling DHCP.Allocate: timed out")
        self.assertEqual(ctr.json("ip -j link show type macvlan"), [])


class DhcpNoDaemonTest(DhcpCase):
    """Without a daemon."""

    def ctr(self):
        if not hasattr(self, "_ctr"):
            self._ctr = self.netns("dhctr")
        return self._ctr

    def conf(self, version="1.0.0", **ipam):
        return {"cniVersion": version, "name": "dhnet", "ipam": self.ipam(**ipam)}

    def test_config_errors(self):
        """Config errors are code 7 naming the key, before any daemon is asked."""
        cases = [
            ({"cniVersion": "1.0.0", "name": "dhnet"}, "no 'ipam' object"),
            (self.conf(daemonSocketPath=5), "daemonSocketPath"),
            (self.conf(daemonAutostart="yes"), "daemonAutostart"),
            (self.conf(daemonTimeout=0), "daemonTimeout"),
            (self.conf(priority="high"), "priority"),
            (self.conf(suppress=["routes"]),
             'unknown suppress value "routes" (supported: "gateway")'),
            (self.conf(suppress="gateway"), "suppress"),
            (self.conf(request=[{"option": "nope"}]),
             'Can not parse option "nope": Can not parse option: strconv.ParseUint: '
             'parsing "nope": invalid syntax'),
            (self.conf(provide=[{"option": "host-name", "value": "x" * 256}]),
             'value too long for option "host-name"'),
        ]
        for conf, msg in cases:
            with self.subTest(msg=msg):
                r = self.ipam_run("ADD", conf, self.ctr())
                self.assertCNIError(r, 7, msg)
        # a value too long from CNI_ARGS
        r = self.ipam_run("ADD", self.conf(provide=[{"option": "host-name",
                                                    "fromArg": "K8S_POD_NAME"}]),
                          self.ctr(), env={"CNI_ARGS": "K8S_POD_NAME=" + "p" * 300})
        self.assertCNIError(r, 7, 'from CNI_ARGS "K8S_POD_NAME"')

    def test_no_daemon_add_status(self):
        """Nobody listens and autostart is off: ADD fails with the reference's text; STATUS
        is code 50."""
        r = self.ipam_run("ADD", self.conf(), self.ctr())
        self.assertCNIError(r, 5, "error dialing DHCP daemon: dial unix %s: connect: "
                            "no such file or directory" % self.sock)
        r = self.ipam_run("STATUS", self.conf("1.1.0"), unset=("CNI_CONTAINERID", "CNI_IFNAME",
                                                               "CNI_NETNS"))
        self.assertCNIError(r, 50, "dhcp daemon not answering on %s" % self.sock)
        # the config's switch does the same as the environment's
        r = self.ipam_run("ADD", self.conf(daemonAutostart=False), self.ctr(),
                          env={"CNI_DHCP_NO_AUTOSTART": "0"})
        self.assertCNIError(r, 5, "error dialing DHCP daemon")
        self.assertFalse(os.path.exists(self.sock + ".lock"))


class DhcpOurDaemonTest(DhcpCase):
    """Our plugin with our daemon (`bin/dhcp daemon`)."""

    def setUp(self):
        super().setUp()
        if not OUR_DAEMON:
            self.skipTest("our dhcp daemon is not built yet (`dhcp daemon`)")
        # the daemon's state directory is what /var/lib/cni/dhcp is to plug_private()
        self.varlib = self.tmpdir()
        self.state = os.path.join(self.varlib, "cni", "dhcp")
        self.start_dnsmasq()

    def start_our_daemon(self):
        self.daemon, self.stop_daemon = self.spawn(
            self.node, [os.path.join(BIN, "dhcp"), "daemon", "-socketpath", self.sock,
                        "-statedir", self.state, "-timeout", "5s"], "daemon.log")
        cnitest.wait_for(lambda: os.path.exists(self.sock) or self.daemon.poll() is not None,
                         "the dhcp daemon's socket")
        self.assertIsNone(self.daemon.poll(), self.read("daemon.log"))

    def released(self, ip):
        try:
            cnitest.wait_for(lambda: "DHCPRELEASE(s0) %s " % ip in self.read("dnsmasq.log"),
                             "dnsmasq receives the release", timeout=60)
        except AssertionError:
            print(self.read("daemon.log")[-3000:])
            print(self.read("dnsmasq.log")[-1500:])
            raise
        cnitest.wait_for(lambda: not any(" %s " % ip in l for l in self.lease_lines()),
                         "the lease leaves dnsmasq's file")

    def test_bridge_del_releases(self):
        """bridge + dhcp: bridge's DEL asks IPAM to release before it deletes the veth, so
        the release goes out on the container's interface and dnsmasq frees the lease."""
        self.start_our_daemon()
        ctr = self.netns("dhctr")
        self.node.sh("ip link add dbr type bridge && ip link set dbr up && "
                     "ip link set %s master dbr" % MASTER)
        conf = {"cniVersion": "1.0.0", "name": "dhnet", "type": "bridge", "bridge": "dbr",
                "ipam": self.ipam()}
        res = self.assertOK(self.plug("ADD", conf, ctr, plugin="bridge"))
        ip = res["ips"][0]["address"].split("/")[0]
        self.assertTrue(any(" %s " % ip in l for l in self.lease_lines()), self.lease_lines())
        self.assertOK(self.plug("DEL", dict(conf, prevResult=res), ctr, plugin="bridge"))
        self.released(ip)

    def test_macvlan_release_unicast(self):
        """macvlan + dhcp with our daemon: DEL's release reaches dnsmasq, which frees the
        lease."""
        self.start_our_daemon()
        ctr = self.netns("dhctr")
        res = self.assertOK(self.plug("ADD", self.macvlan(), ctr))
        ip = res["ips"][0]["address"].split("/")[0]
        self.assertOK(self.plug("DEL", self.macvlan(), ctr))
        self.released(ip)

    def test_hostname_and_dns(self):
        """The pod's name goes to the server as the host name (option 12, from K8S_POD_NAME,
        as the config provides none: dnsmasq's lease file shows it), and the DNS servers,
        domain and search list the server sends come back in the result (the reference
        asks for none of them and returns no DNS)."""
        self.start_our_daemon()
        ctr = self.netns("dhctr")
        env = {"CNI_ARGS": "IgnoreUnknown=1;K8S_POD_NAMESPACE=ns1;K8S_POD_NAME=web-7f"}
        res = self.assertOK(self.plug("ADD", self.macvlan(), ctr, env=env))
        ip = res["ips"][0]["address"].split("/")[0]
        self.assertEqual(res["dns"], {"nameservers": ["10.79.0.53"], "domain": "pods.example",
                                      "search": ["a.example", "b.example"]})
        lines = [l for l in self.lease_lines() if " %s " % ip in l]
        self.assertEqual(len(lines), 1, self.lease_lines())
        self.assertEqual(lines[0].split()[3], "web-7f", lines[0])
        self.assertOK(self.plug("DEL", self.macvlan(), ctr, env=env))
        self.released(ip)

    def test_gc_status(self):
        """GC releases the network's leases of attachments not in the valid list (dnsmasq
        sees the release) and keeps the others; STATUS succeeds while the daemon answers."""
        self.start_our_daemon()
        ctr1, ctr2 = self.netns("dhctr"), self.netns("dhctr")
        ip1 = self.assertOK(self.plug("ADD", self.macvlan("1.1.0"), ctr1, cid="cid1"))[
            "ips"][0]["address"].split("/")[0]
        ip2 = self.assertOK(self.plug("ADD", self.macvlan("1.1.0"), ctr2, cid="cid2"))[
            "ips"][0]["address"].split("/")[0]
        gc = dict(self.macvlan("1.1.0"), **{"cni.dev/valid-attachments": [
            {"containerID": "cid1", "ifname": "eth0"}]})
        unset = ("CNI_CONTAINERID", "CNI_IFNAME", "CNI_NETNS")
        self.assertOK(self.ipam_run("STATUS", self.macvlan("1.1.0"), unset=unset))
        self.assertOK(self.ipam_run("GC", gc, unset=unset))
        self.released(ip2)
        self.assertTrue(any(" %s " % ip1 in l for l in self.lease_lines()), self.lease_lines())
        self.assertOK(self.plug("DEL", self.macvlan("1.1.0"), ctr1, cid="cid1"))
        self.released(ip1)

    def test_autostart(self):
        """No daemon answers: the plugin starts ours (the same binary, detached: a session
        and process group of its own, not a child of the plugin), waits for its socket, and
        ADD gets the lease; a second ADD finds it running."""
        ctr = self.netns("dhctr")
        r = self.plug_private("ADD", self.macvlan(), ctr, env={"CNI_DHCP_NO_AUTOSTART": ""})
        res = self.assertOK(r)
        with open(self.sock + ".pid") as f:
            pid = int(f.read())

        def stop():
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        self.addCleanup(stop)
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read().rsplit(")", 1)[1].split()
        self.assertEqual((int(stat[2]), int(stat[3])), (pid, pid))
        ip = res["ips"][0]["address"].split("/")[0]
        self.assertTrue(any(" %s " % ip in l for l in self.lease_lines()), self.lease_lines())
        ctr2 = self.netns("dhctr")
        self.assertOK(self.plug_private("ADD", self.macvlan(), ctr2, cid="cid2",
                                        env={"CNI_DHCP_NO_AUTOSTART": ""}))
        with open(self.sock + ".pid") as f:
            self.assertEqual(int(f.read()), pid)
        self.assertOK(self.plug("DEL", self.macvlan(), ctr))
        self.released(ip)

    def test_autostart_one_at_a_time(self):
        """Eight STATUS calls at once with no daemon: one daemon is started (the lock file
        next to the socket), and every call finds it answering."""
        conf = {"cniVersion": "1.1.0", "name": "dhnet", "ipam": self.ipam()}
        env = {k: v for k, v in os.environ.items() if not k.startswith("CNI_")}
        env.update({"CNI_COMMAND": "STATUS", "CNI_PATH": self.path})
        procs = [subprocess.Popen(
            ["unshare", "-m", "--propagation", "slave", "--", "nsenter",
             "--net=" + self.node.path, "--", os.path.join(BIN, "dhcp")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
            for _ in range(8)]
        outs = [p.communicate(json.dumps(conf).encode(), timeout=60) for p in procs]
        with open(self.sock + ".pid") as f:
            pid = int(f.read())

        def stop():
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        self.addCleanup(stop)
        self.assertEqual([p.returncode for p in procs], [0] * 8, outs)
        daemons = [d for d in os.listdir("/proc") if d.isdigit() and
                   self.cmdline(d)[1:2] == ["daemon"] and
                   self.sock in self.cmdline(d)]
        self.assertEqual(daemons, [str(pid)])

    @staticmethod
    def cmdline(pid):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                return f.read().decode(errors="replace").split("\0")
        except OSError:
            return []

    def test_release_request_carried_out(self):
        """The daemon is down at DEL: DEL succeeds, sends the release itself from the
        daemon's record while the interface still holds the address (dnsmasq frees the
        lease), and leaves a release request, which the daemon started next carries out
        (it drops its record) and removes."""
        self.start_our_daemon()
        ctr = self.netns("dhctr")
        res = self.assertOK(self.plug("ADD", self.macvlan(), ctr))
        ip = res["ips"][0]["address"].split("/")[0]
        self.stop_daemon()
        self.assertEqual(len(os.listdir(os.path.join(self.state, "leases"))), 1)
        r = self.plug_private("DEL", dict(self.macvlan(), prevResult=res), ctr,
                              varlib=self.varlib)
        self.assertOK(r)
        self.released(ip)
        self.assertEqual(len(os.listdir(os.path.join(self.state, "release"))), 1)
        self.start_our_daemon()
        cnitest.wait_for(lambda: not os.listdir(os.path.join(self.state, "release")),
                         "the daemon removes the request it carried out")
        cnitest.wait_for(lambda: not os.listdir(os.path.join(self.state, "leases")),
                         "the daemon drops the lease's record")
