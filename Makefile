# The two commands a newcomer needs: `make run` and `make test`. Both install what is missing first.
.PHONY: setup build run test test-release test-release-binary test-asan test-tsan fuzz bench clean

LISTEN ?= 127.0.0.1:8080

setup:
	@scripts/setup

# The binary `make run` serves (the test suite is built by the test targets).
build: setup
	@cmake --preset release >/dev/null
	@cmake --build --preset release --target troupe

run: build
	@LISTEN=$(LISTEN) scripts/run

# make test: the release binary (what `make run` serves, built with -O2 -Werror) and the tests
# that drive it from outside (browser, npm client), then every test under ASan + UBSan, fuzz targets
# included (seeds, then random mutations). Two full builds of the suite would not fit CI's time;
# `make test-release` runs the whole suite on the release build. `make fuzz` runs the fuzz targets
# under libFuzzer (clang, coverage-guided).
test: setup test-release-binary test-asan

test-release-binary:
	@cmake --preset release >/dev/null
	@cmake --build --preset release --target troupe
	@ctest --preset release -L binary

test-release:
	@cmake --preset release >/dev/null
	@cmake --build --preset release
	@ctest --preset release

test-asan:
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan
	@ctest --preset asan

# ThreadSanitizer over the tests where threads meet: the base clocks and pools, the store's writer,
# the providers, the chat runtime's turns, the HTTP server and the API.
TSAN_TESTS := base_test store_test llm_provider_test chat_test server_test api_test
test-tsan: setup
	@cmake --preset tsan >/dev/null
	@cmake --build --preset tsan --target $(TSAN_TESTS)
	@ctest --preset tsan -R '^(base_test|store_test|llm_provider_test|chat_test_[0-9]+|server_test|api_test)$$'

fuzz: setup
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz --target fuzz_targets
	@ctest --preset fuzz

bench: build
	@scripts/setup --bench
	@bench/run

clean:
	rm -rf build
