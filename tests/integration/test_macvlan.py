# SPDX-License-Identifier: Apache-2.0
"""Black-box tests of bin/macvlan: a macvlan link of a master put into the container.

Every test works in namespaces of its own: a "node" namespace holding one end of a veth
pair as the master (the plugin runs inside it), a "peer" namespace holding the other end
with an address on the containers' subnet, and container namespaces. Real traffic goes
between a container and the peer. host-local keeps its reservations in a temporary dataDir.
Where Debian's Go macvlan (1.1.1) is installed, the same inputs are run through it and the
results, the kernel's links and the errors compared; the differences asserted are the ones
docs/plugins/macvlan.md lists.
"""
import json
import os
import subprocess

import cnitest
from cnitest import CNITestCase, run_plugin

GO_PLUGIN = os.path.join(cnitest.REFERENCE_BIN, "macvlan")
VERSIONS = ("0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0")
SUBNET = "10.77.0.0/24"
PEER_IP = "10.77.0.254"
PEER_IP6 = "fd77::fe"
MASTER = "mv0"
MAC = "02:77:00:00:00:05"


class MacvlanTest(CNITestCase):
    needs_netns = True

    def setUp(self):
        super().setUp()
        cnitest.require(self, ("macvlan", "host-local"), ("ping",))
        cnitest.require_kernel(self, "macvlan", what="macvlan links")
        self.node = self.netns("mvnode")
        self.peer = self.netns("mvpeer")
        self.data = os.path.join(self.tmpdir(), "ipam")
        self.path = cnitest.plugin_dir(self, ("macvlan", "host-local", "static"))
        self.master(self.node, self.peer, MASTER)

    # ---- helpers ---------------------------------------------------------------------

    def master(self, ns, peer, name, addr=PEER_IP):
        """A veth end `name` in ns (up) whose other end, in peer, holds addr/24 and
        fd77::fe/64."""
        ns.sh("ip link add %s type veth peer name p%s netns %s" % (name, name, peer.name))
        ns.sh("ip link set %s up" % name)
        peer.sh("ip link set p%s up && ip addr add %s/24 dev p%s && "
                "ip addr add %s/64 dev p%s nodad" % (name, addr, name, PEER_IP6, name))

    def ipam(self, **kw):
        i = {"type": "host-local", "ranges": [[{"subnet": SUBNET, "rangeStart": "10.77.0.10",
                                                "rangeEnd": "10.77.0.20"}]],
             "dataDir": self.data}
        i.update(kw)
        return i

    def conf(self, version="1.0.0", ipam=True, **kw):
        c = {"cniVersion": version, "name": "mvnet", "type": "macvlan", "master": MASTER}
        if ipam is True:
            c["ipam"] = self.ipam()
        elif ipam is not None:
            c["ipam"] = ipam
        c.update(kw)
        return c

    def plug(self, cmd, conf, ctr, cid="cid1", ifname="eth0", netns=None, plugin="macvlan",
             path=None, **kw):
        """Run `plugin` (ours by name, or an absolute path such as the Go one) in the node
        namespace for the container `ctr`."""
        if netns is None:
            netns = ctr.path if ctr else ""
        return run_plugin(plugin, cmd, conf, containerid=cid, netns=netns, ifname=ifname,
                          in_netns=self.node.name, path=path or self.path, **kw)

    def add(self, conf, ctr, **kw):
        return self.assertOK(self.plug("ADD", conf, ctr, **kw))

    def link(self, ns, ifname="eth0"):
        return ns.json("ip -j -d link show %s" % ifname)[0]

    def parent(self, ns, ifname="eth0"):
        """The name of the link's lower device: in ns itself, or in the node."""
        l = self.link(ns, ifname)
        if "link" in l:
            return l["link"]
        for n in self.node.json("ip -j link show"):
            if n["ifindex"] == l["link_index"]:
                return n["ifname"]
        return None

    def links(self, ns):
        """Names of every link of ns but lo."""
        return sorted(l["ifname"] for l in ns.json("ip -j link show") if l["ifname"] != "lo")

    def sysctl(self, ns, path):
        return ns.sh("cat /proc/sys/" + path).strip()

    def reservations(self, net="mvnet"):
        return cnitest.ipam_reservations(os.path.join(self.data, net))

    def ping(self, ns, addr):
        # An answer ends the wait: the long bound only covers a hang.
        p = subprocess.run(["nsenter", "--net=" + ns.path, "--", "ping", "-c", "1", "-W", "30",
                            addr], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, "ping %s from %s failed:\n%s%s" %
                         (addr, ns.name, p.stdout, p.stderr))

    def addr4(self, ns, ifname="eth0"):
        return [a["local"] + "/" + str(a["prefixlen"])
                for a in ns.json("ip -j -4 addr show dev %s" % ifname)[0]["addr_info"]]

    def assert_no_link(self, ctr):
        """Nothing of an ADD is left: no link in the container (no temp-named one either),
        no macvlan in the node."""
        self.assertEqual(self.links(ctr), [])
        self.assertEqual([l for l in self.links(self.node) if l != MASTER], [])

    # ---- ADD, CHECK, DEL ---------------------------------------------------------------

    def test_l3_add_check_del_and_traffic(self):
        ctr = self.netns("mvctr")
        conf = self.conf(ipam=self.ipam(routes=[{"dst": "0.0.0.0/0"}]))
        res = self.add(conf, ctr)
        l = self.link(ctr)
        self.assertEqual(l["linkinfo"]["info_kind"], "macvlan")
        self.assertEqual(l["linkinfo"]["info_data"]["mode"], "bridge")
        self.assertEqual(l["mtu"], 1500)
        self.assertIn("UP", l["flags"])
        self.assertEqual(res, {
            "cniVersion": "1.0.0",
            "interfaces": [{"name": "eth0", "mac": l["address"], "sandbox": ctr.path}],
            "ips": [{"interface": 0, "address": "10.77.0.10/24", "gateway": "10.77.0.1"}],
            "routes": [{"dst": "0.0.0.0/0"}],
        })
        self.assertEqual(self.addr4(ctr), ["10.77.0.10/24"])
        routes = ctr.json("ip -j route show default")
        self.assertEqual([(r["gateway"], r["dev"]) for r in routes], [("10.77.0.1", "eth0")])
        # only eth0 in the container, nothing new in the node
        self.assertEqual(self.links(ctr), ["eth0"])
        self.assertEqual(self.links(self.node), [MASTER])
        # announcements on, router advertisements off (IPAM assigns the addresses)
        self.assertEqual(self.sysctl(ctr, "net/ipv4/conf/eth0/arp_notify"), "1")
        self.assertEqual(self.sysctl(ctr, "net/ipv6/conf/eth0/ndisc_notify"), "1")
        self.assertEqual(self.sysctl(ctr, "net/ipv6/conf/eth0/accept_ra"), "0")
        self.assertEqual(self.sysctl(ctr, "net/ipv6/conf/eth0/autoconf"), "0")
        # traffic both ways between the container and the peer on the master's network
        self.ping(ctr, PEER_IP)
        self.ping(self.peer, "10.77.0.10")
        self.assertEqual(self.reservations(), ["10.77.0.10"])
        self.assertOK(self.plug("CHECK", dict(conf, prevResult=res), ctr))
        self.assertOK(self.plug("DEL", dict(conf, prevResult=res), ctr))
        self.assertEqual(self.links(ctr), [])
        self.assertEqual(self.reservations(), [])
        # DEL twice succeeds
        self.assertOK(self.plug("DEL", dict(conf, prevResult=res), ctr))

    def test_ipv6(self):
        ctr = self.netns("mvctr")
        ipam = self.ipam(ranges=[[{"subnet": "fd77::/64", "rangeStart": "fd77::10",
                                   "rangeEnd": "fd77::20"}]])
        res = self.add(self.conf(ipam=ipam), ctr)
        self.assertEqual(res["ips"][0]["address"], "fd77::10/64")
        self.ping(ctr, PEER_IP6)
        self.assertOK(self.plug("CHECK", dict(self.conf(ipam=ipam), prevResult=res), ctr))
        self.assertOK(self.plug("DEL", self.conf(ipam=ipam), ctr))

    def test_l2_only(self):
        ctr = self.netns("mvctr")
        default_ra = self.sysctl(ctr, "net/ipv6/conf/default/accept_ra")
        for ipam in (None, {}):
            res = self.add(self.conf(ipam=ipam), ctr)
            l = self.link(ctr)
            self.assertIn("UP", l["flags"])
            self.assertEqual(res, {"cniVersion": "1.0.0", "interfaces": [
                {"name": "eth0", "mac": l["address"], "sandbox": ctr.path}]})
            # L2 links keep the kernel's IPv6 defaults, and no announcements are set
            self.assertEqual(self.sysctl(ctr, "net/ipv6/conf/eth0/accept_ra"), default_ra)
            self.assertEqual(self.sysctl(ctr, "net/ipv4/conf/eth0/arp_notify"), "0")
            # an address of our own: the link carries traffic
            ctr.sh("ip addr add 10.77.0.50/24 dev eth0")
            self.ping(ctr, PEER_IP)
            self.assertOK(self.plug("CHECK", dict(self.conf(ipam=ipam), prevResult=res), ctr))
            self.assertOK(self.plug("DEL", self.conf(ipam=ipam), ctr))
            self.assertEqual(self.links(ctr), [])

    def test_versions(self):
        for v in VERSIONS:
            with self.subTest(version=v):
                ctr = self.netns("mvctr")
                # a store of its own: each version gets the range's first address
                self.data = os.path.join(self.tmpdir(), "ipam")
                conf = self.conf(version=v)
                res = self.add(conf, ctr)
                self.assertEqual(res["cniVersion"], v)
                if v in ("0.1.0", "0.2.0"):
                    self.assertEqual(res["ip4"]["ip"], "10.77.0.10/24")
                    self.assertNotIn("interfaces", res)
                else:
                    mac = self.link(ctr)["address"]
                    self.assertEqual(res["interfaces"], [
                        {"name": "eth0", "mac": mac, "sandbox": ctr.path}])
                    ip = res["ips"][0]
                    self.assertEqual(ip["address"], "10.77.0.10/24")
                    self.assertEqual(ip["interface"], 0)
                    if v.startswith("0."):
                        self.assertEqual(ip["version"], "4")
                    else:
                        self.assertNotIn("version", ip)
                if v >= "0.4.0":
                    self.assertOK(self.plug("CHECK", dict(conf, prevResult=res), ctr))
                self.ping(ctr, PEER_IP)
                self.assertOK(self.plug("DEL", conf, ctr))
                self.assertEqual(self.links(ctr), [])
                self.assertEqual(self.reservations(), [])

    def test_version_and_about(self):
        r = run_plugin("macvlan", "VERSION", {"cniVersion": "1.1.0"})
        self.assertEqual(self.assertOK(r)["supportedVersions"], list(VERSIONS))
        r = run_plugin("macvlan", "", "{}", unset=("CNI_COMMAND",))
        self.assertIn("macvlan", r.stderr)

    def test_modes(self):
        for mode in ("bridge", "private", "vepa", "passthru"):
            with self.subTest(mode=mode):
                ctr = self.netns("mvctr")
                conf = self.conf(mode=mode)
                res = self.add(conf, ctr)
                self.assertEqual(self.link(ctr)["linkinfo"]["info_data"]["mode"], mode)
                self.assertOK(self.plug("CHECK", dict(conf, prevResult=res), ctr))
                other = "vepa" if mode != "vepa" else "bridge"
                r = self.plug("CHECK", dict(conf, mode=other, prevResult=res), ctr)
                self.assertCNIError(r, 999, "container macvlan mode %s does not match "
                                    "expected value: %s" % (mode, other))
                self.assertOK(self.plug("DEL", conf, ctr))

    def test_mtu(self):
        ctr = self.netns("mvctr")
        self.add(self.conf(mtu=1400), ctr)
        self.assertEqual(self.link(ctr)["mtu"], 1400)
        self.assertOK(self.plug("DEL", self.conf(), ctr))
        # no mtu: the master's
        self.node.sh("ip link set %s mtu 9000" % MASTER)
        self.add(self.conf(), ctr)
        self.assertEqual(self.link(ctr)["mtu"], 9000)
        self.assertOK(self.plug("DEL", self.conf(), ctr))
        for mtu in (9001, -1):
            r = self.plug("ADD", self.conf(mtu=mtu), ctr)
            self.assertCNIError(r, 7, "invalid MTU %d, must be [0, master MTU(9000)]" % mtu)
            self.assert_no_link(ctr)
        self.assertEqual(self.reservations(), [])

    def test_mac_precedence(self):
        ctr = self.netns("mvctr")
        cases = [
            ({"mac": MAC}, None, MAC),
            ({"mac": MAC}, "IgnoreUnknown=1;K8S_POD_NAME=x;MAC=02:77:00:00:00:06",
             "02:77:00:00:00:06"),
            ({"mac": MAC, "runtimeConfig": {"mac": "02:77:00:00:00:07"}},
             "IgnoreUnknown=1;MAC=02:77:00:00:00:06", "02:77:00:00:00:07"),
        ]
        for extra, args, want in cases:
            with self.subTest(want=want):
                conf = self.conf(**extra)
                res = self.add(conf, ctr, args=args)
                self.assertEqual(self.link(ctr)["address"], want)
                self.assertEqual(res["interfaces"][0]["mac"], want)
                self.assertOK(self.plug("CHECK", dict(conf, prevResult=res), ctr, args=args))
                # a prevResult with another MAC fails CHECK with the reference's text
                bad = json.loads(json.dumps(res))
                bad["interfaces"][0]["mac"] = "02:77:00:00:00:99"
                r = self.plug("CHECK", dict(conf, prevResult=bad), ctr, args=args)
                self.assertCNIError(r, 999, "interface eth0 Mac 02:77:00:00:00:99 doesn't "
                                    "match container Mac: %s" % want)
                self.assertOK(self.plug("DEL", conf, ctr, args=args))

    def test_bcqueuelen(self):
        ctr = self.netns("mvctr")
        self.add(self.conf(bcqueuelen=100), ctr)
        info = self.link(ctr)["linkinfo"]["info_data"]
        if "bcqueuelen" not in info:
            self.skipTest("ip does not show bcqueuelen")
        self.assertEqual(info["bcqueuelen"], 100)
        self.assertOK(self.plug("DEL", self.conf(), ctr))
        # 0 is not sent: the kernel's default
        self.add(self.conf(bcqueuelen=0), ctr)
        self.assertEqual(self.link(ctr)["linkinfo"]["info_data"]["bcqueuelen"], 1000)
        self.assertOK(self.plug("DEL", self.conf(), ctr))

    def test_dns(self):
        ctr = self.netns("mvctr")
        resolv = os.path.join(self.tmpdir(), "resolv.conf")
        with open(resolv, "w") as f:
            f.write("nameserver 10.77.0.53\nsearch ipam.example\n")
        ipam = self.ipam(resolvConf=resolv)
        # IPAM's DNS when the config has none (the reference drops it)
        res = self.add(self.conf(ipam=ipam), ctr)
        self.assertEqual(res["dns"], {"nameservers": ["10.77.0.53"],
                                      "search": ["ipam.example"]})
        self.assertOK(self.plug("DEL", self.conf(ipam=ipam), ctr))
        # the config's when it says anything
        dns = {"nameservers": ["10.77.0.1"], "domain": "conf.example"}
        res = self.add(self.conf(ipam=ipam, dns=dns), ctr)
        self.assertEqual(res["dns"], dns)
        self.assertOK(self.plug("DEL", self.conf(ipam=ipam), ctr))
        # an empty one says nothing
        res = self.add(self.conf(ipam=ipam, dns={"nameservers": []}), ctr)
        self.assertEqual(res["dns"]["nameservers"], ["10.77.0.53"])
        self.assertOK(self.plug("DEL", self.conf(ipam=ipam), ctr))

    def test_accept_ra(self):
        ctr = self.netns("mvctr")
        default_ra = self.sysctl(ctr, "net/ipv6/conf/default/accept_ra")
        self.add(self.conf(acceptRA=True), ctr)
        self.assertEqual(self.sysctl(ctr, "net/ipv6/conf/eth0/accept_ra"), default_ra)
        self.assertEqual(self.sysctl(ctr, "net/ipv6/conf/eth0/autoconf"), "1")
        self.assertOK(self.plug("DEL", self.conf(), ctr))

    def test_ifname_taken_in_node(self):
        # the temporary name keeps a node link named like CNI_IFNAME out of the way
        ctr = self.netns("mvctr")
        self.node.sh("ip link add eth0 link %s type macvlan" % MASTER)
        self.add(self.conf(), ctr)
        self.assertEqual(self.links(ctr), ["eth0"])
        self.assertOK(self.plug("DEL", self.conf(), ctr))
        self.assertEqual(self.links(self.node), sorted(["eth0", MASTER]))

    # ---- the master --------------------------------------------------------------------

    def test_default_route_master(self):
        ctr = self.netns("mvctr")
        conf = self.conf(master="")
        r = self.plug("ADD", conf, ctr)
        self.assertCNIError(r, 999, "no default route interface found")
        self.assert_no_link(ctr)
        self.assertEqual(self.reservations(), [])
        # a second candidate that is not the default route's
        self.master(self.node, self.peer, "mv1", addr="10.78.0.254")
        self.node.sh("ip addr add 10.77.0.2/24 dev %s && ip route add default via %s" %
                     (MASTER, PEER_IP))
        for c in (conf, {k: v for k, v in conf.items() if k != "master"}):
            res = self.add(c, ctr)
            self.assertEqual(self.parent(ctr), MASTER)
            self.ping(ctr, PEER_IP)
            self.assertOK(self.plug("CHECK", dict(c, prevResult=res), ctr))
            self.assertOK(self.plug("DEL", c, ctr))

    def test_master_from_prev_result(self):
        ctr = self.netns("mvctr")
        self.master(self.node, self.peer, "mv1", addr="10.78.0.254")
        self.node.sh("ip addr add 10.78.0.2/24 dev mv1 && ip route add default via 10.78.0.254")
        prev = {"cniVersion": "1.0.0", "interfaces": [{"name": MASTER}]}
        conf = self.conf(master="", prevResult=prev)
        self.add(conf, ctr)
        # prevResult's one interface wins over the default route's (mv1)
        self.assertEqual(self.parent(ctr), MASTER)
        self.ping(ctr, PEER_IP)
        self.assertOK(self.plug("DEL", conf, ctr))
        # two named interfaces: the default route's
        prev["interfaces"].append({"name": "other"})
        self.add(conf, ctr)
        self.assertEqual(self.parent(ctr), "mv1")
        self.assertOK(self.plug("DEL", conf, ctr))

    def test_link_in_container(self):
        ctr, peer = self.netns("mvctr"), self.netns("mvpeer")
        # the master is the container's own interface (e.g. from an earlier plugin)
        self.master(ctr, peer, "cm0", addr="10.77.0.253")
        conf = self.conf(master="cm0", linkInContainer=True)
        res = self.add(conf, ctr, ifname="net1")
        self.assertEqual(self.parent(ctr, "net1"), "cm0")
        self.assertEqual(self.links(self.node), [MASTER])
        self.assertEqual(res["interfaces"][0]["name"], "net1")
        self.ping(ctr, "10.77.0.253")
        self.assertOK(self.plug("CHECK", dict(conf, prevResult=res), ctr, ifname="net1"))
        # STATUS does not look for a master that lives in containers
        self.assertOK(self.plug("STATUS", dict(conf, cniVersion="1.1.0"), None))
        self.assertOK(self.plug("DEL", conf, ctr, ifname="net1"))
        self.assertEqual(self.links(ctr), ["cm0"])
        # a master missing from the container
        r = self.plug("ADD", dict(conf, master="nope"), ctr, ifname="net1")
        self.assertCNIError(r, 999, 'failed to lookup master "nope": Link not found')
        # the master from the container's default route
        ctr.sh("ip addr add 10.77.0.30/24 dev cm0 && ip route add default via 10.77.0.253")
        self.add(dict(conf, master=""), ctr, ifname="net1")
        self.assertEqual(self.parent(ctr, "net1"), "cm0")
        self.assertOK(self.plug("DEL", conf, ctr, ifname="net1"))

    def test_master_missing(self):
        ctr = self.netns("mvctr")
        r = self.plug("ADD", self.conf(master="nope"), ctr)
        self.assertCNIError(r, 999, 'failed to lookup master "nope": Link not found')
        self.assert_no_link(ctr)
        self.assertEqual(self.reservations(), [])

    # ---- failed ADDs leave nothing ---------------------------------------------------

    def test_failed_add_ipam_exhausted(self):
        c1, c2 = self.netns("mvctr"), self.netns("mvctr")
        ipam = self.ipam(ranges=[[{"subnet": SUBNET, "rangeStart": "10.77.0.10",
                                   "rangeEnd": "10.77.0.10"}]])
        self.add(self.conf(ipam=ipam), c1)
        r = self.plug("ADD", self.conf(ipam=ipam), c2, cid="cid2")
        self.assertCNIError(r, 999, "no IP addresses available in range set")
        self.assert_no_link(c2)
        self.assertEqual(self.reservations(), ["10.77.0.10"])
        # DEL after the failed ADD succeeds and keeps the other container's address
        self.assertOK(self.plug("DEL", self.conf(ipam=ipam), c2, cid="cid2"))
        self.assertEqual(self.reservations(), ["10.77.0.10"])
        self.assertOK(self.plug("DEL", self.conf(ipam=ipam), c1))

    def test_failed_add_ipam_missing(self):
        ctr = self.netns("mvctr")
        r = self.plug("ADD", self.conf(ipam={"type": "no-such-ipam"}), ctr)
        self.assertCNIError(r, 999, 'failed to find plugin "no-such-ipam"')
        self.assert_no_link(ctr)
        # DEL of that config fails as the reference's (IPAM DEL cannot run) ...
        r = self.plug("DEL", self.conf(ipam={"type": "no-such-ipam"}), ctr)
        self.assertCNIError(r, 999, 'failed to find plugin "no-such-ipam"')

    def test_failed_add_after_ipam(self):
        # IPAM succeeds, then a route cannot be added: the reservation is released and
        # the link deleted (the reference leaks the link)
        ctr = self.netns("mvctr")
        ipam = self.ipam(routes=[{"dst": "10.99.0.0/16", "gw": "10.200.0.1"}])
        r = self.plug("ADD", self.conf(ipam=ipam), ctr)
        self.assertCNIError(r, 999, "failed to add route")
        self.assert_no_link(ctr)
        self.assertEqual(self.reservations(), [])

    def test_failed_add_result_version(self):
        # an L2 result cannot be printed as 0.1.0/0.2.0 (no address): nothing is left
        ctr = self.netns("mvctr")
        for v in ("0.1.0", "0.2.0"):
            r = self.plug("ADD", self.conf(version=v, ipam=None), ctr)
            self.assertCNIError(r, 999, "no valid IP addresses")
            self.assert_no_link(ctr)

    def test_failed_add_netns_missing(self):
        r = self.plug("ADD", self.conf(), None, netns="/run/netns/no-such-mv-ns")
        self.assertCNIError(r, 999, 'failed to open netns "/run/netns/no-such-mv-ns"')
        self.assertEqual(self.links(self.node), [MASTER])
        self.assertEqual(self.reservations(), [])

    # ---- DEL ---------------------------------------------------------------------------

    def test_del_without_add(self):
        ctr = self.netns("mvctr")
        self.assertOK(self.plug("DEL", self.conf(), ctr))
        self.assertOK(self.plug("DEL", self.conf(ipam=None), ctr))
        self.assertOK(self.plug("DEL", self.conf(), None, netns=""))

    def test_del_netns_gone(self):
        ctr = self.netns("mvctr")
        self.add(self.conf(), ctr)
        ctr.close()
        self.assertOK(self.plug("DEL", self.conf(), None, netns=ctr.path))
        self.assertEqual(self.reservations(), [])

    def test_del_empty_netns(self):
        ctr = self.netns("mvctr")
        self.add(self.conf(), ctr)
        self.assertOK(self.plug("DEL", self.conf(), None, netns=""))
        self.assertEqual(self.reservations(), [])

    def test_del_master_gone(self):
        ctr = self.netns("mvctr")
        self.add(self.conf(), ctr)
        # the kernel removes the macvlan with its master
        self.node.sh("ip link del %s" % MASTER)
        self.assertEqual(self.links(ctr), [])
        self.assertOK(self.plug("DEL", self.conf(), ctr))
        self.assertEqual(self.reservations(), [])
        # and DEL needs nothing of the config but ipam
        self.assertOK(self.plug("DEL", self.conf(mode="bad", mtu=-5, master=""), ctr))

    def test_del_interrupted_add(self):
        # an ADD killed between its create and its rename leaves a down macvlan under a
        # temporary name in the container: DEL removes it; other links stay
        ctr = self.netns("mvctr")
        self.node.sh("ip link add veth0a1b2c3d link %s netns %s type macvlan" %
                     (MASTER, ctr.name))
        self.node.sh("ip link add vethcafe0001 link %s netns %s type macvlan" %
                     (MASTER, ctr.name))
        ctr.sh("ip link set vethcafe0001 up")
        ctr.sh("ip link add veth12345678 type veth peer name x1")
        ctr.sh("ip link add veth1234567x link x1 type macvlan")
        self.assertOK(self.plug("DEL", self.conf(), ctr))
        self.assertEqual(self.links(ctr), ["veth12345678", "veth1234567x", "vethcafe0001",
                                           "x1"])

    def test_del_other_link_kind_left(self):
        # DEL removes CNI_IFNAME whatever it is, as the reference does
        ctr = self.netns("mvctr")
        ctr.sh("ip link add eth0 type veth peer name x0")
        self.assertOK(self.plug("DEL", self.conf(ipam=None), ctr))
        self.assertEqual(self.links(ctr), [])

    # ---- CHECK -------------------------------------------------------------------------

    def test_check_errors(self):
        ctr = self.netns("mvctr")
        conf = self.conf()
        res = self.add(conf, ctr)
        r = self.plug("CHECK", conf, ctr)
        self.assertCNIError(r, 999, "required prevResult missing")
        r = self.plug("CHECK", dict(conf, prevResult=res), ctr, netns=ctr.path + "x")
        self.assertCNIError(r, 999, "failed to open netns")
        other = json.loads(json.dumps(res))
        other["interfaces"][0]["sandbox"] = "/run/netns/elsewhere"
        r = self.plug("CHECK", dict(conf, prevResult=other), ctr)
        self.assertCNIError(r, 999, "sandbox in prevResult  doesn't match configured "
                            "netns: %s" % ctr.path)
        r = self.plug("CHECK", dict(conf, master="nope", prevResult=res), ctr)
        self.assertCNIError(r, 999, 'failed to lookup master "nope"')
        # an address that is not there
        missing = json.loads(json.dumps(res))
        missing["ips"][0]["address"] = "10.77.0.99/24"
        r = self.plug("CHECK", dict(conf, prevResult=missing), ctr)
        self.assertCNIError(r, 999, "10.77.0.99/24")
        # the link is not a macvlan
        ctr.sh("ip link del eth0 && ip link add eth0 type veth peer name x0")
        r = self.plug("CHECK", dict(conf, prevResult=res), ctr)
        self.assertCNIError(r, 999, "error: Container interface eth0 not of type macvlan")
        ctr.sh("ip link del eth0")
        r = self.plug("CHECK", dict(conf, prevResult=res), ctr)
        self.assertCNIError(r, 999, "container Interface name in prevResult: eth0 not found")
        self.assertOK(self.plug("DEL", conf, ctr))

    def test_check_old_version_refused(self):
        ctr = self.netns("mvctr")
        r = self.plug("CHECK", self.conf(version="0.3.1"), ctr)
        self.assertNotEqual(r.rc, 0)

    # ---- STATUS and GC -----------------------------------------------------------------

    def test_status_and_gc(self):
        conf = self.conf(version="1.1.0")
        self.assertOK(self.plug("STATUS", conf, None))
        self.assertOK(self.plug("STATUS", self.conf(version="1.1.0", ipam=None), None))
        r = self.plug("STATUS", self.conf(version="1.1.0", master="nope"), None)
        self.assertCNIError(r, 50, "master 'nope' not found")
        r = self.plug("STATUS", self.conf(version="1.1.0", master="nope", ipam=None), None)
        self.assertCNIError(r, 50, "master 'nope' not found")
        # no master: the default route's is only looked up per attachment
        self.assertOK(self.plug("STATUS", self.conf(version="1.1.0", master=""), None))
        # IPAM's STATUS is asked
        r = self.plug("STATUS", self.conf(version="1.1.0", ipam={"type": "no-such-ipam"}),
                      None)
        self.assertCNIError(r, 999, 'failed to find plugin "no-such-ipam"')
        gc = dict(conf, **{"cni.dev/valid-attachments": []})
        self.assertOK(self.plug("GC", gc, None))

    # ---- errors ------------------------------------------------------------------------

    def test_config_errors(self):
        ctr = self.netns("mvctr")
        cases = [
            (self.conf(mode="x"), None, 7, 'unknown macvlan mode: "x"'),
            (self.conf(mtu="1500"), None, 7, "mtu"),
            (self.conf(bcqueuelen=-1), None, 7, "bcqueuelen"),
            (self.conf(linkInContainer="yes"), None, 7, "linkInContainer"),
            (self.conf(mac="zz"), None, 7,
             "invalid args zz for MAC addr: address zz: invalid MAC address"),
            (self.conf(), "K8S_POD_NAME=x", 999, 'ARGS: unknown args ["K8S_POD_NAME=x"]'),
            (self.conf(), "MAC=02:77:00:00:00", 7, "invalid args 02:77:00:00:00 for MAC addr"),
        ]
        for conf, args, code, msg in cases:
            with self.subTest(msg=msg):
                r = self.plug("ADD", conf, ctr, args=args)
                self.assertCNIError(r, code, msg)
                self.assert_no_link(ctr)
        self.assertEqual(self.reservations(), [])

    # ---- the reference (Debian's Go macvlan 1.1.1) ----------------------------------

    def go(self, cmd, conf, ctr, **kw):
        return self.plug(cmd, conf, ctr, plugin=GO_PLUGIN, path=cnitest.REFERENCE_BIN, **kw)

    def require_go(self):
        if not os.path.exists(GO_PLUGIN):
            self.skipTest("no reference macvlan at " + GO_PLUGIN)

    def run_cycle(self, plugin, conf, version):
        """ADD, CHECK (when the version has it) and DEL of `plugin` ("go" or "ours") in a
        container of its own: the result, the link and the container's sysctls seen after
        ADD."""
        run = self.go if plugin == "go" else self.plug
        ctr = self.netns("mv" + plugin)
        res = self.assertOK(run("ADD", conf, ctr))
        link = self.link(ctr)
        link["parent"] = self.parent(ctr)
        sysctls = {k: self.sysctl(ctr, "net/%s/conf/eth0/%s" % k)
                   for k in (("ipv4", "arp_notify"), ("ipv6", "autoconf"))}
        if version >= "0.4.0":
            self.assertOK(run("CHECK", dict(conf, prevResult=res), ctr))
        self.assertOK(run("DEL", conf, ctr))
        self.assertEqual(self.links(ctr), [])
        self.assertEqual(self.reservations(), [])
        return res, link, sysctls

    def test_compare_with_reference(self):
        self.require_go()
        for version in ("0.3.1", "0.4.0", "1.0.0"):
            for extra in ({}, {"mode": "vepa", "mtu": 1400, "mac": MAC}, {"ipam": {}}):
                with self.subTest(version=version, extra=extra):
                    conf = self.conf(version=version, **extra)
                    go, la, sa = self.run_cycle("go", conf, version)
                    ours, lb, sb = self.run_cycle("ours", conf, version)
                    for key in ("mtu", "parent"):
                        self.assertEqual(la[key], lb[key])
                    self.assertEqual(la["linkinfo"]["info_kind"], lb["linkinfo"]["info_kind"])
                    self.assertEqual(la["linkinfo"]["info_data"]["mode"],
                                     lb["linkinfo"]["info_data"]["mode"])
                    if "mac" in extra:
                        self.assertEqual(la["address"], lb["address"])
                    # 1.1.1 creates the link with txqueuelen 0; ours keeps the kernel's
                    self.assertEqual(la.get("txqlen", 0), 0)
                    self.assertEqual(lb.get("txqlen", 0), 1000)
                    # 1.1.1 prints "dns": {} always; ours (as every 0.x result) only
                    # before 1.0.0, from 1.0.0 on only DNS that exists
                    self.assertEqual(go.pop("dns", None), {})
                    if version.startswith("0."):
                        self.assertEqual(ours.pop("dns", None), {})
                    else:
                        self.assertNotIn("dns", ours)
                    # the same result but for each one's MAC
                    self.assertEqual(sorted(go), sorted(ours))
                    for a, b in zip(go["interfaces"], ours["interfaces"]):
                        self.assertEqual(sorted(a), sorted(b))
                        self.assertEqual(a["name"], b["name"])
                        if "mac" in extra:
                            self.assertEqual(a["mac"], b["mac"])
                    # host-local hands out the next address to the second one
                    def strip(ips):
                        return [dict(i, address=i["address"].split("/")[1]) for i in ips or []]
                    self.assertEqual(strip(go.get("ips")), strip(ours.get("ips")))
                    if "ips" in go:
                        self.assertEqual(sa[("ipv4", "arp_notify")],
                                         sb[("ipv4", "arp_notify")])
                        # the reference leaves router advertisements on
                        self.assertEqual(sa[("ipv6", "autoconf")], "1")
                        self.assertEqual(sb[("ipv6", "autoconf")], "0")

    def test_compare_errors_with_reference(self):
        self.require_go()
        ctr = self.netns("mvctr")
        # (config, CNI_ARGS, reference's code, ours, the same text in both)
        cases = [
            (self.conf(mode="x"), None, 999, 7, 'unknown macvlan mode: "x"'),
            (self.conf(mtu=70000), None, 999, 7,
             "invalid MTU 70000, must be [0, master MTU(1500)]"),
            (self.conf(), "K8S_POD_NAME=x", 999, 999, 'ARGS: unknown args ["K8S_POD_NAME=x"]'),
            (self.conf(mac="zz"), None, 999, 7,
             "invalid args zz for MAC addr: address zz: invalid MAC address"),
            (self.conf(master="nope"), None, 999, 999, "Link not found"),
            (self.conf(master=""), None, 999, 999, "no default route interface found"),
        ]
        for conf, args, go_code, our_code, msg in cases:
            with self.subTest(msg=msg):
                self.assertCNIError(self.go("ADD", conf, ctr, args=args), go_code, msg)
                self.assertCNIError(self.plug("ADD", conf, ctr, args=args), our_code, msg)
                self.assert_no_link(ctr)
        # DEL with the master gone: 1.1.1 fails (its DEL looks the master up), ours not
        conf = self.conf(master="nope")
        self.assertCNIError(self.go("DEL", conf, ctr), 999, "Link not found")
        self.assertOK(self.plug("DEL", conf, ctr))
        # 1.1.1 knows neither STATUS nor 1.1.0
        r = self.go("ADD", self.conf(version="1.1.0"), ctr)
        self.assertCNIError(r, 1, "incompatible CNI versions")
