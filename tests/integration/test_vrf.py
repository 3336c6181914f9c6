# SPDX-License-Identifier: Apache-2.0
"""Black-box tests of bin/vrf: the container interface put into a VRF of the container's
namespace (created with the smallest free table, or the configured one), its addresses and
routes kept (IPv4 and IPv6, single-path, scope-link and multipath routes), several interfaces
in one VRF, every verb and CNI version, DEL in every state, failed ADDs that leave nothing,
traffic inside the VRF and none from the default VRF, and Debian's Go vrf (1.1.1) side by side
on the same inputs.

The main plugin's work (a veth with addresses and routes, its peer in a namespace of its own)
is done by the test with `ip`, so the routes are exactly the ones wanted. Kernels without VRF
skip these tests (they run in the QEMU tier, make check-vm).
"""
import json
import os
import signal
import subprocess

import cnitest
from cnitest import CNITestCase, run_plugin

VERSIONS = ("0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0")
REF = os.path.join(cnitest.REFERENCE_BIN, "vrf")


def stopped_plugin():
    """The pid of a vrf process stopped under strace (its SIGSTOP injection), or None."""
    for pid in os.listdir("/proc"):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmd = f.read().split(b"\0")
            with open("/proc/%s/stat" % pid) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if cmd[0] == cnitest.plugin_path("vrf").encode() and state in ("t", "T"):
            return int(pid)
    return None


def conf(version="1.0.0", prev=None, **kw):
    c = {"cniVersion": version, "name": "vrfnet", "type": "vrf", "vrfname": "blue"}
    if prev is not None:
        c["prevResult"] = prev
    c.update(kw)
    return c


class VrfBase(CNITestCase):
    needs_netns = True

    def setUp(self):
        super().setUp()
        cnitest.require(self, ("vrf",), tools=("ping",))
        cnitest.require_kernel(self, "vrf", what="the vrf plugin makes VRF devices")
        self.node = self.netns("vnode")

    def container(self, links=("eth0",), dad=False):
        """A container namespace with a veth per name of links, its peer in one peer
        namespace: link i has 10.6<i>.0.2/24 and fd6<i>::2/64 (peer .1 / ::1); with dad the
        container's IPv6 addresses do duplicate address detection (waited for here)."""
        ctr = self.netns("vctr")
        peer = self.netns("vpeer")
        ctr.peer = peer
        for i, name in enumerate(links):
            ctr.sh("ip link add %s type veth peer name p%d netns %s" % (name, i, peer.name))
            peer.sh("ip addr add 10.6%d.0.1/24 dev p%d && ip addr add fd6%d::1/64 dev p%d nodad"
                    " && ip link set p%d up" % (i, i, i, i, i))
            ctr.sh("ip addr add 10.6%d.0.2/24 dev %s && ip addr add fd6%d::2/64 dev %s %s"
                   " && ip link set %s up" % (i, name, i, name, "" if dad else "nodad", name))
        if dad:
            cnitest.wait_for(lambda: not ctr.json("ip -j -6 addr show tentative"),
                             "the container's IPv6 addresses done with DAD")
        return ctr

    def plug(self, cmd, c, ctr, ifname="eth0", **kw):
        netns = ctr if isinstance(ctr, str) else ctr.path
        return run_plugin("vrf", cmd, c, netns=netns, ifname=ifname, in_netns=self.node.name,
                          **kw)

    def strace(self, cmd, ctr, ifname, *opts):
        """Our vrf run for cmd under strace with opts, started (stdin still open)."""
        env = dict(os.environ, CNI_COMMAND=cmd, CNI_CONTAINERID="testcid", CNI_NETNS=ctr.path,
                   CNI_IFNAME=ifname, CNI_PATH=cnitest.BIN,
                   # LeakSanitizer cannot run under ptrace: a sanitizer build would abort.
                   ASAN_OPTIONS="detect_leaks=0")
        p = subprocess.Popen(
            ["nsenter", "--net=/run/netns/" + self.node.name, "--", "strace", "-qq"] +
            list(opts) + [cnitest.plugin_path("vrf")], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, env=env)
        self.addCleanup(p.kill)
        return p

    def requests(self, cmd, c, ctr, ifname):
        """The netlink requests (sendmsg calls, strace's text) of our vrf running cmd."""
        trace = os.path.join(self.tmpdir(), "trace")
        p = self.strace(cmd, ctr, ifname, "-e", "trace=sendmsg", "-o", trace)
        out = p.communicate(json.dumps(c).encode(), timeout=60)[0]
        self.assertEqual(p.returncode, 0, out)
        with open(trace) as f:
            return [line for line in f if line.startswith("sendmsg(")]

    def ref(self, cmd, c, ctr, ifname="eth0", cid="testcid"):
        return cnitest.run_reference("vrf", cmd, c, cid, ctr.path, node=self.node.name,
                                     ifname=ifname)

    def prev(self, ctr, version="1.0.0", ips=("10.60.0.2/24",), ifname="eth0"):
        return cnitest.prev_result(list(ips), sandbox=ctr.path, ifname=ifname, host=(),
                                   version=version)

    def link(self, ctr, name):
        out = ctr.sh("ip -d -j link show dev %s 2>/dev/null" % name, check=False)
        return json.loads(out)[0] if out.strip() else None

    def vrf_table(self, ctr, name="blue"):
        l = self.link(ctr, name)
        if not l:
            return None
        self.assertEqual(l["linkinfo"]["info_kind"], "vrf")
        return l["linkinfo"]["info_data"]["table"]

    def master(self, ctr, name="eth0"):
        return self.link(ctr, name).get("master")

    def routes(self, ctr, table, family="-4"):
        """(dst, gateway or dev) of the non-kernel routes of table, multipath ones as
        (dst, [gateways])."""
        out = []
        for r in ctr.json("ip -j %s route show table %s" % (family, table)):
            if r.get("protocol") == "kernel" or r.get("type", "unicast") != "unicast":
                continue
            if "nexthops" in r:
                out.append((r["dst"], sorted(h["gateway"] for h in r["nexthops"])))
            else:
                out.append((r["dst"], r.get("gateway", "dev " + r.get("dev", "?"))))
        return sorted(out, key=str)

    def ipam_routes(self, ctr, i=0, name="eth0"):
        """Routes as IPAM and the main plugin set them: a default route, one with a
        gateway, one without (scope link), for both families."""
        ctr.sh("ip route add default via 10.6%d.0.1 dev %s" % (i, name))
        ctr.sh("ip route add 10.7%d.0.0/16 via 10.6%d.0.1 dev %s" % (i, i, name))
        ctr.sh("ip route add 192.168.7%d.0/24 dev %s" % (i, name))
        ctr.sh("ip -6 route add default via fd6%d::1 dev %s" % (i, name))
        ctr.sh("ip -6 route add fd7%d::/64 via fd6%d::1 dev %s" % (i, i, name))


class VrfTest(VrfBase):
    # ---- every verb, every version ---------------------------------------------------

    def test_every_version(self):
        for v in VERSIONS:
            with self.subTest(version=v):
                ctr = self.container()
                prev = self.prev(ctr, v)
                c = conf(v, prev)
                res = self.assertOK(self.plug("ADD", c, ctr))
                # The prevResult, unchanged (before 1.0.0 results always carry a dns).
                self.assertEqual(res, dict(prev, dns={}) if v.startswith("0.") else prev)
                self.assertEqual(self.vrf_table(ctr), 1)
                self.assertEqual(self.master(ctr), "blue")
                self.assertIn("UP", self.link(ctr, "blue")["flags"])
                if v not in ("0.1.0", "0.2.0", "0.3.0", "0.3.1"):
                    self.assertOK(self.plug("CHECK", c, ctr))
                if v == "1.1.0":
                    self.assertOK(self.plug("STATUS", conf(v), ""))
                    gc = conf(v, **{"cni.dev/valid-attachments": []})
                    self.assertOK(self.plug("GC", gc, ""))
                    self.assertEqual(self.vrf_table(ctr), 1)  # GC leaves it
                self.assertOK(self.plug("DEL", conf(v), ctr))
                self.assertIsNone(self.link(ctr, "blue"))
                self.assertIsNone(self.master(ctr))
                self.assertOK(self.plug("DEL", conf(v), ctr))

    def test_result_converted_to_config_version(self):
        ctr = self.container()
        prev = self.prev(ctr, "1.0.0")
        res = self.assertOK(self.plug("ADD", conf("1.1.0", prev), ctr))
        self.assertEqual(res, dict(prev, cniVersion="1.1.0"))

    # ---- tables ----------------------------------------------------------------------

    def test_table_allocation(self):
        ctr = self.container(("eth0", "net1", "net2", "net3"))
        self.assertOK(self.plug("ADD", conf(prev=self.prev(ctr), vrfname="red"), ctr))
        self.assertEqual(self.vrf_table(ctr, "red"), 1)
        self.assertOK(self.plug("ADD", conf(prev=self.prev(ctr), vrfname="green"), ctr,
                                ifname="net1"))
        self.assertEqual(self.vrf_table(ctr, "green"), 2)
        self.assertOK(self.plug("ADD", conf(prev=self.prev(ctr), vrfname="gold", table=1001),
                                ctr, ifname="net2"))
        self.assertEqual(self.vrf_table(ctr, "gold"), 1001)
        # The table of an existing VRF: given and equal is fine, another one an error.
        self.assertCNIError(self.plug("ADD", conf(prev=self.prev(ctr), vrfname="red", table=5),
                                      ctr, ifname="net3"), 999,
                            "cmdAdd failed: VRF red already exist with different routing "
                            "table 1")
        self.assertIsNone(self.master(ctr, "net3"))
        self.assertOK(self.plug("ADD", conf(prev=self.prev(ctr), vrfname="red", table=1), ctr,
                                ifname="net3"))
        self.assertEqual(self.master(ctr, "net3"), "red")
        # CHECK sees the configured table.
        self.assertOK(self.plug("CHECK", conf(prev=self.prev(ctr), vrfname="red", table=1),
                                ctr, ifname="net3"))
        self.assertCNIError(self.plug("CHECK", conf(prev=self.prev(ctr), vrfname="red",
                                                    table=7), ctr, ifname="net3"), 999,
                            "VRF red has routing table 1, not the configured 7")
        # A freed table is taken again.
        self.assertOK(self.plug("DEL", conf(vrfname="red"), ctr))
        self.assertOK(self.plug("DEL", conf(vrfname="red"), ctr, ifname="net3"))
        self.assertIsNone(self.link(ctr, "red"))
        ctr.sh("ip link set net3 nomaster")
        self.assertOK(self.plug("ADD", conf(prev=self.prev(ctr), vrfname="cyan"), ctr,
                                ifname="net3"))
        self.assertEqual(self.vrf_table(ctr, "cyan"), 1)

    def test_two_interfaces_one_vrf(self):
        """Several interfaces per VRF; the VRF goes with its last member, in either order."""
        for order in (("eth0", "net1"), ("net1", "eth0")):
            with self.subTest(order=order):
                ctr = self.container(("eth0", "net1"))
                for name in ("eth0", "net1"):
                    self.assertOK(self.plug("ADD", conf(prev=self.prev(ctr)), ctr,
                                            ifname=name))
                    self.assertEqual(self.master(ctr, name), "blue")
                self.assertEqual(self.vrf_table(ctr), 1)
                # Both connected routes are in the VRF's table.
                dsts = [r["dst"] for r in ctr.json("ip -j -4 route show table 1")
                        if r.get("type", "unicast") == "unicast"]
                self.assertEqual(sorted(dsts), ["10.60.0.0/24", "10.61.0.0/24"])
                self.assertOK(self.plug("DEL", conf(), ctr, ifname=order[0]))
                self.assertIsNone(self.master(ctr, order[0]))
                self.assertEqual(self.vrf_table(ctr), 1)
                self.assertOK(self.plug("CHECK", conf(prev=self.prev(ctr)), ctr,
                                        ifname=order[1]))
                self.assertCNIError(self.plug("CHECK", conf(prev=self.prev(ctr)), ctr,
                                              ifname=order[0]), 999,
                                    "failed to find %s associated to vrf blue" % order[0])
                self.assertOK(self.plug("DEL", conf(), ctr, ifname=order[1]))
                self.assertIsNone(self.link(ctr, "blue"))

    # ---- addresses and routes ----------------------------------------------------------

    def check_moved(self, ctr, table=1):
        self.assertEqual(self.routes(ctr, table), [
            ("10.70.0.0/16", "10.60.0.1"), ("192.168.70.0/24", "dev eth0"),
            ("default", "10.60.0.1")])
        self.assertEqual(self.routes(ctr, table, "-6"), [
            ("default", "fd60::1"), ("fd70::/64", "fd60::1")])
        self.assertEqual(self.routes(ctr, "main"), [])
        self.assertEqual(self.routes(ctr, "main", "-6"), [])

    def test_addresses_and_routes(self):
        """IPv4 and IPv6 addresses and IPAM's routes end up in the VRF: default routes,
        routes with a gateway, a route without one; the IPv6 address is usable when ADD
        returns, whether the kernel kept it (keep_addr_on_down) or the plugin put it back."""
        for keep in ("0", "1"):
            with self.subTest(keep_addr_on_down=keep):
                ctr = self.container(dad=True)
                ctr.sh("sysctl -qw net.ipv6.conf.eth0.keep_addr_on_down=%s" % keep)
                self.ipam_routes(ctr)
                self.assertOK(self.plug("ADD", conf(prev=self.prev(ctr)), ctr))
                self.check_moved(ctr)
                addrs = ctr.json("ip -j addr show dev eth0")[0]["addr_info"]
                glob = [a for a in addrs if a["scope"] == "global"]
                self.assertEqual(sorted((a["local"], a["prefixlen"]) for a in glob),
                                 [("10.60.0.2", 24), ("fd60::2", 64)])
                for a in glob:
                    self.assertNotIn("tentative", a)
                local = ctr.json("ip -j -6 route show table 1 type local")
                self.assertIn("fd60::2", [r["dst"] for r in local])
                self.assertOK(self.plug("CHECK", conf(prev=self.prev(ctr)), ctr))

    def test_no_carrier(self):
        """A link without carrier: its IPv6 address stays tentative (duplicate address
        detection waits for the carrier), so ADD does not wait for it and succeeds (the
        reference fails after its 2.5 s: "failed getting local/host addresses")."""
        ctr = self.container(dad=True)
        ctr.peer.sh("ip link set p0 down")
        self.ipam_routes(ctr)
        self.assertOK(self.plug("ADD", conf(prev=self.prev(ctr)), ctr))
        self.assertNotIn("LOWER_UP", self.link(ctr, "eth0")["flags"])
        addrs = ctr.json("ip -j -6 addr show dev eth0 scope global")[0]["addr_info"]
        self.assertEqual([(a["local"], a.get("tentative")) for a in addrs if "local" in a],
                         [("fd60::2", True)])
        self.assertEqual(self.routes(ctr, 1, "-6"), [
            ("default", "fd60::1"), ("fd70::/64", "fd60::1")])

    def test_ecmp_routes(self):
        """A multipath route with a nexthop through the interface (IPv4 and the IPv6 default
        route over eth0 and net1): the VRF gets the interface's nexthop, the main table keeps
        the others."""
        ctr = self.container(("eth0", "net1"))
        ctr.sh("ip route add default nexthop via 10.60.0.1 dev eth0"
               " nexthop via 10.61.0.1 dev net1")
        ctr.sh("ip -6 route add default nexthop via fd60::1 dev eth0"
               " nexthop via fd61::1 dev net1")
        ctr.sh("ip route add 10.80.0.0/16 nexthop via 10.60.0.1 dev eth0 weight 2"
               " nexthop via 10.60.0.9 dev eth0")
        self.assertOK(self.plug("ADD", conf(prev=self.prev(ctr)), ctr))
        self.assertEqual(self.routes(ctr, 1), [
            ("10.80.0.0/16", ["10.60.0.1", "10.60.0.9"]), ("default", "10.60.0.1")])
        self.assertEqual(self.routes(ctr, 1, "-6"), [("default", "fd60::1")])
        self.assertEqual(self.routes(ctr, "main"), [("default", "10.61.0.1")])
        self.assertEqual(self.routes(ctr, "main", "-6"), [("default", "fd61::1")])
        weights = {h["gateway"]: h.get("weight", 1)
                   for h in ctr.json("ip -j route show table 1 10.80.0.0/16")[0]["nexthops"]}
        self.assertEqual(weights, {"10.60.0.1": 2, "10.60.0.9": 1})

    # ---- DEL -------------------------------------------------------------------------

    def test_del_states(self):
        ctr = self.container()
        # Without ADD: no VRF, nothing to do.
        self.assertOK(self.plug("DEL", conf(), ctr))
        # Namespace gone, CNI_NETNS empty: success, nothing created.
        self.assertOK(self.plug("DEL", conf(), "/run/netns/vrf-no-such-ns"))
        self.assertFalse(os.path.exists("/run/netns/vrf-no-such-ns"))
        self.assertOK(self.plug("DEL", conf(), ""))
        # Only vrfname is read.
        self.assertOK(self.plug("DEL", conf(table="x", prevResult=3), ctr))
        self.assertCNIError(self.plug("DEL", {"cniVersion": "1.0.0", "name": "n",
                                              "type": "vrf"}, ctr), 7,
                            "configuration is expected to have a valid vrf name")
        # The link gone after ADD: DEL deletes the then empty VRF.
        self.assertOK(self.plug("ADD", conf(prev=self.prev(ctr)), ctr))
        ctr.sh("ip link del eth0")
        self.assertOK(self.plug("DEL", conf(), ctr))
        self.assertIsNone(self.link(ctr, "blue"))
        self.assertOK(self.plug("DEL", conf(), ctr))

    def test_del_vrf_gone(self):
        ctr = self.container()
        self.assertOK(self.plug("ADD", conf(prev=self.prev(ctr)), ctr))
        ctr.sh("ip link del blue")
        self.assertOK(self.plug("DEL", conf(), ctr))
        self.assertIsNone(self.master(ctr))

    def test_del_vrf_deleted_by_another_member(self):
        """Two members' DELs at once: the one that finds the VRF deleted by the other when it
        deletes it succeeds (reference PR #1282: "no such device"). A DEL is stopped (strace
        injects SIGSTOP) right after its request listing the VRF's members, once it took its
        interface out, while the last member's DEL runs; no timing is involved."""
        cnitest.require(self, tools=("strace",))
        ctr = self.container(("eth0", "net1", "net2"))
        for name in ("eth0", "net1", "net2"):
            self.assertOK(self.plug("ADD", conf(prev=self.prev(ctr)), ctr, ifname=name))
        # A DEL that leaves members behind: its last request is the member listing.
        n = len(self.requests("DEL", conf(), ctr, "eth0"))
        self.assertEqual(self.vrf_table(ctr), 1)

        p = self.strace("DEL", ctr, "net1", "-o", "/dev/null",
                        "--inject=sendmsg:signal=SIGSTOP:when=%d" % n)
        p.stdin.write(json.dumps(conf()).encode())
        p.stdin.close()
        pid = cnitest.wait_for(stopped_plugin, "the DEL of net1 stopped")
        self.assertIsNone(self.master(ctr, "net1"))  # it took net1 out
        self.assertEqual(self.master(ctr, "net2"), "blue")
        self.assertOK(self.plug("DEL", conf(), ctr, ifname="net2"))
        self.assertIsNone(self.link(ctr, "blue"))  # the last member's DEL deleted the VRF
        os.kill(pid, signal.SIGCONT)
        out = p.stdout.read()
        self.assertEqual(p.wait(timeout=60), 0, out)

    def test_add_vrf_created_meanwhile(self):
        """Two ADDs into one new VRF at once: the one whose create finds the VRF made by the
        other meanwhile uses it (the reference: "could not add VRF blue: file exists"). The
        first ADD is stopped (strace's SIGSTOP) right before its create request."""
        cnitest.require(self, tools=("strace",))
        twin = self.container()
        reqs = self.requests("ADD", conf(prev=self.prev(twin)), twin, "eth0")
        # the create: RTM_NEWLINK (0x10) with NLM_F_EXCL|NLM_F_CREATE (0x600)
        create = [i for i, r in enumerate(reqs) if "nlmsg_type=0x10" in r and "0x600" in r]
        self.assertTrue(create, reqs)
        ctr = self.container(("eth0", "net1"))
        p = self.strace("ADD", ctr, "eth0", "-o", "/dev/null",
                        "--inject=sendmsg:signal=SIGSTOP:when=%d" % create[0])
        p.stdin.write(json.dumps(conf(prev=self.prev(ctr))).encode())
        p.stdin.close()
        pid = cnitest.wait_for(stopped_plugin, "the ADD of eth0 stopped")
        self.assertIsNone(self.link(ctr, "blue"))
        self.assertOK(self.plug("ADD", conf(prev=self.prev(ctr)), ctr, ifname="net1"))
        os.kill(pid, signal.SIGCONT)
        out = p.stdout.read()
        self.assertEqual(p.wait(timeout=60), 0, out)
        self.assertEqual(json.loads(out), self.prev(ctr))
        self.assertEqual(self.vrf_table(ctr), 1)
        self.assertEqual((self.master(ctr), self.master(ctr, "net1")), ("blue", "blue"))

    def test_del_leaves_other_master(self):
        """DEL takes the interface out of this VRF only, not out of another master."""
        ctr = self.container(("eth0", "net1"))
        self.assertOK(self.plug("ADD", conf(prev=self.prev(ctr)), ctr, ifname="net1"))
        ctr.sh("ip link add br0 type bridge && ip link set eth0 master br0")
        self.assertOK(self.plug("DEL", conf(), ctr))
        self.assertEqual(self.master(ctr), "br0")
        self.assertEqual(self.master(ctr, "net1"), "blue")

    # ---- errors and failed ADDs --------------------------------------------------------

    def test_config_errors(self):
        ctr = self.container()
        prev = self.prev(ctr)
        for c, code, msg in (
                (conf(prev=prev, vrfname=""), 7,
                 "configuration is expected to have a valid vrf name"),
                ({"cniVersion": "1.0.0", "name": "n", "type": "vrf", "prevResult": prev}, 7,
                 "configuration is expected to have a valid vrf name"),
                (conf(prev=prev, vrfname=5), 7, "vrfname"),
                (conf(prev=prev, vrfname="a-name-too-long-for-a-link"), 7,
                 "invalid vrf name 'a-name-too-long-for-a-link'"),
                (conf(prev=prev, table="1"), 7, "'table' must be an integer"),
                (conf(prev=prev, table=-1), 7, "'table' must be an integer"),
                (conf(prev=prev, table=4294967296), 7,
                 "'table' must be an integer between 0 and 4294967295"),
                (conf(), 7, "missing prevResult from earlier plugin")):
            with self.subTest(conf=c):
                self.assertCNIError(self.plug("ADD", c, ctr), code, msg)
                self.assertCNIError(self.plug("CHECK", c, ctr), code, msg)
        self.assertCNIError(self.plug("ADD", '{"cniVersion":"1.0.0","name":"x",', ctr), 6)
        self.assertEqual(sorted(l["ifname"] for l in ctr.json("ip -j link show")),
                         ["eth0", "lo"])

    def test_plugin_errors_leave_nothing(self):
        ctr = self.container(("eth0", "net1"))
        self.ipam_routes(ctr)
        state = ("ip -4 addr; ip -6 addr show scope global; "
                 "(ip -4 route show table all; ip -6 route show table all) | grep -v fe80 | "
                 "sort")
        before = ctr.sh(state)
        # The interface is missing: the VRF the ADD made is gone again.
        self.assertCNIError(self.plug("ADD", conf(prev=self.prev(ctr)), ctr, ifname="nosuch"),
                            999, "cmdAdd failed: could not get link by name nosuch")
        # Already in a master.
        ctr.sh("ip link add br0 type bridge && ip link set net1 master br0")
        self.assertCNIError(self.plug("ADD", conf(prev=self.prev(ctr)), ctr, ifname="net1"),
                            999, "cmdAdd failed: interface net1 has already a master set: br0")
        ctr.sh("ip link set net1 nomaster && ip link del br0")
        # A link of the VRF's name that is no VRF.
        ctr.sh("ip link add blue type bridge")
        self.assertCNIError(self.plug("ADD", conf(prev=self.prev(ctr)), ctr), 999,
                            "cmdAdd failed: Netlink blue is not a VRF")
        self.assertCNIError(self.plug("CHECK", conf(prev=self.prev(ctr)), ctr), 999,
                            "Netlink blue is not a VRF")
        self.assertCNIError(self.plug("DEL", conf(), ctr), 999, "Netlink blue is not a VRF")
        ctr.sh("ip link del blue")
        # The namespace is gone.
        self.assertCNIError(self.plug("ADD", conf(prev=self.prev(ctr)), "/run/netns/vrf-gone"),
                            999, 'cmdAdd failed: failed to Statfs "/run/netns/vrf-gone"')
        self.assertCNIError(self.plug("CHECK", conf(prev=self.prev(ctr)), ctr), 999,
                            "failed to find VRF blue: Link not found")
        after = ctr.sh(state)
        self.assertEqual(after, before)
        self.assertEqual(sorted(l["ifname"] for l in ctr.json("ip -j link show")),
                         ["eth0", "lo", "net1"])

    def test_failed_add_after_enslaving_leaves_nothing(self):
        """Duplicate address detection fails for the IPv6 address in the VRF (the peer took
        it meanwhile): ADD fails, and the interface is out of the VRF again with its
        addresses and routes back in the main table, the VRF deleted."""
        ctr = self.container(("eth0", "net1"), dad=True)
        self.ipam_routes(ctr)
        ctr.sh("ip route add 10.90.0.0/16 nexthop via 10.60.0.1 dev eth0"
               " nexthop via 10.61.0.1 dev net1")
        routes4, routes6 = self.routes(ctr, "main"), self.routes(ctr, "main", "-6")
        ctr.peer.sh("ip addr add fd60::2/64 dev p0 nodad")
        self.assertCNIError(self.plug("ADD", conf(prev=self.prev(ctr)), ctr), 999,
                            "cmdAdd failed: failed getting local/host addresses for eth0 in "
                            "table 1 with dst fd60::2/64: duplicate address detection failed")
        self.assertIsNone(self.link(ctr, "blue"))
        self.assertIsNone(self.master(ctr))
        self.assertEqual(self.routes(ctr, "main"), routes4)
        self.assertEqual(self.routes(ctr, "main", "-6"), routes6)
        addrs = ctr.json("ip -j addr show dev eth0 scope global")[0]["addr_info"]
        self.assertEqual(sorted(a["local"] for a in addrs if "local" in a),
                         ["10.60.0.2", "fd60::2"])

    # ---- traffic -----------------------------------------------------------------------

    def test_traffic(self):
        """From inside the container, bound to the VRF, the peer's network answers; from the
        default VRF it is unreachable."""
        ctr = self.container()
        ctr.peer.sh("ip addr add 10.99.0.1/32 dev lo && ip addr add fd99::1/128 dev lo")
        ctr.sh("ip route add 10.99.0.0/24 via 10.60.0.1 && "
               "ip -6 route add fd99::/64 via fd60::1")
        self.assertOK(self.plug("ADD", conf(prev=self.prev(ctr)), ctr))
        ctr.sh("ping -c1 -W30 -I blue 10.99.0.1")
        ctr.sh("ping -6 -c1 -W30 -I blue fd99::1")
        ctr.sh("ip vrf exec blue ping -c1 -W30 10.60.0.1")
        out = ctr.sh("ping -c1 -W1 10.99.0.1 2>&1", check=False)
        self.assertIn("unreachable", out)
        out = ctr.sh("ping -6 -c1 -W1 fd99::1 2>&1", check=False)
        self.assertIn("unreachable", out)


class VrfReferenceTest(VrfBase):
    """Debian's Go vrf 1.1.1 on the same inputs."""

    def setUp(self):
        super().setUp()
        if not os.path.exists(REF):
            self.skipTest("no reference binary %s" % REF)

    def twins(self):
        """Two identical containers: ours and the reference's, with IPAM's routes."""
        pair = []
        for _ in range(2):
            ctr = self.container()
            self.ipam_routes(ctr)
            pair.append(ctr)
        return pair

    def test_same_result_and_vrf(self):
        ours, theirs = self.twins()
        for v in ("0.3.1", "0.4.0", "1.0.0"):
            with self.subTest(version=v):
                a = self.assertOK(self.plug("ADD", conf(v, self.prev(ours, v)), ours,
                                            containerid="c" + v))
                b = self.assertOK(self.ref("ADD", conf(v, self.prev(theirs, v)), theirs,
                                           cid="c" + v))
                a["interfaces"][0]["sandbox"] = b["interfaces"][0]["sandbox"]
                if v == "1.0.0":
                    self.assertEqual(b.pop("dns"), {})  # 1.1.1 always prints a dns
                self.assertEqual(a, b)
                self.assertEqual(self.vrf_table(ours), self.vrf_table(theirs))
                self.assertEqual(self.master(ours), self.master(theirs))
                # Documented: 1.1.1 does not move the routes, IPAM's are lost.
                self.assertEqual(self.routes(theirs, 1), [])
                self.check_moved_ours(ours)
                if v != "0.3.1":
                    self.assertOK(self.plug("CHECK", conf(v, self.prev(ours, v)), ours))
                    self.assertOK(self.ref("CHECK", conf(v, self.prev(theirs, v)), theirs))
                self.assertOK(self.plug("DEL", conf(v), ours))
                self.assertOK(self.ref("DEL", conf(v), theirs))
                self.assertIsNone(self.link(ours, "blue"))
                self.assertIsNone(self.link(theirs, "blue"))
                for ctr in (ours, theirs):
                    ctr.sh("ip route replace default via 10.60.0.1 dev eth0 && "
                           "ip route replace 10.70.0.0/16 via 10.60.0.1 dev eth0 && "
                           "ip route replace 192.168.70.0/24 dev eth0 && "
                           "ip -6 addr replace fd60::2/64 dev eth0 nodad && "
                           "ip -6 route replace default via fd60::1 dev eth0 && "
                           "ip -6 route replace fd70::/64 via fd60::1 dev eth0")

    def check_moved_ours(self, ctr):
        self.assertEqual(self.routes(ctr, 1), [
            ("10.70.0.0/16", "10.60.0.1"), ("192.168.70.0/24", "dev eth0"),
            ("default", "10.60.0.1")])
        self.assertEqual(self.routes(ctr, 1, "-6"), [
            ("default", "fd60::1"), ("fd70::/64", "fd60::1")])

    def test_same_errors(self):
        ours, theirs = self.twins()
        for name, c, ifname, code_ours, code_ref in (
                ("missing vrfname", {"cniVersion": "1.0.0", "name": "n", "type": "vrf",
                                     "prevResult": self.prev(ours)}, "eth0", 7, 999),
                ("missing prevResult", conf(), "eth0", 7, 999),
                ("no such link", conf(prev=self.prev(ours)), "nosuch", 999, 999)):
            with self.subTest(case=name):
                a = self.plug("ADD", c, ours, ifname=ifname)
                b = self.ref("ADD", c, theirs, ifname=ifname)
                self.assertCNIError(a, code_ours)
                self.assertCNIError(b, code_ref)
                self.assertEqual(a.json["msg"], b.json["msg"])
        # Documented: 1.1.1 leaves the VRF its failed ADD created.
        self.assertIsNone(self.link(ours, "blue"))
        self.assertEqual(self.vrf_table(theirs), 1)
        theirs.sh("ip link del blue")
        # A table mismatch and a link that is no VRF: the same texts.
        for ctr in (ours, theirs):
            ctr.sh("ip link add blue type vrf table 3 && ip link add red type bridge")
        a = self.plug("ADD", conf(prev=self.prev(ours), table=4), ours)
        b = self.ref("ADD", conf(prev=self.prev(theirs), table=4), theirs)
        self.assertEqual(a.json["msg"], b.json["msg"])
        self.assertEqual(a.json["msg"],
                         "cmdAdd failed: VRF blue already exist with different routing table 3")
        a = self.plug("ADD", conf(prev=self.prev(ours), vrfname="red"), ours)
        b = self.ref("ADD", conf(prev=self.prev(theirs), vrfname="red"), theirs)
        self.assertEqual(a.json["msg"], b.json["msg"])
        self.assertEqual(a.json["msg"], "cmdAdd failed: Netlink red is not a VRF")

    def test_differences(self):
        """Documented differences: 1.1.1 refuses CNI 0.3.0 and 1.1.0; its CHECK succeeds
        for an interface that is not in the VRF; its DEL fails when the interface is gone
        while the VRF stays."""
        ours, theirs = self.twins()
        for v in ("0.3.0", "1.1.0"):
            self.assertOK(self.plug("ADD", conf(v, self.prev(ours, v)), ours,
                                    containerid="c" + v))
            self.assertCNIError(self.ref("ADD", conf(v, self.prev(theirs, v)), theirs), 1,
                                "incompatible CNI versions")
            self.assertOK(self.plug("DEL", conf(v), ours, containerid="c" + v))
        for ctr in (ours, theirs):
            ctr.sh("ip link add blue type vrf table 1 && ip link set blue up")
        self.assertCNIError(self.plug("CHECK", conf(prev=self.prev(ours)), ours), 999,
                            "failed to find eth0 associated to vrf blue")
        self.assertOK(self.ref("CHECK", conf(prev=self.prev(theirs)), theirs))
        for ctr in (ours, theirs):
            ctr.sh("ip link set eth0 master blue && ip link del eth0")
        self.assertOK(self.plug("DEL", conf(), ours))
        self.assertIsNone(self.link(ours, "blue"))
        self.assertCNIError(self.ref("DEL", conf(), theirs), 999,
                            "resetMaster: could not get link by name eth0")
