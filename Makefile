# The two commands a newcomer needs: `make run` and `make test`. Both install what is missing first.
.PHONY: setup build run test test-release test-asan test-fuzz bench clean

LISTEN ?= 127.0.0.1:8080

setup:
	@scripts/setup

build: setup
	@cmake --preset release >/dev/null
	@cmake --build --preset release

run: build
	@LISTEN=$(LISTEN) scripts/run

test: setup test-release test-asan test-fuzz

test-release:
	@cmake --preset release >/dev/null
	@cmake --build --preset release
	@ctest --preset release

test-asan:
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan
	@ctest --preset asan

test-fuzz:
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz --target fuzz_targets
	@ctest --preset fuzz

bench: build
	@scripts/setup --bench
	@bench/run

clean:
	rm -rf build
