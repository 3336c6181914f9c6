# SPDX-License-Identifier: Apache-2.0
"""What the shared skeleton decides for every plugin, seen through the real binaries.

  * CNI_NETNS naming the plugin's own namespace: ADD and CHECK fail with code 8
    before anything is created; DEL succeeds and releases what the container
    holds, as if its namespace were gone, without touching the node's interfaces.
  * GC without "cni.dev/valid-attachments" releases nothing; the legacy
    "cni.dev/attachments" is read where it is the only list.
  * Input Go's encoding/json refuses, strings holding a NUL and wrong types of
    the standard keys are refused before any side effect.

Each test runs the plugins inside a namespace of its own standing in for the
node (bridge + host-local as its IPAM, portmap), with dataDir in a temp dir.
"""
import ipaddress
import json
import os
import uuid

import cnitest
from cnitest import CNITestCase, prev_result, run_plugin

SELF_NETNS_MSG = "plugin's netns and netns from CNI_NETNS should not be the same"
SELF_NETNS_WARN = "is the plugin's own network namespace: deleting as if the container's " \
                  "namespace were gone"
GC_WARN = "GC without 'cni.dev/valid-attachments' (or 'cni.dev/attachments'): nothing is released"
NO_ATTACHMENT = ("CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME")


class SkelBase(CNITestCase):
    needs_netns = True
    BRIDGE = "skbr0"
    SUBNET = "10.77.0.0/24"

    def setUp(self):
        super().setUp()
        cnitest.require(self, plugins=("bridge", "host-local", "portmap"),
                        tools=("nft", "ip", "nsenter"))
        self.node = self.netns("sknode")
        self.data = self.tmpdir()
        self.net = "sk" + uuid.uuid4().hex[:6]

    # ---- configs ---------------------------------------------------------------------

    def ipam(self):
        return {"type": "host-local", "subnet": self.SUBNET, "dataDir": self.data}

    def bridge_conf(self, version="1.0.0", **kw):
        c = {"cniVersion": version, "name": self.net, "type": "bridge", "bridge": self.BRIDGE,
             "isGateway": True, "ipMasq": True, "ipam": self.ipam()}
        c.update(kw)
        return c

    def hl_conf(self, version="1.0.0", **kw):
        c = {"cniVersion": version, "name": self.net, "ipam": self.ipam()}
        c.update(kw)
        return c

    def pm_conf(self, version="1.0.0", prev=True, **kw):
        c = {"cniVersion": version, "name": self.net, "type": "portmap",
             "runtimeConfig": {"portMappings": [
                 {"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}]}}
        if prev:
            c["prevResult"] = prev_result([("10.77.0.5/24", "10.77.0.1")],
                                          sandbox="/run/netns/x", host=(self.BRIDGE,))
        c.update(kw)
        return c

    # ---- running ---------------------------------------------------------------------

    def run_in_node(self, plugin, cmd, conf, cid="skc1", netns=None, **kw):
        """Run plugin inside the node namespace; netns defaults to the node's own."""
        return run_plugin(plugin, cmd, conf, containerid=cid,
                          netns=self.node.path if netns is None else netns,
                          in_netns=self.node.name, **kw)

    def gc(self, plugin, conf):
        return run_plugin(plugin, "GC", conf, in_netns=self.node.name, unset=NO_ATTACHMENT)

    # ---- node state ------------------------------------------------------------------

    def links(self):
        return sorted(l["ifname"] for l in self.node.json("ip -j link show"))

    def ruleset(self):
        return self.node.sh("nft list ruleset")

    def rules_with(self, cid):
        return [l for l in self.ruleset().splitlines() if cid in l and "comment" in l]

    def reservations(self):
        """{address: owner} of the network's host-local store."""
        d = os.path.join(self.data, self.net)
        if not os.path.isdir(d):
            return {}
        out = {}
        for f in os.listdir(d):
            try:
                ipaddress.ip_address(f)
            except ValueError:
                continue  # the lock, last_reserved_ip.N and other bookkeeping
            with open(os.path.join(d, f), "rb") as fh:
                out[f] = fh.read().split(b"\r\n")[0].decode()
        return out

    def snapshot(self):
        return self.links(), self.ruleset(), self.reservations()


class TestSelfNetns(SkelBase):
    """CNI_NETNS is the node's own namespace (the plugins run in it)."""

    def test_add_and_check_create_nothing(self):
        before = self.snapshot()
        for plugin, conf in (("bridge", self.bridge_conf()), ("host-local", self.hl_conf()),
                             ("portmap", self.pm_conf())):
            with self.subTest(plugin=plugin):
                res = self.run_in_node(plugin, "ADD", conf)
                self.assertCNIError(res, 8)
                self.assertEqual(res.json["msg"], SELF_NETNS_MSG)
                self.assertEqual(self.snapshot(), before)
                res = self.run_in_node(plugin, "CHECK", conf)
                self.assertCNIError(res, 8)
                self.assertEqual(self.snapshot(), before)
        # nothing at all: no bridge, no veth, no reservation, no rule, no store
        self.assertEqual(before[0], ["lo"])
        self.assertEqual(before[2], {})
        self.assertEqual(os.listdir(self.data), [])
        # CNI_NETNS_OVERRIDE keeps its meaning: the check is skipped (host-local then works)
        res = self.run_in_node("host-local", "ADD", self.hl_conf(),
                               env={"CNI_NETNS_OVERRIDE": "true"})
        self.assertOK(res)
        self.assertEqual(list(self.reservations().values()), ["skc1"])

    def test_bridge_del_releases_and_spares_node_interfaces(self):
        ctr = self.netns("skctr")
        res = self.run_in_node("bridge", "ADD", self.bridge_conf(), netns=ctr.path)
        self.assertOK(res)
        self.assertEqual(list(self.reservations().values()), ["skc1"])
        self.assertNotEqual(self.rules_with("skc1"), [])
        # an interface of the node named like the container's must survive
        self.node.sh("ip link add eth0 type veth peer name eth0peer")
        res = self.run_in_node("bridge", "DEL", self.bridge_conf())
        self.assertOK(res)
        self.assertIn(SELF_NETNS_WARN, res.stderr)
        self.assertEqual(self.reservations(), {})
        self.assertEqual(self.rules_with("skc1"), [])
        self.assertIn("eth0", self.links())
        self.assertIn(self.BRIDGE, self.links())
        # and again: DEL stays idempotent, never code 8
        self.assertOK(self.run_in_node("bridge", "DEL", self.bridge_conf()))

    def test_host_local_del_releases(self):
        # reserve for a container (host-local never enters the netns)
        self.assertOK(self.run_in_node("host-local", "ADD", self.hl_conf(), cid="skc2",
                                       netns="/run/netns/none"))
        self.assertEqual(list(self.reservations().values()), ["skc2"])
        res = self.run_in_node("host-local", "DEL", self.hl_conf(), cid="skc2")
        self.assertOK(res)
        self.assertIn(SELF_NETNS_WARN, res.stderr)
        self.assertEqual(self.reservations(), {})

    def test_portmap_del_removes_rules(self):
        self.assertOK(self.run_in_node("portmap", "ADD", self.pm_conf(), cid="skc3",
                                       netns="/run/netns/none"))
        self.assertNotEqual(self.rules_with("skc3"), [])
        res = self.run_in_node("portmap", "DEL", self.pm_conf(), cid="skc3")
        self.assertOK(res)
        self.assertIn(SELF_NETNS_WARN, res.stderr)
        self.assertEqual(self.rules_with("skc3"), [])


class TestGCList(SkelBase):
    """GC only with a list of attachments to keep."""

    def test_host_local(self):
        for cid in ("gc1", "gc2"):
            self.assertOK(self.run_in_node("host-local", "ADD", self.hl_conf(), cid=cid,
                                           netns="/run/netns/none"))
        before = self.reservations()
        res = self.gc("host-local", self.hl_conf("1.1.0"))
        self.assertOK(res)
        self.assertIn(GC_WARN, res.stderr)
        self.assertEqual(self.reservations(), before)
        # the legacy key alone is the list
        legacy = self.hl_conf("1.1.0", **{"cni.dev/attachments": [
            {"containerID": "gc2", "ifname": "eth0"}]})
        self.assertOK(self.gc("host-local", legacy))
        self.assertEqual(list(self.reservations().values()), ["gc2"])
        # an explicit empty list releases everything
        self.assertOK(self.gc("host-local",
                              self.hl_conf("1.1.0", **{"cni.dev/valid-attachments": []})))
        self.assertEqual(self.reservations(), {})

    def test_bridge(self):
        ctr = self.netns("skctr")
        self.assertOK(self.run_in_node("bridge", "ADD", self.bridge_conf(), cid="gc3",
                                       netns=ctr.path))
        before = self.snapshot()
        res = self.gc("bridge", self.bridge_conf("1.1.0"))
        self.assertOK(res)
        self.assertIn(GC_WARN, res.stderr)
        self.assertEqual(self.snapshot(), before)
        self.assertEqual(list(self.reservations().values()), ["gc3"])

    def test_portmap(self):
        self.assertOK(self.run_in_node("portmap", "ADD", self.pm_conf(), cid="gc4",
                                       netns="/run/netns/none"))
        rules = self.rules_with("gc4")
        self.assertNotEqual(rules, [])
        res = self.gc("portmap", self.pm_conf("1.1.0", prev=False))
        self.assertOK(res)
        self.assertIn(GC_WARN, res.stderr)
        self.assertEqual(self.rules_with("gc4"), rules)
        keep = self.pm_conf("1.1.0", prev=False, **{"cni.dev/attachments": [
            {"containerID": "gc4", "ifname": "eth0"}]})
        self.assertOK(self.gc("portmap", keep))
        self.assertEqual(self.rules_with("gc4"), rules)
        drop = self.pm_conf("1.1.0", prev=False, **{"cni.dev/attachments": []})
        self.assertOK(self.gc("portmap", drop))
        self.assertEqual(self.rules_with("gc4"), [])


class TestStrictInput(SkelBase):
    """Refused before any side effect, in every plugin."""

    def test_refused_inputs(self):
        ctr = self.netns("skctr")
        good = json.dumps(self.bridge_conf(), separators=(",", ":")).encode()
        name = b'"name":"%s"' % self.net.encode()
        self.assertIn(name, good)
        cases = [
            (b"\x00" + good, 6, "invalid character '\\x00' looking for beginning of value"),
            (good + b"\x00", 6, "invalid character '\\x00' after top-level value"),
            (b"\xef\xbb\xbf" + good, 6, "looking for beginning of value"),
            (good.replace(b'"name"', b'\x01"name"'), 6,
             "invalid character '\\x01' looking for beginning of object key string"),
            (good.replace(name, name[:-1] + b'\x00"'), 6,
             "invalid character '\\x00' in string literal"),
            (good.replace(name, name[:-1] + b'\\u0000/../../x"'), 7,
             "invalid characters found in network name"),
            (good.replace(b'"1.0.0"', b'"1.0.0\x00"'), 6, "in string literal"),
            (good.replace(b'"1.0.0"', b'"1.0.0\\u0000"'), 1, "incompatible CNI versions"),
            (good.replace(b'"type":"bridge"', b'"type":1'), 7,
             "invalid network config: 'type' must be a string, not number"),
            (good[:-1] + b',"capabilities":1}', 7,
             "invalid network config: 'capabilities' must be an object, not number"),
            (good[:-1] + b',"runtimeConfig":[]}', 7,
             "invalid network config: 'runtimeConfig' must be an object, not array"),
        ]
        before = self.snapshot()
        for plugin in ("bridge", "host-local", "portmap"):
            for data, code, msg in cases:
                with self.subTest(plugin=plugin, data=data):
                    res = self.run_in_node(plugin, "ADD", data, netns=ctr.path)
                    self.assertCNIError(res, code, msg)
                    self.assertEqual(self.snapshot(), before)
        self.assertEqual(os.listdir(self.data), [])
        # a string holding a NUL elsewhere is refused by the config getters, naming the key
        conf = json.dumps(self.hl_conf()).replace(self.data, self.data + "\\u0000/x")
        res = self.run_in_node("host-local", "ADD", conf, netns=ctr.path)
        self.assertCNIError(res, 7, "'dataDir' must not contain a NUL character")
        self.assertEqual(os.listdir(self.data), [])
        # the same config unmodified works (the cases above differ only as described)
        self.assertOK(self.run_in_node("host-local", "ADD", self.hl_conf(), netns=ctr.path))
