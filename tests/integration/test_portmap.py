# SPDX-License-Identifier: Apache-2.0
"""portmap: rules, real traffic, DEL/CHECK/GC robustness, conntrack, atomicity.

Every test builds its own namespaces:
  node       stands in for the host: bridge br0 (10.99.0.1/24, fd99::1/64) with the
             containers' veths (hairpin on), and "vout" (192.168.50.1/24 + .3/24,
             fd98::1/64) towards the outside namespace; forwarding on.
  cN         containers: eth0 10.99.0.N/24 + fd99::N/64, default routes via the bridge.
  outside    a client: eth0 192.168.50.2/24, fd98::2/64.
The plugin runs inside the node namespace; nothing touches the host's own state.
"""
import json
import os
import re
import sys
import time
import unittest

import cnitest
from cnitest import CNITestCase, run_plugin, sh, plugin_path

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "golden")
TOOLS = ("nft", "socat", "conntrack", "ip", "nsenter")


def conf(mappings=None, prev=True, version="1.0.0", **kw):
    c = {"cniVersion": version, "name": "pmnet", "type": "portmap", "backend": "nftables"}
    c.update(kw)
    if mappings is not None:
        c["runtimeConfig"] = {"portMappings": mappings}
    if prev is True:
        prev = prev_result(2)
    if prev:
        c["prevResult"] = prev
    return c


def prev_result(n, v4=True, v6=True, netns="/run/netns/c"):
    ips = []
    if v4:
        ips.append(("10.99.0.%d/24" % n, "10.99.0.1"))
    if v6:
        ips.append(("fd99::%d/64" % n, "fd99::1"))
    return cnitest.prev_result(ips, sandbox=netns)


TCP_UDP = [{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"},
           {"hostPort": 5353, "containerPort": 53, "protocol": "udp"}]


def strip_handles(text):
    return "\n".join(re.sub(r"\s*# handle \d+$", "", l) for l in text.splitlines()) + "\n"


class PortmapBase(CNITestCase):
    needs_netns = True

    def setUp(self):
        super().setUp()
        cnitest.require(self, plugins=("portmap",), tools=TOOLS)
        self.node = self.netns("pmnode")
        n = self.node
        n.sh("sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1")
        n.sh("ip link add br0 type bridge && ip link set br0 up")
        n.sh("ip addr add 10.99.0.1/24 dev br0 && ip addr add fd99::1/64 dev br0 nodad")
        self.containers = {}

    # ---- topology -----------------------------------------------------------
    def add_container(self, idx):
        c = self.netns("pmc%d" % idx)
        host_if = "vc%d" % idx
        self.node.sh("ip link add %s type veth peer name eth0 netns %s" % (host_if, c.name))
        self.node.sh("ip link set %s master br0 && ip link set %s up && "
                     "bridge link set dev %s hairpin on" % (host_if, host_if, host_if))
        c.sh("ip addr add 10.99.0.%d/24 dev eth0 && ip addr add fd99::%d/64 dev eth0 nodad && "
             "ip link set eth0 up && ip route add default via 10.99.0.1 && "
             "ip -6 route add default via fd99::1" % (idx, idx))
        self.containers[idx] = c
        return c

    def add_outside(self):
        o = self.netns("pmout")
        self.node.sh("ip link add vout type veth peer name eth0 netns %s" % o.name)
        self.node.sh("ip addr add 192.168.50.1/24 dev vout && ip addr add 192.168.50.3/24 dev vout"
                     " && ip addr add fd98::1/64 dev vout nodad && ip link set vout up")
        o.sh("ip addr add 192.168.50.2/24 dev eth0 && ip addr add fd98::2/64 dev eth0 nodad && "
             "ip link set eth0 up")
        self.outside = o
        return o

    def serve(self, ns, spec, reply):
        """Start socat `spec` answering `reply` in namespace ns; killed at cleanup."""
        return cnitest.socat_serve(self, ns, spec, reply)

    def serve_all(self, c, name):
        self.serve(c, "TCP4-LISTEN:80,fork,reuseaddr", "tcp4-" + name)
        self.serve(c, "TCP6-LISTEN:80,fork,reuseaddr,ipv6only=1", "tcp6-" + name)
        self.serve(c, "UDP4-RECVFROM:53,fork,reuseaddr", "udp4-" + name)
        self.serve(c, "TCP4-LISTEN:81,fork,reuseaddr", "tcp81-" + name)

    def client(self, ns, target):
        """Connect from ns to target ("TCP4:ip:port" style); returns the reply or ''."""
        return cnitest.socat_request(ns, target)

    # ---- plugin -------------------------------------------------------------
    def pm(self, command, c, cid="cid2", netns="/run/netns/c"):
        return run_plugin("portmap", command, c, containerid=cid, netns=netns,
                          in_netns=self.node.name)

    def add_ok(self, c, cid="cid2"):
        res = self.pm("ADD", c, cid)
        self.assertOK(res)
        return res

    def table(self, family="ip"):
        return strip_handles(self.node.sh("nft list table %s cni_hostport" % family,
                                          check=False))

    def ruleset(self):
        return self.node.sh("nft list ruleset")

    def rules_with(self, cid):
        return [l for l in self.ruleset().splitlines() if 'comment "%s"' % cid in l]


class TestPortmapRules(PortmapBase):
    """Ruleset shape: golden dumps, the reference layout, DEL/CHECK/GC semantics."""

    def golden(self, name, text):
        path = os.path.join(GOLDEN, name)
        if os.environ.get("UPDATE_GOLDEN"):
            os.makedirs(GOLDEN, exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
        with open(path) as f:
            self.assertEqual(text, f.read(), "differs from golden %s" % name)

    def test_add_golden_and_result(self):
        maps = TCP_UDP + [{"hostPort": 8443, "containerPort": 443, "protocol": "SCTP",
                           "hostIP": "192.168.50.1"},
                          {"hostPort": 9000, "containerPort": 9000, "protocol": "tcp",
                           "hostIP": "fd98::1"}]
        c = conf(maps, conditionsV4=["ip saddr != 10.0.0.0/8", 'iifname != "lo"'],
                 conditionsV6=["mark 0x10"])
        res = self.add_ok(c)
        # prevResult printed unchanged, in the config's version.
        self.assertEqual(res.json["ips"], c["prevResult"]["ips"])
        self.assertEqual(res.json["cniVersion"], "1.0.0")
        self.golden("portmap_add_ipv4.txt", self.table("ip"))
        self.golden("portmap_add_ipv6.txt", self.table("ip6"))
        self.assertOK(self.pm("CHECK", c))

    def test_layout_matches_reference_nft_text(self):
        """The rules the Go plugin sends (as nft text) list exactly like ours."""
        c = conf(TCP_UDP + [{"hostPort": 8081, "containerPort": 81, "protocol": "tcp",
                             "hostIP": "192.168.50.1"}])
        self.add_ok(c)
        ref = self.netns("pmref")
        script = """
add table ip cni_hostport { comment "CNI portmap plugin" ; }
add chain ip cni_hostport hostports
add chain ip cni_hostport hostip_hostports
add chain ip cni_hostport hostports_all
flush chain ip cni_hostport hostports_all
add rule ip cni_hostport hostports_all jump hostip_hostports
add rule ip cni_hostport hostports_all jump hostports
add chain ip cni_hostport prerouting { type nat hook prerouting priority dstnat ; }
flush chain ip cni_hostport prerouting
add rule ip cni_hostport prerouting fib daddr type local jump hostports_all
add chain ip cni_hostport output { type nat hook output priority -100 ; }
flush chain ip cni_hostport output
add rule ip cni_hostport output fib daddr type local jump hostports_all
add chain ip cni_hostport masquerading { type nat hook postrouting priority srcnat ; }
add rule ip cni_hostport hostports tcp dport 8080 dnat to 10.99.0.2:80 comment "cid2"
add rule ip cni_hostport hostports udp dport 5353 dnat to 10.99.0.2:53 comment "cid2"
add rule ip cni_hostport hostports ip daddr 192.168.50.1 tcp dport 8081 dnat to 10.99.0.2:81 comment "cid2"
add rule ip cni_hostport masquerading ip saddr 10.99.0.2 ip daddr 10.99.0.2 masquerade comment "cid2"
add rule ip cni_hostport masquerading ip saddr 127.0.0.1 ip daddr 10.99.0.2 masquerade comment "cid2"
"""
        sh("nsenter --net=/run/netns/%s -- nft -f -" % ref.name, input=script)
        want = strip_handles(ref.sh("nft list table ip cni_hostport"))
        self.assertEqual(self.table("ip"), want)
        # And at the netlink level (expressions, registers, lengths).
        dbg = "nft --debug=netlink list table ip cni_hostport"
        self.assertEqual(self.node.sh(dbg), ref.sh(dbg))

    def test_second_add_replaces_rules(self):
        self.add_ok(conf(TCP_UDP))
        self.add_ok(conf([{"hostPort": 7070, "containerPort": 70, "protocol": "tcp"}]))
        rules = self.rules_with("cid2")
        self.assertEqual(len([r for r in rules if "dnat" in r]), 2, rules)  # v4 + v6
        self.assertTrue(all("7070" in r for r in rules if "dnat" in r), rules)

    def test_del_removes_only_this_container(self):
        self.add_ok(conf(TCP_UDP), "cid2")
        self.add_ok(conf([{"hostPort": 9090, "containerPort": 90, "protocol": "tcp"}],
                         prev=prev_result(3)), "cid3")
        self.assertOK(self.pm("DEL", conf(TCP_UDP), "cid2"))
        self.assertEqual(self.rules_with("cid2"), [])
        self.assertEqual(len(self.rules_with("cid3")), 5)  # 2 dnat, 2+1 masq
        for fam in ("ip", "ip6"):
            t = self.table(fam)
            for chain in ("hostports", "hostip_hostports", "hostports_all", "prerouting",
                          "output", "masquerading"):
                self.assertIn("chain %s {" % chain, t)
            self.assertIn("jump hostports_all", t)
        self.assertOK(self.pm("CHECK", conf([{"hostPort": 9090, "containerPort": 90,
                                               "protocol": "tcp"}], prev=prev_result(3)),
                              "cid3"))

    def test_del_rules_gone_at_return_and_no_process_left(self):
        """The rules are gone when DEL returns (its commit had its ACKs; the kernel's
        release of them is left to a child), and the processes DEL leaves behind for that
        release (the nftables and the conntrack sockets) end by themselves: waited for as
        their subreaper, not timed."""
        self.add_ok(conf(TCP_UDP))
        self.assertNotEqual(self.rules_with("cid2"), [])
        self.assertOK(self.pm("DEL", conf(TCP_UDP)))
        self.assertEqual(self.rules_with("cid2"), [])
        self.add_ok(conf(TCP_UDP), "cid3")
        r, left = cnitest.run_plugin_reaped("portmap", "DEL", conf(TCP_UDP), containerid="cid3",
                                            netns="/run/netns/c", in_netns=self.node.name)
        self.assertOK(r)
        self.assertEqual(left, [0] * len(left))
        self.assertEqual(self.rules_with("cid3"), [])

    def test_del_without_mappings_twice_and_without_add(self):
        self.add_ok(conf(TCP_UDP))
        before_other = self.ruleset()
        # DEL without portMappings and without prevResult still removes everything.
        self.assertOK(self.pm("DEL", conf(None, prev=None)))
        self.assertEqual(self.rules_with("cid2"), [])
        self.assertOK(self.pm("DEL", conf(None, prev=None)))
        self.assertOK(self.pm("DEL", conf(TCP_UDP), "never-added"))
        self.assertIn("chain hostports", self.ruleset())
        self.assertNotEqual(before_other, "")

    def test_del_on_empty_node(self):
        self.assertOK(self.pm("DEL", conf(TCP_UDP)))
        self.assertOK(self.pm("DEL", conf(None, prev=None)))
        self.assertEqual(self.ruleset().strip(), "")

    def test_del_with_iptables_config_cleans(self):
        self.add_ok(conf(TCP_UDP))
        c = conf(TCP_UDP, backend="iptables", externalSetMarkChain="KUBE-MARK-MASQ")
        del c["backend"]
        self.assertOK(self.pm("DEL", c))
        self.assertEqual(self.rules_with("cid2"), [])

    def test_del_with_bad_config_still_cleans(self):
        self.add_ok(conf(TCP_UDP))
        bad = conf([{"hostPort": 0, "containerPort": 80, "protocol": "icmp"}], prev={"x": 1},
                   conditionsV4=["bogus"])
        self.assertOK(self.pm("DEL", bad))
        self.assertEqual(self.rules_with("cid2"), [])

    def test_check_after_manual_delete(self):
        c = conf(TCP_UDP)
        self.add_ok(c)
        self.assertOK(self.pm("CHECK", c))
        listing = self.node.sh("nft -a list chain ip cni_hostport hostports")
        handle = re.search(r'udp dport 5353 .*# handle (\d+)', listing).group(1)
        self.node.sh("nft delete rule ip cni_hostport hostports handle %s" % handle)
        res = self.pm("CHECK", c)
        self.assertCNIError(res, 999, 'missing hostport rules in "hostports" chain')
        self.assertIn("udp dport 5353 dnat to 10.99.0.2:53", res.json["msg"])
        # masquerade rule deleted by hand
        self.add_ok(c)
        listing = self.node.sh("nft -a list chain ip6 cni_hostport masquerading")
        handle = re.search(r'masquerade .*# handle (\d+)', listing).group(1)
        self.node.sh("nft delete rule ip6 cni_hostport masquerading handle %s" % handle)
        self.assertCNIError(self.pm("CHECK", c), 999, '"masquerading" chain')

    def test_check_rules(self):
        self.assertCNIError(self.pm("CHECK", conf(TCP_UDP, prev=None)), 7,
                            "Required prevResult missing")
        self.assertOK(self.pm("CHECK", conf(None)))
        self.assertCNIError(self.pm("CHECK", conf(TCP_UDP)), 999, "missing hostport rules")

    def test_gc(self):
        self.add_ok(conf(TCP_UDP), "cid2")
        self.add_ok(conf([{"hostPort": 9090, "containerPort": 90, "protocol": "tcp"}],
                         prev=prev_result(3)), "cid3")
        gc = {"cniVersion": "1.1.0", "name": "pmnet", "type": "portmap",
              "cni.dev/valid-attachments": [{"containerID": "cid3", "ifname": "eth0"}]}
        res = run_plugin("portmap", "GC", gc, in_netns=self.node.name,
                         unset=("CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME"))
        self.assertOK(res)
        self.assertEqual(self.rules_with("cid2"), [])
        self.assertEqual(len(self.rules_with("cid3")), 5)

    def test_long_container_ids(self):
        """Rules carry the container ID as their whole comment (nft holds 128 bytes): a
        longer one is refused by ADD and CHECK with code 7 before anything changes, as
        the reference's ADD fails; DEL and GC of it succeed; 128 works end to end."""
        state = os.environ.get("CNI_PORTMAP_STATE_DIR", "/run/cni-portmap")

        def markers():
            d = os.path.join(state, "pmnet")
            return sorted(os.listdir(d)) if os.path.isdir(d) else []

        gc = {"cniVersion": "1.1.0", "name": "pmnet", "type": "portmap"}
        unset = ("CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME")
        ok_id = ("k" * 128)
        self.add_ok(conf(TCP_UDP), ok_id)
        self.assertEqual(len(self.rules_with(ok_id)), 7)
        self.assertIn(ok_id, markers())
        self.assertOK(self.pm("CHECK", conf(TCP_UDP), ok_id))
        self.assertOK(self.pm("DEL", conf(TCP_UDP), ok_id))
        self.assertEqual(self.rules_with(ok_id), [])
        self.assertNotIn(ok_id, markers())
        # ADD set route_localnet (DEL leaves it, as the reference does): unset it to see
        # that a refused ADD does not set it.
        self.node.sh("sysctl -qw net.ipv4.conf.br0.route_localnet=0")
        before = self.ruleset()
        for n in (129, 300, 5000):
            cid = ("L%d-" % n + "0123456789abcdef" * 320)[:n]
            with self.subTest(length=n):
                for c in (conf(TCP_UDP), conf(TCP_UDP, snat=False),
                          conf([{"hostPort": 80, "containerPort": 80, "protocol": "tcp",
                                 "hostIP": "10.0.0.1"}],
                               prev=prev_result(2, v4=False))):
                    res = self.pm("ADD", c, cid)
                    self.assertCNIError(res, 7, "container ID '%s...' is too long for "
                                        "portmap: %d characters" % (cid[:32], n))
                    self.assertCNIError(self.pm("CHECK", c, cid), 7, "at most 128")
                self.assertEqual(self.ruleset(), before)
                self.assertEqual(markers(), [])
                self.assertEqual(self.node.sh("sysctl -n net.ipv4.conf.br0.route_localnet")
                                 .strip(), "0")
                # Nothing to map: passed through, as the reference does.
                res = self.pm("ADD", conf(None), cid)
                self.assertOK(res)
                self.assertEqual(res.json["ips"], prev_result(2)["ips"])
                # The IPv6 mapping of an IPv4-only container writes no tagged rule.
                self.assertOK(self.pm("ADD", conf(
                    [{"hostPort": 80, "containerPort": 80, "protocol": "tcp",
                      "hostIP": "fd00::1"}],
                    prev=prev_result(2, v6=False), snat=False), cid))
                for _ in range(2):
                    self.assertOK(self.pm("DEL", conf(TCP_UDP), cid))
                    self.assertOK(self.pm("DEL", conf(None, prev=False), cid))
                res = run_plugin("portmap", "GC", dict(gc, **{"cni.dev/valid-attachments": [
                    {"containerID": cid, "ifname": "eth0"}]}), in_netns=self.node.name,
                    unset=unset)
                self.assertOK(res)
                self.assertEqual(markers(), [])
        self.assertOK(run_plugin("portmap", "GC", dict(gc, **{"cni.dev/valid-attachments": []}),
                                 in_netns=self.node.name, unset=unset))
        self.assertEqual([l for l in self.ruleset().splitlines() if "comment" in l and
                          "CNI portmap plugin" not in l], [])

    def test_gc_only_touches_its_network(self):
        # Rules are tagged by container ID only (as the reference's); GC of one network
        # must not remove the port rules of a container attached to another network.
        self.add_ok(conf(TCP_UDP), "cid2")
        self.add_ok(conf([{"hostPort": 9090, "containerPort": 90, "protocol": "tcp"}],
                         prev=prev_result(3), name="othernet"), "cid4")
        gc = {"cniVersion": "1.1.0", "name": "pmnet", "type": "portmap",
              "cni.dev/valid-attachments": []}
        res = run_plugin("portmap", "GC", gc, in_netns=self.node.name,
                         unset=("CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME"))
        self.assertOK(res)
        self.assertEqual(self.rules_with("cid2"), [])
        self.assertEqual(len(self.rules_with("cid4")), 5)
        # a second GC of the same network finds nothing more to do
        self.assertOK(run_plugin("portmap", "GC", gc, in_netns=self.node.name,
                                 unset=("CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME")))
        self.assertEqual(len(self.rules_with("cid4")), 5)
        # and DEL on the other network still cleans its container
        self.assertOK(self.pm("DEL", conf(None, prev=None, name="othernet"), "cid4"))
        self.assertEqual(self.rules_with("cid4"), [])
        st = run_plugin("portmap", "STATUS", {"cniVersion": "1.1.0", "name": "pmnet",
                                              "type": "portmap"}, in_netns=self.node.name)
        self.assertOK(st)

    def test_log_lines(self):
        log = os.path.join(self.tmpdir(), "log")
        c = conf(TCP_UDP, logFile=log, logLevel="debug")
        self.add_ok(c)
        self.assertOK(self.pm("DEL", c))
        self.add_ok(c)
        gc = {"cniVersion": "1.1.0", "name": "pmnet", "type": "portmap", "logFile": log,
              "logLevel": "debug", "cni.dev/valid-attachments": []}
        self.assertOK(run_plugin("portmap", "GC", gc, in_netns=self.node.name,
                                 unset=("CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME")))
        with open(log) as f:
            text = f.read()
        # 2 DNAT + 2 masquerade rules for IPv4, 2 + 1 for IPv6
        self.assertEqual(text.count("parsed 2 port mappings, container IPv4, container IPv6"),
                         3, text)
        self.assertEqual(text.count("committed 7 nftables rules for 2 port mappings"), 2, text)
        self.assertIn("deleted 7 nftables rules", text)
        self.assertIn("GC removed 7 rules of 1 stale containers", text)
        self.assertEqual(len(re.findall(r"flushed \d+ UDP conntrack entries of 2 host ports",
                                        text)), 4, text)

    def test_no_mappings_touches_nothing(self):
        res = self.add_ok(conf(None))
        self.assertEqual(res.json["ips"][0]["address"], "10.99.0.2/24")
        res = self.add_ok(conf([]))
        self.assertEqual(self.ruleset().strip(), "")

    def test_snat_false_and_masq_all(self):
        self.add_ok(conf(TCP_UDP, snat=False))
        self.assertNotIn("masquerading", self.ruleset())
        self.assertEqual(self.node.sh("sysctl -n net.ipv4.conf.br0.route_localnet").strip(), "0")
        self.add_ok(conf(TCP_UDP, masqAll=True))
        t = self.table("ip")
        self.assertIn('ip saddr 0.0.0.0/0 ip daddr 10.99.0.2 masquerade comment "cid2"', t)
        self.assertNotIn("127.0.0.1", t)
        self.assertIn('ip6 saddr ::/0 ip6 daddr fd99::2 masquerade', self.table("ip6"))
        self.assertOK(self.pm("CHECK", conf(TCP_UDP, masqAll=True)))

    def test_container_ip_choice(self):
        prev = {"cniVersion": "1.0.0",
                "interfaces": [{"name": "br0"}, {"name": "eth0", "sandbox": "/x"},
                               {"name": "eth1", "sandbox": "/x"}],
                "ips": [{"address": "10.1.0.1/24", "interface": 0},     # host side: skipped
                        {"address": "10.2.0.1/24", "interface": 2},     # other ifname
                        {"address": "10.3.0.7/24", "interface": 1},     # chosen
                        {"address": "10.4.0.1/24", "interface": 1},     # second v4: ignored
                        {"address": "fd00::9/64"}]}                     # no index: accepted
        self.add_ok(conf([{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}],
                         prev=prev))
        self.assertIn("dnat to 10.3.0.7:80", self.table("ip"))
        self.assertIn("dnat to [fd00::9]:80", self.table("ip6"))

    def test_v4_only_container_touches_no_ip6_table(self):
        self.add_ok(conf(TCP_UDP, prev=prev_result(2, v6=False)))
        self.assertNotIn("ip6", self.ruleset())

    def test_host_ip_of_missing_family_is_skipped(self):
        """As in the reference: the mapping maps nothing, ADD/CHECK/DEL agree, no error."""
        maps = [{"hostPort": 80, "containerPort": 80, "protocol": "tcp", "hostIP": "fd98::1"},
                {"hostPort": 5353, "containerPort": 53, "protocol": "udp", "hostIP": "fd98::1"},
                {"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}]
        c = conf(maps, prev=prev_result(2, v6=False))
        res = self.add_ok(c)
        self.assertIn("ignoring port mapping {hostPort: 80, containerPort: 80, protocol: tcp, "
                      "hostIP: fd98::1}: the container has no IPv6 address", res.stderr)
        t = self.table("ip")
        self.assertIn('tcp dport 8080 dnat to 10.99.0.2:80 comment "cid2"', t)
        self.assertNotIn("dport 80 ", t)
        self.assertNotIn("5353", t)
        self.assertNotIn("ip6", self.ruleset())
        self.assertOK(self.pm("CHECK", c))
        # Only mappings of a family the container lacks: the skeleton and masquerade only.
        only = conf(maps[:1], prev=prev_result(3, v6=False))
        self.add_ok(only, "cid3")
        self.assertEqual([l for l in self.rules_with("cid3") if "dnat" in l], [])
        self.assertOK(self.pm("CHECK", only, "cid3"))
        # IPv6-only container, IPv4 hostIP: likewise.
        c6 = conf([{"hostPort": 81, "containerPort": 81, "protocol": "tcp",
                    "hostIP": "192.168.50.1"}], prev=prev_result(4, v4=False))
        self.add_ok(c6, "cid4")
        self.assertNotIn("81", self.table("ip6"))
        self.assertOK(self.pm("CHECK", c6, "cid4"))
        for cid, cc in (("cid2", c), ("cid3", only), ("cid4", c6)):
            self.assertOK(self.pm("DEL", cc, cid))
            self.assertEqual(self.rules_with(cid), [])

    def test_conditions(self):
        ok = [["ip saddr 192.168.0.0/16"], ["ip daddr != 10.0.0.1"], ['iifname "eth0"'],
              ["oifname != eth1"], ["meta mark 0x2"], ["ip saddr 10.0.0.0/8", "iifname x"],
              ["ct state new"], ["ip", "daddr", "!=", "{ 127.0.0.0/8, 169.254.0.0/16 }"],
              ["iif", "lo"], ["meta iifname { br0, vout }"], ["tcp dport { 8080, 5353 }"]]
        for cv4 in ok:
            self.add_ok(conf(TCP_UDP, conditionsV4=cv4))
            self.assertOK(self.pm("CHECK", conf(TCP_UDP, conditionsV4=cv4)))
        self.add_ok(conf(TCP_UDP, conditionsV6=["ip6 saddr fd00::/8"]))
        bad = [(["ct mark 1"], "unsupported token 'mark' after 'ct'"),
               (["ip saddr 300.1.1.1"], "conditionsV4"),
               (["ip6 saddr fd00::1"], "conditionsV4"), (['iifname "x'], "conditionsV4"),
               (["ip saddr @allowed"], "named sets are not supported"),
               (["iif nosuchif0"], "interface 'nosuchif0' does not exist")]
        before = self.ruleset()
        for cv4, msg in bad:
            self.assertCNIError(self.pm("ADD", conf(TCP_UDP, conditionsV4=cv4)), 7, msg)
        self.assertCNIError(self.pm("ADD", conf(TCP_UDP, conditionsV6=["ip saddr 1.2.3.4"])),
                            7, "conditionsV6")
        self.assertCNIError(self.pm("ADD", conf(TCP_UDP, conditionsV4=["-s 1.2.3.4"])),
                            7, "iptables-specific options [conditionsV4]")
        self.assertEqual(self.ruleset(), before)

    def anon_sets(self, family="ip"):
        out = self.node.sh("nft --debug=netlink list table %s cni_hostport" % family)
        return [l for l in out.splitlines() if "@__set" in l]

    def test_conditions_with_sets(self):
        """The reference issue #1115: an anonymous set in nft syntax, as knftables joins
        the list; ADD rewrites the dispatch rules and their sets, DEL leaves them."""
        cv4 = ["ip", "daddr", "!=", "{ 127.0.0.0/8, 169.254.0.0/16 }"]
        cv6 = ["ip6 daddr != { ::1, fe80::/10 }", "ct", "state", "new,untracked"]
        c = conf(TCP_UDP, conditionsV4=cv4, conditionsV6=cv6)
        self.add_ok(c)
        want4 = ("ip daddr != { 127.0.0.0/8, 169.254.0.0/16 } fib daddr type local "
                 "jump hostports_all")
        want6 = ("ip6 daddr != { ::1, fe80::/10 } ct state new,untracked fib daddr type local "
                 "jump hostports_all")
        for fam, want in (("ip", want4), ("ip6", want6)):
            t = self.table(fam)
            self.assertEqual(t.count(want), 2, t)  # prerouting and output
            self.assertEqual(len(self.anon_sets(fam)), 2)
        self.assertOK(self.pm("CHECK", c))
        # A second ADD replaces the dispatch rules: the old sets go with them.
        self.add_ok(conf(TCP_UDP, conditionsV4=["ip saddr { 10.0.0.1, 10.0.0.2 }"]), "cid3")
        self.assertNotIn("127.0.0.0/8", self.table("ip"))
        self.assertIn("ip saddr { 10.0.0.1, 10.0.0.2 } fib", self.table("ip"))
        self.assertEqual(len(self.anon_sets("ip")), 2)
        # The IPv6 rules follow the last ADD's conditionsV6 (none).
        self.assertEqual(self.anon_sets("ip6"), [])
        self.assertOK(self.pm("DEL", c))
        self.assertOK(self.pm("DEL", c, "cid3"))
        self.assertEqual(len(self.anon_sets("ip")), 2)

    def test_conditions_with_sets_atomic(self):
        """A refused batch with sets changes nothing, and names the refused message."""
        self.add_ok(conf(TCP_UDP, prev=prev_result(3, v6=False)), "cid3")
        self.node.sh("nft add table ip6 cni_hostport && nft 'add chain ip6 cni_hostport "
                     "prerouting { type filter hook prerouting priority 0 ; }'")
        before = self.ruleset()
        res = self.pm("ADD", conf(TCP_UDP, conditionsV4=["tcp dport { 8080, 5353 }"]))
        self.assertNotEqual(res.rc, 0, res)
        self.assertIn("unable to set up nftables rules for port mappings: add chain "
                      "'prerouting' in table ip6 cni_hostport", res.json["msg"])
        self.assertEqual(self.ruleset(), before)


class TestPortmapErrors(PortmapBase):
    def test_bad_mappings(self):
        cases = [
            ({"hostPort": 0, "containerPort": 80, "protocol": "tcp"},
             "invalid port mapping {hostPort: 0, containerPort: 80, protocol: tcp}: "
             "hostPort must be between 1 and 65535"),
            ({"hostPort": 70000, "containerPort": 80, "protocol": "tcp"},
             "invalid port mapping {hostPort: 70000, containerPort: 80, protocol: tcp}: "
             "hostPort must be between 1 and 65535"),
            ({"hostPort": 80, "containerPort": -1, "protocol": "udp"},
             "containerPort must be between 1 and 65535"),
            ({"hostPort": 80, "containerPort": 65536, "protocol": "udp"},
             "containerPort must be between 1 and 65535"),
            ({"hostPort": 80, "containerPort": 80, "protocol": "icmp"},
             "protocol: icmp}: protocol must be one of tcp, udp, sctp"),
            ({"hostPort": 80, "containerPort": 80},
             "protocol must be one of tcp, udp, sctp"),
            ({"hostPort": 80, "containerPort": 80, "protocol": "tcp", "hostIP": "1.2.3"},
             "hostIP '1.2.3' is not an IP address"),
            ({"hostPort": "80", "containerPort": 80, "protocol": "tcp"},
             "'hostPort' must be an integer"),
        ]
        for m, msg in cases:
            self.assertCNIError(self.pm("ADD", conf([m])), 7, msg)
        self.assertEqual(self.ruleset().strip(), "")

    def test_prev_result_errors(self):
        self.assertCNIError(self.pm("ADD", conf(TCP_UDP, prev=None)), 7,
                            "must be called as chained plugin")
        bad = conf(TCP_UDP, prev={"cniVersion": "1.0.0", "ips": [{"address": "nope"}]})
        res = self.pm("ADD", bad)
        self.assertNotEqual(res.rc, 0)
        self.assertIn("prevResult", res.json["msg"])
        res = self.pm("ADD", conf(TCP_UDP, prev={"cniVersion": "0.4.0", "ips": []}))
        self.assertIn("prevResult", res.json["msg"])
        self.assertEqual(self.ruleset().strip(), "")

    def test_backend_options(self):
        # the iptables backend: the reference's chains in table nat
        self.add_ok(conf(TCP_UDP, backend="iptables"))
        self.assertIn("chain CNI-HOSTPORT-DNAT", self.node.sh("nft list table ip nat"))
        self.assertOK(self.pm("CHECK", conf(TCP_UDP, backend="iptables")))
        self.assertOK(self.pm("DEL", conf(TCP_UDP, backend="iptables")))
        self.assertNotIn("CNI-DN-", self.node.sh("nft list table ip nat"))
        # externalSetMarkChain implies iptables; the chain must exist, nothing is written
        c = conf(TCP_UDP, externalSetMarkChain="KUBE-MARK-MASQ")
        del c["backend"]
        self.assertCNIError(self.pm("ADD", c), 999, "'KUBE-MARK-MASQ' does not exist")
        self.assertNotIn("CNI-DN-", self.node.sh("nft list table ip nat"))
        self.assertCNIError(self.pm("ADD", conf(TCP_UDP, backend="pf")), 7,
                            'unrecognized backend "pf"')
        self.assertCNIError(self.pm("ADD", conf(TCP_UDP, markMasqBit=32)), 7,
                            "MasqMarkBit must be between 0 and 31")
        c = conf(TCP_UDP, markMasqBit=3, externalSetMarkChain="X", backend="iptables")
        self.assertCNIError(self.pm("ADD", c), 7,
                            "Cannot specify externalSetMarkChain and markMasqBit")
        self.assertCNIError(self.pm("ADD", conf(TCP_UDP, externalSetMarkChain="X")), 7,
                            "nftables backend was requested but configuration contains "
                            "iptables-specific options [externalSetMarkChain]")
        self.assertCNIError(self.pm("ADD", conf(TCP_UDP, snat="yes")), 7, "'snat'")
        # markMasqBit is ignored by the nftables backend, as in the reference
        self.add_ok(conf(TCP_UDP, markMasqBit=5))
        # no backend key: nftables
        c = conf(TCP_UDP)
        del c["backend"]
        self.add_ok(c)

    def test_state_dir_too_long(self):
        # A marker path longer than PATH_MAX is an error naming it, never a truncated path.
        state = os.path.join(self.tmpdir(), *(["d" * 200] * 21))
        env = {"CNI_PORTMAP_STATE_DIR": state}
        for cmd in ("ADD", "DEL"):
            res = run_plugin("portmap", cmd, conf(TCP_UDP), containerid="cid2",
                             netns="/run/netns/c", in_netns=self.node.name, env=env)
            self.assertCNIError(res, 999, "portmap state path is too long: '%s" % state[:200])
            self.assertEqual(res.json.get("details"), "File name too long")
        self.assertEqual(self.ruleset().strip(), "")
        # A state dir that fits but cannot be created only weakens GC: ADD warns.
        self.add_ok(conf(TCP_UDP))
        res = run_plugin("portmap", "ADD", conf(TCP_UDP), containerid="cid2",
                         netns="/run/netns/c", in_netns=self.node.name,
                         env={"CNI_PORTMAP_STATE_DIR": "/proc/cni-portmap"})
        self.assertOK(res)
        self.assertIn("portmap: cannot record '/proc/cni-portmap' for GC: ", res.stderr)

    def test_atomic_failure_leaves_ruleset_unchanged(self):
        # container 3 is IPv4-only: ip table only
        self.add_ok(conf([{"hostPort": 9090, "containerPort": 90, "protocol": "tcp"}],
                         prev=prev_result(3, v6=False)), "cid3")
        # a conflicting ip6 object: prerouting exists as a filter chain
        self.node.sh("nft add table ip6 cni_hostport && nft 'add chain ip6 cni_hostport "
                     "prerouting { type filter hook prerouting priority 0 ; }'")
        before = self.ruleset()
        res = self.pm("ADD", conf(TCP_UDP), "cid2")
        self.assertNotEqual(res.rc, 0, res)
        self.assertIn("unable to set up nftables rules", res.json["msg"])
        self.assertEqual(self.ruleset(), before)
        self.assertEqual(self.rules_with("cid2"), [])

    def test_atomic_replace_keeps_old_rules_on_failure(self):
        self.add_ok(conf(TCP_UDP), "cid2")
        self.node.sh("nft delete chain ip6 cni_hostport output")
        self.node.sh("nft 'add chain ip6 cni_hostport output "
                     "{ type filter hook output priority 0 ; }'")
        before = self.ruleset()
        res = self.pm("ADD", conf([{"hostPort": 1, "containerPort": 1, "protocol": "tcp"}]))
        self.assertNotEqual(res.rc, 0, res)
        self.assertEqual(self.ruleset(), before)
        self.assertIn("dport 8080", "\n".join(self.rules_with("cid2")))


class TestPortmapTraffic(PortmapBase):
    def setUp(self):
        super().setUp()
        self.add_outside()
        self.c2 = self.add_container(2)
        self.serve_all(self.c2, "c2")

    def test_tcp_udp_from_outside_and_del(self):
        c = conf(TCP_UDP + [{"hostPort": 8081, "containerPort": 81, "protocol": "tcp",
                             "hostIP": "192.168.50.1"}],
                 prev=prev_result(2, netns=self.c2.path))
        self.add_ok(c)
        o = self.outside
        self.assertEqual(self.client(o, "TCP4:192.168.50.1:8080"), "tcp4-c2")
        self.assertEqual(self.client(o, "UDP4:192.168.50.1:5353"), "udp4-c2")
        # hostIP restricts the match: .3 is also a node address
        self.assertEqual(self.client(o, "TCP4:192.168.50.1:8081"), "tcp81-c2")
        self.assertEqual(self.client(o, "TCP4:192.168.50.3:8081"), "")
        self.assertEqual(self.client(o, "TCP4:192.168.50.3:8080"), "tcp4-c2")
        # IPv6
        self.assertEqual(self.client(o, "TCP6:[fd98::1]:8080"), "tcp6-c2")
        # localhost from the node (route_localnet set on br0)
        self.assertEqual(self.node.sh("sysctl -n net.ipv4.conf.br0.route_localnet").strip(),
                         "1")
        self.assertEqual(self.client(self.node, "TCP4:127.0.0.1:8080"), "tcp4-c2")
        # hairpin: the container reaches itself through the node's addresses
        self.assertEqual(self.client(self.c2, "TCP4:192.168.50.1:8080"), "tcp4-c2")
        self.assertEqual(self.client(self.c2, "TCP4:10.99.0.1:8080"), "tcp4-c2")
        self.assertOK(self.pm("CHECK", c))
        # DEL: traffic no longer forwarded
        self.assertOK(self.pm("DEL", c))
        self.assertEqual(self.client(o, "TCP4:192.168.50.1:8080"), "")

    def test_conditions_with_sets_filter_traffic(self):
        """Only sources in the set reach the hostPort; others are not DNATed."""
        blocked = conf(TCP_UDP, prev=prev_result(2, netns=self.c2.path),
                       conditionsV4=["ip saddr != { 192.168.50.2, 10.1.0.0/16 }"])
        self.add_ok(blocked)
        o = self.outside
        self.assertEqual(self.client(o, "TCP4:192.168.50.1:8080"), "")
        # from the container itself (saddr 10.99.0.2): still DNATed (not in the set)
        self.assertEqual(self.client(self.c2, "TCP4:10.99.0.1:8080"), "tcp4-c2")
        allowed = conf(TCP_UDP, prev=prev_result(2, netns=self.c2.path),
                       conditionsV4=["ip", "saddr", "{", "192.168.50.0/24,", "10.1.0.0/16", "}",
                                     "tcp", "dport", "{ 8080, 9999 }"])
        self.add_ok(allowed)
        self.assertEqual(self.client(o, "TCP4:192.168.50.1:8080"), "tcp4-c2")
        # udp 5353 is not in the dport set: not forwarded any more
        self.assertEqual(self.client(o, "UDP4:192.168.50.1:5353"), "")
        self.assertOK(self.pm("CHECK", allowed))

    def test_two_containers_and_del_one(self):
        c3 = self.add_container(3)
        self.serve_all(c3, "c3")
        self.add_ok(conf(TCP_UDP, prev=prev_result(2, netns=self.c2.path)), "cid2")
        c3conf = conf([{"hostPort": 9080, "containerPort": 80, "protocol": "tcp"}],
                      prev=prev_result(3, netns=c3.path))
        self.add_ok(c3conf, "cid3")
        o = self.outside
        self.assertEqual(self.client(o, "TCP4:192.168.50.1:8080"), "tcp4-c2")
        self.assertEqual(self.client(o, "TCP4:192.168.50.1:9080"), "tcp4-c3")
        self.assertOK(self.pm("DEL", conf(None, prev=None), "cid2"))
        self.assertEqual(self.client(o, "TCP4:192.168.50.1:8080"), "")
        self.assertEqual(self.client(o, "TCP4:192.168.50.1:9080"), "tcp4-c3")
        self.assertEqual(self.client(o, "TCP6:[fd98::1]:9080"), "tcp6-c3")
        self.assertOK(self.pm("CHECK", c3conf, "cid3"))

    def test_udp_conntrack_flushed_on_del(self):
        c = conf(TCP_UDP, prev=prev_result(2, netns=self.c2.path))
        self.add_ok(c)
        self.assertEqual(self.client(self.outside, "UDP4:192.168.50.1:5353"), "udp4-c2")
        ct = "conntrack -L -p udp --dport 5353 2>/dev/null"
        self.assertIn("dport=5353", self.node.sh(ct))
        # DEL without portMappings: ports come from the deleted rules
        self.assertOK(self.pm("DEL", conf(None, prev=None)))
        self.assertNotIn("dport=5353", self.node.sh(ct))

    def test_udp_conntrack_flushed_on_add(self):
        # A stale entry towards the node itself (no mapping yet) would blackhole traffic.
        # conntrack only runs in a namespace once something uses it
        self.node.sh("nft add table ip cttest && nft 'add chain ip cttest c "
                     "{ type filter hook input priority 0 ; }' && "
                     "nft add rule ip cttest c ct state new counter")
        self.client(self.outside, "UDP4:192.168.50.1:5353")
        ct = "conntrack -L -p udp --dport 5353 2>/dev/null"
        self.assertIn("dport=5353", self.node.sh(ct))
        self.add_ok(conf(TCP_UDP, prev=prev_result(2, netns=self.c2.path)))
        self.assertNotIn("dport=5353", self.node.sh(ct))
        self.assertEqual(self.client(self.outside, "UDP4:192.168.50.1:5353"), "udp4-c2")


class TestPortmapWithBridge(PortmapBase):
    """End to end with this suite's bridge + host-local, when they are built."""

    def bridge_pod(self, name, bridge, subnet, **extra):
        """A pod on this suite's bridge (host-local IPAM); returns (netns, result)."""
        cnitest.require(self, plugins=("bridge", "host-local"))
        c = self.netns(name)
        net = {"cniVersion": "1.0.0", "name": name, "type": "bridge", "bridge": bridge,
               "isGateway": True,
               "ipam": {"type": "host-local", "dataDir": self.tmpdir(),
                        "ranges": [[{"subnet": subnet}]],
                        "routes": [{"dst": "0.0.0.0/0"}]}}
        net.update(extra)
        res = run_plugin("bridge", "ADD", net, containerid=name, netns=c.path,
                         in_netns=self.node.name)
        self.assertOK(res)
        self.addCleanup(run_plugin, "bridge", "DEL", net, containerid=name, netns=c.path,
                        in_netns=self.node.name)
        return c, res.json

    def map_port(self, c, res, host_port, cid):
        pm = {"cniVersion": "1.0.0", "name": "pmbr", "type": "portmap",
              "runtimeConfig": {"portMappings": [{"hostPort": host_port, "containerPort": 80,
                                                  "protocol": "tcp"}]},
              "prevResult": res}
        self.assertOK(run_plugin("portmap", "ADD", pm, containerid=cid, netns=c.path,
                                 in_netns=self.node.name))
        return pm

    def test_bridge_chain(self):
        o = self.add_outside()
        c, res = self.bridge_pod("pmbc", "cni9", "10.77.0.0/24", hairpinMode=True)
        ip = res["ips"][0]["address"].split("/")[0]
        self.serve(c, "TCP4-LISTEN:80,fork,reuseaddr", "bridged")
        pm = self.map_port(c, res, 8088, "bcid")
        self.assertEqual(self.client(o, "TCP4:192.168.50.1:8088"), "bridged")
        self.assertEqual(self.client(c, "TCP4:192.168.50.1:8088"), "bridged")
        self.assertIn("dnat to %s:80" % ip, self.table("ip"))
        self.assertOK(run_plugin("portmap", "DEL", pm, containerid="bcid", netns=c.path,
                                 in_netns=self.node.name))
        self.assertEqual(self.rules_with("bcid"), [])

    def test_pod_reaches_own_host_port_with_promisc_mode(self):
        """containerd's default conflist (bridge with promiscMode, no hairpinMode, then
        portmap) under br_netfilter: the pod reaches its own hostPort."""
        self.add_outside()
        c, res = self.bridge_pod("pmpr", "cni8", "10.78.0.0/24", ipMasq=True,
                                 promiscMode=True)
        self.serve(c, "TCP4-LISTEN:80,fork,reuseaddr", "self")
        self.map_port(c, res, 8089, "prcid")
        brnf = self.node.sh("cat /proc/sys/net/bridge/bridge-nf-call-iptables",
                            check=False).strip()
        # Through the node's uplink address and through the gateway on the bridge.
        self.assertEqual(self.client(c, "TCP4:192.168.50.1:8089"), "self",
                         "bridge-nf-call-iptables=%s" % (brnf or "absent"))
        self.assertEqual(self.client(c, "TCP4:10.78.0.1:8089"), "self")

class TestPortmapTiming(PortmapBase):
    def test_add_del_latency(self):
        """Median ADD/DEL latency, 2 mappings (tcp+udp), dual-stack, 20 runs."""
        c = conf(TCP_UDP)
        adds, dels = [], []
        for i in range(20):
            t0 = time.perf_counter()
            self.add_ok(c)
            t1 = time.perf_counter()
            self.assertOK(self.pm("DEL", c))
            t2 = time.perf_counter()
            adds.append((t1 - t0) * 1000)
            dels.append((t2 - t1) * 1000)
        adds.sort()
        dels.sort()
        msg = "portmap ADD median %.1f ms, DEL median %.1f ms (incl. nsenter+exec)" % (
            adds[10], dels[10])
        print("\n" + msg)
        with open(os.path.join(self.tmpdir(), "timing"), "w") as f:
            f.write(msg)


class TestNftRace(CNITestCase):
    """Parallel ADD/DEL of portmap and bridge (ipMasq, macspoofchk) over a node whose
    chains hold many rules, so that every listing is a multi-part dump, with nft(8)
    committing to a table of its own meanwhile: the short run of tests/stress/nft_race.py."""
    needs_netns = True

    def test_parallel_add_del_over_busy_ruleset(self):
        sys.path.insert(0, os.path.join(HERE, "..", "stress"))
        import nft_race
        cnitest.require(self, plugins=("portmap", "bridge", "host-local"),
                        tools=("nft", "nsenter"))
        bin_dir = os.path.dirname(plugin_path("portmap"))
        s = nft_race.Stress(bin_dir, resident=100, streams=32, duration=6, foreign=2,
                            mappings=8)
        self.addCleanup(s.cleanup)
        fig = s.run()
        print("\n  nft race: %d calls, %d failed, %d rules left, %d foreign commits" % (
            fig["calls"], fig["failures"], fig["rules_left"], fig["foreign_commits"]))
        self.assertGreater(fig["calls"], 32)
        self.assertEqual(fig["failure_samples"], [])
        self.assertEqual(fig["left_samples"], [])
        self.assertEqual(fig["resident_after"], fig["resident_before"])


if __name__ == "__main__":
    unittest.main()
