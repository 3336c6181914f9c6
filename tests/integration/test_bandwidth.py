# SPDX-License-Identifier: Apache-2.0
"""Black-box tests of bin/bandwidth, chained after our bridge and host-local.

Every test works in namespaces of its own: a "node" namespace standing in for the host
(the bridge, the host veths, the ifb devices and their qdiscs live there; the plugins run
inside it) and one namespace per container. Where Debian's Go bandwidth plugin (v1.1.1,
/usr/lib/cni) is installed, the same ADD is done by both and the kernel objects compared.
The real host's interfaces are never touched.
"""
import json
import os
import re
import subprocess
import time
import unittest
import uuid

import cnitest
from cnitest import CNITestCase, ifb_name, ipam_plugin, run_plugin

GO_BANDWIDTH = "/usr/lib/cni/bandwidth"
BRIDGE = "bwbr0"
VERSIONS = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"]

# Limits whose tbf parameters are easy to state: 1000 B/s with a 10 B bucket
# (buffer 156250 ticks, limit 35 B) and 125000 B/s with a 125000 B bucket.
SMALL = {"ingressRate": 8000, "ingressBurst": 80}
EGRESS = {"egressRate": 1000000, "egressBurst": 1000000}
BOTH = dict(SMALL, **EGRESS)


# A receiver run inside a namespace: accept one TCP connection, read to EOF, print the
# byte count and the seconds from the first byte to EOF.
RECEIVER = r"""
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(1)
print("ready", flush=True)
c, _ = s.accept(); n = 0; t0 = None
while True:
    b = c.recv(65536)
    if not b:
        break
    if t0 is None:
        t0 = time.monotonic()
    n += len(b)
print(n, time.monotonic() - (t0 or time.monotonic()), flush=True)
"""


class BandwidthTest(CNITestCase):
    needs_netns = True

    def setUp(self):
        super().setUp()
        cnitest.require(self, plugins=("bandwidth", "bridge"), tools=("tc", "ip", "nsenter"))
        self.node = self.netns("bwnode")
        self.data = self.tmpdir()
        self.path = cnitest.plugin_dir(self, ("bridge",), {"host-local": ipam_plugin()})
        self.net = "bw" + uuid.uuid4().hex[:6]
        self.subnet = 0

    # ---- helpers ---------------------------------------------------------------------

    def attach(self, cid, version="1.0.0"):
        """A container namespace wired by our bridge + host-local; returns (ns, result)."""
        ctr = self.netns("bwc")
        conf = {"cniVersion": version, "name": self.net, "type": "bridge", "bridge": BRIDGE,
                "isGateway": True,
                "ipam": {"type": "host-local", "subnet": "10.77.0.0/24", "dataDir": self.data}}
        res = run_plugin("bridge", "ADD", conf, containerid=cid, netns=ctr.path,
                         path=self.path, in_netns=self.node.name)
        self.assertOK(res)
        return ctr, res.json

    def conf(self, prev, version="1.0.0", net=None, **kw):
        c = {"cniVersion": version, "name": net or self.net, "type": "bandwidth"}
        c.update(kw)
        if prev is not None:
            c["prevResult"] = prev
        return c

    def bw(self, command, conf, ctr=None, cid="cid1", plugin="bandwidth", netns=None,
           ifname="eth0"):
        if plugin == "go":
            plugin = GO_BANDWIDTH
        if netns is None:
            netns = ctr.path if ctr else ""
        return run_plugin(plugin, command, conf, containerid=cid, netns=netns, ifname=ifname,
                          path=self.path, in_netns=self.node.name)

    def host_veth(self, prev):
        return [i["name"] for i in prev["interfaces"]
                if i["name"].startswith("veth") and not i.get("sandbox")][0]

    def links(self):
        return {l["ifname"]: l for l in self.node.json("ip -j -d link show")}

    def qdiscs(self, dev):
        return self.node.json("tc -j -d qdisc show dev %s" % dev)

    def root(self, dev):
        return [q for q in self.qdiscs(dev) if q.get("root")][0]

    def filters(self, dev):
        return self.node.sh("tc filter show dev %s ingress" % dev)

    def go_available(self):
        return os.access(GO_BANDWIDTH, os.X_OK)

    def assertNoShaping(self, veth, ifb):
        """The host veth has its default root qdisc and no ingress qdisc; no ifb."""
        kinds = [q["kind"] for q in self.qdiscs(veth)]
        self.assertNotIn("tbf", kinds)
        self.assertNotIn("ingress", kinds)
        self.assertNotIn(ifb, self.links())

    # ---- ADD: the objects and their parameters ---------------------------------------

    def test_add_objects_and_parameters(self):
        ctr, prev = self.attach("cid1")
        veth, ifb = self.host_veth(prev), ifb_name(self.net, "cid1")
        res = self.assertOK(self.bw("ADD", self.conf(prev, **BOTH), ctr))
        # prevResult passed through, plus the ifb (no sandbox), in the config's version
        self.assertEqual(res["cniVersion"], "1.0.0")
        self.assertEqual(res["interfaces"][:-1], prev["interfaces"])
        self.assertEqual(res["ips"], prev["ips"])
        links = self.links()
        self.assertEqual(res["interfaces"][-1], {"name": ifb, "mac": links[ifb]["address"]})
        # host veth: root tbf 1: for ingress, ingress qdisc ffff: for egress
        root = self.root(veth)
        self.assertEqual((root["kind"], root["handle"]), ("tbf", "1:"))
        self.assertEqual(root["options"]["rate"], 1000)
        self.assertEqual(root["options"]["burst"], "10b/1")
        self.assertEqual(root["options"]["lat"], 25000)
        ingress = [q for q in self.qdiscs(veth) if q["kind"] == "ingress"]
        self.assertEqual(len(ingress), 1)
        self.assertEqual((ingress[0]["handle"], ingress[0]["parent"]), ("ffff:", "ffff:fff1"))
        # the ifb: up, MTU of the veth, txqueuelen 0, root tbf 1: at 125000 B/s
        self.assertEqual(links[ifb]["linkinfo"]["info_kind"], "ifb")
        self.assertIn("UP", links[ifb]["flags"])
        self.assertEqual(links[ifb]["mtu"], links[veth]["mtu"])
        self.assertNotIn("txqlen", links[ifb])
        self.assertEqual(links[ifb].get("ifalias"), "cni-bandwidth %s cid1" % self.net)
        iroot = self.root(ifb)
        self.assertEqual((iroot["kind"], iroot["handle"]), ("tbf", "1:"))
        self.assertEqual(iroot["options"]["rate"], 125000)
        self.assertEqual(iroot["options"]["burst"], "125000b/1")
        # tc derives the latency from limit and rate: 25 ms, give or take its rounding
        self.assertLessEqual(abs(iroot["options"]["lat"] - 25000), 1)
        # the redirect: u32 match-all, flowid 1:1, mirred egress redirect (stolen, then pass)
        f = self.filters(veth)
        self.assertIn("protocol all pref 1 u32", f)
        self.assertIn("flowid 1:1", f)
        self.assertIn("match 00000000/00000000 at 0", f)
        self.assertIn("action order 1: mirred (Egress Redirect to device %s) stolen" % ifb, f)
        self.assertIn("action order 2: mirred (Egress Redirect to device %s) pass" % ifb, f)
        self.assertOK(self.bw("CHECK", self.conf(prev, **BOTH), ctr))
        self.assertOK(self.bw("DEL", self.conf(prev, **BOTH), ctr))
        self.assertNotIn(ifb, self.links())

    def test_only_one_direction(self):
        ctr, prev = self.attach("cid1")
        veth, ifb = self.host_veth(prev), ifb_name(self.net, "cid1")
        res = self.assertOK(self.bw("ADD", self.conf(prev, **SMALL), ctr))
        self.assertEqual(res["interfaces"], prev["interfaces"])
        self.assertEqual(self.root(veth)["kind"], "tbf")
        self.assertNotIn("ingress", [q["kind"] for q in self.qdiscs(veth)])
        self.assertNotIn(ifb, self.links())
        self.assertOK(self.bw("CHECK", self.conf(prev, **SMALL), ctr))

        ctr2, prev2 = self.attach("cid2")
        veth2 = self.host_veth(prev2)
        res = self.assertOK(self.bw("ADD", self.conf(prev2, **EGRESS), ctr2, cid="cid2"))
        self.assertEqual(res["interfaces"][-1]["name"], ifb_name(self.net, "cid2"))
        self.assertNotEqual(self.root(veth2)["kind"], "tbf")
        self.assertIn("ingress", [q["kind"] for q in self.qdiscs(veth2)])
        self.assertOK(self.bw("CHECK", self.conf(prev2, **EGRESS), ctr2, cid="cid2"))

    def test_nothing_to_shape_passes_prev_result_through(self):
        ctr, prev = self.attach("cid1")
        veth = self.host_veth(prev)
        for kw in ({}, {"ingressRate": 0, "ingressBurst": 0},
                   {"runtimeConfig": {"bandwidth": {}}},
                   # a top-level key, even 0, hides the capability
                   {"egressRate": 0, "runtimeConfig": {"bandwidth": SMALL}}):
            res = self.assertOK(self.bw("ADD", self.conf(prev, **kw), ctr))
            self.assertEqual(res, prev)
            self.assertNoShaping(veth, ifb_name(self.net, "cid1"))
            self.assertOK(self.bw("CHECK", self.conf(prev, **kw), ctr))

    def test_runtime_config_capability(self):
        ctr, prev = self.attach("cid1")
        veth = self.host_veth(prev)
        c = self.conf(prev, capabilities={"bandwidth": True},
                      runtimeConfig={"bandwidth": BOTH})
        res = self.assertOK(self.bw("ADD", c, ctr))
        self.assertEqual(res["interfaces"][-1]["name"], ifb_name(self.net, "cid1"))
        self.assertEqual(self.root(veth)["options"]["rate"], 1000)
        self.assertOK(self.bw("CHECK", c, ctr))
        # the top-level set wins over the capability
        ctr2, prev2 = self.attach("cid2")
        c = self.conf(prev2, ingressRate=16000, ingressBurst=160,
                      runtimeConfig={"bandwidth": BOTH})
        res = self.assertOK(self.bw("ADD", c, ctr2, cid="cid2"))
        self.assertEqual(res["interfaces"], prev2["interfaces"])
        self.assertEqual(self.root(self.host_veth(prev2))["options"]["rate"], 2000)

    def test_every_version(self):
        for i, v in enumerate(VERSIONS):
            cid = "cid%d" % i
            ctr, prev = self.attach(cid, version=v)
            c = self.conf(prev, version=v, **BOTH)
            res = self.assertOK(self.bw("ADD", c, ctr, cid=cid))
            self.assertEqual(res["cniVersion"], v)
            self.assertEqual(res["interfaces"][-1]["name"], ifb_name(self.net, cid))
            self.assertNotIn("sandbox", res["interfaces"][-1])
            self.assertEqual(res["ips"], prev["ips"])
            if v >= "0.4.0":
                self.assertOK(self.bw("CHECK", dict(c, prevResult=res), ctr, cid=cid))
            else:
                self.assertCNIError(self.bw("CHECK", c, ctr, cid=cid), 1,
                                    "config version does not allow CHECK")
            self.assertOK(self.bw("DEL", c, ctr, cid=cid))
            self.assertNotIn(ifb_name(self.net, cid), self.links())
        # 0.1.0 and 0.2.0 are not spoken, as by the reference
        for v in ("0.1.0", "0.2.0"):
            ctr, prev = self.attach("old" + v[2], version=v)
            for cmd in ("ADD", "DEL"):
                r = self.bw(cmd, self.conf(prev, version=v, **BOTH), ctr, cid="old" + v[2])
                self.assertCNIError(r, 1, "incompatible CNI versions")
                self.assertIn('plugin supports ["0.3.0" "0.3.1" "0.4.0" "1.0.0" "1.1.0"]',
                              r.json.get("details", ""))

    # ---- the reference, side by side -------------------------------------------------

    def normalize_qdiscs(self, dev):
        out = []
        for q in self.qdiscs(dev):
            q = dict(q)
            q.pop("dev", None)
            q.pop("refcnt", None)
            out.append(q)
        return out

    def test_same_objects_as_the_reference(self):
        if not self.go_available():
            self.skipTest("Debian's Go bandwidth plugin is not installed")
        cases = [BOTH,
                 # containerd's and CRI-O's bursts (Go's uint32 wrap-around included)
                 {"ingressRate": 1000000, "ingressBurst": 4294967295,
                  "egressRate": 10000000, "egressBurst": 34359738359},
                 {"ingressRate": 123456789, "ingressBurst": 9876543,
                  "egressRate": 40000000000, "egressBurst": 800000}]
        for n, limits in enumerate(cases):
            ours_cid, go_cid = "ours%d" % n, "go%d" % n
            ctr1, prev1 = self.attach(ours_cid)
            ctr2, prev2 = self.attach(go_cid)
            ours = self.assertOK(self.bw("ADD", self.conf(prev1, **limits), ctr1, cid=ours_cid))
            go = self.assertOK(self.bw("ADD", self.conf(prev2, **limits), ctr2, cid=go_cid,
                                       plugin="go"))
            v1, v2 = self.host_veth(prev1), self.host_veth(prev2)
            i1, i2 = ifb_name(self.net, ours_cid), ifb_name(self.net, go_cid)
            self.assertEqual(self.normalize_qdiscs(v1), self.normalize_qdiscs(v2), limits)
            self.assertEqual(self.normalize_qdiscs(i1), self.normalize_qdiscs(i2), limits)
            # action indexes count per namespace
            norm = lambda text, ifb: re.sub(r"index \d+", "index N", text.replace(ifb, "IFB"))
            self.assertEqual(norm(self.filters(v1), i1), norm(self.filters(v2), i2))
            l1, l2 = self.links()[i1], self.links()[i2]
            for key in ("mtu", "flags", "txqlen", "linkmode", "group"):
                self.assertEqual(l1.get(key), l2.get(key), key)
            # the same result, but for names, MACs and the empty dns Go 1.1.1 prints
            strip = lambda r, ifb: [dict(i, mac="", name=i["name"].replace(ifb, "IFB"))
                                    for i in r["interfaces"][-1:]]
            self.assertEqual(strip(ours, i1), strip(go, i2))
            # each plugin's CHECK accepts what the other one set up
            self.assertOK(self.bw("CHECK", self.conf(ours, **limits), ctr1, cid=ours_cid,
                                  plugin="go"))
            self.assertOK(self.bw("CHECK", self.conf(go, **limits), ctr2, cid=go_cid))
            # and DEL removes it
            self.assertOK(self.bw("DEL", self.conf(go, **limits), ctr2, cid=go_cid))
            self.assertOK(self.bw("DEL", self.conf(ours, **limits), ctr1, cid=ours_cid,
                                  plugin="go"))
            self.assertNotIn(i1, self.links())
            self.assertNotIn(i2, self.links())

    def test_same_errors_as_the_reference(self):
        if not self.go_available():
            self.skipTest("Debian's Go bandwidth plugin is not installed")
        ctr, prev = self.attach("cid1")
        for kw in ({"ingressRate": 8000}, {"ingressBurst": 80}, {"egressRate": 1},
                   {"egressBurst": 1}, {"ingressRate": 1, "ingressBurst": 34359738360},
                   {"egressRate": 1, "ingressBurst": 1}):
            ours = self.bw("ADD", self.conf(prev, **kw), ctr)
            go = self.bw("ADD", self.conf(prev, **kw), ctr, plugin="go")
            self.assertEqual(ours.json["msg"], go.json["msg"], kw)
        for bad_prev in ({"cniVersion": "1.0.0", "interfaces": []},
                         {"cniVersion": "1.0.0",
                          "interfaces": [{"name": "eth0", "sandbox": ctr.path}]}):
            ours = self.bw("ADD", self.conf(bad_prev, **BOTH), ctr)
            go = self.bw("ADD", self.conf(bad_prev, **BOTH), ctr, plugin="go")
            self.assertEqual(ours.json["msg"], go.json["msg"])
        self.assertNoShaping(self.host_veth(prev), ifb_name(self.net, "cid1"))

    # ---- DEL -------------------------------------------------------------------------

    def test_del_idempotent_and_without_netns(self):
        ctr, prev = self.attach("cid1")
        ifb = ifb_name(self.net, "cid1")
        c = self.conf(prev, **BOTH)
        self.assertOK(self.bw("ADD", c, ctr))
        self.assertIn(ifb, self.links())
        # the container's namespace goes first; DEL needs neither it nor prevResult
        ctr.close()
        self.assertOK(self.bw("DEL", self.conf(None, **BOTH), netns=ctr.path))
        self.assertNotIn(ifb, self.links())
        self.assertOK(self.bw("DEL", self.conf(None, **BOTH), netns=ctr.path))
        self.assertOK(self.bw("DEL", self.conf(None), netns=""))

    def test_del_with_a_broken_config_still_cleans(self):
        ctr, prev = self.attach("cid1")
        ifb = ifb_name(self.net, "cid1")
        self.assertOK(self.bw("ADD", self.conf(prev, **BOTH), ctr))
        r = self.bw("DEL", self.conf(prev, egressRate=5, ingressRate="x"), ctr)
        self.assertOK(r)
        self.assertIn("ignoring config error", r.stderr)
        self.assertNotIn(ifb, self.links())

    def test_del_leaves_a_link_that_is_not_an_ifb(self):
        ifb = ifb_name(self.net, "cid1")
        self.node.sh("ip link add %s type veth peer name bwpeer0" % ifb)
        r = self.bw("DEL", self.conf(None), netns="")
        self.assertOK(r)
        self.assertIn("not an ifb device", r.stderr)
        self.assertIn(ifb, self.links())

    # ---- a failed ADD leaves nothing --------------------------------------------------

    def test_failed_add_rolls_back(self):
        ctr, prev = self.attach("cid1")
        veth, ifb = self.host_veth(prev), ifb_name(self.net, "cid1")
        # the kernel refuses the ifb's tbf (0 bytes/s): everything before it is undone
        r = self.bw("ADD", self.conf(prev, ingressRate=8000, ingressBurst=80, egressRate=7,
                                     egressBurst=800), ctr)
        self.assertCNIError(r, 999, "create ifb qdisc: create qdisc: invalid argument")
        self.assertNoShaping(veth, ifb)
        self.assertEqual(self.filters(veth).strip(), "")
        # an ingress qdisc that was there already: ADD fails, ours are undone, it stays
        self.node.sh("tc qdisc add dev %s ingress" % veth)
        r = self.bw("ADD", self.conf(prev, **BOTH), ctr)
        self.assertCNIError(r, 999, "create ingress qdisc: file exists")
        self.assertNotIn("tbf", [q["kind"] for q in self.qdiscs(veth)])
        self.assertIn("ingress", [q["kind"] for q in self.qdiscs(veth)])
        self.assertNotIn(ifb, self.links())
        self.node.sh("tc qdisc del dev %s ingress" % veth)
        # the ifb name taken: "adding link", the root tbf undone, the other link stays
        self.node.sh("ip link add %s type ifb" % ifb)
        r = self.bw("ADD", self.conf(prev, **BOTH), ctr)
        self.assertCNIError(r, 999, "adding link: file exists")
        self.assertNotIn("tbf", [q["kind"] for q in self.qdiscs(veth)])
        self.assertIn(ifb, self.links())
        self.node.sh("ip link del %s" % ifb)
        # a second ADD fails like the reference's (exclusive create) and keeps the first
        self.assertOK(self.bw("ADD", self.conf(prev, **BOTH), ctr))
        r = self.bw("ADD", self.conf(prev, **BOTH), ctr)
        self.assertCNIError(r, 999, "create qdisc: file exists")
        self.assertOK(self.bw("CHECK", self.conf(prev, **BOTH), ctr))

    # ---- errors --------------------------------------------------------------------

    def test_errors(self):
        ctr, prev = self.attach("cid1")
        veth = self.host_veth(prev)
        cases = [
            ({"ingressRate": 8000}, 7, "if rate is set, burst must also be set"),
            ({"egressBurst": 8000}, 7, "if burst is set, rate must also be set"),
            ({"egressRate": 1, "egressBurst": 34359738360}, 7, "burst cannot be more than 4GB"),
            ({"ingressRate": -1}, 7, "'ingressRate' must be an integer"),
            ({"runtimeConfig": {"bandwidth": {"egressRate": "1"}}}, 7,
             "'runtimeConfig.bandwidth.egressRate' must be an integer"),
        ]
        for kw, code, msg in cases:
            for cmd in ("ADD", "CHECK"):
                self.assertCNIError(self.bw(cmd, self.conf(prev, **kw), ctr), code, msg)
        self.assertCNIError(self.bw("ADD", self.conf(None, **BOTH), ctr), 7,
                            "must be called as chained plugin")
        self.assertCNIError(self.bw("ADD", self.conf(None), ctr), 7,
                            "must be called as chained plugin")
        self.assertCNIError(self.bw("CHECK", self.conf(None, **BOTH), ctr), 7,
                            "must be called as a chained plugin")
        self.assertCNIError(self.bw("ADD", self.conf({"cniVersion": "0.4.0"}, **BOTH), ctr), 6,
                            "could not parse prevResult")
        self.assertCNIError(self.bw("ADD", self.conf(prev, **BOTH), netns="/run/netns/nope"),
                            999, 'failed to open netns "/run/netns/nope"')
        self.assertCNIError(self.bw("ADD", self.conf(prev, **BOTH), ctr, ifname="eth9"), 999,
                            "container interface eth9 has no veth peer: could not look up")
        self.assertCNIError(self.bw("ADD", self.conf(prev, **BOTH), ctr, ifname="lo"), 999,
                            'container interface lo has no veth peer: interface "lo" was not '
                            'a veth interface')
        self.assertCNIError(
            self.bw("ADD", self.conf({"cniVersion": "1.0.0", "interfaces": []}, **BOTH), ctr),
            999, "no interfaces provided")
        only_ctr = {"cniVersion": "1.0.0", "interfaces": [{"name": "eth0", "sandbox": ctr.path}]}
        self.assertCNIError(self.bw("ADD", self.conf(only_ctr, **BOTH), ctr), 999,
                            "no veth peer of container interface found in host ns")
        # the same interface named with a sandbox does not count as the host side
        sandboxed = {"cniVersion": "1.0.0",
                     "interfaces": [{"name": veth, "sandbox": "/x"}, prev["interfaces"][2]]}
        self.assertCNIError(self.bw("ADD", self.conf(sandboxed, **BOTH), ctr), 999,
                            "no veth peer of container interface found in host ns")
        self.assertNoShaping(veth, ifb_name(self.net, "cid1"))

    # ---- CHECK -----------------------------------------------------------------------

    def test_check_detects_changes(self):
        ctr, prev = self.attach("cid1")
        veth, ifb = self.host_veth(prev), ifb_name(self.net, "cid1")
        c = self.conf(prev, **BOTH)
        self.assertOK(self.bw("ADD", c, ctr))
        self.assertOK(self.bw("CHECK", c, ctr))
        for kw, msg in (({"ingressRate": 16000, "ingressBurst": 80}, "Rate doesn't match"),
                        ({"ingressRate": 8000, "ingressBurst": 800}, "Limit doesn't match"),
                        ({"egressRate": 2000000, "egressBurst": 1000000}, "Rate doesn't match")):
            self.assertCNIError(self.bw("CHECK", self.conf(prev, **dict(BOTH, **kw)), ctr), 999,
                                msg)
        # beyond the reference: the redirect and the ingress qdisc are checked too
        self.node.sh("tc filter del dev %s ingress" % veth)
        self.assertCNIError(self.bw("CHECK", c, ctr), 999,
                            "no filter on '%s' redirects to '%s'" % (veth, ifb))
        self.node.sh("tc qdisc del dev %s ingress" % veth)
        self.assertCNIError(self.bw("CHECK", c, ctr), 999, "no ingress qdisc on '%s'" % veth)
        self.node.sh("ip link del %s" % ifb)
        self.assertCNIError(self.bw("CHECK", c, ctr), 999, "get ifb device: link '%s' not found"
                            % ifb)
        self.node.sh("tc qdisc del dev %s root" % veth)
        self.assertCNIError(self.bw("CHECK", self.conf(prev, **SMALL), ctr), 999,
                            "no tbf qdisc at the root of '%s'" % veth)

    # ---- GC, STATUS, VERSION -----------------------------------------------------------

    def test_gc_removes_stale_ifbs_of_this_network_only(self):
        c1, p1 = self.attach("keep", version="1.1.0")
        c2, p2 = self.attach("stale", version="1.1.0")
        c3, p3 = self.attach("othernet", version="1.1.0")
        self.assertOK(self.bw("ADD", self.conf(p1, version="1.1.0", **EGRESS), c1, cid="keep"))
        self.assertOK(self.bw("ADD", self.conf(p2, version="1.1.0", **EGRESS), c2, cid="stale"))
        self.assertOK(self.bw("ADD", self.conf(p3, version="1.1.0", net="other", **EGRESS), c3,
                              cid="othernet"))
        # an ifb without our tag (the reference's, or anyone's) is never touched
        untagged = ifb_name(self.net, "untagged")
        self.node.sh("ip link add %s type ifb" % untagged)
        gc = self.conf(None, version="1.1.0")
        gc["cni.dev/valid-attachments"] = [{"containerID": "keep", "ifname": "eth0"}]
        self.assertOK(self.bw("GC", gc, netns=""))
        links = self.links()
        self.assertIn(ifb_name(self.net, "keep"), links)
        self.assertNotIn(ifb_name(self.net, "stale"), links)
        self.assertIn(ifb_name("other", "othernet"), links)
        self.assertIn(untagged, links)
        self.assertOK(self.bw("GC", gc, netns=""))
        self.assertOK(self.bw("CHECK", self.conf(p1, version="1.1.0", **EGRESS), c1, cid="keep"))

    def test_status_gc_version(self):
        self.assertOK(self.bw("STATUS", self.conf(None, version="1.1.0"), netns=""))
        for cmd in ("GC", "STATUS"):
            self.assertCNIError(self.bw(cmd, self.conf(None, version="1.0.0"), netns=""), 1,
                                "config version does not allow %s" % cmd)
        r = self.assertOK(self.bw("VERSION", "{}", netns=""))
        self.assertEqual(r["cniVersion"], "1.1.0")
        self.assertEqual(r["supportedVersions"], list(VERSIONS))

    # ---- traffic -----------------------------------------------------------------------

    def transfer(self, sender, receiver, dest_ip, size):
        """Send size bytes over TCP from sender to receiver; the seconds the data took."""
        port = 5201
        p = subprocess.Popen(["nsenter", "--net=" + receiver.path, "python3", "-c", RECEIVER,
                              str(port)], stdout=subprocess.PIPE, text=True)
        self.addCleanup(p.kill)
        self.assertEqual(p.stdout.readline().strip(), "ready")
        sender.sh("head -c %d /dev/zero | socat -u - TCP4:%s:%d" % (size, dest_ip, port),
                  timeout=60)
        out = p.stdout.readline().split()
        p.wait(timeout=60)
        self.assertEqual(int(out[0]), size)
        return float(out[1])

    def test_traffic_is_shaped(self):
        cnitest.require(self, tools=("socat",))
        ctr, prev = self.attach("cid1")
        cont_ip = prev["ips"][0]["address"].split("/")[0]
        gw = prev["ips"][0]["gateway"]
        # 100 kB/s each way with a 10 kB bucket: 200 kB need about 1.9 s.
        limits = {"ingressRate": 800000, "ingressBurst": 80000,
                  "egressRate": 800000, "egressBurst": 80000}
        self.assertOK(self.bw("ADD", self.conf(prev, **limits), ctr))
        size = 200000
        # A lower bound only (the bucket cannot send faster), generous against timer slack.
        self.assertGreater(self.transfer(ctr, self.node, gw, size), 1.0)
        self.assertGreater(self.transfer(self.node, ctr, cont_ip, size), 1.0)


if __name__ == "__main__":
    unittest.main()
