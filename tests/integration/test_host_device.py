# SPDX-License-Identifier: Apache-2.0
"""Black-box tests of bin/host-device: a device of the node moved into the container under
CNI_IFNAME (its node name kept in the alias) and back on DEL, selected by name, MAC or
kernel path (PCI and auxiliary-bus selection and DPDK detection are unit-tested against a
sysfs tree of the test's own), IPAM with real traffic through the moved device, CHECK,
STATUS, every CNI version, the DEL cases the reference fails (twice, empty or gone netns,
device renamed in the pod, device already given back to the node), failed ADDs that leave
the device in the node under its name and no reservation, a Multus-style config, and
Debian's Go host-device 1.1.1 on the same inputs.

The "node" is a namespace of the test's own; the device is a veth end in it whose peer
stays in a peer namespace (this kernel has no dummy), so traffic can be tested. A veth is
destroyed with a namespace that is deleted while it is inside: the tests of a gone netns
assert what must still hold (DEL succeeds, the reservation is released).
"""
import json
import os
import subprocess

import cnitest
from cnitest import CNITestCase, run_plugin

GO_PLUGIN = "/usr/lib/cni/host-device"
VERSIONS = ("0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0")
MARKER = "cni-hostdev-"


class HostDeviceTest(CNITestCase):
    needs_netns = True

    def setUp(self):
        super().setUp()
        cnitest.require(self, ("host-device", "static", "host-local"))
        self.node = self.netns("hdnode")
        self.peer = self.netns("hdpeer")
        self.ctr = self.netns("hdctr")
        self.data = os.path.join(self.tmpdir(), "ipam")
        self.path = cnitest.plugin_dir(self, ("host-device", "static", "host-local"))
        self.mac = self.device("hd0", "10.77.0.1/24")

    # ---- helpers ---------------------------------------------------------------------

    def device(self, name, peer_ip=None):
        """A veth end `name` in the node, up, its peer in the peer namespace; its MAC."""
        peer = "p" + name
        self.node.sh("ip link add %s type veth peer name %s netns %s" % (name, peer,
                                                                            self.peer.name))
        self.node.sh("ip link set %s up" % name)
        self.peer.sh("ip link set %s up" % peer)
        if peer_ip:
            self.peer.sh("ip addr add %s dev %s" % (peer_ip, peer))
        return self.link(self.node, name)["address"]

    def conf(self, version="1.0.0", ipam=None, **kw):
        c = {"cniVersion": version, "name": "hdnet", "type": "host-device"}
        if "device" not in kw and not any(k in kw for k in ("hwaddr", "kernelpath",
                                                            "pciBusID", "runtimeConfig")):
            c["device"] = "hd0"
        if ipam == "static":
            c["ipam"] = {"type": "static", "addresses": [{"address": "10.77.0.2/24",
                                                          "gateway": "10.77.0.1"}],
                         "routes": [{"dst": "10.78.0.0/16"}],
                         "dns": {"nameservers": ["10.77.0.53"]}}
        elif ipam == "host-local":
            c["ipam"] = {"type": "host-local", "dataDir": self.data,
                         "ranges": [[{"subnet": "10.77.0.0/24", "rangeStart": "10.77.0.10",
                                      "rangeEnd": "10.77.0.10"}]]}
        elif ipam:
            c["ipam"] = ipam
        c.update(kw)
        return c

    def plug(self, cmd, conf, cid="hd1", ifname="net1", netns=None, plugin="host-device",
             path=None, **kw):
        """Run `plugin` (ours by name, or Debian's by absolute path) inside the node."""
        if netns is None:
            netns = self.ctr.path
        return run_plugin(plugin, cmd, conf, containerid=cid, netns=netns, ifname=ifname,
                          path=path or self.path, in_netns=self.node.name, **kw)

    def add(self, conf, **kw):
        return self.assertOK(self.plug("ADD", conf, **kw))

    def link(self, ns, name):
        """`ip -d link` of name in ns, or None."""
        out = ns.sh("ip -j -d link show dev %s 2>/dev/null || true" % name)
        return json.loads(out)[0] if out.strip() else None

    def names(self, ns):
        return sorted(l["ifname"] for l in ns.json("ip -j link show"))

    def assertBackInNode(self, name="hd0", up=False, mac=None):
        """The device is in the node under its name, no alias, no marker, not in the
        container; up or down as said."""
        l = self.link(self.node, name)
        self.assertIsNotNone(l, "%s not back in the node: %s" % (name, self.names(self.node)))
        self.assertEqual(l.get("ifalias", ""), "")
        self.assertFalse([a for a in l.get("altnames", []) if a.startswith(MARKER)])
        self.assertEqual("UP" in l["flags"], up, l["flags"])
        if mac:
            self.assertEqual(l["address"], mac)
        if os.path.exists(self.ctr.path):
            self.assertEqual(self.names(self.ctr), ["lo"])

    def assertInContainer(self, ifname="net1", orig="hd0"):
        l = self.link(self.ctr, ifname)
        self.assertIsNotNone(l, "%s not in the container" % ifname)
        self.assertEqual(l["ifalias"], orig)
        self.assertIn("UP", l["flags"])
        self.assertIn(MARKER + orig, l.get("altnames", []))
        self.assertIsNone(self.link(self.node, orig))
        return l

    def reservations(self):
        return cnitest.ipam_reservations(os.path.join(self.data, "hdnet"))

    def ping(self, ns, dst):
        p = subprocess.run(["ip", "netns", "exec", ns.name, "ping", "-c", "1", "-W", "30",
                            dst], capture_output=True, text=True)
        return p.returncode == 0

    # ---- ADD / DEL -------------------------------------------------------------------

    def test_l2_every_version(self):
        for v in VERSIONS:
            with self.subTest(version=v):
                res = self.plug("ADD", self.conf(v))
                if v in ("0.1.0", "0.2.0"):
                    # An L2 result cannot be written in these versions: the ADD fails and
                    # the device is back as it was (up). The reference leaves it in the
                    # container.
                    self.assertCNIError(res, 999, "cannot convert: no valid IP addresses")
                    self.assertBackInNode(up=True)
                    continue
                out = self.assertOK(res)
                self.assertEqual(out["cniVersion"], v)
                self.assertEqual(out["interfaces"], [{"name": "net1", "mac": self.mac,
                                                      "sandbox": self.ctr.path}])
                self.assertNotIn("ips", out)
                self.assertInContainer()
                self.assertOK(self.plug("DEL", self.conf(v)))
                self.assertBackInNode()
                # DEL twice: nothing left to do.
                self.assertOK(self.plug("DEL", self.conf(v)))
                self.node.sh("ip link set hd0 up")

    def test_ipam_traffic_check_del(self):
        for v in ("0.2.0", "0.4.0", "1.0.0", "1.1.0"):
            with self.subTest(version=v):
                out = self.add(self.conf(v, ipam="static"))
                if v == "0.2.0":
                    self.assertEqual(out["ip4"]["ip"], "10.77.0.2/24")
                else:
                    ip = {"address": "10.77.0.2/24", "gateway": "10.77.0.1", "interface": 0}
                    if v == "0.4.0":
                        ip["version"] = "4"
                    self.assertEqual(out["ips"], [ip])
                    self.assertEqual(out["routes"], [{"dst": "10.78.0.0/16"}])
                # IPAM's DNS when the config has none (the reference drops it).
                self.assertEqual(out["dns"], {"nameservers": ["10.77.0.53"]})
                self.assertInContainer()
                addrs = self.ctr.json("ip -j -4 addr show dev net1")[0]["addr_info"]
                self.assertEqual([(a["local"], a["prefixlen"]) for a in addrs],
                                 [("10.77.0.2", 24)])
                self.assertTrue(self.ping(self.ctr, "10.77.0.1"))
                if v != "0.2.0":
                    conf = self.conf(v, ipam="static", prevResult=out)
                    self.assertOK(self.plug("CHECK", conf))
                    # CHECK notices a lost address.
                    self.ctr.sh("ip addr del 10.77.0.2/24 dev net1")
                    self.assertCNIError(self.plug("CHECK", conf), 999, "10.77.0.2")
                self.assertOK(self.plug("DEL", self.conf(v, ipam="static")))
                self.assertBackInNode()
                self.assertFalse(self.peer.sh("ip neigh flush all || true") is None)
                self.node.sh("ip link set hd0 up")

    def test_link_up_when_ipam_runs(self):
        """IPAM runs with the device up in the container, as the reference has it (a DHCP
        client sends from it); an IPAM that finds it down fails the ADD here."""
        d = self.tmpdir()
        ipam = os.path.join(d, "upcheck")
        with open(ipam, "w") as f:
            f.write("#!/bin/sh\n"
                    "nsenter --net=\"$CNI_NETNS\" ip -o link show dev \"$CNI_IFNAME\" | "
                    "grep -q '[<,]UP[,>]' || { echo '{\"code\": 11, \"msg\": \"link down\"}'; "
                    "exit 1; }\n"
                    "exec %s\n" % cnitest.plugin_path("static"))
        os.chmod(ipam, 0o755)
        path = cnitest.plugin_dir(self, ("host-device",), links={"upcheck": ipam})
        conf = self.conf(ipam="static")
        conf["ipam"]["type"] = "upcheck"
        out = self.add(conf, path=path)
        self.assertEqual(out["ips"][0]["address"], "10.77.0.2/24")
        self.assertOK(self.plug("DEL", conf, path=path))
        self.assertBackInNode()

    def test_config_dns_wins(self):
        out = self.add(self.conf(ipam="static", dns={"nameservers": ["1.2.3.4"],
                                                     "search": ["x.example"]}))
        self.assertEqual(out["dns"], {"nameservers": ["1.2.3.4"], "search": ["x.example"]})
        self.assertOK(self.plug("DEL", self.conf(ipam="static")))

    def test_ipv6_autoconf_off_with_ipam(self):
        self.add(self.conf(ipam="static"))
        ra = self.ctr.sh("cat /proc/sys/net/ipv6/conf/net1/accept_ra").strip()
        autoconf = self.ctr.sh("cat /proc/sys/net/ipv6/conf/net1/autoconf").strip()
        self.assertEqual((ra, autoconf), ("0", "0"))
        self.assertOK(self.plug("DEL", self.conf(ipam="static")))
        self.node.sh("ip link set hd0 up")
        self.add(self.conf(ipam="static", acceptRA=True))
        self.assertNotEqual(self.ctr.sh("cat /proc/sys/net/ipv6/conf/net1/accept_ra").strip(),
                            "0")
        self.assertOK(self.plug("DEL", self.conf(ipam="static")))

    # ---- selection -------------------------------------------------------------------

    def test_select_by_hwaddr(self):
        self.device("hd1")
        out = self.add(self.conf(hwaddr=self.mac.upper()))
        self.assertEqual(out["interfaces"][0]["mac"], self.mac)
        self.assertInContainer()
        self.assertIsNotNone(self.link(self.node, "hd1"))
        self.assertOK(self.plug("DEL", self.conf(hwaddr=self.mac)))
        self.assertBackInNode()
        self.assertCNIError(self.plug("ADD", self.conf(hwaddr="02:99:99:99:99:99")), 999,
                            "failed to find host device: failed to find physical interface")
        self.assertCNIError(self.plug("ADD", self.conf(hwaddr="zz")), 999,
                            "failed to find host device: failed to parse MAC address \"zz\": "
                            "address zz: invalid MAC address")

    def test_select_by_kernelpath(self):
        """A veth's kernel path is /sys/devices/virtual/net/<name>: kernelpath
        /sys/devices/virtual lists the node's virtual devices (sysfs as `ip netns exec`
        mounts it for the node), and the first by name, hd0 before lo, is taken."""
        conf = json.dumps(self.conf(device="", kernelpath="/sys/devices/virtual"))
        env = dict(os.environ, CNI_COMMAND="ADD", CNI_CONTAINERID="hd1",
                   CNI_NETNS=self.ctr.path, CNI_IFNAME="net1", CNI_PATH=self.path)
        p = subprocess.run(["ip", "netns", "exec", self.node.name,
                            cnitest.plugin_path("host-device")], input=conf.encode(),
                           capture_output=True, env=env)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(json.loads(p.stdout)["interfaces"][0]["mac"], self.mac)
        self.assertInContainer()
        self.assertOK(self.plug("DEL", self.conf()))
        self.assertBackInNode()
        self.assertCNIError(self.plug("ADD", self.conf(device="", kernelpath="/tmp/x")), 999,
                            "failed to find host device: kernel device path \"/tmp/x\" must "
                            "be absolute and begin with /sys/devices/")

    def test_errors(self):
        self.assertCNIError(self.plug("ADD", {"cniVersion": "1.0.0", "name": "hdnet",
                                              "type": "host-device"}), 999,
                            "specify either \"device\", \"hwaddr\", \"kernelpath\" or "
                            "\"pciBusID\"")
        self.assertCNIError(self.plug("ADD", self.conf(device="nope")), 999,
                            "failed to find host device: Link not found")
        self.assertCNIError(self.plug("ADD", self.conf(device=5)), 7, "device")
        self.assertCNIError(self.plug("ADD", self.conf(DPDKMode="yes")), 7, "DPDKMode")
        self.assertCNIError(self.plug("ADD", self.conf(), netns="/run/netns/hd-none"), 999,
                            "failed to open netns \"/run/netns/hd-none\"")
        self.assertCNIError(self.plug("ADD", self.conf(
            runtimeConfig={"deviceID": "0000:ff:1f.7"})), 999,
            "runtime config DeviceID 0000:ff:1f.7 not found or unsupported")
        # A real PCI device of this machine without a network device (read only).
        pci = [d for d in sorted(os.listdir("/sys/bus/pci/devices"))
               if os.path.exists("/sys/bus/pci/devices/%s/driver" % d)
               and not os.path.exists("/sys/bus/pci/devices/%s/net" % d)
               and not [x for x in os.listdir("/sys/bus/pci/devices/" + d)
                        if x.startswith("virtio")
                        and os.path.exists("/sys/bus/pci/devices/%s/%s/net" % (d, x))]]
        if pci:
            self.assertCNIError(self.plug("ADD", self.conf(device="", pciBusID=pci[0])), 999,
                                "failed to find host device: no net directory under pci "
                                "device %s" % pci[0])
        self.assertBackInNode(up=True)

    def test_multus_style(self):
        """What Multus sends for a NetworkAttachmentDefinition naming the device: its
        K8S_POD_* CNI_ARGS, CNI_IFNAME net1, and the device plugin's deviceID written into
        both "deviceID" and "pciBusID" (here a PCI device of this machine, read only, which
        "device" takes precedence over)."""
        pci = sorted(d for d in os.listdir("/sys/bus/pci/devices")
                     if os.path.exists("/sys/bus/pci/devices/%s/driver" % d))
        if not pci:
            self.skipTest("no bound PCI device to name")
        conf = self.conf("0.4.0", ipam="static", device="hd0", deviceID=pci[0], pciBusID=pci[0],
                         capabilities={"deviceID": True})
        args = ("IgnoreUnknown=true;K8S_POD_NAMESPACE=default;K8S_POD_NAME=pod1;"
                "K8S_POD_INFRA_CONTAINER_ID=hd1;K8S_POD_UID=0b4c")
        out = self.add(conf, args=args)
        self.assertEqual(out["interfaces"][0]["name"], "net1")
        self.assertTrue(self.ping(self.ctr, "10.77.0.1"))
        self.assertOK(self.plug("CHECK", dict(conf, prevResult=out), args=args))
        self.assertOK(self.plug("DEL", dict(conf, prevResult=out), args=args))
        self.assertBackInNode()
        ref = self.plug("ADD", conf, args=args, plugin=GO_PLUGIN, path="/usr/lib/cni")
        self.assertOK(ref)
        self.assertOK(self.plug("DEL", conf, args=args, plugin=GO_PLUGIN, path="/usr/lib/cni"))

    # ---- failed ADDs -----------------------------------------------------------------

    def test_failed_ipam_leaves_device_and_no_reservation(self):
        # The only address is taken by another container.
        self.assertOK(run_plugin("host-local", "ADD", self.conf(ipam="host-local"),
                                 containerid="other", netns=self.ctr.path, ifname="x",
                                 in_netns=self.node.name, path=self.path))
        before = self.reservations()
        res = self.plug("ADD", self.conf(ipam="host-local"))
        self.assertCNIError(res, 999, "no IP addresses available")
        self.assertBackInNode(up=True, mac=self.mac)
        self.assertEqual(self.reservations(), before)

    def test_failed_configure_releases_reservation(self):
        # IPAM gives an address, the route cannot be added: the reservation is released
        # and the device is back.
        conf = self.conf(ipam={"type": "host-local", "dataDir": self.data,
                               "ranges": [[{"subnet": "10.77.0.0/24"}]],
                               "routes": [{"dst": "10.99.0.0/16", "gw": "10.55.0.1"}]})
        res = self.plug("ADD", conf)
        self.assertCNIError(res, 999, "failed to add route")
        self.assertBackInNode(up=True)
        self.assertEqual(self.reservations(), [])

    def test_failed_add_name_taken_in_container(self):
        self.ctr.sh("ip link add net1 type veth peer name x1")
        res = self.plug("ADD", self.conf(ipam="host-local"))
        self.assertCNIError(res, 999, "failed to move link failed to move \"net1\" (host: "
                                      "\"hd0\") to container NS: file exists")
        l = self.link(self.node, "hd0")
        self.assertIn("UP", l["flags"])
        self.assertEqual(l.get("ifalias", ""), "")
        self.assertEqual(self.reservations(), [])

    # ---- DEL cases ---------------------------------------------------------------------

    def test_node_name_taken_in_container(self):
        """The container has a link named like the device's node name: the kernel moves
        the device under CNI_IFNAME right away (the request's name), and DEL brings it back
        under its own name."""
        self.ctr.sh("ip link add hd0 type veth peer name y0")
        self.add(self.conf())
        l = self.link(self.ctr, "net1")
        self.assertEqual(l["ifalias"], "hd0")
        self.assertEqual(l["address"], self.mac)
        self.assertOK(self.plug("DEL", self.conf()))
        self.assertEqual(self.link(self.node, "hd0")["address"], self.mac)
        self.assertIsNone(self.link(self.ctr, "net1"))
        self.assertIsNotNone(self.link(self.ctr, "hd0"))

    def test_del_name_taken_in_node(self):
        """The node got a link with the device's name meanwhile: DEL refuses before
        anything moves and the device stays in the container as it was; once the name is
        free, DEL moves it back."""
        self.add(self.conf())
        self.node.sh("ip link add hd0 type veth peer name hdx")
        res = self.plug("DEL", self.conf())
        self.assertCNIError(res, 999, "failed to move \"hd0\" to hostNS: file exists")
        self.node.sh("ip link del hd0")
        self.assertInContainer()
        self.assertOK(self.plug("DEL", self.conf()))
        self.assertBackInNode(mac=self.mac)

    def test_del_without_add(self):
        self.assertOK(self.plug("DEL", self.conf(ipam="host-local")))
        self.assertOK(self.plug("DEL", self.conf(), netns=""))
        self.assertIsNotNone(self.link(self.node, "hd0"))

    def test_del_empty_netns_releases_ipam(self):
        self.add(self.conf(ipam="host-local"))
        self.assertEqual(len(self.reservations()), 1)
        # A runtime after a reboot: no netns. The reference returns before IPAM DEL.
        self.assertOK(self.plug("DEL", self.conf(ipam="host-local"), netns=""))
        self.assertEqual(self.reservations(), [])
        # The container still holds it: a DEL with the netns brings it back.
        self.assertOK(self.plug("DEL", self.conf(ipam="host-local")))
        self.assertBackInNode()

    def test_del_netns_gone(self):
        self.add(self.conf(ipam="host-local"))
        self.assertEqual(len(self.reservations()), 1)
        self.ctr.close()
        # The kernel destroys a virtual device with its namespace (a physical one goes
        # back to the initial namespace): DEL succeeds and releases the address.
        self.assertOK(self.plug("DEL", self.conf(ipam="host-local")))
        self.assertEqual(self.reservations(), [])
        self.assertIsNone(self.link(self.node, "hd0"))
        self.assertOK(self.plug("DEL", self.conf(ipam="host-local")))

    def test_del_renamed_in_pod(self):
        out = self.add(self.conf(ipam="static"))
        self.ctr.sh("ip link set net1 down && ip link set net1 name app0 && ip link set app0 up")
        self.assertOK(self.plug("DEL", self.conf(ipam="static")))
        self.assertBackInNode(mac=self.mac)
        # Selected without a name: prevResult's MAC finds it.
        self.node.sh("ip link set hd0 up")
        out = self.add(self.conf(hwaddr=self.mac, device=""))
        self.ctr.sh("ip link set net1 down && ip link set net1 name app0")
        self.assertOK(self.plug("DEL", self.conf(kernelpath="/sys/devices/virtual", device="",
                                                 prevResult=out)))
        self.assertBackInNode(mac=self.mac)

    def test_del_device_already_back_in_node(self):
        """The container's namespace went away while the device was inside and the kernel
        gave it back under its container name (what it does to a physical device): DEL
        renames it to the name its alias holds, whether the netns is gone or empty."""
        self.add(self.conf())
        self.ctr.sh("ip link set net1 netns %s" % self.node.name)
        self.assertIsNotNone(self.link(self.node, "net1"))
        self.ctr.close()
        self.assertOK(self.plug("DEL", self.conf()))
        self.assertBackInNode()
        self.assertIsNone(self.link(self.node, "net1"))
        # A link named like the container interface with an alias that nothing ties to
        # this attachment is not touched.
        self.node.sh("ip link set hd0 name net1 && ip link set net1 alias hd0")
        self.assertOK(self.plug("DEL", self.conf(device="other"), netns=""))
        self.assertIsNotNone(self.link(self.node, "net1"))

    def test_del_twice_and_after_failed_add(self):
        self.add(self.conf(ipam="host-local"))
        self.assertOK(self.plug("DEL", self.conf(ipam="host-local")))
        self.assertOK(self.plug("DEL", self.conf(ipam="host-local")))
        self.assertBackInNode()
        self.assertEqual(self.reservations(), [])
        self.node.sh("ip link set hd0 up")
        self.assertCNIError(self.plug("ADD", self.conf(device="nope", ipam="host-local")),
                            999)
        self.assertOK(self.plug("DEL", self.conf(device="nope", ipam="host-local")))
        self.assertBackInNode(up=True)

    # ---- STATUS, GC, CHECK texts -------------------------------------------------------

    def test_status_gc(self):
        self.assertOK(self.plug("STATUS", self.conf("1.1.0"), cid="", ifname=""))
        res = self.plug("STATUS", self.conf("1.1.0", device="nope"), cid="", ifname="")
        self.assertCNIError(res, 50, "nope")
        # Moved into a container, it is no longer available to another one.
        self.add(self.conf("1.1.0"))
        self.assertCNIError(self.plug("STATUS", self.conf("1.1.0"), cid="", ifname=""), 50,
                            "hd0")
        self.assertOK(self.plug("STATUS", self.conf("1.1.0", device="", hwaddr=self.mac),
                                cid="", ifname=""))
        gc = dict(self.conf("1.1.0"), **{"cni.dev/valid-attachments": []})
        self.assertOK(self.plug("GC", gc, cid="", ifname=""))
        self.assertInContainer()
        self.assertOK(self.plug("DEL", self.conf("1.1.0")))

    def test_check_errors(self):
        out = self.add(self.conf())
        self.assertCNIError(self.plug("CHECK", self.conf()), 999, "Required prevResult missing")
        bad = json.loads(json.dumps(out))
        bad["interfaces"][0]["sandbox"] = "/run/netns/other"
        self.assertCNIError(self.plug("CHECK", self.conf(prevResult=bad)), 999,
                            "Sandbox in prevResult  doesn't match configured netns: %s"
                            % self.ctr.path)
        bad = json.loads(json.dumps(out))
        bad["interfaces"][0]["mac"] = "02:00:00:00:00:99"
        self.assertCNIError(self.plug("CHECK", self.conf(prevResult=bad)), 999,
                            "Interface net1 Mac 02:00:00:00:00:99 doesn't match container "
                            "Mac: %s" % self.mac)
        self.assertOK(self.plug("CHECK", self.conf(prevResult=out)))
        self.assertOK(self.plug("DEL", self.conf()))

    # ---- the reference ---------------------------------------------------------------

    def test_reference_same_inputs(self):
        """Debian's Go host-device 1.1.1 and ours on the same inputs: the same result and
        kernel state after ADD (but the marker, the alternative name ours adds), the same
        errors; its DEL leaves the alias set and fails the second time, ours does not."""
        conf = self.conf("1.0.0", ipam="static")
        ref = self.assertOK(self.plug("ADD", conf, plugin=GO_PLUGIN, path="/usr/lib/cni"))
        ref_link = self.link(self.ctr, "net1")
        self.assertEqual(ref_link["ifalias"], "hd0")
        self.assertTrue(self.ping(self.ctr, "10.77.0.1"))
        self.assertOK(self.plug("DEL", conf, plugin=GO_PLUGIN, path="/usr/lib/cni"))
        self.assertEqual(self.link(self.node, "hd0")["ifalias"], "hd0")
        self.assertCNIError(self.plug("DEL", conf, plugin=GO_PLUGIN, path="/usr/lib/cni"), 999,
                            "failed to find \"net1\": Link not found")
        self.node.sh("ip link set hd0 alias '' && ip link set hd0 up")
        ours = self.add(conf)
        our_link = self.link(self.ctr, "net1")
        # 1.1.1 drops IPAM's DNS and prints an empty one.
        self.assertEqual(ref["dns"], {})
        self.assertEqual({k: v for k, v in ours.items() if k != "dns"},
                         {k: v for k, v in ref.items() if k != "dns"})
        for key in ("address", "mtu", "ifalias"):
            self.assertEqual(our_link.get(key), ref_link.get(key), key)
        # Carrier and operational state follow the kernel's link watch, asynchronously:
        # the administrative flags are what the plugins set.
        carrier = ("NO-CARRIER", "LOWER_UP", "M-DOWN")
        self.assertEqual([f for f in our_link["flags"] if f not in carrier],
                         [f for f in ref_link["flags"] if f not in carrier])
        self.assertEqual(ref_link.get("altnames", []), [])
        self.assertEqual(our_link.get("altnames"), [MARKER + "hd0"])
        # Our ADD, their DEL: the alias tells the reference the name to restore.
        self.assertOK(self.plug("DEL", conf, plugin=GO_PLUGIN, path="/usr/lib/cni"))
        self.assertIsNotNone(self.link(self.node, "hd0"))
        self.node.sh("ip link set hd0 alias ''")
        # Their ADD, our DEL.
        self.node.sh("ip link set hd0 up")
        self.assertOK(self.plug("ADD", conf, plugin=GO_PLUGIN, path="/usr/lib/cni"))
        self.assertOK(self.plug("DEL", conf))
        self.assertBackInNode()
        # The same errors.
        for bad in (self.conf(device="nope"), self.conf(device="", hwaddr="zz"),
                    self.conf(device="", kernelpath="devices/x"),
                    {"cniVersion": "1.0.0", "name": "hdnet", "type": "host-device"}):
            r1 = self.plug("ADD", bad, plugin=GO_PLUGIN, path="/usr/lib/cni")
            r2 = self.plug("ADD", bad)
            self.assertEqual((r1.json["code"], r1.json["msg"]),
                             (r2.json["code"], r2.json["msg"]), bad)


class HostDeviceKernelTest(CNITestCase):
    """What the plugin's single-request move relies on, checked on the running kernel with
    iproute2 (one RTM_NEWLINK carrying IFLA_NET_NS_FD, IFLA_IFNAME and IFLA_IFALIAS): the
    device is moved, renamed in the target and given the alias at once; when only the new
    name is taken there, the request fails after the move (the device is in the target
    under its old name, no alias); when both names are taken, nothing moves."""
    needs_netns = True

    def test_move_rename_alias_in_one_request(self):
        a, b = self.netns("hdka"), self.netns("hdkb")
        a.sh("ip link add kd0 type veth peer name kd0p && ip link set kd0 up")
        a.sh("ip link set dev kd0 netns %s name net1 alias kd0" % b.name)
        l = b.json("ip -j link show dev net1")[0]
        self.assertEqual(l.get("ifalias"), "kd0")
        self.assertNotIn("UP", l["flags"])
        self.assertFalse(a.sh("ip link show dev kd0 2>/dev/null || true").strip())
        # Back the same way, the alias cleared.
        b.sh("ip link set dev net1 netns %s name kd0 alias ''" % a.name)
        self.assertEqual(a.json("ip -j link show dev kd0")[0].get("ifalias", ""), "")
        # Only the new name taken in the target: moved, not renamed, no alias, EEXIST.
        b.sh("ip link add net1 type veth peer name x1")
        out = a.sh("ip link set dev kd0 netns %s name net1 alias kd0 2>&1; echo rc=$?" %
                   b.name)
        self.assertIn("File exists", out)
        self.assertNotIn("rc=0", out)
        self.assertFalse(a.sh("ip link show dev kd0 2>/dev/null || true").strip())
        l = b.json("ip -j link show dev kd0")[0]
        self.assertEqual(l.get("ifalias", ""), "")
        b.sh("ip link set dev kd0 netns %s" % a.name)
        # Both names taken: refused before the move.
        b.sh("ip link add kd0 type veth peer name x2")
        out = a.sh("ip link set dev kd0 netns %s name net1 alias kd0 2>&1; echo rc=$?" %
                   b.name)
        self.assertNotIn("rc=0", out)
        self.assertTrue(a.json("ip -j link show dev kd0"))
