#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Runs the black-box / integration tests against built binaries.

usage: run_integration.py --bin DIR [--exclude SUBSTRING ...] [pattern ...]

Each tests/integration/test_*.py is a unittest module. Tests that need
network namespaces skip (with the reason) where the kernel or privileges do
not allow creating them; everything else fails loudly.
"""
import argparse
import atexit
import shutil
import tempfile
import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


class TimedResult(unittest.TextTestResult):
    """Records each test module's wall time, so a run ends with where its time went."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.module_seconds = {}
        self._started = 0.0

    def startTest(self, test):
        self._started = time.monotonic()
        super().startTest(test)

    def stopTest(self, test):
        super().stopTest(test)
        module = test.id().split(".")[0]
        self.module_seconds[module] = (self.module_seconds.get(module, 0.0) +
                                       time.monotonic() - self._started)

    def print_slowest(self, n):
        slowest = sorted(self.module_seconds.items(), key=lambda kv: -kv[1])[:n]
        total = sum(self.module_seconds.values())
        self.stream.writeln("time by test module (%.0f s in all): %s" % (
            total, ", ".join("%s %.0f s" % kv for kv in slowest)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True, help="directory holding the built plugins")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--exclude", action="append", default=[],
                    help="leave out the tests whose name holds this substring")
    ap.add_argument("patterns", nargs="*", help="test name substrings to run")
    opts = ap.parse_args()
    os.environ["CNI_TEST_BIN"] = os.path.abspath(opts.bin)
    # portmap's GC ownership markers of test runs go to a private directory.
    state = tempfile.mkdtemp(prefix="cnitest-portmap-state-")
    atexit.register(shutil.rmtree, state, True)
    os.environ["CNI_PORTMAP_STATE_DIR"] = state
    sys.path.insert(0, os.path.join(HERE, "integration"))

    loader = unittest.TestLoader()
    suite = loader.discover(os.path.join(HERE, "integration"), pattern="test_*.py",
                            top_level_dir=os.path.join(HERE, "integration"))
    if opts.patterns or opts.exclude:
        def flatten(s):
            for t in s:
                if isinstance(t, unittest.TestSuite):
                    yield from flatten(t)
                else:
                    yield t
        suite = unittest.TestSuite(
            t for t in flatten(suite)
            if (not opts.patterns or any(p in t.id() for p in opts.patterns)) and
            not any(x in t.id() for x in opts.exclude))
    runner = unittest.TextTestRunner(verbosity=2 if opts.verbose else 1, buffer=False,
                                     resultclass=TimedResult)
    result = runner.run(suite)
    result.print_slowest(15)
    sys.exit(0 if result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
