# SPDX-License-Identifier: Apache-2.0
# libFuzzer targets, one per parsing area (tests/fuzz/fuzz_<name>.c). Included by the top
# Makefile, whose PKG_LIBS, ALL_CPPFLAGS, WARN and BUILD it uses.
#
#   make fuzz          build every target and run each for FUZZ_SECONDS (default 60),
#                      from tests/fuzz/seeds/<name> and tests/fuzz/regress/<name>, growing
#                      a working corpus in $(FUZZ_BUILD)/corpus/<name>
#   make fuzz-smoke    run each for FUZZ_SMOKE_SECONDS (default 3) from the seeds alone
#                      (part of make test)
#   make fuzz-build    only build them
#   make fuzz-corpus   regenerate the seeds (tests/fuzz/seeds/<name>; needs root)
#   FUZZ_TARGETS="result skel" make fuzz   run only those
#
# Every source the targets reach is compiled again with clang, coverage instrumentation
# and ASan+UBSan into $(FUZZ_BUILD)/obj (one archive per source directory, since file
# names repeat across plugins). A crash stops the run with the reproducer in
# $(FUZZ_BUILD)/artifacts; tests/fuzz/README.md says how to turn it into a unit test.

FUZZ_CC            ?= clang
FUZZ_BUILD         ?= $(BUILD)/fuzz
FUZZ_SECONDS       ?= 60
FUZZ_SMOKE_SECONDS ?= 3
FUZZ_ALL           := result skel bridge hostlocal_conf hostlocal_store portmap tuning \
		      bandwidth static rtnl nfnl macvlan dummy tap hostdev ipvlan vlan sbr ptp vrf \
		      dhcp4 dhcp_gob dhcp_conf
FUZZ_TARGETS       ?= $(FUZZ_ALL)
FUZZ_SAN           := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
		      -fno-omit-frame-pointer
FUZZ_CFLAGS        := -std=gnu11 -g -O1 $(WARN) -Wno-format-nonliteral $(FUZZ_SAN) -fsanitize=fuzzer-no-link

# Source directories, in link order (users before what they use).
FUZZ_LIB_DIRS := plugins/bridge plugins/host-local-ipam plugins/portmap plugins/tuning \
		 plugins/bandwidth plugins/static-ipam plugins/macvlan plugins/dummy plugins/tap \
		 plugins/host-device plugins/ipvlan plugins/vlan plugins/sbr plugins/ptp plugins/vrf \
		 plugins/dhcp common/ipmasq common/iface common/net common/cni common
FUZZ_LIBS     := $(foreach d,$(FUZZ_LIB_DIRS),$(FUZZ_BUILD)/lib/$(subst /,-,$(d)).a)
FUZZ_BINS     := $(FUZZ_ALL:%=$(FUZZ_BUILD)/fuzz_%)
# The netlink targets answer the library's requests themselves (fake_kernel.c).
FUZZ_FAKE_NL  := $(FUZZ_BUILD)/obj/tests/fuzz/fake_kernel.o $(FUZZ_BUILD)/obj/tests/fuzz/fuzz_nl_ops.o

define fuzz_lib
$(FUZZ_BUILD)/lib/$(subst /,-,$(1)).a: $$(patsubst %.c,$(FUZZ_BUILD)/obj/%.o,$$(filter-out $(1)/main.c,$$(wildcard $(1)/*.c)))
	@mkdir -p $$(@D)
	rm -f $$@
	$$(AR) rcs $$@ $$^
endef
$(foreach d,$(FUZZ_LIB_DIRS),$(eval $(call fuzz_lib,$(d))))

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(ALL_CPPFLAGS) -Itests/fuzz $(FUZZ_CFLAGS) -MMD -MP -c -o $@ $<

$(FUZZ_BUILD)/fuzz_rtnl $(FUZZ_BUILD)/fuzz_nfnl $(FUZZ_BUILD)/fuzz_portmap: $(FUZZ_FAKE_NL) \
		$(FUZZ_BUILD)/nftnl_check

# What fake_kernel.c asks whether libnftnl survives a rule or chain message (ASan, no fuzzer).
$(FUZZ_BUILD)/nftnl_check: tests/fuzz/nftnl_check.c tests/fuzz/fake_kernel.h
	@mkdir -p $(@D)
	$(FUZZ_CC) -std=gnu11 -g -O1 $(WARN) $(ALL_CPPFLAGS) -Itests/fuzz -fsanitize=address -o $@ $< \
		$(PKG_LIBS)

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/obj/tests/fuzz/fuzz_%.o $(FUZZ_LIBS)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $(filter %.o,$^) \
		-Wl,--start-group $(FUZZ_LIBS) -Wl,--end-group $(PKG_LIBS) -lm

# The seed generator of the netlink targets: plain clang with ASan, no fuzzer runtime.
$(FUZZ_BUILD)/gen_nl_corpus: $(FUZZ_BUILD)/obj/tests/fuzz/gen_nl_corpus.o $(FUZZ_FAKE_NL) \
		$(FUZZ_LIBS)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -o $@ $(filter %.o,$^) \
		-Wl,--start-group $(FUZZ_LIBS) -Wl,--end-group $(PKG_LIBS) -lm

.PHONY: fuzz fuzz-smoke fuzz-build fuzz-corpus
fuzz-build: $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)

fuzz: fuzz-build
	sh tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) keep $(FUZZ_TARGETS)

fuzz-smoke: fuzz-build
	sh tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SMOKE_SECONDS) fresh $(FUZZ_TARGETS)

# Seeds: hand-written ones and test-configs/, the inputs of every plugin run of the
# integration suite (needs root and the built plugins in $(BIN)), and the real kernel's
# netlink answers (needs root); then per target what adds coverage.
fuzz-corpus: $(FUZZ_BINS) $(FUZZ_BUILD)/gen_nl_corpus $(PROGRAMS)
	rm -rf $(FUZZ_BUILD)/raw-seeds && mkdir -p $(FUZZ_BUILD)/raw-seeds
	python3 tests/fuzz/gen_corpus.py hand $(FUZZ_BUILD)/raw-seeds
	python3 tests/fuzz/gen_corpus.py capture $(BIN) $(FUZZ_BUILD)/raw-seeds
	$(FUZZ_BUILD)/gen_nl_corpus $(FUZZ_BUILD)/raw-seeds
	sh tests/fuzz/run.sh $(FUZZ_BUILD) 0 merge $(FUZZ_ALL)

-include $(shell find $(FUZZ_BUILD)/obj -name '*.d' 2>/dev/null)
