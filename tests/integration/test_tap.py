# SPDX-License-Identifier: Apache-2.0
"""Black-box tests of bin/tap: the tap device in the container (owner, group, multiqueue,
MAC, MTU, bridge port) as the kernel reports it, L2 and IPAM results in every version,
CHECK, DEL's idempotence, failed ADDs that leave nothing, and traffic through the tap once
a reader attaches.

Debian's containernetworking-plugins 1.1.1 has no tap, so there is no binary to compare
with: the texts and results follow the newest reference's source, and each difference from
it (docs/plugins/tap.md, "Differences from the reference") has a test here.

Every container is a namespace of the test's own; the plugin runs inside a "node"
namespace, so nothing touches the host's links.
"""
import hashlib
import json
import os
import subprocess
import sys

import cnitest
from cnitest import CNITestCase, run_plugin

VERSIONS = ("0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0")

# A reader of the tap, run inside the container: attaches with TUNSETIFF (one queue of a
# multiqueue tap when the third argument says "multi_queue"), says so on stdout, then answers
# ARP and ICMP echo for the address given (one peer behind the tap).
RESPONDER = r'''
import fcntl, os, socket, struct, sys
fd = os.open("/dev/net/tun", os.O_RDWR)
mq = 0x0100 if sys.argv[3:] == ["multi_queue"] else 0
fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH", sys.argv[1].encode(), 0x0002 | 0x1000 | mq))
peer = socket.inet_aton(sys.argv[2])
mac = bytes.fromhex("020000000009")
print("attached", flush=True)
def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return (~s) & 0xffff
while True:
    try:
        f = os.read(fd, 65536)
    except OSError:  # the tap went away (the test's DEL): nothing more to answer
        sys.exit(0)
    dst, src, typ = f[:6], f[6:12], struct.unpack("!H", f[12:14])[0]
    if typ == 0x0806 and f[20:22] == b"\0\1" and f[38:42] == peer:
        arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 2) + mac + peer + f[22:28] + f[28:32]
        os.write(fd, src + mac + b"\x08\x06" + arp)
    elif typ == 0x0800 and f[23] == 1 and f[30:34] == peer:
        ihl = (f[14] & 15) * 4
        ip = bytearray(f[14:14 + ihl])
        icmp = bytearray(f[14 + ihl:])
        if icmp[0] != 8:
            continue
        ip[12:16], ip[16:20] = f[30:34], f[26:30]
        ip[8] = 64
        ip[10:12] = b"\0\0"
        ip[10:12] = struct.pack("!H", csum(bytes(ip)))
        icmp[0] = 0
        icmp[2:4] = b"\0\0"
        icmp[2:4] = struct.pack("!H", csum(bytes(icmp)))
        os.write(fd, src + mac + b"\x08\x00" + bytes(ip) + bytes(icmp))
'''


def conf(version="1.0.0", **kw):
    c = {"cniVersion": version, "name": "tapnet", "type": "tap"}
    c.update(kw)
    return c


class TapTest(CNITestCase):
    needs_netns = True

    def setUp(self):
        super().setUp()
        cnitest.require(self, ("tap", "host-local", "static"))
        cnitest.require_kernel(self, "tun", what="the tap plugin makes tun devices")
        self.node = self.netns("tnode")
        self.data = self.tmpdir()

    def container(self):
        return self.netns("tctr")

    def plug(self, cmd, c, ctr, **kw):
        netns = ctr if isinstance(ctr, str) else ctr.path
        return run_plugin("tap", cmd, c, netns=netns, in_netns=self.node.name, **kw)

    def link(self, ctr, name="eth0"):
        out = ctr.sh("ip -d -j link show dev %s 2>/dev/null" % name, check=False)
        return json.loads(out)[0] if out.strip() else None

    def links(self, ctr):
        return sorted(l["ifname"] for l in ctr.json("ip -j link show"))

    def hostlocal(self, subnet="10.61.0.0/24", **kw):
        ipam = {"type": "host-local", "subnet": subnet, "dataDir": self.data}
        ipam.update(kw)
        return ipam

    def reservations(self):
        return cnitest.ipam_reservations(os.path.join(self.data, "tapnet"))

    def prev(self, c, res):
        return dict(c, prevResult=res)

    # ---- ADD, CHECK, DEL in every version ---------------------------------------------

    def test_l2_every_version(self):
        for v in VERSIONS[2:]:
            with self.subTest(version=v):
                ctr = self.container()
                c = conf(v)
                res = self.assertOK(self.plug("ADD", c, ctr))
                link = self.link(ctr)
                self.assertIsNotNone(link)
                info = link["linkinfo"]
                self.assertEqual(info["info_kind"], "tun")
                self.assertEqual(info["info_data"]["type"], "tap")
                self.assertTrue(info["info_data"]["persist"])
                self.assertIn("UP", link["flags"])
                # Nobody reads the tap yet: no carrier.
                self.assertIn("NO-CARRIER", link["flags"])
                want = {"cniVersion": v, "interfaces": [
                    {"name": "eth0", "mac": link["address"], "sandbox": ctr.path}]}
                if v.startswith("0."):
                    want["dns"] = {}  # a Go struct of 0.x results, printed empty
                self.assertEqual(res, want)
                if v not in ("0.1.0", "0.2.0", "0.3.0", "0.3.1"):
                    self.assertOK(self.plug("CHECK", self.prev(c, res), ctr))
                self.assertEqual(self.links(ctr), ["eth0", "lo"])
                self.assertOK(self.plug("DEL", c, ctr))
                self.assertIsNone(self.link(ctr))
                self.assertOK(self.plug("DEL", c, ctr))

    def test_l2_old_versions(self):
        """0.1.0 and 0.2.0 results carry only addresses: an L2 result cannot be converted
        (as the reference: "cannot convert"), and the failed ADD leaves nothing."""
        for v in VERSIONS[:2]:
            with self.subTest(version=v):
                ctr = self.container()
                res = self.plug("ADD", conf(v), ctr)
                self.assertCNIError(res, 999, "cannot convert: no valid IP addresses")
                self.assertEqual(self.links(ctr), ["lo"])

    def test_l3_every_version(self):
        for v in VERSIONS:
            with self.subTest(version=v):
                ctr = self.container()
                cid = "c" + v.replace(".", "")
                c = conf(v, ipam=self.hostlocal(routes=[{"dst": "10.62.0.0/16"}]))
                res = self.assertOK(self.plug("ADD", c, ctr, containerid=cid))
                link = self.link(ctr)
                addr = self.reservations()[0]
                self.assertEqual(len(self.reservations()), 1)
                if v in ("0.1.0", "0.2.0"):
                    self.assertEqual(res["ip4"], {"ip": addr + "/24", "gateway": "10.61.0.1",
                                                  "routes": [{"dst": "10.62.0.0/16"}]})
                else:
                    self.assertEqual(res["interfaces"], [
                        {"name": "eth0", "mac": link["address"], "sandbox": ctr.path}])
                    self.assertEqual(res["ips"][0]["address"], addr + "/24")
                    self.assertEqual(res["ips"][0]["interface"], 0)
                    self.assertEqual(res["routes"], [{"dst": "10.62.0.0/16"}])
                addrs = ctr.json("ip -j -4 addr show dev eth0")[0]["addr_info"]
                self.assertEqual([(a["local"], a["prefixlen"]) for a in addrs], [(addr, 24)])
                routes = ctr.json("ip -j route show 10.62.0.0/16")
                self.assertEqual(routes[0]["gateway"], "10.61.0.1")
                if v not in ("0.1.0", "0.2.0", "0.3.0", "0.3.1"):
                    self.assertOK(self.plug("CHECK", self.prev(c, res), ctr, containerid=cid))
                self.assertOK(self.plug("DEL", c, ctr, containerid=cid))
                self.assertIsNone(self.link(ctr))
                self.assertEqual(self.reservations(), [])
                self.assertOK(self.plug("DEL", c, ctr, containerid=cid))

    def test_l3_sysctls(self):
        """IPAM addresses: no router advertisements (unless acceptRA), arp_notify on."""
        ctr = self.container()
        self.assertOK(self.plug("ADD", conf(ipam=self.hostlocal()), ctr))
        self.assertEqual(ctr.sh("cat /proc/sys/net/ipv6/conf/eth0/accept_ra").strip(), "0")
        self.assertEqual(ctr.sh("cat /proc/sys/net/ipv6/conf/eth0/autoconf").strip(), "0")
        self.assertEqual(ctr.sh("cat /proc/sys/net/ipv4/conf/eth0/arp_notify").strip(), "1")
        ctr2 = self.container()
        self.assertOK(self.plug("ADD", conf(ipam=self.hostlocal(), acceptRA=True), ctr2,
                                containerid="c2"))
        self.assertEqual(ctr2.sh("cat /proc/sys/net/ipv6/conf/eth0/accept_ra").strip(), "1")
        # L2 only: the kernel's defaults.
        ctr3 = self.container()
        self.assertOK(self.plug("ADD", conf(), ctr3))
        self.assertEqual(ctr3.sh("cat /proc/sys/net/ipv6/conf/eth0/accept_ra").strip(), "1")

    def test_dns(self):
        """The config's dns when set, else IPAM's (the reference drops IPAM's)."""
        ipam = {"type": "static", "addresses": [{"address": "10.63.0.2/24"}],
                "dns": {"nameservers": ["10.63.0.53"]}}
        ctr = self.container()
        res = self.assertOK(self.plug("ADD", conf(ipam=ipam), ctr))
        self.assertEqual(res["dns"], {"nameservers": ["10.63.0.53"]})
        ctr2 = self.container()
        res = self.assertOK(self.plug("ADD", conf(ipam=ipam, dns={"search": ["x.example"]}),
                                      ctr2))
        self.assertEqual(res["dns"], {"search": ["x.example"]})

    # ---- the device's settings -------------------------------------------------------

    def test_owner_group_multiqueue_mac_mtu(self):
        """All applied whichever keys are set: the reference ignores mac and mtu, and
        creates a vnet_hdr tap with a packet-information header, when owner and group are
        both given."""
        for keys in ({"owner": 4242, "group": 4343}, {"owner": 4242}, {"group": 4343}, {}):
            with self.subTest(keys=keys):
                ctr = self.container()
                c = conf(mac="02:aa:bb:cc:dd:01", mtu=1400, multiQueue=True, **keys)
                res = self.assertOK(self.plug("ADD", c, ctr))
                link = self.link(ctr)
                data = link["linkinfo"]["info_data"]
                self.assertEqual(link["address"], "02:aa:bb:cc:dd:01")
                self.assertEqual(res["interfaces"][0]["mac"], "02:aa:bb:cc:dd:01")
                self.assertEqual(link["mtu"], 1400)
                self.assertTrue(data["multi_queue"])
                self.assertFalse(data["pi"])
                self.assertFalse(data["vnet_hdr"])
                self.assertEqual(data.get("user"), keys.get("owner"))
                self.assertEqual(data.get("group"), keys.get("group"))

    def test_single_queue_default(self):
        ctr = self.container()
        self.assertOK(self.plug("ADD", conf(), ctr))
        data = self.link(ctr)["linkinfo"]["info_data"]
        self.assertFalse(data["multi_queue"])
        self.assertNotIn("user", data)
        self.assertNotIn("group", data)

    def test_mac_precedence(self):
        """config mac < CNI_ARGS MAC < runtimeConfig.mac."""
        cases = [({"mac": "02:00:00:00:00:01"}, None, "02:00:00:00:00:01"),
                 ({"mac": "02:00:00:00:00:01"}, "MAC=02:00:00:00:00:02", "02:00:00:00:00:02"),
                 ({"mac": "02:00:00:00:00:01", "runtimeConfig": {"mac": "02:00:00:00:00:03"}},
                  "MAC=02:00:00:00:00:02", "02:00:00:00:00:03")]
        for keys, args, want in cases:
            with self.subTest(want=want):
                ctr = self.container()
                res = self.assertOK(self.plug("ADD", conf(**keys), ctr, args=args))
                self.assertEqual(self.link(ctr)["address"], want)
                self.assertEqual(res["interfaces"][0]["mac"], want)

    def test_owner_may_attach(self):
        """The owner attaches without CAP_NET_ADMIN; another uid may not."""
        ctr = self.container()
        self.assertOK(self.plug("ADD", conf(owner=4242), ctr))
        # Opened while still root (the node's /dev/net/tun may be root-only), attached after
        # dropping to the uid: TUNSETIFF checks the caller's credentials.
        attach = ("import fcntl, os, struct, sys; fd = os.open('/dev/net/tun', os.O_RDWR);"
                  "os.setgroups([]); os.setgid(4242); os.setuid(int(sys.argv[1]));"
                  "fcntl.ioctl(fd, 0x400454ca, struct.pack('16sH', b'eth0', 0x1002))")
        ok = subprocess.run(["nsenter", "--net=" + ctr.path, sys.executable, "-c", attach,
                             "4242"], capture_output=True, text=True)
        self.assertEqual(ok.returncode, 0, ok.stderr)
        bad = subprocess.run(["nsenter", "--net=" + ctr.path, sys.executable, "-c", attach,
                              "4243"], capture_output=True, text=True)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("Operation not permitted", bad.stderr)

    def test_bridge(self):
        ctr = self.container()
        ctr.sh("ip link add br7 type bridge")
        self.assertOK(self.plug("ADD", conf(bridge="br7"), ctr))
        self.assertEqual(self.link(ctr).get("master"), "br7")
        self.assertOK(self.plug("DEL", conf(bridge="br7"), ctr))
        self.assertEqual(self.links(ctr), ["br7", "lo"])

    def test_bridge_missing(self):
        ctr = self.container()
        res = self.plug("ADD", conf(bridge="br9"), ctr)
        self.assertCNIError(res, 999, "failed to get bridge br9: ")
        self.assertEqual(self.links(ctr), ["lo"])

    def test_bridge_not_a_master(self):
        ctr = self.container()
        ctr.sh("ip tuntap add mode tap name other0")
        res = self.plug("ADD", conf(bridge="other0"), ctr)
        self.assertCNIError(res, 999, "failed to set tap eth0 as a port of bridge other0: ")
        self.assertEqual(self.links(ctr), ["lo", "other0"])

    def test_no_ip_tool_needed(self):
        """Made through the tun ioctls: works with an empty PATH (the reference runs `ip`
        from PATH unless owner and group are both set)."""
        ctr = self.container()
        env = {"CNI_COMMAND": "ADD", "CNI_CONTAINERID": "c1", "CNI_NETNS": ctr.path,
               "CNI_IFNAME": "eth0", "CNI_PATH": cnitest.BIN}
        p = subprocess.run(["/usr/bin/nsenter", "--net=" + self.node.path, "--",
                            cnitest.plugin_path("tap")], env=env, capture_output=True,
                           input=json.dumps(conf(mtu=1300)).encode())
        self.assertEqual(p.returncode, 0, p.stdout)
        self.assertEqual(self.link(ctr)["mtu"], 1300)

    # ---- traffic ---------------------------------------------------------------------

    def test_traffic(self):
        """A reader attaching gives the link carrier; a ping from the container crosses the
        tap to the reader, which answers (its frames counted as received)."""
        ctr = self.container()
        ipam = {"type": "static", "addresses": [{"address": "10.64.0.2/24"}]}
        self.assertOK(self.plug("ADD", conf(ipam=ipam), ctr))
        self.assertIn("NO-CARRIER", self.link(ctr)["flags"])
        p = subprocess.Popen(["nsenter", "--net=" + ctr.path, sys.executable, "-c", RESPONDER,
                              "eth0", "10.64.0.9"], stdout=subprocess.PIPE, text=True)

        def stop():
            p.kill()
            p.wait()
        self.addCleanup(stop)
        self.assertEqual(p.stdout.readline(), "attached\n")
        flags = self.link(ctr)["flags"]
        self.assertIn("LOWER_UP", flags)
        self.assertNotIn("NO-CARRIER", flags)
        ctr.sh("ping -c1 -W30 10.64.0.9")
        stats = ctr.json("ip -s -j link show dev eth0")[0]["stats64"]
        self.assertGreaterEqual(stats["rx"]["packets"], 2)  # the ARP and the echo reply
        self.assertGreaterEqual(stats["tx"]["packets"], 2)  # the ARP and the echo request

    # ---- CHECK -----------------------------------------------------------------------

    def test_check_failures(self):
        ctr = self.container()
        c = conf(ipam=self.hostlocal())
        res = self.assertOK(self.plug("ADD", c, ctr))
        self.assertCNIError(self.plug("CHECK", c, ctr), 999, "Required prevResult missing")
        other = dict(res, interfaces=[dict(res["interfaces"][0], sandbox="/run/netns/other")])
        self.assertCNIError(self.plug("CHECK", self.prev(c, other), ctr), 999,
                            "Sandbox in prevResult  doesn't match configured netns: " +
                            ctr.path)
        wrong_mac = dict(res, interfaces=[dict(res["interfaces"][0], mac="02:00:00:00:00:99")])
        self.assertCNIError(self.plug("CHECK", self.prev(c, wrong_mac), ctr), 999,
                            "Interface eth0 Mac 02:00:00:00:00:99 doesn't match container Mac")
        ctr.sh("ip addr flush dev eth0")
        self.assertCNIError(self.plug("CHECK", self.prev(c, res), ctr), 999,
                            "Failed to match addr 10.61.0.2/24 on interface eth0")
        ctr.sh("ip link del eth0")
        self.assertCNIError(self.plug("CHECK", self.prev(c, res), ctr), 999,
                            "Container Interface name in prevResult: eth0 not found")
        # Another kind under the name: not a tap.
        ctr.sh("ip link add eth0 type bridge")
        self.assertCNIError(self.plug("CHECK", self.prev(c, res), ctr), 999,
                            "Error: Container interface eth0 not of type tap")

    # ---- DEL -------------------------------------------------------------------------

    def test_del_without_add_and_gone_netns(self):
        ctr = self.container()
        c = conf(ipam=self.hostlocal())
        self.assertOK(self.plug("DEL", c, ctr))
        self.assertOK(self.plug("DEL", c, "/run/netns/tap-gone-ns"))
        self.assertOK(self.plug("DEL", c, ""))
        res = self.assertOK(self.plug("ADD", c, ctr))
        self.assertEqual(self.reservations(), ["10.61.0.2"])
        ctr.close()
        # The namespace went with its tap: DEL still releases the address.
        self.assertOK(self.plug("DEL", c, ctr))
        self.assertEqual(self.reservations(), [])
        self.assertTrue(res)

    def test_killed_add_leftover(self):
        """An ADD killed between making the tap and renaming it leaves it under its
        temporary name, derived from the container ID and ifname: DEL removes it, and the
        next ADD makes it again (the reference's random names leak)."""
        tmp = "tap" + hashlib.sha512(b"tap\nc9\neth0").hexdigest()[:12]
        ctr = self.container()
        ctr.sh("ip tuntap add mode tap name %s" % tmp)
        self.assertOK(self.plug("DEL", conf(), ctr, containerid="c9"))
        self.assertEqual(self.links(ctr), ["lo"])
        ctr.sh("ip tuntap add mode tap name %s" % tmp)
        self.assertOK(self.plug("ADD", conf(owner=4242), ctr, containerid="c9"))
        self.assertEqual(self.links(ctr), ["eth0", "lo"])
        self.assertEqual(self.link(ctr)["linkinfo"]["info_data"].get("user"), 4242)
        # Another attachment's temporary name is not touched.
        ctr2 = self.container()
        ctr2.sh("ip tuntap add mode tap name %s" % tmp)
        self.assertOK(self.plug("DEL", conf(), ctr2, containerid="c10"))
        self.assertEqual(self.links(ctr2), ["lo", tmp])

    def test_del_ignores_cni_args(self):
        """DEL reads only ipam.type (the reference fails DEL on CNI_ARGS it does not
        know)."""
        ctr = self.container()
        self.assertOK(self.plug("ADD", conf(), ctr))
        self.assertOK(self.plug("DEL", conf(), ctr, args="K8S_POD_NAME=x"))
        self.assertIsNone(self.link(ctr))

    # ---- failed ADDs -----------------------------------------------------------------

    def test_failed_add_leaves_nothing(self):
        """Address configuration fails (a route via a gateway off the subnet): no tap, no
        temporary link, no reservation (the reference leaks both)."""
        ctr = self.container()
        c = conf(ipam=self.hostlocal(routes=[{"dst": "10.70.0.0/16", "gw": "10.99.0.1"}]))
        res = self.plug("ADD", c, ctr)
        self.assertCNIError(res, 999, "failed to add route")
        self.assertEqual(self.links(ctr), ["lo"])
        self.assertEqual(self.reservations(), [])
        self.assertOK(self.plug("DEL", c, ctr))

    def test_ipam_without_addresses_leaves_nothing(self):
        """An IPAM result without addresses: the tap is removed and the IPAM DEL run (the
        reference leaks both)."""
        d = self.tmpdir()
        log = os.path.join(d, "log")
        with open(os.path.join(d, "noaddr"), "w") as f:
            f.write('#!/bin/sh\necho "$CNI_COMMAND" >> %s\n'
                    'echo \'{"cniVersion": "1.0.0"}\'\n' % log)
        os.chmod(os.path.join(d, "noaddr"), 0o755)
        ctr = self.container()
        res = self.plug("ADD", conf(ipam={"type": "noaddr"}), ctr, path=d)
        self.assertCNIError(res, 999, "IPAM plugin returned missing IP config")
        self.assertEqual(self.links(ctr), ["lo"])
        with open(log) as f:
            self.assertEqual(f.read().split(), ["ADD", "DEL"])

    def test_failed_ipam_leaves_nothing(self):
        ctr = self.container()
        res = self.plug("ADD", conf(ipam={"type": "no-such-ipam"}), ctr)
        self.assertCNIError(res, 999, 'failed to find plugin "no-such-ipam"')
        self.assertEqual(self.links(ctr), ["lo"])

    def test_name_taken_leaves_nothing(self):
        ctr = self.container()
        ctr.sh("ip tuntap add mode tap name eth0")
        res = self.plug("ADD", conf(mtu=1300), ctr)
        self.assertCNIError(res, 999, 'failed to rename tap to "eth0": file exists')
        self.assertEqual(self.links(ctr), ["eth0", "lo"])
        self.assertEqual(self.link(ctr)["mtu"], 1500)

    def test_kernel_refusal_leaves_nothing(self):
        ctr = self.container()
        res = self.plug("ADD", conf(mtu=40), ctr)
        self.assertCNIError(res, 999, "failed to set MTU 40 on tap: ")
        self.assertEqual(self.links(ctr), ["lo"])

    def test_selinux_context(self):
        ctr = self.container()
        c = conf(selinuxContext="system_u:system_r:container_t:s0")
        if os.path.exists("/sys/fs/selinux/enforce"):
            self.skipTest("SELinux is enabled here: the label path is not tested")
        res = self.plug("ADD", c, ctr)
        self.assertCNIError(res, 999,
                            "failed set socket label: SELinux is not enabled on this node")
        self.assertEqual(self.links(ctr), ["lo"])
        # An empty context is no context.
        self.assertOK(self.plug("ADD", conf(selinuxContext=""), ctr))

    # ---- config errors ---------------------------------------------------------------

    def test_config_errors(self):
        ctr = self.container()
        cases = [
            (conf(mtu=-1), None, 7, "'mtu' -1 out of range"),
            (conf(mtu="x"), None, 7, "mtu"),
            (conf(owner=-1), None, 7, "owner"),
            (conf(group="0"), None, 7, "group"),
            (conf(multiQueue="yes"), None, 7, "multiQueue"),
            (conf(args="x"), None, 7, "args"),
            (conf(mac="zz"), None, 7, "invalid args zz for MAC addr"),
            (conf(mac="00:11:22:33:44:55:66:77"), None, 7, "invalid args"),
            (conf(), "MAC=nope", 7, "invalid args nope for MAC addr"),
            (conf(), "FOO=bar", 999, 'ARGS: unknown args ["FOO=bar"]'),
            ('{"cniVersion": "1.0.0", "name": "x", "type": "tap", }', None, 6, None),
        ]
        for c, args, code, text in cases:
            with self.subTest(conf=c, args=args):
                self.assertCNIError(self.plug("ADD", c, ctr, args=args), code, text)
        self.assertEqual(self.links(ctr), ["lo"])

    def test_netns_errors(self):
        """A namespace that cannot be opened is named (the reference prints
        `%!q(<nil>)` in ADD)."""
        res = self.plug("ADD", conf(), "/run/netns/tap-no-such-ns")
        self.assertCNIError(res, 999, 'failed to open netns "/run/netns/tap-no-such-ns": ')
        res = self.plug("CHECK", conf(prevResult={"cniVersion": "1.0.0"}), "/proc/version")
        self.assertCNIError(res, 999, 'failed to open netns "/proc/version": ')

    # ---- STATUS, GC, VERSION -----------------------------------------------------------

    def test_status_gc_version(self):
        self.assertOK(self.plug("STATUS", conf("1.1.0"), ""))
        self.assertOK(self.plug("STATUS", conf("1.1.0", ipam=self.hostlocal()), ""))
        self.assertCNIError(self.plug("STATUS", conf("1.1.0", ipam={"type": "no-such"}), ""),
                            999, 'failed to find plugin "no-such"')
        gc = conf("1.1.0", ipam=self.hostlocal())
        gc["cni.dev/valid-attachments"] = []
        self.assertOK(self.plug("GC", gc, ""))
        res = self.assertOK(self.plug("VERSION", conf("1.1.0"), ""))
        self.assertEqual(res["supportedVersions"], list(VERSIONS))
