# SPDX-License-Identifier: Apache-2.0
# Non-recursive build of the CNI plugin suite.
#
#   make                 build the plugins into bin/ (bridge host-local portmap loopback
#                        static tuning bandwidth firewall dummy tap host-device ipvlan
#                        vlan sbr ptp vrf) and bin/cnitool
#   make check           seam check and link check of the Markdown files (each with its
#                        own test), unit tests and the about texts (no privileges needed;
#                        TAP output)
#   make check-root      integration tests (root, in network namespaces of their own)
#   make check-vm        the integration tests that need kernel features, on Debian's stock
#                        kernel under QEMU (VM_TESTS: which ones, VM_TIMEOUT: seconds)
#   make test            check, check-root, deb-check and dist-check, check and check-root
#                        again under ASan+UBSan, check-vm, check-deb-vm, then a short fuzz
#                        run (the README's test command)
#   make SANITIZE=1 ...  the same with ASan+UBSan, in build/san/ (binaries in build/san/bin)
#   make check-format    fail if any C file is not clang-formatted
#   make install         install every plugin into $(DESTDIR)$(CNI_BIN_DIR), cnitool into
#                        $(DESTDIR)$(PREFIX)/bin
#   make deb             build $(DEB_BUILD)/cni-c-plugins_<version>_<arch>.deb (plugins in
#                        /usr/lib/cni, like Debian's containernetworking-plugins)
#   make deb-check       build the package and check its contents (part of make test)
#   make dist            the source archive $(BUILD)/cni-c-<version>.tar.gz (git archive of HEAD)
#   make dist-check      build it, check its contents and that it builds (part of make test)
#   make check-deb-vm    install, upgrade, downgrade, remove and purge it beside Debian's
#                        containernetworking-plugins in a QEMU guest (part of make test)
#   make demo            the container-networking demo (demo/demo.sh)
#   make demo-cluster    the three-node cluster demo (namespaces of its own)
#   make fuzz, fuzz-smoke, stress, stress-kill, stress-concurrency, stress-nft-race
#                        the heavier tiers (tests/fuzz/fuzz.mk, tests/stress/stress.mk)
#   make bench           benchmarks side by side with the reference plugins (bench/results.md)

# The release: its version (the VERSION file, the one place it is written) and the
# maintainer the Debian package names (a placeholder address; DEB_MAINTAINER= overrides).
VERSION        := $(shell cat VERSION 2>/dev/null)
ifeq ($(VERSION),)
$(error VERSION is missing or empty)
endif
DEB_MAINTAINER ?= cni-c maintainers <cni-c@localhost>

CC        ?= cc
PKGS      := libcjson libmnl libnftnl
CFLAGS    ?= -O2 -g
WARN      := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
             -Wno-unused-parameter -Wno-missing-field-initializers
ifeq ($(WERROR),1)
WARN      += -Werror
endif

ifeq ($(SANITIZE),1)
BUILD     ?= build/san
BIN       ?= build/san/bin
SANFLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
BUILD     ?= build/rel
BIN       ?= bin
SANFLAGS  :=
endif

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lcjson -lmnl -lnftnl)
ALL_CPPFLAGS := -D_GNU_SOURCE -Icommon -Iplugins -Itools $(PKG_CFLAGS) $(CPPFLAGS)
# Each function and object in a section of its own, so that the linker drops what a
# program does not use from the shared archives (a plugin stays small).
SECTIONS     := -ffunction-sections -fdata-sections
ALL_CFLAGS   := -std=gnu11 $(WARN) $(SANFLAGS) $(SECTIONS) $(CFLAGS)
ALL_LDFLAGS  := $(SANFLAGS) -Wl,--gc-sections $(LDFLAGS)

PREFIX      ?= /usr/local
CNI_BIN_DIR ?= /opt/cni/bin
SYSTEMD_UNIT_DIR ?= /lib/systemd/system

.PHONY: all clean check check-root check-seam check-links check-about unit integration check-format format install deps demo demo-cluster bench test deb deb-check
all:

# ---- common libraries --------------------------------------------------------
# Archives along the seam of common/: the CNI protocol (cJSON) with the shared
# basics of common/*.c, the kernel side (libmnl/libnftnl), and common/iface/,
# the container-interface shape, and common/ipmasq/, the masquerade rules of
# bridge and ptp, which speak both. Each archive uses the ones after it, so the
# link order is ipmasq and iface, kernel, protocol.
CNI_SRC := $(wildcard common/*.c common/cni/*.c)
NET_SRC := $(wildcard common/net/*.c)
IFACE_SRC := $(wildcard common/iface/*.c)
IPMASQ_SRC := $(wildcard common/ipmasq/*.c)
CNI_LIB := $(BUILD)/libcniproto.a
NET_LIB := $(BUILD)/libcninet.a
IFACE_LIB := $(BUILD)/libcniiface.a
IPMASQ_LIB := $(BUILD)/libcniipmasq.a
COMMON_LIB := $(IPMASQ_LIB) $(IFACE_LIB) $(NET_LIB) $(CNI_LIB)

$(CNI_LIB): $(CNI_SRC:%.c=$(BUILD)/%.o)
$(NET_LIB): $(NET_SRC:%.c=$(BUILD)/%.o)
$(IFACE_LIB): $(IFACE_SRC:%.c=$(BUILD)/%.o)
$(IPMASQ_LIB): $(IPMASQ_SRC:%.c=$(BUILD)/%.o)
$(CNI_LIB) $(NET_LIB) $(IFACE_LIB) $(IPMASQ_LIB):
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

# ---- programs: $(1)=short name, $(2)=source dir, $(3)=binary name -----------
# Every .c in the directory except main.c goes into lib$(1).a so unit tests
# can link against the plugin logic.
PROGRAM_LIBS :=
PROGRAMS :=
define program
$(1)_SRC := $$(filter-out $(2)/main.c,$$(wildcard $(2)/*.c))
$(1)_OBJ := $$($(1)_SRC:%.c=$$(BUILD)/%.o)
$$(BUILD)/lib$(1).a: $$($(1)_OBJ)
	@mkdir -p $$(@D)
	rm -f $$@
	$$(AR) rcs $$@ $$^
$$(BIN)/$(3): $$(BUILD)/$(2)/main.o $$(BUILD)/lib$(1).a $$(COMMON_LIB)
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_LDFLAGS) -o $$@ $$^ $$(PKG_LIBS)
ifneq ($$(wildcard $(2)/main.c),)
PROGRAMS += $$(BIN)/$(3)
endif
ifneq ($$($(1)_SRC),)
PROGRAM_LIBS += $$(BUILD)/lib$(1).a
endif
endef

$(eval $(call program,hostlocal,plugins/host-local-ipam,host-local))
$(eval $(call program,bridge,plugins/bridge,bridge))
$(eval $(call program,portmap,plugins/portmap,portmap))
$(eval $(call program,loopback,plugins/loopback,loopback))
$(eval $(call program,static,plugins/static-ipam,static))
$(eval $(call program,tuning,plugins/tuning,tuning))
$(eval $(call program,bandwidth,plugins/bandwidth,bandwidth))
$(eval $(call program,firewall,plugins/firewall,firewall))
$(eval $(call program,macvlan,plugins/macvlan,macvlan))
$(eval $(call program,dummy,plugins/dummy,dummy))
$(eval $(call program,tap,plugins/tap,tap))
$(eval $(call program,hostdev,plugins/host-device,host-device))
$(eval $(call program,ipvlan,plugins/ipvlan,ipvlan))
$(eval $(call program,vlan,plugins/vlan,vlan))
$(eval $(call program,sbr,plugins/sbr,sbr))
$(eval $(call program,ptp,plugins/ptp,ptp))
$(eval $(call program,vrf,plugins/vrf,vrf))
$(eval $(call program,dhcp,plugins/dhcp,dhcp))
$(eval $(call program,cnitool,tools/cnitool,cnitool))

all: $(PROGRAMS)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# The version reaches one object, the skeleton's (cni_suite_version), rebuilt when it changes.
$(BUILD)/common/cni/cni.o: VERSION
$(BUILD)/common/cni/cni.o: ALL_CPPFLAGS += -DCNI_C_VERSION='"$(VERSION)"'

# ---- tests -----------------------------------------------------------------
UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

$(BUILD)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(PROGRAM_LIBS) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) -Itests/unit $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< \
		$(PROGRAM_LIBS) $(COMMON_LIB) $(PKG_LIBS)

# Every unit binary runs (TAP output), then one summary; a failure does not stop the rest.
unit: $(UNIT_BIN) $(PROGRAMS)
	@sh tests/unit/run.sh $(UNIT_BIN)

integration: $(PROGRAMS)
	python3 tests/run_integration.py --bin $(abspath $(BIN)) $(if $(TESTS_EXCLUDE),--exclude $(TESTS_EXCLUDE)) $(TESTS)

# The tests of kernel features the machine's own kernel may lack (802.1Q, bridge VLAN
# filtering, ...) in one QEMU guest on Debian's stock kernel (scripts/vm/check-vm.sh);
# inside it a test skipped for a kernel reason fails.
VM_TESTS   ?= test_bridge_vlan. BridgeTest.test_vlan VlanTest. test_dummy. DummyConfigTest. HostDeviceKernelTest. \
	      test_ipvlan. test_vlan. test_configs.IpvlanTest test_configs.VlanPluginTest \
	      PodmanIpvlanTest. test_vrf. VrfConfigTest.
VM_UNIT    ?= $(BUILD)/tests/test_nl $(BUILD)/tests/test_dummy $(BUILD)/tests/test_nl_vrf $(BUILD)/tests/test_vrf
VM_TIMEOUT ?= 900
.PHONY: check-vm
check-vm: $(PROGRAMS) $(VM_UNIT)
	VM_TIMEOUT=$(VM_TIMEOUT) VM_UNIT="$(VM_UNIT)" sh scripts/vm/check-vm.sh build/vm $(BIN) $(VM_TESTS)

# libFuzzer targets (make fuzz, make fuzz-smoke) and the stress tiers (make stress).
include tests/fuzz/fuzz.mk
$(FUZZ_BUILD)/obj/common/cni/cni.o: VERSION
$(FUZZ_BUILD)/obj/common/cni/cni.o: ALL_CPPFLAGS += -DCNI_C_VERSION='"$(VERSION)"'
include tests/stress/stress.mk

# Tiers: check needs no privileges (its live unit tests skip without them);
# check-root runs the plugins in network namespaces of its own (root).
check: check-seam check-links unit check-about

# Every plugin's about text and cnitool's --version name the VERSION file's version.
check-about: $(PROGRAMS)
	@mkdir -p $(BUILD)
	@sh tests/scripts/test_about.sh $(BIN) $(VERSION) $(notdir $(filter-out %/cnitool,$(PROGRAMS))) \
		>$(BUILD)/about-test.tap 2>&1 || \
		{ cat $(BUILD)/about-test.tap; echo "the about test failed"; exit 1; }
	@echo "about texts ok ($$(grep -c '^ok' $(BUILD)/about-test.tap) cases, v$(VERSION))"
check-root: integration

# The README's two commands: `make deps demo` and `make deps test`.
deps:
	sh scripts/install-deps.sh

demo: all
	bash demo/demo.sh

# Three nodes, their pods, routes between the podCIDRs, and a drain (demo/cluster.sh).
demo-cluster: all
	bash demo/cluster.sh

# Side by side with the reference plugins; writes bench/results.md and the plot.
bench: deps all
	python3 bench/run.py --bin $(abspath $(BIN))

# Everything, then everything again under ASan+UBSan but the kill injection sample: what a
# kill point checks is the state a killed plugin leaves, which the build does not change, and
# the sample takes a tenth of the integration tier's time.
test:
	$(MAKE) check check-root deb-check dist-check
	$(MAKE) SANITIZE=1 check check-root TESTS_EXCLUDE=test_kill.
	$(MAKE) check-vm
	$(MAKE) check-deb-vm
	$(MAKE) fuzz-smoke

# ---- housekeeping ----------------------------------------------------------
# The layering of the sources (scripts/check-seam.sh says each rule), then the check's own
# test: each deliberate violation in a copy of the tree must make it fail.
check-seam:
	@sh scripts/check-seam.sh
	@mkdir -p $(BUILD)
	@sh tests/scripts/test_check_seam.sh >$(BUILD)/check-seam-test.tap 2>&1 || \
		{ cat $(BUILD)/check-seam-test.tap; echo "check-seam's own test failed"; exit 1; }
	@echo "seam check's test ok ($$(grep -c '^ok' $(BUILD)/check-seam-test.tap) cases)"

# Every relative link and #anchor of the Markdown files resolves (scripts/check-links.py),
# then the check's own test.
check-links:
	@python3 scripts/check-links.py
	@mkdir -p $(BUILD)
	@sh tests/scripts/test_check_links.sh >$(BUILD)/check-links-test.tap 2>&1 || \
		{ cat $(BUILD)/check-links-test.tap; echo "check-links' own test failed"; exit 1; }
	@echo "link check's test ok ($$(grep -c '^ok' $(BUILD)/check-links-test.tap) cases)"

FMT_SRC = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
check-format:
	@out=$$(for f in $(FMT_SRC); do clang-format --style=file $$f | diff -q $$f - >/dev/null || echo $$f; done); \
	if [ -n "$$out" ]; then echo "not clang-formatted:"; echo "$$out"; exit 1; fi; echo "format ok"

format:
	clang-format --style=file -i $(FMT_SRC)

# Every program but cnitool is a plugin (bridge, host-local, portmap, loopback, static,
# tuning, bandwidth, firewall, dummy, tap, host-device, ptp, dhcp, as their directories
# exist); dhcp's daemon has the systemd units cni-dhcp.socket and cni-dhcp.service.
install: all
	install -d $(DESTDIR)$(CNI_BIN_DIR) $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(filter-out %/cnitool,$(PROGRAMS)) $(DESTDIR)$(CNI_BIN_DIR)/
	install -m 0755 $(filter %/cnitool,$(PROGRAMS)) $(DESTDIR)$(PREFIX)/bin/
	install -d $(DESTDIR)$(SYSTEMD_UNIT_DIR)
	install -m 0644 packaging/systemd/cni-dhcp.socket $(DESTDIR)$(SYSTEMD_UNIT_DIR)/
	sed 's|@CNI_BIN_DIR@|$(CNI_BIN_DIR)|' packaging/systemd/cni-dhcp.service.in \
		>$(DESTDIR)$(SYSTEMD_UNIT_DIR)/cni-dhcp.service
	chmod 0644 $(DESTDIR)$(SYSTEMD_UNIT_DIR)/cni-dhcp.service

# ---- Debian package ------------------------------------------------------------------
# A release build with Debian's hardening flags in $(DEB_BUILD) (never sanitized; the
# sanitizer run of `make test` shares the release run's), installed into
# $(DEB_BUILD)/debian/cni-c-plugins and packed by scripts/mkdeb.sh with dpkg-deb.
DEB_BUILD      ?= $(patsubst %/san,%/rel,$(BUILD))/deb
DEB_VERSION    ?= $(VERSION)
DEB_FLAGS       = DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --get
DEB_MAKE        = $(MAKE) SANITIZE= BUILD=$(DEB_BUILD)/obj BIN=$(DEB_BUILD)/bin \
		  CFLAGS="$$($(DEB_FLAGS) CFLAGS)" CPPFLAGS="$$($(DEB_FLAGS) CPPFLAGS)" \
		  LDFLAGS="$$($(DEB_FLAGS) LDFLAGS)"

deb:
	$(DEB_MAKE) all
	rm -rf $(DEB_BUILD)/debian $(DEB_BUILD)/*.deb
	$(DEB_MAKE) install DESTDIR=$(abspath $(DEB_BUILD))/debian/cni-c-plugins \
		CNI_BIN_DIR=/usr/lib/cni PREFIX=/usr
	sh scripts/mkdeb.sh $(DEB_BUILD) $(DEB_VERSION) "$(DEB_MAINTAINER)"

deb-check: deb
	sh scripts/deb-check.sh $(DEB_BUILD)/cni-c-plugins_$(DEB_VERSION)_*.deb \
		packaging/deb/files.txt

# The source archive of the release: the files of the last commit (git archive of HEAD;
# what is not committed is not in it) under cni-c-<version>/, dated by that commit, so the
# same commit always gives the same archive.
DIST := $(patsubst %/san,%/rel,$(BUILD))/cni-c-$(VERSION).tar.gz
.PHONY: dist dist-check
dist:
	@mkdir -p $(dir $(DIST))
	git -c tar.tar.gz.command='gzip -9cn' archive --format=tar.gz --prefix=cni-c-$(VERSION)/ \
		-o $(DIST).tmp HEAD
	mv $(DIST).tmp $(DIST)
	@echo $(DIST)

dist-check: dist
	sh scripts/dist-check.sh $(DIST) $(VERSION)

# The package's installation, upgrades, downgrades, removal and purge beside (and without)
# Debian's containernetworking-plugins, with the real dpkg, in one QEMU guest whose root
# is a throwaway overlay (scripts/vm/check-deb-vm.sh, tests/deb/scenarios.sh).
.PHONY: check-deb-vm
check-deb-vm: deb
	VM_TIMEOUT=$(VM_TIMEOUT) sh scripts/vm/check-deb-vm.sh build/vm $(DEB_BUILD) $(DEB_VERSION) \
		"$(DEB_MAINTAINER)"

clean:
	rm -rf build bin

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
