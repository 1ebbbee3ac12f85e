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

.PHONY: all deps build build-asan test test-fast test-asan test-fuzz demo format clean

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

test: test-fast test-asan test-fuzz

# The lifecycle demo against the Azure emulator needs the emulator and the daemon, which do not exist yet.
# Until they do, show the two pieces that do: the schedule calendar and the retention dry run.
demo: build
	@echo "restorepointd demo: the daemon (restorepointd run) is not built yet; this shows the core and the emulator instead."
	@echo
	@echo "$$ restorepointd calendar '0 1 * * SUN' --timezone Europe/Berlin --from 2026-03-20T00:00:00Z --count 4"
	@$(BUILD)/daemon/restorepointd calendar '0 1 * * SUN' --timezone Europe/Berlin --from 2026-03-20T00:00:00Z --count 4
	@echo
	@echo "$$ restorepointd calendar '30 2 * * *' --timezone Europe/Berlin --from 2026-03-27T12:00:00Z --count 3   # 29 March has no 02:30"
	@$(BUILD)/daemon/restorepointd calendar '30 2 * * *' --timezone Europe/Berlin --from 2026-03-27T12:00:00Z --count 3
	@echo
	@echo "$$ (one point every 12 hours for 10 days) | restorepointd retention --keep-last 2 --keep-daily 3 --keep-weekly 2"
	@$(BUILD)/daemon/restorepointd calendar 'every 12h' --from 2026-11-15T00:00:00Z --count 20 \
	  | $(BUILD)/daemon/restorepointd retention --keep-last 2 --keep-daily 3 --keep-weekly 2
	@echo
	@echo "$$ azure-emulator, driven by Azure's own Python SDK: a collection and a restore point, created and deleted"
	@/usr/bin/python3 tests/emulator/sdk_check.py --emulator $(BUILD)/tests/emulator/azure-emulator \
	  --fixture tests/emulator/fixtures/small.yaml

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ)
