# SPDX-License-Identifier: Apache-2.0
"""bin/ipvlan: every verb and CNI version, the master from the config, from prevResult and
from the default route, modes l2/l3/l3s, mtu, linkInContainer, chaining without IPAM,
DNS, DEL in every state (twice, without ADD, netns gone, master gone, no default route),
failed ADDs leaving nothing, traffic between the container and a peer on the master's
network, and Debian's Go ipvlan (1.1.1) on the same inputs.

The "node" is a namespace of the test's own holding the master m0, one end of a veth whose
other end p0 is in a "peer" namespace. Tests that create an ipvlan need the kernel's ipvlan
driver and skip without it (make check-vm runs them); the error cases that fail before a
link is made run everywhere.
"""
import json
import os
import subprocess

import cnitest
from cnitest import CNITestCase

GO_IPVLAN = os.path.join(cnitest.REFERENCE_BIN, "ipvlan")
SUBNET = "10.77.0.0/24"
PEER_IP = "10.77.0.1"


class IfaceCase(CNITestCase):
    """What the ipvlan and vlan tests share: node, peer, container namespaces, the plugin
    run inside the node, host-local's reservations, links and addresses."""
    needs_netns = True
    PLUGIN = "ipvlan"
    FEATURE = "ipvlan"

    def setUp(self):
        super().setUp()
        cnitest.require(self, plugins=(self.PLUGIN, "host-local", "static"),
                        tools=("ping",))
        self.data = self.tmpdir()
        self.path = cnitest.plugin_dir(self, plugins=(self.PLUGIN, "host-local", "static"))
        self.node = self.netns("ifnode")
        self.peer = self.netns("ifpeer")
        self.node.sh("ip link add m0 type veth peer name p0 netns %s && ip link set m0 up"
                     % self.peer.name)
        self.peer.sh("ip link set p0 up")

    # ---- helpers ---------------------------------------------------------------------

    def need_kernel(self):
        cnitest.require_kernel(self, self.FEATURE)

    def container(self, prefix="ifctr"):
        return self.netns(prefix)

    def ipam(self, **kw):
        ipam = {"type": "host-local", "subnet": SUBNET, "rangeStart": "10.77.0.10",
                "dataDir": self.data}
        ipam.update(kw)
        return {k: v for k, v in ipam.items() if v is not None}

    def plug(self, command, conf, ctr, cid="c1", ifname="eth0", node=None, netns=None):
        """Run our plugin in the node (or `node`) for container ctr (a Netns or None)."""
        if netns is None:
            netns = ctr.path if ctr is not None else ""
        return cnitest.run_plugin(self.PLUGIN, command, conf, containerid=cid, netns=netns,
                                  ifname=ifname, path=self.path,
                                  in_netns=(node or self.node).name)

    def go(self, command, conf, ctr, cid="c1", ifname="eth0", node=None, netns=None):
        """The same through Debian's Go plugin (its CNI_PATH: the reference's directory)."""
        if netns is None:
            netns = ctr.path if ctr is not None else ""
        return cnitest.run_reference(self.PLUGIN, command, conf, cid, netns,
                                     node=(node or self.node).name, ifname=ifname)

    def need_go(self):
        if not os.path.exists(os.path.join(cnitest.REFERENCE_BIN, self.PLUGIN)):
            self.skipTest("no reference %s in %s" % (self.PLUGIN, cnitest.REFERENCE_BIN))

    def add(self, conf, ctr, **kw):
        r = self.plug("ADD", conf, ctr, **kw)
        return self.assertOK(r)

    def delete(self, conf, ctr, **kw):
        self.assertOK(self.plug("DEL", conf, ctr, **kw))

    def check(self, conf, ctr, res, **kw):
        c = dict(conf, prevResult=res)
        return self.plug("CHECK", c, ctr, **kw)

    def links(self, ns):
        return {l["ifname"]: l for l in ns.json("ip -j -d link show")}

    def link(self, ns, name="eth0"):
        return self.links(ns).get(name)

    def parent(self, ns, name="eth0"):
        """The name of the lower link of ns's link name, found in the node when it is in
        another namespace."""
        l = self.link(ns, name)
        if "link" in l:
            return l["link"]
        return {v["ifindex"]: k for k, v in self.links(self.node).items()}[l["link_index"]]

    def addrs(self, ns, ifname="eth0"):
        out = ns.json("ip -j addr show dev %s" % ifname)
        return ["%s/%d" % (a["local"], a["prefixlen"]) for a in out[0]["addr_info"]
                if a.get("scope") != "link"] if out else []

    def sysctl(self, ns, path):
        return ns.sh("cat /proc/sys/net/%s" % path).strip()

    def reservations(self, net="n"):
        return cnitest.ipam_reservations(os.path.join(self.data, net))

    def temp_links(self, *nss):
        """Links with the plugins' temporary names ("veth" + 8 hex digits) in nss."""
        return [n for ns in nss for n in self.links(ns)
                if n.startswith("veth") and len(n) == 12]

    def assertNothingLeft(self, ctr, net="n"):
        """No link of the plugin in the container or the node, no temporary link, no
        reservation."""
        self.assertNotIn("eth0", self.links(ctr))
        self.assertEqual(self.temp_links(self.node, ctr), [])
        self.assertEqual(self.reservations(net), [])

    def assertSameError(self, theirs, ours):
        """The reference failed with our code and message (its 1.1.1 error JSON has no
        cniVersion)."""
        self.assertNotEqual(theirs.rc, 0, theirs)
        self.assertEqual({k: theirs.json.get(k) for k in ("code", "msg", "details")},
                         {k: ours.json.get(k) for k in ("code", "msg", "details")})

    def ping(self, ns, addr, check=True):
        """One ping: a reply is waited for generously (a guest under software emulation is
        slow; the reply ends the wait), the absence of one for 5 s."""
        p = subprocess.run(["nsenter", "--net=" + ns.path, "--", "ping", "-c", "1", "-W",
                            "30" if check else "5", addr], capture_output=True, text=True)
        if check:
            self.assertEqual(p.returncode, 0, "ping %s from %s failed:\n%s%s" %
                             (addr, ns.name, p.stdout, p.stderr))
        return p.returncode == 0

    def peer_addr(self, addr=PEER_IP + "/24", dev="p0"):
        self.peer.sh("ip addr add %s dev %s" % (addr, dev))


class IpvlanTest(IfaceCase):

    def conf(self, version="1.0.0", **kw):
        c = {"cniVersion": version, "name": "n", "type": "ipvlan", "master": "m0",
             "ipam": self.ipam()}
        c.update(kw)
        return {k: v for k, v in c.items() if v is not None}

    def master_mac(self):
        return self.link(self.node, "m0")["address"]

    # ---- ADD, CHECK, DEL -------------------------------------------------------------

    def test_add_check_del_l2(self):
        self.need_kernel()
        ctr = self.container()
        conf = self.conf()
        res = self.add(conf, ctr)
        self.assertEqual(res["cniVersion"], "1.0.0")
        self.assertEqual(res["interfaces"], [{"name": "eth0", "mac": self.master_mac(),
                                              "sandbox": ctr.path}])
        self.assertEqual(res["ips"], [{"address": "10.77.0.10/24", "gateway": "10.77.0.1",
                                       "interface": 0}])
        self.assertNotIn("dns", res)
        l = self.link(ctr)
        self.assertEqual(l["linkinfo"]["info_kind"], "ipvlan")
        self.assertEqual(l["linkinfo"]["info_data"]["mode"], "l2")
        self.assertEqual(l["address"], self.master_mac())
        self.assertIn("UP", l["flags"])
        self.assertEqual(self.addrs(ctr), ["10.77.0.10/24"])
        # Announced on link up, and no SLAAC next to IPAM's addresses.
        self.assertEqual(self.sysctl(ctr, "ipv4/conf/eth0/arp_notify"), "1")
        self.assertEqual(self.sysctl(ctr, "ipv6/conf/eth0/ndisc_notify"), "1")
        self.assertEqual(self.sysctl(ctr, "ipv6/conf/eth0/accept_ra"), "0")
        self.assertEqual(self.sysctl(ctr, "ipv6/conf/eth0/autoconf"), "0")
        self.assertEqual(self.reservations(), ["10.77.0.10"])
        # Traffic with a peer on the master's network.
        self.peer_addr()
        self.ping(ctr, PEER_IP)
        self.assertOK(self.check(conf, ctr, res))
        self.delete(conf, ctr)
        self.assertNothingLeft(ctr)
        self.assertIn("m0", self.links(self.node))
        self.delete(conf, ctr)

    def test_modes(self):
        """l3 and l3s: the node routes the container's packets (its own address on the
        master), the peer reaches the container's subnet through the node."""
        self.need_kernel()
        self.peer_addr()
        self.node.sh("ip addr add 10.77.0.2/24 dev m0")
        self.peer.sh("ip route add 10.88.0.0/24 via 10.77.0.2")
        for i, mode in enumerate(("l3", "l3s")):
            ctr = self.container()
            cid = "c%d" % i
            conf = self.conf(mode=mode, ipam=self.ipam(subnet="10.88.0.0/24", rangeStart=None,
                                                       routes=[{"dst": "0.0.0.0/0"}]))
            res = self.add(conf, ctr, cid=cid)
            self.assertEqual(self.link(ctr)["linkinfo"]["info_data"]["mode"], mode)
            self.ping(ctr, PEER_IP)
            self.assertOK(self.check(conf, ctr, res, cid=cid))
            r = self.check(self.conf(mode="l2"), ctr, res, cid=cid)
            self.assertCNIError(r, 999, "Container IPVlan mode %s does not match expected "
                                "value: l2" % mode)
            self.delete(conf, ctr, cid=cid)
            self.assertNotIn("eth0", self.links(ctr))

    def test_check_failures(self):
        self.need_kernel()
        ctr = self.container()
        conf = self.conf()
        res = self.add(conf, ctr)
        r = self.plug("CHECK", conf, ctr)
        self.assertCNIError(r, 999, "Required prevResult missing")
        other = dict(res, interfaces=[dict(res["interfaces"][0], sandbox="/other")])
        r = self.check(conf, ctr, other)
        self.assertCNIError(r, 999, "Sandbox in prevResult  doesn't match configured netns: "
                            + ctr.path)
        bad_mac = dict(res, interfaces=[dict(res["interfaces"][0], mac="02:00:00:00:00:01")])
        r = self.check(conf, ctr, bad_mac)
        self.assertCNIError(r, 999, "Interface eth0 Mac 02:00:00:00:00:01 doesn't match "
                            "container Mac: " + self.master_mac())
        ctr.sh("ip addr flush dev eth0")
        r = self.check(conf, ctr, res)
        self.assertCNIError(r, 999, "Failed to match addr 10.77.0.10/24 on interface eth0")
        r = self.check(dict(conf, master="m9"), ctr, res)
        self.assertCNIError(r, 999, 'failed to lookup master "m9": Link not found')
        self.delete(conf, ctr)

    def test_versions(self):
        self.need_kernel()
        for i, v in enumerate(("0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0")):
            ctr = self.container()
            cid = "v%d" % i
            conf = self.conf(version=v)
            res = self.add(conf, ctr, cid=cid)
            self.assertEqual(res["cniVersion"], v)
            if v in ("0.1.0", "0.2.0"):
                self.assertEqual(res["ip4"], {"ip": "10.77.0.%d/24" % (10 + i),
                                              "gateway": "10.77.0.1"})
                self.assertNotIn("interfaces", res)
            else:
                self.assertEqual(res["interfaces"][0]["name"], "eth0")
                ip = res["ips"][0]
                self.assertEqual(ip["address"], "10.77.0.%d/24" % (10 + i))
                self.assertEqual(ip["interface"], 0)
                self.assertEqual("version" in ip, v.startswith("0."))
            if v not in ("0.1.0", "0.2.0", "0.3.0", "0.3.1"):
                self.assertOK(self.check(conf, ctr, res, cid=cid))
            if v == "1.1.0":
                self.assertOK(self.plug("STATUS", conf, None, cid="", ifname=""))
                self.assertOK(self.plug("GC", dict(conf, **{"cni.dev/valid-attachments": []}),
                                        None, cid="", ifname=""))
            self.delete(conf, ctr, cid=cid)
            self.assertNotIn("eth0", self.links(ctr))
        self.assertEqual(self.reservations(), [])

    def test_ipv6_dual_stack(self):
        self.need_kernel()
        ctr = self.container()
        conf = self.conf(ipam=self.ipam(subnet=None, rangeStart=None, ranges=[
            [{"subnet": SUBNET, "rangeStart": "10.77.0.10"}],
            [{"subnet": "fd77::/64", "rangeStart": "fd77::10"}]],
            routes=[{"dst": "0.0.0.0/0"}, {"dst": "::/0"}]))
        res = self.add(conf, ctr)
        self.assertEqual([i["address"] for i in res["ips"]], ["10.77.0.10/24", "fd77::10/64"])
        self.assertIn("fd77::10/64", self.addrs(ctr))
        routes = ctr.json("ip -6 -j route show default")
        self.assertEqual([(r["gateway"], r["dev"]) for r in routes], [("fd77::1", "eth0")])
        self.peer_addr("fd77::1/64")
        self.ping(ctr, "fd77::1")
        self.assertOK(self.check(conf, ctr, res))
        self.delete(conf, ctr)

    def test_accept_ra_keeps_autoconf(self):
        self.need_kernel()
        ctr = self.container()
        conf = self.conf(acceptRA=True)
        self.add(conf, ctr)
        self.assertEqual(self.sysctl(ctr, "ipv6/conf/eth0/autoconf"), "1")
        self.assertNotEqual(self.sysctl(ctr, "ipv6/conf/eth0/accept_ra"), "0")
        self.delete(conf, ctr)

    def test_mtu(self):
        self.need_kernel()
        self.node.sh("ip link set m0 mtu 1500")
        ctr = self.container()
        conf = self.conf(mtu=1400)
        self.add(conf, ctr)
        self.assertEqual(self.link(ctr)["mtu"], 1400)
        self.delete(conf, ctr)
        r = self.plug("ADD", self.conf(mtu=9000), ctr)
        self.assertCNIError(r, 7, "invalid MTU 9000, must be [0, master MTU(1500)]")
        self.assertNothingLeft(ctr)

    def test_dns(self):
        self.need_kernel()
        ctr = self.container()
        static = {"type": "static", "addresses": [{"address": "10.77.0.5/24"}],
                  "dns": {"nameservers": ["10.77.0.53"]}}
        # IPAM's DNS when the config has none (the reference drops it).
        conf = self.conf(ipam=static)
        res = self.add(conf, ctr)
        self.assertEqual(res["dns"], {"nameservers": ["10.77.0.53"]})
        self.delete(conf, ctr)
        conf = self.conf(ipam=static, dns={"nameservers": ["1.1.1.1"], "search": ["x.org"]})
        res = self.add(conf, ctr)
        self.assertEqual(res["dns"], {"nameservers": ["1.1.1.1"], "search": ["x.org"]})
        self.delete(conf, ctr)

    # ---- the master ------------------------------------------------------------------

    def test_default_route_master(self):
        self.need_kernel()
        self.node.sh("ip addr add 10.77.0.2/24 dev m0 && ip route add default via 10.77.0.1")
        ctr = self.container()
        conf = self.conf(master=None)
        res = self.add(conf, ctr)
        self.assertEqual(self.parent(ctr), "m0")
        self.assertEqual(res["interfaces"][0]["mac"], self.master_mac())
        # CHECK takes the ipvlan's own lower link for the master ADD found (the reference
        # looks up "" and fails), also once the default route is gone.
        self.assertOK(self.check(conf, ctr, res))
        self.node.sh("ip route del default")
        self.assertOK(self.check(conf, ctr, res))
        self.need_go()
        r = self.go("CHECK", dict(conf, prevResult=res), ctr)
        self.assertCNIError(r, 999, 'failed to lookup master "": Link not found')
        # DEL needs no default route (the reference's does).
        r = self.go("DEL", conf, ctr)
        self.assertCNIError(r, 999, "no default route interface found")
        self.delete(conf, ctr)
        self.assertNothingLeft(ctr)

    def test_no_default_route(self):
        ctr = self.container()
        conf = self.conf(master=None)
        r = self.plug("ADD", conf, ctr)
        self.assertCNIError(r, 999, "no default route interface found")
        self.assertNothingLeft(ctr)
        self.need_go()
        self.assertSameError(self.go("ADD", conf, ctr), r)

    def test_chained_without_ipam(self):
        self.need_kernel()
        ctr = self.container()
        prev = {"cniVersion": "1.0.0", "interfaces": [{"name": "m0"}],
                "ips": [{"address": "10.77.0.5/24", "gateway": "10.77.0.1", "interface": 0}],
                "routes": [{"dst": "10.99.0.0/16"}],
                "dns": {"nameservers": ["10.77.0.53"]}}
        conf = self.conf(master=None, ipam=None, prevResult=prev)
        res = self.add(conf, ctr)
        self.assertEqual(res["interfaces"], [{"name": "eth0", "mac": self.master_mac(),
                                              "sandbox": ctr.path}])
        self.assertEqual(res["ips"], [{"address": "10.77.0.5/24", "gateway": "10.77.0.1",
                                       "interface": 0}])
        self.assertEqual(res["routes"], [{"dst": "10.99.0.0/16"}])
        self.assertEqual(res["dns"], {"nameservers": ["10.77.0.53"]})
        self.assertEqual(self.parent(ctr), "m0")
        self.assertEqual(self.addrs(ctr), ["10.77.0.5/24"])
        self.assertEqual([r["dst"] for r in ctr.json("ip -j route show 10.99.0.0/16")],
                         ["10.99.0.0/16"])
        self.peer_addr()
        self.ping(ctr, PEER_IP)
        self.assertOK(self.check(dict(conf, prevResult=res), ctr, res))
        self.delete(conf, ctr)
        self.assertNotIn("eth0", self.links(ctr))

    def test_chained_prev_lacks_single_interface(self):
        ctr = self.container()
        prev = {"cniVersion": "1.0.0", "interfaces": [{"name": "m0"}, {"name": "x"}],
                "ips": [{"address": "10.77.0.5/24", "interface": 0}]}
        conf = self.conf(master=None, ipam=None, prevResult=prev)
        r = self.plug("ADD", conf, ctr)
        self.assertCNIError(r, 999, "chained master failure. PrevResult lacks a single "
                            "named interface")
        self.assertNothingLeft(ctr)
        self.need_go()
        self.assertSameError(self.go("ADD", conf, ctr), r)

    def test_link_in_container(self):
        self.need_kernel()
        ctr = self.container()
        # The master is a veth end inside the container, its peer in the peer namespace.
        ctr.sh("ip link add net1 type veth peer name p1 netns %s && ip link set net1 up"
               % self.peer.name)
        self.peer.sh("ip link set p1 up && ip addr add 10.78.0.1/24 dev p1")
        conf = self.conf(master="net1", linkInContainer=True,
                         ipam=self.ipam(subnet="10.78.0.0/24", rangeStart=None))
        res = self.add(conf, ctr)
        self.assertEqual(self.parent(ctr), "net1")
        self.assertEqual(res["interfaces"][0]["mac"], self.link(ctr, "net1")["address"])
        self.ping(ctr, "10.78.0.1")
        self.assertOK(self.check(conf, ctr, res))
        # The node's master name is not looked at (none here), nor by STATUS.
        self.assertOK(self.plug("STATUS", dict(conf, cniVersion="1.1.0"), None, cid="",
                                ifname=""))
        self.delete(conf, ctr)
        self.assertIn("net1", self.links(ctr))
        self.assertNotIn("eth0", self.links(ctr))
        r = self.plug("ADD", dict(conf, master="nope"), ctr)
        self.assertCNIError(r, 999, 'failed to lookup master "nope": Link not found')
        self.assertNothingLeft(ctr)

    def test_missing_master(self):
        ctr = self.container()
        conf = self.conf(master="nope")
        r = self.plug("ADD", conf, ctr)
        self.assertCNIError(r, 999, 'failed to lookup master "nope": Link not found')
        self.assertNothingLeft(ctr)
        self.need_go()
        self.assertSameError(self.go("ADD", conf, ctr), r)

    def test_status(self):
        conf = self.conf(version="1.1.0")
        self.assertOK(self.plug("STATUS", conf, None, cid="", ifname=""))
        r = self.plug("STATUS", dict(conf, master="gone0"), None, cid="", ifname="")
        self.assertCNIError(r, 50, "master 'gone0' not found")
        # Without ipam and without master: nothing to ask.
        self.assertOK(self.plug("STATUS", self.conf(version="1.1.0", master=None, ipam=None),
                                None, cid="", ifname=""))

    # ---- DEL -------------------------------------------------------------------------

    def test_del_without_add_and_netns_states(self):
        ctr = self.container()
        conf = self.conf()
        self.delete(conf, ctr)
        self.delete(conf, None)
        self.delete(conf, None, netns="/run/netns/does-not-exist-ipvlan")
        # DEL reads nothing but ipam: a master that is gone and a bad mode do not matter.
        self.delete(self.conf(master="gone0", mode="bogus"), ctr)

    def test_del_netns_gone_releases(self):
        self.need_kernel()
        ctr = self.container()
        conf = self.conf()
        self.add(conf, ctr)
        path = ctr.path
        ctr.close()
        self.delete(conf, None, netns=path)
        self.assertEqual(self.reservations(), [])

    def test_del_master_gone(self):
        self.need_kernel()
        ctr = self.container()
        conf = self.conf()
        self.add(conf, ctr)
        self.node.sh("ip link del m0")
        self.assertNotIn("eth0", self.links(ctr))
        self.delete(conf, ctr)
        self.assertEqual(self.reservations(), [])
        self.delete(conf, ctr)

    def test_del_removes_link_of_interrupted_add(self):
        """An ADD killed between create and rename leaves its link under the temporary name
        in the container: DEL removes it (an ipvlan of another name stays)."""
        self.need_kernel()
        ctr = self.container()
        for name in ("vethdeadbeef", "keep0"):
            self.node.sh("ip link add link m0 name %s type ipvlan mode l2 && "
                         "ip link set %s netns %s" % (name, name, ctr.name))
        self.delete(self.conf(), ctr)
        self.assertNotIn("vethdeadbeef", self.links(ctr))
        self.assertIn("keep0", self.links(ctr))

    # ---- failed ADDs -----------------------------------------------------------------

    def test_failed_ipam_leaves_nothing(self):
        self.need_kernel()
        ctr = self.container()
        conf = self.conf(ipam={"type": "no-such-ipam"})
        r = self.plug("ADD", conf, ctr)
        self.assertCNIError(r, 999, 'failed to find plugin "no-such-ipam"')
        self.assertNothingLeft(ctr)
        # Chained without IPAM and prevResult without addresses: IPAM with no type.
        prev = {"cniVersion": "1.0.0", "interfaces": [{"name": "m0"}]}
        r = self.plug("ADD", self.conf(master=None, ipam=None, prevResult=prev), ctr)
        self.assertCNIError(r, 999, "no plugin name provided")
        self.assertNothingLeft(ctr)

    def test_failed_configure_releases_ipam(self):
        self.need_kernel()
        ctr = self.container()
        # A route via a gateway that is not on the link: ConfigureIface fails after IPAM.
        conf = self.conf(ipam=self.ipam(routes=[{"dst": "10.99.0.0/16", "gw": "10.200.0.1"}]))
        r = self.plug("ADD", conf, ctr)
        self.assertCNIError(r, 999, "failed to add route")
        self.assertNothingLeft(ctr)
        self.need_go()
        # The reference leaves the link (and the reservation) behind.
        r = self.go("ADD", conf, ctr, cid="g1")
        self.assertCNIError(r, 999, "failed to add route")
        self.assertIn("eth0", self.links(ctr))
        self.go("DEL", conf, ctr, cid="g1")

    def test_ifname_taken_in_container(self):
        self.need_kernel()
        ctr = self.container()
        ctr.sh("ip link add eth0 type veth peer name eth0p")
        r = self.plug("ADD", self.conf(), ctr)
        self.assertCNIError(r, 999, 'failed to rename ipvlan to "eth0"')
        self.assertEqual(self.temp_links(self.node, ctr), [])
        self.assertEqual(self.reservations(), [])
        self.assertEqual(self.link(ctr)["linkinfo"]["info_kind"], "veth")

    # ---- errors and comparison with the reference ------------------------------------

    def test_config_errors(self):
        ctr = self.container()
        r = self.plug("ADD", self.conf(mode="x"), ctr)
        self.assertCNIError(r, 7, 'unknown ipvlan mode: "x"')
        r = self.plug("ADD", self.conf(mtu="1400"), ctr)
        self.assertCNIError(r, 7, "mtu")
        r = self.plug("ADD", self.conf(master=3), ctr)
        self.assertCNIError(r, 7, "master")
        self.assertNothingLeft(ctr)
        self.need_go()
        # The reference says the same with code 999.
        g = self.go("ADD", self.conf(mode="x"), ctr)
        self.assertCNIError(g, 999, 'unknown ipvlan mode: "x"')

    def test_same_as_reference(self):
        """Our ipvlan and Debian's Go one on the same inputs: results and kernel state."""
        self.need_kernel()
        self.need_go()
        mine, theirs = self.container(), self.container()
        conf = self.conf(mode="l3", mtu=1400)
        res = self.add(conf, mine, cid="m")
        ref = self.assertOK(self.go("ADD", conf, theirs, cid="g"))
        orig = json.loads(json.dumps(ref))
        # 1.1.1 always prints dns (empty); the address differs by one.
        ref.pop("dns", None)
        ref["interfaces"][0]["sandbox"] = mine.path
        ref["ips"][0]["address"] = res["ips"][0]["address"]
        self.assertEqual(res, ref)
        lm, lt = self.link(mine), self.link(theirs)
        self.assertEqual(self.parent(mine), self.parent(theirs))
        for key in ("mtu", "address"):
            self.assertEqual(lm[key], lt[key], key)
        # The administrative flags (the carrier's and the operstate follow asynchronously).
        admin = lambda l: sorted(set(l["flags"]) - {"LOWER_UP", "NO-CARRIER", "M-DOWN"})
        self.assertEqual(admin(lm), admin(lt))
        self.assertEqual(lm["linkinfo"], lt["linkinfo"])
        for path in ("ipv4/conf/eth0/arp_notify", "ipv6/conf/eth0/disable_ipv6"):
            self.assertEqual(self.sysctl(mine, path), self.sysctl(theirs, path), path)
        strip = lambda rs: sorted((r["dst"], r.get("gateway"), r.get("scope")) for r in rs)
        self.assertEqual(strip(mine.json("ip -j route show")),
                         strip(theirs.json("ip -j route show")))
        # Each CHECKs the other's result; each DEL removes what the other made.
        self.assertOK(self.go("CHECK", dict(conf, prevResult=res), mine, cid="m"))
        self.assertOK(self.check(conf, theirs, orig, cid="g"))
        self.assertOK(self.go("DEL", conf, mine, cid="m"))
        self.delete(conf, theirs, cid="g")
        self.assertNothingLeft(mine)
        self.assertNothingLeft(theirs)
