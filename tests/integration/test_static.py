# SPDX-License-Identifier: Apache-2.0
"""Black-box tests of bin/static: results in every version, the precedence of the address
sources, errors and their codes, the verbs that do nothing, hostile input, the same inputs
given to Debian's Go static when it is installed, and static as the IPAM of our bridge
(a container attached with a fixed address, as podman does for static IPs).
"""
import json
import os
import subprocess
import uuid

import cnitest
from cnitest import CNITestCase, run_plugin

GO_PLUGIN = "/usr/lib/cni/static"
VERSIONS = ("0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0")

IPAM = {"type": "static",
        "addresses": [{"address": "10.10.0.5/24", "gateway": "10.10.0.1"},
                      {"address": "fd10::5/64"}],
        "routes": [{"dst": "0.0.0.0/0"}, {"dst": "192.168.9.0/24", "gw": "10.10.0.254"},
                   {"dst": "::/0", "gw": "fd10::1"}],
        "dns": {"nameservers": ["10.10.0.1"], "domain": "example.test", "search": ["test"],
                "options": ["ndots:2"]}}
DNS = IPAM["dns"]


def conf(version="1.0.0", ipam=None, **kw):
    c = {"cniVersion": version, "name": "snet", "type": "bridge",
         "ipam": IPAM if ipam is None else ipam}
    c.update(kw)
    return c


def static(cmd, c, **kw):
    return run_plugin("static", cmd, c, **kw)


class StaticTest(CNITestCase):

    def add(self, c, **kw):
        return self.assertOK(static("ADD", c, **kw))

    def addresses(self, c, **kw):
        res = self.add(c, **kw)
        return [(ip["address"], ip.get("gateway")) for ip in res.get("ips", [])]

    def error(self, c, code, msg, **kw):
        res = static("ADD", c, **kw)
        self.assertCNIError(res, code)
        self.assertEqual(res.json["msg"], msg)

    # ---- results ---------------------------------------------------------------------

    def test_result_every_version(self):
        ips_1x = [{"address": "10.10.0.5/24", "gateway": "10.10.0.1"}, {"address": "fd10::5/64"}]
        routes = [{"dst": "0.0.0.0/0"}, {"dst": "192.168.9.0/24", "gw": "10.10.0.254"},
                  {"dst": "::/0", "gw": "fd10::1"}]
        for v in VERSIONS:
            with self.subTest(version=v):
                res = self.add(conf(v))
                if v.startswith("1."):
                    want = {"cniVersion": v, "ips": ips_1x, "routes": routes, "dns": DNS}
                elif v in ("0.1.0", "0.2.0"):
                    want = {"cniVersion": v,
                            "ip4": {"ip": "10.10.0.5/24", "gateway": "10.10.0.1",
                                    "routes": routes[:2]},
                            "ip6": {"ip": "fd10::5/64", "routes": routes[2:]},
                            "dns": DNS}
                else:
                    want = {"cniVersion": v,
                            "ips": [dict(ips_1x[0], version="4"), dict(ips_1x[1], version="6")],
                            "routes": routes, "dns": DNS}
                self.assertEqual(res, want)

    def test_result_text(self):
        res = static("ADD", conf("1.1.0", ipam={"type": "static", "addresses": [
            {"address": "10.10.0.5/24"}], "routes": [{"dst": "0.0.0.0/0", "mtu": 1400}]}))
        self.assertEqual(res.rc, 0, res)
        self.assertEqual(res.stdout, '{\n    "cniVersion": "1.1.0",\n    "ips": [\n        {\n'
                                     '            "address": "10.10.0.5/24"\n        }\n    ],\n'
                                     '    "routes": [\n        {\n            "dst": "0.0.0.0/0",\n'
                                     '            "mtu": 1400\n        }\n    ]\n}')
        res = static("ADD", conf("0.4.0", ipam={"type": "static"}))
        self.assertEqual(res.stdout, '{\n    "cniVersion": "0.4.0",\n    "dns": {}\n}')

    def test_no_addresses(self):
        self.assertEqual(self.add(conf("1.0.0", ipam={"type": "static"})),
                         {"cniVersion": "1.0.0"})
        for v in ("0.1.0", "0.2.0"):
            self.error(conf(v, ipam={"type": "static"}), 999,
                       "cannot convert: no valid IP addresses")

    def test_host_bits_and_mapped_addresses_kept_as_go_does(self):
        ipam = {"type": "static", "addresses": [
            {"address": "10.10.0.77/8", "gateway": "::ffff:10.0.0.1"},
            {"address": "::ffff:10.0.0.2/120"}],
            "routes": [{"dst": "10.9.8.7/16"}]}
        res = self.add(conf("1.0.0", ipam=ipam))
        self.assertEqual(res["ips"], [{"address": "10.10.0.77/8", "gateway": "10.0.0.1"},
                                      {"address": "10.0.0.2/24"}])
        self.assertEqual(res["routes"], [{"dst": "10.9.8.7/16"}])

    # ---- address sources ---------------------------------------------------------------

    def test_cni_args(self):
        c = conf("0.4.0", ipam={"type": "static", "addresses": [
            {"address": "10.1.0.6/24", "gateway": "10.1.0.100"}]})
        self.assertEqual(self.addresses(c, args="IP=10.1.0.5/24, 10.2.0.5/16;"
                                               "GATEWAY=10.1.0.1, 10.2.255.254"),
                         [("10.1.0.6/24", "10.1.0.100"), ("10.1.0.5/24", "10.1.0.1"),
                          ("10.2.0.5/16", "10.2.255.254")])
        # GATEWAY never reaches a config address, even one whose subnet holds it.
        self.assertEqual(self.addresses(c, args="GATEWAY=10.1.0.1"),
                         [("10.1.0.6/24", "10.1.0.100")])
        # What a runtime sends along is fine with IgnoreUnknown.
        self.assertEqual(self.addresses(c, args="IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;"
                                               "K8S_POD_NAME=p;IP=fd00::9/64;GATEWAY=fd00::1"),
                         [("10.1.0.6/24", "10.1.0.100"), ("fd00::9/64", "fd00::1")])
        for args, msg in [
                ("IP=10.0.0.1", "the 'ip' field is expected to be in CIDR notation, "
                                "got: '10.0.0.1'"),
                ("GATEWAY=10.0.0.1, x", "invalid gateway address:  x"),
                ("FOO=1", 'ARGS: unknown args ["FOO=1"]'),
                ("ip=10.0.0.1/8", 'ARGS: unknown args ["ip=10.0.0.1/8"]'),
                ("IP=10.0.0.1/8;", 'ARGS: invalid pair ""')]:
            with self.subTest(args=args):
                self.error(c, 999, msg, args=args)

    def test_precedence(self):
        args = "IP=10.3.0.1/24;GATEWAY=10.3.0.254"
        base = {"type": "static", "addresses": [{"address": "10.0.0.1/24"}]}
        self.assertEqual(self.addresses(conf(ipam=base), args=args),
                         [("10.0.0.1/24", None), ("10.3.0.1/24", "10.3.0.254")])
        c = conf(ipam=base, args={"cni": {"ips": ["10.1.0.1/24", "fd00::1/64"]}})
        self.assertEqual(self.addresses(c, args=args), [("10.1.0.1/24", None),
                                                        ("fd00::1/64", None)])
        c["runtimeConfig"] = {"ips": ["10.2.0.1/24"]}
        self.assertEqual(self.addresses(c, args=args), [("10.2.0.1/24", None)])
        # Empty lists replace nothing; replaced config addresses are never validated.
        c = conf(ipam=base, args={"cni": {"ips": []}}, runtimeConfig={"ips": []})
        self.assertEqual(self.addresses(c), [("10.0.0.1/24", None)])
        c = conf(ipam={"type": "static", "addresses": [{"address": "bad"}]},
                 runtimeConfig={"ips": ["10.2.0.1/24"]})
        self.assertEqual(self.addresses(c), [("10.2.0.1/24", None)])
        for key in ("args", "runtimeConfig"):
            with self.subTest(key=key):
                val = {"cni": {"ips": ["10.0.0.1"]}} if key == "args" else {"ips": ["10.0.0.1"]}
                self.error(conf(**{key: val}), 7, "an entry in the 'ips' field is NOT in "
                                                  "CIDR notation, got: '10.0.0.1'")

    # ---- errors ------------------------------------------------------------------------

    def test_errors(self):
        A = "addresses"
        cases = [
            ({"cniVersion": "1.0.0", "name": "n"}, 7, "IPAM config missing 'ipam' key"),
            (conf(ipam={A: [{"address": "10.0.0.5"}]}), 7,
             "the 'address' field is expected to be in CIDR notation, got: '10.0.0.5'"),
            (conf(ipam={A: [{"gateway": "10.0.0.1"}]}), 7,
             "the 'address' field is expected to be in CIDR notation, got: ''"),
            (conf(ipam={A: [{"address": "10.0.0.5/24", "gateway": "x"}]}), 7,
             "invalid IP address: x"),
            (conf(ipam={A: [{"address": "10.0.0.5/24", "gateway": "fd00::1"}]}), 7,
             "gateway 'fd00::1' and address '10.0.0.5/24' are of different IP families"),
            (conf("0.2.0", ipam={A: [{"address": "10.0.0.5/24"}, {"address": "10.0.0.6/24"}]}), 7,
             "CNI version 0.2.0 does not support more than 1 address per family"),
            (conf("0.1.0", ipam={A: [{"address": "fd00::5/64"}, {"address": "fd00::6/64"}]}), 7,
             "CNI version 0.1.0 does not support more than 1 address per family"),
            (conf(ipam={"routes": [{"dst": "x"}]}), 7, "invalid CIDR address: x"),
            (conf(ipam={"routes": [{"gw": "10.0.0.1"}]}), 7,
             "invalid network config: route 0 has no 'dst'"),
            (conf(ipam=5), 7, "invalid network config: 'ipam' must be an object, not number"),
            (conf(ipam={A: "x"}), 7,
             "invalid network config: 'addresses' must be an array, not string"),
            (conf(ipam={A: ["10.0.0.1/24"]}), 7,
             "invalid network config: 'addresses' must be a list of objects"),
            (conf(ipam={"dns": {"nameservers": "x"}}), 7,
             "invalid network config: 'nameservers' must be an array, not string"),
        ]
        for c, code, msg in cases:
            with self.subTest(conf=c):
                self.error(c, code, msg)
        # Two addresses of different families are fine before 0.3.0.
        res = self.add(conf("0.2.0", ipam={A: [{"address": "10.0.0.5/24"},
                                               {"address": "fd00::5/64"}]}))
        self.assertEqual((res["ip4"], res["ip6"]), ({"ip": "10.0.0.5/24"}, {"ip": "fd00::5/64"}))

    def test_bad_and_hostile_input(self):
        for data in ('{"cniVersion":"1.0.0","name":"n","ipam":{', "", "\x00", "null", "[1]",
                     '{"cniVersion":"1.0.0","name":"n"} trailing', "\xff\xfe{}"):
            with self.subTest(data=data):
                res = static("ADD", data)
                self.assertCNIError(res, 6)
        # Deep nesting, long strings and many entries: an error or a result, never a crash.
        deep = '{"cniVersion":"1.0.0","name":"n","ipam":{"type":"static","x":' + \
            "[" * 5000 + "]" * 5000 + "}}"
        res = static("ADD", deep)
        self.assertIn(res.rc, (0, 1), res)
        self.assertIsNotNone(res.json, res)
        many = {"type": "static", "addresses": [
            {"address": "10.%d.%d.1/24" % (i // 250, i % 250)} for i in range(3000)]}
        res = self.add(conf(ipam=many))
        self.assertEqual(len(res["ips"]), 3000)
        res = static("ADD", conf(ipam={"addresses": [{"address": "1" * 100000}]}))
        self.assertCNIError(res, 7, "the 'address' field is expected to be in CIDR notation")
        res = static("ADD", conf(ipam={}), args="IP=" + ",".join(["10.0.0.1/24"] * 5000))
        self.assertEqual(res.rc, 0, res.stdout[:200])
        self.assertEqual(len(res.json["ips"]), 5000)

    # ---- the other verbs ---------------------------------------------------------------

    def test_del_does_nothing_and_succeeds(self):
        for c in (conf(), conf(ipam={"addresses": [{"address": "bad"}]}), conf(ipam=5)):
            for netns in ("/run/netns/cnitest-gone", ""):
                with self.subTest(conf=c, netns=netns):
                    res = static("DEL", c, netns=netns, args="FOO=bar")
                    self.assertEqual((res.rc, res.stdout), (0, ""), res)
        # The skeleton still needs a config it can read.
        self.assertCNIError(static("DEL", '{"name":'), 6)
        self.assertCNIError(static("DEL", {"cniVersion": "1.0.0"}), 7, "missing network name")

    def test_check(self):
        c = conf("1.0.0")
        prev = self.add(c)
        res = static("CHECK", dict(c, prevResult=prev))
        self.assertEqual((res.rc, res.stdout), (0, ""), res)
        # A bridge's result has more (interfaces, indexes): only the addresses matter.
        bridge_prev = cnitest.prev_result([("10.10.0.5/24", "10.10.0.1")], host=("cni0",))
        self.assertEqual(static("CHECK", dict(c, prevResult=bridge_prev)).rc, 0)
        bad = json.loads(json.dumps(bridge_prev))
        bad["ips"][0]["gateway"] = "10.10.0.2"
        res = static("CHECK", dict(c, prevResult=bad), ifname="net1")
        self.assertCNIError(res, 999)
        self.assertEqual(res.json["msg"], "static: Failed to match addr 10.10.0.5 on interface net1")
        # CNI_ARGS gateways count too.
        c2 = conf("0.4.0", ipam={"type": "static"})
        prev4 = {"cniVersion": "0.4.0",
                 "ips": [{"version": "4", "address": "10.0.0.5/24", "gateway": "10.0.0.2"}]}
        self.assertCNIError(static("CHECK", dict(c2, prevResult=prev4),
                                   args="IP=10.0.0.5/24;GATEWAY=10.0.0.1"), 999, "Failed to match")
        self.assertEqual(static("CHECK", dict(c2, prevResult=prev4),
                                args="IP=10.0.0.5/24;GATEWAY=10.0.0.2").rc, 0)
        self.assertCNIError(static("CHECK", c), 7, "Required prevResult missing")
        self.assertCNIError(static("CHECK", dict(c, prevResult={"cniVersion": "0.4.0"})), 6,
                            "result type supports [1.0.0 1.1.0]")
        self.assertCNIError(static("CHECK", dict(conf(ipam={"addresses": [{"address": "x"}]}),
                                                 prevResult=prev)), 7, "CIDR notation")
        self.assertCNIError(static("CHECK", conf("0.3.1")), 1,
                            "config version does not allow CHECK")

    def test_gc_status_version(self):
        for verb in ("GC", "STATUS"):
            with self.subTest(verb=verb):
                res = static(verb, conf("1.1.0"), containerid="", ifname="", netns="")
                self.assertEqual((res.rc, res.stdout), (0, ""), res)
                self.assertCNIError(static(verb, conf("1.0.0"), containerid="", ifname="",
                                           netns=""), 1, "config version does not allow " + verb)
        res = static("VERSION", "")
        self.assertEqual(res.json["supportedVersions"], list(VERSIONS))

    # ---- side by side with the Go plugin -----------------------------------------------

    def test_same_as_go_plugin(self):
        if not os.path.exists(GO_PLUGIN):
            self.skipTest("Debian's Go static is not installed")
        A = "addresses"
        inputs = [(conf(v), "") for v in VERSIONS[:-2]] + [
            (conf("0.4.0", ipam={A: [{"address": "10.1.0.6/24", "gateway": "10.1.0.100"}]}),
             "IP=10.1.0.5/24,10.2.0.5/16;GATEWAY=10.1.0.1, 10.2.255.254"),
            (conf("0.4.0", ipam={A: [{"address": "10.1.0.6/24"}]}), "GATEWAY=10.1.0.1"),
            (conf("0.4.0", args={"cni": {"ips": ["10.1.0.1/24"]}},
                  runtimeConfig={"ips": ["10.2.0.1/24"]}, ipam={A: [{"address": "bad"}]}),
             "IP=10.3.0.1/24"),
            (conf("0.3.1", ipam={A: [{"address": "::ffff:10.0.0.1/120"},
                                     {"address": "::ffff:10.0.0.2/64"}]}), ""),
            (conf("0.4.0", ipam={A: [{"address": "10.0.0.5/24", "gateway": ""}]}), ""),
            ({"cniVersion": "0.4.0", "name": "n",
              "IPAM": {"TYPE": "static", "Addresses": [{"ADDRESS": "10.0.0.1/24"}]}}, ""),
            (conf("0.2.0", ipam={A: [{"address": "10.1.0.6/24"}, {"address": "10.1.0.7/24"}]}),
             ""),
            ({"name": "n", "ipam": {A: [{"address": "10.1.0.6/24"}, {"address": "10.1.0.7/24"}]}},
             ""),
            (conf("0.2.0", ipam={"type": "static"}), ""),
            (conf("0.4.0", ipam={A: [{"address": "10.0.0.5"}]}), ""),
            (conf("0.4.0", ipam={A: [None]}), ""),
            (conf("0.4.0", ipam={A: [{"address": "10.0.0.5/24", "gateway": "x"}]}), ""),
            (conf("0.4.0", ipam={"routes": [{"dst": "x"}]}), ""),
            (conf("0.4.0", ipam={"type": "static"}), "IP=10.0.0.1"),
            (conf("0.4.0", ipam={"type": "static"}), "GATEWAY=x"),
            (conf("0.4.0", ipam={"type": "static"}), "FOO=1"),
            (conf("0.4.0", ipam={"type": "static"}), "IP=,"),
            (conf("0.4.0", runtimeConfig={"ips": ["10.0.0.1"]}), ""),
            ({"cniVersion": "1.0.0", "name": "n"}, ""),
        ]
        for c, args in inputs:
            with self.subTest(conf=c, args=args):
                a = run_plugin("static", "ADD", c, args=args)
                b = run_plugin(GO_PLUGIN, "ADD", c, args=args)
                self.assertEqual(a.rc, b.rc, (a, b))
                if b.rc == 0:
                    self.assertEqual(a.json, b.json)
                else:
                    self.assertEqual(a.json["msg"], b.json["msg"])
                    # Config errors are code 7 here, 999 in the reference; CNI_ARGS errors
                    # and failed conversions stay 999.
                    want = b.json["code"]
                    if want == 999 and not args and "convert" not in b.json["msg"]:
                        want = 7
                    self.assertEqual(a.json["code"], want)


class StaticBridgeTest(CNITestCase):
    """static as the IPAM of our bridge: fixed addresses, as podman's static-IP networks."""

    needs_netns = True
    BRIDGE = "cnist0"

    def setUp(self):
        super().setUp()
        cnitest.require(self, plugins=("bridge", "static"))
        self.node = self.netns("snode")
        self.path = cnitest.plugin_dir(self, ("bridge", "static"))
        self.net = "st" + uuid.uuid4().hex[:6]

    def conf(self, address="10.89.0.50/24", gateway="10.89.0.1", version="0.4.0", **kw):
        addr = {"address": address}
        if gateway:
            addr["gateway"] = gateway
        c = {"cniVersion": version, "name": self.net, "type": "bridge", "bridge": self.BRIDGE,
             "isGateway": True, "ipMasq": True, "hairpinMode": True,
             "ipam": {"type": "static", "addresses": [addr], "routes": [{"dst": "0.0.0.0/0"}]}}
        c.update(kw)
        return c

    def plug(self, cmd, c, ctr, cid="cid1", **kw):
        return run_plugin("bridge", cmd, c, containerid=cid, netns=ctr.path if ctr else "",
                          ifname="eth0", path=self.path, in_netns=self.node.name, **kw)

    def ping(self, ns, addr):
        p = subprocess.run(["nsenter", "--net=" + ns.path, "--", "ping", "-c", "1", "-W", "30",
                            addr], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, "ping %s from %s: %s%s" % (addr, ns.name, p.stdout,
                                                                  p.stderr))

    def veths(self):
        return [l["ifname"] for l in self.node.json("ip -j -d link show")
                if l.get("linkinfo", {}).get("info_kind") == "veth"]

    def masq_rules(self):
        out = self.node.sh("nft -j list ruleset", check=False)
        return [r for r in json.loads(out or '{"nftables": []}')["nftables"]
                if "rule" in r and self.net in (r["rule"].get("comment") or "")]

    def test_fixed_address_ping_check_del(self):
        ctr = self.netns("sctr")
        c = self.conf()
        res = self.assertOK(self.plug("ADD", c, ctr))
        self.assertEqual([(ip["address"], ip["gateway"]) for ip in res["ips"]],
                         [("10.89.0.50/24", "10.89.0.1")])
        self.assertEqual(res["routes"], [{"dst": "0.0.0.0/0"}])
        addrs = ctr.json("ip -j addr show dev eth0")[0]["addr_info"]
        self.assertIn(("10.89.0.50", 24), [(a["local"], a["prefixlen"]) for a in addrs])
        route = ctr.json("ip -j route show default")
        self.assertEqual(route[0]["gateway"], "10.89.0.1")
        br = self.node.json("ip -j addr show dev %s" % self.BRIDGE)[0]["addr_info"]
        self.assertIn("10.89.0.1", [a["local"] for a in br])
        self.ping(ctr, "10.89.0.1")
        self.assertNotEqual(self.masq_rules(), [])
        res_check = self.plug("CHECK", dict(c, prevResult=res), ctr)
        self.assertEqual(res_check.rc, 0, res_check)
        for _ in range(2):
            self.assertOK(self.plug("DEL", dict(c, prevResult=res), ctr))
            self.assertEqual(self.veths(), [])
            self.assertEqual(self.masq_rules(), [])
            self.assertNotIn("eth0", [l["ifname"] for l in ctr.json("ip -j link show")])

    def test_two_containers_and_runtime_ips(self):
        a, b = self.netns("sctr"), self.netns("sctr")
        ca = self.conf("10.89.0.51/24", version="1.0.0")
        # No configured address: the runtime's "ips" capability gives it; the bridge
        # computes the gateway itself.
        cb = self.conf(version="1.0.0", runtimeConfig={"ips": ["10.89.0.52/24"]})
        cb["ipam"] = {"type": "static", "routes": [{"dst": "0.0.0.0/0"}]}
        ra = self.assertOK(self.plug("ADD", ca, a, cid="a"))
        rb = self.assertOK(self.plug("ADD", cb, b, cid="b"))
        self.assertEqual(rb["ips"][0]["address"], "10.89.0.52/24")
        self.ping(a, "10.89.0.52")
        self.ping(b, "10.89.0.51")
        self.ping(b, "10.89.0.1")
        self.assertOK(self.plug("DEL", dict(ca, prevResult=ra), a, cid="a"))
        self.assertOK(self.plug("DEL", dict(cb, prevResult=rb), b, cid="b"))
        self.assertEqual(self.veths(), [])
        self.assertEqual(self.masq_rules(), [])

    def test_bad_static_config_leaves_nothing(self):
        ctr = self.netns("sctr")
        res = self.plug("ADD", self.conf("10.89.0.50"), ctr)
        self.assertCNIError(res, 7, "CIDR notation")
        self.assertEqual(self.veths(), [])
        self.assertNotIn("eth0", [l["ifname"] for l in ctr.json("ip -j link show")])
        # DEL with the netns already gone still succeeds.
        gone = self.netns("sgone")
        path = gone.path
        gone.close()
        res = run_plugin("bridge", "DEL", self.conf(), containerid="cid1", netns=path,
                         path=self.path, in_netns=self.node.name)
        self.assertEqual(res.rc, 0, res)
