# SPDX-License-Identifier: Apache-2.0
"""Black-box tests of bin/bridge.

Every test works in namespaces of its own: a "node" namespace standing in for the host
(the bridge, the host veths, the nftables ruleset and the forwarding sysctls live there;
the plugin runs inside it) and one namespace per container. The real host's interfaces
and ruleset are never touched.
"""
import json
import os
import re
import shutil
import subprocess
import time
import unittest
import uuid

import cnitest
from cnitest import CNITestCase, ipam_plugin, masq_comment, ref_hash, run_plugin, sh

BRIDGE = "cnibr0"
HASH_RE = re.compile(r"^[0-9a-f]{16}-[0-9a-f]{16}, net: ")


class BridgeTest(CNITestCase):
    needs_netns = True

    def setUp(self):
        super().setUp()
        self.node = self.netns("bnode")
        self.data = self.tmpdir()
        self.path = cnitest.plugin_dir(self, ("bridge",), {"host-local": ipam_plugin()})
        self.net = "net" + uuid.uuid4().hex[:6]

    # ---- helpers ---------------------------------------------------------------------

    def conf(self, version="1.0.0", ipam=True, subnet="10.55.0.0/24", **kw):
        c = {"cniVersion": version, "name": self.net, "type": "bridge", "bridge": BRIDGE}
        if ipam is True:
            c["ipam"] = {"type": "host-local", "subnet": subnet, "dataDir": self.data}
        elif ipam:
            c["ipam"] = dict(ipam, dataDir=self.data)
        c.update(kw)
        return c

    def container(self):
        return self.netns("bctr")

    def plug(self, cmd, conf, ctr=None, cid="cid1", ifname="eth0", netns=None, **kw):
        if netns is None:
            netns = ctr.path if ctr else ""
        return run_plugin("bridge", cmd, conf, containerid=cid, netns=netns, ifname=ifname,
                          path=self.path, in_netns=self.node.name, **kw)

    def add(self, conf, ctr, cid="cid1", ifname="eth0", **kw):
        return self.assertOK(self.plug("ADD", conf, ctr, cid, ifname, **kw))

    def delete(self, conf, ctr, cid="cid1", ifname="eth0", prev=None, **kw):
        c = dict(conf)
        if prev is not None:
            c["prevResult"] = prev
        return self.assertOK(self.plug("DEL", c, ctr, cid, ifname, **kw))

    def check(self, conf, ctr, prev, cid="cid1", ifname="eth0"):
        c = dict(conf, prevResult=prev)
        return self.plug("CHECK", c, ctr, cid, ifname)

    def links(self, ns):
        return {l["ifname"]: l for l in ns.json("ip -j -d link show")}

    def addrs(self, ns, ifname):
        out = ns.json("ip -j addr show dev %s" % ifname)
        return ["%s/%d" % (a["local"], a["prefixlen"]) for a in out[0]["addr_info"]
                if a.get("scope") != "link"] if out else []

    def veths(self):
        return sorted(n for n, l in self.links(self.node).items()
                      if l.get("linkinfo", {}).get("info_kind") == "veth" and n.startswith("veth"))

    def reservations(self):
        d = os.path.join(self.data, self.net)
        if not os.path.isdir(d):
            return []
        return sorted(f for f in os.listdir(d) if re.match(r"^[0-9a-f.:]+$", f) and "." in f or ":" in f)

    def last_ip(self):
        with open(os.path.join(self.data, self.net, "last_reserved_ip.0")) as f:
            return f.read().strip()

    def masq_comments(self):
        out = self.node.sh("nft -j list chain inet cni_plugins_masquerade masq_checks",
                           check=False)
        if not out.strip():
            return []
        return [r["rule"].get("comment") for r in json.loads(out)["nftables"] if "rule" in r]

    def ping(self, ns, addr, count=1, check=True):
        # An answer ends the wait: the long one only bounds a hang. A check that no answer
        # comes (check=False) follows a ping that showed the same path answering.
        p = subprocess.run("nsenter --net=%s -- ping -c %d -W %d -i 0.2 %s" % (
                               ns.path, count, 30 if check else 5, addr),
                           shell=True, capture_output=True, text=True)
        if check:
            self.assertEqual(p.returncode, 0, "ping %s from %s failed:\n%s%s" %
                             (addr, ns.name, p.stdout, p.stderr))
        return p.returncode == 0

    def join_low_port(self, bridge=BRIDGE):
        """A port that is no container's joins `bridge` with a MAC below any the kernel
        picks at random (those set the locally administered bit): a bridge whose MAC is
        not pinned takes it."""
        self.node.sh("ip link add cnilow0 type veth peer name cnilow1 && "
                     "ip link set cnilow0 address 00:00:00:00:00:01 master %s up" % bridge)

    def bridge_mac(self, bridge=BRIDGE):
        return self.links(self.node)[bridge]["address"]

    def wait_until(self, pred, what):
        cnitest.wait_for(pred, what)

    def assertClean(self, ctr=None):
        """No veth, no reservation, no masq rule of this network left."""
        self.assertEqual(self.veths(), [])
        self.assertEqual(self.reservations(), [])
        self.assertEqual([c for c in self.masq_comments()
                          if c and c.startswith(ref_hash(self.net, 16))], [])
        if ctr is not None:
            self.assertNotIn("eth0", self.links(ctr))

    # ---- ADD: L3, L2, results ------------------------------------------------------------

    def test_l3_single_stack_result_and_state(self):
        ctr = self.container()
        conf = self.conf(isGateway=True, ipMasq=True)
        res = self.add(conf, ctr)
        self.assertEqual(res["cniVersion"], "1.0.0")
        br, host, cont = res["interfaces"]
        nl = self.links(self.node)
        cl = self.links(ctr)
        self.assertEqual(br, {"name": BRIDGE, "mac": nl[BRIDGE]["address"]})
        self.assertRegex(host["name"], r"^veth[0-9a-f]{8}$")
        self.assertEqual(host, {"name": host["name"], "mac": nl[host["name"]]["address"]})
        self.assertEqual(cont, {"name": "eth0", "mac": cl["eth0"]["address"], "sandbox": ctr.path})
        self.assertEqual(res["ips"], [{"address": "10.55.0.2/24", "gateway": "10.55.0.1",
                                       "interface": 2}])
        self.assertNotIn("routes", res)
        self.assertNotIn("dns", res)
        # kernel state
        self.assertEqual(nl[host["name"]]["master"], BRIDGE)
        self.assertEqual(nl[BRIDGE]["linkinfo"]["info_kind"], "bridge")
        self.assertIn("10.55.0.1/24", self.addrs(self.node, BRIDGE))
        self.assertEqual(self.addrs(ctr, "eth0"), ["10.55.0.2/24"])
        self.assertIn("UP", cl["eth0"]["flags"])
        self.assertEqual(self.node.sh("cat /proc/sys/net/ipv4/ip_forward").strip(), "1")
        self.assertEqual(self.node.sh("cat /proc/sys/net/ipv6/conf/%s/accept_ra" % BRIDGE).strip(), "0")
        self.assertEqual(self.node.sh("cat /proc/sys/net/ipv6/conf/%s/accept_ra" % host["name"]).strip(), "0")
        self.assertEqual(ctr.sh("cat /proc/sys/net/ipv6/conf/eth0/accept_dad").strip(), "0")
        self.assertEqual(ctr.sh("cat /proc/sys/net/ipv4/conf/eth0/arp_notify").strip(), "1")
        self.assertEqual(self.reservations(), ["10.55.0.2"])
        self.assertEqual(self.masq_comments(), [masq_comment(self.net, "eth0", "cid1")])
        self.ping(ctr, "10.55.0.1")
        # CHECK right after ADD
        self.assertOK(self.check(conf, ctr, res))
        self.delete(conf, ctr, prev=res)
        self.assertClean(ctr)
        # the bridge and its gateway address stay, as with the reference
        self.assertIn("10.55.0.1/24", self.addrs(self.node, BRIDGE))

    def test_dual_stack(self):
        ctr = self.container()
        conf = self.conf(isDefaultGateway=True, ipam={
            "type": "host-local",
            "ranges": [[{"subnet": "10.56.0.0/24"}], [{"subnet": "fd56::/64"}]]})
        res = self.add(conf, ctr)
        self.assertEqual(res["ips"], [
            {"address": "10.56.0.2/24", "gateway": "10.56.0.1", "interface": 2},
            {"address": "fd56::2/64", "gateway": "fd56::1", "interface": 2}])
        self.assertEqual(res["routes"], [{"dst": "0.0.0.0/0", "gw": "10.56.0.1"},
                                         {"dst": "::/0", "gw": "fd56::1"}])
        self.assertEqual(sorted(self.addrs(ctr, "eth0")), ["10.56.0.2/24", "fd56::2/64"])
        self.assertIn("fd56::1/64", self.addrs(self.node, BRIDGE))
        # no DAD wait for the gateway either (without enabledad)
        gw = [a for a in self.node.json("ip -j addr show dev %s" % BRIDGE)[0]["addr_info"]
              if a["local"] == "fd56::1"][0]
        self.assertFalse(gw.get("tentative"), gw)
        self.assertTrue(gw.get("nodad"), gw)
        self.assertEqual(self.node.sh("cat /proc/sys/net/ipv6/conf/all/forwarding").strip(), "1")
        self.assertEqual(ctr.sh("cat /proc/sys/net/ipv6/conf/eth0/keep_addr_on_down").strip(), "1")
        routes = ctr.json("ip -j -6 route show default")
        self.assertEqual(routes[0]["gateway"], "fd56::1")
        self.ping(ctr, "10.56.0.1")
        self.ping(ctr, "fd56::1", count=3)
        self.assertOK(self.check(conf, ctr, res))
        self.delete(conf, ctr, prev=res)
        self.assertClean(ctr)

    def test_enabledad_settles_addresses(self):
        ctr = self.container()
        conf = self.conf(isGateway=True, enabledad=True, ipam={
            "type": "host-local", "ranges": [[{"subnet": "fd57::/64"}]]})
        res = self.add(conf, ctr)
        self.assertEqual(ctr.sh("cat /proc/sys/net/ipv6/conf/eth0/accept_dad").strip(), "1")
        self.assertEqual(ctr.sh("cat /proc/sys/net/ipv6/conf/eth0/enhanced_dad").strip(), "1")
        # ADD returned only once the address had left the tentative state
        a = [a for a in ctr.json("ip -j addr show dev eth0")[0]["addr_info"]
             if a["local"] == "fd57::2"][0]
        self.assertFalse(a.get("tentative"), a)
        self.delete(conf, ctr, prev=res)
        self.assertClean(ctr)

    def test_l2_mode(self):
        c1, c2 = self.container(), self.container()
        conf = self.conf(ipam=None)
        r1 = self.add(conf, c1, cid="a")
        r2 = self.add(conf, c2, cid="b")
        for r in (r1, r2):
            self.assertNotIn("ips", r)
            self.assertEqual(len(r["interfaces"]), 3)
        self.assertIn("UP", self.links(c1)["eth0"]["flags"])
        # the bridge keeps its own MAC instead of following its lowest port (pinned)
        self.assertNotEqual(r1["interfaces"][0]["mac"], r1["interfaces"][1]["mac"])
        self.assertEqual(r2["interfaces"][0]["mac"], r1["interfaces"][0]["mac"])
        c1.sh("ip addr add 192.168.77.1/24 dev eth0")
        c2.sh("ip addr add 192.168.77.2/24 dev eth0")
        self.ping(c1, "192.168.77.2")
        # CHECK works without IPAM (the reference fails "no plugin name provided")
        self.assertOK(self.check(conf, c1, r1, cid="a"))
        self.delete(conf, c1, cid="a", prev=r1)
        self.delete(conf, c2, cid="b", prev=r2)
        self.assertEqual(self.veths(), [])

    def test_failed_accept_ra_is_a_warning(self):
        """A sysctl the plugin prefers but can do without is a warning on stderr, and the
        ADD still succeeds. The write is made to fail by running the plugin in a private
        mount namespace whose /proc/sys is read-only."""
        c1, c2 = self.container(), self.container()
        conf = self.conf(ipam=None)
        quiet = self.plug("ADD", conf, c1, cid="a")
        self.assertOK(quiet)
        self.assertEqual(quiet.stderr, "")
        # accept_ra is written only when the bridge reports it on: turn it on again
        self.node.sh("sysctl -qw net.ipv6.conf.%s.accept_ra=1" % BRIDGE)
        wrapper = os.path.join(self.path, "bridge-ro-sysctl")
        with open(wrapper, "w") as f:
            f.write("#!/bin/sh\n"
                    "exec unshare -m sh -c 'mount --bind /proc/sys /proc/sys && "
                    "mount -o remount,bind,ro /proc/sys && exec \"$0\"' %s\n"
                    % cnitest.plugin_path("bridge"))
        os.chmod(wrapper, 0o755)
        res = run_plugin(wrapper, "ADD", conf, containerid="b", netns=c2.path,
                         path=self.path, in_netns=self.node.name)
        r2 = self.assertOK(res)
        host = r2["interfaces"][1]["name"]
        lines = res.stderr.splitlines()
        self.assertEqual(len(lines), 2, res.stderr)
        self.assertTrue(lines[0].startswith("bridge: could not set accept_ra to 0 on '%s': "
                                            % BRIDGE), lines)
        self.assertTrue(lines[1].startswith("bridge: could not set accept_ra to 0 on '%s': "
                                            % host), lines)
        for line in lines:
            self.assertIn("read-only file system", line.lower())
        # nothing else differs: the port is attached and up
        self.assertEqual(self.links(self.node)[host]["master"], BRIDGE)
        self.assertIn("UP", self.links(c2)["eth0"]["flags"])
        self.delete(conf, c1, cid="a", prev=quiet.json)
        self.delete(conf, c2, cid="b", prev=r2)
        self.assertEqual(self.veths(), [])

    def test_accept_ra_and_forwarding_reapplied(self):
        """Like the reference, every ADD turns accept_ra off on the bridge and forwarding on,
        also when someone turned them back since (the settings are read through netlink and
        written only when they differ)."""
        c1, c2 = self.container(), self.container()
        conf = self.conf(isGateway=True)
        r1 = self.add(conf, c1, cid="a")
        self.node.sh("sysctl -qw net.ipv6.conf.%s.accept_ra=2 net.ipv4.ip_forward=0" % BRIDGE)
        r2 = self.add(conf, c2, cid="b")
        self.assertEqual(self.node.sh("cat /proc/sys/net/ipv6/conf/%s/accept_ra" % BRIDGE).strip(), "0")
        self.assertEqual(self.node.sh("cat /proc/sys/net/ipv4/ip_forward").strip(), "1")
        self.assertEqual(self.node.sh("cat /proc/sys/net/ipv6/conf/%s/accept_ra"
                                      % r2["interfaces"][1]["name"]).strip(), "0")
        self.delete(conf, c1, cid="a", prev=r1)
        self.delete(conf, c2, cid="b", prev=r2)
        self.assertEqual(self.veths(), [])

    def test_log_has_one_line_per_step(self):
        ctr = self.container()
        log = os.path.join(self.tmpdir(), "cni.log")
        conf = self.conf(isGateway=True, ipMasq=True, logFile=log)
        res = self.add(conf, ctr)
        self.delete(conf, ctr, prev=res)
        with open(log) as f:
            lines = [l.split(" ", 5) for l in f.read().splitlines()]
        steps = [(l[1], l[2], l[5]) for l in lines if l[4] == "[info]"]
        texts = [t for _, _, t in steps]
        host = res["interfaces"][1]["name"]
        for want in ("bridge '%s' created" % BRIDGE,
                     "veth '%s' created, peer 'eth0'" % host,
                     "IPAM 'host-local' returned 1 address(es)",
                     "1 address(es) and 0 route(s) set on 'eth0'",
                     "gateway addresses set (1 IPv4, 0 IPv6)",
                     "nftables rules committed (macspoofchk off, ipMasq on)",
                     "container interface 'eth0' deleted",
                     "IPAM 'host-local' released the addresses",
                     "nftables rules of the attachment removed"):
            self.assertTrue([t for t in texts if t.startswith(want)], (want, texts))
        self.assertIn(("host-local", "ADD", "reserved 10.55.0.2 in range set 0"), steps)
        self.assertIn(("host-local", "DEL", "released 1 reservation(s) of 'eth0' in '%s'"
                       % os.path.join(self.data, self.net)), steps)

    def test_two_containers_ping_each_other_and_gateway(self):
        c1, c2 = self.container(), self.container()
        conf = self.conf(isGateway=True)
        r1 = self.add(conf, c1, cid="a")
        r2 = self.add(conf, c2, cid="b")
        ip2 = r2["ips"][0]["address"].split("/")[0]
        self.assertEqual(r1["ips"][0]["address"], "10.55.0.2/24")
        self.assertEqual(ip2, "10.55.0.3")
        self.ping(c1, ip2)
        self.ping(c2, r1["ips"][0]["address"].split("/")[0])
        self.ping(c1, "10.55.0.1")
        self.ping(c2, "10.55.0.1")
        self.delete(conf, c1, cid="a")
        self.delete(conf, c2, cid="b")
        self.assertClean()

    def test_masquerade_to_outside(self):
        outside = self.netns("bout")
        self.node.sh("ip link add up0 type veth peer name up1 && ip link set up1 netns %s"
                     % outside.name)
        self.node.sh("ip addr add 192.168.250.1/24 dev up0 && ip link set up0 up")
        outside.sh("ip addr add 192.168.250.2/24 dev up1 && ip link set up1 up")
        # count what arrives outside, by source address
        sh("nsenter --net=%s -- nft -f -" % outside.path, input="""
table inet seen {
  chain in { type filter hook input priority 0;
    ip saddr 192.168.250.1 icmp type echo-request counter
    ip saddr 10.57.0.0/24 icmp type echo-request counter
  }
}
""")
        ctr = self.container()
        conf = self.conf(isDefaultGateway=True, ipMasq=True, subnet="10.57.0.0/24")
        res = self.add(conf, ctr)
        self.ping(ctr, "192.168.250.2", count=2)
        rules = outside.json("nft -j list chain inet seen in")["nftables"]
        counters = [r["rule"]["expr"][-1]["counter"]["packets"] for r in rules if "rule" in r]
        self.assertGreaterEqual(counters[0], 2, "no masqueraded packets seen outside")
        self.assertEqual(counters[1], 0, "container address leaked outside")
        self.delete(conf, ctr, prev=res)
        self.assertClean(ctr)
        # without the rule the outside host cannot answer any more
        ctr2 = self.container()
        res2 = self.add(self.conf(isDefaultGateway=True, subnet="10.57.0.0/24"), ctr2, cid="c2")
        self.assertFalse(self.ping(ctr2, "192.168.250.2", check=False))
        self.delete(self.conf(subnet="10.57.0.0/24"), ctr2, cid="c2", prev=res2)

    def test_hairpin_and_promisc(self):
        ctr = self.container()
        conf = self.conf(hairpinMode=True)
        res = self.add(conf, ctr)
        port = [p for p in self.node.json("bridge -j -d link show")
                if p["ifname"] == res["interfaces"][1]["name"]][0]
        self.assertTrue(port["hairpin"])
        self.assertFalse(port.get("isolated", False))
        self.delete(conf, ctr)
        bad = self.plug("ADD", self.conf(hairpinMode=True, promiscMode=True), ctr)
        self.assertCNIError(bad, 7, "cannot set hairpin mode and promiscuous mode at the same time")
        ctr2 = self.container()
        conf2 = self.conf(promiscMode=True)
        res2 = self.add(conf2, ctr2, cid="p")
        self.assertIn("PROMISC", self.links(self.node)[BRIDGE]["flags"])
        # promiscMode alone also turns hairpin on for the port: a pod reaching itself
        # through a hostPort needs it under br_netfilter (test_portmap has the traffic).
        port = [p for p in self.node.json("bridge -j -d link show")
                if p["ifname"] == res2["interfaces"][1]["name"]][0]
        self.assertTrue(port["hairpin"])
        self.assertOK(self.check(conf2, ctr2, res2, cid="p"))
        self.delete(conf2, ctr2, cid="p")

    def test_mtu(self):
        ctr = self.container()
        conf = self.conf(mtu=1400)
        res = self.add(conf, ctr)
        self.assertEqual(self.links(self.node)[BRIDGE]["mtu"], 1400)
        self.assertEqual(self.links(self.node)[res["interfaces"][1]["name"]]["mtu"], 1400)
        self.assertEqual(self.links(ctr)["eth0"]["mtu"], 1400)
        self.delete(conf, ctr)

    def test_mac_sources(self):
        conf = self.conf()
        cases = [
            # (host-local, like the Go one, rejects CNI_ARGS it does not know without
            # IgnoreUnknown; the bridge itself takes a bare MAC=)
            ({"args": "IgnoreUnknown=1;MAC=0a:58:00:00:00:01"}, {}, "0a:58:00:00:00:01"),
            ({"args": "IgnoreUnknown=1;MAC=0a:58:00:00:00:01"},
             {"args": {"cni": {"mac": "0a:58:00:00:00:02"}}}, "0a:58:00:00:00:02"),
            ({"args": "IgnoreUnknown=true;MAC=0a:58:00:00:00:01"},
             {"args": {"cni": {"mac": "0a:58:00:00:00:02"}},
              "runtimeConfig": {"mac": "0A-58-00-00-00-03"}}, "0a:58:00:00:00:03"),
        ]
        for i, (kw, extra, want) in enumerate(cases):
            ctr = self.container()
            c = dict(conf, **extra)
            res = self.add(c, ctr, cid="m%d" % i, **kw)
            self.assertEqual(res["interfaces"][2]["mac"], want)
            self.assertEqual(self.links(ctr)["eth0"]["address"], want)
            self.delete(c, ctr, cid="m%d" % i, **kw)
        bad = self.plug("ADD", dict(conf, runtimeConfig={"mac": "zz:00"}), self.container())
        self.assertCNIError(bad, 7, "zz:00")
        self.assertClean()

    def test_port_isolation(self):
        c1, c2 = self.container(), self.container()
        conf = self.conf(isGateway=True, portIsolation=True)
        r1 = self.add(conf, c1, cid="a")
        r2 = self.add(conf, c2, cid="b")
        ports = {p["ifname"]: p for p in self.node.json("bridge -j -d link show")}
        self.assertTrue(ports[r1["interfaces"][1]["name"]]["isolated"])
        self.ping(c1, "10.55.0.1")
        self.assertFalse(self.ping(c1, "10.55.0.3", check=False),
                         "isolated ports reached each other")
        self.delete(conf, c1, cid="a")
        self.delete(conf, c2, cid="b")
        self.assertClean()

    def test_macspoofchk(self):
        ctr = self.container()
        conf = self.conf(isGateway=True, macspoofchk=True)
        res = self.add(conf, ctr, cid="spoof")
        host, mac = res["interfaces"][1]["name"], res["interfaces"][2]["mac"]
        table = self.node.sh("nft list table bridge nat")
        cm = 'comment "macspoofchk-spoof-eth0"'
        self.assertIn("type filter hook prerouting priority dstnat; policy accept;", table)
        self.assertIn('iifname "%s" jump cni-br-iface-spoof-eth0 %s' % (host, cm), table)
        self.assertIn("chain cni-br-iface-spoof-eth0 {\n\t\tjump cni-br-iface-spoof-eth0-mac %s"
                      % cm, table)
        self.assertIn("ether saddr %s return %s\n\t\tdrop %s" % (mac, cm, cm), table)
        self.ping(ctr, "10.55.0.1")
        ctr.sh("ip neigh flush all; ip link set eth0 address 0a:58:de:ad:be:ef")
        self.assertFalse(self.ping(ctr, "10.55.0.1", check=False), "spoofed MAC got through")
        self.assertOK(self.check(conf, ctr, dict(res, interfaces=res["interfaces"][:2] + [
            dict(res["interfaces"][2], mac="0a:58:de:ad:be:ef")]), cid="spoof"))
        self.delete(conf, ctr, cid="spoof")
        table = self.node.sh("nft list table bridge nat")
        self.assertNotIn("spoof", table)

    def test_vlan(self):
        ctr = self.container()
        conf = self.conf(vlan=100, isGateway=True)
        if cnitest.kernel_lacks("bridge vlan_filtering"):
            # The kernel lacks VLAN filtering: ADD must fail cleanly (nothing left behind).
            r = self.plug("ADD", conf, ctr)
            self.assertCNIError(r, 999, "failed to create bridge")
            self.assertClean(ctr)
            cnitest.require_kernel(self, "bridge vlan_filtering",
                                   what="live access/trunk port checks skipped")
        res = self.add(conf, ctr)
        self.assertEqual(res["interfaces"][3]["name"], "%s.100" % BRIDGE)
        vl = {e["ifname"]: e["vlans"] for e in self.node.json("bridge -j vlan show")}
        self.assertEqual(vl[res["interfaces"][1]["name"]],
                         [{"vlan": 100, "flags": ["PVID", "Egress Untagged"]}])
        self.delete(conf, ctr)
        ctr2 = self.container()
        conf2 = self.conf(ipam=None, vlanTrunk=[{"id": 5}, {"minID": 10, "maxID": 11}])
        res2 = self.add(conf2, ctr2, cid="t")
        vl = {e["ifname"]: e["vlans"] for e in self.node.json("bridge -j vlan show")}
        self.assertEqual([v["vlan"] for v in vl[res2["interfaces"][1]["name"]]], [1, 5, 10, 11])
        self.delete(conf2, ctr2, cid="t")

    def test_vlan_native_on_trunk(self):
        """vlan + vlanTrunk (reference v1.8+): a trunk port whose native VLAN is vlan."""
        ctr = self.container()
        conf = self.conf(ipam=None, vlan=100, vlanTrunk=[{"id": 5}, {"minID": 10, "maxID": 11}])
        if cnitest.kernel_lacks("bridge vlan_filtering"):
            # Accepted (no more "cannot set vlan and vlanTrunk at the same time"): the ADD
            # gets as far as the VLAN-filtering bridge, which this kernel refuses, and
            # leaves nothing. An empty trunk asks for VLAN filtering too.
            r = self.plug("ADD", conf, ctr)
            self.assertCNIError(r, 999, "failed to create bridge")
            self.assertClean(ctr)
            r = self.plug("ADD", self.conf(ipam=None, vlanTrunk=[]), ctr)
            self.assertCNIError(r, 999, "failed to create bridge")
            self.assertClean(ctr)
            cnitest.require_kernel(self, "bridge vlan_filtering",
                                   what="live native-VLAN trunk port checks skipped")
        res = self.add(conf, ctr)
        vl = {e["ifname"]: e["vlans"] for e in self.node.json("bridge -j vlan show")}
        self.assertEqual(vl[res["interfaces"][1]["name"]],
                         [{"vlan": 5}, {"vlan": 10}, {"vlan": 11},
                          {"vlan": 100, "flags": ["PVID", "Egress Untagged"]}])
        self.delete(conf, ctr)

    def test_dns_from_config_replaces_ipam(self):
        ctr = self.container()
        conf = self.conf(dns={"nameservers": ["10.55.0.53"], "search": ["example.org"]})
        res = self.add(conf, ctr)
        self.assertEqual(res["dns"], {"nameservers": ["10.55.0.53"], "search": ["example.org"]})
        self.delete(conf, ctr)

    # ---- versions ------------------------------------------------------------------------

    def test_versions(self):
        for v in ("0.2.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"):
            ctr = self.container()
            conf = self.conf(version=v, isGateway=True)
            res = self.add(conf, ctr, cid="v" + v.replace(".", ""))
            self.assertEqual(res["cniVersion"], v)
            # host-local goes round-robin: the next address each time
            self.assertEqual(self.reservations(), [self.last_ip()])
            addr = self.last_ip() + "/24"
            if v == "0.2.0":
                self.assertEqual(res["ip4"]["ip"], addr)
                self.assertEqual(res["ip4"]["gateway"], "10.55.0.1")
                self.assertNotIn("interfaces", res)
            elif v.startswith("0."):
                self.assertEqual(res["ips"][0], {"version": "4", "address": addr,
                                                 "gateway": "10.55.0.1", "interface": 2})
                self.assertEqual(res["dns"], {})
                self.assertEqual(len(res["interfaces"]), 3)
            else:
                self.assertEqual(res["ips"][0], {"address": addr,
                                                 "gateway": "10.55.0.1", "interface": 2})
                self.assertNotIn("dns", res)
            chk = self.check(conf, ctr, res, cid="v" + v.replace(".", ""))
            if v in ("0.2.0", "0.3.1"):
                self.assertCNIError(chk, 1, "config version does not allow CHECK")
            else:
                self.assertOK(chk)
            self.delete(conf, ctr, cid="v" + v.replace(".", ""))
            self.assertClean(ctr)

    def test_l2_old_version_fails_and_leaves_nothing(self):
        ctr = self.container()
        r = self.plug("ADD", self.conf(version="0.2.0", ipam=None), ctr)
        self.assertCNIError(r, 999, "cannot convert: no valid IP addresses")
        self.assertClean(ctr)

    # ---- DEL -----------------------------------------------------------------------------

    def test_del_netns_deleted(self):
        ctr = self.container()
        conf = self.conf(ipMasq=True, macspoofchk=True)
        res = self.add(conf, ctr)
        ctr.close()
        self.delete(conf, ctr, prev=res)
        self.assertClean()
        self.assertNotIn("cni-br-iface-cid1-eth0", self.node.sh("nft list ruleset"))

    def test_del_leaves_the_netns_path_unpinned(self):
        """A runtime may unmount the netns path right after DEL without MNT_DETACH: nothing
        the DEL leaves running (the veth removal's wait, the close of its netfilter sockets)
        holds a file of that mount."""
        ctr = self.container()
        conf = self.conf(ipMasq=True)
        res = self.add(conf, ctr)
        self.delete(conf, ctr, prev=res)
        r = subprocess.run(["umount", ctr.path], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, "plain umount after DEL: %s" % r.stderr)
        os.unlink(ctr.path)
        self.assertClean()

    def test_del_netns_path_not_a_namespace(self):
        ctr = self.container()
        conf = self.conf(ipMasq=True, macspoofchk=True)
        res = self.add(conf, ctr)
        # keep the namespace alive while its bind mount is replaced by a plain file
        keeper = subprocess.Popen(["nsenter", "--net=" + ctr.path, "sleep", "60"])
        self.addCleanup(lambda: (keeper.kill(), keeper.wait()))
        ino = os.stat(ctr.path).st_ino
        cnitest.wait_for(lambda: os.stat("/proc/%d/ns/net" % keeper.pid).st_ino == ino,
                         "the keeper process in the namespace")
        sh("umount %s && rm -f %s && touch %s" % (ctr.path, ctr.path, ctr.path))
        self.delete(conf, ctr, prev=res)
        # the host veth named in prevResult was removed with its peer, rules and IP too
        self.assertClean()
        self.assertNotIn("cni-br-iface-cid1-eth0", self.node.sh("nft list ruleset"))
        sh("rm -f %s" % ctr.path)

    def test_del_twice_without_add_and_empty_netns(self):
        ctr = self.container()
        conf = self.conf(ipMasq=True)
        res = self.add(conf, ctr)
        self.delete(conf, ctr, prev=res)
        self.delete(conf, ctr, prev=res)
        self.delete(conf, ctr)
        self.delete(conf, ctr, prev={})
        self.delete(conf, ctr, prev={"cniVersion": "0.4.0", "ips": "garbage"})
        self.delete(conf, None, cid="never-added")
        self.delete(conf, ctr, cid="never-added-2", netns="/run/netns/does-not-exist")
        self.assertClean(ctr)
        # empty CNI_NETNS still releases the IP and the masquerade rule
        res = self.add(conf, ctr, cid="e")
        self.assertEqual(len(self.masq_comments()), 1)
        self.delete(conf, None, cid="e", prev=res)
        self.assertEqual(self.reservations(), [])
        self.assertEqual(self.masq_comments(), [])
        # (the veth dies with the namespace the runtime removes)
        ctr.close()
        self.wait_until(lambda: self.veths() == [], "the veth gone with its namespace")

    def test_go_format_masq_rule_removed_and_layout(self):
        ctr = self.container()
        conf = self.conf(ipMasq=True)
        # What the Go plugin's nftables backend leaves for another container of this network
        go_comment = masq_comment(self.net, "eth0", "gocontainer")
        sh("nsenter --net=%s -- nft -f -" % self.node.path, input="""
add table inet cni_plugins_masquerade { comment "Masquerading for plugins from github.com/containernetworking/plugins" ; }
add chain inet cni_plugins_masquerade masq_checks { comment "Masquerade traffic from certain IPs to any (non-multicast) IP outside their subnet" ; }
add chain inet cni_plugins_masquerade postrouting { type nat hook postrouting priority 100 ; }
flush chain inet cni_plugins_masquerade postrouting
add rule inet cni_plugins_masquerade postrouting ip daddr == 224.0.0.0/4  return
add rule inet cni_plugins_masquerade postrouting ip6 daddr == ff00::/8  return
add rule inet cni_plugins_masquerade postrouting goto masq_checks
add rule inet cni_plugins_masquerade masq_checks ip saddr == 10.55.0.200 ip daddr != 10.55.0.0/24 masquerade comment "%s"
""" % go_comment)
        res = self.add(conf, ctr)
        golden = """table inet cni_plugins_masquerade {
	comment "Masquerading for plugins from github.com/containernetworking/plugins"
	chain masq_checks {
		comment "Masquerade traffic from certain IPs to any (non-multicast) IP outside their subnet"
		ip saddr 10.55.0.200 ip daddr != 10.55.0.0/24 masquerade comment "%s"
		ip saddr 10.55.0.2 ip daddr != 10.55.0.0/24 masquerade comment "%s"
	}

	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		ip daddr 224.0.0.0/4 return
		ip6 daddr ff00::/8 return
		goto masq_checks
	}
}
""" % (go_comment, masq_comment(self.net, "eth0", "cid1"))
        self.assertEqual(self.node.sh("nft list table inet cni_plugins_masquerade"), golden)
        # our DEL of the Go plugin's container removes its rule
        self.delete(dict(conf, ipam=None), None, cid="gocontainer")
        self.assertEqual(self.masq_comments(), [masq_comment(self.net, "eth0", "cid1")])
        self.delete(conf, ctr, prev=res)
        self.assertEqual(self.masq_comments(), [])

    def test_del_rules_gone_at_return_and_no_process_left(self):
        """DEL's commit has had its ACKs when DEL returns: the masquerade rule is gone then,
        though the kernel's release of it (which a netfilter socket's close waits for) is
        left to a child. Every process DEL leaves behind for such waits (the veth's removal,
        the sockets' release) ends by itself: waited for as their subreaper, not timed."""
        conf = self.conf(ipMasq=True)
        ctr = self.container()
        res = self.add(conf, ctr)
        self.assertEqual(self.masq_comments(), [masq_comment(self.net, "eth0", "cid1")])
        self.delete(conf, ctr, prev=res)
        self.assertEqual(self.masq_comments(), [])
        res = self.add(conf, ctr, cid="cid2")
        r, left = cnitest.run_plugin_reaped("bridge", "DEL", dict(conf, prevResult=res),
                                            containerid="cid2", netns=ctr.path,
                                            path=self.path, in_netns=self.node.name)
        self.assertOK(r)
        self.assertEqual(left, [0] * len(left))
        self.assertEqual(self.masq_comments(), [])
        self.assertEqual(self.veths(), [])
        self.assertEqual(self.reservations(), [])

    # ---- CHECK ---------------------------------------------------------------------------

    def test_check_detects_missing_pieces(self):
        ctr = self.container()
        conf = self.conf(isDefaultGateway=True)
        res = self.add(conf, ctr)
        self.assertOK(self.check(conf, ctr, res))
        r = self.plug("CHECK", conf, ctr)
        self.assertCNIError(r, 999, "Required prevResult missing")
        ctr.sh("ip route del default")
        self.assertCNIError(self.check(conf, ctr, res), 999,
                            "Expected Route {Dst:{IP:0.0.0.0 Mask:00000000} GW:10.55.0.1 MTU:0 "
                            "AdvMSS:0 Priority:0 Table:<nil> Scope:<nil>} not found in routing table")
        ctr.sh("ip route add default via 10.55.0.1")
        self.assertOK(self.check(conf, ctr, res))
        ctr.sh("ip addr del 10.55.0.2/24 dev eth0")
        self.assertCNIError(self.check(conf, ctr, res), 999,
                            "Failed to match addr 10.55.0.2/24 on interface eth0")
        ctr.sh("ip addr add 10.55.0.2/24 dev eth0")
        ctr.sh("ip route add default via 10.55.0.1")
        self.assertOK(self.check(conf, ctr, res))
        self.node.sh("ip link set %s nomaster" % res["interfaces"][1]["name"])
        self.assertCNIError(self.check(conf, ctr, res), 999,
                            "CNI veth created for bridge %s was not found" % BRIDGE)
        self.node.sh("ip link del %s" % res["interfaces"][1]["name"])
        self.assertCNIError(self.check(conf, ctr, res), 999, "Interface name eth0 not found")
        other = dict(res, interfaces=[res["interfaces"][0], res["interfaces"][1],
                                      dict(res["interfaces"][2], sandbox="/run/netns/other")])
        self.assertCNIError(self.check(conf, ctr, other), 999,
                            "Sandbox in prevResult  doesn't match configured netns: %s" % ctr.path)
        self.delete(conf, ctr, prev=res)
        self.assertClean(ctr)

    def test_check_after_ports_join_a_bridge_not_created_here(self):
        """A bridge the plugin did not create (made beforehand, with or without a MAC of
        its own, or by the reference) follows its lowest port MAC until something pins it:
        the first ADD pins it, so CHECK of every attachment still passes after another
        port with a lower MAC joined."""
        for case in ("made beforehand", "made beforehand, MAC all-zero", "reference"):
            with self.subTest(case):
                # A node of its own per case, so that one failing leaves the next alone.
                self.node, self.data = self.netns("bnode"), self.tmpdir()
                ipam_conf, l2 = self.conf(), self.conf(ipam=None)
                atts = []
                if case == "reference":
                    if not os.path.exists(os.path.join(cnitest.REFERENCE_BIN, "bridge")):
                        self.skipTest("the reference bridge plugin is not installed")
                    # The reference pins nothing without a gateway address on the bridge.
                    ctr = self.container()
                    r = cnitest.run_reference("bridge", "ADD", ipam_conf, "go", ctr.path,
                                              self.node.name)
                    self.assertOK(r)
                    atts.append((ipam_conf, ctr, r.json, "go"))
                else:
                    self.node.sh("ip link add %s type bridge && ip link set %s up" %
                                 (BRIDGE, BRIDGE))
                    if case.endswith("all-zero"):
                        # The kernel leaves a bridge whose last port left this MAC.
                        self.join_low_port()
                        self.node.sh("ip link del cnilow0")
                        self.assertEqual(self.bridge_mac(), "00:00:00:00:00:00")
                for conf, cid in ((ipam_conf, "a"), (l2, "b")):
                    ctr = self.container()
                    atts.append((conf, ctr, self.add(conf, ctr, cid=cid), cid))
                self.join_low_port()
                for conf, ctr, res, cid in atts:
                    self.assertOK(self.check(conf, ctr, res, cid=cid))
                    if case == "reference" and conf is ipam_conf:
                        # The reference's own CHECK passes too.
                        self.assertOK(cnitest.run_reference(
                            "bridge", "CHECK", dict(ipam_conf, prevResult=res), cid,
                            ctr.path, self.node.name))
                # One MAC, from the first ADD on.
                self.assertEqual({res["interfaces"][0]["mac"] for _, _, res, _ in atts},
                                 {self.bridge_mac()})
                for conf, ctr, res, cid in atts:
                    self.delete(conf, ctr, cid=cid, prev=res)

    def test_add_to_a_pinned_bridge_keeps_its_neighbours(self):
        """Pinning a bridge's MAC clears its neighbour entries (the kernel's reaction to a
        MAC set, even to the same MAC): an ADD that finds the bridge pinned already (sysfs
        says so where it shows the node's namespace, as `ip netns exec` mounts it) sets
        nothing, so an L2 network does not disturb the addresses the node has there."""
        wrapper = os.path.join(self.tmpdir(), "bridge")
        with open(wrapper, "w") as f:
            f.write("#!/bin/sh\nexec ip netns exec %s %s\n"
                    % (self.node.name, cnitest.plugin_path("bridge")))
        os.chmod(wrapper, 0o755)
        conf = self.conf(ipam=None)
        atts = []
        for cid in ("a", "b"):
            ctr = self.container()
            r = run_plugin(wrapper, "ADD", conf, containerid=cid, netns=ctr.path,
                           path=self.path)
            atts.append((ctr, self.assertOK(r), cid))
            if cid == "a":
                self.node.sh("ip addr add 192.0.2.1/24 dev %s && ip neigh add 192.0.2.9 "
                             "lladdr 02:00:00:00:00:09 dev %s nud permanent" % (BRIDGE, BRIDGE))
        self.assertEqual(self.node.sh("ip neigh show dev %s" % BRIDGE).split(),
                         ["192.0.2.9", "lladdr", "02:00:00:00:00:09", "PERMANENT"])
        self.assertEqual(sh("ip netns exec %s cat /sys/class/net/%s/addr_assign_type"
                            % (self.node.name, BRIDGE)).strip(), "3")
        for ctr, res, cid in atts:
            self.assertOK(self.check(conf, ctr, res, cid=cid))
            self.delete(conf, ctr, cid=cid, prev=res)

    # ---- bad input -----------------------------------------------------------------------

    def test_bad_inputs(self):
        ctr = self.container()
        cases = [
            ({"vlan": 5000}, 7, "invalid VLAN ID 5000 (must be between 0 and 4094)"),
            ({"vlan": -1}, 7, "invalid VLAN ID -1 (must be between 0 and 4094)"),
            ({"vlanTrunk": [{"minID": 0, "maxID": 5}]}, 7, "incorrect trunk minID parameter"),
            ({"vlanTrunk": [{"minID": 1, "maxID": 5000}]}, 7, "incorrect trunk maxID parameter"),
            ({"vlanTrunk": [{"minID": 9, "maxID": 5}]}, 7,
             "minID is greater than maxID in trunk parameter"),
            ({"vlanTrunk": [{"maxID": 5}]}, 7,
             "minID and maxID should be configured simultaneously, minID is missing"),
            ({"vlanTrunk": [{"minID": 5}]}, 7,
             "minID and maxID should be configured simultaneously, maxID is missing"),
            ({"vlanTrunk": [{"id": 4095}]}, 7, "incorrect trunk id parameter"),
            ({"hairpinMode": True, "promiscMode": True}, 7,
             "cannot set hairpin mode and promiscuous mode at the same time"),
            ({"disableContainerInterface": True}, 7,
             "cannot use IPAM when DisableContainerInterface flag is set"),
            ({"ipMasqBackend": "pf"}, 7, 'unknown ipmasq backend "pf"'),
            ({"isGateway": "true"}, 7, "isGateway"),
            ({"mtu": "1500"}, 7, "mtu"),
            ({"args": {"cni": {"mac": "not-a-mac"}}}, 7, "not-a-mac"),
            # names the kernel refuses are config errors, not netlink ones (code 999)
            ({"bridge": "a:b"}, 7, "bridge name 'a:b' is not a valid interface name: it "
             "contains '/', ':' or whitespace"),
            ({"bridge": "."}, 7, "bridge name '.' is not a valid interface name: it is . or .."),
            ({"bridge": "br 0"}, 7, "bridge name 'br 0' is not a valid interface name"),
            ({"bridge": "a-16-byte-name01"}, 7, "is longer than 15 bytes"),
        ]
        for extra, code, msg in cases:
            r = self.plug("ADD", self.conf(**extra), ctr)
            self.assertCNIError(r, code, msg)
        r = self.plug("ADD", self.conf(), ctr, args="FOO=bar")
        self.assertCNIError(r, 999, "ARGS: unknown args")
        r = self.plug("ADD", "{not json", ctr)
        self.assertNotEqual(r.rc, 0)
        # ipMasqBackend iptables without ipMasq is accepted (nothing to install)
        self.add(self.conf(ipMasqBackend="iptables"), ctr, cid="ok")
        self.delete(self.conf(), ctr, cid="ok")
        # an existing non-bridge link with the bridge's name
        self.node.sh("ip link add notbr type veth peer name notbr1")
        r = self.plug("ADD", self.conf(bridge="notbr"), ctr)
        self.assertCNIError(r, 999, '"notbr" already exists but is not a bridge')
        self.assertNotIn("PROMISC", self.links(self.node)["notbr"]["flags"])
        # the container name is taken
        ctr.sh("ip link add eth0 type veth peer name eth0p")
        r = self.plug("ADD", self.conf(), ctr)
        self.assertCNIError(r, 999, 'container veth name ("eth0") peer provided')
        self.assertClean()

    # ---- ADD failing halfway ---------------------------------------------------------------

    def test_add_fails_halfway_leaves_nothing(self):
        conf = self.conf(isGateway=True, ipMasq=True, ipam={
            "type": "host-local", "ranges": [[{"subnet": "10.58.0.0/30"}]]})
        c1, c2 = self.container(), self.container()
        res = self.add(conf, c1, cid="first")
        self.assertEqual(res["ips"][0]["address"], "10.58.0.2/30")
        r = self.plug("ADD", conf, c2, cid="second")
        self.assertNotEqual(r.rc, 0)
        self.assertIn("no IP addresses available", r.json["msg"])
        self.assertEqual(len(self.veths()), 1)
        self.assertEqual(self.reservations(), ["10.58.0.2"])
        self.assertNotIn("eth0", self.links(c2))
        self.delete(conf, c1, cid="first")
        self.assertClean()

    def test_gateway_conflict_and_force_address(self):
        self.node.sh("ip link add %s type bridge && ip addr add 10.59.0.99/24 dev %s"
                     % (BRIDGE, BRIDGE))
        ctr = self.container()
        conf = self.conf(isGateway=True, ipMasq=True, subnet="10.59.0.0/24")
        r = self.plug("ADD", conf, ctr)
        self.assertCNIError(r, 999, 'failed to set bridge addr: "%s" already has an IP address '
                            'different from 10.59.0.1/24' % BRIDGE)
        self.assertClean(ctr)
        conf["forceAddress"] = True
        res = self.add(conf, ctr)
        self.assertEqual(self.addrs(self.node, BRIDGE), ["10.59.0.1/24"])
        self.delete(conf, ctr, prev=res)
        self.assertClean(ctr)

    def test_failure_after_ipam_rolls_back(self):
        # isDefaultGateway + an IPAM default route without gw: the route is added twice
        # and fails (reference quirk); everything must be undone.
        ctr = self.container()
        conf = self.conf(isDefaultGateway=True, ipMasq=True, macspoofchk=True, ipam={
            "type": "host-local", "subnet": "10.60.0.0/24", "routes": [{"dst": "0.0.0.0/0"}]})
        r = self.plug("ADD", conf, ctr)
        self.assertCNIError(r, 999, "failed to add route")
        self.assertClean(ctr)
        self.assertNotIn("cni-br-iface", self.node.sh("nft list ruleset"))

    # ---- STATUS / GC -----------------------------------------------------------------------

    def test_status_and_gc(self):
        conf = self.conf(version="1.1.0", ipMasq=True, macspoofchk=True)
        self.assertOK(self.plug("STATUS", conf, None, unset=("CNI_CONTAINERID", "CNI_NETNS",
                                                            "CNI_IFNAME")))
        self.assertOK(self.plug("STATUS", self.conf(version="1.1.0", ipam=None), None))
        c1, c2 = self.container(), self.container()
        r1 = self.add(conf, c1, cid="keep")
        r2 = self.add(conf, c2, cid="stale")
        # a rule of another network must survive our GC
        other = masq_comment("othernet", "eth0", "x")
        sh("nsenter --net=%s -- nft -f -" % self.node.path, input=(
            'add rule inet cni_plugins_masquerade masq_checks ip saddr 10.99.0.9 '
            'ip daddr != 10.99.0.0/24 masquerade comment "%s"\n' % other))
        c2.close()  # the stale container is gone without a DEL
        gc = dict(conf, **{"cni.dev/valid-attachments": [{"containerID": "keep", "ifname": "eth0"}]})
        self.assertOK(self.plug("GC", gc, None, unset=("CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME")))
        self.assertEqual(sorted(self.masq_comments()),
                         sorted([masq_comment(self.net, "eth0", "keep"), other]))
        ruleset = self.node.sh("nft list table bridge nat")
        self.assertIn("cni-br-iface-keep-eth0", ruleset)
        self.assertNotIn("cni-br-iface-stale-eth0", ruleset)
        if ipam_plugin() == cnitest.plugin_path("host-local"):
            self.assertEqual(self.reservations(), [r1["ips"][0]["address"].split("/")[0]])
        self.delete(conf, c1, cid="keep")
        self.assertEqual(self.masq_comments(), [other])

    def test_long_container_ids(self):
        """IDs of 300 and 5,000 characters: ADD, CHECK, DEL (twice) and GC, with and
        without macspoofchk, leave nothing; names of 116 bytes stay the reference's."""
        ctr = self.container()
        for n in (116 - len("-eth0"), 300, 5000):
            cid = ("L%d-" % n + uuid.uuid4().hex * 160)[:n]
            sid = cnitest.spoofchk_id(cid)
            if n > 111:
                self.assertLess(len("cni-br-iface-%s-mac" % sid), 100)
            else:
                self.assertEqual(sid, cid + "-eth0")
            for spoof in (True, False):
                with self.subTest(length=n, macspoofchk=spoof):
                    conf = self.conf(isGateway=True, ipMasq=True, macspoofchk=spoof)
                    res = self.add(conf, ctr, cid=cid)
                    self.assertEqual(self.masq_comments(),
                                     [masq_comment(self.net, "eth0", cid)])
                    table = self.node.sh("nft list ruleset")
                    if spoof:
                        cm = 'comment "macspoofchk-%s"' % sid
                        self.assertIn("jump cni-br-iface-%s %s" % (sid, cm), table)
                        self.assertIn("chain cni-br-iface-%s-mac {" % sid, table)
                    else:
                        self.assertNotIn("cni-br-iface", table)
                    self.assertOK(self.check(conf, ctr, res, cid=cid))
                    self.delete(conf, ctr, cid=cid)
                    self.assertClean(ctr)
                    self.assertNotIn("cni-br-iface", self.node.sh("nft list ruleset"))
                    self.delete(conf, ctr, cid=cid)
            with self.subTest(length=n, verb="GC"):
                conf = self.conf(version="1.1.0", isGateway=True, ipMasq=True,
                                 macspoofchk=True)
                self.add(conf, ctr, cid=cid)
                gc = dict(conf, **{"cni.dev/valid-attachments": [
                    {"containerID": cid, "ifname": "eth0"}]})
                unset = ("CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME")
                self.assertOK(self.plug("GC", gc, None, unset=unset))
                self.assertEqual(self.masq_comments(), [masq_comment(self.net, "eth0", cid)])
                self.assertIn("cni-br-iface-%s-mac" % sid, self.node.sh("nft list ruleset"))
                gc["cni.dev/valid-attachments"] = []
                self.assertOK(self.plug("GC", gc, None, unset=unset))
                self.assertEqual(self.masq_comments(), [])
                self.assertNotIn("cni-br-iface", self.node.sh("nft list ruleset"))
                self.delete(conf, ctr, cid=cid)
                self.assertClean(ctr)

    def test_concurrent_adds(self):
        import concurrent.futures
        conf = self.conf(isGateway=True, ipMasq=True, macspoofchk=True)
        ctrs = [self.container() for _ in range(4)]
        with concurrent.futures.ThreadPoolExecutor(4) as ex:
            results = list(ex.map(lambda i: self.plug("ADD", conf, ctrs[i], cid="cc%d" % i),
                                  range(4)))
        for r in results:
            self.assertOK(r)
        ips = sorted(r.json["ips"][0]["address"] for r in results)
        self.assertEqual(len(set(ips)), 4)
        self.assertEqual(sorted(self.masq_comments()),
                         sorted(masq_comment(self.net, "eth0", "cc%d" % i) for i in range(4)))
        self.assertEqual(len(self.veths()), 4)
        with concurrent.futures.ThreadPoolExecutor(4) as ex:
            results = list(ex.map(lambda i: self.plug("DEL", conf, ctrs[i], cid="cc%d" % i),
                                  range(4)))
        for r in results:
            self.assertOK(r)
        self.assertClean()
        self.assertNotIn("cni-br-iface", self.node.sh("nft list ruleset"))

    # ---- timing ----------------------------------------------------------------------------

    def test_timing_add_del_cycle(self):
        conf = self.conf(isGateway=True, ipMasq=True)
        ctr = self.container()
        adds, dels = [], []
        for i in range(10):
            t0 = time.perf_counter()
            self.add(conf, ctr, cid="t%d" % i)
            t1 = time.perf_counter()
            self.delete(conf, ctr, cid="t%d" % i)
            t2 = time.perf_counter()
            adds.append((t1 - t0) * 1000)
            dels.append((t2 - t1) * 1000)
        adds.sort()
        dels.sort()
        print("\n  bridge L3+ipMasq ADD median %.1f ms (min %.1f), DEL median %.1f ms (min %.1f)"
              % (adds[5], adds[0], dels[5], dels[0]))
        self.assertClean(ctr)


if __name__ == "__main__":
    unittest.main()
