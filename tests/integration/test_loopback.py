# SPDX-License-Identifier: Apache-2.0
"""Black-box tests of bin/loopback: lo up and down in container namespaces, the result
the reference prints in every version, errors and their codes, DEL's idempotence, and
the same inputs given to Debian's Go loopback when it is installed.

Every container is a namespace of the test's own; the plugin runs inside a "node"
namespace, so nothing can touch the host's lo.
"""
import json
import os

import cnitest
from cnitest import CNITestCase, run_plugin

GO_PLUGIN = "/usr/lib/cni/loopback"
VERSIONS = ("0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0")
# containerd's CRI plugin attaches lo with this list (its only plugin, as libcni sends it).
CRI_LIST = {"cniVersion": "1.0.0", "name": "cni-loopback", "plugins": [{"type": "loopback"}]}


def conf(version="1.0.0", **kw):
    c = {"cniVersion": version, "name": "cni-loopback", "type": "loopback"}
    c.update(kw)
    return c


def expected(version, netns, v6=True):
    """What the reference prints for an explicit cniVersion: the 1.x layout, relabelled."""
    ips = [{"interface": 0, "address": "127.0.0.1/8"}]
    if v6:
        ips.append({"interface": 0, "address": "::1/128"})
    return {"cniVersion": version,
            "interfaces": [{"name": "lo", "mac": "00:00:00:00:00:00", "sandbox": netns}],
            "ips": ips}


class LoopbackTest(CNITestCase):
    needs_netns = True

    def setUp(self):
        super().setUp()
        self.node = self.netns("lnode")

    def container(self, up=False):
        ns = self.netns("lctr")
        if not up:
            ns.sh("ip link set lo down")
        return ns

    def plug(self, cmd, c, netns, plugin="loopback", **kw):
        kw.setdefault("ifname", "eth0")
        return run_plugin(plugin, cmd, c, netns=netns, in_netns=self.node.name, **kw)

    def lo_up(self, ns):
        link = ns.json("ip -j link show lo")[0]
        return "UP" in link["flags"]

    def lo_addrs(self, ns):
        out = ns.json("ip -j addr show dev lo")
        return ["%s/%d" % (a["local"], a["prefixlen"]) for a in out[0].get("addr_info", [])]

    # ---- ADD ---------------------------------------------------------------------------

    def test_add_every_version(self):
        for v in VERSIONS:
            with self.subTest(version=v):
                ctr = self.container()
                self.assertFalse(self.lo_up(ctr))
                res = self.assertOK(self.plug("ADD", conf(v), ctr.path))
                self.assertEqual(res, expected(v, ctr.path))
                self.assertTrue(self.lo_up(ctr))
                self.assertEqual(self.lo_addrs(ctr), ["127.0.0.1/8", "::1/128"])

    def test_result_text_is_go_shaped(self):
        ctr = self.container()
        res = self.plug("ADD", conf("1.1.0"), ctr.path)
        self.assertEqual(res.rc, 0)
        # 1.x results are maps in Go: keys sorted, no empty dns, 4-space indent.
        self.assertTrue(res.stdout.startswith('{\n    "cniVersion": "1.1.0",\n    "interfaces"'))
        self.assertIn('"mac": "00:00:00:00:00:00",\n            "name": "lo"', res.stdout)
        self.assertNotIn("dns", res.stdout)

    def test_no_version_converts_to_010(self):
        ctr = self.container()
        res = self.assertOK(self.plug("ADD", {"name": "lo", "type": "loopback"}, ctr.path))
        self.assertEqual(res, {"cniVersion": "0.1.0", "ip4": {"ip": "127.0.0.1/8"},
                               "ip6": {"ip": "::1/128"}, "dns": {}})

    def test_ifname_is_ignored(self):
        ctr = self.container()
        res = self.assertOK(self.plug("ADD", conf(), ctr.path, ifname="eth7"))
        self.assertEqual(res["interfaces"][0]["name"], "lo")
        self.assertTrue(self.lo_up(ctr))

    def test_already_up(self):
        ctr = self.container(up=True)
        self.assertOK(self.plug("ADD", conf(), ctr.path))
        self.assertTrue(self.lo_up(ctr))

    def test_without_ipv6(self):
        ctr = self.container()
        ctr.sh("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1"
               " net.ipv6.conf.lo.disable_ipv6=1")
        res = self.assertOK(self.plug("ADD", conf("0.4.0"), ctr.path))
        self.assertEqual(res, expected("0.4.0", ctr.path, v6=False))
        res = self.assertOK(self.plug("ADD", {"name": "lo"}, ctr.path))
        self.assertEqual(res, {"cniVersion": "0.1.0", "ip4": {"ip": "127.0.0.1/8"}, "dns": {}})

    def test_prev_result_passes_through(self):
        ctr = self.container()
        prev = {"cniVersion": "1.1.0",
                "interfaces": [{"name": "eth0", "sandbox": ctr.path, "mac": "0a:58:0a:01:00:02"}],
                "ips": [{"address": "10.1.0.2/24", "gateway": "10.1.0.1", "interface": 0}],
                "routes": [{"dst": "0.0.0.0/0"}], "dns": {"nameservers": ["10.1.0.1"]}}
        res = self.assertOK(self.plug("ADD", conf("1.1.0", prevResult=prev), ctr.path))
        self.assertEqual(res, prev)
        self.assertTrue(self.lo_up(ctr))
        old = {"cniVersion": "0.3.1", "ips": [{"version": "4", "address": "10.1.0.2/24"}]}
        res = self.assertOK(self.plug("ADD", conf("0.4.0", prevResult=old), ctr.path))
        self.assertEqual(res, {"cniVersion": "0.4.0", "ips": old["ips"], "dns": {}})
        res = self.assertOK(self.plug("ADD", conf("0.2.0", prevResult={"ip4": {"ip": "10.1.0.2/24"}}),
                                      ctr.path))
        self.assertEqual(res, {"cniVersion": "0.2.0", "ip4": {"ip": "10.1.0.2/24"}, "dns": {}})

    def test_non_loopback_address(self):
        ctr = self.container()
        ctr.sh("ip addr add 10.1.2.3/8 dev lo")
        res = self.plug("ADD", conf(), ctr.path)
        self.assertCNIError(res, 999)
        self.assertEqual(res.json["msg"],
                         'loopback interface found with non-loopback address "10.1.2.3"')
        # A failed ADD leaves lo as it found it.
        self.assertFalse(self.lo_up(ctr))
        up = self.container(up=True)
        up.sh("ip addr add fd00::1/64 dev lo nodad")
        res = self.plug("ADD", conf(), up.path)
        self.assertCNIError(res, 999, 'non-loopback address "fd00::1"')
        self.assertTrue(self.lo_up(up))

    def test_add_errors(self):
        ctr = self.container()
        tmp = self.tmpdir()
        fifo = os.path.join(tmp, "fifo")
        os.mkfifo(fifo)
        plain = os.path.join(tmp, "file")
        open(plain, "w").close()
        res = self.plug("ADD", conf(), "/run/netns/cnitest-missing")
        self.assertCNIError(res, 999)
        self.assertEqual(res.json["msg"], 'failed to Statfs "/run/netns/cnitest-missing": '
                                          "no such file or directory")
        for path in (plain, fifo, tmp):
            with self.subTest(path=path):
                self.assertCNIError(self.plug("ADD", conf(), path), 999, "unknown FS magic on")
        cases = [
            ('{"cniVersion":"1.0.0","name":"lo"', 6, "error unmarshall network config"),
            ("", 6, None),
            ("\x00\xff garbage", 6, None),
            ("[]", 6, None),
            ({"cniVersion": "1.0.0", "type": "loopback"}, 7, "missing network name"),
            ({"cniVersion": "1.0.0", "name": "bad name"}, 7, "invalid characters"),
            ({"cniVersion": "9.9.9", "name": "lo"}, 1, "incompatible CNI versions"),
            (conf(dns=5), 7, "failed to parse network config: 'dns' must be an object"),
            (conf(type=[]), 7, "'type' must be a string"),
            (conf(capabilities={"ips": "yes"}), 7, "capability 'ips' must be a bool"),
            (conf(ipam={"type": 5}), 7, "'type' must be a string"),
            (conf(prevResult=5), 7, "'prevResult' must be an object"),
            (conf("0.4.0", prevResult={"cniVersion": "1.0.0"}), 6,
             "failed to parse prevResult: could not parse prevResult: result type supports "
             "[0.3.0 0.3.1 0.4.0]"),
            (conf("0.4.0", prevResult={"ips": [{"address": "x"}]}), 6,
             "failed to parse prevResult"),
        ]
        for c, code, msg in cases:
            with self.subTest(conf=c):
                self.assertCNIError(self.plug("ADD", c, ctr.path), code, msg)
        # None of them brought lo up.
        self.assertFalse(self.lo_up(ctr))
        res = self.plug("ADD", conf(), "", unset=("CNI_NETNS",))
        self.assertCNIError(res, 4, "CNI_NETNS")

    def test_own_namespace_refused(self):
        # /proc/self/ns/net is the plugin's own (node) namespace: lo there is set up, as the
        # reference does, and the skeleton's check fails the command afterwards.
        res = self.plug("ADD", conf(), "/proc/self/ns/net")
        self.assertCNIError(res, 8, "should not be the same")

    # ---- DEL ---------------------------------------------------------------------------

    def test_del_sets_lo_down_and_is_idempotent(self):
        ctr = self.container()
        self.assertOK(self.plug("ADD", conf(), ctr.path))
        for _ in range(2):
            res = self.plug("DEL", conf(), ctr.path)
            self.assertEqual((res.rc, res.stdout), (0, ""), res)
            self.assertFalse(self.lo_up(ctr))
        # IPv6 drops ::1 with the link; ADD brings it back.
        self.assertEqual(self.lo_addrs(ctr), ["127.0.0.1/8"])
        self.assertEqual(self.assertOK(self.plug("ADD", conf(), ctr.path)),
                         expected("1.0.0", ctr.path))

    def test_del_without_namespace(self):
        ctr = self.container()
        gone = self.netns("lgone")
        path = gone.path
        gone.close()
        tmp = self.tmpdir()
        plain = os.path.join(tmp, "stale")
        open(plain, "w").close()
        for netns in ("", path, "/run/netns/cnitest-never", plain):
            with self.subTest(netns=netns):
                res = self.plug("DEL", conf(), netns)
                self.assertEqual((res.rc, res.stdout), (0, ""), res)
        # DEL reads nothing of the config but its name and version.
        res = self.plug("DEL", conf(dns=5, prevResult="x"), ctr.path)
        self.assertEqual(res.rc, 0, res)
        self.assertCNIError(self.plug("DEL", '{"name":', ctr.path), 6)

    # ---- CHECK, GC, STATUS, VERSION -------------------------------------------------------

    def test_check(self):
        ctr = self.container()
        self.assertOK(self.plug("ADD", conf(), ctr.path))
        res = self.plug("CHECK", conf(), ctr.path)
        self.assertEqual((res.rc, res.stdout), (0, ""), res)
        # No prevResult needed; the config is not parsed beyond the skeleton's fields.
        self.assertEqual(self.plug("CHECK", conf("1.1.0", dns=5), ctr.path).rc, 0)
        ctr.sh("ip link set lo down")
        res = self.plug("CHECK", conf(), ctr.path)
        self.assertCNIError(res, 999)
        self.assertEqual(res.json["msg"], "loopback interface is down")
        res = self.plug("CHECK", conf(), "/run/netns/cnitest-missing")
        self.assertCNIError(res, 999, 'failed to Statfs "/run/netns/cnitest-missing"')
        for v in ("0.1.0", "0.3.1"):
            self.assertCNIError(self.plug("CHECK", conf(v), ctr.path), 1,
                                "config version does not allow CHECK")

    def test_gc_status(self):
        for verb in ("GC", "STATUS"):
            with self.subTest(verb=verb):
                res = self.plug(verb, conf("1.1.0"), "", containerid="", ifname="")
                self.assertEqual((res.rc, res.stdout), (0, ""), res)
                self.assertCNIError(self.plug(verb, conf("1.0.0"), "", containerid="",
                                              ifname=""),
                                    1, "config version does not allow " + verb)

    def test_version(self):
        res = self.plug("VERSION", "", "")
        self.assertEqual(res.rc, 0)
        self.assertEqual(res.json["supportedVersions"], list(VERSIONS))

    # ---- runtimes ----------------------------------------------------------------------

    def test_containerd_cri_list_through_cnitool(self):
        cnitest.require(self, plugins=("cnitool",))
        d = self.tmpdir()
        netdir = os.path.join(d, "net.d")
        os.makedirs(netdir)
        for version in ("1.0.0", "0.3.1", "0.4.0", "1.1.0"):
            with self.subTest(version=version):
                with open(os.path.join(netdir, "99-loopback.conflist"), "w") as f:
                    json.dump(dict(CRI_LIST, cniVersion=version), f)
                ctr = self.container()
                env = {"NETCONFPATH": netdir, "CNI_PATH": cnitest.BIN,
                       "CNI_CACHE_DIR": os.path.join(d, "cache")}

                def tool_run(*args):
                    p = cnitest.run_cnitool(args, env, in_netns=self.node.name)
                    self.assertEqual(p.returncode, 0, "cnitool %s: %s%s" %
                                     (args, p.stdout, p.stderr))
                    return p.stdout

                # The runtime re-reads the result in its version (0.x gains ips[].version).
                out = json.loads(tool_run("add", "cni-loopback", ctr.path))
                want = expected(version, ctr.path)
                self.assertEqual(out["cniVersion"], version)
                self.assertEqual(out["interfaces"], want["interfaces"])
                self.assertEqual([(ip["address"], ip["interface"]) for ip in out["ips"]],
                                 [("127.0.0.1/8", 0), ("::1/128", 0)])
                self.assertTrue(self.lo_up(ctr))
                if version != "0.3.1":
                    tool_run("check", "cni-loopback", ctr.path)
                tool_run("del", "cni-loopback", ctr.path)
                self.assertFalse(self.lo_up(ctr))

    # ---- side by side with the Go plugin -----------------------------------------------

    def test_same_as_go_plugin(self):
        if not os.path.exists(GO_PLUGIN):
            self.skipTest("Debian's Go loopback is not installed")

        def norm(res):
            """Debian's 1.1.1 prints 1.x-shaped results with an empty dns; HEAD drops it."""
            j = res.json
            if isinstance(j, dict) and j.get("dns") == {} and "interfaces" in j:
                del j["dns"]
            if isinstance(j, dict) and "code" in j:
                j.pop("cniVersion", None)  # our errors carry it, as the spec asks
            return res.rc, j

        prev = {"cniVersion": "0.4.0", "ips": [{"version": "4", "address": "10.1.0.2/24"}]}
        inputs = [("ADD", conf(v)) for v in VERSIONS[:-1]] + [
            ("ADD", {"name": "lo", "type": "loopback"}),
            ("ADD", conf("0.4.0", prevResult=prev)),
            ("CHECK", conf("1.0.0")),
            ("DEL", conf("1.0.0")),
            ("CHECK", conf("1.0.0")),
        ]
        ours, theirs = self.container(), self.container()
        for cmd, c in inputs:
            with self.subTest(cmd=cmd, conf=c):
                a = self.plug(cmd, c, ours.path)
                b = run_plugin(GO_PLUGIN, cmd, c, netns=theirs.path, in_netns=self.node.name)
                ra, rb = norm(a), norm(b)
                if isinstance(rb[1], dict) and "interfaces" in rb[1]:
                    rb[1]["interfaces"][0]["sandbox"] = ours.path
                self.assertEqual(ra, rb)
                self.assertEqual(self.lo_up(ours), self.lo_up(theirs))
        for cmd in ("ADD", "CHECK"):
            a = self.plug(cmd, conf(), "/run/netns/cnitest-missing")
            b = run_plugin(GO_PLUGIN, cmd, conf(), netns="/run/netns/cnitest-missing",
                           in_netns=self.node.name)
            self.assertEqual((a.json["code"], a.json["msg"]), (b.json["code"], b.json["msg"]))
