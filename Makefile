# The two commands of the README. Both install missing build dependencies (as root), configure and build.
#   make demo   build, then show restorepointd at work
#   make test   build, run the whole suite through CTest, then again under ASan+UBSan

BUILD      ?= build
BUILD_ASAN ?= build-asan
BUILD_FUZZ ?= build-fuzz
FUZZ_SECONDS ?= 150
FUZZ_RUNS  ?= 12000
FUZZ_SEED  ?= 1
JOBS       ?= $(shell nproc)

.PHONY: all deps build build-asan test test-fast test-asan test-fuzz test-package package demo format clean

all: build

deps:
	@./packaging/install-build-deps.sh

# Configuring again is cheap and idempotent; ninja comes with the build dependencies.
build: deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD) -j $(JOBS)

build-asan: deps
	cmake -S . -B $(BUILD_ASAN) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DRESTOREPOINTD_SANITIZE=ON
	cmake --build $(BUILD_ASAN) -j $(JOBS)

test-fast: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

test-asan: build-asan
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(BUILD_ASAN) --output-on-failure -j $(JOBS)

# The configuration loader under libFuzzer (clang), seeded with the shipped and broken files. A fixed seed and a
# count of runs make CI's fuzzing repeatable: a finding reproduces with the same command; the time is only a cap.
# Explore further by hand with another FUZZ_SEED and more FUZZ_RUNS.
test-fuzz: deps
	cmake -S . -B $(BUILD_FUZZ) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++ -DRESTOREPOINTD_FUZZ=ON
	cmake --build $(BUILD_FUZZ) -j $(JOBS)
	rm -rf $(BUILD_FUZZ)/corpus && mkdir -p $(BUILD_FUZZ)/corpus
	for f in config/restorepointd.yaml config/examples/*.yaml tests/config/broken/*/*.yaml; do \
	  cp "$$f" $(BUILD_FUZZ)/corpus/$$(echo "$$f" | tr / _); done
	ASAN_OPTIONS=detect_leaks=1 $(BUILD_FUZZ)/tests/fuzz/config_fuzz -seed=$(FUZZ_SEED) -runs=$(FUZZ_RUNS) \
	  -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
	  -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 $(BUILD_FUZZ)/corpus > $(BUILD_FUZZ)/fuzz.log 2>&1; \
	  status=$$?; tail -n 8 $(BUILD_FUZZ)/fuzz.log; exit $$status

# The .deb and .rpm from the release build (cpack), in $(BUILD).
package: build
	cd $(BUILD) && cpack -G "DEB;RPM"

# The packages' contents, lintian, an install into a throw-away root and the unit's verify and security; then
# the system calls and socket families of `restorepointd run` (as nobody, under strace) against the unit's filters.
test-package: package
	./tests/packaging/check-package.sh $(BUILD) $(CURDIR)
	./tests/packaging/check-syscalls.sh $(BUILD)/daemon/restorepointd $(BUILD)/tests/emulator/azure-emulator config/examples/demo

test: test-fast test-package test-asan test-fuzz

# The lifecycle demo: the daemon against the Azure emulator, both sped up, for about a minute.
demo: build
	$(BUILD)/daemon/restorepointd demo --emulator $(BUILD)/tests/emulator/azure-emulator --demo-dir config/examples/demo

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ)
