# SPDX-License-Identifier: Apache-2.0
"""The firewall plugin (plugins/firewall): the reference's iptables layout through the
iptables-nft layer.

A node namespace whose FORWARD policy is DROP (set with iptables-nft inside it, as on a
Docker host) with an "outside" namespace behind a veth: a container behind our bridge
reaches the outside only with firewall in the chain. podman's and nerdctl's default
conflists run end to end through cnitool and our binaries (dataDir in temp dirs), including
nerdctl's same-bridge isolation between two bridges. `iptables-nft -S` of what we write is
compared with what the Go reference firewall (/usr/lib/cni/firewall) writes for the same
prevResult, and each side's DEL removes the other's rules."""
import json
import os
import shutil
import subprocess
import unittest

import cnitest
from cnitest import BIN, CNITestCase, run_plugin

GO_FIREWALL = "/usr/lib/cni/firewall"


def prev_result(ips, bridge="cni-podman0"):
    return cnitest.prev_result(ips, host=(bridge, "veth1"),
                               macs=("aa:bb:cc:dd:ee:01", "aa:bb:cc:dd:ee:02",
                                     "aa:bb:cc:dd:ee:03"))


def fw_conf(prev=None, **kw):
    c = {"cniVersion": "1.0.0", "name": "fwnet", "type": "firewall"}
    c.update(kw)
    if prev is not None:
        c["prevResult"] = prev
    return c


def filter_S(node):
    return node.sh("iptables-nft -t filter -S; ip6tables-nft -t filter -S")


class FirewallConfTest(CNITestCase):
    """Config handling and the verbs' errors."""
    needs_netns = True

    def setUp(self):
        super().setUp()
        cnitest.require(self, plugins=("firewall",))
        self.node = self.netns("fwc")

    def run_fw(self, cmd, conf, **kw):
        return run_plugin("firewall", cmd, conf, in_netns=self.node.name, **kw)

    def test_firewalld_refused_with_code_2(self):
        res = self.run_fw("ADD", fw_conf(prev_result(["10.88.0.2/16"]), backend="firewalld"))
        self.assertCNIError(res, 2, "firewalld backend is not supported")
        self.assertNotIn("CNI-FORWARD", filter_S(self.node))

    def test_missing_prev_result(self):
        self.assertCNIError(self.run_fw("ADD", fw_conf()), 999,
                            "missing prevResult from earlier plugin")
        self.assertCNIError(self.run_fw("CHECK", fw_conf()), 999,
                            "missing prevResult from earlier plugin")
        # DEL without prevResult knows no addresses: success, nothing touched.
        self.assertOK(self.run_fw("DEL", fw_conf()))

    def test_unknown_ingress_policy(self):
        res = self.run_fw("ADD", fw_conf(prev_result(["10.88.0.2/16"]), ingressPolicy="x"))
        self.assertCNIError(res, 999, 'unknown ingress policy: "x"')
        self.assertNotIn("CNI-FORWARD", filter_S(self.node))

    def test_versions_and_keys(self):
        res = self.run_fw("VERSION", fw_conf())
        self.assertEqual(self.assertOK(res)["supportedVersions"], ["0.4.0", "1.0.0", "1.1.0"])
        prev = prev_result(["10.88.0.2/16"])
        conf = fw_conf(prev, backend="iptables", firewalldZone="public",
                       iptablesAdminChainName="NOMAD-ADMIN", runtimeConfig={})
        out = self.assertOK(self.run_fw("ADD", conf))
        self.assertEqual(out["ips"], prev["ips"])
        s = filter_S(self.node)
        self.assertIn("-N NOMAD-ADMIN", s)
        self.assertIn('-A CNI-FORWARD -m comment --comment "CNI firewall plugin admin overrides"'
                      " -j NOMAD-ADMIN", s)
        self.assertOK(self.run_fw("CHECK", conf))
        too_long = fw_conf(prev, iptablesAdminChainName="X" * 29)
        self.assertCNIError(self.run_fw("ADD", too_long), 7, "iptablesAdminChainName")
        status = fw_conf(None)
        status["cniVersion"] = "1.1.0"
        self.assertOK(self.run_fw("STATUS", status))
        self.assertOK(self.run_fw("GC", status))

    def test_check_and_idempotent_del(self):
        prev = prev_result(["10.88.0.2/16", "fd00::2/64"])
        conf = fw_conf(prev)
        self.assertOK(self.run_fw("ADD", conf))
        self.assertOK(self.run_fw("ADD", conf))  # a second ADD adds nothing
        s = filter_S(self.node)
        self.assertEqual(s.count("-A CNI-FORWARD -s 10.88.0.2/32 -j ACCEPT"), 1)
        self.assertEqual(s.count("-A FORWARD -m comment"), 2)
        self.assertOK(self.run_fw("CHECK", conf))
        self.node.sh("ip6tables-nft -D CNI-FORWARD -s fd00::2/128 -j ACCEPT")
        res = self.run_fw("CHECK", conf)
        self.assertCNIError(res, 999, "expected rule [-s fd00::2/128 -j ACCEPT] not found")
        self.node.sh("iptables-nft -D FORWARD 1")
        res = self.run_fw("CHECK", conf)
        self.assertCNIError(res, 999, "expected FORWARD rule [-m comment --comment CNI "
                            "firewall plugin rules -j CNI-FORWARD] not found")
        # DEL works without the netns and twice.
        self.assertOK(self.run_fw("DEL", conf, netns="/var/run/netns/gone"))
        self.assertOK(self.run_fw("DEL", conf))
        s = filter_S(self.node)
        self.assertNotIn("10.88.0.2", s)
        self.assertNotIn("fd00::2", s)


    def test_del_rules_gone_at_return_and_no_process_left(self):
        """The address rules are gone when DEL returns (its commit had its ACKs; the
        kernel's release of them is left to a child), and the process DEL leaves behind for
        that release ends by itself: waited for as its subreaper, not timed."""
        conf = fw_conf(prev_result(["10.88.0.2/16", "fd00::2/64"]))
        self.assertOK(self.run_fw("ADD", conf))
        self.assertIn("-A CNI-FORWARD -s 10.88.0.2/32 -j ACCEPT", filter_S(self.node))
        self.assertOK(self.run_fw("DEL", conf))
        s = filter_S(self.node)
        self.assertNotIn("10.88.0.2", s)
        self.assertNotIn("fd00::2", s)
        self.assertOK(self.run_fw("ADD", conf))
        r, left = cnitest.run_plugin_reaped("firewall", "DEL", conf, in_netns=self.node.name)
        self.assertOK(r)
        self.assertEqual(left, [0] * len(left))
        s = filter_S(self.node)
        self.assertNotIn("10.88.0.2", s)
        self.assertNotIn("fd00::2", s)


class FirewallReferenceTest(CNITestCase):
    """Side by side with the Go reference firewall (default iptables backend)."""
    needs_netns = True

    def setUp(self):
        super().setUp()
        if not os.access(GO_FIREWALL, os.X_OK):
            self.skipTest("the reference firewall is not installed")
        cnitest.require(self, plugins=("firewall",))

    def go(self, node, cmd, conf):
        self.assertOK(cnitest.run_reference("firewall", cmd, conf, "c1", "/x", node.name))

    def both(self, cmd, conf, ours, theirs):
        self.assertOK(run_plugin("firewall", cmd, conf, in_netns=ours.name))
        self.go(theirs, cmd, conf)

    def test_same_listing_and_cross_del(self):
        ours, theirs = self.netns("fwo"), self.netns("fwg")
        for n in (ours, theirs):  # someone else's FORWARD rule, as on a Docker host
            n.sh("iptables-nft -P FORWARD DROP && iptables-nft -N DOCKER-USER && "
                 "iptables-nft -A FORWARD -j DOCKER-USER")
        c1 = fw_conf(prev_result(["10.88.0.2/16", "fd00::2/64"]), backend="iptables")
        c2 = fw_conf(prev_result(["10.88.0.3/16"]))
        self.both("ADD", c1, ours, theirs)
        self.both("ADD", c2, ours, theirs)
        self.assertEqual(filter_S(ours), filter_S(theirs))
        self.assertIn("-A FORWARD -m comment --comment \"CNI firewall plugin rules\" -j "
                      "CNI-FORWARD\n-A FORWARD -j DOCKER-USER", filter_S(ours))
        # The reference's DEL removes ours, ours removes the reference's.
        self.go(ours, "DEL", c1)
        self.assertOK(run_plugin("firewall", "DEL", c1, in_netns=theirs.name))
        self.assertEqual(filter_S(ours), filter_S(theirs))
        self.assertNotIn("10.88.0.2", filter_S(ours))
        self.assertIn("10.88.0.3", filter_S(ours))
        # The reference's CHECK accepts ours.
        self.go(ours, "CHECK", c2)

    def test_same_bridge_layout(self):
        """REFERENCE-MORE 2's listing for two containers on cni-podman0."""
        node = self.netns("fws")
        for ip in ("10.88.0.2/16", "10.88.0.3/16"):
            self.assertOK(run_plugin("firewall", "ADD",
                                     fw_conf(prev_result([ip]), ingressPolicy="same-bridge"),
                                     in_netns=node.name))
        d = '"CNI firewall plugin rules (ingressPolicy: same-bridge|isolated)"'
        p = '"CNI firewall plugin rules (ingressPolicy: same-bridge)"'
        want = "\n".join([
            "-P INPUT ACCEPT", "-P FORWARD ACCEPT", "-P OUTPUT ACCEPT",
            "-N CNI-ADMIN", "-N CNI-FORWARD", "-N CNI-ISOLATION-STAGE-1",
            "-N CNI-ISOLATION-STAGE-2",
            "-A FORWARD -m comment --comment %s -j CNI-ISOLATION-STAGE-1" % d,
            '-A FORWARD -m comment --comment "CNI firewall plugin rules" -j CNI-FORWARD',
            '-A CNI-FORWARD -m comment --comment "CNI firewall plugin admin overrides" -j '
            "CNI-ADMIN",
            "-A CNI-FORWARD -d 10.88.0.2/32 -m conntrack --ctstate RELATED,ESTABLISHED -j "
            "ACCEPT",
            "-A CNI-FORWARD -s 10.88.0.2/32 -j ACCEPT",
            "-A CNI-FORWARD -d 10.88.0.3/32 -m conntrack --ctstate RELATED,ESTABLISHED -j "
            "ACCEPT",
            "-A CNI-FORWARD -s 10.88.0.3/32 -j ACCEPT",
            "-A CNI-ISOLATION-STAGE-1 -i cni-podman0 ! -o cni-podman0 -m comment --comment %s "
            "-j CNI-ISOLATION-STAGE-2" % p,
            "-A CNI-ISOLATION-STAGE-1 -m comment --comment %s -j RETURN" % d,
            "-A CNI-ISOLATION-STAGE-2 -o cni-podman0 -m comment --comment %s -j DROP" % d,
            "-A CNI-ISOLATION-STAGE-2 -m comment --comment %s -j RETURN" % d, ""])
        self.assertEqual(node.sh("iptables-nft -t filter -S"), want)
        # A second bridge prepends its own rules; isolated adds the within-bridge DROP.
        self.assertOK(run_plugin("firewall", "ADD",
                                 fw_conf(prev_result(["10.89.0.2/24"], bridge="br2"),
                                         ingressPolicy="isolated"), in_netns=node.name))
        s1 = node.sh("iptables-nft -S CNI-ISOLATION-STAGE-1").splitlines()
        i = '"CNI firewall plugin rules (ingressPolicy: isolated)"'
        self.assertEqual(s1[1:4], [
            "-A CNI-ISOLATION-STAGE-1 -i br2 -o br2 -m comment --comment %s -j DROP" % i,
            "-A CNI-ISOLATION-STAGE-1 -i br2 ! -o br2 -m comment --comment %s -j "
            "CNI-ISOLATION-STAGE-2" % i,
            "-A CNI-ISOLATION-STAGE-1 -i cni-podman0 ! -o cni-podman0 -m comment --comment %s "
            "-j CNI-ISOLATION-STAGE-2" % p])
        self.assertEqual(node.sh("iptables-nft -S CNI-ISOLATION-STAGE-2").splitlines()[1],
                         "-A CNI-ISOLATION-STAGE-2 -o br2 -m comment --comment %s -j DROP" % d)


PODMAN = {"cniVersion": "0.4.0", "name": "podman", "plugins": [
    {"type": "bridge", "bridge": "cni-podman0", "isGateway": True, "ipMasq": True,
     "hairpinMode": True,
     "ipam": {"type": "host-local", "routes": [{"dst": "0.0.0.0/0"}],
              "ranges": [[{"subnet": "10.88.0.0/16", "gateway": "10.88.0.1"}]]}},
    {"type": "portmap", "capabilities": {"portMappings": True}},
    {"type": "firewall"},
    {"type": "tuning"}]}


def nerdctl(name, bridge, subnet, gw):
    return {"cniVersion": "1.0.0", "name": name, "nerdctlID": "0" * 64, "nerdctlLabels": {},
            "plugins": [
                {"type": "bridge", "bridge": bridge, "isGateway": True, "ipMasq": True,
                 "hairpinMode": True,
                 "ipam": {"type": "host-local", "routes": [{"dst": "0.0.0.0/0"}],
                          "ranges": [[{"gateway": gw, "subnet": subnet}]]}},
                {"type": "portmap", "capabilities": {"portMappings": True}},
                {"type": "firewall", "ingressPolicy": "same-bridge"},
                {"type": "tuning"}]}


class FirewallEndToEndTest(CNITestCase):
    """Runtime conflists on a node whose FORWARD policy is DROP."""
    needs_netns = True

    def setUp(self):
        super().setUp()
        cnitest.require(self, plugins=("cnitool", "bridge", "host-local", "portmap", "firewall",
                                       "tuning"))
        self.dir = self.tmpdir()
        self.netdir = os.path.join(self.dir, "net.d")
        self.data = os.path.join(self.dir, "data")
        os.makedirs(self.netdir)
        self.node = self.netns("fwn")
        self.out = self.netns("fwx")
        self.node.sh("ip link add vout type veth peer name eth0 netns %s" % self.out.name)
        self.node.sh("ip addr add 192.168.250.1/24 dev vout && ip link set vout up")
        self.out.sh("ip addr add 192.168.250.2/24 dev eth0 && ip link set eth0 up")
        self.node.sh("sysctl -qw net.ipv4.ip_forward=1")
        self.node.sh("iptables-nft -P FORWARD DROP")

    def write(self, conf):
        conf = json.loads(json.dumps(conf))
        conf["plugins"][0]["ipam"]["dataDir"] = self.data
        with open(os.path.join(self.netdir, conf["name"] + ".conflist"), "w") as f:
            json.dump(conf, f)

    def cnitool(self, *args, strace=None):
        env = {"NETCONFPATH": self.netdir, "CNI_PATH": BIN,
               "CNI_CACHE_DIR": os.path.join(self.dir, "cache")}
        prefix = ()
        if strace:
            # LeakSanitizer cannot work under ptrace (sanitizer builds).
            env["ASAN_OPTIONS"] = ":".join(
                x for x in (os.environ.get("ASAN_OPTIONS"), "detect_leaks=0") if x)
            prefix = ("strace", "-f", "-qq", "-e", "trace=execve", "-o", strace)
        p = cnitest.run_cnitool(args, env, in_netns=self.node.name, prefix=prefix, timeout=120)
        self.assertEqual(p.returncode, 0, "cnitool %s: %s%s" % (args, p.stdout, p.stderr))
        return json.loads(p.stdout) if p.stdout.strip() else None

    def container(self, net):
        ns = self.netns("fwk")
        res = self.cnitool("add", net, ns.path)
        return ns, res["ips"][0]["address"].split("/")[0]

    def reaches(self, ns, ip, expect=True):
        """Whether ip answers a ping from ns: the wait is long where an answer is expected
        (it only bounds a hang); where none is, a ping that answered came first."""
        p = subprocess.run(["ip", "netns", "exec", ns.name, "ping", "-c1",
                            "-W%d" % (30 if expect else 5), ip], capture_output=True)
        return p.returncode == 0

    def test_podman_default_conflist(self):
        without = json.loads(json.dumps(PODMAN))
        without["name"] = "podman-nofw"
        without["plugins"] = [p for p in without["plugins"] if p["type"] != "firewall"]
        without["plugins"][0]["bridge"] = "cni-nofw0"
        without["plugins"][0]["ipam"]["ranges"] = [[{"subnet": "10.87.0.0/16"}]]
        self.write(without)
        self.write(PODMAN)
        a, _ = self.container("podman-nofw")
        self.assertFalse(self.reaches(a, "192.168.250.2", expect=False))
        self.cnitool("del", "podman-nofw", a.path)

        trace = os.path.join(self.dir, "strace")
        if shutil.which("strace"):
            b = self.netns("fwk")
            self.cnitool("add", "podman", b.path, strace=trace)
            with open(trace) as f:
                execs = [l for l in f if "execve(" in l]
            self.assertTrue(any("/firewall" in l for l in execs), execs)
            self.assertFalse([l for l in execs if "tables" in l or '/nft"' in l], execs)
        else:
            b, _ = self.container("podman")
        self.assertTrue(self.reaches(b, "192.168.250.2"))
        self.cnitool("check", "podman", b.path)
        self.cnitool("del", "podman", b.path)
        self.assertFalse(self.reaches(b, "192.168.250.2", expect=False))
        self.cnitool("del", "podman", b.path)
        self.assertNotIn("10.88.0.", self.node.sh("iptables-nft -S CNI-FORWARD"))

    def test_nerdctl_same_bridge_isolation(self):
        self.write(nerdctl("bridge", "nerdctl0", "10.4.0.0/24", "10.4.0.1"))
        self.write(nerdctl("net2", "br-0123456789ab", "10.4.1.0/24", "10.4.1.1"))
        a, ip_a = self.container("bridge")
        a2, ip_a2 = self.container("bridge")
        b, ip_b = self.container("net2")
        for ns in (a, b):
            self.assertTrue(self.reaches(ns, "192.168.250.2"))
        self.assertTrue(self.reaches(a, ip_a2))
        self.assertFalse(self.reaches(a, ip_b, expect=False))
        self.assertFalse(self.reaches(b, ip_a, expect=False))
        self.cnitool("check", "bridge", a.path)
        # Without the isolation chains the two bridges reach each other.
        self.node.sh("iptables-nft -D FORWARD 1")
        self.assertTrue(self.reaches(a, ip_b))
        for net, ns in (("bridge", a), ("bridge", a2), ("net2", b)):
            self.cnitool("del", net, ns.path)


if __name__ == "__main__":
    unittest.main()
