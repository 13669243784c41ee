# Every target installs what is missing (Debian 12 packages) and builds what it needs first.
BUILD_DIR ?= build
PYTHON    := /usr/bin/python3
APP       ?= flask
JOBS      ?= 2
FUZZ_BUILD_DIR     ?= build-fuzz
FUZZ_SECONDS       ?= 60
SANITIZE_BUILD_DIR ?= build-sanitize

.PHONY: all deps build demo test lint format clean

all: build

deps:
	@sh packaging/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGANTRY_PYTHON=$(PYTHON) > /dev/null
	@cmake --build $(BUILD_DIR) -j$(JOBS)

demo: build
	$(PYTHON) tools/demo.py $(APP)

# clang-tidy runs on the lines changed since main (the whole tree takes 4-5 min on 2 cores).
test: build
	@BUILD_DIR=$(BUILD_DIR) JOBS=$(JOBS) sh tools/tidy.sh changed
	cd $(BUILD_DIR) && ctest --output-on-failure
	@$(MAKE) --no-print-directory fleet
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=5

# The libFuzzer targets (fuzz/), built with clang-14 in their own folder, each run for
# FUZZ_SECONDS; a crash fails the target and leaves its input in $(FUZZ_BUILD_DIR)/artifacts/.
# See docs/fuzzing-and-sanitizers.md.
.PHONY: fuzz
fuzz: deps
	@CC=clang-14 CXX=clang++-14 cmake -S fuzz -B $(FUZZ_BUILD_DIR) > /dev/null
	@cmake --build $(FUZZ_BUILD_DIR) -j$(JOBS)
	@FUZZ_SECONDS=$(FUZZ_SECONDS) sh fuzz/run.sh $(FUZZ_BUILD_DIR)

# The unit tests and the integration suite against a g++ ASan + UBSan build of gantry.
.PHONY: test-sanitize
test-sanitize: deps
	@BUILD_DIR=$(SANITIZE_BUILD_DIR) JOBS=$(JOBS) PYTHON=$(PYTHON) sh tools/test-sanitize.sh

# clang-tidy over every .cpp of ours: exits non-zero on any finding (see .clang-tidy).
lint: build
	@BUILD_DIR=$(BUILD_DIR) JOBS=$(JOBS) sh tools/tidy.sh all

# gantry side by side with uWSGI and gunicorn (installs them if missing); see bench/README.md.
.PHONY: bench
bench: build
	$(PYTHON) bench/run.py

# The keep-alive path alone: nginx's upstream pool -> the HTTP socket, against uwsgi_pass.
.PHONY: bench-keepalive
bench-keepalive: build
	$(PYTHON) bench/run.py --apps hello,flask,django --phases load --no-readme \
		--topologies nginx-tcp,nginx-unix,nginx-keepalive,nginx-keepalive-unix

# Static files: gantry's --static-map against nginx and WhiteNoise (see bench/README.md).
.PHONY: bench-static
bench-static: build
	sh bench/install-peers.sh
	$(PYTHON) bench/static_bench.py

# How cost grows with workers and threads, and memory with workers, against uWSGI.
.PHONY: bench-scaling
bench-scaling: build
	sh bench/install-peers.sh
	$(PYTHON) bench/scaling.py

# What a scraper every 100 ms costs gantry's request path (see bench/README.md).
.PHONY: bench-scrape
bench-scrape: build
	$(PYTHON) bench/scrape_cost.py

# 10,000 idle keep-alive connections on the HTTP socket: their memory, and what they cost the
# busy clients and a new one (see bench/README.md).
.PHONY: bench-idle
bench-idle: build
	$(PYTHON) bench/idle_connections.py

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf $(BUILD_DIR) $(FUZZ_BUILD_DIR) $(SANITIZE_BUILD_DIR)

# Soak test, not part of make test: 10 minutes of mixed load behind nginx with reloads,
# kills and recycling, then a report (see docs/soak.md). make soak SOAK_SECONDS=120 for a
# shorter run; SOAK_ARGS passes more options to tools/soak.py.
SOAK_SECONDS ?= 600
SOAK_ARGS    ?=
.PHONY: soak
soak: build
	$(PYTHON) tools/soak.py --duration $(SOAK_SECONDS) $(SOAK_ARGS)

# The Debian package, built by CPack from a RelWithDebInfo build (-O2; Release's -O3 trips a
# GCC 12 -Wrestrict false positive in std::string) in $(DEB_BUILD_DIR), stripped; prints its path.
# lintian and the fresh Debian 12 install test: make package-test (see tests/package/).
DEB_BUILD_DIR ?= build-deb
# Debian's hardening flags (fortify, stack protector, relro, bindnow), as a package build uses.
DEB_FLAGS := DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags
.PHONY: deb package-test
deb: deps
	@cmake -S . -B $(DEB_BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF -DGANTRY_PYTHON=$(PYTHON) \
		-DCMAKE_CXX_FLAGS="$$($(DEB_FLAGS) --get CPPFLAGS) $$($(DEB_FLAGS) --get CXXFLAGS)" \
		-DCMAKE_EXE_LINKER_FLAGS="$$($(DEB_FLAGS) --get LDFLAGS)" > /dev/null
	@cmake --build $(DEB_BUILD_DIR) -j$(JOBS)
	@cd $(DEB_BUILD_DIR) && cpack -G DEB > cpack.log || { cat cpack.log; exit 1; }
	@ls -1 $$PWD/$(DEB_BUILD_DIR)/gantry_*.deb

# Not part of make test (it downloads a Debian root, several minutes): lintian, the file list
# and systemd-analyze verify (test_deb.sh), then an install into a fresh Debian 12 root that
# serves a request through nginx (fresh_root.sh).
package-test: deb
	@sh packaging/install-package-deps.sh
	@DEB_BUILD_DIR=$(DEB_BUILD_DIR) sh tests/package/test_deb.sh
	@DEB_BUILD_DIR=$(DEB_BUILD_DIR) sh tests/package/fresh_root.sh

# A fleet behind nginx (tests/fleet): three gantry hosts in network namespaces on a private
# bridge (198.18.0.0/15 only), kill -9, rolling deploy, drain, cut-off and restart under load.
# Needs root (ip netns); skips with the reason otherwise. About 40 s; part of make test.
.PHONY: fleet
fleet: build
	GANTRY_BIN=$(abspath $(BUILD_DIR))/gantry PYTHONDONTWRITEBYTECODE=1 $(PYTHON) -m pytest -q -p no:cacheprovider -s tests/fleet
