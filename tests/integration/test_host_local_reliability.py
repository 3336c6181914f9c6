# SPDX-License-Identifier: Apache-2.0
"""host-local reliability: container IDs of any length."""
import unittest

from cnitest import run_plugin
from test_host_local import HostLocalBase


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


if __name__ == "__main__":
    unittest.main()
