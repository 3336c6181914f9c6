#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Check the relative links of the project's Markdown files.

Every link that is not a URL must name a file or directory of the checkout, and every
#anchor must be a heading of the file it points into, spelt as GitHub spells heading
anchors. Usage: check-links.py [FILE.md ...] (default: every tracked *.md file).
Prints one line per broken link and exits 1 when there is one.
"""

import os
import re
import subprocess
import sys

FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
CODE_SPAN = re.compile(r"(`+).*?\1")


def slug(text):
    """The anchor GitHub derives from a heading's text."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a link keeps its text
    text = text.lower().replace("`", "")
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def lines_outside_fences(path):
    """(line number, text) of the lines of path that are not inside a fenced block."""
    fenced = False
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if FENCE.match(line):
                fenced = not fenced
                continue
            if not fenced:
                yield n, line.rstrip("\n")


_anchors = {}


def anchors(path):
    """The set of #anchors the headings of path define (duplicates numbered as GitHub does)."""
    if path not in _anchors:
        seen = {}
        found = set()
        for _, line in lines_outside_fences(path):
            m = HEADING.match(line)
            if not m:
                continue
            base = slug(m.group(2))
            k = seen.get(base, 0)
            seen[base] = k + 1
            found.add(base if k == 0 else f"{base}-{k}")
        _anchors[path] = found
    return _anchors[path]


def check(path, root):
    """The broken links of path, as messages."""
    bad = []
    here = os.path.dirname(path)
    for n, line in lines_outside_fences(path):
        for m in LINK.finditer(CODE_SPAN.sub("", line)):
            target = m.group(1)
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):
                continue  # a URL (https:, mailto:, ...)
            file_part, _, anchor = target.partition("#")
            dest = os.path.normpath(os.path.join(here, file_part)) if file_part else path
            where = f"{os.path.relpath(path, root)}:{n}: {target}"
            if not os.path.exists(dest):
                bad.append(f"{where}: no such file")
            elif anchor and dest.endswith(".md") and anchor not in anchors(dest):
                bad.append(f"{where}: no heading #{anchor} in {os.path.relpath(dest, root)}")
    return bad


def main(argv):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    files = argv[1:]
    if not files:
        top = subprocess.run(["git", "-C", root, "rev-parse", "--show-toplevel"],
                             capture_output=True, text=True, check=False)
        out = subprocess.run(["git", "-C", root, "ls-files", "*.md"], capture_output=True,
                             text=True, check=False)
        if top.returncode == 0 and os.path.samefile(top.stdout.strip(), root):
            files = [os.path.join(root, f) for f in out.stdout.split()]
        else:  # not a checkout of its own (a source archive): every *.md below root
            files = []
            for d, subdirs, fs in os.walk(root):
                subdirs[:] = [s for s in subdirs if s not in (".git", "build")]
                files += [os.path.join(d, f) for f in fs if f.endswith(".md")]
    bad = []
    for f in sorted(files):
        if os.path.exists(f):
            bad += check(os.path.abspath(f), root)
    for b in bad:
        print(b)
    print(f"check-links: {len(files)} files, {len(bad)} broken links")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
