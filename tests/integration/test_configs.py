# SPDX-License-Identifier: Apache-2.0
"""The conflists of test-configs/, each attached for real through bin/cnitool.

Every test copies a conflist into a temporary NETCONFPATH with ipam.dataDir
rewritten to a temporary directory, creates a namespace standing in for the
node (with a dummy uplink holding the node address 192.0.2.1) and container
namespaces, runs `cnitool add/check/del` inside the node namespace, checks
traffic, and finally that nothing was left behind: no veth, no reservation,
no cache entry, no nftables rule mentioning the containers.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import cnitest
from cnitest import BIN, CNITestCase, Netns, cnitool_container_id, sh

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIGS = os.path.join(HERE, "..", "..", "test-configs")
NODE_ADDR = "192.0.2.1"


class ConfigTest(CNITestCase):
    needs_netns = True
    plugins = ("cnitool", "bridge", "host-local", "portmap")

    def setUp(self):
        super().setUp()
        cnitest.require(self, plugins=self.plugins)
        self.dir = self.tmpdir()
        self.netdir = os.path.join(self.dir, "net.d")
        self.data = os.path.join(self.dir, "data")
        self.cache = os.path.join(self.dir, "cache")
        self.tuning_dir = os.path.join(self.dir, "tuning")
        os.makedirs(self.netdir)
        self.node = self.netns("cnicfg-node")
        # The node's uplink: a veth to a namespace playing a remote host (192.0.2.254).
        self.outside = self.netns("cnicfg-out")
        self.node.sh("ip link add eth0 type veth peer name eth0 netns %s && "
                     "ip addr add %s/24 dev eth0 && ip link set eth0 up" % (self.outside.name,
                                                                             NODE_ADDR))
        self.outside.sh("ip addr add 192.0.2.254/24 dev eth0 && ip link set eth0 up")
        self.attached = []  # (netns path, env) to DEL at cleanup if a test fails midway
        self.addCleanup(self.cleanup_attachments)
        self.servers = []
        self.addCleanup(self.stop_servers)

    # ---- helpers -----------------------------------------------------------

    def install(self, fname):
        """Copy test-configs/<fname> into NETCONFPATH with dataDir rewritten; return it."""
        with open(os.path.join(CONFIGS, fname)) as f:
            conf = json.load(f)
        for p in conf["plugins"]:
            if p.get("ipam", {}).get("type"):
                p["ipam"]["dataDir"] = self.data
            if p["type"] == "tuning":
                p["dataDir"] = self.tuning_dir
        with open(os.path.join(self.netdir, fname), "w") as f:
            json.dump(conf, f, indent=2)
        self.conf = conf
        return conf

    def tool(self, args, env=None, check=True):
        e = {"NETCONFPATH": self.netdir, "CNI_PATH": BIN, "CNI_CACHE_DIR": self.cache}
        e.update(env or {})
        p = cnitest.run_cnitool(args, e, in_netns=self.node.name)
        if check and p.returncode != 0:
            raise AssertionError("cnitool %s failed (%d):\n%s%s" % (
                " ".join(args), p.returncode, p.stdout, p.stderr))
        return p

    def add(self, ns, env=None):
        res = json.loads(self.tool(["add", self.conf["name"], ns.path], env).stdout)
        self.attached.append((ns.path, env))
        return res

    def delete(self, ns, env=None):
        self.tool(["del", self.conf["name"], ns.path], env)
        self.attached = [a for a in self.attached if a[0] != ns.path]

    def cleanup_attachments(self):
        for path, env in self.attached:
            self.tool(["del", self.conf["name"], path], env, check=False)

    def stop_servers(self):
        for p in self.servers:
            p.kill()
            p.wait()

    def serve_http(self, ns, port=80, echo_client=False):
        """A tiny HTTP server inside ns answering 'hello from <ns>' (or the client address)."""
        d = self.tmpdir()
        with open(os.path.join(d, "index.html"), "w") as f:
            f.write("hello from %s\n" % ns.name)
        ready = os.path.join(self.tmpdir(), "listening")
        code = ("import http.server,socket,sys\n"
                "class H(http.server.SimpleHTTPRequestHandler):\n"
                "    def log_message(self, *a): pass\n"
                "    def do_GET(self):\n"
                "        if %r:\n"
                "            b = (self.client_address[0].replace('::ffff:', '') + '\\n').encode()\n"
                "            self.send_response(200); self.end_headers(); self.wfile.write(b)\n"
                "        else:\n"
                "            super().do_GET()\n"
                "class S(http.server.ThreadingHTTPServer):\n"
                "    address_family = socket.AF_INET6\n"
                "    def server_bind(self):\n"
                "        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)\n"
                "        super().server_bind()\n"
                "import functools\n"
                "s = S(('::', %d), functools.partial(H, directory=%r))\n"
                "open(%r, 'w').close()\n"
                "s.serve_forever()\n"
                % (echo_client, port, d, ready))
        p = subprocess.Popen(["nsenter", "--net=" + ns.path, "--", sys.executable, "-c", code],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.servers.append(p)

        def listening():
            if p.poll() is not None:
                self.fail("http server in %s exited with %d" % (ns.name, p.returncode))
            return os.path.exists(ready)
        cnitest.wait_for(listening, "http server listening in %s" % ns.name)
        return "127.0.0.1\n" if echo_client else "hello from %s\n" % ns.name

    def reservations(self):
        return cnitest.ipam_reservations(os.path.join(self.data, self.conf["name"]))

    def addr(self, res, family=4):
        for ip in res.get("ips", []):
            a = ip["address"].split("/")[0]
            if (":" in a) == (family == 6):
                return a
        return None

    def assert_nothing_left(self, ids=(), ips=(), shared=()):
        """Nothing of the containers is left; `shared`: links that stay (as the bridge does)."""
        self.assertEqual([l for l in self.node.sh("ip -o link show type veth").splitlines()
                          if ": eth0@" not in l and l.split(": ")[1].split("@")[0] not in shared],
                         [], "veth left behind")
        self.assertEqual(self.reservations(), [], "reservations left behind")
        results = os.path.join(self.cache, "results")
        self.assertEqual(os.listdir(results) if os.path.isdir(results) else [], [])
        ruleset = self.node.sh("nft list ruleset")
        for x in list(ids) + list(ips):
            self.assertNotIn(x, ruleset, "nftables rule mentioning %s left behind" % x)
        self.assertEqual(self.node.sh("ip -o link show type ifb"), "", "ifb left behind")
        self.assertEqual(os.listdir(self.tuning_dir) if os.path.isdir(self.tuning_dir) else [],
                         [], "tuning state left behind")

    def container_id(self, ns):
        return cnitool_container_id(ns.path)


class ContainerdDefaultTest(ConfigTest):
    """10-containerd-net.conflist: dual stack, isGateway, ipMasq, promiscMode, portmap."""

    def test_containerd_default(self):
        self.install("10-containerd-net.conflist")
        a, b = self.netns("cnicfg-c"), self.netns("cnicfg-c")
        caps = {"CAP_ARGS": json.dumps({"portMappings": [
            {"hostPort": 8080, "containerPort": 80, "protocol": "tcp", "hostIP": ""}]})}
        ra = self.add(a, caps)
        rb = self.add(b)
        self.assertEqual(ra["cniVersion"], "1.0.0")
        a4, a6, b4, b6 = self.addr(ra), self.addr(ra, 6), self.addr(rb), self.addr(rb, 6)
        self.assertTrue(a4.startswith("10.88.") and b4.startswith("10.88."))
        self.assertTrue(a6.startswith("fd88:0:0:1:") and b6.startswith("fd88:0:0:1:"))
        # Gateway on cni0, promiscuous bridge, default routes in the container.
        br = self.node.json("ip -j addr show dev cni0")[0]
        self.assertIn("PROMISC", br["flags"])
        self.assertIn("10.88.0.1", [x["local"] for x in br["addr_info"]])
        self.assertIn("default via 10.88.0.1", a.sh("ip -4 route"))
        self.assertIn("default via fd88:0:0:1::1", a.sh("ip -6 route"))
        # Traffic between the containers, both families.
        a.sh("ping -c1 -W30 %s" % b4)
        a.sh("ping -6 -c1 -W30 %s" % b6)
        # Container traffic leaving the subnet is masqueraded to the node address.
        self.assertIn(a4, self.node.sh("nft list ruleset"))
        seen = self.serve_http(self.outside, 8000, echo_client=True)
        self.assertEqual(a.sh("curl -s -m30 http://192.0.2.254:8000/"), NODE_ADDR + "\n")
        self.assertTrue(seen)
        # The mapped host port, from the node address, from 127.0.0.1 and from the other
        # container.
        want = self.serve_http(a)
        self.assertEqual(self.node.sh("curl -s -m30 http://%s:8080/" % NODE_ADDR), want)
        self.assertEqual(self.node.sh("curl -s -m30 http://127.0.0.1:8080/"), want)
        self.assertEqual(b.sh("curl -s -m30 http://%s:8080/" % NODE_ADDR), want)
        self.tool(["check", self.conf["name"], a.path], caps)
        self.tool(["check", self.conf["name"], b.path])
        self.delete(a, caps)
        self.delete(b)
        self.assertEqual(self.node.sh("curl -s -m30 http://%s:8080/" % NODE_ADDR, check=False),
                         "")
        self.assert_nothing_left([self.container_id(a), self.container_id(b)],
                                 [a4, b4, a6, b6])


class PodmanTest(ConfigTest):
    """87-podman-bridge.conflist: cniVersion 0.4.0, hairpinMode, portmap (hairpin traffic),
    firewall, tuning."""

    def test_podman_style(self):
        self.install("87-podman-bridge.conflist")
        a, b = self.netns("cnicfg-c"), self.netns("cnicfg-c")
        caps = {"CAP_ARGS": json.dumps({"portMappings": [
            {"hostPort": 18080, "containerPort": 80, "protocol": "tcp"}]})}
        ra = self.add(a, caps)
        rb = self.add(b)
        self.assertEqual(ra["cniVersion"], "0.4.0")
        self.assertEqual(ra["ips"][0]["version"], "4")
        a4, b4 = self.addr(ra), self.addr(rb)
        self.assertEqual(ra["ips"][0]["gateway"], "10.89.0.1")
        ports = [p for p in self.node.json("bridge -j -d link show")
                 if p.get("master") == "cni-podman0"]
        self.assertEqual(len(ports), 2)
        self.assertTrue(all(p.get("hairpin") for p in ports), ports)
        a.sh("ping -c1 -W30 %s" % b4)
        want = self.serve_http(a)
        self.assertEqual(self.node.sh("curl -s -m30 http://%s:18080/" % NODE_ADDR), want)
        # Hairpin: the container reaches itself through the node's mapped port.
        self.assertEqual(a.sh("curl -s -m30 http://%s:18080/" % NODE_ADDR), want)
        self.tool(["check", "podman", a.path], caps)
        # firewall: both containers' addresses are let through FORWARD (iptables layout).
        fwd = self.node.sh("iptables-nft -S CNI-FORWARD")
        for ip in (a4, b4):
            self.assertIn("-A CNI-FORWARD -s %s/32 -j ACCEPT" % ip, fwd)
        self.delete(a, caps)
        self.delete(b)
        self.assert_nothing_left([self.container_id(a), self.container_id(b)], [a4, b4])
        fwd = self.node.sh("iptables-nft -S CNI-FORWARD")
        for ip in (a4, b4):
            self.assertNotIn(ip + "/32", fwd)


class IPv4DefaultGatewayTest(ConfigTest):
    """20-ipv4-default-gateway.conflist: cniVersion 1.1.0, isDefaultGateway, range limits."""

    def test_ipv4_default_gateway(self):
        self.install("20-ipv4-default-gateway.conflist")
        a, b = self.netns("cnicfg-c"), self.netns("cnicfg-c")
        ra, rb = self.add(a), self.add(b)
        self.assertEqual(ra["cniVersion"], "1.1.0")
        self.assertEqual(self.addr(ra), "10.90.0.10")
        self.assertEqual(self.addr(rb), "10.90.0.11")
        self.assertIn({"dst": "0.0.0.0/0", "gw": "10.90.0.1"}, ra["routes"])
        self.assertIn("default via 10.90.0.1", a.sh("ip -4 route"))
        # The node address is reachable through the default gateway.
        a.sh("ping -c1 -W30 %s" % NODE_ADDR)
        a.sh("ping -c1 -W30 10.90.0.11")
        self.tool(["check", "ipv4-gw", a.path])
        self.tool(["status", "ipv4-gw"])
        # GC removes every cached attachment (cnitool passes no valid attachments).
        self.tool(["gc", "ipv4-gw"])
        self.attached = []
        self.assert_nothing_left([self.container_id(a), self.container_id(b)],
                                 ["10.90.0.10", "10.90.0.11"])


class L2BridgeTest(ConfigTest):
    """30-l2-bridge.conflist: no IPAM; the containers get a link, no address."""

    plugins = ("cnitool", "bridge")

    def test_l2_only(self):
        self.install("30-l2-bridge.conflist")
        a, b = self.netns("cnicfg-c"), self.netns("cnicfg-c")
        ra, rb = self.add(a), self.add(b)
        self.assertEqual(ra.get("ips", []), [])
        self.assertEqual(len(ra["interfaces"]), 3)
        link = a.json("ip -j addr show dev eth0")[0]
        self.assertIn("UP", link["flags"])
        self.assertEqual([x for x in link["addr_info"] if x["family"] == "inet"], [])
        # L2 works: addresses chosen by hand talk over the bridge.
        a.sh("ip addr add 169.254.10.1/24 dev eth0")
        b.sh("ip addr add 169.254.10.2/24 dev eth0")
        a.sh("ping -c1 -W30 169.254.10.2")
        self.tool(["check", "l2-only", a.path])
        self.delete(a)
        self.delete(b)
        self.assert_nothing_left()


class VlanTest(ConfigTest):
    """40-vlan.conflist: access VLAN 100 on the bridge port."""

    def test_vlan(self):
        cnitest.require_kernel(self, "bridge vlan_filtering",
                               what="the VLAN config cannot be attached")
        self.install("40-vlan.conflist")
        a, b = self.netns("cnicfg-c"), self.netns("cnicfg-c")
        ra, rb = self.add(a), self.add(b)
        vlans = {v["ifname"]: v["vlans"] for v in self.node.json("bridge -j vlan show")}
        access = [{"vlan": 100, "flags": ["PVID", "Egress Untagged"]}]
        self.assertEqual(vlans[ra["interfaces"][1]["name"]], access)
        self.assertEqual(vlans[rb["interfaces"][1]["name"]], access)
        # The gateway is on cni-vlan.100, a veth whose peer is an access port of VLAN 100.
        gw = ra["interfaces"][3]["name"]
        self.assertEqual(gw, "cni-vlan.100")
        peer = self.node.json("ip -j link show dev %s" % gw)[0]["link"]
        self.assertEqual(vlans[peer], access)
        a.sh("ping -c1 -W30 %s" % self.addr(rb))
        a.sh("ping -c1 -W30 10.91.100.1")
        self.delete(a)
        self.delete(b)
        # The VLAN's gateway interface is shared by the network's containers and stays.
        self.assert_nothing_left(shared=(gw, peer))


class IpvlanTest(ConfigTest):
    """45-ipvlan.conflist: ipvlan L2 on the node's uplink; the containers reach the remote
    host and each other (the node itself is not reachable through ipvlan, by design)."""
    plugins = ("cnitool", "ipvlan", "host-local")

    def test_ipvlan_l2(self):
        cnitest.require_kernel(self, "ipvlan", what="the ipvlan config cannot be attached")
        self.install("45-ipvlan.conflist")
        a, b = self.netns("cnicfg-c"), self.netns("cnicfg-c")
        ra, rb = self.add(a), self.add(b)
        self.assertEqual(self.addr(ra), "192.0.2.100")
        self.assertEqual(ra["dns"], {"nameservers": ["192.0.2.254"]})
        uplink = self.node.json("ip -j link show dev eth0")[0]["address"]
        self.assertEqual(ra["interfaces"][0]["mac"], uplink)
        a.sh("ping -c1 -W30 192.0.2.254")
        a.sh("ping -c1 -W30 %s" % self.addr(rb))
        self.tool(["check", "ipvlan-l2", a.path])
        self.delete(a)
        self.delete(b)
        self.assert_nothing_left(ips=["192.0.2.100", "192.0.2.101"])


class VlanPluginTest(ConfigTest):
    """46-vlan.conflist: a VLAN 42 link on the node's uplink, tuned; the remote host answers
    on its own VLAN 42 link."""
    plugins = ("cnitool", "vlan", "tuning", "host-local")

    def test_vlan_plugin(self):
        cnitest.require_kernel(self, "802.1Q vlan", what="the vlan config cannot be attached")
        self.install("46-vlan.conflist")
        self.outside.sh("ip link add link eth0 name eth0.42 type vlan id 42 && "
                        "ip link set eth0.42 up && ip addr add 198.51.100.254/24 dev eth0.42")
        a = self.netns("cnicfg-c")
        ra = self.add(a)
        self.assertEqual(self.addr(ra), "198.51.100.1")
        link = a.json("ip -j -d link show dev eth0")[0]
        self.assertEqual(link["linkinfo"]["info_data"]["id"], 42)
        self.assertEqual(link["mtu"], 1400)
        self.assertEqual(a.sh("cat /proc/sys/net/ipv4/conf/eth0/arp_notify").strip(), "1")
        a.sh("ping -c1 -W30 198.51.100.254")
        self.tool(["check", "vlan42", a.path])
        # One VLAN id per master: a second container cannot have VLAN 42 on eth0.
        b = self.netns("cnicfg-c")
        p = self.tool(["add", "vlan42", b.path], check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("one per master and VLAN id", p.stdout + p.stderr)
        self.delete(a)
        self.assert_nothing_left(ips=["198.51.100.1"])


class KubernetesTest(ConfigTest):
    """50-kubernetes.conflist with the CNI_ARGS and capability args the kubelet sends."""

    def test_kubernetes_style(self):
        self.install("50-kubernetes.conflist")
        a, b = self.netns("cnicfg-c"), self.netns("cnicfg-c")
        infra = "3f6940ab5ab43bc522569d15b23f8c1bbde1d7678b080398506924fc01d72755"
        env = {
            "CNI_CONTAINERID": infra,
            "CNI_ARGS": "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;"
                        "K8S_POD_INFRA_CONTAINER_ID=%s" % infra,
            "CAP_ARGS": json.dumps({"portMappings": [
                {"hostPort": 30080, "containerPort": 80, "protocol": "tcp", "hostIP": ""}]}),
        }
        ra = self.add(a, env)
        rb = self.add(b)
        self.assertEqual(ra["cniVersion"], "0.3.1")
        a4 = self.addr(ra)
        self.assertTrue(a4.startswith("10.244.1."))
        with open(os.path.join(self.data, "k8s-pod-network", a4), "rb") as f:
            self.assertEqual(f.read(), (infra + "\r\neth0").encode())
        self.assertEqual(a.json("ip -j link show dev eth0")[0]["mtu"], 1450)
        # The kubelet's args are cached with the attachment, for GC.
        with open(os.path.join(self.cache, "results", "k8s-pod-network-%s-eth0" % infra)) as f:
            cached = json.load(f)
        self.assertIn(["K8S_POD_NAME", "web-0"], cached["cniArgs"])
        self.assertEqual(cached["capabilityArgs"]["portMappings"][0]["hostPort"], 30080)
        want = self.serve_http(a)
        self.assertEqual(self.node.sh("curl -s -m30 http://%s:30080/" % NODE_ADDR), want)
        # Hairpin through the service port from the pod itself.
        self.assertEqual(a.sh("curl -s -m30 http://%s:30080/" % NODE_ADDR), want)
        a.sh("ping -c1 -W30 %s" % self.addr(rb))
        # 0.3.1 has no CHECK.
        p = self.tool(["check", "k8s-pod-network", a.path], env, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("does not support the CHECK command", p.stderr)
        self.delete(a, env)
        self.delete(b)
        self.assert_nothing_left([infra, self.container_id(b)], [a4])


class CrioBridgeTest(ConfigTest):
    """60-crio-bridge.conflist: CRI-O's bridge default (dual stack, hairpinMode, ipMasq)."""

    plugins = ("cnitool", "bridge", "host-local")

    def test_crio_default(self):
        self.install("60-crio-bridge.conflist")
        a, b = self.netns("cnicfg-c"), self.netns("cnicfg-c")
        ra, rb = self.add(a), self.add(b)
        a4, a6, b4, b6 = self.addr(ra), self.addr(ra, 6), self.addr(rb), self.addr(rb, 6)
        self.assertTrue(a4.startswith("10.85.") and a6.startswith("fd85:0:0:1:"))
        self.assertIn("default via 10.85.0.1", a.sh("ip -4 route"))
        self.assertIn("default via fd85:0:0:1::1", a.sh("ip -6 route"))
        ports = [p for p in self.node.json("bridge -j -d link show") if p.get("master") == "cni0"]
        self.assertTrue(ports and all(p.get("hairpin") for p in ports), ports)
        a.sh("ping -c1 -W30 %s" % b4)
        a.sh("ping -6 -c1 -W30 %s" % b6)
        self.serve_http(self.outside, 8000, echo_client=True)
        self.assertEqual(a.sh("curl -s -m30 http://192.0.2.254:8000/"), NODE_ADDR + "\n")
        self.tool(["check", "crio", a.path])
        self.delete(a)
        self.delete(b)
        self.assert_nothing_left([self.container_id(a), self.container_id(b)],
                                 [a4, b4, a6, b6])


class MacvlanConfigTest(ConfigTest):
    """81-macvlan.conflist: macvlan containers on the node's uplink, addresses of the
    uplink's own LAN, the LAN's router as their default gateway."""

    plugins = ("cnitool", "macvlan", "host-local")

    def test_macvlan_lan(self):
        cnitest.require_kernel(self, "macvlan", what="the macvlan config cannot be attached")
        self.install("81-macvlan.conflist")
        a, b = self.netns("cnicfg-c"), self.netns("cnicfg-c")
        ra, rb = self.add(a), self.add(b)
        a4, b4 = self.addr(ra), self.addr(rb)
        self.assertEqual((a4, b4), ("192.0.2.100", "192.0.2.101"))
        link = a.json("ip -j -d link show dev eth0")[0]
        self.assertEqual(link["linkinfo"]["info_kind"], "macvlan")
        self.assertEqual(ra["interfaces"][0]["mac"], link["address"])
        self.assertIn("default via 192.0.2.254", a.sh("ip -4 route"))
        # the LAN's host and the other container answer, through the node's uplink
        self.serve_http(self.outside, 8000, echo_client=True)
        self.assertEqual(a.sh("curl -s -m30 http://192.0.2.254:8000/"), a4 + "\n")
        a.sh("ping -c1 -W30 %s" % b4)
        self.tool(["check", "macvlan-lan", a.path])
        self.delete(a)
        self.delete(b)
        self.assert_nothing_left([self.container_id(a), self.container_id(b)], [a4, b4])
        self.assertEqual(self.node.sh("ip -o link show type macvlan"), "")


class PtpPortmapTest(ConfigTest):
    """83-ptp-portmap.conflist: routed pods (ptp, no bridge) with masquerade and host ports:
    a host port answers from outside the node and from the node itself."""

    plugins = ("cnitool", "ptp", "host-local", "portmap")

    def test_ptp_portmap(self):
        self.install("83-ptp-portmap.conflist")
        a, b = self.netns("cnicfg-c"), self.netns("cnicfg-c")
        caps = {"CAP_ARGS": json.dumps({"portMappings": [
            {"hostPort": 8080, "containerPort": 80, "protocol": "tcp", "hostIP": ""}]})}
        ra = self.add(a, caps)
        rb = self.add(b)
        a4, b4 = self.addr(ra), self.addr(rb)
        self.assertEqual((a4, b4), ("10.96.0.2", "10.96.0.3"))
        self.assertEqual(a.json("ip -j link show dev eth0")[0]["mtu"], 1460)
        self.assertIn("10.96.0.0/24 via 10.96.0.1 dev eth0 src %s" % a4, a.sh("ip -4 route"))
        # the pods reach each other through the node, and the outside masqueraded
        a.sh("ping -c1 -W30 %s" % b4)
        self.serve_http(self.outside, 8000, echo_client=True)
        self.assertEqual(a.sh("curl -s -m30 http://192.0.2.254:8000/"), NODE_ADDR + "\n")
        # the host port, from outside the node, from the node and its localhost, and from
        # the other pod
        want = self.serve_http(a)
        self.assertEqual(self.outside.sh("curl -s -m30 http://%s:8080/" % NODE_ADDR), want)
        self.assertEqual(self.node.sh("curl -s -m30 http://%s:8080/" % NODE_ADDR), want)
        self.assertEqual(self.node.sh("curl -s -m30 http://127.0.0.1:8080/"), want)
        self.assertEqual(b.sh("curl -s -m30 http://%s:8080/" % NODE_ADDR), want)
        self.tool(["check", self.conf["name"], a.path], caps)
        self.tool(["check", self.conf["name"], b.path])
        self.delete(a, caps)
        self.assertEqual(self.outside.sh("curl -s -m30 http://%s:8080/" % NODE_ADDR,
                                         check=False), "")
        # b's namespace is gone before its DEL: its rules and reservation go all the same
        b.close()
        self.delete(b)
        cnitest.wait_for(lambda: not self.node.sh("ip -o link show type veth | grep -v eth0@",
                                                  check=False).strip(),
                         "the pods' veths gone from the node")
        self.assert_nothing_left([self.container_id(a), self.container_id(b)], [a4, b4])
        self.assertNotIn("masquerade comment", self.node.sh("nft list ruleset"))


class KubeletTunedTest(ConfigTest):
    """70-kubelet-tuned.conflist: bridge, host-local, portmap, tuning and bandwidth."""

    plugins = ("cnitool", "bridge", "host-local", "portmap", "tuning", "bandwidth")

    def test_kubelet_chain(self):
        self.install("70-kubelet-tuned.conflist")
        a, b = self.netns("cnicfg-c"), self.netns("cnicfg-c")
        env = {"CAP_ARGS": json.dumps({
            "portMappings": [{"hostPort": 30090, "containerPort": 80, "protocol": "tcp"}],
            "bandwidth": {"ingressRate": 8000000, "ingressBurst": 800000,
                          "egressRate": 4000000, "egressBurst": 400000}})}
        ra = self.add(a, env)
        rb = self.add(b)
        self.assertEqual(ra["cniVersion"], "1.0.0")
        a4 = self.addr(ra)
        # tuning: the sysctls are set inside the container, not on the node.
        self.assertEqual(a.sh("cat /proc/sys/net/core/somaxconn").strip(), "1024")
        self.assertEqual(a.sh("cat /proc/sys/net/ipv4/conf/eth0/send_redirects").strip(), "0")
        # bandwidth: a tbf on the host veth for ingress, an ifb with a tbf for egress.
        host_veth = [i["name"] for i in ra["interfaces"]
                     if "sandbox" not in i and i["name"] != "cbr0" and
                     not i["name"].startswith("bwp")][0]
        qdiscs = self.node.json("tc -j qdisc show dev %s" % host_veth)
        self.assertIn("tbf", [q["kind"] for q in qdiscs])
        self.assertIn("ingress", [q["kind"] for q in qdiscs])
        ifbs = [i["name"] for i in ra["interfaces"] if i["name"].startswith("bwp")]
        self.assertEqual(len(ifbs), 1, ra["interfaces"])
        self.assertIn("tbf", [q["kind"] for q in self.node.json("tc -j qdisc show dev %s" %
                                                                ifbs[0])])
        # Without the capability argument the other pod is not shaped.
        self.assertEqual(self.node.sh("ip -o link show type ifb").count("bwp"), 1)
        want = self.serve_http(a)
        self.assertEqual(self.node.sh("curl -s -m30 http://%s:30090/" % NODE_ADDR), want)
        self.assertEqual(b.sh("curl -s -m30 http://%s:30090/" % NODE_ADDR), want)
        a.sh("ping -c1 -W30 %s" % self.addr(rb))
        self.tool(["check", "k8s-tuned", a.path], env)
        self.delete(a, env)
        self.delete(b)
        self.assert_nothing_left([self.container_id(a), self.container_id(b)], [a4])


class PodmanStaticTest(ConfigTest):
    """89-podman-static.conflist: a fixed address from the static IPAM, and a host port."""

    plugins = ("cnitool", "bridge", "static", "portmap")

    def test_static_address(self):
        self.install("89-podman-static.conflist")
        a = self.netns("cnicfg-c")
        caps = {"CAP_ARGS": json.dumps({"portMappings": [
            {"hostPort": 18081, "containerPort": 80, "protocol": "tcp"}]})}
        ra = self.add(a, caps)
        self.assertEqual(ra["cniVersion"], "0.4.0")
        self.assertEqual(ra["ips"][0]["address"], "10.89.1.50/24")
        self.assertEqual(ra["ips"][0]["gateway"], "10.89.1.1")
        self.assertIn("default via 10.89.1.1", a.sh("ip -4 route"))
        a.sh("ping -c1 -W30 10.89.1.1")
        want = self.serve_http(a)
        self.assertEqual(self.node.sh("curl -s -m30 http://%s:18081/" % NODE_ADDR), want)
        self.tool(["check", "podman-static", a.path], caps)
        self.delete(a, caps)
        self.assert_nothing_left([self.container_id(a)], ["10.89.1.50"])


class LoopbackTest(ConfigTest):
    """99-loopback.conflist: what containerd's CRI adds to every pod, then its pod network."""

    plugins = ("cnitool", "loopback", "bridge", "host-local", "portmap")

    def test_cri_loopback_then_pod_network(self):
        lo_conf = self.install("99-loopback.conflist")
        a = self.netns("cnicfg-c")
        a.sh("ip link set lo down")
        r = self.add(a)
        self.assertEqual(r["cniVersion"], "0.3.1")
        self.assertEqual(r["interfaces"][0]["name"], "lo")
        self.assertIn("UP", a.json("ip -j link show dev lo")[0]["flags"])
        a.sh("ping -c1 -W30 127.0.0.1")
        # The CRI attaches the pod network to the same namespace next.
        self.install("10-containerd-net.conflist")
        rp = self.add(a)
        a4 = self.addr(rp)
        self.node.sh("ping -c1 -W30 %s" % a4)
        self.delete(a)
        self.conf = lo_conf
        self.delete(a)
        self.assertNotIn("UP", a.json("ip -j link show dev lo")[0]["flags"])
        self.assert_nothing_left([self.container_id(a)], [a4])


class HostDeviceTest(ConfigTest):
    """82-host-device.conflist: a second NIC of the node (eth1, on a storage network)
    given to one container as its net1, as Multus attaches a secondary network; back to the
    node on DEL, then to the next container."""

    plugins = ("cnitool", "host-device", "host-local")

    def test_host_device(self):
        self.install("82-host-device.conflist")
        self.node.sh("ip link add eth1 type veth peer name eth1 netns %s && "
                     "ip link set eth1 up" % self.outside.name)
        self.outside.sh("ip addr add 198.51.100.254/24 dev eth1 && ip link set eth1 up && "
                        "ip addr add 203.0.113.1/24 dev lo")
        mac = self.node.json("ip -j link show dev eth1")[0]["address"]
        env = {"CNI_IFNAME": "net1", "CNI_ARGS": "IgnoreUnknown=true;K8S_POD_NAMESPACE=db;"
               "K8S_POD_NAME=db-0"}
        # host-local hands out the range round robin.
        for name, addr in (("cnicfg-a", "198.51.100.10/24"), ("cnicfg-b", "198.51.100.11/24")):
            c = self.netns(name)
            r = self.add(c, env)
            self.assertEqual(r["interfaces"], [{"name": "net1", "mac": mac,
                                                "sandbox": c.path}])
            self.assertEqual(r["ips"][0]["address"], addr)
            self.assertEqual(c.json("ip -j link show dev net1")[0]["ifalias"], "eth1")
            self.assertEqual(self.node.sh("ip -o link show dev eth1 2>/dev/null || true"), "")
            c.sh("ping -c1 -W30 203.0.113.1")
            self.tool(["check", "storage-net", c.path], env)
            self.delete(c, env)
            l = self.node.json("ip -j link show dev eth1")[0]
            self.assertEqual((l["address"], l.get("ifalias", "")), (mac, ""))
            self.assertNotIn("UP", l["flags"])
            self.assertEqual([x["ifname"] for x in c.json("ip -j link show")], ["lo"])
            self.node.sh("ip link set eth1 up")
        self.assert_nothing_left(shared=("eth1",))


class MacvlanSbrTest(ConfigTest):
    """83-macvlan-sbr.conflist: a pod's second network (macvlan on the node's second NIC,
    host-local with a gateway but no route), then sbr with addSourceHints: what the pod
    sends from that network's address leaves through it, to a network only its gateway
    reaches, while the pod's default route stays on its first interface; the subnet route
    stays in main (with the address as source), so macvlan's CHECK finds it."""

    plugins = ("cnitool", "macvlan", "host-local", "sbr")

    def test_macvlan_sbr(self):
        cnitest.require_kernel(self, "macvlan", what="the macvlan config cannot be attached")
        self.install("83-macvlan-sbr.conflist")
        self.node.sh("ip link add eth1 type veth peer name eth1 netns %s && "
                     "ip link set eth1 up" % self.outside.name)
        self.outside.sh("ip addr add 198.51.100.254/24 dev eth1 && ip link set eth1 up && "
                        "ip addr add 203.0.113.1/24 dev lo")
        pod = self.netns("cnicfg-pod")
        # The pod's first network: a veth to the node, its default route.
        self.node.sh("ip link add pv0 type veth peer name eth0 netns %s && "
                     "ip addr add 10.83.0.1/24 dev pv0 && ip link set pv0 up" % pod.name)
        pod.sh("ip addr add 10.83.0.2/24 dev eth0 && ip link set eth0 up && "
               "ip route add default via 10.83.0.1")
        env = {"CNI_IFNAME": "net1"}
        r = self.add(pod, env)
        self.assertEqual(r["ips"][0]["address"], "198.51.100.10/24")
        self.assertIn("from 198.51.100.10 lookup 100", pod.sh("ip rule"))
        self.assertIn("default via 198.51.100.254 dev net1", pod.sh("ip route show table 100"))
        self.assertIn("default via 10.83.0.1 dev eth0", pod.sh("ip route show table main"))
        self.assertEqual(pod.sh("ip route show table main dev net1"),
                         "198.51.100.0/24 scope link src 198.51.100.10 \n")
        pod.sh("ping -c1 -W30 -I 198.51.100.10 203.0.113.1")
        self.tool(["check", "backend-sbr", pod.path], env)
        self.delete(pod, env)
        self.assertNotIn("lookup 100", pod.sh("ip rule"))
        self.assertEqual([x["ifname"] for x in pod.json("ip -j link show")], ["lo", "eth0"])
        self.assert_nothing_left([self.container_id(pod)], ["198.51.100.10"],
                                 shared=("eth1", "pv0"))
        self.assertEqual(self.node.sh("ip -o link show type macvlan"), "")


class TapVMTest(ConfigTest):
    """91-tap-vm.conflist: a multiqueue tap a VM's hypervisor (uid/gid 107) attaches to."""

    plugins = ("cnitool", "tap", "host-local")

    def test_tap_vm(self):
        cnitest.require_kernel(self, "tun", what="the tap plugin makes tun devices")
        from test_tap import RESPONDER
        self.install("91-tap-vm.conflist")
        a = self.netns("cnicfg-c")
        r = self.add(a)
        a4 = self.addr(r)
        self.assertTrue(a4.startswith("10.93.0."))
        data = a.json("ip -d -j link show dev eth0")[0]["linkinfo"]["info_data"]
        self.assertEqual((data["type"], data["multi_queue"]), ("tap", True))
        self.assertEqual((data["user"], data["group"]), (107, 107))
        self.assertIn("default via 10.93.0.1", a.sh("ip -4 route"))
        # The hypervisor's side: a reader answering for the gateway.
        p = subprocess.Popen(["nsenter", "--net=" + a.path, sys.executable, "-c", RESPONDER,
                              "eth0", "10.93.0.1", "multi_queue"], stdout=subprocess.PIPE,
                             text=True)
        self.servers.append(p)
        self.assertEqual(p.stdout.readline(), "attached\n")
        a.sh("ping -c1 -W30 10.93.0.1")
        self.tool(["check", self.conf["name"], a.path])
        self.delete(a)
        self.assertEqual(a.sh("ip -o link show dev eth0 2>/dev/null", check=False), "")
        self.assert_nothing_left([self.container_id(a)], [a4])


class DummyConfigTest(ConfigTest):
    """92-dummy.conflist: a dummy link holding a local address in the container (the node's
    own eth0 is no obstacle: the link is made inside the container)."""

    plugins = ("cnitool", "dummy", "host-local")

    def test_dummy(self):
        cnitest.require_kernel(self, "dummy", what="the dummy plugin makes dummy links")
        self.install("92-dummy.conflist")
        a = self.netns("cnicfg-c")
        r = self.add(a)
        self.assertEqual(r["cniVersion"], "1.1.0")
        a4 = self.addr(r)
        self.assertTrue(a4.startswith("10.94.0."))
        link = a.json("ip -d -j link show dev eth0")[0]
        self.assertEqual(link["linkinfo"]["info_kind"], "dummy")
        a.sh("ping -c1 -W30 %s" % a4)
        self.tool(["check", self.conf["name"], a.path])
        self.delete(a)
        self.assertEqual(a.sh("ip -o link show dev eth0 2>/dev/null", check=False), "")
        self.assert_nothing_left([self.container_id(a)], [a4])


class VrfConfigTest(ConfigTest):
    """93-macvlan-vrf.conflist: a macvlan container on the node's uplink, dual stack, put
    into the VRF tenant-a: its addresses and default routes are in the VRF's table, the LAN's
    router answers from inside the VRF and is unreachable from the default VRF."""

    plugins = ("cnitool", "macvlan", "vrf", "host-local")

    def test_macvlan_vrf(self):
        cnitest.require_kernel(self, "macvlan", "vrf", what="the vrf config cannot be attached")
        self.install("93-macvlan-vrf.conflist")
        self.outside.sh("ip addr add 2001:db8:2::fe/64 dev eth0 nodad")
        a = self.netns("cnicfg-c")
        r = self.add(a)
        a4, a6 = self.addr(r), self.addr(r, 6)
        self.assertEqual(a4, "192.0.2.120")
        self.assertTrue(a6.startswith("2001:db8:2::"))
        vrf = a.json("ip -d -j link show dev tenant-a")[0]
        self.assertEqual(vrf["linkinfo"]["info_data"]["table"], 1)
        self.assertEqual(a.json("ip -j link show dev eth0")[0]["master"], "tenant-a")
        self.assertIn("default via 192.0.2.254", a.sh("ip -4 route show table 1"))
        self.assertIn("default via 2001:db8:2::fe", a.sh("ip -6 route show table 1"))
        self.assertEqual(a.sh("ip -4 route show table main"), "")
        glob6 = a.json("ip -j -6 addr show dev eth0 scope global")[0]["addr_info"]
        self.assertEqual([x["local"] for x in glob6 if "local" in x], [a6])
        self.assertFalse([x for x in glob6 if x.get("tentative")])
        # The router answers inside the VRF, and not from the default VRF.
        a.sh("ping -c1 -W30 -I tenant-a 192.0.2.254")
        a.sh("ping -6 -c1 -W30 -I tenant-a 2001:db8:2::fe")
        self.assertIn("unreachable", a.sh("ping -c1 -W1 192.0.2.254 2>&1", check=False))
        self.tool(["check", self.conf["name"], a.path])
        self.delete(a)
        self.assertEqual(a.sh("ip -o link show dev tenant-a 2>/dev/null", check=False), "")
        self.assertEqual(a.sh("ip -o link show dev eth0 2>/dev/null", check=False), "")
        self.assert_nothing_left([self.container_id(a)], [a4])
        self.assertEqual(self.node.sh("ip -o link show type macvlan"), "")


if __name__ == "__main__":
    unittest.main()
