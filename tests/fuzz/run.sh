#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Run libFuzzer targets one after the other: run.sh BUILD SECONDS MODE NAME...
#
# MODE keep:  each target starts from its seeds (tests/fuzz/seeds/NAME), its regression
#             inputs (tests/fuzz/regress/NAME, replayed first and never changed) and a
#             working corpus BUILD/corpus/NAME, kept between runs, for SECONDS
# MODE fresh: the same with the working corpus emptied first (make fuzz-smoke)
# MODE merge: no fuzzing: tests/fuzz/seeds/NAME becomes the inputs of BUILD/raw-seeds/NAME
#             and of the old seeds that add coverage (libFuzzer's -merge=1)
#
# A target's output goes to BUILD/log/NAME.log; one line per target sums it up. A crash,
# leak, timeout or failed property leaves its input in BUILD/artifacts/ and makes the run
# fail after every target had its turn.
set -u
build=$1
seconds=$2
mode=$3
shift 3
here=$(dirname "$0")
mkdir -p "$build/log" "$build/artifacts"
failed=""
total_start=$(date +%s)
for t in "$@"; do
	bin="$build/fuzz_$t"
	seeds="$here/seeds/$t"
	regress="$here/regress/$t"
	work="$build/corpus/$t"
	log="$build/log/$t.log"
	mkdir -p "$seeds" "$regress"
	if [ "$mode" = merge ]; then
		old="$build/seeds-old/$t"
		rm -rf "$old" && mkdir -p "$old" "$build/raw-seeds/$t" && cp -r "$seeds/." "$old/"
		find "$seeds" -type f -delete
		if "$bin" -merge=1 -timeout=10 -rss_limit_mb=2048 -max_len=16384 "$seeds" \
			"$build/raw-seeds/$t" "$old" >"$log" 2>&1; then
			echo "fuzz $t: $(find "$seeds" -type f | wc -l) seeds"
		else
			echo "fuzz $t: merge FAILED, log $log"
			cp -r "$old/." "$seeds/"
			failed="$failed $t"
		fi
		continue
	fi
	[ "$mode" = fresh ] && rm -rf "$work"
	mkdir -p "$work"
	dict=""
	[ -f "$here/dict/$t.dict" ] && dict="-dict=$here/dict/$t.dict"
	start=$(date +%s)
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
		-print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" $dict \
		"$work" "$regress" "$seeds" >"$log" 2>&1
	rc=$?
	took=$(($(date +%s) - start))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
	units=$(find "$work" -type f | wc -l)
	if [ $rc -eq 0 ]; then
		printf 'fuzz %-16s ok   %4ss %9s runs  cov %5s  corpus %s\n' "$t" "$took" \
			"${execs:-?}" "${cov:-?}" "$units"
	else
		printf 'fuzz %-16s FAIL %4ss (exit %s), log %s\n' "$t" "$took" "$rc" "$log"
		grep -E 'ERROR|SUMMARY|property failed|Test unit written|runtime error' "$log" |
			head -n 20 | sed 's/^/    /'
		failed="$failed $t"
	fi
done
echo "fuzz: $# targets, $(($(date +%s) - total_start))s in total"
if [ -n "$failed" ]; then
	echo "fuzz: failed:$failed"
	exit 1
fi
