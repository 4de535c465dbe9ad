# The two commands a newcomer needs: `make run` and `make test`. Both install what is missing first.
.PHONY: setup build run test test-release test-asan fuzz bench clean

LISTEN ?= 127.0.0.1:8080

setup:
	@scripts/setup

build: setup
	@cmake --preset release >/dev/null
	@cmake --build --preset release

run: build
	@LISTEN=$(LISTEN) scripts/run

# The sanitizer pass also runs every fuzz target (seed corpus, then random mutations); `make fuzz`
# runs them under libFuzzer (clang, coverage-guided), which needs a third build.
test: setup test-release test-asan

test-release:
	@cmake --preset release >/dev/null
	@cmake --build --preset release
	@ctest --preset release

test-asan:
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan
	@ctest --preset asan

fuzz: setup
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz --target fuzz_targets
	@ctest --preset fuzz

bench: build
	@scripts/setup --bench
	@bench/run

clean:
	rm -rf build
