# SPDX-License-Identifier: Apache-2.0
"""bin/bridge's VLANs on a kernel with bridge VLAN filtering and 802.1Q: the filtering
the plugin sets on the bridge and on each port (`bridge vlan show`) for vlan, vlanTrunk
(ids and ranges), both together and preserveDefaultVlan, traffic between containers
(tagged on trunk ports) on the same VLAN and none across VLANs, CHECK and DEL; and the
same configurations through Debian's Go bridge (1.1.1: vlan only) for comparison.

On a kernel without these features every test skips with the reason (make check-vm runs
them on one that has them, where such a skip is a failure).
"""
import os
import subprocess
import uuid

import cnitest
import test_bridge
from cnitest import CNITestCase

BRIDGE = test_bridge.BRIDGE
GO_BRIDGE = "/usr/lib/cni/bridge"
GO_HOST_LOCAL = "/usr/lib/cni/host-local"
NATIVE = ["PVID", "Egress Untagged"]


class BridgeVlanTest(CNITestCase):
    needs_netns = True

    # The plugin-running helpers of the bridge tests (no test methods taken along).
    conf = test_bridge.BridgeTest.conf
    container = test_bridge.BridgeTest.container
    plug = test_bridge.BridgeTest.plug
    add = test_bridge.BridgeTest.add
    delete = test_bridge.BridgeTest.delete
    check = test_bridge.BridgeTest.check
    links = test_bridge.BridgeTest.links
    join_low_port = test_bridge.BridgeTest.join_low_port

    def setUp(self):
        super().setUp()
        cnitest.require_kernel(self, "bridge vlan_filtering", "802.1Q vlan",
                               what="the bridge's VLAN tests need both")
        self.node = self.netns("bvnode")
        self.data = self.tmpdir()
        self.path = self.tmpdir()
        os.symlink(cnitest.plugin_path("bridge"), os.path.join(self.path, "bridge"))
        os.symlink(test_bridge.ipam_plugin(), os.path.join(self.path, "host-local"))
        self.net = "net" + uuid.uuid4().hex[:6]

    # ---- helpers ---------------------------------------------------------------------

    def vlans(self):
        """{ifname: [{"vlan": vid, "flags": [...]}, ...]} of every bridge port and bridge,
        ranges written out one VID each."""
        out = {}
        for e in self.node.json("bridge -j vlan show"):
            vl = []
            for v in e["vlans"]:
                for vid in range(v["vlan"], v.get("vlanEnd", v["vlan"]) + 1):
                    x = {"vlan": vid}
                    if v.get("flags"):
                        x["flags"] = v["flags"]
                    vl.append(x)
            out[e["ifname"]] = vl
        return out

    def filtering(self, ifname=BRIDGE):
        return self.links(self.node)[ifname]["linkinfo"]["info_data"]["vlan_filtering"]

    def host_port(self, res):
        return res["interfaces"][1]["name"]

    def l2(self, ctr, addr, dev="eth0", vid=None):
        """An address on the container's eth0, or on a VLAN vid link over it (tagged)."""
        if vid is not None:
            ctr.sh("ip link add link eth0 name eth0.%d type vlan id %d && "
                   "ip link set eth0.%d up" % (vid, vid, vid))
            dev = "eth0.%d" % vid
        ctr.sh("ip addr add %s dev %s" % (addr, dev))

    def ping(self, ns, addr, check=True):
        """One ping: a reply is waited for generously (a guest under software emulation is
        slow; it ends the wait), the absence of one for 5 s."""
        p = subprocess.run(["nsenter", "--net=" + ns.path, "--", "ping", "-c", "1", "-W",
                            "30" if check else "5", addr], capture_output=True, text=True)
        if check:
            self.assertEqual(p.returncode, 0, "ping %s from %s failed:\n%s%s" %
                             (addr, ns.name, p.stdout, p.stderr))
        return p.returncode == 0

    def check_all(self, *atts):
        """After every port joined, and one more with the lowest MAC: CHECK of each
        (conf, container, result, cid) passes (it compares the bridge's MAC with the one
        the result recorded)."""
        self.join_low_port()
        for conf, ctr, res, cid in atts:
            self.assertOK(self.check(conf, ctr, res, cid=cid))

    def go_plug(self, cmd, conf, ctr, cid):
        """Debian's Go bridge (with its own host-local) in the same node namespace."""
        d = self.tmpdir()
        os.symlink(GO_BRIDGE, os.path.join(d, "bridge"))
        os.symlink(GO_HOST_LOCAL, os.path.join(d, "host-local"))
        return cnitest.run_plugin(d + "/bridge", cmd, conf, containerid=cid, netns=ctr.path,
                                  path=d, in_netns=self.node.name)

    # ---- access ports ----------------------------------------------------------------

    def test_access_ports_gateway_traffic_check_del(self):
        """vlan: access ports of VLAN 100 reach each other and their gateway on
        cnibr0.100; an access port of VLAN 200 in the same subnet reaches neither."""
        c1, c2, c3 = self.container(), self.container(), self.container()
        conf = self.conf(vlan=100, isGateway=True, subnet="10.56.0.0/24")
        other = self.conf(ipam=None, vlan=200)
        r1 = self.add(conf, c1, cid="a")
        r2 = self.add(conf, c2, cid="b")
        r3 = self.add(other, c3, cid="c")
        self.assertEqual(self.filtering(), 1)
        vl = self.vlans()
        access = [{"vlan": 100, "flags": NATIVE}]
        self.assertEqual(vl[self.host_port(r1)], access)
        self.assertEqual(vl[self.host_port(r2)], access)
        self.assertEqual(vl[self.host_port(r3)], [{"vlan": 200, "flags": NATIVE}])
        # The bridge itself keeps the kernel's default (the plugin sets no `self` VLANs).
        self.assertEqual(vl[BRIDGE], [{"vlan": 1, "flags": NATIVE}])
        # The gateway: a veth pair, cnibr0.100 with the address, its peer a VLAN 100 port.
        self.assertEqual(r1["interfaces"][3]["name"], BRIDGE + ".100")
        gw = self.links(self.node)[BRIDGE + ".100"]
        self.assertEqual(gw["linkinfo"]["info_kind"], "veth")
        self.assertEqual(vl[gw["link"]], access)
        self.assertEqual(self.links(self.node)[gw["link"]]["master"], BRIDGE)
        self.assertIn("10.56.0.1/24", test_bridge.BridgeTest.addrs(self, self.node,
                                                                  BRIDGE + ".100"))
        a1 = r1["ips"][0]["address"].split("/")[0]
        a2 = r2["ips"][0]["address"].split("/")[0]
        self.l2(c3, "10.56.0.200/24")
        self.ping(c1, a2)
        self.ping(c1, "10.56.0.1")
        self.assertFalse(self.ping(c3, a1, check=False), "VLAN 200 reached VLAN 100")
        self.assertFalse(self.ping(c3, "10.56.0.1", check=False),
                         "VLAN 200 reached VLAN 100's gateway")
        # The gateway is not on the bridge, which keeps its MAC all the same.
        self.check_all((conf, c1, r1, "a"), (conf, c2, r2, "b"), (other, c3, r3, "c"))
        self.delete(conf, c1, cid="a")
        self.delete(conf, c2, cid="b")
        self.delete(other, c3, cid="c")
        vl = self.vlans()
        for r in (r1, r2, r3):
            self.assertNotIn(self.host_port(r), vl)
        self.assertEqual(test_bridge.BridgeTest.veths(self), [gw["link"]],
                         "only the gateway's peer stays")

    # ---- trunks ------------------------------------------------------------------------

    def test_trunk_ids_and_ranges_tagged_traffic(self):
        """vlanTrunk: tagged VIDs (an id and a range) on the port, VLAN 1 its native VLAN;
        a container's tagged links reach the access ports of their VLAN and no other."""
        t, a100, a201 = self.container(), self.container(), self.container()
        trunk = self.conf(ipam=None, vlanTrunk=[{"id": 100}, {"minID": 200, "maxID": 202}])
        rt = self.add(trunk, t, cid="t")
        c100, c201 = self.conf(ipam=None, vlan=100), self.conf(ipam=None, vlan=201)
        r100 = self.add(c100, a100, cid="a100")
        r201 = self.add(c201, a201, cid="a201")
        self.assertEqual(self.filtering(), 1)
        vl = self.vlans()
        self.assertEqual(vl[self.host_port(rt)], [{"vlan": 1, "flags": NATIVE}, {"vlan": 100},
                                                   {"vlan": 200}, {"vlan": 201},
                                                   {"vlan": 202}])
        self.l2(t, "169.254.100.1/24", vid=100)
        self.l2(t, "169.254.201.1/24", vid=201)
        self.l2(t, "169.254.1.1/24")
        self.l2(a100, "169.254.100.2/24")
        self.l2(a201, "169.254.201.2/24")
        self.l2(a201, "169.254.100.3/24")
        self.l2(a201, "169.254.1.3/24")
        self.ping(t, "169.254.100.2")
        self.ping(t, "169.254.201.2")
        self.assertFalse(self.ping(a100, "169.254.100.3", check=False),
                         "VLAN 100 reached VLAN 201")
        self.assertFalse(self.ping(t, "169.254.1.3", check=False),
                         "the trunk's untagged frames reached VLAN 201")
        self.check_all((trunk, t, rt, "t"), (c100, a100, r100, "a100"),
                       (c201, a201, r201, "a201"))
        self.delete(trunk, t, cid="t")
        self.assertNotIn(self.host_port(rt), self.vlans())

    def test_native_vlan_on_trunk_traffic(self):
        """vlan + vlanTrunk: the trunk's untagged frames are VLAN 100's, its tagged ones
        VLAN 200's."""
        t, a100, a200 = self.container(), self.container(), self.container()
        trunk = self.conf(ipam=None, vlan=100, vlanTrunk=[{"id": 200}])
        rt = self.add(trunk, t, cid="t")
        c100, c200 = self.conf(ipam=None, vlan=100), self.conf(ipam=None, vlan=200)
        r100 = self.add(c100, a100, cid="a100")
        r200 = self.add(c200, a200, cid="a200")
        self.assertEqual(self.vlans()[self.host_port(rt)],
                         [{"vlan": 100, "flags": NATIVE}, {"vlan": 200}])
        self.l2(t, "169.254.100.1/24")
        self.l2(t, "169.254.200.1/24", vid=200)
        self.l2(a100, "169.254.100.2/24")
        self.l2(a200, "169.254.200.2/24")
        self.l2(a200, "169.254.100.3/24")
        self.ping(t, "169.254.100.2")
        self.ping(t, "169.254.200.2")
        self.assertFalse(self.ping(t, "169.254.100.3", check=False),
                         "the trunk's untagged frames reached VLAN 200")
        self.check_all((trunk, t, rt, "t"), (c100, a100, r100, "a100"),
                       (c200, a200, r200, "a200"))
        self.delete(trunk, t, cid="t")
        self.assertNotIn(self.host_port(rt), self.vlans())

    def test_preserve_default_vlan(self):
        """preserveDefaultVlan keeps the port's VLAN 1 (untagged; no longer its PVID when
        vlan is set); without it (the default since reference v1.8) VLAN 1 is removed."""
        cases = [
            (dict(vlan=100, preserveDefaultVlan=True),
             [{"vlan": 1, "flags": ["Egress Untagged"]}, {"vlan": 100, "flags": NATIVE}]),
            (dict(vlanTrunk=[{"id": 5}], preserveDefaultVlan=True),
             [{"vlan": 1, "flags": NATIVE}, {"vlan": 5}]),
            (dict(vlan=100, vlanTrunk=[{"id": 5}], preserveDefaultVlan=True),
             [{"vlan": 1, "flags": ["Egress Untagged"]}, {"vlan": 5},
              {"vlan": 100, "flags": NATIVE}]),
            (dict(vlan=100, preserveDefaultVlan=False), [{"vlan": 100, "flags": NATIVE}]),
            (dict(vlan=100), [{"vlan": 100, "flags": NATIVE}]),
        ]
        for i, (kw, want) in enumerate(cases):
            ctr = self.container()
            conf = self.conf(ipam=None, **kw)
            res = self.add(conf, ctr, cid="p%d" % i)
            self.assertEqual(self.vlans()[self.host_port(res)], want, kw)
            self.assertOK(self.check(conf, ctr, res, cid="p%d" % i))
            self.delete(conf, ctr, cid="p%d" % i)

    # ---- Debian's Go bridge (1.1.1) ---------------------------------------------------

    def test_go_bridge_same_vlans_and_interworks(self):
        """vlan through Go 1.1.1 and through ours with preserveDefaultVlan (1.1.1 keeps
        VLAN 1 on the port): the same bridge, port VLANs and gateway; containers of both
        on one bridge talk on their VLAN."""
        if not os.path.exists(GO_BRIDGE):
            self.skipTest("Debian's Go bridge is not installed")
        go_data = self.tmpdir()
        ipam = {"type": "host-local", "subnet": "10.57.0.0/24", "dataDir": go_data}
        base = dict(cniVersion="1.0.0", name=self.net, type="bridge", bridge=BRIDGE,
                    vlan=100, isGateway=True, ipam=ipam)
        cg, co, c200 = self.container(), self.container(), self.container()
        rg = self.go_plug("ADD", base, cg, "go")
        self.assertEqual(rg.rc, 0, rg)
        rg = rg.json
        ours = dict(base, preserveDefaultVlan=True)
        ro = self.add(ours, co, cid="ours")
        vl = self.vlans()
        self.assertEqual(vl[self.host_port(rg)], vl[self.host_port(ro)])
        self.assertEqual(vl[self.host_port(ro)],
                         [{"vlan": 1, "flags": ["Egress Untagged"]},
                          {"vlan": 100, "flags": NATIVE}])
        self.assertEqual(vl[BRIDGE], [{"vlan": 1, "flags": NATIVE}])
        self.assertEqual(self.filtering(), 1)
        # Both results name the one gateway interface; its peer is the only extra port.
        self.assertEqual(rg["interfaces"][3]["name"], BRIDGE + ".100")
        self.assertEqual(ro["interfaces"][3]["name"], BRIDGE + ".100")
        gw = self.links(self.node)[BRIDGE + ".100"]["link"]
        self.assertEqual(sorted(vl), sorted([BRIDGE, gw, self.host_port(rg),
                                             self.host_port(ro)]))
        ag = rg["ips"][0]["address"].split("/")[0]
        self.ping(co, ag)
        self.ping(co, "10.57.0.1")
        self.add(self.conf(ipam=None, vlan=200), c200, cid="v200")
        self.l2(c200, "10.57.0.200/24")
        self.assertFalse(self.ping(c200, ag, check=False), "VLAN 200 reached VLAN 100")
        # Go's bridge follows its ports' MACs (the gateway is not on it) until our ADD pins
        # it: ours checks Go's attachment and its own, and Go 1.1.1 both, after all joined.
        self.check_all((base, cg, rg, "go"), (ours, co, ro, "ours"))
        for conf, ctr, res, cid in ((base, cg, rg, "go"), (ours, co, ro, "ours")):
            r = self.go_plug("CHECK", dict(conf, prevResult=res), ctr, cid)
            self.assertEqual(r.rc, 0, r)
        self.delete(ours, co, cid="ours")
        r = self.go_plug("DEL", base, cg, "go")
        self.assertEqual(r.rc, 0, r)
        vl = self.vlans()
        self.assertNotIn(self.host_port(rg), vl)
        self.assertNotIn(self.host_port(ro), vl)
        self.assertIn(gw, vl)

    def test_go_bridge_creates_the_same_bridge(self):
        """A bridge created for a vlan config: the same VLAN settings from Go 1.1.1 and
        from ours, and the same port VLANs with preserveDefaultVlan."""
        if not os.path.exists(GO_BRIDGE):
            self.skipTest("Debian's Go bridge is not installed")
        keys = ("vlan_filtering", "vlan_protocol", "vlan_default_pvid", "stp_state")
        got = {}
        for who in ("go", "ours"):
            br = "cnibr-" + who
            ctr = self.container()
            conf = dict(cniVersion="1.0.0", name=self.net, type="bridge", bridge=br, vlan=7,
                        preserveDefaultVlan=True)
            if who == "go":
                r = self.go_plug("ADD", conf, ctr, who)
                self.assertEqual(r.rc, 0, r)
                res = r.json
            else:
                res = self.add(conf, ctr, cid=who)
            link = self.links(self.node)[br]
            data = link["linkinfo"]["info_data"]
            got[who] = ({k: data.get(k) for k in keys}, link["mtu"], "UP" in link["flags"],
                        self.vlans()[br], self.vlans()[self.host_port(res)])
        self.assertEqual(got["go"], got["ours"])
        self.assertEqual(got["ours"][0]["vlan_filtering"], 1)
