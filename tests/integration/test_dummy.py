# SPDX-License-Identifier: Apache-2.0
"""Black-box tests of bin/dummy: a dummy link holding IPAM's addresses in the container,
results in every version (IPAM's DNS, the config's ignored), CHECK and its texts, DEL's
idempotence, failed ADDs that leave nothing, and the name a node link already has.

Debian's containernetworking-plugins 1.1.1 has no dummy, so there is no binary to compare
with: texts and results follow the newest reference's source. Kernels without the dummy
driver skip these tests (they run in the QEMU tier, make check-vm).
"""
import json
import os

import cnitest
from cnitest import CNITestCase, run_plugin

VERSIONS = ("0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0")


def conf(version="1.0.0", **kw):
    c = {"cniVersion": version, "name": "dummynet", "type": "dummy"}
    c.update(kw)
    return c


class DummyTest(CNITestCase):
    needs_netns = True

    def setUp(self):
        super().setUp()
        cnitest.require(self, ("dummy", "host-local", "static"))
        cnitest.require_kernel(self, "dummy", what="the dummy plugin makes dummy links")
        self.node = self.netns("dnode")
        self.data = self.tmpdir()

    def container(self):
        return self.netns("dctr")

    def plug(self, cmd, c, ctr, **kw):
        netns = ctr if isinstance(ctr, str) else ctr.path
        return run_plugin("dummy", cmd, c, netns=netns, in_netns=self.node.name, **kw)

    def link(self, ctr, name="eth0"):
        out = ctr.sh("ip -d -j link show dev %s 2>/dev/null" % name, check=False)
        return json.loads(out)[0] if out.strip() else None

    def links(self, ctr):
        return sorted(l["ifname"] for l in ctr.json("ip -j link show"))

    def hostlocal(self, subnet="10.71.0.0/24", **kw):
        ipam = {"type": "host-local", "subnet": subnet, "dataDir": self.data}
        ipam.update(kw)
        return ipam

    def reservations(self):
        return cnitest.ipam_reservations(os.path.join(self.data, "dummynet"))

    # ---- ADD, CHECK, DEL in every version ---------------------------------------------

    def test_every_version(self):
        for v in VERSIONS:
            with self.subTest(version=v):
                ctr = self.container()
                cid = "c" + v.replace(".", "")
                c = conf(v, ipam=self.hostlocal(routes=[{"dst": "10.72.0.0/16"}]))
                res = self.assertOK(self.plug("ADD", c, ctr, containerid=cid))
                link = self.link(ctr)
                self.assertEqual(link["linkinfo"]["info_kind"], "dummy")
                self.assertIn("UP", link["flags"])
                if v in ("0.1.0", "0.2.0"):
                    addr = res["ip4"]["ip"].split("/")[0]
                    self.assertEqual(res["ip4"], {"ip": addr + "/24", "gateway": "10.71.0.1",
                                                  "routes": [{"dst": "10.72.0.0/16"}]})
                else:
                    addr = res["ips"][0]["address"].split("/")[0]
                    self.assertEqual(res["interfaces"], [
                        {"name": "eth0", "mac": link["address"], "sandbox": ctr.path}])
                    ip = {"address": addr + "/24", "gateway": "10.71.0.1", "interface": 0}
                    if v.startswith("0."):
                        ip["version"] = "4"
                    self.assertEqual(res["ips"], [ip])
                    self.assertEqual(res["routes"], [{"dst": "10.72.0.0/16"}])
                self.assertEqual(self.reservations(), [addr])
                addrs = ctr.json("ip -j -4 addr show dev eth0")[0]["addr_info"]
                self.assertEqual([(a["local"], a["prefixlen"]) for a in addrs], [(addr, 24)])
                self.assertEqual(ctr.json("ip -j route show 10.72.0.0/16")[0]["gateway"],
                                 "10.71.0.1")
                # Traffic: the container reaches its own address on the dummy.
                ctr.sh("ping -c1 -W30 %s" % addr)
                if v not in ("0.1.0", "0.2.0", "0.3.0", "0.3.1"):
                    self.assertOK(self.plug("CHECK", dict(c, prevResult=res), ctr,
                                            containerid=cid))
                self.assertOK(self.plug("DEL", c, ctr, containerid=cid))
                self.assertIsNone(self.link(ctr))
                self.assertEqual(self.reservations(), [])
                self.assertOK(self.plug("DEL", c, ctr, containerid=cid))

    def test_name_taken_on_the_node(self):
        """Created inside the container: a node link named like CNI_IFNAME is no obstacle
        (the reference before v1.9.0 failed with "file exists")."""
        self.node.sh("ip link add eth0 type dummy")
        ctr = self.container()
        self.assertOK(self.plug("ADD", conf(ipam=self.hostlocal()), ctr))
        self.assertEqual(self.link(ctr)["linkinfo"]["info_kind"], "dummy")
        self.assertIsNotNone(self.link(self.node))

    def test_ipam_dns_only(self):
        """The result's DNS is IPAM's; the config's dns is ignored (as the reference)."""
        ipam = {"type": "static", "addresses": [{"address": "10.73.0.2/24"}],
                "dns": {"nameservers": ["10.73.0.53"]}}
        ctr = self.container()
        res = self.assertOK(self.plug("ADD", conf(ipam=ipam, dns={"search": ["x.example"]}),
                                      ctr))
        self.assertEqual(res["dns"], {"nameservers": ["10.73.0.53"]})
        ctr2 = self.container()
        ipam.pop("dns")
        res = self.assertOK(self.plug("ADD", conf(ipam=ipam, dns={"search": ["x.example"]}),
                                      ctr2))
        self.assertNotIn("dns", res)

    def test_ipv6_autoconf_off(self):
        ctr = self.container()
        self.assertOK(self.plug("ADD", conf(ipam=self.hostlocal()), ctr))
        self.assertEqual(ctr.sh("cat /proc/sys/net/ipv6/conf/eth0/accept_ra").strip(), "0")
        self.assertEqual(ctr.sh("cat /proc/sys/net/ipv6/conf/eth0/autoconf").strip(), "0")

    # ---- errors ----------------------------------------------------------------------

    def test_ipam_required(self):
        ctr = self.container()
        for c in (conf(), conf(ipam={}), conf(ipam={"type": ""})):
            with self.subTest(conf=c):
                self.assertCNIError(self.plug("ADD", c, ctr), 7,
                                    "dummy interface requires an IPAM configuration")
                self.assertCNIError(self.plug("CHECK", c, ctr), 7,
                                    "dummy interface requires an IPAM configuration")
                self.assertCNIError(self.plug("STATUS", dict(c, cniVersion="1.1.0"), ""), 7,
                                    "dummy interface requires an IPAM configuration")
                # DEL needs nothing.
                self.assertOK(self.plug("DEL", c, ctr))
        self.assertCNIError(self.plug("ADD", '{"cniVersion":"1.0.0","name":"x",', ctr), 6)
        self.assertEqual(self.links(ctr), ["lo"])

    def test_failed_add_leaves_nothing(self):
        """Address configuration fails (a route via a gateway off the subnet): no link, no
        reservation."""
        ctr = self.container()
        c = conf(ipam=self.hostlocal(routes=[{"dst": "10.74.0.0/16", "gw": "10.99.0.1"}]))
        self.assertCNIError(self.plug("ADD", c, ctr), 999, "failed to add route")
        self.assertEqual(self.links(ctr), ["lo"])
        self.assertEqual(self.reservations(), [])
        self.assertOK(self.plug("DEL", c, ctr))
        res = self.plug("ADD", c, "/run/netns/dummy-no-such-ns")
        self.assertCNIError(res, 999, 'failed to open netns "/run/netns/dummy-no-such-ns": ')
        self.assertEqual(self.reservations(), [])
        self.assertCNIError(self.plug("ADD", conf(ipam={"type": "no-such-ipam"}), ctr), 999,
                            'failed to find plugin "no-such-ipam"')
        self.assertEqual(self.links(ctr), ["lo"])

    def test_ipam_without_addresses_leaves_nothing(self):
        """An IPAM result without addresses: the link is removed and the IPAM DEL run (the
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

    def test_name_taken_in_container(self):
        ctr = self.container()
        ctr.sh("ip link add eth0 type dummy")
        self.assertCNIError(self.plug("ADD", conf(ipam=self.hostlocal()), ctr), 999,
                            "failed to create dummy: file exists")
        self.assertEqual(self.reservations(), [])

    # ---- CHECK -----------------------------------------------------------------------

    def test_check_failures(self):
        ctr = self.container()
        c = conf(ipam=self.hostlocal())
        res = self.assertOK(self.plug("ADD", c, ctr))
        prev = dict(c, prevResult=res)
        self.assertCNIError(self.plug("CHECK", c, ctr), 999,
                            "dummy: Required prevResult missing")
        other = dict(res, interfaces=[dict(res["interfaces"][0], sandbox="/run/netns/other")])
        self.assertCNIError(self.plug("CHECK", dict(c, prevResult=other), ctr), 999,
                            "Sandbox in prevResult  doesn't match configured netns: " +
                            ctr.path)
        wrong = dict(res, interfaces=[dict(res["interfaces"][0], mac="02:00:00:00:00:99")])
        self.assertCNIError(self.plug("CHECK", dict(c, prevResult=wrong), ctr), 999,
                            "Interface eth0 Mac 02:00:00:00:00:99 doesn't match container Mac")
        ctr.sh("ip link set eth0 down")
        self.assertCNIError(self.plug("CHECK", prev, ctr), 999, "Interface eth0 is down")
        ctr.sh("ip link set eth0 up")
        self.assertOK(self.plug("CHECK", prev, ctr))
        # Routes are checked too (the reference checks the addresses only).
        routed = dict(res, routes=[{"dst": "10.76.0.0/16", "gw": "10.71.0.1"}])
        self.assertCNIError(self.plug("CHECK", dict(c, prevResult=routed), ctr), 999,
                            "Expected Route")
        ctr.sh("ip addr flush dev eth0")
        self.assertCNIError(self.plug("CHECK", prev, ctr), 999,
                            "Failed to match addr %s on interface eth0" % res["ips"][0]["address"])
        ctr.sh("ip link del eth0")
        self.assertCNIError(self.plug("CHECK", prev, ctr), 999,
                            "Container Interface name in prevResult: eth0 not found")
        ctr.sh("ip link add eth0 type bridge")
        self.assertCNIError(self.plug("CHECK", prev, ctr), 999,
                            "Error: Container interface eth0 not of type dummy")

    # ---- DEL -------------------------------------------------------------------------

    def test_del_cases(self):
        ctr = self.container()
        c = conf(ipam=self.hostlocal())
        self.assertOK(self.plug("DEL", c, ctr))
        self.assertOK(self.plug("DEL", c, "/run/netns/dummy-gone-ns"))
        self.assertOK(self.plug("DEL", c, ""))
        self.assertOK(self.plug("ADD", c, ctr))
        self.assertEqual(len(self.reservations()), 1)
        ctr.close()
        self.assertOK(self.plug("DEL", c, ctr))
        self.assertEqual(self.reservations(), [])

    # ---- STATUS, GC, VERSION -----------------------------------------------------------

    def test_status_gc_version(self):
        self.assertOK(self.plug("STATUS", conf("1.1.0", ipam=self.hostlocal()), ""))
        gc = conf("1.1.0", ipam=self.hostlocal())
        gc["cni.dev/valid-attachments"] = []
        self.assertOK(self.plug("GC", gc, ""))
        res = self.assertOK(self.plug("VERSION", conf("1.1.0"), ""))
        self.assertEqual(res["supportedVersions"], list(VERSIONS))
