# SPDX-License-Identifier: Apache-2.0
# Stress tiers, included by the top Makefile (uses its PROGRAMS and BIN, and the fuzz
# target of tests/fuzz/fuzz.mk). Root: everything runs in network namespaces of its own.
#
#   make stress               the four below, one after the other
#   make stress-kill          SIGKILL at every system call of every plugin run of the
#                             kill scenarios (tests/stress/kill_sweep.py: every
#                             plugin, chained plugins after the chain's earlier ones),
#                             then DEL, leak checks and the next ADD
#   make stress-concurrency   STRESS_STREAMS (64) parallel ADD/DEL streams, STRESS_OPS
#                             (10000) operations on one network (tests/stress/concurrency.py)
#   make stress-nft-race      STRESS_STREAMS parallel bridge/portmap ADD/DEL streams over
#                             STRESS_RESIDENT (500) resident containers, with foreign nft
#                             commits racing them: no failed call, no rule left
#                             (tests/stress/nft_race.py)
#   make fuzz                 every fuzz target for FUZZ_SECONDS (60) each

STRESS_STREAMS ?= 64
STRESS_OPS     ?= 10000
STRESS_TIMEOUT ?= 60
STRESS_RESIDENT ?= 500

.PHONY: stress stress-kill stress-concurrency stress-nft-race
stress:
	$(MAKE) stress-kill
	$(MAKE) stress-concurrency
	$(MAKE) stress-nft-race
	$(MAKE) fuzz

stress-kill: $(PROGRAMS)
	python3 tests/stress/kill_sweep.py --bin $(abspath $(BIN))

stress-concurrency: $(PROGRAMS)
	python3 tests/stress/concurrency.py --bin $(abspath $(BIN)) --streams $(STRESS_STREAMS) \
		--ops $(STRESS_OPS) --timeout $(STRESS_TIMEOUT)

stress-nft-race: $(PROGRAMS)
	python3 tests/stress/nft_race.py --bin $(abspath $(BIN)) --streams $(STRESS_STREAMS) \
		--resident $(STRESS_RESIDENT)
