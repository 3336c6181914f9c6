# SPDX-License-Identifier: Apache-2.0
"""host-local reliability: container IDs of any length, a store that survives
an invocation killed at any step, and the release of reservations made before
a reboot (`reclaimOnReboot`).

A "reboot" is simulated without touching the host: the plugin runs in a
private mount namespace in which another boot ID is bind-mounted over
/proc/sys/kernel/random/boot_id, and in a time namespace whose CLOCK_BOOTTIME
puts the start of that boot a moment ago, after the reservations the class
prepared ("the earlier boot") and before everything the tests do.
"""
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest
import uuid
from concurrent.futures import ThreadPoolExecutor

from cnitest import BIN, Result, plugin_path, run_plugin
from test_host_local import GO_PLUGIN, OWN_FILES, V4, HostLocalBase, boot_id, index_stamp

V6 = [[{"subnet": "fd00:1::/64"}]]
STRACE = shutil.which("strace")
UNSHARE = shutil.which("unshare")


def plugin_env(command, cid, ifname, env=None):
    """The CNI_* environment run_plugin() gives a plugin."""
    e = {k: v for k, v in os.environ.items()
         if not k.startswith("CNI_") or k in ("CNI_TEST_BIN",)}
    e.update({"CNI_COMMAND": command, "CNI_CONTAINERID": cid, "CNI_NETNS": "/var/run/netns/none",
              "CNI_IFNAME": ifname, "CNI_PATH": BIN})
    e.update(env or {})
    return e


def run_wrapped(prefix, command, conf, cid="testcid", ifname="eth0", env=None):
    """Run bin/host-local behind the command words in prefix."""
    p = subprocess.run(prefix + [plugin_path("host-local")], input=json.dumps(conf).encode(),
                       capture_output=True, env=plugin_env(command, cid, ifname, env), timeout=60)
    return Result(p.returncode, p.stdout.decode(errors="replace"),
                  p.stderr.decode(errors="replace"))


def dot_files(d):
    return sorted(f for f in os.listdir(d) if f.startswith("."))


class TestHostLocalLongIDs(HostLocalBase):
    """The spec sets no limit on a container ID; the store must match owners of any length."""

    def test_long_ids_add_check_del_gc(self):
        for n in (4091, 5000, 20000):
            for index in ("1", "0"):
                with self.subTest(n=n, index=index):
                    env = {"HOSTLOCAL_INDEX": index}
                    conf = self.conf([[{"subnet": "10.1.0.0/24"}], [{"subnet": "fd00:1::/64"}]],
                                     version="1.1.0", name="n%d-%s" % (n, index))
                    a, b = "a" * n, "b" * n
                    self.assertEqual(self.addresses(self.add(conf, cid=a, env=env)),
                                     ["10.1.0.2/24", "fd00:1::2/64"])
                    self.assertOK(self.add(conf, cid=b, env=env))
                    res = self.reservations(conf["name"])
                    self.assertEqual(res["10.1.0.2"], a.encode() + b"\r\neth0")
                    self.assertOK(run_plugin("host-local", "CHECK", conf, containerid=a, env=env))
                    res = self.add(conf, cid=a, env=env)
                    self.assertCNIError(res, 999, "... (%d characters), duplicate allocation is "
                                        "not allowed" % n)
                    # GC keeps the valid long owner and drops the other
                    gc = dict(conf)
                    gc["cni.dev/valid-attachments"] = [{"containerID": a, "ifname": "eth0"}]
                    self.assertOK(run_plugin("host-local", "GC", gc, env=env,
                                             unset=("CNI_CONTAINERID", "CNI_IFNAME")))
                    self.assertEqual(sorted(self.reservations(conf["name"])),
                                     ["10.1.0.2", "fd00:1::2"])
                    self.assertCNIError(run_plugin("host-local", "CHECK", conf, containerid=b,
                                                   env=env), 999)
                    self.assertOK(self.delete(conf, cid=a, env=env))
                    self.assertEqual(self.reservations(conf["name"]), {})


class TestHostLocalKillSafety(HostLocalBase):
    """What an invocation killed at any step leaves behind does not leak an address."""

    def prepared(self):
        conf = self.conf(V4, version="1.1.0")
        self.assertOK(self.delete(conf, cid="nobody"))  # creates lock, boot record
        return conf

    def put(self, name, data=b""):
        with open(os.path.join(self.netdir(), name), "wb") as f:
            f.write(data)

    def test_leftovers_by_hand(self):
        conf = self.prepared()
        d = self.netdir()
        # killed before the write, before the link, after the link (two names of one file)
        self.put(".10.1.0.2.AbC123")
        self.put(".10.1.0.3.XyZ789", b"victim\r\neth0")
        self.put("10.1.0.4", b"linked\r\neth0")
        os.link(os.path.join(d, "10.1.0.4"), os.path.join(d, ".10.1.0.4.L1nK3d"))
        # killed before a rename: cursor, index, boot record
        self.put(".last_reserved_ip.0.AAAAAA", b"10.1.0.3")
        self.put(".host-local.index.BBBBBB", b"host-local-index v2 dirst")
        self.put(".host-local.boot.CCCCCC")
        # killed between create and write (the reference plugin, or an older version of ours)
        self.put("10.1.0.5")
        # not ours: stays
        self.put(".10.1.0.6.toolong7", b"victim\r\neth0")
        self.put(".other.ABCDEF")
        # the completed reservation is its owner's until DEL; the others are not anyone's
        self.assertOK(run_plugin("host-local", "CHECK", conf, containerid="linked"))
        self.assertCNIError(run_plugin("host-local", "CHECK", conf, containerid="victim"), 999)
        self.assertEqual(dot_files(d), [".10.1.0.6.toolong7"] + list(OWN_FILES) + [".other.ABCDEF"])
        # no address was lost
        self.assertEqual(self.addresses(self.add(conf, cid="next")), ["10.1.0.2/24"])
        self.assertEqual(self.addresses(self.add(conf, cid="next2")), ["10.1.0.3/24"])
        self.assertEqual(self.addresses(self.add(conf, cid="next3")), ["10.1.0.5/24"])
        self.assertOK(self.delete(conf, cid="victim"))
        self.assertOK(self.delete(conf, cid="linked"))
        gc = dict(conf)
        gc["cni.dev/valid-attachments"] = [{"containerID": c, "ifname": "eth0"}
                                           for c in ("next", "next2")]
        self.assertOK(run_plugin("host-local", "GC", gc, unset=("CNI_CONTAINERID", "CNI_IFNAME")))
        self.assertEqual({k: v for k, v in self.reservations().items() if k[0] != "."},
                         {"10.1.0.2": b"next\r\neth0", "10.1.0.3": b"next2\r\neth0"})
        for ip in ("10.1.0.2", "10.1.0.3"):
            self.assertEqual(os.stat(os.path.join(d, ip)).st_nlink, 1)

    def test_empty_reservation_released_by_del_and_add(self):
        conf = self.prepared()
        self.put("10.1.0.2")
        self.put("10.1.0.3", b" \n")
        self.assertOK(self.delete(conf, cid="whoever"))
        self.assertEqual(self.reservations(), {})
        self.assertEqual(self.addresses(self.add(conf, cid="c")), ["10.1.0.2/24"])

    # (syscall names, invocation): each step of an ADD at which a kill leaves something
    KILL_POINTS = [
        ("write", 1, False),                          # reservation temp created, still empty
        ("linkat", 1, False),                         # temp written, not linked
        ("unlink,unlinkat", 1, True),                 # linked, temp name not removed
        ("pwrite64", 1, True),                        # cursor created, still empty
        ("write", 2, True),                           # index created, still empty
        ("ftruncate", 1, True),                       # index written in place, not cut
        ("pwrite64", 2, True),                        # index cut, stamp not written
    ]

    @unittest.skipUnless(STRACE, "strace not installed (apt-get install strace)")
    def test_real_kill_at_every_step(self):
        for syscalls, when, reserved in self.KILL_POINTS:
            with self.subTest(syscalls=syscalls, when=when):
                self.data = self.tmpdir()
                conf = self.prepared()
                prefix = [STRACE, "-f", "-qq", "-o", "/dev/null",
                          "--inject=%s:signal=KILL:when=%d" % (syscalls, when)]
                res = run_wrapped(prefix, "ADD", conf, cid="killed")
                self.assertNotEqual(res.rc, 0, res)
                self.assertEqual(res.stdout, "")
                # the next container gets the address unless the killed one completed it
                got = self.addresses(self.add(conf, cid="next"))
                self.assertEqual(got, ["10.1.0.3/24" if reserved else "10.1.0.2/24"])
                # the runtime's DEL after the failed ADD releases whatever it got
                self.assertOK(self.delete(conf, cid="killed"))
                self.assertEqual(list(self.reservations().values()), [b"next\r\neth0"])
                self.assertEqual(dot_files(self.netdir()), list(OWN_FILES))


def can_fake_reboot():
    if not UNSHARE or os.geteuid() != 0:
        return False
    p = subprocess.run([UNSHARE, "-m", "--propagation", "private", "--time", "--boottime", "0",
                        "sh", "-c", "mount --bind /proc/sys/kernel/random/boot_id "
                        "/proc/sys/kernel/random/boot_id"], capture_output=True)
    return p.returncode == 0


@unittest.skipUnless(can_fake_reboot(), "needs root, unshare(1) and mount and time namespaces")
class TestHostLocalReboot(HostLocalBase):
    """reclaimOnReboot (on by default): the first use after a reboot releases every
    reservation made before the machine booted."""

    @classmethod
    def setUpClass(cls):
        cls.root = tempfile.mkdtemp(prefix="cnitest-reboot-")
        # removed even when the preparation fails
        cls.addClassCleanup(shutil.rmtree, cls.root, True)
        cls.prepared = {}
        # the earlier boot: each test's store, made before the simulated boot starts
        for name in sorted(dir(cls)):
            if name.startswith("earlier_"):
                d = os.path.join(cls.root, name[len("earlier_"):])
                os.mkdir(d)
                getattr(cls, name)(d)
                cls.prepared["test_" + name[len("earlier_"):]] = d
        # The simulated boot starts at a whole second of this boot's CLOCK_BOOTTIME (the
        # namespace offset is in seconds), at least 0.1 s after every prepared file's ctime
        # (the plugin releases files whose ctime is before the boot), and before everything
        # the tests do: wait for the clock to pass that second.
        start = int(time.clock_gettime(time.CLOCK_BOOTTIME) + 0.1) + 1
        time.sleep(max(0.0, start - time.clock_gettime(time.CLOCK_BOOTTIME)))
        cls.boottime = -start
        cls.new_boot = os.path.join(cls.root, "boot_id")
        with open(cls.new_boot, "w") as f:
            f.write(str(uuid.uuid4()) + "\n")

    def setUp(self):
        super().setUp()
        if self._testMethodName in self.prepared:
            self.data = self.prepared[self._testMethodName]
        self.log = os.path.join(self.tmpdir(), "log")

    @staticmethod
    def prep_conf(data, ranges=V4, version="1.1.0", **ipam):
        ipam.update({"type": "host-local", "dataDir": data, "ranges": ranges})
        return {"cniVersion": version, "name": "hlnet", "ipam": ipam}

    @classmethod
    def prep_add(cls, data, cid, ranges=V4, env=None, **ipam):
        res = run_plugin("host-local", "ADD", cls.prep_conf(data, ranges, **ipam),
                         containerid=cid, env=env)
        assert res.rc == 0, res

    def conf(self, ranges=V4, version="1.1.0", **ipam):
        c = super().conf(ranges, version=version, **ipam)
        c["logFile"] = self.log
        return c

    def booted(self, command, conf, cid="testcid", ifname="eth0", boot=None, env=None):
        """Run the plugin in the boot that started after the prepared stores."""
        prefix = [UNSHARE, "-m", "--propagation", "private", "--time", "--boottime",
                  str(self.boottime), "sh", "-c",
                  'mount --bind "$0" /proc/sys/kernel/random/boot_id && exec "$@"',
                  boot or self.new_boot]
        return run_wrapped(prefix, command, conf, cid, ifname, env)

    def record(self):
        p = os.path.join(self.netdir(), ".host-local.boot")
        if not os.path.exists(p):
            return None
        with open(p, "rb") as f:
            data = f.read()
        self.assertTrue(data.startswith(b"boot_id ") and data.endswith(b"\n"), data)
        return data[8:-1].decode()

    def new_boot_id(self):
        with open(self.new_boot) as f:
            return f.read().strip()

    def log_lines(self, what):
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            return [line for line in f if what in line]

    # -- a store used by this plugin only

    @classmethod
    def earlier_reboot_releases_earlier_reservations(cls, data):
        for cid in ("old1", "old2"):
            cls.prep_add(data, cid, V4 + V6)

    def test_reboot_releases_earlier_reservations(self):
        conf = self.conf(V4 + V6)
        self.assertEqual(self.record(), boot_id())
        self.assertEqual(len(self.reservations()), 4)
        # the index is stamped with the directory's mtime: only the boot tells to list it
        self.assertEqual(index_stamp(self.netdir()), os.stat(self.netdir()).st_mtime_ns)
        # the container is created again after the reboot, under the same ID
        res = self.booted("ADD", conf, cid="old1")
        self.assertEqual(self.addresses(res), ["10.1.0.4/24", "fd00:1::4/64"])
        self.assertEqual(res.stderr, "")
        self.assertEqual(self.reservations(), {"10.1.0.4": b"old1\r\neth0",
                                               "fd00:1::4": b"old1\r\neth0"})
        self.assertEqual(self.record(), self.new_boot_id())
        self.assertEqual(len(self.log_lines("released 4 reservation(s) of earlier boots")), 1)
        # later uses in the same boot release nothing
        self.assertOK(self.booted("DEL", conf, cid="old2"))
        self.assertOK(self.booted("ADD", conf, cid="new"))
        self.assertOK(self.booted("CHECK", conf, cid="old1"))
        self.assertEqual(sorted(self.reservations()),
                         ["10.1.0.4", "10.1.0.5", "fd00:1::4", "fd00:1::5"])
        self.assertEqual(len(self.log_lines("of earlier boots")), 1)
        self.assertEqual(dot_files(self.netdir()), list(OWN_FILES))

    @classmethod
    def earlier_reboot_without_index(cls, data):
        cls.prep_add(data, "old", env={"HOSTLOCAL_INDEX": "0"})

    def test_reboot_without_index(self):
        conf = self.conf()
        env = {"HOSTLOCAL_INDEX": "0"}
        self.assertNotIn(".host-local.index", os.listdir(self.netdir()))
        self.assertEqual(self.addresses(self.booted("ADD", conf, cid="old", env=env)),
                         ["10.1.0.3/24"])
        self.assertEqual(self.reservations(), {"10.1.0.3": b"old\r\neth0"})

    # -- reservations made in this boot by writers that keep no boot record

    @classmethod
    def earlier_current_boot_reservations_stay(cls, data):
        cls.prep_add(data, "old1")
        cls.prep_add(data, "old2", reclaimOnReboot=False)

    def test_current_boot_reservations_stay(self):
        conf = self.conf()
        off = self.conf(reclaimOnReboot=False)
        # reclaimOnReboot false: nothing is released and the record is left alone
        self.assertEqual(self.addresses(self.booted("ADD", off, cid="new1")), ["10.1.0.4/24"])
        self.assertEqual(self.record(), boot_id())
        self.assertEqual(sorted(self.reservations()), ["10.1.0.2", "10.1.0.3", "10.1.0.4"])
        # a reservation of this boot as the reference plugin (no boot record) writes it
        if os.path.exists(GO_PLUGIN):
            e = plugin_env("ADD", "gonew", "eth0")
            e["CNI_PATH"] = os.path.dirname(GO_PLUGIN)
            p = subprocess.run([GO_PLUGIN], input=json.dumps(dict(conf, cniVersion="1.0.0")).encode(),
                               env=e, capture_output=True)
            self.assertEqual(p.returncode, 0, p)
        else:
            with open(os.path.join(self.netdir(), "10.1.0.5"), "wb") as f:
                f.write(b"gonew\r\neth0")
        # turned on: the first use releases the earlier boot's reservations only
        self.assertOK(self.booted("DEL", conf, cid="nobody"))
        self.assertEqual(self.reservations(), {"10.1.0.4": b"new1\r\neth0",
                                               "10.1.0.5": b"gonew\r\neth0"})
        self.assertEqual(self.record(), self.new_boot_id())
        self.assertEqual(len(self.log_lines("released 2 reservation(s) of earlier boots")), 1)
        self.assertOK(self.booted("CHECK", conf, cid="gonew"))
        self.assertOK(self.booted("CHECK", off, cid="new1"))

    # -- a store only the reference plugin used: adopted, nothing released

    @classmethod
    def earlier_store_without_record_adopted(cls, data):
        conf = cls.prep_conf(data, version="1.0.0")  # the reference 1.1.1 speaks up to 1.0.0
        if os.path.exists(GO_PLUGIN):
            for cid in ("go1", "go2"):
                e = plugin_env("ADD", cid, "eth0")
                e["CNI_PATH"] = os.path.dirname(GO_PLUGIN)
                p = subprocess.run([GO_PLUGIN], input=json.dumps(conf).encode(), env=e,
                                   capture_output=True)
                assert p.returncode == 0, p
        else:
            d = os.path.join(data, "hlnet")
            os.makedirs(d)
            for name, content in (("lock", b""), ("10.1.0.2", b"go1\r\neth0"),
                                  ("10.1.0.3", b"go2\r\neth0"), ("last_reserved_ip.0", b"10.1.0.3")):
                with open(os.path.join(d, name), "wb") as f:
                    f.write(content)

    def test_store_without_record_adopted(self):
        conf = self.conf()
        self.assertIsNone(self.record())
        self.assertOK(self.booted("DEL", conf, cid="nobody"))
        self.assertEqual(sorted(self.reservations()), ["10.1.0.2", "10.1.0.3"])
        self.assertEqual(self.record(), self.new_boot_id())
        self.assertEqual(len(self.log_lines("had no boot record")), 1)
        self.assertOK(self.booted("CHECK", conf, cid="go1"))
        self.assertEqual(len(self.log_lines("had no boot record")), 1)

    # -- several plugins using the store for the first time at once

    @classmethod
    def earlier_concurrent_first_use(cls, data):
        for i in range(10):
            cls.prep_add(data, "o%02d" % i, [[{"subnet": "10.1.0.0/27"}]])

    def test_concurrent_first_use(self):
        conf = self.conf([[{"subnet": "10.1.0.0/27"}]])  # 29 addresses, 10 of them taken
        # 25 ADDs: the 10 old containers again and 15 new ones; only fits once the old go
        cids = ["o%02d" % i for i in range(10)] + ["n%02d" % i for i in range(15)]
        with ThreadPoolExecutor(max_workers=25) as ex:
            results = list(ex.map(lambda c: (c, self.booted("ADD", conf, cid=c)), cids))
        got = {}
        for cid, res in results:
            got[cid] = self.addresses(res)[0].split("/")[0]
        self.assertEqual(len(set(got.values())), 25)
        self.assertEqual(self.reservations(),
                         {ip: cid.encode() + b"\r\neth0" for cid, ip in got.items()})
        lines = self.log_lines("since a reboot")
        self.assertEqual(len(lines), 1, lines)
        self.assertIn("released 10 reservation(s) of earlier boots", lines[0])
        self.assertEqual(self.record(), self.new_boot_id())

    # -- the boot cannot be told: nothing released, a warning

    @classmethod
    def earlier_unreadable_boot_id(cls, data):
        cls.prep_add(data, "old")

    def test_unreadable_boot_id(self):
        conf = self.conf()
        empty = os.path.join(self.tmpdir(), "empty")
        open(empty, "w").close()
        res = self.booted("ADD", conf, cid="new", boot=empty)
        self.assertOK(res)
        self.assertIn("reclaimOnReboot: could not read /proc/sys/kernel/random/boot_id", res.stderr)
        self.assertEqual(sorted(self.reservations()), ["10.1.0.2", "10.1.0.3"])
        self.assertEqual(self.record(), boot_id())

    # -- killed in the middle of the release: the next use finishes it

    @classmethod
    def earlier_killed_during_release(cls, data):
        for cid in ("old1", "old2", "old3"):
            cls.prep_add(data, cid)

    @unittest.skipUnless(STRACE, "strace not installed (apt-get install strace)")
    def test_killed_during_release(self):
        conf = self.conf()
        prefix = [UNSHARE, "-m", "--propagation", "private", "--time", "--boottime",
                  str(self.boottime), "sh", "-c",
                  'mount --bind "$0" /proc/sys/kernel/random/boot_id && exec "$@"',
                  self.new_boot, STRACE, "-f", "-qq", "-o", "/dev/null",
                  "--inject=unlinkat:signal=KILL:when=2"]
        res = run_wrapped(prefix, "DEL", conf, cid="nobody")
        self.assertNotEqual(res.rc, 0, res)
        self.assertEqual(len(self.reservations()), 2)
        self.assertEqual(self.record(), boot_id())
        self.assertOK(self.booted("DEL", conf, cid="nobody"))
        self.assertEqual(self.reservations(), {})
        self.assertEqual(self.record(), self.new_boot_id())


if __name__ == "__main__":
    unittest.main()
