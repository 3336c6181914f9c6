# SPDX-License-Identifier: Apache-2.0
"""Black-box tests of bin/tuning: sysctls and link attributes (MAC, promiscuous mode, MTU,
allmulti, txqueuelen) of a container interface, the saved original values and their
restore on DEL, CHECK, rollback of a failed ADD, errors and their codes, every CNI
version, chaining after bridge, and interoperation with Debian's Go tuning through the
shared state file.

Every test works in namespaces of its own: a "node" namespace (the plugin runs inside it)
and container namespaces holding one end of a veth pair whose other end stays in the
node. The state files go to a temporary dataDir.
"""
import json
import os
import shutil
import subprocess
import unittest

import cnitest
from cnitest import CNITestCase, run_plugin

GO_PLUGIN = "/usr/lib/cni/tuning"
VERSIONS = ("0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0")
MAC = "02:aa:bb:cc:dd:ee"


def prev_result(version, sandbox, ifname="eth0", host="vh0"):
    """A main plugin's result in `version`: a host veth, the container side, one IPv4."""
    return cnitest.prev_result([("10.66.0.2/24", "10.66.0.1")], sandbox=sandbox, ifname=ifname,
                               host=(host,), version=version,
                               macs=("02:00:00:00:00:01", "02:00:00:00:00:02"))


class TuningTest(CNITestCase):
    needs_netns = True

    def setUp(self):
        super().setUp()
        self.node = self.netns("tnode")
        self.data = os.path.join(self.tmpdir(), "tuning")

    # ---- helpers ---------------------------------------------------------------------

    def container(self, ifname="eth0", host="vh0"):
        """A container namespace with `ifname`, the peer of `host` in the node."""
        ctr = self.netns("tctr")
        self.node.sh("ip link add %s type veth peer name %s netns %s" % (host, ifname, ctr.name))
        ctr.sh("ip link set %s up" % ifname)
        self.node.sh("ip link set %s up" % host)
        return ctr

    def conf(self, version="1.0.0", prev=True, ctr=None, **kw):
        c = {"cniVersion": version, "name": "tunenet", "type": "tuning", "dataDir": self.data}
        if prev is True:
            c["prevResult"] = prev_result(version, ctr.path if ctr else "/run/netns/x")
        elif prev:
            c["prevResult"] = prev
        c.update(kw)
        return c

    def plug(self, cmd, conf, ctr, cid="cid1", ifname="eth0", netns=None, plugin="tuning",
             **kw):
        """Run `plugin` (ours by name, or an absolute path such as Debian's Go one) in the
        node namespace for the container `ctr`."""
        if netns is None:
            netns = ctr.path if ctr else ""
        return run_plugin(plugin, cmd, conf, containerid=cid, netns=netns, ifname=ifname,
                          in_netns=self.node.name, **kw)

    def add(self, conf, ctr, **kw):
        return self.assertOK(self.plug("ADD", conf, ctr, **kw))

    def link(self, ns, ifname="eth0"):
        return ns.json("ip -j -d link show %s" % ifname)[0]

    def attrs(self, ns, ifname="eth0"):
        """(mac, mtu, txqlen, promisc, allmulti) as the kernel reports them."""
        l = self.link(ns, ifname)
        # ip leaves out a txqlen of 0
        return (l["address"], l["mtu"], l.get("txqlen", 0), "PROMISC" in l["flags"],
                "ALLMULTI" in l["flags"])

    def sysctl(self, ns, path):
        return ns.sh("cat /proc/sys/" + path).strip()

    def state_file(self, cid="cid1", ifname="eth0"):
        return os.path.join(self.data, "%s_%s.json" % (cid, ifname))

    def read_state(self, cid="cid1", ifname="eth0"):
        with open(self.state_file(cid, ifname)) as f:
            return f.read()

    # ---- ADD -----------------------------------------------------------------------------

    def test_sysctls_applied_and_prev_result_passed_through(self):
        ctr = self.container()
        host_before = self.sysctl(self.node, "net/core/somaxconn")
        conf = self.conf(ctr=ctr, sysctl={"net.ipv4.conf.IFNAME.arp_filter": "1",
                                          "net/core/somaxconn": "777",
                                          "net.ipv4.conf.all.arp_ignore": "2"})
        self.assertEqual(self.sysctl(ctr, "net/ipv4/conf/eth0/arp_filter"), "0")
        res = self.add(conf, ctr)
        self.assertEqual(res, conf["prevResult"])
        self.assertEqual(self.sysctl(ctr, "net/ipv4/conf/eth0/arp_filter"), "1")
        self.assertEqual(self.sysctl(ctr, "net/core/somaxconn"), "777")
        self.assertEqual(self.sysctl(ctr, "net/ipv4/conf/all/arp_ignore"), "2")
        # the node (standing in for the host) is untouched
        self.assertEqual(self.sysctl(self.node, "net/core/somaxconn"), host_before)
        # sysctls alone save nothing
        self.assertFalse(os.path.exists(self.data))
        self.assertOK(self.plug("CHECK", conf, ctr))
        self.assertOK(self.plug("DEL", conf, ctr))
        # sysctls are not restored on DEL, as with the reference
        self.assertEqual(self.sysctl(ctr, "net/core/somaxconn"), "777")

    def test_ifname_with_dots_in_sysctl_key(self):
        ctr = self.container(ifname="eth0.100")
        conf = self.conf(ctr=ctr, sysctl={"net.ipv4.conf.IFNAME.arp_filter": "1"})
        self.add(conf, ctr, ifname="eth0.100")
        self.assertEqual(self.sysctl(ctr, "net/ipv4/conf/eth0.100/arp_filter"), "1")
        self.assertOK(self.plug("CHECK", conf, ctr, ifname="eth0.100"))

    def test_link_attributes_saved_applied_and_restored(self):
        ctr = self.container()
        orig = self.attrs(ctr)
        self.assertEqual(orig[1:], (1500, 1000, False, False))
        conf = self.conf(ctr=ctr, mac=MAC, promisc=True, mtu=1400, allmulti=True, txQLen=42)
        res = self.add(conf, ctr)
        self.assertEqual(self.attrs(ctr), (MAC, 1400, 42, True, True))
        # the container interface of the result carries the new MAC, the host one not
        self.assertEqual(res["interfaces"][1]["mac"], MAC)
        self.assertEqual(res["interfaces"][0]["mac"], "02:00:00:00:00:01")
        # the reference's state file, byte for byte
        self.assertEqual(self.read_state(),
                         '{\n "mac": "%s",\n "promisc": false,\n "mtu": 1500,\n'
                         ' "allmulti": false,\n "txQLen": 1000\n}' % orig[0])
        self.assertEqual(os.stat(self.state_file()).st_mode & 0o777, 0o600)
        self.assertOK(self.plug("CHECK", dict(conf, prevResult=res), ctr))
        self.assertOK(self.plug("DEL", conf, ctr))
        self.assertEqual(self.attrs(ctr), orig)
        self.assertFalse(os.path.exists(self.state_file()))
        # DEL again: nothing left to do
        self.assertOK(self.plug("DEL", conf, ctr))
        self.assertEqual(self.attrs(ctr), orig)

    def test_only_configured_attributes_are_saved(self):
        ctr = self.container()
        self.add(self.conf(ctr=ctr, allmulti=False, txQLen=0), ctr)
        self.assertEqual(self.read_state(), '{\n "allmulti": false,\n "txQLen": 1000\n}')
        self.assertEqual(self.attrs(ctr)[2], 0)
        self.assertOK(self.plug("DEL", self.conf(), ctr))
        self.assertEqual(self.attrs(ctr)[2], 1000)

    def test_allmulti_off_restored_on(self):
        ctr = self.container()
        ctr.sh("ip link set eth0 allmulticast on promisc on")
        self.add(self.conf(ctr=ctr, allmulti=False, promisc=True), ctr)
        self.assertEqual(self.attrs(ctr)[3:], (True, False))
        self.assertOK(self.plug("DEL", self.conf(), ctr))
        self.assertEqual(self.attrs(ctr)[3:], (True, True))

    def test_mac_sources_and_precedence(self):
        ctr = self.container()
        conf = self.conf(ctr=ctr, mac="02:00:00:00:00:0a", capabilities={"mac": True},
                         runtimeConfig={"mac": "02:00:00:00:00:0c"})
        res = self.add(conf, ctr, args="IgnoreUnknown=1;K8S_POD_NAME=p;MAC=02:00:00:00:00:0b")
        self.assertEqual(self.attrs(ctr)[0], "02:00:00:00:00:0c")
        self.assertEqual(res["interfaces"][1]["mac"], "02:00:00:00:00:0c")
        self.assertOK(self.plug("DEL", conf, ctr))
        conf = self.conf(ctr=ctr, mac="02:00:00:00:00:0a", args={"cni": {"mac": "02:00:00:00:00:0d"}},
                         runtimeConfig={"mac": "02:00:00:00:00:0c"})
        self.add(conf, ctr, args="MAC=02:00:00:00:00:0b")
        self.assertEqual(self.attrs(ctr)[0], "02:00:00:00:00:0d")
        self.assertOK(self.plug("DEL", conf, ctr))
        self.add(self.conf(ctr=ctr), ctr, args="MAC=02:00:00:00:00:0b")
        self.assertEqual(self.attrs(ctr)[0], "02:00:00:00:00:0b")

    def test_mac_forms_in_result(self):
        ctr = self.container()
        # upper case and the dotted form are set, and the result shows the kernel's form
        for mac, want in (("02:AA:BB:CC:DD:EE", "02:aa:bb:cc:dd:ee"),
                          ("0200.5e10.0001", "02:00:5e:10:00:01")):
            conf = self.conf(ctr=ctr, mac=mac)
            res = self.add(conf, ctr)
            self.assertEqual(self.attrs(ctr)[0], want)
            self.assertEqual(res["interfaces"][1]["mac"], want)
            self.assertOK(self.plug("DEL", conf, ctr))

    def test_args_cni_overrides(self):
        ctr = self.container()
        conf = self.conf(ctr=ctr, mtu=1400, promisc=True, sysctl={"net.core.somaxconn": "500"},
                         args={"cni": {"mtu": 1300, "promisc": False,
                                       "sysctl": {"net.core.somaxconn": "600",
                                                  "net.ipv4.conf.IFNAME.arp_filter": "1"}}})
        self.add(conf, ctr)
        a = self.attrs(ctr)
        self.assertEqual((a[1], a[3]), (1300, False))
        self.assertEqual(self.sysctl(ctr, "net/core/somaxconn"), "600")
        self.assertEqual(self.sysctl(ctr, "net/ipv4/conf/eth0/arp_filter"), "1")
        self.assertEqual(self.read_state(), '{\n "mtu": 1500\n}')

    def test_versions(self):
        for n, v in enumerate(VERSIONS):
            ctr = self.container(host="vh%d" % n)
            cid = "v" + v.replace(".", "")
            conf = self.conf(version=v, ctr=ctr, mac=MAC, mtu=1450)
            res = self.add(conf, ctr, cid=cid)
            self.assertEqual(res["cniVersion"], v)
            if v in ("0.1.0", "0.2.0"):
                self.assertEqual(res["ip4"]["ip"], "10.66.0.2/24")
                self.assertNotIn("interfaces", res)
            else:
                self.assertEqual(res["interfaces"][1]["mac"], MAC)
                self.assertEqual(res["ips"][0]["address"], "10.66.0.2/24")
            self.assertEqual(self.attrs(ctr)[:2], (MAC, 1450))
            chk = self.plug("CHECK", dict(conf, prevResult=res), ctr, cid=cid)
            if v < "0.4.0":
                self.assertCNIError(chk, 1, "config version does not allow CHECK")
            else:
                self.assertOK(chk)
            for verb in ("STATUS", "GC"):
                r = self.plug(verb, conf, None, cid="", ifname="")
                if v == "1.1.0":
                    self.assertEqual((r.rc, r.stdout), (0, ""), r)
                else:
                    self.assertCNIError(r, 1, "config version does not allow " + verb)
            self.assertOK(self.plug("DEL", conf, ctr, cid=cid))
            self.assertFalse(os.path.exists(self.state_file(cid)))
            self.assertNotEqual(self.attrs(ctr)[:2], (MAC, 1450))
        r = self.plug("VERSION", {"cniVersion": "1.0.0"}, None)
        self.assertEqual(r.json["supportedVersions"], list(VERSIONS))

    def test_chained_after_bridge(self):
        path = cnitest.plugin_dir(self, ("bridge", "host-local", "tuning"))
        ctr = self.netns("tctr")
        ipam = {"type": "host-local", "subnet": "10.67.0.0/24", "dataDir": self.tmpdir()}
        br = {"cniVersion": "1.0.0", "name": "tunenet", "type": "bridge", "bridge": "tbr0",
              "isGateway": True, "ipam": ipam}
        res = self.assertOK(run_plugin("bridge", "ADD", br, containerid="cid1", netns=ctr.path,
                                       path=path, in_netns=self.node.name))
        conf = self.conf(prev=res, mac=MAC, mtu=1400,
                         sysctl={"net.ipv4.conf.IFNAME.arp_filter": "1"})
        out = self.add(conf, ctr)
        ifaces = {i["name"]: i for i in out["interfaces"]}
        self.assertEqual(ifaces["eth0"]["mac"], MAC)
        self.assertEqual(ifaces["eth0"]["sandbox"], ctr.path)
        self.assertEqual(ifaces["tbr0"]["mac"], self.link(self.node, "tbr0")["address"])
        self.assertEqual(out["ips"], res["ips"])
        self.assertEqual(self.attrs(ctr)[:2], (MAC, 1400))
        self.assertEqual(self.sysctl(ctr, "net/ipv4/conf/eth0/arp_filter"), "1")
        self.assertOK(self.plug("CHECK", dict(conf, prevResult=out), ctr))
        self.assertOK(self.plug("DEL", conf, ctr))
        self.assertNotEqual(self.attrs(ctr)[0], MAC)
        self.assertOK(run_plugin("bridge", "DEL", dict(br, prevResult=out), containerid="cid1",
                                 netns=ctr.path, path=path, in_netns=self.node.name))

    # ---- failed ADD --------------------------------------------------------------------

    def test_failed_sysctl_midway_leaves_original_values(self):
        ctr = self.container()
        before = (self.sysctl(ctr, "net/core/somaxconn"),
                  self.sysctl(ctr, "net/ipv4/conf/eth0/arp_filter"), self.attrs(ctr))
        conf = self.conf(ctr=ctr, mtu=1400, sysctl={"net.core.somaxconn": "999",
                                                    "net.ipv4.conf.IFNAME.arp_filter": "1",
                                                    "net.ipv4.conf.IFNAME.arp_ignore": "nope"})
        r = self.plug("ADD", conf, ctr)
        self.assertCNIError(r, 999, "failed to write 'nope' to sysctl "
                            "'/proc/sys/net/ipv4/conf/eth0/arp_ignore'")
        self.assertEqual((self.sysctl(ctr, "net/core/somaxconn"),
                          self.sysctl(ctr, "net/ipv4/conf/eth0/arp_filter"), self.attrs(ctr)),
                         before)
        self.assertFalse(os.path.exists(self.data))
        # a write-only sysctl cannot be put back: said on stderr
        conf = self.conf(ctr=ctr, sysctl={"net.ipv4.route.flush": "1",
                                          "net.core.somaxconn": "nope"})
        r = self.plug("ADD", conf, ctr)
        self.assertCNIError(r, 999, "failed to write 'nope'")
        self.assertIn("sysctl '/proc/sys/net/ipv4/route/flush' could not be read before it "
                      "was written and keeps its new value", r.stderr)

    def test_failed_link_change_midway_restores_everything(self):
        ctr = self.container()
        before = (self.sysctl(ctr, "net/core/somaxconn"), self.attrs(ctr))
        conf = self.conf(ctr=ctr, mac=MAC, promisc=True, mtu=70000, allmulti=True,
                         sysctl={"net.core.somaxconn": "999"})
        r = self.plug("ADD", conf, ctr)
        self.assertCNIError(r, 999, "failed to set the MTU of 'eth0' to 70000: invalid argument")
        self.assertEqual((self.sysctl(ctr, "net/core/somaxconn"), self.attrs(ctr)), before)
        # the dataDir it created is gone again
        self.assertFalse(os.path.exists(self.data))
        # an earlier ADD's state file is put back as it was
        os.makedirs(self.data)
        with open(self.state_file(), "w") as f:
            f.write('{\n "mtu": 1280\n}')
        self.assertCNIError(self.plug("ADD", conf, ctr), 999)
        self.assertEqual(self.read_state(), '{\n "mtu": 1280\n}')
        self.assertEqual(sorted(os.listdir(self.data)), ["cid1_eth0.json"])
        self.assertEqual(self.attrs(ctr), before[1])

    def test_errors_change_nothing(self):
        ctr = self.container()
        cases = [
            ({"sysctl": {"kernel.hostname": "x"}}, 7,
             'invalid net sysctl key: "kernel/hostname"'),
            ({"sysctl": {"net.core.somaxconn": "1", "net.core.somaxconn ": "2",
                         "../kernel/x": "1"}}, 7, 'invalid net sysctl key: "///kernel/x"'),
            ('{"cniVersion": "1.0.0", "name": "tunenet", "type": "tuning", "sysctl": '
             '{"net.core.somaxconn": "1", "net.core.somaxconn": "2"}, "prevResult": '
             '{"cniVersion": "1.0.0"}}', 7, "duplicated sysctl keys are not allowed"),
            ({"prevResult": None}, 7, "Required prevResult missing"),
            ({"mac": "zz:zz"}, 7, "invalid args zz:zz for MAC addr: address zz:zz: invalid MAC "
             "address"),
            ({"mtu": "1400"}, 7, "'mtu' must be an integer"),
            ({"txQLen": -1}, 7, "'txQLen' is -1"),
            ({"sysctl": {"net.core.nonexistent": "1"}}, 999,
             "failed to open sysctl '/proc/sys/net/core/nonexistent'"),
            ({"sysctl": {"net.core.somaxconn": 5}}, 7,
             "'sysctl' value of 'net.core.somaxconn' must be a string, not number"),
        ]
        before = (self.sysctl(ctr, "net/core/somaxconn"), self.attrs(ctr))
        for extra, code, msg in cases:
            if isinstance(extra, str):
                conf = extra
            else:
                conf = self.conf(ctr=ctr, **dict({"mtu": 1400}, **extra))
                if conf["prevResult"] is None:
                    del conf["prevResult"]
            self.assertCNIError(self.plug("ADD", conf, ctr), code, msg)
            self.assertEqual((self.sysctl(ctr, "net/core/somaxconn"), self.attrs(ctr)), before)
            self.assertFalse(os.path.exists(self.data))
        # a missing interface, in the reference's words
        self.assertCNIError(self.plug("ADD", self.conf(ctr=ctr, mtu=1400), ctr, ifname="eth9"),
                            999, 'failed to get "eth9": Link not found')
        # a netns that does not exist
        self.assertCNIError(self.plug("ADD", self.conf(ctr=ctr), ctr, netns="/run/netns/nope"),
                            999, 'failed to open netns "/run/netns/nope"')
        # CNI_ARGS with an unknown key
        self.assertCNIError(self.plug("ADD", self.conf(ctr=ctr), ctr, args="FOO=1"), 999,
                            'ARGS: unknown args ["FOO=1"]')
        self.assertFalse(os.path.exists(self.data))

    # ---- DEL -----------------------------------------------------------------------------

    def test_del_netns_gone_removes_state(self):
        ctr = self.container()
        conf = self.conf(ctr=ctr, mtu=1400)
        self.add(conf, ctr)
        self.assertTrue(os.path.exists(self.state_file()))
        ctr.close()
        self.assertOK(self.plug("DEL", conf, ctr))
        self.assertFalse(os.path.exists(self.state_file()))
        self.assertOK(self.plug("DEL", conf, ctr))
        # an empty CNI_NETNS too
        ctr2 = self.container(host="vh1")
        self.add(conf, ctr2, cid="cid2")
        self.assertOK(self.plug("DEL", conf, None, cid="cid2", netns=""))
        self.assertFalse(os.path.exists(self.state_file("cid2")))

    def test_del_link_gone_removes_state(self):
        ctr = self.container()
        conf = self.conf(ctr=ctr, mtu=1400)
        self.add(conf, ctr)
        ctr.sh("ip link del eth0")
        self.assertOK(self.plug("DEL", conf, ctr))
        self.assertFalse(os.path.exists(self.state_file()))

    def test_del_needs_only_data_dir(self):
        ctr = self.container()
        self.add(self.conf(ctr=ctr, mtu=1400), ctr)
        # no prevResult, a config the other verbs refuse, unknown CNI_ARGS
        bad = {"cniVersion": "1.0.0", "name": "tunenet", "type": "tuning",
               "dataDir": self.data, "mtu": "x", "sysctl": {"kernel.x": "1"}}
        self.assertOK(self.plug("DEL", bad, ctr, args="FOO=bar"))
        self.assertEqual(self.attrs(ctr)[1], 1500)
        self.assertFalse(os.path.exists(self.state_file()))
        self.assertCNIError(self.plug("DEL", dict(bad, dataDir=5), ctr), 7, "'dataDir'")

    def test_del_corrupt_state_file_is_removed(self):
        ctr = self.container()
        os.makedirs(self.data)
        with open(self.state_file(), "w") as f:
            f.write("{not json")
        r = self.plug("DEL", self.conf(), ctr)
        self.assertOK(r)
        self.assertIn("ignoring the saved link attributes", r.stderr)
        self.assertFalse(os.path.exists(self.state_file()))

    def temp_files(self):
        if not os.path.isdir(self.data):
            return []
        return [n for n in os.listdir(self.data) if ".json.tmp" in n]

    def killed_at_rename(self, conf, ctr):
        """An ADD killed between writing its state temp file and renaming it."""
        e = {k: v for k, v in os.environ.items() if not k.startswith("CNI_")}
        e.update({"CNI_COMMAND": "ADD", "CNI_CONTAINERID": "cid1", "CNI_NETNS": ctr.path,
                  "CNI_IFNAME": "eth0", "CNI_PATH": cnitest.BIN})
        cmd = ["nsenter", "--net=/run/netns/" + self.node.name, "--", "strace", "-f", "-qq",
               "-o", "/dev/null", "-e", "trace=rename",
               "-e", "inject=rename:signal=SIGKILL", cnitest.plugin_path("tuning")]
        subprocess.run(cmd, input=json.dumps(conf).encode(), capture_output=True, env=e,
                       timeout=60)
        self.assertFalse(os.path.exists(self.state_file()))
        self.assertEqual(len(self.temp_files()), 1, self.temp_files())

    @unittest.skipUnless(shutil.which("strace"), "needs strace")
    def test_killed_add_temp_file_removed_by_del(self):
        ctr = self.container()
        conf = self.conf(ctr=ctr, mtu=1400)
        self.killed_at_rename(conf, ctr)
        self.assertOK(self.plug("DEL", conf, ctr))
        self.assertEqual(self.temp_files(), [])

    @unittest.skipUnless(shutil.which("strace"), "needs strace")
    def test_killed_add_temp_file_removed_by_next_add(self):
        ctr = self.container()
        conf = self.conf(ctr=ctr, mtu=1400)
        self.killed_at_rename(conf, ctr)
        self.add(conf, ctr)
        self.assertEqual(self.temp_files(), [])
        self.assertTrue(os.path.exists(self.state_file()))
        self.assertOK(self.plug("DEL", conf, ctr))
        self.assertEqual(self.attrs(ctr)[1], 1500)

    # ---- CHECK ---------------------------------------------------------------------------

    def test_check_mismatches(self):
        ctr = self.container()
        conf = self.conf(ctr=ctr, mac=MAC, mtu=1400, allmulti=True, txQLen=7,
                         sysctl={"net.core.somaxconn": "321"})
        res = self.add(conf, ctr)
        conf["prevResult"] = res
        self.assertOK(self.plug("CHECK", conf, ctr))
        steps = [
            ("echo 100 > /proc/sys/net/core/somaxconn",
             "Error: Tuning configured value of /proc/sys/net/core/somaxconn is 321, "
             "current value is 100", "echo 321 > /proc/sys/net/core/somaxconn"),
            ("ip link set eth0 mtu 1500",
             "Error: Tuning configured MTU of eth0 is 1400, current value is 1500",
             "ip link set eth0 mtu 1400"),
            ("ip link set eth0 promisc on",
             "Error: Tuning link eth0 configured promisc is false, current value is 1",
             "ip link set eth0 promisc off"),
            ("ip link set eth0 allmulticast off",
             "Error: Tuning configured all-multicast mode of eth0 is true, current value is "
             "false", "ip link set eth0 allmulticast on"),
            ("ip link set eth0 txqueuelen 8",
             "Error: Tuning configured Transmit Queue Length of eth0 is 7, current value is 8",
             "ip link set eth0 txqueuelen 7"),
            ("ip link set eth0 address 02:00:00:00:00:99",
             "Error: Tuning configured Ethernet of eth0 is %s, current value is "
             "02:00:00:00:00:99" % MAC, "ip link set eth0 address " + MAC),
        ]
        for break_it, msg, fix in steps:
            ctr.sh(break_it)
            self.assertCNIError(self.plug("CHECK", conf, ctr), 999, msg)
            ctr.sh(fix)
            self.assertOK(self.plug("CHECK", conf, ctr))
        # a MAC written in upper case never passes CHECK, as with the reference
        up = dict(conf, mac=MAC.upper())
        self.assertCNIError(self.plug("CHECK", up, ctr), 999, "configured Ethernet")
        self.assertCNIError(self.plug("CHECK", dict(conf, prevResult=None), ctr), 7,
                            "Required prevResult missing")
        ctr.sh("ip link del eth0")
        self.assertCNIError(self.plug("CHECK", conf, ctr), 999, "Cannot find container link eth0")

    # ---- the Go plugin -----------------------------------------------------------------

    def test_state_file_shared_with_go_plugin(self):
        if not os.path.exists(GO_PLUGIN):
            self.skipTest("Debian's Go tuning is not installed")
        ctr = self.container()
        orig = self.attrs(ctr)
        # Debian's 1.1.1 knows neither txQLen nor the allowlist
        conf = self.conf(ctr=ctr, mac=MAC, mtu=1400, promisc=True, allmulti=True)
        # Go's ADD, our DEL
        self.add(conf, ctr, plugin=GO_PLUGIN)
        go_state = self.read_state()
        self.assertEqual(self.attrs(ctr), (MAC, 1400, 1000, True, True))
        self.assertOK(self.plug("DEL", conf, ctr))
        self.assertEqual(self.attrs(ctr), orig)
        self.assertFalse(os.path.exists(self.state_file()))
        # our ADD, Go's DEL; both wrote the same file
        self.add(conf, ctr)
        self.assertEqual(self.read_state(), go_state)
        self.assertOK(self.plug("DEL", conf, ctr, plugin=GO_PLUGIN))
        self.assertEqual(self.attrs(ctr), orig)
        self.assertFalse(os.path.exists(self.state_file()))

    def test_log_lines(self):
        ctr = self.container()
        log = os.path.join(self.tmpdir(), "log")
        conf = self.conf(ctr=ctr, mtu=1400, sysctl={"net.core.somaxconn": "300"},
                         logFile=log, logLevel="info")
        self.add(conf, ctr)
        self.assertOK(self.plug("DEL", conf, ctr))
        with open(log) as f:
            text = f.read()
        self.assertIn("wrote 1 sysctls", text)
        self.assertIn("saved the link attributes of 'eth0'", text)
        self.assertIn("restored the link attributes", text)


if __name__ == "__main__":
    import unittest
    unittest.main()
