# SPDX-License-Identifier: Apache-2.0
"""Black-box tests of bin/host-local: verbs, validation errors, result shapes,
the on-disk store byte for byte, interop with the reference Go plugin's store
(and binary, when installed), and concurrent allocation.

host-local needs no namespaces: every test uses its own dataDir in a temp dir.
"""
import json
import os
import stat
import unittest
from concurrent.futures import ThreadPoolExecutor

import cnitest
from cnitest import CNITestCase, run_plugin

GO_PLUGIN = "/usr/lib/cni/host-local"
# Our own files next to the reference's: the index and the boot record.
OWN_FILES = (".host-local.boot", ".host-local.index")


def boot_id():
    with open("/proc/sys/kernel/random/boot_id") as f:
        return f.read().strip()


def index_stamp(netdir):
    """The directory mtime (ns) our index was stamped with, or None (placeholder)."""
    with open(os.path.join(netdir, ".host-local.index"), "rb") as f:
        head = f.readline()
    stamp = head.split(b"dirstamp=")[1].strip()
    if b"." not in stamp:
        return None
    sec, nsec = stamp.split(b".")
    return int(sec) * 10**9 + int(nsec)


class HostLocalBase(CNITestCase):
    def setUp(self):
        super().setUp()
        self.data = self.tmpdir()

    def conf(self, ranges=None, version="1.0.0", name="hlnet", **ipam):
        ipam.setdefault("type", "host-local")
        ipam.setdefault("dataDir", self.data)
        if ranges is not None:
            ipam["ranges"] = ranges
        return {"cniVersion": version, "name": name, "ipam": ipam}

    def netdir(self, name="hlnet"):
        return os.path.join(self.data, name)

    def files(self, name="hlnet"):
        """{filename: bytes} of the network directory, without our index and boot record."""
        d = self.netdir(name)
        out = {}
        for f in sorted(os.listdir(d)):
            if f in OWN_FILES:
                continue
            with open(os.path.join(d, f), "rb") as fh:
                out[f] = fh.read()
        return out

    def reservations(self, name="hlnet"):
        return {k: v for k, v in self.files(name).items()
                if k not in ("lock",) and not k.startswith("last_reserved_ip.")}

    def add(self, conf, cid="testcid", ifname="eth0", **kw):
        return run_plugin("host-local", "ADD", conf, containerid=cid, ifname=ifname, **kw)

    def delete(self, conf, cid="testcid", ifname="eth0", **kw):
        return run_plugin("host-local", "DEL", conf, containerid=cid, ifname=ifname, **kw)

    def addresses(self, res):
        return [ip["address"] for ip in self.assertOK(res)["ips"]]


V4 = [[{"subnet": "10.1.0.0/24"}]]
V6 = [[{"subnet": "fd00:1::/64"}]]


class TestHostLocalVerbs(HostLocalBase):
    def test_add_writes_reference_store(self):
        res = self.assertOK(self.add(self.conf(V4), cid="benchcid0000"))
        self.assertEqual(res["ips"], [{"address": "10.1.0.2/24", "gateway": "10.1.0.1"}])
        self.assertEqual(self.files(), {
            "10.1.0.2": b"benchcid0000\r\neth0",
            "last_reserved_ip.0": b"10.1.0.2",
            "lock": b"",
        })
        d = self.netdir()
        # beside them only our dot-files, which the reference ignores
        self.assertEqual(sorted(f for f in os.listdir(d) if f.startswith(".")), list(OWN_FILES))
        with open(os.path.join(d, ".host-local.boot"), "rb") as f:
            self.assertEqual(f.read(), b"boot_id " + boot_id().encode() + b"\n")
        self.assertEqual(os.stat(os.path.join(d, "10.1.0.2")).st_nlink, 1)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.join(d, "10.1.0.2")).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.join(d, "last_reserved_ip.0")).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(d).st_mode) & 0o755, 0o755)
        # the lock is created 0750 (subject to the umask)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.join(d, "lock")).st_mode) & ~0o750, 0)

    def test_del_check_cycle(self):
        conf = self.conf(V4)
        self.assertOK(self.add(conf))
        self.assertOK(run_plugin("host-local", "CHECK", conf))
        self.assertOK(self.delete(conf))
        self.assertEqual(self.reservations(), {})
        self.assertIn("last_reserved_ip.0", self.files())
        # DEL is idempotent, and an unknown ID (or a missing netns) is fine
        self.assertOK(self.delete(conf))
        self.assertOK(self.delete(conf, cid="neverseen", unset=("CNI_NETNS",)))
        res = run_plugin("host-local", "CHECK", conf)
        self.assertCNIError(res, 999, "host-local: Failed to find address added by container testcid")

    def test_del_only_own_ifname(self):
        conf = self.conf(V4)
        self.assertEqual(self.addresses(self.add(conf, ifname="eth0")), ["10.1.0.2/24"])
        self.assertEqual(self.addresses(self.add(conf, ifname="net1")), ["10.1.0.3/24"])
        self.assertOK(self.delete(conf, ifname="eth0"))
        self.assertEqual(self.reservations(), {"10.1.0.3": b"testcid\r\nnet1"})

    def test_duplicate_allocation_refused(self):
        conf = self.conf(V4)
        self.assertOK(self.add(conf))
        self.assertCNIError(self.add(conf), 999,
                            "failed to allocate for range 0: 10.1.0.2 has been allocated to "
                            "testcid, duplicate allocation is not allowed")

    def test_round_robin_across_runs(self):
        conf = self.conf([[{"subnet": "10.1.0.0/29"}]])
        got = []
        for i in range(8):
            res = self.add(conf, cid="c%d" % i)
            if res.rc == 0:
                got.append(res.json["ips"][0]["address"])
                self.assertOK(self.delete(conf, cid="c%d" % i))
        self.assertEqual(got, ["10.1.0.%d/29" % i for i in (2, 3, 4, 5, 6, 2, 3, 4)])

    def test_exhaustion(self):
        conf = self.conf([[{"subnet": "10.1.0.0/30"}]])
        self.assertEqual(self.addresses(self.add(conf, cid="a")), ["10.1.0.2/30"])
        self.assertCNIError(self.add(conf, cid="b"), 999,
                            "failed to allocate for range 0: no IP addresses available in "
                            "range set: 10.1.0.1-10.1.0.2")
        res = self.add(self.conf([[{"subnet": "10.1.0.0/24", "rangeStart": "10.1.0.2",
                                    "rangeEnd": "10.1.0.2"}]], name="other"), cid="x")
        self.assertOK(res)
        res = self.add(self.conf([[{"subnet": "10.1.0.0/24", "rangeStart": "10.1.0.2",
                                    "rangeEnd": "10.1.0.2"}]], name="other"), cid="y")
        self.assertEqual(res.json["msg"], "failed to allocate for range 0: no IP addresses "
                         "available in range set: 10.1.0.2-10.1.0.2")

    def test_rollback_when_a_later_set_fails(self):
        conf = self.conf([[{"subnet": "10.1.0.0/24"}], [{"subnet": "10.2.0.0/30"}]])
        self.assertOK(self.add(conf, cid="first"))
        res = self.add(conf, cid="second")
        self.assertCNIError(res, 999, "failed to allocate for range 1: no IP addresses available "
                            "in range set: 10.2.0.1-10.2.0.2")
        self.assertEqual(sorted(self.reservations()), ["10.1.0.2", "10.2.0.2"])

    def test_dual_stack_and_multiple_ranges_per_set(self):
        ranges = [[{"subnet": "10.1.0.0/30"}, {"subnet": "10.1.1.0/24", "rangeStart": "10.1.1.10",
                                               "gateway": "10.1.1.254"}],
                  [{"subnet": "fd00:1::/64"}]]
        conf = self.conf(ranges)
        res = self.assertOK(self.add(conf, cid="a"))
        self.assertEqual(res["ips"], [{"address": "10.1.0.2/30", "gateway": "10.1.0.1"},
                                      {"address": "fd00:1::2/64", "gateway": "fd00:1::1"}])
        res = self.assertOK(self.add(conf, cid="b"))
        self.assertEqual(res["ips"], [{"address": "10.1.1.10/24", "gateway": "10.1.1.254"},
                                      {"address": "fd00:1::3/64", "gateway": "fd00:1::1"}])
        self.assertEqual(self.files()["fd00:1::3"], b"b\r\neth0")
        self.assertEqual(self.files()["last_reserved_ip.1"], b"fd00:1::3")

    def test_legacy_range_routes_dns(self):
        resolv = os.path.join(self.data, "resolv.conf")
        with open(resolv, "w") as f:
            f.write("# x\nnameserver 10.0.0.53\nsearch a.example b.example\ndomain d.example\n"
                    "options ndots:2\n")
        conf = self.conf(V6, subnet="10.9.0.0/16", gateway="10.9.0.254", rangeStart="10.9.1.0",
                         routes=[{"dst": "0.0.0.0/0"}, {"dst": "192.168.0.0/16", "gw": "10.9.0.1"}],
                         resolvConf=resolv)
        res = self.assertOK(self.add(conf))
        self.assertEqual(res["ips"], [{"address": "10.9.1.0/16", "gateway": "10.9.0.254"},
                                      {"address": "fd00:1::2/64", "gateway": "fd00:1::1"}])
        self.assertEqual(res["routes"], [{"dst": "0.0.0.0/0"},
                                         {"dst": "192.168.0.0/16", "gw": "10.9.0.1"}])
        self.assertEqual(res["dns"], {"nameservers": ["10.0.0.53"], "domain": "d.example",
                                      "search": ["a.example", "b.example"],
                                      "options": ["ndots:2"]})
        conf["ipam"]["resolvConf"] = os.path.join(self.data, "missing")
        self.assertCNIError(self.add(conf, cid="o"), 999, "no such file or directory")

    def test_runtime_ip_ranges_prepended(self):
        conf = self.conf(V4)
        conf["runtimeConfig"] = {"ipRanges": [[{"subnet": "10.5.0.0/24"}]]}
        self.assertEqual(self.addresses(self.add(conf)), ["10.5.0.2/24", "10.1.0.2/24"])
        self.assertEqual(self.files()["last_reserved_ip.0"], b"10.5.0.2")

    def test_case_insensitive_keys(self):
        conf = {"cniVersion": "1.0.0", "name": "hlnet",
                "IPAM": {"Type": "host-local", "DATADIR": self.data,
                         "Ranges": [[{"Subnet": "10.1.0.0/24", "RANGESTART": "10.1.0.100"}]]}}
        self.assertEqual(self.addresses(self.add(conf)), ["10.1.0.100/24"])


class TestHostLocalResults(HostLocalBase):
    RANGES = [[{"subnet": "10.1.0.0/24"}], [{"subnet": "fd00:1::/64"}]]

    def test_result_per_version(self):
        want_ips = [("10.1.0.2/24", "10.1.0.1"), ("fd00:1::2/64", "fd00:1::1")]
        for i, version in enumerate(["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"]):
            conf = self.conf(self.RANGES, version=version, name="n%d" % i,
                             routes=[{"dst": "0.0.0.0/0"}])
            res = self.assertOK(self.add(conf))
            self.assertEqual(res["cniVersion"], version)
            self.assertNotIn("interfaces", res)
            for ip, (addr, gw) in zip(res["ips"], want_ips):
                self.assertEqual(ip["address"], addr)
                self.assertEqual(ip["gateway"], gw)
                self.assertNotIn("interface", ip)
                if version.startswith("0."):
                    self.assertEqual(ip["version"], "4" if "." in addr else "6")
                else:
                    self.assertNotIn("version", ip)
            self.assertEqual(res["routes"], [{"dst": "0.0.0.0/0"}])

    def test_result_0_2_0(self):
        conf = self.conf([[{"subnet": "10.1.0.0/24"}], [{"subnet": "fd00:1::/64"}]],
                         version="0.2.0", routes=[{"dst": "0.0.0.0/0"}, {"dst": "::/0"}])
        res = self.assertOK(self.add(conf))
        self.assertEqual(res["cniVersion"], "0.2.0")
        self.assertEqual(res["ip4"]["ip"], "10.1.0.2/24")
        self.assertEqual(res["ip4"]["gateway"], "10.1.0.1")
        self.assertEqual(res["ip4"]["routes"], [{"dst": "0.0.0.0/0"}])
        self.assertEqual(res["ip6"]["ip"], "fd00:1::2/64")
        self.assertEqual(res["ip6"]["routes"], [{"dst": "::/0"}])

    def test_version_verb(self):
        res = run_plugin("host-local", "VERSION", "{}")
        self.assertOK(res)
        self.assertEqual(res.json["supportedVersions"],
                         ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"])


class TestHostLocalValidation(HostLocalBase):
    CASES = [
        ({"subnet": "10.1.0.5/24"}, "invalid range set 0: Network has host bits set. For a "
         "subnet mask of length 24 the network address is 10.1.0.0"),
        ({"subnet": "10.1.0.0/31"}, "invalid range set 0: Network 10.1.0.0/31 too small to "
         "allocate from"),
        ({"subnet": "10.1.0.0/32"}, "invalid range set 0: Network 10.1.0.0/32 too small to "
         "allocate from"),
        ({"subnet": "fd00::/127"}, "invalid range set 0: Network fd00::/127 too small to "
         "allocate from"),
        ({"subnet": "fd00::/128"}, "invalid range set 0: Network fd00::/128 too small to "
         "allocate from"),
        ({"subnet": "10.1.0.0/24", "rangeStart": "10.1.1.1"},
         "invalid range set 0: RangeStart 10.1.1.1 not in network 10.1.0.0/24"),
        ({"subnet": "10.1.0.0/24", "rangeEnd": "10.2.0.1"},
         "invalid range set 0: RangeEnd 10.2.0.1 not in network 10.1.0.0/24"),
        # a start after the end names the start, for both families, as the reference does
        ({"subnet": "10.1.0.0/24", "rangeStart": "10.1.0.9", "rangeEnd": "10.1.0.5"},
         "invalid range set 0: RangeStart 10.1.0.9 not in network 10.1.0.0/24"),
        ({"subnet": "fd00::/64", "rangeStart": "fd00::9", "rangeEnd": "fd00::5"},
         "invalid range set 0: RangeStart fd00::9 not in network fd00::/64"),
        ({"subnet": "10.1.0.0/24", "rangeEnd": "10.1.0.0"},
         "invalid range set 0: RangeEnd 10.1.0.0 not in network 10.1.0.0/24"),
    ]

    def check_error(self, conf, msg, code=7):
        for cmd in ("ADD", "DEL"):
            res = run_plugin("host-local", cmd, conf)
            self.assertCNIError(res, code)
            self.assertEqual(res.json["msg"], msg)

    def test_range_errors(self):
        for rng, msg in self.CASES:
            with self.subTest(rng=rng):
                self.check_error(self.conf([[rng]]), msg)

    def test_set_errors(self):
        self.check_error(self.conf([[]]), "invalid range set 0: empty range set")
        self.check_error(self.conf([[{"subnet": "10.1.0.0/24"}, {"subnet": "fd00::/64"}]]),
                         "invalid range set 0: mixed address families")
        self.check_error(self.conf([[{"subnet": "10.1.0.0/24"}, {"subnet": "10.1.0.128/25"}]]),
                         "invalid range set 0: subnets 10.1.0.1-10.1.0.254 and "
                         "10.1.0.129-10.1.0.254 overlap")
        self.check_error(self.conf([[{"subnet": "10.1.0.0/24"}], [{"subnet": "10.2.0.0/24"}],
                                    [{"subnet": "10.1.0.0/16"}]]), "range set 0 overlaps with 2")
        self.check_error(self.conf([[{"subnet": "10.1.0.0/24"}], [{"subnet": "10.2.0.0/24"}]],
                                   version="0.2.0"),
                         "CNI version 0.2.0 does not support more than 1 address per family")
        self.check_error({"cniVersion": "1.0.0", "name": "hlnet"}, "IPAM config missing 'ipam' key")
        self.check_error(self.conf(), "no IP ranges specified")
        self.check_error(self.conf([]), "no IP ranges specified")

    def test_reclaim_on_reboot_type(self):
        self.assertCNIError(self.add(self.conf(V4, reclaimOnReboot="no")), 7, "'reclaimOnReboot'")
        self.assertOK(self.add(self.conf(V4, ReclaimOnReboot=False)))
        self.assertNotIn(".host-local.boot", os.listdir(self.netdir()))

    def test_data_dir_cleaned(self):
        # filepath.Join semantics: "stray/.." creates no directory "stray"
        conf = self.conf(V4, version="1.1.0", dataDir=os.path.join(self.data, "stray", "..", "d"))
        self.assertOK(run_plugin("host-local", "STATUS", conf))
        self.assertOK(self.add(conf))
        self.assertEqual(sorted(os.listdir(self.data)), ["d"])
        self.assertIn("10.1.0.2", os.listdir(os.path.join(self.data, "d", "hlnet")))
        conf["ipam"]["dataDir"] = self.data + "//d/./"
        self.assertOK(run_plugin("host-local", "CHECK", conf))
        self.assertOK(self.delete(conf))
        self.assertNotIn("10.1.0.2", os.listdir(os.path.join(self.data, "d", "hlnet")))
        # errors name the cleaned path, as the reference's do
        open(os.path.join(self.data, "file"), "w").close()
        conf["ipam"]["dataDir"] = os.path.join(self.data, "x", "..", "file", ".")
        self.assertCNIError(self.add(conf), 999, "mkdir %s: not a directory"
                            % os.path.join(self.data, "file"))
        self.assertEqual(sorted(os.listdir(self.data)), ["d", "file"])

    def test_30_accepted(self):
        self.assertEqual(self.addresses(self.add(self.conf([[{"subnet": "10.1.0.0/30"}]]))),
                         ["10.1.0.2/30"])

    def test_type_errors_name_the_key(self):
        for ipam, key in [({"ranges": [[{"subnet": 10}]]}, "subnet"),
                          ({"ranges": "10.1.0.0/24"}, "ranges"),
                          ({"ranges": V4, "dataDir": 5}, "dataDir"),
                          ({"ranges": V4, "routes": {"dst": "0.0.0.0/0"}}, "routes"),
                          ({"ranges": [[{"subnet": "10.1.0.0/24", "gateway": "x"}]]}, "gateway")]:
            with self.subTest(key=key):
                conf = self.conf(**ipam)
                res = self.add(conf)
                self.assertCNIError(res, 7, "'%s'" % key)

    def test_cni_args(self):
        conf = self.conf(V4)
        self.assertCNIError(self.add(conf, args="FOO=bar"), 999, 'ARGS: unknown args ["FOO=bar"]')
        self.assertCNIError(self.add(conf, args="IP=10.1.0.7=x"), 999, "ARGS: invalid pair")
        self.assertEqual(self.addresses(self.add(conf, args="IgnoreUnknown=1;K8S_POD_NAME=p;"
                                                            "IP=10.1.0.7")), ["10.1.0.7/24"])


class TestHostLocalRequested(HostLocalBase):
    RANGES = [[{"subnet": "10.1.0.0/24"}], [{"subnet": "fd00:1::/64"}]]

    def test_requested_from_all_sources(self):
        conf = self.conf(self.RANGES)
        self.assertEqual(self.addresses(self.add(conf, cid="a", args="IP=10.1.0.50")),
                         ["10.1.0.50/24", "fd00:1::2/64"])
        conf["args"] = {"cni": {"ips": ["fd00:1::99/64"]}}
        self.assertEqual(self.addresses(self.add(conf, cid="b")),
                         ["10.1.0.51/24", "fd00:1::99/64"])
        del conf["args"]
        conf["runtimeConfig"] = {"ips": ["10.1.0.20", "fd00:1::20"]}
        self.assertEqual(self.addresses(self.add(conf, cid="c")),
                         ["10.1.0.20/24", "fd00:1::20/64"])
        self.assertEqual(self.files()["last_reserved_ip.0"], b"10.1.0.20")

    def test_requested_errors(self):
        conf = self.conf(self.RANGES)
        self.assertOK(self.add(conf, cid="a", args="IP=10.1.0.50"))
        self.assertCNIError(self.add(conf, cid="b", args="IP=10.1.0.50"), 999,
                            "failed to allocate for range 0: requested IP address 10.1.0.50 is "
                            "not available in range set 10.1.0.1-10.1.0.254")
        self.assertCNIError(self.add(conf, cid="b", args="IP=10.1.0.1"), 999,
                            "failed to allocate for range 0: requested ip 10.1.0.1 is subnet's "
                            "gateway")
        before = self.reservations()
        res = self.add(conf, cid="b", args="IP=10.9.9.9")
        self.assertCNIError(res, 999, "failed to allocate all requested IPs: 10.9.9.9")
        # both addresses taken before the failure were released again
        self.assertEqual(self.reservations(), before)
        conf["runtimeConfig"] = {"ips": ["bogus"]}
        self.assertCNIError(self.add(conf, cid="b"), 7, "invalid IP address bogus")


class TestHostLocalGCStatus(HostLocalBase):
    def test_gc(self):
        conf = self.conf(V4, version="1.1.0")
        for cid in ("keep", "drop1", "drop2"):
            self.assertOK(self.add(conf, cid=cid))
        d = self.netdir()
        with open(os.path.join(d, "10.1.0.100"), "w") as f:
            f.write("legacykeep")
        with open(os.path.join(d, "10.1.0.101"), "w") as f:
            f.write("legacydrop")
        gc = dict(conf)
        gc["cni.dev/valid-attachments"] = [{"containerID": "keep", "ifname": "eth0"},
                                           {"containerID": "legacykeep", "ifname": "eth9"}]
        self.assertOK(run_plugin("host-local", "GC", gc, unset=("CNI_CONTAINERID", "CNI_NETNS",
                                                                 "CNI_IFNAME")))
        self.assertEqual(self.reservations(), {"10.1.0.2": b"keep\r\neth0",
                                               "10.1.0.100": b"legacykeep"})
        self.assertIn("last_reserved_ip.0", self.files())
        self.assertIn("lock", self.files())
        # GC needs a 1.1.0 config
        old = self.conf(V4, version="1.0.0")
        self.assertCNIError(run_plugin("host-local", "GC", old), 1)

    def test_status(self):
        conf = self.conf(V4, version="1.1.0")
        self.assertOK(run_plugin("host-local", "STATUS", conf))  # network dir does not exist yet
        self.assertFalse(os.path.exists(self.netdir()))
        self.assertOK(self.add(conf))
        self.assertOK(run_plugin("host-local", "STATUS", conf))
        blocker = os.path.join(self.data, "file")
        open(blocker, "w").close()
        bad = self.conf(V4, version="1.1.0", dataDir=blocker)
        self.assertCNIError(run_plugin("host-local", "STATUS", bad), 50, blocker)
        self.assertCNIError(run_plugin("host-local", "STATUS", self.conf(V4, version="1.0.0")), 1)


    def test_overlong_data_dir_is_an_error_not_another_path(self):
        # A component longer than NAME_MAX: the store cannot be created.
        long_dir = os.path.join(self.data, "x" * 300)
        conf = self.conf(V4, version="1.1.0", dataDir=long_dir)
        res = self.add(conf)
        self.assertCNIError(res, 999, "mkdir %s: file name too long" % long_dir)
        self.assertEqual(res.stdout.count('"ips"'), 0)
        self.assertCNIError(run_plugin("host-local", "STATUS", conf), 50, "file name too long")
        # A network directory so close to PATH_MAX that a reservation's temp file cannot
        # be named: ADD fails and reserves nothing (the index and the cursor are written
        # relative to the directory, without a path).
        deep = self.data
        while len(deep) + 201 + len("/hlnet") < 4096 - 10:
            deep = os.path.join(deep, "d" * 200)
        deep = os.path.join(deep, "e" * (4096 - 10 - len(deep) - 1 - len("/hlnet")))
        res = self.add(self.conf(V4, dataDir=deep))
        self.assertCNIError(res, 999, "failed to allocate for range 0: open " + deep[:200])
        self.assertEqual(sorted(os.listdir(os.path.join(deep, "hlnet"))),
                         [".host-local.index", "lock"])

class TestHostLocalStoreInterop(HostLocalBase):
    """A store as the Go plugin writes it (and as its older versions wrote it)."""

    def write(self, name, content, mode=0o644):
        os.makedirs(self.netdir(), exist_ok=True)
        p = os.path.join(self.netdir(), name)
        with open(p, "wb") as f:
            f.write(content)
        os.chmod(p, mode)

    def test_reads_go_store(self):
        self.write("lock", b"", 0o750)
        self.write("10.1.0.2", b"gocid\r\neth0")
        self.write("10.1.0.3", b"legacycid")
        self.write("10.1.0.4", b"spacey\r\neth0\n")
        self.write("last_reserved_ip.0", b"10.1.0.4")
        conf = self.conf(V4)
        # continues round robin after the Go plugin's cursor
        self.assertEqual(self.addresses(self.add(conf, cid="new")), ["10.1.0.5/24"])
        for cid in ("gocid", "legacycid", "spacey"):
            self.assertOK(run_plugin("host-local", "CHECK", conf, containerid=cid))
        self.assertCNIError(self.add(conf, cid="legacycid"), 999,
                            "10.1.0.3 has been allocated to legacycid")
        self.assertOK(self.delete(conf, cid="legacycid"))
        self.assertOK(self.delete(conf, cid="spacey"))
        self.assertOK(self.delete(conf, cid="gocid"))
        self.assertEqual(self.reservations(), {"10.1.0.5": b"new\r\neth0"})

    def test_store_changed_between_runs(self):
        conf = self.conf(V4)
        for cid in ("a", "b", "c"):
            self.assertOK(self.add(conf, cid=cid))
        # another plugin releases b and hands its address to someone else
        os.unlink(os.path.join(self.netdir(), "10.1.0.3"))
        self.write("10.1.0.3", b"intruder\r\neth0", 0o600)
        self.write("10.1.0.77", b"gonew\r\neth0", 0o600)
        self.assertOK(run_plugin("host-local", "CHECK", conf, containerid="intruder"))
        self.assertOK(run_plugin("host-local", "CHECK", conf, containerid="gonew"))
        self.assertCNIError(run_plugin("host-local", "CHECK", conf, containerid="b"), 999)
        self.assertOK(self.delete(conf, cid="b"))
        self.assertIn("10.1.0.3", self.reservations())
        self.assertOK(self.delete(conf, cid="intruder"))
        self.assertOK(self.delete(conf, cid="gonew"))
        self.assertEqual(sorted(self.reservations()), ["10.1.0.2", "10.1.0.4"])


@unittest.skipUnless(os.path.exists(GO_PLUGIN), "reference plugin %s not installed "
                     "(apt-get install containernetworking-plugins)" % GO_PLUGIN)
class TestHostLocalGoInterop(HostLocalBase):
    """Against Debian's Go host-local 1.1.1 (speaks CNI up to 1.0.0)."""

    def go(self, cmd, conf, cid, ifname="eth0"):
        r = cnitest.run_reference("host-local", cmd, conf, cid, "/var/run/netns/x", ifname=ifname)
        return r.rc, r.stdout

    def test_go_add_c_del_and_back(self):
        conf = self.conf([[{"subnet": "10.1.0.0/24"}], [{"subnet": "fd00:1::/64"}]])
        rc, out = self.go("ADD", conf, "gocid")
        self.assertEqual(rc, 0, out)
        self.assertEqual(self.addresses(self.add(conf, cid="ccid")), ["10.1.0.3/24", "fd00:1::3/64"])
        self.assertOK(run_plugin("host-local", "CHECK", conf, containerid="gocid"))
        self.assertEqual(self.go("CHECK", conf, "ccid")[0], 0)
        self.assertOK(self.delete(conf, cid="gocid"))
        self.assertEqual(self.go("DEL", conf, "ccid")[0], 0)
        self.assertEqual(self.reservations(), {})
        # the Go plugin carries on round robin from our cursor
        rc, out = self.go("ADD", conf, "again")
        self.assertEqual(json.loads(out)["ips"][0]["address"], "10.1.0.4/24")

    def test_go_on_our_store_with_our_dot_files(self):
        conf = self.conf([[{"subnet": "10.1.0.0/24"}]])
        self.assertOK(self.add(conf, cid="ccid"))
        d = self.netdir()
        # what a killed invocation of ours leaves: temps of a reservation, a cursor, the index
        leftovers = {".10.1.0.3.AbC123": b"victim\r\neth0", ".last_reserved_ip.0.XyZ789": b"10.1.0.3",
                     ".host-local.index.Q1w2E3": b"", ".host-local.boot.R4t5Y6": b""}
        for name, data in leftovers.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
        # the Go plugin takes none of them for a reservation: it allocates 10.1.0.3
        rc, out = self.go("ADD", conf, "gocid")
        self.assertEqual(rc, 0, out)
        self.assertEqual(json.loads(out)["ips"][0]["address"], "10.1.0.3/24")
        self.assertEqual(self.go("CHECK", conf, "ccid")[0], 0)
        self.assertEqual(self.go("DEL", conf, "ccid")[0], 0)
        self.assertEqual(self.go("DEL", conf, "nobody")[0], 0)
        self.assertIn(".host-local.boot", os.listdir(d))
        self.assertIn(".host-local.index", os.listdir(d))
        # our next session sweeps the temps and sees the Go plugin's work
        self.assertOK(run_plugin("host-local", "CHECK", conf, containerid="gocid"))
        self.assertCNIError(run_plugin("host-local", "CHECK", conf, containerid="ccid"), 999)
        self.assertEqual(sorted(f for f in os.listdir(d) if f.startswith(".")), list(OWN_FILES))
        self.assertEqual(self.addresses(self.add(conf, cid="c2")), ["10.1.0.4/24"])
        self.assertEqual(self.go("DEL", conf, "c2")[0], 0)
        self.assertOK(self.delete(conf, cid="gocid"))
        self.assertEqual(self.reservations(), {})

    def test_we_adopt_a_go_store(self):
        conf = self.conf([[{"subnet": "10.1.0.0/24"}]])
        for cid in ("go1", "go2"):
            self.assertEqual(self.go("ADD", conf, cid)[0], 0)
        self.assertNotIn(".host-local.boot", os.listdir(self.netdir()))
        # no boot record: ours records this boot and releases nothing
        self.assertEqual(self.addresses(self.add(conf, cid="c1")), ["10.1.0.4/24"])
        self.assertEqual(sorted(self.reservations()), ["10.1.0.2", "10.1.0.3", "10.1.0.4"])
        with open(os.path.join(self.netdir(), ".host-local.boot"), "rb") as f:
            self.assertEqual(f.read(), b"boot_id " + boot_id().encode() + b"\n")
        self.assertEqual(self.go("CHECK", conf, "go1")[0], 0)
        self.assertEqual(self.go("DEL", conf, "c1")[0], 0)
        self.assertOK(self.delete(conf, cid="go1"))
        self.assertOK(self.delete(conf, cid="go2"))
        self.assertEqual(self.reservations(), {})

    def test_long_container_ids_both_ways(self):
        conf = self.conf([[{"subnet": "10.1.0.0/24"}], [{"subnet": "fd00:1::/64"}]])
        for n in (5000, 20000):
            with self.subTest(n=n):
                go_cid, c_cid = "g" * n, "c" * n
                rc, out = self.go("ADD", conf, go_cid)
                self.assertEqual(rc, 0, out)
                self.assertOK(self.add(conf, cid=c_cid))
                self.assertOK(run_plugin("host-local", "CHECK", conf, containerid=go_cid))
                self.assertEqual(self.go("CHECK", conf, c_cid)[0], 0)
                self.assertOK(self.delete(conf, cid=go_cid))
                self.assertEqual(self.go("DEL", conf, c_cid)[0], 0)
                self.assertEqual(self.reservations(), {})

    def test_interleaved_never_duplicate(self):
        conf = self.conf([[{"subnet": "10.1.0.0/27"}]])
        jobs = []
        for i in range(40):
            jobs.append(("go" if i % 2 else "c", "cid%02d" % i))

        def one(job):
            kind, cid = job
            if kind == "go":
                rc, out = self.go("ADD", conf, cid)
                return cid, rc, out
            r = self.add(conf, cid=cid)
            return cid, r.rc, r.stdout

        with ThreadPoolExecutor(max_workers=16) as ex:
            results = list(ex.map(one, jobs))
        ok = [json.loads(out)["ips"][0]["address"] for _, rc, out in results if rc == 0]
        self.assertEqual(len(ok), 29)
        self.assertEqual(len(set(ok)), 29)
        res = self.reservations()
        self.assertEqual(len(res), 29)
        for cid, rc, out in results:
            if rc == 0:
                ip = json.loads(out)["ips"][0]["address"].split("/")[0]
                self.assertEqual(res[ip], cid.encode() + b"\r\neth0")
        # everyone deletes with the other plugin
        for i, (kind, cid) in enumerate(jobs):
            if kind == "go":
                self.assertOK(self.delete(conf, cid=cid))
            else:
                self.assertEqual(self.go("DEL", conf, cid)[0], 0)
        self.assertEqual(self.reservations(), {})


    def same_tick(self, fn):
        """Run fn, then set the network directory's mtime back to what it was: what a
        change within the clock tick of our last one leaves where mtimes are coarse."""
        d = self.netdir()
        before = os.stat(d).st_mtime_ns
        fn()
        os.utime(d, ns=(os.stat(d).st_atime_ns, before))

    def test_go_changes_our_session_does_not_list(self):
        # A session whose directory did not change since our index was stamped trusts
        # the index; what the Go plugin does unseen is still found when it matters.
        conf = self.conf([[{"subnet": "10.1.0.0/24", "rangeEnd": "10.1.0.6"}]])
        self.assertEqual(self.addresses(self.add(conf, cid="c1")), ["10.1.0.2/24"])
        self.assertEqual(index_stamp(self.netdir()), os.stat(self.netdir()).st_mtime_ns)
        # not allocated twice: link() finds it taken
        self.same_tick(lambda: self.assertEqual(self.go("ADD", conf, "go1")[0], 0))
        self.assertEqual(self.reservations()["10.1.0.3"], b"go1\r\neth0")
        self.assertEqual(self.addresses(self.add(conf, cid="c2")), ["10.1.0.4/24"])
        # released by DEL of its owner
        self.same_tick(lambda: self.assertEqual(self.go("ADD", conf, "go2")[0], 0))
        self.assertEqual(self.reservations()["10.1.0.5"], b"go2\r\neth0")
        self.assertOK(self.delete(conf, cid="go2"))
        self.assertNotIn("10.1.0.5", self.reservations())
        # found by CHECK
        self.same_tick(lambda: self.assertEqual(self.go("ADD", conf, "go5")[0], 0))
        self.assertEqual(self.reservations()["10.1.0.6"], b"go5\r\neth0")
        self.assertOK(run_plugin("host-local", "CHECK", conf, containerid="go5"))
        # freed unseen while the range looked full (.2 c1, .3 go1, .4 c2, .5 c3, .6 go5)
        self.assertEqual(self.addresses(self.add(conf, cid="c3")), ["10.1.0.5/24"])
        self.same_tick(lambda: self.assertEqual(self.go("DEL", conf, "c2")[0], 0))
        self.assertEqual(self.addresses(self.add(conf, cid="c4")), ["10.1.0.4/24"])
        # GC sees everything, a reservation written unseen too
        def put():
            with open(os.path.join(self.netdir(), "10.1.0.9"), "wb") as f:
                f.write(b"gone\r\neth0")
        self.same_tick(put)
        gc = dict(conf, cniVersion="1.1.0")
        gc["cni.dev/valid-attachments"] = [{"containerID": "c4", "ifname": "eth0"}]
        self.assertOK(run_plugin("host-local", "GC", gc, unset=("CNI_CONTAINERID", "CNI_IFNAME")))
        self.assertEqual(self.reservations(), {"10.1.0.4": b"c4\r\neth0"})

class TestHostLocalConcurrency(HostLocalBase):
    def test_parallel_adds(self):
        conf = self.conf([[{"subnet": "10.1.0.0/27"}]])  # .2 - .30: 29 addresses

        def one(i):
            return "c%02d" % i, self.add(conf, cid="c%02d" % i)

        with ThreadPoolExecutor(max_workers=40) as ex:
            results = list(ex.map(one, range(40)))
        ok = {}
        errors = 0
        for cid, r in results:
            if r.rc == 0:
                ok[cid] = r.json["ips"][0]["address"].split("/")[0]
            else:
                self.assertCNIError(r, 999, "no IP addresses available in range set: "
                                    "10.1.0.1-10.1.0.30")
                errors += 1
        self.assertEqual(len(ok), 29)
        self.assertEqual(errors, 11)
        self.assertEqual(len(set(ok.values())), 29)
        self.assertEqual(self.reservations(),
                         {ip: cid.encode() + b"\r\neth0" for cid, ip in ok.items()})
        # and parallel DELs leave nothing behind
        with ThreadPoolExecutor(max_workers=40) as ex:
            dels = list(ex.map(lambda cid: self.delete(conf, cid=cid), list(ok)))
        for r in dels:
            self.assertOK(r)
        self.assertEqual(self.reservations(), {})


if __name__ == "__main__":
    unittest.main()
