# SPDX-License-Identifier: Apache-2.0
"""bin/vlan: every verb and CNI version, the master from the config or from prevResult,
vlanId and mtu, linkInContainer, DNS, CHECK of the VLAN id and MTU, one VLAN id per master,
DEL in every state (twice, without ADD, netns gone, master gone), failed ADDs leaving
nothing, tagged traffic with a peer that has a VLAN link of the same id on the other end of
the master's veth, and Debian's Go vlan (1.1.1) on the same inputs.

Tests that create a VLAN link need the kernel's 802.1Q driver and skip without it (make
check-vm runs them); the error cases that fail before a link is made run everywhere.
"""
import json

import cnitest
import test_ipvlan

PEER_IP = test_ipvlan.PEER_IP


class VlanPluginTest(test_ipvlan.IfaceCase):
    PLUGIN = "vlan"
    FEATURE = "802.1Q vlan"

    def conf(self, version="1.0.0", **kw):
        c = {"cniVersion": version, "name": "n", "type": "vlan", "master": "m0", "vlanId": 5,
             "ipam": self.ipam()}
        c.update(kw)
        return {k: v for k, v in c.items() if v is not None}

    def peer_vlan(self, vid=5, addr=PEER_IP + "/24", dev="p0", ns=None):
        """A VLAN link of id vid on the peer's end of the master's veth, with addr."""
        (ns or self.peer).sh("ip link add link %s name %s.%d type vlan id %d && "
                             "ip link set %s.%d up && ip addr add %s dev %s.%d"
                             % (dev, dev, vid, vid, dev, vid, addr, dev, vid))

    # ---- ADD, CHECK, DEL -------------------------------------------------------------

    def test_add_check_del(self):
        self.need_kernel()
        ctr = self.container()
        conf = self.conf()
        res = self.add(conf, ctr)
        l = self.link(ctr)
        self.assertEqual(res["interfaces"], [{"name": "eth0", "mac": l["address"],
                                              "sandbox": ctr.path}])
        self.assertEqual(res["ips"], [{"address": "10.77.0.10/24", "gateway": "10.77.0.1",
                                       "interface": 0}])
        self.assertEqual(l["linkinfo"]["info_kind"], "vlan")
        self.assertEqual(l["linkinfo"]["info_data"]["id"], 5)
        self.assertEqual(l["linkinfo"]["info_data"]["protocol"], "802.1Q")
        self.assertEqual(self.parent(ctr), "m0")
        self.assertEqual(self.addrs(ctr), ["10.77.0.10/24"])
        self.assertEqual(self.sysctl(ctr, "ipv6/conf/eth0/accept_ra"), "0")
        self.assertEqual(self.sysctl(ctr, "ipv6/conf/eth0/autoconf"), "0")
        # Tagged traffic: the peer answers on its VLAN 5 link, not on the untagged p0.
        self.peer_vlan()
        self.ping(ctr, PEER_IP)
        self.assertOK(self.check(conf, ctr, res))
        self.delete(conf, ctr)
        self.assertNothingLeft(ctr)
        self.assertIn("m0", self.links(self.node))
        self.delete(conf, ctr)

    def test_other_vlan_is_not_reached(self):
        self.need_kernel()
        self.peer_vlan(vid=6)
        ctr = self.container()
        conf = self.conf()
        self.add(conf, ctr)
        self.assertFalse(self.ping(ctr, PEER_IP, check=False))
        self.peer.sh("ip link del p0.6")
        self.peer_vlan(vid=5)
        self.ping(ctr, PEER_IP)
        self.delete(conf, ctr)

    def test_check_failures(self):
        self.need_kernel()
        ctr = self.container()
        conf = self.conf(mtu=1400)
        res = self.add(conf, ctr)
        self.assertEqual(self.link(ctr)["mtu"], 1400)
        self.assertOK(self.check(conf, ctr, res))
        r = self.plug("CHECK", conf, ctr)
        self.assertCNIError(r, 999, "vlan: Required prevResult missing")
        # What the reference's copy-pasted texts meant: the VLAN id and the MTU.
        r = self.check(dict(conf, vlanId=6), ctr, res)
        self.assertCNIError(r, 999, "Error: Container vlan eth0 VLAN ID 5 does not match "
                            "expected value: 6")
        r = self.check(dict(conf, mtu=1300), ctr, res)
        self.assertCNIError(r, 999, "Error: Container vlan eth0 MTU 1400 does not match "
                            "expected value: 1300")
        bad_mac = dict(res, interfaces=[dict(res["interfaces"][0], mac="02:00:00:00:00:01")])
        r = self.check(conf, ctr, bad_mac)
        self.assertCNIError(r, 999, "vlan: Interface eth0 Mac 02:00:00:00:00:01 doesn't "
                            "match container Mac: ")
        r = self.check(dict(conf, master="m9"), ctr, res)
        self.assertCNIError(r, 999, 'failed to lookup master "m9": Link not found')
        self.need_go()
        r = self.go("CHECK", dict(conf, vlanId=6, prevResult=res), ctr)
        self.assertCNIError(r, 999, "Error: Tuning link eth0 configured promisc is 6, "
                            "current value is 5")
        r = self.go("CHECK", dict(conf, mtu=1300, prevResult=res), ctr)
        self.assertCNIError(r, 999, "Error: Tuning configured MTU of eth0 is 1300, current "
                            "value is 1400")
        self.delete(conf, ctr)

    def test_versions(self):
        self.need_kernel()
        for i, v in enumerate(("0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0")):
            ctr = self.container()
            cid = "v%d" % i
            # One VLAN id per master: each container its own id.
            conf = self.conf(version=v, vlanId=10 + i)
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

    def test_one_vlan_id_per_master(self):
        self.need_kernel()
        one, two = self.container(), self.container()
        conf = self.conf()
        self.add(conf, one, cid="a")
        r = self.plug("ADD", conf, two, cid="b")
        self.assertCNIError(r, 999, "failed to create vlan: file exists: master 'm0' already "
                            "has a VLAN link with id 5 (the kernel allows one per master and "
                            "VLAN id: each container needs its own master and vlanId pair)")
        self.assertNotIn("eth0", self.links(two))
        self.assertEqual(self.temp_links(self.node, one, two), [])
        self.assertEqual(self.reservations(), ["10.77.0.10"])
        self.assertIn("eth0", self.links(one))
        self.need_go()
        r = self.go("ADD", conf, two, cid="b")
        self.assertCNIError(r, 999, "failed to create vlan: file exists")
        self.delete(conf, one, cid="a")

    def test_mtu(self):
        self.need_kernel()
        self.node.sh("ip link set m0 mtu 1500")
        ctr = self.container()
        r = self.plug("ADD", self.conf(mtu=9000), ctr)
        self.assertCNIError(r, 7, "invalid MTU 9000, must be [0, master MTU(1500)]")
        self.assertNothingLeft(ctr)
        self.need_go()
        g = self.go("ADD", self.conf(mtu=9000), ctr)
        self.assertCNIError(g, 999, "invalid MTU 9000, must be [0, master MTU(1500)]")

    def test_dns(self):
        self.need_kernel()
        ctr = self.container()
        static = {"type": "static", "addresses": [{"address": "10.77.0.5/24"}],
                  "dns": {"nameservers": ["10.77.0.53"]}}
        conf = self.conf(ipam=static)
        res = self.add(conf, ctr)
        self.assertEqual(res["dns"], {"nameservers": ["10.77.0.53"]})
        self.delete(conf, ctr)
        conf = self.conf(ipam=static, dns={"nameservers": ["1.1.1.1"]})
        res = self.add(conf, ctr)
        self.assertEqual(res["dns"], {"nameservers": ["1.1.1.1"]})
        self.delete(conf, ctr)

    # ---- the master ------------------------------------------------------------------

    def test_master_from_prev_result(self):
        self.need_kernel()
        ctr = self.container()
        prev = {"cniVersion": "1.0.0", "interfaces": [{"name": "m0"}]}
        conf = self.conf(master=None, prevResult=prev)
        res = self.add(conf, ctr)
        self.assertEqual(self.parent(ctr), "m0")
        # CHECK's prevResult is the VLAN link's own result: no master name to look up.
        self.assertOK(self.check(self.conf(master=None), ctr, res))
        self.peer_vlan()
        self.ping(ctr, PEER_IP)
        self.delete(conf, ctr)
        self.assertNothingLeft(ctr)

    def test_link_in_container(self):
        self.need_kernel()
        ctr = self.container()
        ctr.sh("ip link add net1 type veth peer name p1 netns %s && ip link set net1 up"
               % self.peer.name)
        self.peer.sh("ip link set p1 up")
        self.peer_vlan(addr="10.78.0.1/24", dev="p1")
        conf = self.conf(master="net1", linkInContainer=True,
                         ipam=self.ipam(subnet="10.78.0.0/24", rangeStart=None))
        res = self.add(conf, ctr)
        self.assertEqual(self.parent(ctr), "net1")
        self.ping(ctr, "10.78.0.1")
        self.assertOK(self.check(conf, ctr, res))
        self.delete(conf, ctr)
        self.assertIn("net1", self.links(ctr))
        self.assertNotIn("eth0", self.links(ctr))

    def test_config_errors(self):
        ctr = self.container()
        cases = [
            (self.conf(master=None), 7, '"master" field is required. It specifies the host '
             'interface name to create the VLAN for'),
            (self.conf(vlanId=4095), 7,
             "invalid VLAN ID 4095 (must be between 0 and 4095 inclusive)"),
            (self.conf(vlanId=-1), 7, "invalid VLAN ID -1 (must be between 0 and 4095 "
             "inclusive)"),
            (self.conf(ipam=None), 7, "failed to execute IPAM delegate: no plugin name "
             "provided"),
            (self.conf(master="nope"), 999, 'failed to lookup master "nope": Link not found'),
            (self.conf(vlanId="5"), 7, "vlanId"),
        ]
        for conf, code, msg in cases:
            r = self.plug("ADD", conf, ctr)
            self.assertCNIError(r, code, msg)
            if msg != "vlanId":
                self.assertEqual(r.json["msg"], msg)
            self.assertNothingLeft(ctr)
        self.need_go()
        # The reference: the same texts with code 999 (1.1.1 ends "required" with a dot),
        # its missing master is a bare "Link not found".
        want = [
            '"master" field is required. It specifies the host interface name to create the '
            'VLAN for.',
            "invalid VLAN ID 4095 (must be between 0 and 4095 inclusive)",
            "invalid VLAN ID -1 (must be between 0 and 4095 inclusive)",
        ]
        for (conf, _, _), msg in zip(cases, want):
            g = self.go("ADD", conf, ctr)
            self.assertCNIError(g, 999)
            self.assertEqual(g.json["msg"], msg)
        g = self.go("ADD", self.conf(master="nope"), ctr)
        self.assertEqual(g.json["msg"], "Link not found")

    def test_reference_leaks_link_without_ipam(self):
        """Without ipam the reference creates the link, then fails; we create nothing."""
        self.need_kernel()
        self.need_go()
        ctr = self.container()
        g = self.go("ADD", self.conf(ipam=None), ctr)
        self.assertCNIError(g, 999, "failed to execute IPAM delegate: no plugin name provided")
        self.assertIn("eth0", self.links(ctr))
        ctr2 = self.container()
        r = self.plug("ADD", self.conf(ipam=None, vlanId=6), ctr2)
        self.assertCNIError(r, 7, "failed to execute IPAM delegate: no plugin name provided")
        self.assertNothingLeft(ctr2)

    def test_status(self):
        conf = self.conf(version="1.1.0")
        self.assertOK(self.plug("STATUS", conf, None, cid="", ifname=""))
        r = self.plug("STATUS", dict(conf, master="gone0"), None, cid="", ifname="")
        self.assertCNIError(r, 50, "master 'gone0' not found")
        # The reference asks IPAM whatever the config: no ipam, no plugin name.
        r = self.plug("STATUS", self.conf(version="1.1.0", ipam=None), None, cid="", ifname="")
        self.assertCNIError(r, 999, "no plugin name provided")

    # ---- DEL -------------------------------------------------------------------------

    def test_del_without_add_and_netns_states(self):
        ctr = self.container()
        conf = self.conf()
        self.delete(conf, ctr)
        self.delete(conf, None)
        self.delete(conf, None, netns="/run/netns/does-not-exist-vlan")
        # DEL reads nothing but ipam: no master, a gone one, a bad id do not matter.
        self.delete(self.conf(master=None, vlanId=99999), ctr)
        self.delete(self.conf(master="gone0"), ctr)
        self.need_go()
        g = self.go("DEL", self.conf(master="gone0"), ctr)
        self.assertCNIError(g, 999, "Link not found")

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
        in the container, holding the VLAN id: DEL removes it, and the next ADD can have
        the id."""
        self.need_kernel()
        ctr = self.container()
        self.node.sh("ip link add link m0 name vethdeadbeef type vlan id 5 && "
                     "ip link set vethdeadbeef netns %s" % ctr.name)
        conf = self.conf()
        self.assertCNIError(self.plug("ADD", conf, ctr), 999, "already has a VLAN link")
        self.delete(conf, ctr)
        self.assertNotIn("vethdeadbeef", self.links(ctr))
        self.add(conf, ctr)
        self.delete(conf, ctr)
        self.assertNothingLeft(ctr)

    # ---- failed ADDs -----------------------------------------------------------------

    def test_failed_ipam_leaves_nothing(self):
        self.need_kernel()
        ctr = self.container()
        r = self.plug("ADD", self.conf(ipam={"type": "no-such-ipam"}), ctr)
        self.assertCNIError(r, 999, 'failed to execute IPAM delegate: failed to find plugin '
                            '"no-such-ipam"')
        self.assertNothingLeft(ctr)

    def test_failed_configure_releases_ipam(self):
        self.need_kernel()
        ctr = self.container()
        conf = self.conf(ipam=self.ipam(routes=[{"dst": "10.99.0.0/16", "gw": "10.200.0.1"}]))
        r = self.plug("ADD", conf, ctr)
        self.assertCNIError(r, 999, "failed to add route")
        self.assertNothingLeft(ctr)

    # ---- the reference ---------------------------------------------------------------

    def test_same_as_reference(self):
        """Our vlan and Debian's Go one (on another VLAN id of the same master)."""
        self.need_kernel()
        self.need_go()
        mine, theirs = self.container(), self.container()
        res = self.add(self.conf(mtu=1400), mine, cid="m")
        gconf = self.conf(mtu=1400, vlanId=6)
        ref = self.assertOK(self.go("ADD", gconf, theirs, cid="g"))
        orig = json.loads(json.dumps(ref))
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
        self.assertEqual(lt["linkinfo"]["info_data"]["id"], 6)
        lt["linkinfo"]["info_data"]["id"] = 5
        self.assertEqual(lm["linkinfo"], lt["linkinfo"])
        strip = lambda rs: sorted((r["dst"], r.get("gateway"), r.get("scope")) for r in rs)
        self.assertEqual(strip(mine.json("ip -j route show")),
                         strip(theirs.json("ip -j route show")))
        self.assertOK(self.go("CHECK", dict(self.conf(mtu=1400), prevResult=res), mine,
                              cid="m"))
        self.assertOK(self.check(gconf, theirs, orig, cid="g"))
        self.assertOK(self.go("DEL", self.conf(), mine, cid="m"))
        self.delete(gconf, theirs, cid="g")
        self.assertNothingLeft(mine)
        self.assertNothingLeft(theirs)

