# SPDX-License-Identifier: Apache-2.0
"""host-local reliability: container IDs of any length, and a store that
survives an invocation killed at any step."""
import json
import os
import shutil
import subprocess
import unittest

from cnitest import BIN, Result, plugin_path, run_plugin
from test_host_local import OWN_FILES, V4, HostLocalBase

STRACE = shutil.which("strace")


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
        self.assertOK(self.delete(conf, cid="nobody"))  # creates the lock
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
        # killed before a rename: cursor, index
        self.put(".last_reserved_ip.0.AAAAAA", b"10.1.0.3")
        self.put(".host-local.index.BBBBBB", b"host-local-index v2 dirst")
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
        ("rename,renameat,renameat2", 1, True),       # cursor temp not renamed
        ("rename,renameat,renameat2", 2, True),       # index temp not renamed
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


if __name__ == "__main__":
    unittest.main()
