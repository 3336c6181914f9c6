# SPDX-License-Identifier: Apache-2.0
"""Kill injection, a sample: bridge (with host-local and ipMasq), host-local alone and
portmap (tcp and udp mappings) are SIGKILLed at chosen system calls of ADD and DEL
(strace --inject), in namespaces of their own; after each kill the runtime's DEL must
succeed and leave no veth, reservation, temp file, nftables rule or portmap marker, and
the next ADD must work. The kill points are the sweep's (tests/stress/kill_sweep.py, all
of them in `make stress`), spread over every scenario, verb and victim process.
"""
import os
import sys
import unittest

import cnitest
from cnitest import BIN, CNITestCase

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "stress"))
import kill_sweep  # noqa: E402

SAMPLE = 60
TOOLS = ("strace", "nft", "ip", "nsenter")


class TestKillInjection(CNITestCase):
    needs_netns = True

    def setUp(self):
        super().setUp()
        cnitest.require(self, plugins=("bridge", "host-local", "portmap"), tools=TOOLS)

    def test_checks_see_a_container(self):
        """The leak checks are not blind: a container that was never deleted is seen."""
        want = {"bridge": ("reservation", "nft rule", "container interface eth0", "veth"),
                "host-local": ("reservation",),
                "portmap": ("nft rule", "portmap marker")}
        for name, kinds in want.items():
            with self.subTest(scenario=name):
                left = kill_sweep.probe(os.path.abspath(BIN), name)
                for kind in kinds:
                    self.assertTrue(any(l.startswith(kind) for l in left), (kind, left))

    def test_sample_of_kill_points(self):
        lines = []
        ran, total, failures, secs = kill_sweep.sweep(
            os.path.abspath(BIN), ["bridge", "host-local", "portmap"], n_sample=SAMPLE,
            log=lines.append)
        self.assertEqual(ran, min(SAMPLE, total), lines)
        self.assertEqual(failures, [], "\n".join(lines))


if __name__ == "__main__":
    unittest.main()
