#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# scripts/check-links.py on small Markdown files: good links pass, and a missing file, a
# missing anchor (in the same file and in another) each make it fail, naming the link.
# TAP output; exits 1 if any case went the wrong way.
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
check="$here/scripts/check-links.py"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

. "$here/tests/scripts/tap.sh"

mkdir -p "$work/docs"
cat >"$work/docs/a.md" <<'MD'
# Page A

## The `dhcp daemon` (flags)

## Twice
## Twice

See [b](../b.md#second-part), [self](#the-dhcp-daemon-flags), [dup](#twice-1),
[dir](.), [url](https://example.org/x#y) and `[code](nowhere.md)`.

```sh
[in a fence](nowhere.md)
```
MD
printf '# B\n\n## Second part\n\n[a](docs/a.md#page-a)\n' >"$work/b.md"

if out=$(python3 "$check" "$work/docs/a.md" "$work/b.md" 2>&1); then
	ok "good links pass"
else
	not_ok "good links pass: $out"
fi

# expect_fail WHAT TEXT MESSAGE: b.md gains TEXT; the check must fail and print MESSAGE
expect_fail() {
	cp "$work/b.md" "$work/b.md.orig"
	printf '%s\n' "$2" >>"$work/b.md"
	if out=$(python3 "$check" "$work/docs/a.md" "$work/b.md" 2>&1); then
		not_ok "$1: check passed"
	elif printf '%s\n' "$out" | grep -qF -- "$3"; then
		ok "$1"
	else
		not_ok "$1: no '$3' in: $out"
	fi
	mv "$work/b.md.orig" "$work/b.md"
}

expect_fail "missing file" "[x](docs/c.md)" "docs/c.md: no such file"
expect_fail "missing anchor in another file" "[x](docs/a.md#nope)" "no heading #nope in"
expect_fail "missing anchor in the same file" "[x](#twice-2)" "no heading #twice-2"
expect_fail "anchor of a heading in a fence" "[x](docs/a.md#in-a-fence)" "no heading #in-a-fence"

tap_done
