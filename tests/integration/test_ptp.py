# SPDX-License-Identifier: Apache-2.0
"""Black-box tests of bin/ptp: a veth pair routed through the node.

Every test works in namespaces of its own: a "node" namespace (the plugin runs inside it),
container namespaces, and for masquerade an "outside" namespace joined to the node by a
veth pair (a network the node routes to, not the containers' subnet). Real traffic goes
between containers, the node and the outside. host-local keeps its reservations in a
temporary dataDir. Where Debian's Go ptp (1.1.1) is installed, the same inputs are run
through it and the results, addresses, routes and iptables masquerade rules compared; a
node switched between the two with pods running leaks nothing. The differences asserted
are the ones docs/plugins/ptp.md lists.
"""
import json
import os
import re
import shutil
import subprocess

import cnitest
from cnitest import CNITestCase, run_plugin

GO_PLUGIN = os.path.join(cnitest.REFERENCE_BIN, "ptp")
VERSIONS = ("0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0")
NET = "ptpnet"
SUBNET = "10.66.0.0/24"
SUBNET6 = "fd66::/64"
OUT_NODE = "192.168.66.1"
OUT_PEER = "192.168.66.2"


class PtpTest(CNITestCase):
    maxDiff = None
    needs_netns = True

    def setUp(self):
        super().setUp()
        cnitest.require(self, ("ptp", "host-local", "static"), ("ping",))
        self.node = self.netns("ptpnode")
        self.data = os.path.join(self.tmpdir(), "ipam")
        self.path = cnitest.plugin_dir(self, ("ptp", "host-local", "static"))

    # ---- helpers ---------------------------------------------------------------------

    def ipam(self, v4=True, v6=False, **kw):
        ranges = []
        if v4:
            ranges.append([{"subnet": SUBNET, "rangeStart": "10.66.0.10",
                            "rangeEnd": "10.66.0.20"}])
        if v6:
            ranges.append([{"subnet": SUBNET6, "rangeStart": "fd66::10",
                            "rangeEnd": "fd66::20"}])
        i = {"type": "host-local", "ranges": ranges, "dataDir": self.data}
        i.update(kw)
        return i

    def conf(self, version="1.0.0", ipam=True, **kw):
        c = {"cniVersion": version, "name": NET, "type": "ptp"}
        if ipam is True:
            c["ipam"] = self.ipam()
        elif ipam is not None:
            c["ipam"] = ipam
        c.update(kw)
        return c

    def plug(self, cmd, conf, ctr, cid="cid1", ifname="eth0", netns=None, plugin="ptp",
             path=None, **kw):
        """Run `plugin` (ours by name, or an absolute path such as the Go one) in the node
        namespace for the container `ctr`."""
        if netns is None:
            netns = ctr.path if ctr else ""
        return run_plugin(plugin, cmd, conf, containerid=cid, netns=netns, ifname=ifname,
                          in_netns=self.node.name, path=path or self.path, **kw)

    def go(self, cmd, conf, ctr, **kw):
        return self.plug(cmd, conf, ctr, plugin=GO_PLUGIN, path=cnitest.REFERENCE_BIN, **kw)

    def require_go(self):
        if not os.path.exists(GO_PLUGIN):
            self.skipTest("no reference ptp at " + GO_PLUGIN)

    def add(self, conf, ctr, **kw):
        return self.assertOK(self.plug("ADD", conf, ctr, **kw))

    def links(self, ns):
        return sorted(l["ifname"] for l in ns.json("ip -j link show") if l["ifname"] != "lo")

    def reservations(self, net=NET):
        return cnitest.ipam_reservations(os.path.join(self.data, net))

    def ping(self, ns, addr):
        # An answer ends the wait: the long bound only covers a hang.
        p = subprocess.run(["nsenter", "--net=" + ns.path, "--", "ping", "-c", "1", "-W", "30",
                            addr], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, "ping %s from %s failed:\n%s%s" %
                         (addr, ns.name, p.stdout, p.stderr))

    def routes(self, ns, dev=None, family="-4"):
        """The routes of the main table as `ip route` prints them (dev narrowed), the
        kernel's link-local and multicast ones left out."""
        out = ns.sh("ip %s route show table main %s" % (family, "dev " + dev if dev else ""))
        return sorted(l.strip() for l in out.splitlines()
                      if l.strip() and not l.startswith(("fe80::", "multicast")))

    def addrs(self, ns, dev, family="-4"):
        return sorted("%s/%d" % (a["local"], a["prefixlen"])
                      for a in ns.json("ip -j %s addr show dev %s" % (family, dev))[0]["addr_info"]
                      if a.get("scope") != "link")

    def host_veths(self):
        return [l for l in self.links(self.node) if l.startswith("veth")]

    def masq_nft(self):
        """Comments of the nftables masquerade rules in the node."""
        out = self.node.sh("nft -j list chain inet cni_plugins_masquerade masq_checks",
                           check=False)
        if not out.strip():
            return []
        return [e["rule"].get("comment") for e in json.loads(out)["nftables"] if "rule" in e]

    def masq_xt(self):
        """The iptables ipMasq lines (both families) of the node: CNI- chains and jumps."""
        return [l for l in cnitest.iptables_save(self.node).splitlines()
                if "CNI-" in l and not l.startswith("*")]

    def outside(self):
        """A namespace outside the node, joined to it by a veth (192.168.66.0/24); the node
        forwards between it and the containers."""
        out = self.netns("ptpout")
        self.node.sh("ip link add out0 type veth peer name eth0 netns %s" % out.name)
        self.node.sh("ip addr add %s/24 dev out0 && ip link set out0 up" % OUT_NODE)
        out.sh("ip addr add %s/24 dev eth0 && ip link set eth0 up" % OUT_PEER)
        return out

    def wait_gone(self):
        """Wait until the veths of deleted container namespaces are gone from the node (the
        kernel dismantles a namespace after its last user left)."""
        cnitest.wait_for(lambda: not self.host_veths(), "container veths gone from the node")

    def assert_clean(self, ctrs=(), net=NET):
        """Nothing of an attachment left: no veth on the node, no link in the containers,
        no reservation, no masquerade rule of either layout."""
        self.assertEqual(self.host_veths(), [])
        for c in ctrs:
            self.assertEqual(self.links(c), [])
        self.assertEqual(self.reservations(net), [])
        self.assertEqual(self.masq_nft(), [])
        self.assertEqual(self.masq_xt(), [])
        self.assertEqual([r for r in self.routes(self.node) + self.routes(self.node, family="-6")
                          if "veth" in r], [])

    # ---- ADD, CHECK, DEL ---------------------------------------------------------------

    def test_add_check_del_and_traffic(self):
        c1, c2 = self.netns("ptpc"), self.netns("ptpc")
        conf = self.conf(ipam=self.ipam(routes=[{"dst": "0.0.0.0/0"}]))
        res = self.add(conf, c1)
        host = self.host_veths()
        self.assertEqual(len(host), 1)
        self.assertRegex(host[0], r"^veth[0-9a-f]{8}$")
        hl = self.node.json("ip -j -d link show %s" % host[0])[0]
        cl = c1.json("ip -j -d link show eth0")[0]
        self.assertEqual(hl["linkinfo"]["info_kind"], "veth")
        self.assertEqual(cl["linkinfo"]["info_kind"], "veth")
        self.assertEqual(res, {
            "cniVersion": "1.0.0",
            "interfaces": [{"name": host[0], "mac": hl["address"]},
                           {"name": "eth0", "mac": cl["address"], "sandbox": c1.path}],
            "ips": [{"interface": 1, "address": "10.66.0.10/24", "gateway": "10.66.0.1"}],
            "routes": [{"dst": "0.0.0.0/0"}],
        })
        # the container: its subnet through the gateway, only the gateway on-link
        self.assertEqual(self.addrs(c1, "eth0"), ["10.66.0.10/24"])
        self.assertEqual(self.routes(c1), sorted([
            "default via 10.66.0.1 dev eth0",
            "10.66.0.0/24 via 10.66.0.1 dev eth0 src 10.66.0.10",
            "10.66.0.1 dev eth0 scope link src 10.66.0.10"]))
        # the node: the gateway /32 on its end, a host route to the container
        self.assertEqual(self.addrs(self.node, host[0]), ["10.66.0.1/32"])
        self.assertEqual(self.routes(self.node), ["10.66.0.10 dev %s scope host" % host[0]])
        self.assertEqual(self.node.sh("cat /proc/sys/net/ipv4/ip_forward").strip(), "1")
        self.assertEqual(self.node.sh("cat /proc/sys/net/ipv6/conf/%s/accept_ra" %
                                      host[0]).strip(), "0")
        self.assertIn("UP", hl["flags"])
        # traffic: container and node both ways, container to container through the node
        res2 = self.add(conf, c2, cid="cid2")
        self.assertEqual(res2["ips"][0]["address"], "10.66.0.11/24")
        self.ping(c1, "10.66.0.1")
        self.ping(self.node, "10.66.0.10")
        self.ping(c1, "10.66.0.11")
        self.ping(c2, "10.66.0.10")
        self.assertOK(self.plug("CHECK", dict(conf, prevResult=res), c1))
        self.assertOK(self.plug("DEL", dict(conf, prevResult=res), c1))
        self.assertEqual(self.links(c1), [])
        self.assertEqual(self.reservations(), ["10.66.0.11"])
        self.assertOK(self.plug("DEL", dict(conf, prevResult=res), c1))
        self.assertOK(self.plug("DEL", conf, c2, cid="cid2"))
        self.assert_clean((c1, c2))

    def test_ipv6_and_dual_stack(self):
        for v4, v6 in ((False, True), (True, True)):
            with self.subTest(v4=v4, v6=v6):
                c1, c2 = self.netns("ptpc"), self.netns("ptpc")
                conf = self.conf(ipam=self.ipam(v4=v4, v6=v6))
                res = self.add(conf, c1)
                self.add(conf, c2, cid="cid2")
                host = self.host_veths()[0] if len(self.host_veths()) else None
                want = (["10.66.0.10/24"] if v4 else []) + ["fd66::10/64"]
                self.assertEqual([ip["address"] for ip in res["ips"]], want)
                self.assertTrue(all(ip["interface"] == 1 for ip in res["ips"]))
                hname = res["interfaces"][0]["name"]
                self.assertEqual(self.addrs(self.node, hname, "-6"), ["fd66::1/128"])
                # the node's gateway needs no DAD: usable at once (the reference's is not for
                # a second or two)
                self.assertIn("nodad", self.node.sh("ip -6 addr show dev %s" % hname))
                self.assertNotIn("tentative", self.node.sh("ip -6 addr show dev %s" % hname))
                self.assertIn("fd66::/64 via fd66::1 dev eth0 src fd66::10 metric 1024 "
                              "pref medium", self.routes(c1, family="-6"))
                self.assertIn("fd66::1 dev eth0 src fd66::10 metric 1024 pref medium",
                              self.routes(c1, family="-6"))
                self.assertNotIn("fd66::/64 dev eth0 proto kernel metric 256 pref medium",
                                 self.routes(c1, family="-6"))
                self.assertIn("fd66::10 dev %s metric 1024 pref medium" % hname,
                              self.routes(self.node, family="-6"))
                self.assertIsNotNone(host)
                self.assertEqual(self.node.sh(
                    "cat /proc/sys/net/ipv6/conf/all/forwarding").strip(), "1")
                self.ping(c1, "fd66::1")
                self.ping(c1, "fd66::11")
                if v4:
                    self.ping(c1, "10.66.0.11")
                self.assertOK(self.plug("CHECK", dict(conf, prevResult=res), c1))
                self.assertOK(self.plug("DEL", conf, c1))
                self.assertOK(self.plug("DEL", conf, c2, cid="cid2"))
                self.assertEqual(self.host_veths(), [])
                self.assertEqual(self.reservations(), [])

    def test_versions(self):
        for v in VERSIONS:
            with self.subTest(version=v):
                ctr = self.netns("ptpc")
                # a store of its own: each version gets the range's first address
                self.data = os.path.join(self.tmpdir(), "ipam")
                conf = self.conf(version=v)
                res = self.add(conf, ctr)
                self.assertEqual(res["cniVersion"], v)
                if v in ("0.1.0", "0.2.0"):
                    self.assertEqual(res["ip4"]["ip"], "10.66.0.10/24")
                    self.assertEqual(res["ip4"]["gateway"], "10.66.0.1")
                    self.assertNotIn("interfaces", res)
                else:
                    self.assertEqual(res["interfaces"][1]["name"], "eth0")
                    self.assertEqual(res["ips"][0]["interface"], 1)
                    if v.startswith("0.3"):
                        self.assertEqual(res["ips"][0]["version"], "4")
                if v not in ("0.1.0", "0.2.0", "0.3.0", "0.3.1"):
                    self.assertOK(self.plug("CHECK", dict(conf, prevResult=res), ctr))
                else:
                    r = self.plug("CHECK", dict(conf, prevResult=res), ctr)
                    self.assertCNIError(r, 1, "config version does not allow CHECK")
                self.ping(ctr, "10.66.0.1")
                if v == "1.1.0":
                    self.assertOK(self.plug("STATUS", conf, None))
                self.assertOK(self.plug("DEL", conf, ctr))
                self.assert_clean((ctr,))

    def test_mtu(self):
        ctr = self.netns("ptpc")
        res = self.add(self.conf(mtu=1400), ctr)
        self.assertEqual(ctr.json("ip -j link show eth0")[0]["mtu"], 1400)
        self.assertEqual(self.node.json("ip -j link show %s" %
                                        res["interfaces"][0]["name"])[0]["mtu"], 1400)
        self.ping(ctr, "10.66.0.1")
        self.assertOK(self.plug("DEL", self.conf(), ctr))
        r = self.plug("ADD", self.conf(mtu=70000), ctr)
        self.assertCNIError(r, 7, "'mtu' 70000 out of range")
        self.assert_clean((ctr,))

    def test_dns(self):
        ctr = self.netns("ptpc")
        rc = os.path.join(self.tmpdir(), "resolv.conf")
        with open(rc, "w") as f:
            f.write("nameserver 10.66.0.53\nsearch ipam.example\n")
        ipam = self.ipam(resolvConf=rc)
        res = self.add(self.conf(ipam=ipam), ctr)
        self.assertEqual(res["dns"], {"nameservers": ["10.66.0.53"], "search": ["ipam.example"]})
        self.assertOK(self.plug("DEL", self.conf(ipam=ipam), ctr))
        # the config's dns when it sets anything; an empty one keeps IPAM's
        res = self.add(self.conf(ipam=ipam, dns={"nameservers": ["1.1.1.1"]}), ctr)
        self.assertEqual(res["dns"], {"nameservers": ["1.1.1.1"]})
        self.assertOK(self.plug("DEL", self.conf(ipam=ipam), ctr))
        res = self.add(self.conf(ipam=ipam, dns={}), ctr)
        self.assertEqual(res["dns"]["nameservers"], ["10.66.0.53"])
        self.assertOK(self.plug("DEL", self.conf(ipam=ipam), ctr))
        # an empty list is a setting, as in the reference: IPAM's DNS is dropped
        res = self.add(self.conf(ipam=ipam, dns={"nameservers": []}), ctr)
        self.assertNotIn("dns", res)
        self.assertOK(self.plug("DEL", self.conf(ipam=ipam), ctr))

    # ---- masquerade ----------------------------------------------------------------------

    def test_masq_traffic_and_backends(self):
        out = self.outside()
        # the outside answers each connection with the address it came from
        p = subprocess.Popen(["ip", "netns", "exec", out.name, "socat",
                              "TCP4-LISTEN:7000,fork,reuseaddr",
                              "SYSTEM:read -r line; echo $SOCAT_PEERADDR"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
        self.addCleanup(lambda: (os.killpg(p.pid, 9), p.wait()))
        cnitest.wait_for(lambda: out.sh("ss -Hltn 'sport = :7000'").strip(), "socat listening")
        for backend in (None, "nftables", "iptables"):
            with self.subTest(backend=backend):
                ctr = self.netns("ptpc")
                extra = {"ipMasq": True}
                if backend:
                    extra["ipMasqBackend"] = backend
                conf = self.conf(ipam=self.ipam(routes=[{"dst": "0.0.0.0/0"}]), **extra)
                res = self.add(conf, ctr)
                if backend == "iptables":
                    self.assertEqual(self.masq_nft(), [])
                    self.assertIn(("-A POSTROUTING -s %s/32 -m comment --comment "
                                   "\"name: \\\"ptpnet\\\" id: \\\"cid1\\\"\" -j CNI-" %
                                   res["ips"][0]["address"].split("/")[0]) +
                                  cnitest.ref_hash(NET + "cid1", 24),
                                  "\n".join(self.masq_xt()))
                else:
                    self.assertEqual(self.masq_nft(), [cnitest.masq_comment(NET, "eth0",
                                                                            "cid1")])
                    self.assertEqual(self.masq_xt(), [])
                # the outside sees the node's address, not the container's
                self.assertEqual(cnitest.socat_request(ctr, "TCP4:%s:7000" % OUT_PEER),
                                 OUT_NODE)
                self.assertOK(self.plug("CHECK", dict(conf, prevResult=res), ctr))
                self.assertOK(self.plug("DEL", conf, ctr))
                self.assert_clean((ctr,))

    def test_del_netns_gone_removes_masq(self):
        for backend in ("nftables", "iptables"):
            with self.subTest(backend=backend):
                ctr = self.netns("ptpc")
                conf = self.conf(ipMasq=True, ipMasqBackend=backend)
                self.add(conf, ctr)
                self.assertTrue(self.masq_nft() or self.masq_xt())
                ctr.close()
                # the reference leaks the rules here (it reads the addresses from the link)
                self.assertOK(self.plug("DEL", conf, None, netns=ctr.path))
                self.wait_gone()
                self.assert_clean()
                self.assertOK(self.plug("DEL", conf, None, netns=ctr.path))

    def test_del_empty_netns_removes_masq(self):
        ctr = self.netns("ptpc")
        conf = self.conf(ipMasq=True)
        self.add(conf, ctr)
        self.assertOK(self.plug("DEL", conf, None, netns=""))
        self.assertEqual(self.masq_nft(), [])
        self.assertEqual(self.reservations(), [])
        # the veth stays with the container, as with the reference: the runtime deletes
        # the namespace
        ctr.close()
        self.wait_gone()
        self.assert_clean()

    def test_del_releases_ipam_before_the_link_goes(self):
        # A DHCP lease is released on the container's interface, so IPAM DEL must run while
        # it still exists (the reference's order too).
        seen = os.path.join(self.tmpdir(), "seen")
        spy = os.path.join(self.tmpdir(), "spy-ipam")
        with open(spy, "w") as f:
            f.write('#!/bin/sh\n'
                    'if [ "$CNI_COMMAND" = DEL ]; then\n'
                    '  if nsenter --net="$CNI_NETNS" ip link show "$CNI_IFNAME" >/dev/null 2>&1\n'
                    '  then echo present > %s; else echo absent > %s; fi\n'
                    'fi\n'
                    'exec %s "$@"\n' % (seen, seen, cnitest.plugin_path("host-local")))
        os.chmod(spy, 0o755)
        path = cnitest.plugin_dir(self, ("ptp",), {"spy-ipam": spy})
        ctr = self.netns("ptpc")
        conf = self.conf(ipam=self.ipam(type="spy-ipam"))
        self.add(conf, ctr, path=path)
        self.assertOK(self.plug("DEL", conf, ctr, path=path))
        with open(seen) as f:
            self.assertEqual(f.read().strip(), "present")
        self.assertEqual(self.links(ctr), [])
        self.assertEqual(self.reservations(), [])

    def test_del_without_add(self):
        ctr = self.netns("ptpc")
        self.assertOK(self.plug("DEL", self.conf(ipMasq=True), ctr))
        self.assertOK(self.plug("DEL", self.conf(ipMasq=True), None, netns=""))
        self.assertOK(self.plug("DEL", self.conf(), None, netns="/run/netns/no-such-ptp"))
        # without IPAM there is nothing to release (the reference fails)
        self.assertOK(self.plug("DEL", self.conf(ipam=None), ctr))

    def test_gc(self):
        conf = self.conf(cniVersion="1.1.0", ipMasq=True)
        cs = [self.netns("ptpc") for _ in range(3)]
        for i, c in enumerate(cs):
            backend = "iptables" if i == 2 else "nftables"
            self.add(dict(conf, ipMasqBackend=backend), c, cid="c%d" % i)
        gc = dict(conf, **{"cni.dev/valid-attachments": [
            {"containerID": "c0", "ifname": "eth0"}]})
        self.assertOK(self.plug("GC", gc, None))
        self.assertEqual(self.masq_nft(), [cnitest.masq_comment(NET, "eth0", "c0")])
        self.assertEqual(self.masq_xt(), [])
        self.assertEqual(self.reservations(), ["10.66.0.10"])
        self.assertOK(self.plug("STATUS", conf, None))
        r = self.plug("STATUS", self.conf(version="1.1.0", ipam={}), None)
        self.assertCNIError(r, 999, "no plugin name provided")

    def test_no_iptables_exec(self):
        if not shutil.which("strace"):
            self.skipTest("no strace")
        ctr = self.netns("ptpc")
        conf = self.conf(ipMasq=True, ipMasqBackend="iptables")
        log = os.path.join(self.tmpdir(), "trace")
        for cmd in ("ADD", "DEL"):
            # LeakSanitizer cannot run under ptrace: a sanitizer build would fail at exit
            e = dict(os.environ, CNI_COMMAND=cmd, CNI_CONTAINERID="cid1", CNI_NETNS=ctr.path,
                     CNI_IFNAME="eth0", CNI_PATH=self.path, ASAN_OPTIONS="detect_leaks=0")
            p = subprocess.run(["nsenter", "--net=" + self.node.path, "--", "strace", "-f",
                                "-qq", "-e", "trace=execve", "-o", log,
                                cnitest.plugin_path("ptp")], input=json.dumps(conf).encode(),
                               env=e, capture_output=True)
            self.assertEqual(p.returncode, 0, p.stdout)
            with open(log) as f:
                execs = re.findall(r'execve\("([^"]+)"', f.read())
            self.assertEqual([os.path.basename(x) for x in execs], ["ptp", "host-local"])

    # ---- failed ADDs leave nothing ---------------------------------------------------

    def test_failed_add_ipam_exhausted(self):
        c1, c2 = self.netns("ptpc"), self.netns("ptpc")
        ipam = self.ipam(ranges=[[{"subnet": SUBNET, "rangeStart": "10.66.0.10",
                                   "rangeEnd": "10.66.0.10"}]])
        self.add(self.conf(ipam=ipam, ipMasq=True), c1)
        r = self.plug("ADD", self.conf(ipam=ipam, ipMasq=True), c2, cid="cid2")
        self.assertCNIError(r, 999, "no IP addresses available in range set")
        self.assertEqual(len(self.host_veths()), 1)
        self.assertEqual(self.links(c2), [])
        self.assertEqual(len(self.masq_nft()), 1)
        self.assertOK(self.plug("DEL", self.conf(ipam=ipam, ipMasq=True), c2, cid="cid2"))
        self.assertEqual(self.reservations(), ["10.66.0.10"])
        self.assertOK(self.plug("DEL", self.conf(ipam=ipam, ipMasq=True), c1))
        self.assert_clean((c1, c2))

    def test_failed_add_ifname_taken(self):
        # a clash after IPAM: the container already has an eth0
        ctr = self.netns("ptpc")
        ctr.sh("ip link add eth0 type veth peer name other0")
        r = self.plug("ADD", self.conf(ipMasq=True), ctr)
        self.assertCNIError(r, 999, 'container veth name ("eth0") peer provided ("veth')
        self.assertEqual(self.host_veths(), [])
        self.assertEqual(self.reservations(), [])
        self.assertEqual(self.masq_nft(), [])

    def test_failed_add_after_veth(self):
        # the node's end cannot take the gateway (two addresses, one gateway), and a route
        # IPAM returns cannot be added: everything made before is removed
        ctr = self.netns("ptpc")
        for ipam in ({"type": "static", "addresses": [
                         {"address": "10.66.0.5/24", "gateway": "10.66.0.1"},
                         {"address": "10.66.0.6/24", "gateway": "10.66.0.1"}]},
                     self.ipam(routes=[{"dst": "10.99.0.0/16", "gw": "10.200.0.1"}])):
            r = self.plug("ADD", self.conf(ipam=ipam, ipMasq=True), ctr)
            self.assertCNIError(r, 999)
            self.assertRegex(r.json["msg"], "failed to add (IP addr 10.66.0.1/32 to veth|route)")
            self.assert_clean((ctr,))

    def test_failed_add_no_gateway(self):
        ctr = self.netns("ptpc")
        ipam = {"type": "static", "addresses": [{"address": "10.66.0.5/24"}]}
        r = self.plug("ADD", self.conf(ipam=ipam), ctr)
        self.assertCNIError(r, 999, "IPAM plugin returned address 10.66.0.5/24 without a "
                                    "gateway of its family")
        self.assert_clean((ctr,))

    def test_failed_add_netns_missing_and_no_ipam(self):
        r = self.plug("ADD", self.conf(), None, netns="/run/netns/no-such-ptp")
        self.assertCNIError(r, 999, 'failed to open netns "/run/netns/no-such-ptp"')
        self.assert_clean()
        ctr = self.netns("ptpc")
        r = self.plug("ADD", self.conf(ipam={}), ctr)
        self.assertCNIError(r, 999, "no plugin name provided")
        r = self.plug("ADD", self.conf(ipMasqBackend="pf"), ctr)
        self.assertCNIError(r, 7, 'unknown ipmasq backend "pf"')
        self.assert_clean((ctr,))

    # ---- CHECK -------------------------------------------------------------------------

    def test_check_errors(self):
        ctr = self.netns("ptpc")
        conf = self.conf(ipMasq=True)
        res = self.add(conf, ctr)
        host = res["interfaces"][0]["name"]
        chk = dict(conf, prevResult=res)
        self.assertOK(self.plug("CHECK", chk, ctr))
        r = self.plug("CHECK", conf, ctr)
        self.assertCNIError(r, 999, "ptp: Required prevResult missing")
        bad = json.loads(json.dumps(res))
        bad["interfaces"][1]["mac"] = "02:00:00:00:00:01"
        r = self.plug("CHECK", dict(conf, prevResult=bad), ctr)
        self.assertCNIError(r, 999, "ptp: Interface eth0 Mac 02:00:00:00:00:01 doesn't match "
                                    "container Mac")
        r = self.plug("CHECK", chk, self.netns("ptpc"))
        self.assertCNIError(r, 999, "Sandbox in prevResult  doesn't match configured netns")
        # ours: the node's end, its gateway and host route, the masquerade rule
        self.node.sh("ip route del 10.66.0.10 dev %s" % host)
        r = self.plug("CHECK", chk, ctr)
        self.assertCNIError(r, 999, "ptp: host route to 10.66.0.10 via %s not found" % host)
        self.node.sh("ip route add 10.66.0.10 dev %s scope host" % host)
        self.node.sh("ip addr del 10.66.0.1/32 dev %s" % host)
        r = self.plug("CHECK", chk, ctr)
        self.assertCNIError(r, 999, "ptp: host interface %s lacks the gateway address of "
                                    "10.66.0.10/24" % host)
        self.node.sh("ip addr add 10.66.0.1/32 dev %s" % host)
        self.node.sh("ip route replace 10.66.0.10 dev %s scope host" % host)
        self.assertOK(self.plug("CHECK", chk, ctr))
        self.node.sh("nft flush chain inet cni_plugins_masquerade masq_checks")
        r = self.plug("CHECK", chk, ctr)
        self.assertCNIError(r, 999, "ptp: IP masquerade rule for 10.66.0.10/24 not found")
        self.node.sh("ip link add dummyh type veth peer name dummyp")
        bad = json.loads(json.dumps(res))
        bad["interfaces"][0]["name"] = "dummyh"
        r = self.plug("CHECK", dict(conf, ipMasq=False, prevResult=bad), ctr)
        self.assertCNIError(r, 999, "ptp: host interface dummyh is not the peer of container "
                                    "interface eth0")
        self.node.sh("ip link del dummyh")
        ctr.sh("ip route del 10.66.0.0/24")
        r = self.plug("CHECK", dict(conf, ipMasq=False, prevResult=res), ctr)
        self.assertCNIError(r, 999, "Failed to find Gateway 10.66.0.0/24 for interface eth0")
        self.assertOK(self.plug("DEL", conf, ctr))
        self.assert_clean((ctr,))

    def test_config_errors(self):
        ctr = self.netns("ptpc")
        for conf, code, msg in (
                (self.conf(ipMasq="yes"), 7, "ipMasq"),
                (self.conf(mtu="1500"), 7, "mtu"),
                (self.conf(ipam=[]), 7, "ipam"),
                (self.conf(dns=[]), 7, "dns"),
                (self.conf(ipMasqBackend=1), 7, "ipMasqBackend")):
            r = self.plug("ADD", conf, ctr)
            self.assertCNIError(r, code, msg)
        self.assert_clean((ctr,))

    # ---- the reference (Debian's Go ptp 1.1.1) ----------------------------------------

    def state(self, ctr, res):
        """What an attachment made, names and MACs masked: container and node addresses
        and routes, the iptables masquerade lines."""
        host = res["interfaces"][0]["name"]
        mask = lambda lines: [l.replace(host, "HOSTVETH") for l in lines]
        xt = [re.sub(r"\[\d+:\d+\]", "", l) for l in self.masq_xt()]
        return {
            "c4": self.addrs(ctr, "eth0"), "c6": self.addrs(ctr, "eth0", "-6"),
            "cr4": self.routes(ctr), "cr6": self.routes(ctr, family="-6"),
            "h4": self.addrs(self.node, host), "h6": self.addrs(self.node, host, "-6"),
            "hr4": mask(self.routes(self.node)), "hr6": mask(self.routes(self.node,
                                                                         family="-6")),
            "mtu": (ctr.json("ip -j link show eth0")[0]["mtu"],
                    self.node.json("ip -j link show " + host)[0]["mtu"]),
            "xt": sorted(xt),
        }

    @staticmethod
    def masked(res):
        r = json.loads(json.dumps(res))
        for i in r.get("interfaces", []):
            i.pop("mac", None)
            if "sandbox" in i:
                i["sandbox"] = "SANDBOX"
            if i["name"].startswith("veth"):
                i["name"] = "HOSTVETH"
        if r.get("dns") == {}:
            del r["dns"]
        return r

    def test_compare_with_reference(self):
        self.require_go()
        for v4, v6 in ((True, False), (True, True)):
            with self.subTest(v4=v4, v6=v6):
                got = {}
                for who in ("go", "ours"):
                    # a store of its own: both get the range's first addresses
                    self.data = os.path.join(self.tmpdir(), "ipam")
                    ipam = self.ipam(v4=v4, v6=v6, routes=[{"dst": "0.0.0.0/0"}] +
                                     ([{"dst": "::/0"}] if v6 else []))
                    conf = self.conf(ipam=ipam, ipMasq=True, mtu=1400,
                                     dns={"nameservers": ["10.66.0.1"]})
                    ctr = self.netns("ptpc")
                    c = dict(conf, ipMasqBackend="iptables") if who == "ours" else conf
                    run = self.go if who == "go" else self.plug
                    res = self.assertOK(run("ADD", c, ctr))
                    got[who] = (self.masked(res), self.state(ctr, res))
                    self.ping(ctr, "10.66.0.1")
                    self.assertOK(run("CHECK", dict(c, prevResult=res), ctr))
                    self.assertOK(run("DEL", c, ctr))
                    self.assert_clean((ctr,))
                self.assertEqual(got["ours"][0], got["go"][0])
                self.assertEqual(got["ours"][1], got["go"][1])

    def test_compare_errors_with_reference(self):
        self.require_go()
        ctr = self.netns("ptpc")
        for conf, code_go, code in (
                (self.conf(ipam={}), 999, 999),
                (self.conf(ipam={"type": "no-such-ipam"}), 999, 999)):
            rg = self.go("ADD", conf, ctr)
            r = self.plug("ADD", conf, ctr)
            self.assertCNIError(rg, code_go)
            self.assertCNIError(r, code)
            self.assertEqual(r.json["msg"].replace(self.path, cnitest.REFERENCE_BIN),
                             rg.json["msg"])
        r = self.plug("ADD", self.conf(), None, netns="/run/netns/no-such-ptp")
        rg = self.go("ADD", self.conf(), None, netns="/run/netns/no-such-ptp")
        self.assertEqual(r.json["msg"].split(":")[0], rg.json["msg"].split(":")[0])
        self.assert_clean((ctr,))

    def test_switch_with_reference_and_back(self):
        """Pods attached by one implementation and removed by the other, both ways, with
        ipMasq on: nothing leaks."""
        self.require_go()
        conf = self.conf(ipMasq=True)
        a, b, c = self.netns("ptpc"), self.netns("ptpc"), self.netns("ptpc")
        # the node runs the reference: pod a
        ra = self.assertOK(self.go("ADD", conf, a, cid="pa"))
        # switched to ours: pod b follows the iptables layout the node holds
        rb = self.add(conf, b, cid="pb")
        self.assertEqual(self.masq_nft(), [])
        self.assertEqual(len([l for l in self.masq_xt() if l.startswith("-A POSTROUTING")]), 2)
        self.assertOK(self.plug("CHECK", dict(conf, prevResult=ra), a, cid="pa"))
        # ours removes the reference's pod
        self.assertOK(self.plug("DEL", dict(conf, prevResult=ra), a, cid="pa"))
        self.assertEqual(len([l for l in self.masq_xt() if l.startswith("-A POSTROUTING")]), 1)
        # back to the reference: it removes our pod, and attaches pod c
        self.assertOK(self.go("DEL", dict(conf, prevResult=rb), b, cid="pb"))
        self.assertEqual(self.masq_xt(), [])
        rc = self.assertOK(self.go("ADD", conf, c, cid="pc"))
        # ours again, with c's netns gone: DEL removes its rules by name
        c.close()
        self.assertOK(self.plug("DEL", dict(conf, prevResult=rc), None, netns=c.path,
                                cid="pc"))
        self.wait_gone()
        self.assert_clean((a, b))

    def test_clean_node_then_reference(self):
        """On a node without the reference's iptables state our default is nftables, which
        Debian's 1.1.1 DEL does not know: its first DEL removes the veth and the reservation
        and fails on the missing iptables chain, the next succeeds and leaves the nftables
        rule (the newest reference removes both layouts); our GC removes it."""
        self.require_go()
        conf = self.conf(cniVersion="1.1.0", ipMasq=True)
        ctr = self.netns("ptpc")
        res = self.add(conf, ctr, cid="pd")
        self.assertEqual(self.masq_nft(), [cnitest.masq_comment(NET, "eth0", "pd")])
        go_conf = dict(conf, cniVersion="1.0.0", prevResult=res)
        r = self.go("DEL", go_conf, ctr, cid="pd")
        self.assertCNIError(r, 999, "does not exist")
        self.assertEqual(self.host_veths(), [])
        self.assertEqual(self.reservations(), [])
        self.assertOK(self.go("DEL", go_conf, ctr, cid="pd"))
        self.assertEqual(self.masq_nft(), [cnitest.masq_comment(NET, "eth0", "pd")])
        self.assertOK(self.plug("GC", dict(conf, **{"cni.dev/valid-attachments": []}), None))
        self.assert_clean((ctr,))
