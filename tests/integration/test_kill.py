# SPDX-License-Identifier: Apache-2.0
"""Kill injection, a sample: every plugin is SIGKILLed at chosen system calls of ADD and
DEL (strace --inject), in namespaces of its own: bridge (with host-local and ipMasq, and
with static), host-local alone, portmap (tcp and udp mappings), and tuning, bandwidth and
firewall (after bridge and host-local, with the nftables and the iptables masquerade) and
loopback as a runtime runs them in a conflist, and macvlan, tap, dummy, ipvlan and vlan
with host-local (dummy, ipvlan and vlan where the kernel has them), and macvlan with dhcp
(the dhcp plugin or our dhcp daemon killed, the daemon started again). After each kill the
runtime's DEL must succeed and leave no veth, reservation, temp file, nftables or iptables rule, portmap
marker, tuning state file, ifb device or qdisc, and the victim's DEL must put back the
links it changed; the next ADD must work. The kill points are the sweep's
(tests/stress/kill_sweep.py, all of them in `make stress-kill`), the same ones on every
run, shared among the scenarios by the kinds of call they make and spread over every verb
and victim process.
"""
import os
import sys
import unittest

import cnitest
from cnitest import BIN, CNITestCase

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "stress"))
import kill_sweep  # noqa: E402

SAMPLE = 60
TOOLS = ("strace", "nft", "ip", "tc", "nsenter")
PLUGINS = ("bridge", "host-local", "portmap", "static", "tuning", "bandwidth", "firewall",
           "loopback", "macvlan", "tap", "dummy", "host-device", "ipvlan", "vlan", "vrf")


class TestKillInjection(CNITestCase):
    needs_netns = True

    def setUp(self):
        super().setUp()
        cnitest.require(self, plugins=PLUGINS, tools=TOOLS)

    def test_checks_see_a_container(self):
        """The leak checks are not blind: a container that was never deleted is seen."""
        # (kind of leftover, text it holds)
        want = {"bridge": (("reservation", ""), ("nft rule", ""),
                           ("container interface eth0", ""), ("veth", "")),
                "host-local": (("reservation", ""),),
                "portmap": (("nft rule", ""), ("portmap marker", "")),
                "static": (("container interface eth0", ""), ("veth", "")),
                "tuning": (("tuning state file", "_eth0.json"),
                           ("link eth0 not put back", "mtu 1500 -> 1400")),
                "bandwidth": (("ifb device", "bwp"), ("qdisc", "tbf"), ("qdisc", "ingress")),
                "firewall": (("nft rule", "CNI-FORWARD"),),
                "firewall-iptables": (("nft rule", "CNI-FORWARD"),),
                "loopback": (("link lo not put back", "UP"),),
                "sbr": (("rule", "lookup 100"), ("rule", "lookup 101"),
                        ("route", "table 100"), ("reservation", "")),
                "macvlan": (("reservation", ""), ("container link eth0", "")),
                "tap": (("reservation", ""), ("container link eth0", "")),
                "dummy": (("reservation", ""), ("container link eth0", "")),
                "host-device": (("reservation", ""), ("device khd0 not in the node", ""),
                                ("container link eth0", "")),
                "ipvlan": (("reservation", ""), ("container link eth0", "")),
                "vlan": (("reservation", ""), ("container link eth0", "")),
                "ptp": (("reservation", ""), ("nft rule", "masquerade"),
                        ("container interface eth0", ""), ("veth", "")),
                "vrf": (("reservation", ""), ("vrf device", "kvrf")),
                "dhcp": (("container link eth0", ""), ("dhcp lease", "10.73.0."),
                         ("dhcp lease record", "")),
                "dhcp-daemon": (("container link eth0", ""), ("dhcp lease", "10.73.0."),
                                ("dhcp lease record", ""))}
        self.assertEqual(sorted(want), sorted(kill_sweep.SCENARIOS))
        for name, kinds in want.items():
            with self.subTest(scenario=name):
                if kill_sweep.SCENARIOS[name].kernel:
                    cnitest.require_kernel(self, kill_sweep.SCENARIOS[name].kernel)
                why = kill_sweep.SCENARIOS[name].unsupported(os.path.abspath(BIN))
                if why:
                    self.skipTest(why)
                left = kill_sweep.probe(os.path.abspath(BIN), name)
                for kind, text in kinds:
                    self.assertTrue(any(l.startswith(kind) and text in l for l in left),
                                    (kind, text, left))

    def test_checks_see_a_link_not_put_back(self):
        """The check right after the victim's DEL sees a link it left changed (here tuning's
        DEL, its state file gone), although the bridge's DEL then removes the link."""
        left = kill_sweep.probe_lost_state(os.path.abspath(BIN))
        self.assertTrue(any(l.startswith("link eth0 not put back") and "mtu 1500 -> 1400" in l
                            for l in left), left)

    def test_sample_of_kill_points(self):
        lines = []
        ran, total, failures, secs = kill_sweep.sweep(
            os.path.abspath(BIN), list(kill_sweep.SCENARIOS), n_sample=SAMPLE,
            log=lines.append)
        self.assertEqual(ran, min(SAMPLE, total), lines)
        self.assertEqual(failures, [], "\n".join(lines))


if __name__ == "__main__":
    unittest.main()
