# SPDX-License-Identifier: Apache-2.0
"""Our interface plugins as Multus runs them: delegate configs of a pod's secondary
network, run through bin/cnitool with what Multus hands every delegate.

Multus calls each delegate with CNI_CONTAINERID the pod sandbox's ID, CNI_IFNAME net1,
CNI_ARGS "IgnoreUnknown=true;K8S_POD_NAMESPACE=..;K8S_POD_NAME=..;
K8S_POD_INFRA_CONTAINER_ID=..;K8S_POD_UID=..", capability args from the pod's annotation
(`ips`, `mac`, `deviceID`) and, for a network with a device-plugin resource, the keys
`deviceID` and `pciBusID` injected into the delegate's JSON. cnitool stands in for
libcni inside Multus (capability args through CAP_ARGS).

The node is a namespace of the test's own whose uplink is one end of a veth pair (the
other end in a peer namespace, the rest of the secondary network); the pod is a namespace
that already has its primary eth0 (with its default route), as a pod has when Multus runs
the secondary networks. Runs here (macvlan and veth are in this machine's kernel).
"""
import glob
import json
import os
import unittest
import uuid

import cnitest
from cnitest import BIN, CNITestCase

PARENT = "cniup0"
PEER_IP = "10.99.0.1"
POD_MAC = "c2:b0:57:49:47:f1"


class MultusCase(CNITestCase):
    needs_netns = True
    plugins = ()

    def setUp(self):
        super().setUp()
        cnitest.require(self, plugins=("cnitool",) + self.plugins, tools=("ping",))
        self.dir = self.tmpdir()
        self.netdir = os.path.join(self.dir, "net.d")
        self.data = os.path.join(self.dir, "data")
        self.cache = os.path.join(self.dir, "cache")
        os.makedirs(self.netdir)
        self.node = self.netns("cnimultus-node")
        self.peer = self.netns("cnimultus-peer")
        self.pod = self.netns("cnimultus-pod")
        self.node.sh("ip link add %s type veth peer name eth0 netns %s && ip link set %s up"
                     % (PARENT, self.peer.name, PARENT))
        self.peer.sh("ip addr add %s/24 dev eth0 && ip addr add 10.98.0.1/24 dev eth0 && "
                     "ip link set eth0 up" % PEER_IP)
        # The pod's primary network (what the cluster's default network made).
        self.node.sh("ip link add vpri0 type veth peer name eth0 netns %s" % self.pod.name)
        self.pod.sh("ip addr add 10.244.1.5/24 dev eth0 && ip link set eth0 up && "
                    "ip route add default via 10.244.1.1 dev eth0 onlink")
        self.primary = self.pod.json("ip -j addr show dev eth0")[0]
        self.sandbox = uuid.uuid4().hex + uuid.uuid4().hex
        self.pod_uid = str(uuid.uuid4())
        self.cni_args = ("IgnoreUnknown=true;K8S_POD_NAMESPACE=default;K8S_POD_NAME=samplepod;"
                         "K8S_POD_INFRA_CONTAINER_ID=%s;K8S_POD_UID=%s"
                         % (self.sandbox, self.pod_uid))

    def write(self, name, conf):
        ext = ".conflist" if "plugins" in conf else ".conf"
        with open(os.path.join(self.netdir, name + ext), "w") as f:
            json.dump(conf, f, indent=2)

    def tool(self, verb, net, caps=None, check=True):
        """cnitool `verb` of network `net` for the pod's net1, as Multus runs a delegate."""
        env = {"NETCONFPATH": self.netdir, "CNI_PATH": BIN, "CNI_CACHE_DIR": self.cache,
               "CNI_CONTAINERID": self.sandbox, "CNI_ARGS": self.cni_args,
               "CNI_IFNAME": "net1"}
        if caps is not None:
            env["CAP_ARGS"] = json.dumps(caps)
        p = cnitest.run_cnitool([verb, net, self.pod.path], env, in_netns=self.node.name)
        if check and p.returncode != 0:
            raise AssertionError("cnitool %s %s failed (%d):\n%s%s" % (verb, net, p.returncode,
                                                                     p.stdout, p.stderr))
        return p

    def net1(self):
        links = self.pod.json("ip -d -j addr show dev net1")
        self.assertEqual(len(links), 1)
        return links[0]

    def check_primary_untouched(self):
        self.assertEqual(self.pod.json("ip -j addr show dev eth0")[0], self.primary)
        routes = self.pod.json("ip -j route show default")
        self.assertEqual([(r["gateway"], r["dev"]) for r in routes], [("10.244.1.1", "eth0")])

    def check_gone(self, net, node_links=("lo", "vpri0", PARENT)):
        """After DEL: no net1, the node as it was, no cache entry; DEL again succeeds."""
        self.assertEqual(self.pod.sh("ip -o link show dev net1", check=False), "")
        self.check_primary_untouched()
        self.assertEqual(sorted(l["ifname"] for l in self.node.json("ip -j link show")),
                         sorted(node_links))
        self.assertEqual(os.listdir(os.path.join(self.cache, "results")), [])
        self.tool("del", net)


class MultusMacvlanTest(MultusCase):
    plugins = ("macvlan", "host-local", "static", "tuning")

    def setUp(self):
        cnitest.require_kernel(self, "macvlan", what="Multus' macvlan delegates")
        super().setUp()

    def macvlan(self, ipam, caps):
        return {"type": "macvlan", "master": PARENT, "mode": "bridge", "ipam": ipam,
                "capabilities": caps}

    def test_macvlan_host_local_mac(self):
        """The quickstart's macvlan + host-local (a range, a route, a gateway), and the
        pod annotation's MAC through the `mac` capability."""
        self.write("macvlan-conf", dict(self.macvlan({
            "type": "host-local", "dataDir": self.data, "subnet": "10.99.0.0/24",
            "rangeStart": "10.99.0.200", "rangeEnd": "10.99.0.216",
            "routes": [{"dst": "10.98.0.0/24", "gw": PEER_IP}], "gateway": PEER_IP},
            {"mac": True}),
            cniVersion="0.4.0", name="macvlan-conf"))
        res = json.loads(self.tool("add", "macvlan-conf", {"mac": POD_MAC}).stdout)
        self.assertEqual(res["cniVersion"], "0.4.0")
        self.assertEqual(res["ips"][0]["address"], "10.99.0.200/24")
        itf = res["interfaces"][res["ips"][0]["interface"]]
        self.assertEqual((itf["name"], itf["mac"], itf["sandbox"]),
                         ("net1", POD_MAC, self.pod.path))
        link = self.net1()
        self.assertEqual(link["linkinfo"]["info_kind"], "macvlan")
        self.assertEqual(link["address"], POD_MAC)
        self.assertIn("10.99.0.200", [a["local"] for a in link["addr_info"]])
        routes = self.pod.json("ip -j route show 10.98.0.0/24")
        self.assertEqual([(r["gateway"], r["dev"]) for r in routes], [(PEER_IP, "net1")])
        self.check_primary_untouched()
        # The reservation is the pod sandbox's, on net1.
        resv = os.path.join(self.data, "macvlan-conf", "10.99.0.200")
        with open(resv, "rb") as f:
            self.assertEqual(f.read(), (self.sandbox + "\r\nnet1").encode())
        self.pod.sh("ping -c1 -W30 %s" % PEER_IP)
        self.pod.sh("ping -c1 -W30 -I net1 10.98.0.1")
        self.peer.sh("ping -c1 -W30 10.99.0.200")
        self.tool("check", "macvlan-conf", {"mac": POD_MAC})
        self.tool("del", "macvlan-conf", {"mac": POD_MAC})
        self.assertEqual(cnitest.ipam_reservations(os.path.join(self.data, "macvlan-conf")),
                         [])
        self.check_gone("macvlan-conf")

    def test_macvlan_static_ips_mac(self):
        """macvlan + static IPAM, the address and the MAC from the pod's annotation
        (capabilities `ips` and `mac`)."""
        self.write("macvlan-static", {"cniVersion": "1.0.0", "name": "macvlan-static",
                                      "plugins": [self.macvlan({"type": "static"},
                                                               {"ips": True, "mac": True})]})
        caps = {"ips": ["10.99.0.77/24"], "mac": POD_MAC}
        res = json.loads(self.tool("add", "macvlan-static", caps).stdout)
        self.assertEqual([ip["address"] for ip in res["ips"]], ["10.99.0.77/24"])
        link = self.net1()
        self.assertEqual(link["address"], POD_MAC)
        self.assertEqual([a["local"] for a in link["addr_info"] if a["family"] == "inet"],
                         ["10.99.0.77"])
        self.peer.sh("ping -c1 -W30 10.99.0.77")
        self.tool("check", "macvlan-static", caps)
        self.tool("del", "macvlan-static", caps)
        self.check_gone("macvlan-static")

    def test_macvlan_static_tuning_mac(self):
        """Multus's examples/macvlan-pod.yml: macvlan with static IPAM (`ips`), chained with
        tuning setting the annotation's MAC (`mac`)."""
        self.write("macvlan-conf-1", {"cniVersion": "0.4.0", "name": "macvlan-conf-1",
                                      "plugins": [
                                          self.macvlan({"type": "static"}, {"ips": True}),
                                          {"type": "tuning", "capabilities": {"mac": True},
                                           "dataDir": os.path.join(self.dir, "tuning")}]})
        caps = {"ips": ["10.99.0.78/24"], "mac": POD_MAC}
        res = json.loads(self.tool("add", "macvlan-conf-1", caps).stdout)
        net1 = [i for i in res["interfaces"] if i["name"] == "net1"]
        self.assertEqual([i["mac"] for i in net1], [POD_MAC], res)
        self.assertEqual(self.net1()["address"], POD_MAC)
        self.peer.sh("ping -c1 -W30 10.99.0.78")
        self.pod.sh("ping -c1 -W30 %s" % PEER_IP)
        self.tool("check", "macvlan-conf-1", caps)
        self.tool("del", "macvlan-conf-1", caps)
        self.assertEqual(os.listdir(os.path.join(self.dir, "tuning")), [])
        self.check_gone("macvlan-conf-1")


def pci_stand_in():
    """A PCI device bound to a kernel driver and without a network interface (so that no
    plugin could take a NIC of the machine through it): the address a device plugin hands
    Multus, standing in for a VF's. None when the machine has none."""
    root = "/sys/bus/pci/devices"
    for dev in sorted(os.listdir(root)) if os.path.isdir(root) else []:
        path = os.path.join(root, dev)
        drv = os.path.join(path, "driver")
        if not os.path.islink(drv):
            continue
        if os.path.basename(os.readlink(drv)) in ("vfio-pci", "uio_pci_generic", "igb_uio"):
            continue
        if os.path.exists(os.path.join(path, "net")) or glob.glob(
                os.path.join(path, "virtio*", "net")):
            continue
        return dev
    return None


class MultusHostDeviceTest(MultusCase):
    plugins = ("host-device", "static")

    def setUp(self):
        super().setUp()
        # The device a device plugin would hand the pod: a veth end on the node (its other
        # end on the peer's network).
        self.node.sh("ip link add hostdev0 type veth peer name eth1 netns %s" % self.peer.name)
        self.peer.sh("ip addr add 10.96.0.1/24 dev eth1 && ip link set eth1 up")
        self.node.sh("ip link set hostdev0 up")

    def test_runtime_config_device_id_not_found(self):
        """`deviceID` from the device plugin (capability) naming no PCI or auxiliary
        device: the reference's error, and nothing moved."""
        self.write("hd", {"cniVersion": "1.0.0", "name": "hd", "plugins": [{
            "type": "host-device", "capabilities": {"deviceID": True},
            "ipam": {"type": "static", "addresses": [{"address": "10.96.0.5/24"}]}}]})
        p = self.tool("add", "hd", {"deviceID": "0000:99:00.0"}, check=False)
        self.assertEqual(p.returncode, 1, p)
        err = json.loads(p.stdout)
        self.assertEqual(err["code"], 999, err)
        self.assertEqual(err["msg"], "runtime config DeviceID 0000:99:00.0 not found or "
                         "unsupported")
        self.check_nothing_moved()

    def check_nothing_moved(self):
        """After a failed ADD: the device still on the node, nothing in the pod, and the DEL
        Multus runs for a failed delegate succeeds (it reads no device selection; the
        reference's DEL fails with the ADD's error, and the pod cannot be removed)."""
        self.assertEqual(self.pod.sh("ip -o link show dev net1", check=False), "")
        self.assertEqual(self.node.json("ip -j link show dev hostdev0")[0]["operstate"], "UP")
        self.check_primary_untouched()
        self.tool("del", "hd")
        self.assertEqual(self.node.json("ip -j link show dev hostdev0")[0]["operstate"], "UP")

    def test_injected_keys_no_pci_device_with_device(self):
        """`device` set, and Multus' injected `deviceID` and `pciBusID` naming no PCI
        device: the PCI address still goes through the reference's DPDK driver check, whose
        error fails the ADD; nothing moved."""
        self.write("hd", {"cniVersion": "1.0.0", "name": "hd", "plugins": [{
            "type": "host-device", "device": "hostdev0", "deviceID": "0000:99:00.0",
            "pciBusID": "0000:99:00.0"}]})
        p = self.tool("add", "hd", check=False)
        self.assertEqual(p.returncode, 1, p)
        err = json.loads(p.stdout)
        self.assertEqual(err["code"], 999, err)
        self.assertEqual(err["msg"], "error with host device: lstat "
                         "/sys/bus/pci/devices/0000:99:00.0: no such file or directory")
        self.check_nothing_moved()

    def test_injected_device_id_with_device(self):
        """A network with a device-plugin resource: Multus injects `deviceID` and
        `pciBusID` (the device's PCI address) next to the config's own `device`; the
        device named by `device` goes into the pod as net1 and comes back on DEL."""
        pci = pci_stand_in()
        if pci is None:
            self.skipTest("no PCI device bound to a kernel driver (and without a network "
                          "interface) to stand for the device plugin's")
        self.write("hd", {"cniVersion": "1.0.0", "name": "hd", "plugins": [{
            "type": "host-device", "device": "hostdev0", "deviceID": pci, "pciBusID": pci,
            "ipam": {"type": "static", "addresses": [{"address": "10.96.0.5/24"}]}}]})
        mac = self.node.json("ip -j link show dev hostdev0")[0]["address"]
        res = json.loads(self.tool("add", "hd").stdout)
        self.assertEqual(res["interfaces"], [{"name": "net1", "mac": mac,
                                              "sandbox": self.pod.path}])
        self.assertEqual([ip["address"] for ip in res["ips"]], ["10.96.0.5/24"])
        self.assertEqual(self.node.sh("ip -o link show dev hostdev0", check=False), "")
        link = self.net1()
        self.assertEqual(link["address"], mac)
        self.assertEqual(link["linkinfo"]["info_kind"], "veth")
        self.peer.sh("ping -c1 -W30 10.96.0.5")
        self.tool("check", "hd")
        self.tool("del", "hd")
        back = self.node.json("ip -j link show dev hostdev0")[0]
        self.assertEqual(back["address"], mac)
        self.assertEqual(self.pod.sh("ip -o link show dev net1", check=False), "")
        self.check_primary_untouched()
        self.assertEqual(os.listdir(os.path.join(self.cache, "results")), [])


if __name__ == "__main__":
    unittest.main()
