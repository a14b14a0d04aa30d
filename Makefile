#   Gavel: the two commands a newcomer needs are `make demo` and `make test`.
#   Both install the Debian packages they need when they are missing.

BUILD      ?= build
TEST_BUILD ?= build/sanitize
JOBS       ?= 2
CMAKE_OPTS ?=
#   CI builds with -Werror
ifneq ($(CI),)
CMAKE_OPTS += -DGAVEL_WERROR=ON
endif

FUZZ_BUILD   ?= build/fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= codec core store snapshot config script keys

.PHONY: all deps build demo test bench fuzz chaos liveness install package clean

all: build

MAKEFLAGS += --no-print-directory

deps:
	@bash tools/install-deps

build: deps
	@cmake -S . -B $(BUILD) $(CMAKE_OPTS) >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

#   Tests build with AddressSanitizer and UndefinedBehaviorSanitizer; any
#   report fails the test that caused it. The simulator's 1,000 seeds run
#   in the optimised build (the sanitized one runs 200).
#   As root the short fault campaign runs too (chaos_short): its packages
test: deps
	@[ "$$(id -u)" -ne 0 ] || bash tools/install-deps --chaos
	@bash tools/install-deps --browser || echo "gavel: Chromium could not be installed: the browser test will say SKIP"
	@cmake -S . -B $(BUILD) $(CMAKE_OPTS) >/dev/null
	@cmake --build $(BUILD) -j$(JOBS) --target gavel_sim
	@cmake -S . -B $(TEST_BUILD) -DGAVEL_SANITIZE=ON -DGAVEL_SIM_FAST=$(abspath $(BUILD))/bin/gavel_sim $(CMAKE_OPTS) >/dev/null
	@cmake --build $(TEST_BUILD) -j$(JOBS)
	@cd $(TEST_BUILD) && ctest --output-on-failure --timeout 300 -j$(JOBS)

#   make demo WEB=1: the live page too (WEB_PORT, default 8080), up until Ctrl-C
demo: build
	@WEB=$(WEB) WEB_PORT=$(WEB_PORT) bash tools/demo $(BUILD)/bin

#   make install [PREFIX=/usr/local] [DESTDIR=/tmp/stage]: the programs, the
#   systemd units (which name PREFIX/bin) and the docs
PREFIX ?= /usr/local
install: deps
	@cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_OPTS) >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)
	@DESTDIR=$(DESTDIR) cmake --install $(BUILD)

#   make package: a Debian package of a release build (build/package), for
#   apt-get install ./build/package/gavel_*.deb on any host of the cluster
PACKAGE_BUILD ?= build/package
package: deps
	@cmake -S . -B $(PACKAGE_BUILD) -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr $(CMAKE_OPTS) >/dev/null
	@cmake --build $(PACKAGE_BUILD) -j$(JOBS)
	@cd $(PACKAGE_BUILD) && cpack -G DEB
	@ls $(PACKAGE_BUILD)/gavel_*.deb

#   The standard benchmark: a release build, then bench/standard (about three
#   minutes; BENCH_SECONDS=N sets the seconds per load run, default 10)
bench: build
	@bash bench/standard $(BUILD)/bin

#   Coverage-guided fuzzing (tests/fuzz/README.md): a clang build with
#   libFuzzer, ASan and UBSan, then each target for FUZZ_SECONDS (default 60);
#   FUZZ_TARGETS picks some. New crashes go to tests/fuzz/crashes/.
fuzz:
	@bash tools/install-deps fuzz
	@cmake -S . -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=clang -DGAVEL_FUZZ=ON $(CMAKE_OPTS) >/dev/null
	@cmake --build $(FUZZ_BUILD) -j$(JOBS) --target $(addprefix fuzz-,$(FUZZ_TARGETS))
	@bash tests/fuzz/run $(FUZZ_BUILD)/bin $(FUZZ_SECONDS) $(FUZZ_TARGETS)

#   The fault campaign (as root): RUNS runs of CHAOS_SECONDS (default 120)
#   against replicas in network namespaces, then a table (docs/CORRECTNESS.md,
#   "Fault campaigns")
RUNS ?= 1
chaos:
	@bash tools/install-deps --chaos
	@cmake -S . -B $(TEST_BUILD) -DGAVEL_SANITIZE=ON $(CMAKE_OPTS) >/dev/null
	@cmake --build $(TEST_BUILD) -j$(JOBS)
	@bash tests/chaos/chaos.sh $(TEST_BUILD)/bin $(RUNS)

#   The liveness figures (as root, about 7 minutes): a backup healed after
#   a 20 s partition, 10 times; 60 s of 150 ms one-way delay between replicas
liveness:
	@bash tools/install-deps --chaos
	@cmake -S . -B $(TEST_BUILD) -DGAVEL_SANITIZE=ON $(CMAKE_OPTS) >/dev/null
	@cmake --build $(TEST_BUILD) -j$(JOBS)
	@bash tests/chaos/liveness.sh $(TEST_BUILD)/bin

clean:
	rm -rf $(BUILD)
