# SPDX-License-Identifier: Apache-2.0
"""The reference's iptables world in bridge and portmap.

Migration: the Go reference plugins (/usr/lib/cni, default iptables backends) ADD a
container, our DEL removes every CNI-* chain and rule of it, with or without its netns.
Backends: ipMasqBackend "iptables" and portmap backend "iptables" list exactly what the
reference lists for the same ADD (iptables-nft-save of both families), forward traffic,
and the reference's DEL removes them. The AKS kubenet template (externalSetMarkChain
KUBE-MARK-MASQ), iptables-style conditions, the default-backend rule, the iptables-legacy
refusal, and no iptables/nft executable anywhere."""
import json
import os
import re
import shutil
import subprocess
import unittest

import cnitest

GO = cnitest.REFERENCE_BIN
MAPS = [{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"},
        {"hostPort": 5353, "containerPort": 53, "protocol": "udp"},
        {"hostPort": 8083, "containerPort": 83, "protocol": "tcp", "hostIP": "192.168.0.2"}]


class IptablesBackendsTest(cnitest.CNITestCase):
    needs_netns = True

    def setUp(self):
        super().setUp()
        cnitest.require(self, tools=("iptables-nft-save", "ip6tables-nft-save", "socat"))
        if not os.access(os.path.join(GO, "portmap"), os.X_OK):
            self.skipTest("the reference plugins are not installed in %s" % GO)
        self.node = self.netns("xbn")
        self.node.sh("ip link set lo up")
        self.data = self.tmpdir()
        saved = os.environ.get("CNI_PORTMAP_STATE_DIR")
        os.environ["CNI_PORTMAP_STATE_DIR"] = os.path.join(self.data, "pm-state")
        self.addCleanup(self.restore_env, "CNI_PORTMAP_STATE_DIR", saved)

    @staticmethod
    def restore_env(key, value):
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value

    # ---- helpers ------------------------------------------------------------
    def plug(self, go, plugin, command, conf, cid, netns, env=None):
        if go:
            return cnitest.run_reference(plugin, command, conf, cid, netns, self.node.name)
        return cnitest.run_plugin(plugin, command, conf, containerid=cid, netns=netns,
                                  in_netns=self.node.name, env=env)

    def bridge_conf(self, **extra):
        extra = dict(extra)
        c = {"cniVersion": "1.0.0", "name": "mynet", "type": "bridge", "bridge": "cni-xb0",
             "isGateway": True, "ipMasq": True,
             "ipam": {"type": "host-local", "dataDir": extra.pop("dataDir", self.data),
                      "ranges": [[{"subnet": "10.88.0.0/16"}],
                                 [{"subnet": "2001:db8::/64"}]],
                      "routes": [{"dst": "0.0.0.0/0"}, {"dst": "::/0"}]}}
        c.update(extra)
        return c

    def pm_conf(self, prev, maps=MAPS, **extra):
        c = {"cniVersion": "1.0.0", "name": "mynet", "type": "portmap",
             "runtimeConfig": {"portMappings": maps}}
        if prev is not None:
            c["prevResult"] = prev
        c.update(extra)
        return c

    def attach(self, go, cid="abc", bridge_extra=None, pm_extra=None, maps=MAPS):
        ctr = self.netns("xbc")
        netns = ctr.path
        prev = self.assertOK(self.plug(go, "bridge", "ADD",
                                       self.bridge_conf(**(bridge_extra or {})), cid, netns))
        self.assertOK(self.plug(go, "portmap", "ADD", self.pm_conf(prev, maps, **(pm_extra or {})),
                               cid, netns))
        return ctr, prev

    def detach(self, go, cid, netns, prev=None, bridge_extra=None, pm_extra=None):
        self.assertOK(self.plug(go, "portmap", "DEL", self.pm_conf(prev, **(pm_extra or {})),
                               cid, netns))
        self.assertOK(self.plug(go, "bridge", "DEL", self.bridge_conf(**(bridge_extra or {})),
                               cid, netns))

    def assertNoContainerState(self, text):
        self.assertNotIn("CNI-DN-", text)
        self.assertNotIn("CNI-e88f", text)
        self.assertNotIn('id: \\"abc\\"', text)

    # ---- (a) migration --------------------------------------------------------
    def test_reference_add_our_del(self):
        for gone in (False, True):
            with self.subTest(netns_gone=gone):
                self.data = self.tmpdir()
                ctr, prev = self.attach(True)
                before = cnitest.iptables_save(self.node)
                self.assertIn("CNI-DN-e88f49d94512ff752ebe6", before)
                self.assertIn("-A POSTROUTING -s 10.88.0.2/32", before)
                # CHECK finds the reference's state.
                self.assertOK(self.plug(False, "portmap", "CHECK", self.pm_conf(prev), "abc",
                                       ctr.path))
                netns = ctr.path
                if gone:
                    ctr.close()
                    netns = "/run/netns/gone-xb"
                self.detach(False, "abc", netns)
                after = cnitest.iptables_save(self.node)
                self.assertNoContainerState(after)
                # the shared chains stay, as the reference leaves them
                self.assertIn("-A CNI-HOSTPORT-SETMARK", after)
                # idempotent
                self.detach(False, "abc", netns)
                if not gone:
                    ctr.close()

    def test_reference_add_our_gc(self):
        self.attach(True, "abc")
        self.attach(True, "keep")
        gc = {"cniVersion": "1.1.0", "name": "mynet",
              "cni.dev/valid-attachments": [{"containerID": "keep", "ifname": "eth0"}]}
        self.assertOK(self.plug(False, "portmap", "GC", dict(gc, type="portmap"), "", ""))
        self.assertOK(self.plug(False, "bridge", "GC", dict(self.bridge_conf(), **gc), "", ""))
        after = cnitest.iptables_save(self.node)
        self.assertNotIn('id: \\"abc\\"', after)
        self.assertIn('id: \\"keep\\"', after)

    def test_gc_orphaned_chains(self):
        """GC also removes per-container chains nothing jumps to any more (a removal that
        stopped half-way), when their names are the hash of this network and a stale
        container: the ID in an orphaned ipMasq chain's own comments attributes it and its
        CNI-DN- chain. Chains it cannot attribute stay."""
        import shlex
        self.attach(True, "abc")
        self.attach(True, "keep")
        for ipt in ("iptables-nft", "ip6tables-nft"):
            for chain in ("POSTROUTING", "CNI-HOSTPORT-DNAT"):
                for line in self.node.sh("%s -t nat -S %s" % (ipt, chain)).splitlines():
                    if 'id: \\"abc\\"' in line:
                        self.node.sh("%s -t nat -D %s" % (
                            ipt, " ".join(shlex.quote(w) for w in shlex.split(line)[1:])))
        unknown = ["CNI-DN-0123456789abcdef01234", "CNI-0123456789abcdef01234567",
                   "CNI-aaaaaaaaaaaaaaaaaaaaaaaa"]
        self.node.sh("iptables-nft -t nat -N %s && iptables-nft -t nat -N %s && "
                     "iptables-nft -t nat -A %s -j ACCEPT -m comment --comment "
                     "'name: \"other\" id: \"abc\"' && iptables-nft -t nat -N %s && "
                     "iptables-nft -t nat -A %s -j ACCEPT -m comment --comment "
                     "'name: \"mynet\" id: \"zzz\"'" % (unknown[0], unknown[1], unknown[1],
                                                        unknown[2], unknown[2]))
        before = cnitest.iptables_save(self.node)
        self.assertIn(":CNI-e88f49d94512ff752ebe6070", before)
        self.assertIn(":CNI-DN-e88f49d94512ff752ebe6", before)
        self.assertNotIn("-j CNI-DN-e88f49d94512ff752ebe6", before)
        self.assertNotIn("-j CNI-e88f49d94512ff752ebe6070", before)
        gc = {"cniVersion": "1.1.0", "name": "mynet",
              "cni.dev/valid-attachments": [{"containerID": "keep", "ifname": "eth0"}]}
        self.assertOK(self.plug(False, "bridge", "GC", dict(self.bridge_conf(), **gc), "", ""))
        after = cnitest.iptables_save(self.node)
        self.assertNotIn("e88f49d94512ff752ebe6", after)
        self.assertNotIn('id: \\"abc\\"', after.replace('name: \\"other\\" id: '
                                                         '\\"abc\\"', ""))
        self.assertIn('id: \\"keep\\"', after)
        for chain in unknown:
            self.assertIn(":" + chain, after)
        # idempotent
        self.assertOK(self.plug(False, "bridge", "GC", dict(self.bridge_conf(), **gc), "", ""))

    # ---- (b) our iptables backends --------------------------------------------
    def test_same_listing_as_reference(self):
        self.maxDiff = None
        ours = {"ipMasqBackend": "iptables"}, {"backend": "iptables"}
        # masqAll is newer than the installed reference (v1.2.0): see test_masq_all
        cases = [{}, {"markMasqBit": 5}, {"snat": False},
                 {"conditionsV4": ["!", "-s", "10.0.0.0/8"],
                  "conditionsV6": ["-m", "comment", "--comment", "v6 only"]}]
        ref = ""
        for px in cases:
            with self.subTest(portmap=px):
                bx = {"dataDir": self.tmpdir()}
                ctr, prev = self.attach(True, bridge_extra=bx, pm_extra=px)
                try:
                    ref = cnitest.iptables_save(self.node)
                finally:
                    self.detach(True, "abc", ctr.path, prev, bx, px)
                self.assertNoContainerState(cnitest.iptables_save(self.node))
                # a fresh IPAM store, so that our ADD gets the same address again
                obx = dict(bx, dataDir=self.tmpdir(), **ours[0])
                opx = dict(px, **ours[1])
                ctr, prev = self.attach(False, bridge_extra=obx, pm_extra=opx)
                try:
                    mine = cnitest.iptables_save(self.node)
                    self.assertEqual(mine, ref)
                    self.assertOK(self.plug(False, "portmap", "CHECK",
                                           self.pm_conf(prev, **opx), "abc", ctr.path))
                finally:
                    # the reference's DEL removes what we wrote
                    self.detach(True, "abc", ctr.path, prev, bx, px)
                self.assertNoContainerState(cnitest.iptables_save(self.node))
        # (d) the conditions landed in the entry rules
        self.assertIn("-A CNI-HOSTPORT-DNAT ! -s 10.0.0.0/8 -p tcp", ref)
        self.assertIn('--comment "v6 only"', ref)

    def test_masq_all(self):
        """masqAll (reference v1.2.0+, iptables): hairpin marks without -s, no 127.0.0.1
        rule."""
        ctr, prev = self.attach(False, bridge_extra={"ipMasqBackend": "iptables"},
                                pm_extra={"backend": "iptables", "masqAll": True})
        text = cnitest.iptables_save(self.node)
        self.assertIn("-A CNI-DN-e88f49d94512ff752ebe6 -p tcp -m tcp --dport 8080 "
                      "-j CNI-HOSTPORT-SETMARK", text)
        self.assertNotIn("-s 127.0.0.1", text)
        self.assertNotIn("-s 10.88.0.0/16 -p tcp", text)
        self.detach(True, "abc", ctr.path, prev, {}, {"masqAll": True})
        self.assertNoContainerState(cnitest.iptables_save(self.node))

    def serve(self, ns, spec, reply):
        cnitest.socat_serve(self, ns, spec, reply)

    def client(self, ns, target):
        return cnitest.socat_request(ns, target)

    def test_traffic_and_check(self):
        ctr, prev = self.attach(False, bridge_extra={"ipMasqBackend": "iptables"},
                                pm_extra={"backend": "iptables"})
        self.serve(ctr, "TCP4-LISTEN:80,fork,reuseaddr", "hello-xt")
        outside = self.netns("xbo")
        self.node.sh("ip link add xbo0 type veth peer name eth0 netns %s" % outside.name)
        self.node.sh("ip addr add 192.168.60.1/24 dev xbo0 && ip link set xbo0 up")
        outside.sh("ip addr add 192.168.60.2/24 dev eth0 && ip link set eth0 up && "
                   "ip link set lo up && ip route add default via 192.168.60.1")
        self.node.sh("sysctl -qw net.ipv4.ip_forward=1")
        self.assertEqual(self.client(outside, "TCP4:192.168.60.1:8080"), "hello-xt")
        # from the node itself, through OUTPUT and localhost (route_localnet, SETMARK)
        self.assertEqual(self.client(self.node, "TCP4:127.0.0.1:8080"), "hello-xt")
        # CHECK notices a missing rule
        self.node.sh("iptables-nft -t nat -D CNI-DN-e88f49d94512ff752ebe6 -p tcp -m tcp "
                     "--dport 8080 -j DNAT --to-destination 10.88.0.2:80")
        r = self.plug(False, "portmap", "CHECK", self.pm_conf(prev, backend="iptables"), "abc",
                     ctr.path)
        self.assertCNIError(r, 999, "not found in table nat")
        self.detach(False, "abc", ctr.path, prev)
        self.assertNoContainerState(cnitest.iptables_save(self.node))

    # ---- (c) AKS kubenet --------------------------------------------------------
    def test_aks_kubenet(self):
        kubenet = {"externalSetMarkChain": "KUBE-MARK-MASQ"}
        # without mappings: prevResult as is, nothing written, whatever the node has
        ctr = self.netns("xbc")
        prev = self.assertOK(self.plug(False, "bridge", "ADD", self.bridge_conf(), "p1",
                                       ctr.path))
        r = self.assertOK(self.plug(False, "portmap", "ADD", self.pm_conf(prev, [], **kubenet),
                                   "p1", ctr.path))
        self.assertEqual(r["ips"], prev["ips"])
        self.assertNotIn("CNI-HOSTPORT", cnitest.iptables_save(self.node))
        # with mappings, the chain kube-proxy owns is the mark target
        self.node.sh("iptables-nft -t nat -N KUBE-MARK-MASQ && ip6tables-nft -t nat -N "
                     "KUBE-MARK-MASQ")
        self.assertOK(self.plug(False, "portmap", "ADD", self.pm_conf(prev, **kubenet), "p1",
                               ctr.path))
        text = cnitest.iptables_save(self.node)
        self.assertIn("-j KUBE-MARK-MASQ", text)
        self.assertNotIn("CNI-HOSTPORT-SETMARK", text)
        self.assertOK(self.plug(False, "portmap", "CHECK", self.pm_conf(prev, **kubenet), "p1",
                               ctr.path))
        self.assertOK(self.plug(False, "portmap", "DEL", self.pm_conf(prev, **kubenet), "p1",
                               ctr.path))
        self.assertNotIn("CNI-DN-", cnitest.iptables_save(self.node))
        self.assertIn(":KUBE-MARK-MASQ", cnitest.iptables_save(self.node))
        # a missing KUBE-MARK-MASQ fails as in the reference (999), nothing written
        self.node.sh("iptables-nft -t nat -X KUBE-MARK-MASQ")
        r = self.plug(False, "portmap", "ADD", self.pm_conf(prev, **kubenet), "p1", ctr.path)
        self.assertCNIError(r, 999, "'KUBE-MARK-MASQ' does not exist")
        self.assertNotIn("CNI-DN-", cnitest.iptables_save(self.node))

    # ---- default-backend rule and legacy refusal ----------------------------------
    def test_default_backend_follows_reference_state(self):
        ctr, prev = self.attach(False, cid="first")
        self.assertNotIn("CNI-HOSTPORT-DNAT", cnitest.iptables_save(self.node))
        self.assertIn("cni_hostport", self.node.sh("nft list tables"))
        self.detach(False, "first", ctr.path, prev)
        ctr.close()
        # the reference attached one container: our defaults follow its layout
        ref, rprev = self.attach(True, cid="ref")
        ctr, prev = self.attach(False, cid="abc", maps=[{"hostPort": 9090, "containerPort": 90,
                                                         "protocol": "tcp"}])
        text = cnitest.iptables_save(self.node)
        self.assertIn('dnat name: \\"mynet\\" id: \\"abc\\"', text)
        self.assertRegex(text, r'-A POSTROUTING -s 10\.88\.0\.\d+/32 -m comment --comment '
                         r'"name: \\"mynet\\" id: \\"abc\\""')
        self.assertNotIn("abc", self.node.sh("nft list table ip cni_hostport", check=False))
        self.detach(False, "abc", ctr.path, prev)
        self.detach(False, "ref", ref.path, rprev)
        self.assertNotIn("CNI-DN-", cnitest.iptables_save(self.node))

    def test_legacy_host_refused(self):
        fake = self.tmpdir()
        with open(os.path.join(fake, "ip_tables_names"), "w") as f:
            f.write("nat\nfilter\n")
        env = {"CNI_XT_LEGACY_NAMES_DIR": fake}
        ctr = self.netns("xbc")
        r = self.plug(False, "bridge", "ADD", self.bridge_conf(ipMasqBackend="iptables"), "abc",
                     ctr.path, env=env)
        self.assertCNIError(r, 2, "iptables-legacy")
        self.assertNotIn("eth0", ctr.sh("ip -o link"))
        prev = self.assertOK(self.plug(False, "bridge", "ADD", self.bridge_conf(), "abc",
                                       ctr.path, env=env))
        r = self.plug(False, "portmap", "ADD", self.pm_conf(prev, backend="iptables"), "abc",
                     ctr.path, env=env)
        self.assertCNIError(r, 2, "iptables-legacy")
        # no mappings: no refusal; our own nftables rules still go with DEL
        self.assertOK(self.plug(False, "portmap", "ADD", self.pm_conf(prev, [], backend="iptables"),
                               "abc", ctr.path, env=env))
        self.assertOK(self.plug(False, "portmap", "ADD", self.pm_conf(prev), "abc", ctr.path,
                               env=env))
        self.assertIn('comment "abc"', self.node.sh("nft list ruleset"))
        self.assertOK(self.plug(False, "portmap", "DEL", self.pm_conf(None, backend="iptables"),
                               "abc", ctr.path, env=env))
        self.assertNotIn('comment "abc"', self.node.sh("nft list ruleset"))
        self.assertOK(self.plug(False, "bridge", "DEL", self.bridge_conf(), "abc", ctr.path,
                               env=env))

    def test_sctp(self):
        """sctp mappings with the iptables backend: the same listing as the reference
        (-p sctp -m sctp --dport, multiport entry rules with sctp first), CHECK, the
        reference's DEL removes them; the default-backend rule follows the reference's
        state for sctp mappings too, and our DEL removes the reference's sctp rules."""
        self.maxDiff = None
        sctp = [{"hostPort": 9132, "containerPort": 132, "protocol": "sctp"},
                {"hostPort": 8080, "containerPort": 80, "protocol": "tcp"},
                {"hostPort": 9133, "containerPort": 133, "protocol": "sctp",
                 "hostIP": "192.168.0.2"}]
        bx = {"dataDir": self.tmpdir()}
        ctr, prev = self.attach(True, bridge_extra=bx, maps=sctp)
        try:
            ref = cnitest.iptables_save(self.node)
        finally:
            self.detach(True, "abc", ctr.path, prev, bx, {"runtimeConfig": {
                "portMappings": sctp}})
        self.assertIn("-A CNI-DN-e88f49d94512ff752ebe6 -s 10.88.0.0/16 -p sctp -m sctp "
                      "--dport 9132 -j CNI-HOSTPORT-SETMARK", ref)
        self.assertIn("-p sctp -m comment", ref)
        self.assertNoContainerState(cnitest.iptables_save(self.node))
        obx = dict(bx, dataDir=self.tmpdir(), ipMasqBackend="iptables")
        opx = {"backend": "iptables"}
        ctr, prev = self.attach(False, bridge_extra=obx, pm_extra=opx, maps=sctp)
        try:
            self.assertEqual(cnitest.iptables_save(self.node), ref)
            self.assertOK(self.plug(False, "portmap", "CHECK", self.pm_conf(prev, sctp, **opx),
                                   "abc", ctr.path))
            self.assertNotIn("cni_hostport", self.node.sh("nft list tables"))
        finally:
            self.detach(True, "abc", ctr.path, prev, bx, {"runtimeConfig": {
                "portMappings": sctp}})
        self.assertNoContainerState(cnitest.iptables_save(self.node))
        # the reference's state on the node: our default backend writes iptables rules for
        # sctp too; our DEL removes the reference's sctp rules and ours
        ref_ctr, rprev = self.attach(True, cid="ref", bridge_extra={"dataDir": self.tmpdir()},
                                     maps=sctp[:1])
        ctr, prev = self.attach(False, bridge_extra={"dataDir": self.tmpdir()},
                                maps=[{"hostPort": 9134, "containerPort": 134,
                                       "protocol": "sctp"}])
        text = cnitest.iptables_save(self.node)
        self.assertIn("-p sctp -m sctp --dport 9134 -j DNAT", text)
        self.assertNotIn("9134", self.node.sh("nft list table ip cni_hostport", check=False))
        self.assertOK(self.plug(False, "portmap", "DEL", self.pm_conf(None, sctp[:1]), "ref",
                               ref_ctr.path))
        self.assertOK(self.plug(False, "portmap", "DEL", self.pm_conf(None), "abc", ctr.path))
        after = cnitest.iptables_save(self.node)
        self.assertNotIn("CNI-DN-", after)
        self.assertNotIn("sctp", after)
        self.assertOK(self.plug(False, "bridge", "DEL", self.bridge_conf(), "abc", ctr.path))
        self.assertOK(self.plug(False, "bridge", "DEL", self.bridge_conf(), "ref",
                               ref_ctr.path))

    # ---- (f) no executables ----------------------------------------------------------
    def test_no_iptables_exec(self):
        if not shutil.which("strace"):
            self.skipTest("strace is not installed")
        ctr = self.netns("xbc")
        env = {"ASAN_OPTIONS": "detect_leaks=0"}
        trace = os.path.join(self.tmpdir(), "trace")
        p = subprocess.run(
            ["nsenter", "--net=/run/netns/" + self.node.name, "--", "strace", "-f", "-qq",
             "-e", "trace=execve", "-o", trace, os.path.join(cnitest.BIN, "bridge")],
            input=json.dumps(self.bridge_conf(ipMasqBackend="iptables")).encode(),
            capture_output=True, timeout=60,
            env=dict(os.environ, CNI_COMMAND="ADD", CNI_CONTAINERID="abc",
                     CNI_NETNS=ctr.path, CNI_IFNAME="eth0", CNI_PATH=cnitest.BIN, **env))
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        prev = json.loads(p.stdout)
        p = subprocess.run(
            ["nsenter", "--net=/run/netns/" + self.node.name, "--", "strace", "-f", "-qq",
             "-e", "trace=execve", "-o", trace + "2", os.path.join(cnitest.BIN, "portmap")],
            input=json.dumps(self.pm_conf(prev, backend="iptables")).encode(),
            capture_output=True, timeout=60,
            env=dict(os.environ, CNI_COMMAND="ADD", CNI_CONTAINERID="abc",
                     CNI_NETNS=ctr.path, CNI_IFNAME="eth0", CNI_PATH=cnitest.BIN, **env))
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        for t in (trace, trace + "2"):
            with open(t) as f:
                execs = [l for l in f if "execve(" in l]
            self.assertFalse([l for l in execs if re.search(r'"[^"]*/(ip6?tables[^"/]*|nft)"', l)],
                             execs)
        self.assertIn("CNI-DN-", cnitest.iptables_save(self.node))
        self.detach(False, "abc", ctr.path, prev)


if __name__ == "__main__":
    unittest.main()
