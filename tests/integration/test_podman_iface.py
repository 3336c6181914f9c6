# SPDX-License-Identifier: Apache-2.0
"""podman 4.3 (CNI backend) on our macvlan and ipvlan: the conflists podman itself writes
with `podman network create -d macvlan|ipvlan`, run unchanged on our plugins alone
(podman's cni_plugin_dirs is only our bin/).

The node is a namespace of the test's own; its "uplink" is one end of a veth pair whose
other end is in a peer namespace standing for the rest of the parent's network (it holds
the network's gateway address). podman runs as in test_podman (all its state in a
temporary directory, a private mount namespace). Each test runs a real container, checks
its address and traffic with the peer both ways, then `podman rm -f`s it and checks that
nothing is left: no link, no host-local reservation, no libcni cache entry, no netns.

The ipvlan test runs a real container too: this machine's kernel lacks ipvlan, so it
skips here and runs in the QEMU tier (make check-vm), where podman and runc work.
"""
import json
import os
import signal
import subprocess
import unittest

import cnitest
from cnitest import BIN, sh
from test_podman import PodmanCase

PARENT = "cniup0"
SUBNET = "10.97.0.0/24"
GATEWAY = "10.97.0.1"      # podman's gateway for SUBNET: its first address (on the peer)
NODE_NET = "10.98.0.0/24"  # the node's own address on the parent's network: .2, peer .1


def proc_gone(pid):
    """Has process pid exited (gone, or a zombie)?"""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


class PodmanIfaceCase(PodmanCase):
    """A node with a parent veth whose other end is in self.peer."""

    podman_creates_network = True

    def setUp(self):
        super().setUp()
        cnitest.require(self, tools=("ping",))
        self.peer = self.netns("cnipod-peer")
        self.node.sh("ip link add %s type veth peer name eth0 netns %s" % (PARENT,
                                                                         self.peer.name))
        self.node.sh("ip addr add 10.98.0.2/24 dev %s && ip link set %s up" % (PARENT, PARENT))
        self.peer.sh("ip addr add %s/24 dev eth0 && ip addr add 10.98.0.1/24 dev eth0 && "
                     "ip link set eth0 up" % GATEWAY)

    # ---- podman --------------------------------------------------------------------

    def in_podman_ns(self, cmd, check=True):
        """A shell command in podman's mount namespace and the node's network namespace."""
        return sh("nsenter --mount=%s --root=/proc/%d/root --wd=%s --net=%s -- sh -c %s" % (
            self.mntns, self.holder.pid, os.getcwd(), self.node.path, cnitest.shquote(cmd)),
            check=check)

    def network_create(self, *args):
        """`podman network create` self.net with args; returns the conflist podman wrote."""
        self.podman("network", "create", *(list(args) + [self.net]))
        with open(os.path.join(self.t, "net.d", self.net + ".conflist")) as f:
            return json.load(f)

    def run_container(self):
        """A container on self.net (its httpd serving on port 80); returns podman's inspect."""
        self.build_image()
        self.podman("run", "-d", "--name", "c1", "--network", self.net,
                    "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
                    "localhost/cnitest-busybox", "httpd", "-f", "-p", "80", "-h", "/www")
        return json.loads(self.podman("inspect", "c1").stdout)[0]

    def reservations(self):
        return cnitest.ipam_reservations(
            os.path.join(self.t, "varlib", "cni", "networks", self.net))

    def in_container(self, insp, cmd, check=True):
        return sh("nsenter --net=/proc/%d/ns/net -- sh -c %s" % (
            insp["State"]["Pid"], cnitest.shquote(cmd)), check=check)

    # ---- checks ----------------------------------------------------------------------

    def check_attached(self, insp, kind):
        """The container's eth0: a `kind` link on PARENT with the address podman recorded,
        its default route via the gateway, traffic with the peer both ways."""
        cid = insp["Id"]
        ip = insp["NetworkSettings"]["Networks"][self.net]["IPAddress"]
        self.assertTrue(ip.startswith("10.97.0."), json.dumps(insp["NetworkSettings"]))
        self.assertEqual(self.reservations(), [ip])
        with open(os.path.join(self.t, "varlib", "cni", "networks", self.net, ip), "rb") as f:
            self.assertEqual(f.read(), (cid + "\r\neth0").encode())
        link = json.loads(self.in_container(insp, "ip -d -j addr show dev eth0"))[0]
        self.assertEqual(link["linkinfo"]["info_kind"], kind)
        parent = json.loads(self.node.sh("ip -j link show dev %s" % PARENT))[0]
        self.assertEqual(link["link_index"], parent["ifindex"], link)
        self.assertIn(ip, [a["local"] for a in link["addr_info"]])
        routes = json.loads(self.in_container(insp, "ip -j route show default"))
        self.assertEqual([(r.get("gateway"), r.get("dev")) for r in routes], [(GATEWAY, "eth0")])
        # The peer reaches the container, the container the peer, and podman recorded what
        # our plugin returned.
        self.peer.sh("ping -c1 -W30 %s" % ip)
        self.in_container(insp, "ping -c1 -W30 %s" % GATEWAY)
        self.in_container(insp, "ping -c1 -W30 10.98.0.1")
        cnitest.wait_for(lambda: self.in_container(insp, "ss -Hltn sport = :80", check=False)
                         .strip(), "httpd listening in the container")
        self.assertEqual(self.peer.sh("curl -s -m30 http://%s/" % ip),
                         "hello from podman on cni-c\n")
        if kind == "macvlan":
            self.assertEqual(insp["NetworkSettings"]["Networks"][self.net]["MacAddress"],
                             link["address"])
        return ip

    def check_gone(self, insp, kind):
        """After `podman rm -f`: nothing of the attachment left anywhere."""
        sandbox = insp["NetworkSettings"]["SandboxKey"]
        self.assertTrue(sandbox.startswith("/run/netns/"), sandbox)
        self.assertEqual(self.in_podman_ns("test -e %s && echo yes || echo no" % sandbox),
                         "no\n")
        self.assertEqual(self.node.json("ip -j link show type %s" % kind), [])
        self.assertEqual(sorted(l["ifname"] for l in self.node.json("ip -j link show")),
                         sorted(["lo", PARENT]))
        self.assertEqual(self.reservations(), [])
        results = os.path.join(self.t, "varlib", "cni", "results")
        self.assertEqual(os.listdir(results) if os.path.isdir(results) else [], [])
        self.assertEqual(self.podman("ps", "-aq").stdout.strip(), "")

    def expected_ipam(self):
        return {"type": "host-local", "routes": [{"dst": "0.0.0.0/0"}],
                "ranges": [[{"subnet": SUBNET, "gateway": GATEWAY}]]}


class PodmanMacvlanTest(PodmanIfaceCase):
    plugins = ("macvlan", "host-local")

    def setUp(self):
        cnitest.require_kernel(self, "macvlan", what="podman's macvlan network")
        super().setUp()

    def test_macvlan_parent_subnet(self):
        """`-d macvlan -o parent=<veth> --subnet`: podman's conflist as it wrote it."""
        conf = self.network_create("-d", "macvlan", "-o", "parent=" + PARENT,
                                   "--subnet", SUBNET)
        self.assertEqual(conf["cniVersion"], "0.4.0")
        self.assertEqual(conf["plugins"], [{"type": "macvlan", "master": PARENT,
                                            "ipam": self.expected_ipam(),
                                            "capabilities": {"ips": True}}])
        insp = self.run_container()
        self.check_attached(insp, "macvlan")
        # podman's default mode for macvlan is the plugin's default: bridge.
        link = json.loads(self.in_container(insp, "ip -d -j link show dev eth0"))[0]
        self.assertEqual(link["linkinfo"]["info_data"]["mode"], "bridge")
        self.podman("rm", "-f", "-t", "0", "c1")
        self.check_gone(insp, "macvlan")

    def test_macvlan_default_route_master(self):
        """`-d macvlan --subnet` without a parent: "master": "" and the plugin takes the
        interface of the node's default route."""
        self.node.sh("ip route add default via 10.98.0.1 dev %s" % PARENT)
        conf = self.network_create("-d", "macvlan", "--subnet", SUBNET)
        self.assertEqual(conf["plugins"], [{"type": "macvlan", "master": "",
                                            "ipam": self.expected_ipam(),
                                            "capabilities": {"ips": True}}])
        insp = self.run_container()
        self.check_attached(insp, "macvlan")
        self.podman("rm", "-f", "-t", "0", "c1")
        self.check_gone(insp, "macvlan")

    def test_macvlan_dhcp(self):
        """`-d macvlan -o parent=<veth>` without --subnet: podman asks for dhcp IPAM. dnsmasq
        serves the parent's network from the peer; nobody starts a dhcp daemon: the plugin
        starts ours itself (in podman's mount namespace, /run/cni a tmpfs of its own). The
        container gets its address from dnsmasq, keeps it across a restart of the daemon (ended
        by SIGTERM, started again by the plugin's next call: it re-adopts the lease from its
        journal), and dnsmasq sees the release at `podman rm`."""
        conf = self.network_create("-d", "macvlan", "-o", "parent=" + PARENT)
        self.assertEqual(conf["plugins"], [{"type": "macvlan", "master": PARENT,
                                            "ipam": {"type": "dhcp"}}])
        if not os.path.exists(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                           "..", "plugins", "dhcp", "daemon.h")):
            self.skipTest("our dhcp daemon is not built yet (`dhcp daemon`)")
        cnitest.require(self, tools=("dnsmasq",))
        self.in_podman_ns("mkdir -p /run/cni && mount -t tmpfs -o mode=0755 tmpfs /run/cni")
        self.addCleanup(self.stop_dhcp_daemon)
        leases, log = os.path.join(self.t, "leases"), os.path.join(self.t, "dnsmasq.log")
        pidfile = os.path.join(self.t, "dnsmasq.pid")
        dnsmasq = subprocess.Popen(
            ["nsenter", "--net=" + self.peer.path, "--", "unshare", "-m", "--propagation",
             "slave", "--", "dnsmasq", "-k", "--conf-file=/dev/null", "--port=0",
             "--user=root", "--interface=eth0", "--bind-interfaces",
             "--dhcp-range=10.97.0.100,10.97.0.150,255.255.255.0,10m",
             "--dhcp-option=option:router," + GATEWAY, "--dhcp-leasefile=" + leases,
             "--pid-file=" + pidfile, "--log-dhcp", "--no-ping", "--log-facility=" + log],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def stop_dnsmasq():
            dnsmasq.terminate()
            dnsmasq.wait()
        self.addCleanup(stop_dnsmasq)
        cnitest.wait_for(lambda: os.path.exists(pidfile) or dnsmasq.poll() is not None,
                         "dnsmasq started")
        self.assertIsNone(dnsmasq.poll())

        insp = self.run_container()
        ip = insp["NetworkSettings"]["Networks"][self.net]["IPAddress"]
        self.assertTrue(ip.startswith("10.97.0.1"), json.dumps(insp["NetworkSettings"]))
        with open(leases) as f:
            self.assertIn(" %s " % ip, f.read())
        link = json.loads(self.in_container(insp, "ip -d -j addr show dev eth0"))[0]
        self.assertEqual(link["linkinfo"]["info_kind"], "macvlan")
        self.assertIn(ip, [a["local"] for a in link["addr_info"]])
        routes = json.loads(self.in_container(insp, "ip -j route show default"))
        self.assertEqual([(r.get("gateway"), r.get("dev")) for r in routes], [(GATEWAY, "eth0")])
        self.peer.sh("ping -c1 -W30 %s" % ip)
        # the daemon the plugin started answers on the default socket, in a session of its own
        pid = int(self.in_podman_ns("cat /run/cni/dhcp.sock.pid"))
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read().rsplit(")", 1)[1].split()
        self.assertEqual(int(stat[2]), pid, "the daemon leads its own process group")
        self.assertEqual(int(stat[3]), pid, "the daemon leads its own session")

        # the daemon ends (SIGTERM); the next call of the plugin (a CNI CHECK of the
        # container's attachment, as a runtime's) starts it again, and it re-adopts the lease
        # from its journal (INIT-REBOOT: dnsmasq acknowledges the same address once more)
        record = os.path.join(self.t, "varlib", "cni", "dhcp", "leases", "%s%%2F%s%%2Feth0.json"
                              % (insp["Id"], self.net))
        with open(record) as f:
            self.assertIn(ip, f.read())
        acks = "DHCPACK(eth0) %s " % ip
        n_acks = open(log).read().count(acks)
        run_cni = "/proc/%d/root/run/cni" % self.holder.pid
        os.kill(pid, signal.SIGTERM)
        cnitest.wait_for(lambda: not os.path.exists(os.path.join(run_cni, "dhcp.sock.pid")) and
                         not os.path.exists(os.path.join(run_cni, "dhcp.sock")),
                         "the daemon removes its socket and pid file")
        cnitest.wait_for(lambda: proc_gone(pid), "the daemon exits")
        with open(record) as f:
            self.assertIn(ip, f.read(), "the lease stays in the journal")
        confpath = os.path.join(self.t, "check.json")
        with open(confpath, "w") as f:
            json.dump(dict(conf["plugins"][0], cniVersion=conf["cniVersion"], name=self.net), f)
        self.in_podman_ns("CNI_COMMAND=CHECK CNI_CONTAINERID=%s CNI_NETNS=%s CNI_IFNAME=eth0 "
                          "CNI_PATH=%s %s < %s" % (
                              insp["Id"], insp["NetworkSettings"]["SandboxKey"], BIN,
                              os.path.join(BIN, "dhcp"), confpath))
        pid2 = int(self.in_podman_ns("cat /run/cni/dhcp.sock.pid"))
        self.assertNotEqual(pid2, pid)
        cnitest.wait_for(lambda: open(log).read().count(acks) > n_acks,
                         "dnsmasq acknowledges the re-adopted lease")
        with open(record) as f:
            self.assertIn(ip, f.read())
        link = json.loads(self.in_container(insp, "ip -d -j addr show dev eth0"))[0]
        self.assertIn(ip, [a["local"] for a in link["addr_info"]])

        self.podman("rm", "-f", "-t", "0", "c1")
        cnitest.wait_for(lambda: "DHCPRELEASE(eth0) %s " % ip in open(log).read(),
                         "dnsmasq receives the release")
        cnitest.wait_for(lambda: ip not in open(leases).read(), "the lease leaves dnsmasq")
        self.assertEqual(self.node.json("ip -j link show type macvlan"), [])

    def stop_dhcp_daemon(self):
        """End the dhcp daemon the plugin started, by the PID in its pid file."""
        out = self.in_podman_ns("cat /run/cni/dhcp.sock.pid 2>/dev/null", check=False).strip()
        if out.isdigit():
            try:
                os.kill(int(out), signal.SIGTERM)
            except ProcessLookupError:
                pass


class PodmanIpvlanTest(PodmanIfaceCase):
    """Runs a real container (the QEMU tier: this machine's kernel lacks ipvlan)."""

    plugins = ("ipvlan", "host-local")

    def setUp(self):
        cnitest.require_kernel(self, "ipvlan", what="podman's ipvlan network")
        super().setUp()

    def test_ipvlan_default_route_master(self):
        """`-d ipvlan --subnet`: podman 4.3 always writes "master": "" (it has no parent
        option for ipvlan); the plugin takes the node's default-route interface."""
        self.node.sh("ip route add default via 10.98.0.1 dev %s" % PARENT)
        p = self.podman("network", "create", "-d", "ipvlan", "-o", "parent=" + PARENT,
                        "--subnet", SUBNET, self.net + "x", check=False)
        self.assertNotEqual(p.returncode, 0, p)
        conf = self.network_create("-d", "ipvlan", "--subnet", SUBNET)
        self.assertEqual(conf["cniVersion"], "0.4.0")
        self.assertEqual(conf["plugins"], [{"type": "ipvlan", "master": "",
                                            "ipam": self.expected_ipam(),
                                            "capabilities": {"ips": True}}])
        insp = self.run_container()
        self.check_attached(insp, "ipvlan")
        link = json.loads(self.in_container(insp, "ip -d -j link show dev eth0"))[0]
        self.assertEqual(link["linkinfo"]["info_data"]["mode"], "l2")
        # ipvlan shares the parent's MAC address.
        parent = json.loads(self.node.sh("ip -j link show dev %s" % PARENT))[0]
        self.assertEqual(link["address"], parent["address"])
        self.podman("rm", "-f", "-t", "0", "c1")
        self.check_gone(insp, "ipvlan")


if __name__ == "__main__":
    unittest.main()
