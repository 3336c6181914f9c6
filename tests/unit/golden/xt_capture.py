#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Capture what iptables-nft sends for a list of commands, as golden batches.

Usage: xt_capture.py COMMANDS OUT (as root). COMMANDS holds one iptables-nft/ip6tables-nft
argument list per line (blank lines and '#' lines are skipped). All commands run in one
fresh network namespace, in order, each under `strace -e write=<netlink fd>`; OUT gets,
per command, a line "> <command>" followed by one line per message of its batch (without
BATCH_BEGIN/END): "<type hex> <flags hex> <family> <payload hex after nfgenmsg>"."""
import re
import shlex
import struct
import subprocess
import sys
import tempfile


def batches(path):
    """The buffers strace dumped for sendmsg(), one bytearray each."""
    out, cur = [], None
    for line in open(path, encoding="utf-8", errors="replace"):
        if line.startswith(" * ") and "bytes in buffer" in line:
            cur = bytearray()
            out.append(cur)
            continue
        m = re.match(r" \| [0-9a-f]{5}  ((?:[0-9a-f]{2} {1,2})+)", line)
        if m and cur is not None:
            cur += bytes.fromhex(m.group(1).replace(" ", ""))
    return out


def messages(buf):
    off = 0
    while off + 16 <= len(buf):
        ln, typ, flags = struct.unpack_from("<IHH", buf, off)
        if typ not in (0x10, 0x11):  # NFNL_MSG_BATCH_BEGIN / END
            yield "%04x %04x %d %s" % (typ, flags, buf[off + 16], buf[off + 20:off + ln].hex())
        off += (ln + 3) & ~3


def main():
    cmds = [l.strip() for l in open(sys.argv[1]) if l.strip() and not l.startswith("#")]
    ns = "xtcap%d" % (hash(sys.argv[1]) & 0xFFFF)
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        with open(sys.argv[2], "w") as out, tempfile.TemporaryDirectory() as tmp:
            for cmd in cmds:
                trace = tmp + "/trace"
                argv = shlex.split(cmd)
                subprocess.run(["ip", "netns", "exec", ns, "strace", "-o", trace, "-xx",
                                "-e", "trace=sendmsg", "-e", "write=3"] + argv, check=True)
                out.write("> %s\n" % cmd)
                for b in batches(trace):
                    for m in messages(b):
                        out.write(m + "\n")
    finally:
        subprocess.run(["ip", "netns", "del", ns])


if __name__ == "__main__":
    main()
