# SPDX-License-Identifier: Apache-2.0
"""Removal of the Go reference plugins' iptables state (common/net/xt_cni.h).

The reference bridge (ipMasq, default iptables backend) and portmap (default iptables
backend) from /usr/lib/cni ADD two containers in a node namespace; the removal library,
through the harness mode of the unit test binary test_xt_cni, then removes one of them (its
netns already gone) and iptables-nft-save of the node must show nothing of it and all of
the other, in both families."""
import os
import unittest

import cnitest

GO = cnitest.REFERENCE_BIN
REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def harness():
    for p in (os.path.join(cnitest.BIN, "..", "tests", "test_xt_cni"),
              os.path.join(REPO, "build", "rel", "tests", "test_xt_cni")):
        if os.access(p, os.X_OK):
            return os.path.abspath(p)
    return None


class XtCniTest(cnitest.CNITestCase):
    needs_netns = True

    def setUp(self):
        super().setUp()
        if not os.access(os.path.join(GO, "bridge"), os.X_OK):
            self.skipTest("the reference plugins are not installed in %s" % GO)
        self.harness = harness()
        if not self.harness:
            self.skipTest("the test_xt_cni binary is not built")

    def conf(self, data_dir):
        return {
            "cniVersion": "1.0.0", "name": "mynet", "type": "bridge", "bridge": "cni-xt0",
            "isGateway": True, "ipMasq": True,
            "ipam": {"type": "host-local", "dataDir": data_dir,
                     "ranges": [[{"subnet": "10.99.0.0/16"}], [{"subnet": "fd99::/64"}]]},
        }

    def add(self, node, data_dir, cid):
        ctr = self.netns("xtc")
        conf = self.conf(data_dir)
        res = self.assertOK(cnitest.run_reference("bridge", "ADD", conf, cid, ctr.path, node.name))
        pm = {"cniVersion": "1.0.0", "name": "mynet", "type": "portmap",
              "runtimeConfig": {"portMappings": [
                  {"hostPort": 8080, "containerPort": 80, "protocol": "tcp"},
                  {"hostPort": 5353, "containerPort": 53, "protocol": "udp"}]},
              "prevResult": res}
        self.assertOK(cnitest.run_reference("portmap", "ADD", pm, cid, ctr.path, node.name))
        return ctr

    def run_harness(self, node, *args):
        return node.sh(" ".join([self.harness] + [cnitest.shquote(a) for a in args]))

    def test_remove_one_container_without_its_netns(self):
        node = self.netns("xtn")
        data = self.tmpdir()
        a = self.add(node, data, "ctr-a")
        self.add(node, data, "ctr-b")
        before = cnitest.iptables_save(node)
        self.assertIn('id: \\"ctr-a\\"', before)
        self.assertIn("-A CNI-HOSTPORT-DNAT", before)
        self.assertIn("ip6", node.sh("nft list tables"))
        self.assertEqual(self.run_harness(node, "present", "mynet", "ctr-a").split(), ["1", "1"])
        a.close()
        self.run_harness(node, "remove", "mynet", "ctr-a")
        after = cnitest.iptables_save(node)
        self.assertNotIn('id: \\"ctr-a\\"', after)
        self.assertEqual(after.count('"name: \\"mynet\\" id: \\"ctr-b\\""'),
                         before.count('"name: \\"mynet\\" id: \\"ctr-b\\""'))
        self.assertEqual(after.count('dnat name: \\"mynet\\" id: \\"ctr-b\\"'), 4)
        self.assertEqual(self.run_harness(node, "present", "mynet", "ctr-a").split(), ["0", "0"])
        # The shared chains stay, as the reference leaves them.
        self.assertIn("-A CNI-HOSTPORT-SETMARK", after)
        # Idempotent.
        self.run_harness(node, "remove", "mynet", "ctr-a")
        self.assertEqual(cnitest.iptables_save(node), after)
        # GC keeping nothing takes ctr-b too; the reference's own DEL of ctr-b then succeeds.
        self.run_harness(node, "gc", "mynet")
        left = cnitest.iptables_save(node)
        self.assertNotIn("ctr-b", left)
        self.assertNotIn("CNI-DN-", left)


if __name__ == "__main__":
    unittest.main()
