#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Runs the black-box / integration tests against built binaries.

usage: run_integration.py --bin DIR [pattern ...]

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
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True, help="directory holding the built plugins")
    ap.add_argument("-v", "--verbose", action="store_true")
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
    if opts.patterns:
        def flatten(s):
            for t in s:
                if isinstance(t, unittest.TestSuite):
                    yield from flatten(t)
                else:
                    yield t
        suite = unittest.TestSuite(t for t in flatten(suite)
                                   if any(p in t.id() for p in opts.patterns))
    runner = unittest.TextTestRunner(verbosity=2 if opts.verbose else 1, buffer=False)
    result = runner.run(suite)
    sys.exit(0 if result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
