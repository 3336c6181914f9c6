# SPDX-License-Identifier: Apache-2.0
"""Black-box tests of bin/sbr: source-based routing for an interface a main plugin set up.

Every test works in namespaces of its own: a "node" namespace the plugin runs in, a container
namespace holding the interface (one end of a veth pair, addresses and routes as a main plugin
leaves them) and "peer" namespaces holding the other ends. Real traffic goes from a container
with two interfaces to a peer only the second network reaches. Where Debian's Go sbr (1.1.1)
is installed, the same inputs are run through it and the rules, the routes of every table and
the results compared; the differences asserted are the ones docs/plugins/sbr.md lists.
"""
import fcntl
import json
import os
import subprocess

import cnitest
from cnitest import CNITestCase, run_plugin

GO_PLUGIN = os.path.join(cnitest.REFERENCE_BIN, "sbr")
VERSIONS = ("0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0")
IFNAME = "eth1"


def conf(prev, version="1.0.0", **kw):
    c = {"cniVersion": version, "name": "sbrnet", "type": "sbr", "prevResult": prev}
    c.update(kw)
    return c


def prev(ips, version="1.0.0", ifname=IFNAME):
    """prevResult of a main plugin that configured `ifname` with `ips` (see
    cnitest.prev_result), without host-side interfaces."""
    return cnitest.prev_result(ips, sandbox="/x", ifname=ifname, host=(), version=version)


def strip_dns(res):
    """A result without the "dns": {} the 1.1.1 binaries always print."""
    res = dict(res)
    if res.get("dns") == {}:
        del res["dns"]
    return res


class SbrTest(CNITestCase):
    needs_netns = True

    def setUp(self):
        super().setUp()
        cnitest.require(self, ("sbr",), ("ping",))
        self.node = self.netns("sbrnode")

    # ---- helpers ---------------------------------------------------------------------

    def pod(self, v4=("10.61.0.2/24",), v6=(), gw4="10.61.0.1", gw6=None, ifname=IFNAME,
            ns=None, peer=None, peer_v4="10.61.0.1/24", peer_v6=None, ll_gw6=False):
        """A container namespace (or `ns`) whose `ifname` is a veth to a peer namespace,
        with the addresses, and default routes via gw4/gw6 as a main plugin makes them;
        ll_gw6: the IPv6 default route via the peer's link-local address instead (as a
        router advertisement gives it). Returns (container, peer)."""
        ctr = ns or self.netns("sbrctr")
        peer = peer or self.netns("sbrpeer")
        ctr.sh("ip link add %s type veth peer name p%s netns %s" % (ifname, ifname, peer.name))
        peer.sh("ip link set p%s addr 02:00:00:00:61:01" % ifname)
        ctr.sh("ip link set %s up" % ifname)
        peer.sh("ip link set p%s up" % ifname)
        peer.sh("ip addr add %s dev p%s" % (peer_v4, ifname))
        if peer_v6:
            peer.sh("ip addr add %s dev p%s nodad" % (peer_v6, ifname))
        for a in v4:
            ctr.sh("ip addr add %s dev %s" % (a, ifname))
        for a in v6:
            ctr.sh("ip addr add %s dev %s nodad" % (a, ifname))
        if gw4:
            ctr.sh("ip route add default via %s dev %s" % (gw4, ifname))
        if ll_gw6:
            ctr.sh("ip -6 route add default via fe80::ff:fe00:6101 dev %s" % ifname)
        elif gw6:
            ctr.sh("ip -6 route add default via %s dev %s" % (gw6, ifname))
        return ctr, peer

    def plug(self, cmd, c, ctr, ifname=IFNAME, plugin="sbr", netns=None, **kw):
        if netns is None:
            netns = ctr.path
        return run_plugin(plugin, cmd, c, netns=netns, ifname=ifname, in_netns=self.node.name,
                          **kw)

    def ref(self, cmd, c, ctr, ifname=IFNAME, netns=None):
        return self.plug(cmd, c, ctr, ifname=ifname, plugin=GO_PLUGIN, netns=netns,
                         path=cnitest.REFERENCE_BIN)

    def add(self, c, ctr, **kw):
        res = self.plug("ADD", c, ctr, **kw)
        out = self.assertOK(res)
        self.assertEqual(res.stderr, "")
        return out

    def rules(self, ns):
        """Both families' rules as "pref: selector lookup table" lines."""
        out = []
        for fam in ("-4", "-6"):
            for r in ns.json("ip -j %s rule show" % fam):
                sel = r.get("src", "all")
                if "srclen" in r:  # ip -j leaves out a host's
                    sel += "/%d" % r["srclen"]
                out.append("%s %s: from %s lookup %s" % (fam, r["priority"], sel, r["table"]))
        return sorted(out)

    def routes(self, ns):
        """Every route of both families but the local table's, as sorted JSON texts."""
        out = []
        for fam in ("-4", "-6"):
            for r in ns.json("ip -j %s route show table all" % fam):
                if r.get("table") == "local" or r.get("type") in ("local", "broadcast",
                                                                 "multicast"):
                    continue
                r.pop("flags", None)
                r.pop("expires", None)
                out.append(json.dumps(r, sort_keys=True))
        return sorted(out)

    def table(self, ns, table, fam="-4"):
        return ns.sh("ip %s route show table %s" % (fam, table))

    # ---- ADD, CHECK, DEL -------------------------------------------------------------

    def test_ipv4(self):
        ctr, _ = self.pod()
        c = conf(prev([("10.61.0.2/24", "10.61.0.1")]))
        out = self.add(c, ctr)
        self.assertEqual(out, c["prevResult"])  # 1.0.0: no "dns": {}
        self.assertIn("-4 32765: from 10.61.0.2 lookup 100", self.rules(ctr))
        t = self.table(ctr, 100)
        self.assertIn("default via 10.61.0.1 dev eth1", t)
        self.assertIn("10.61.0.0/24 dev eth1 proto kernel scope link src 10.61.0.2", t)
        self.assertEqual(self.table(ctr, "main"), "")
        # The reference's rule: routes without source and gateway (fe80::/64) go too.
        self.assertIn("fe80::/64 dev eth1", self.table(ctr, 100, "-6"))
        self.assertEqual(self.table(ctr, "main", "-6"), "")
        res = self.plug("CHECK", c, ctr)
        self.assertOK(res)
        self.assertEqual(res.stderr, "")
        res = self.plug("DEL", c, ctr)
        self.assertOK(res)
        self.assertEqual(res.stderr, "")
        self.assertNotIn("lookup 100", "\n".join(self.rules(ctr)))
        self.assertEqual(self.table(ctr, 100), "")
        self.assertEqual(self.table(ctr, 100, "-6"), "")
        self.assertCNIError(self.plug("CHECK", c, ctr), 999,
                            "rule from 10.61.0.2/32 to a table of its own missing")

    def test_every_version(self):
        for v in VERSIONS:
            with self.subTest(version=v):
                ctr, _ = self.pod()
                p = prev([("10.61.0.2/24", "10.61.0.1")], version=v)
                c = conf(p, version=v)
                out = self.add(c, ctr)
                self.assertEqual(strip_dns(out), p)
                self.assertIn("default via 10.61.0.1 dev eth1", self.table(ctr, 100))
                if v >= "0.4.0":
                    self.assertOK(self.plug("CHECK", c, ctr))
                if v == "1.1.0":
                    self.assertOK(self.plug("STATUS", c, ctr))
                    gc = dict(c)
                    gc["cni.dev/valid-attachments"] = []
                    self.assertOK(self.plug("GC", gc, ctr))
                self.assertOK(self.plug("DEL", c, ctr))
                self.assertEqual(self.rules(ctr).count("-4 32765: from 10.61.0.2 lookup 100"),
                                 0)
        res = run_plugin("sbr", "VERSION", {"cniVersion": "1.0.0"})
        self.assertEqual(res.json["supportedVersions"], list(VERSIONS))

    def test_ipv6_and_dual_stack(self):
        ctr, _ = self.pod(v6=("fd61::2/64",), gw6="fd61::1", peer_v6="fd61::1/64")
        c = conf(prev([("10.61.0.2/24", "10.61.0.1"), ("fd61::2/64", "fd61::1")]))
        self.add(c, ctr)
        rules = self.rules(ctr)
        self.assertIn("-4 32765: from 10.61.0.2 lookup 100", rules)
        self.assertIn("-6 32765: from fd61::2 lookup 101", rules)
        self.assertIn("default via 10.61.0.1 dev eth1", self.table(ctr, 100))
        t6 = self.table(ctr, 101, "-6")
        self.assertIn("default via fd61::1 dev eth1", t6)
        self.assertIn("fd61::/64 dev eth1 proto kernel", t6)
        self.assertEqual(self.table(ctr, "main", "-6"), "")
        self.assertOK(self.plug("CHECK", c, ctr))
        self.assertOK(self.plug("DEL", c, ctr))
        self.assertEqual(self.table(ctr, 101, "-6"), "")

    def test_ipv6_link_local_default_moves(self):
        """An IPv6 default route via the router's link-local address (router advertisements,
        or IPAM without a gateway) moves into the address's table; the reference deletes it
        from main without copying it (docs/plugins/sbr.md: Differences)."""
        ctr, peer = self.pod(v4=(), v6=("fd61::2/64",), gw4=None, ll_gw6=True,
                             peer_v6="fd61::1/64")
        peer.sh("ip addr add fd99::1/128 dev lo")
        c = conf(prev(["fd61::2/64"]))
        self.add(c, ctr)
        t6 = self.table(ctr, 100, "-6")
        self.assertIn("default via fe80::ff:fe00:6101 dev eth1", t6)
        peer.sh("ip -6 route add fd61::/64 dev peth1 2>/dev/null || true")
        ctr.sh("ping -6 -c 1 -W 30 -I fd61::2 fd99::1")
        if os.path.exists(GO_PLUGIN):
            ctr2, _ = self.pod(v4=(), v6=("fd61::2/64",), gw4=None, ll_gw6=True,
                               peer_v6="fd61::1/64")
            self.assertOK(self.ref("ADD", c, ctr2))
            self.assertNotIn("default", self.table(ctr2, 100, "-6"))
            self.assertEqual(self.table(ctr2, "main", "-6"), "")

    def test_several_ips_one_table_each(self):
        ctr, _ = self.pod(v4=("10.61.0.2/24", "10.62.0.2/24"))
        p = prev([("10.61.0.2/24", "10.61.0.1"), ("10.62.0.2/24", "10.62.0.1")])
        # An index out of range counts as this interface (the reference's rule).
        p["ips"][1]["interface"] = 7
        c = conf(p)
        self.add(c, ctr)
        rules = self.rules(ctr)
        self.assertIn("-4 32765: from 10.61.0.2 lookup 100", rules)
        self.assertIn("-4 32764: from 10.62.0.2 lookup 101", rules)
        t100, t101 = self.table(ctr, 100), self.table(ctr, 101)
        self.assertIn("default via 10.61.0.1", t100)
        self.assertIn("10.61.0.0/24 dev eth1 proto kernel scope link src 10.61.0.2", t100)
        self.assertNotIn("10.62.0.0/24", t100)
        self.assertIn("default via 10.62.0.1", t101)
        self.assertIn("10.62.0.0/24 dev eth1 proto kernel scope link src 10.62.0.2", t101)
        self.assertOK(self.plug("CHECK", c, ctr))
        # A rule some other tool made keeps its table from being chosen.
        ctr2, _ = self.pod()
        ctr2.sh("ip rule add from 192.0.2.1 lookup 100")
        self.add(conf(prev([("10.61.0.2/24", "10.61.0.1")])), ctr2)
        self.assertIn("-4 32764: from 10.61.0.2 lookup 101", self.rules(ctr2))
        self.assertOK(self.plug("DEL", c, ctr))
        self.assertEqual(self.table(ctr, 100) + self.table(ctr, 101), "")

    def test_table_mode(self):
        ctr, _ = self.pod(v6=("fd61::2/64",), peer_v6="fd61::1/64")
        c = conf(prev([("10.61.0.2/24", "10.61.0.1"), "fd61::2/64"]), table=4242)
        main_before = self.table(ctr, "main")
        self.add(c, ctr)
        rules = self.rules(ctr)
        self.assertIn("-4 32765: from 10.61.0.2 lookup 4242", rules)
        self.assertIn("-6 32765: from fd61::2 lookup 4242", rules)
        self.assertEqual(self.table(ctr, "main"), main_before)
        self.assertEqual(ctr.sh("ip route show table 4242 2>/dev/null", check=False), "")
        self.assertOK(self.plug("CHECK", c, ctr))
        ctr.sh("ip route add 10.99.0.0/16 via 10.61.0.1 table 4242")
        self.assertOK(self.plug("DEL", c, ctr))
        self.assertNotIn("4242", "\n".join(self.rules(ctr)))
        # The table is the operator's: its routes stay.
        self.assertIn("10.99.0.0/16", self.table(ctr, 4242))
        self.assertCNIError(self.plug("CHECK", c, ctr), 999,
                            "rule from 10.61.0.2/32 lookup 4242 missing")
        for bad, msg in ((0, "'table' is 0"), ("x", "table")):
            self.assertCNIError(self.plug("ADD", conf(c["prevResult"], table=bad), ctr), 7,
                                msg)

    def test_gateways(self):
        """IPAM without a gateway: the static gateway of each family gives the table its
        default route."""
        ctr, _ = self.pod(v6=("fd61::2/64",), gw4=None, peer_v6="fd61::1/64")
        c = conf(prev(["10.61.0.2/24", "fd61::2/64"]), gateways=["10.61.0.1", "fd61::1"])
        self.add(c, ctr)
        self.assertIn("default via 10.61.0.1 dev eth1", self.table(ctr, 100))
        self.assertIn("default via fd61::1 dev eth1", self.table(ctr, 101, "-6"))
        self.assertOK(self.plug("CHECK", c, ctr))
        ctr.sh("ip route del default table 100")
        self.assertCNIError(self.plug("CHECK", c, ctr), 999,
                            "default route via 10.61.0.1 dev eth1 missing in table 100")
        # The static gateway wins over the address's own.
        ctr2, _ = self.pod(v4=("10.61.0.2/24",), gw4=None)
        self.add(conf(prev([("10.61.0.2/24", "10.61.0.77")]), gateways=["10.61.0.1"]), ctr2)
        t = self.table(ctr2, 100)
        self.assertIn("default via 10.61.0.1", t)
        self.assertNotIn("10.61.0.77", t)
        for gws, msg in (
                (["1.1.1.1", "fd00::1", "2.2.2.2"],
                 "gateways list cannot contain more than 2 entries (one IPv4, one IPv6)"),
                (["nope"], "invalid static gateway IP address: nope"),
                (["10.0.0.1", "10.0.0.2"],
                 "gateways list contains multiple IPv4 addresses: 10.0.0.1 and 10.0.0.2"),
                (["fd00::1", "fd00::0002"],
                 "gateways list contains multiple IPv6 addresses: fd00::1 and fd00::0002")):
            ctr3, _ = self.pod()
            before = (self.rules(ctr3), self.routes(ctr3))
            self.assertCNIError(self.plug("ADD", conf(prev(["10.61.0.2/24"]), gateways=gws),
                                          ctr3), 7, msg)
            self.assertEqual((self.rules(ctr3), self.routes(ctr3)), before)

    def test_add_source_hints(self):
        ctr, _ = self.pod(v6=("fd61::2/64",), gw6="fd61::1", peer_v6="fd61::1/64")
        c = conf(prev([("10.61.0.2/24", "10.61.0.1"), ("fd61::2/64", "fd61::1")]),
                 addSourceHints=True)
        self.add(c, ctr)
        main4 = self.table(ctr, "main")
        self.assertIn("10.61.0.0/24 dev eth1 scope link src 10.61.0.2", main4)
        self.assertNotIn("default", main4)
        main6 = self.table(ctr, "main", "-6")
        self.assertIn("fd61::/64 dev eth1 src fd61::2 metric 1024", main6)
        self.assertNotIn("default", main6)
        self.assertIn("default via 10.61.0.1", self.table(ctr, 100))
        self.assertIn("default via fd61::1", self.table(ctr, 101, "-6"))
        self.assertOK(self.plug("CHECK", c, ctr))
        ctr.sh("ip route del 10.61.0.0/24 dev eth1")
        self.assertCNIError(self.plug("CHECK", c, ctr), 999,
                            "route 10.61.0.0/24 dev eth1 src 10.61.0.2 missing in the main table")

    def test_stale_table_taken_over(self):
        """A table no rule points to but with routes left in it (the reference's DEL leaves
        them) is taken: its default route is replaced; the reference fails (docs/plugins/sbr.md)."""
        ctr, _ = self.pod()
        ctr.sh("ip route add default via 10.61.0.99 dev eth1 table 100")
        c = conf(prev([("10.61.0.2/24", "10.61.0.1")]))
        self.add(c, ctr)
        t = self.table(ctr, 100)
        self.assertIn("default via 10.61.0.1 dev eth1", t)
        self.assertNotIn("10.61.0.99", t)
        self.assertOK(self.plug("CHECK", c, ctr))
        if os.path.exists(GO_PLUGIN):
            ctr2, _ = self.pod()
            ctr2.sh("ip route add default via 10.61.0.99 dev eth1 table 100")
            self.assertCNIError(self.ref("ADD", c, ctr2), 999,
                                "Failed to add default route to 10.61.0.1: file exists")

    # ---- DEL's idempotence, failed ADDs ----------------------------------------------

    def test_del_idempotent(self):
        ctr, _ = self.pod()
        c = conf(prev([("10.61.0.2/24", "10.61.0.1")]))
        before = (self.rules(ctr), self.routes(ctr))
        self.assertOK(self.plug("DEL", c, ctr))  # without ADD
        self.assertEqual((self.rules(ctr), self.routes(ctr)), before)
        self.add(c, ctr)
        self.assertOK(self.plug("DEL", c, ctr))
        self.assertOK(self.plug("DEL", c, ctr))
        # DEL reads only "table": a broken prevResult does not stop it.
        self.assertOK(self.plug("DEL", {"cniVersion": "1.0.0", "name": "n", "type": "sbr",
                                        "prevResult": {"ips": 5}}, ctr))
        # No namespace at all.
        self.assertOK(self.plug("DEL", c, ctr, netns=""))

    def test_del_netns_gone(self):
        d = self.tmpdir()
        gone = os.path.join(d, "gone")
        self.assertOK(self.plug("DEL", conf(prev(["10.61.0.2/24"])), None, netns=gone))
        self.assertFalse(os.path.exists(gone))
        if os.path.exists(GO_PLUGIN):
            # The reference opens the path with O_CREAT to lock it and then fails on the
            # file it made.
            gone2 = os.path.join(d, "gone2")
            res = self.ref("DEL", conf(prev(["10.61.0.2/24"])), None, netns=gone2)
            self.assertCNIError(res, 999, "unknown FS magic")
            self.assertTrue(os.path.isfile(gone2))

    def test_del_link_gone(self):
        ctr, _ = self.pod()
        c = conf(prev([("10.61.0.2/24", "10.61.0.1")]))
        self.add(c, ctr)
        ctr.sh("ip link del eth1")
        self.assertOK(self.plug("DEL", c, ctr))
        # The rule stays (the reference's rule: only rules from the link's addresses go).
        self.assertIn("-4 32765: from 10.61.0.2 lookup 100", self.rules(ctr))
        if os.path.exists(GO_PLUGIN):
            self.assertCNIError(self.ref("DEL", c, ctr), 999, "Failed to get link eth1")

    def test_failed_add_leaves_nothing(self):
        ctr, _ = self.pod(v4=("10.61.0.2/24", "10.62.0.2/24"))
        before = (self.rules(ctr), self.routes(ctr))
        # The second address's gateway is not reachable: the first one's rule, default
        # route and copied routes go again.
        c = conf(prev([("10.61.0.2/24", "10.61.0.1"), ("10.62.0.2/24", "192.0.2.1")]))
        self.assertCNIError(self.plug("ADD", c, ctr), 999,
                            "Failed to add default route to 192.0.2.1: network is unreachable")
        self.assertEqual((self.rules(ctr), self.routes(ctr)), before)
        self.assertOK(self.plug("DEL", c, ctr))
        self.assertEqual((self.rules(ctr), self.routes(ctr)), before)
        # The link is missing: nothing done.
        self.assertCNIError(self.plug("ADD", c, ctr, ifname="eth7"), 999,
                            "Cannot find network interface eth7")
        self.assertEqual((self.rules(ctr), self.routes(ctr)), before)
        if os.path.exists(GO_PLUGIN):
            ctr2, _ = self.pod(v4=("10.61.0.2/24", "10.62.0.2/24"))
            self.assertCNIError(self.ref("ADD", c, ctr2), 999,
                                "Failed to add default route to 192.0.2.1")
            # The reference leaves its rules and table 100 behind.
            self.assertIn("-4 32765: from 10.61.0.2 lookup 100", self.rules(ctr2))
            self.assertIn("default via 10.61.0.1", self.table(ctr2, 100))

    def test_errors(self):
        ctr, _ = self.pod()
        self.assertCNIError(self.plug("ADD", {"cniVersion": "1.0.0", "name": "n",
                                              "type": "sbr"}, ctr), 999,
                            "This plugin must be called as chained plugin")
        self.assertCNIError(self.plug("ADD", conf({"cniVersion": "1.0.0", "ips": []}), ctr),
                            999, "No IP addresses supplied on interface: eth1")
        self.assertCNIError(self.plug("ADD", conf(prev(["10.61.0.2/24"])), None,
                                      netns="/nonexistent/ns"), 999,
                            'failed to open netns "/nonexistent/ns"')
        self.assertCNIError(self.plug("ADD", conf(prev(["10.61.0.2/24"]),
                                                  addSourceHints="yes"), ctr), 7,
                            "addSourceHints")

    # ---- serialisation ---------------------------------------------------------------

    def test_lock_on_the_namespace(self):
        """Runs in one namespace take turns through flock() on the namespace itself (the
        inode the reference locks through its path too): an ADD waits while another holder
        has it, and nothing is created at the path."""
        ctr, _ = self.pod()
        c = conf(prev([("10.61.0.2/24", "10.61.0.1")]))
        before = os.stat(ctr.path)
        with open(ctr.path) as held:
            fcntl.flock(held, fcntl.LOCK_EX)
            e = dict(os.environ, CNI_COMMAND="ADD", CNI_CONTAINERID="lock", CNI_NETNS=ctr.path,
                     CNI_IFNAME=IFNAME, CNI_PATH=cnitest.BIN)
            p = subprocess.Popen(["nsenter", "--net=" + self.node.path, "--",
                                  cnitest.plugin_path("sbr")], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e)
            self.addCleanup(lambda: p.poll() is None and p.kill())
            p.stdin.write(json.dumps(c).encode())
            p.stdin.close()

            def in_flock():
                # the plugin (nsenter execs it) blocked in flock(2) (x86-64: 73, arm64: 32)
                try:
                    with open("/proc/%d/syscall" % p.pid) as f:
                        nr = f.read().split()[0]
                except (OSError, IndexError):
                    return False
                return nr in ("73", "32") and os.readlink("/proc/%d/exe" % p.pid).endswith(
                    "/sbr")
            cnitest.wait_for(in_flock, "sbr waiting for the namespace's lock")
            self.assertNotIn("lookup 100", "\n".join(self.rules(ctr)))
            fcntl.flock(held, fcntl.LOCK_UN)
            out, err = p.stdout.read(), p.stderr.read()
            p.wait(timeout=60)
        self.assertEqual(p.returncode, 0, out + err)
        self.assertIn("-4 32765: from 10.61.0.2 lookup 100", self.rules(ctr))
        after = os.stat(ctr.path)
        self.assertEqual((before.st_ino, before.st_dev), (after.st_ino, after.st_dev))

    # ---- traffic ---------------------------------------------------------------------

    def test_traffic_second_interface(self):
        """A pod with two interfaces: eth0 (default route) on network A, eth1 on network B.
        A far address only network B's peer has is reached from eth1's address once sbr
        has run, and not from eth0's."""
        ctr, peer_a = self.pod(v4=("10.61.0.2/24",), gw4="10.61.0.1", ifname="eth0",
                               peer_v4="10.61.0.1/24")
        _, peer_b = self.pod(v4=("10.62.0.2/24",), gw4=None, ifname="eth1", ns=ctr,
                             peer_v4="10.62.0.1/24")
        peer_b.sh("ip addr add 10.99.0.1/32 dev lo")
        c = conf(prev([("10.62.0.2/24", "10.62.0.1")]))
        self.add(c, ctr)
        self.assertIn("default via 10.62.0.1 dev eth1", self.table(ctr, 100))
        # Sourced from eth1's address: out through eth1, answered by peer B.
        ctr.sh("ping -c 1 -W 30 -I 10.62.0.2 10.99.0.1")
        out = peer_b.sh("ip -s -j link show peth1")
        self.assertGreater(json.loads(out)[0]["stats64"]["rx"]["packets"], 0)
        # eth0's address still uses the main table (default via peer A, which has no route
        # to the far address); the path answered above, so silence here means the route.
        ctr.sh("ping -c 1 -W 30 10.61.0.1")
        res = ctr.sh("ping -c 1 -W 1 -I 10.61.0.2 10.99.0.1", check=False)
        self.assertNotIn(" 0% packet loss", res)

    # ---- the reference on the same inputs --------------------------------------------

    def test_compare_reference(self):
        if not os.path.exists(GO_PLUGIN):
            self.skipTest("no reference sbr in %s" % cnitest.REFERENCE_BIN)
        ips = [("10.61.0.2/24", "10.61.0.1"), ("10.62.0.2/24", "10.62.0.1"),
               ("fd61::2/64", "fd61::1")]
        for v in ("0.3.1", "0.4.0", "1.0.0"):
            with self.subTest(version=v):
                c = conf(prev(ips, version=v), version=v)
                states = []
                for plugin in ("ours", "ref"):
                    ctr, _ = self.pod(v4=("10.61.0.2/24", "10.62.0.2/24"), v6=("fd61::2/64",),
                                      gw6="fd61::1", peer_v6="fd61::1/64")
                    ctr.sh("ip route add 10.77.0.0/16 via 10.62.0.1")
                    res = self.plug("ADD", c, ctr) if plugin == "ours" else self.ref("ADD", c,
                                                                                      ctr)
                    out = strip_dns(self.assertOK(res))
                    states.append((out, self.rules(ctr), self.routes(ctr)))
                    if plugin == "ref":
                        self.assertIn("Configure SBR for new interface", res.stderr)
                    ours_del = self.plug("DEL", c, ctr) if plugin == "ours" else self.ref(
                        "DEL", c, ctr)
                    self.assertOK(ours_del)
                    states[-1] += (self.rules(ctr), self.routes(ctr))
                ours, ref = states
                self.assertEqual(ours[0], ref[0])
                self.assertEqual(ours[1], ref[1])
                self.assertEqual(ours[2], ref[2])
                # After DEL: the same rules; ours also empties its tables (docs/plugins/sbr.md).
                self.assertEqual(ours[3], ref[3])
                self.assertFalse([r for r in ours[4] if '"table": "10' in r])
                self.assertTrue([r for r in ref[4] if '"table": "100"' in r])
