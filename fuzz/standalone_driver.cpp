// Runs a libFuzzer target without libFuzzer, for the sanitizer build (g++, ASan + UBSan) that
// `make test` runs anyway: every file of the corpus directories first, then random mutations of
// them (bit flips, byte changes, truncations, repeats, splices of two inputs, inserted "interesting"
// bytes) until the time is up. Coverage-guided fuzzing stays with the clang `fuzz` preset
// (`make fuzz`); this keeps every target exercised, against its seeds and beyond, on each run.
//
// Usage: TARGET [-seconds=N] [-seed=N] [-artifact_prefix=P] DIR_OR_FILE...
// A sanitizer report, crash or abort ends the process with an error; the input that caused it is
// written to P + "crash-<n>" first, so it can be replayed by passing that file.
#include <sanitizer/common_interface_defs.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

using Bytes = std::vector<uint8_t>;

const Bytes* g_current = nullptr;  // the input being run, for the crash handlers
std::string g_artifact_prefix = "./";

void SaveCurrentInput() {
  if (g_current == nullptr) return;
  const std::string path = g_artifact_prefix + "crash-" + std::to_string(std::hash<std::string>{}(
                                                              std::string(g_current->begin(), g_current->end())));
  if (std::FILE* out = std::fopen(path.c_str(), "wb")) {
    if (!g_current->empty()) std::fwrite(g_current->data(), 1, g_current->size(), out);
    std::fclose(out);
    std::fprintf(stderr, "standalone fuzz driver: the failing input (%zu bytes) is in %s\n", g_current->size(),
                 path.c_str());
  }
}

extern "C" void OnSanitizerDeath() { SaveCurrentInput(); }

void OnSignal(int signal) {
  SaveCurrentInput();
  std::signal(signal, SIG_DFL);
  std::raise(signal);
}

Bytes ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void Run(const Bytes& input) {
  g_current = &input;
  LLVMFuzzerTestOneInput(input.data(), input.size());
  g_current = nullptr;
}

// One random change; inputs stay under 64 KiB so each run is quick.
Bytes Mutate(const std::vector<Bytes>& pool, std::mt19937_64& random) {
  static const uint8_t kInteresting[] = {0x00, 0x01, 0x7f, 0x80, 0xff, '"', '\\', '{', '}', '[', ']', ':',
                                         ',', '\n', '\r', '\t', ' ', '%', '<', '>', '\'', 0xc3, 0xe2, 0xf0};
  auto pick = [&random](size_t n) { return n == 0 ? 0 : static_cast<size_t>(random() % n); };
  Bytes data = pool[pick(pool.size())];
  const int steps = 1 + static_cast<int>(pick(4));
  for (int step = 0; step < steps; ++step) {
    switch (pick(7)) {
      case 0:  // flip a bit
        if (!data.empty()) data[pick(data.size())] ^= static_cast<uint8_t>(1u << pick(8));
        break;
      case 1:  // replace a byte
        if (!data.empty()) data[pick(data.size())] = static_cast<uint8_t>(random());
        break;
      case 2:  // insert an interesting byte
        data.insert(data.begin() + static_cast<std::ptrdiff_t>(pick(data.size() + 1)),
                    kInteresting[pick(sizeof(kInteresting))]);
        break;
      case 3:  // cut the end or a middle run
        if (!data.empty()) {
          const size_t from = pick(data.size());
          const size_t count = 1 + pick(std::min<size_t>(data.size() - from, 64));
          data.erase(data.begin() + static_cast<std::ptrdiff_t>(from),
                     data.begin() + static_cast<std::ptrdiff_t>(from + count));
        }
        break;
      case 4:  // truncate
        data.resize(pick(data.size() + 1));
        break;
      case 5: {  // repeat a run
        if (data.empty()) break;
        const size_t from = pick(data.size());
        const size_t count = 1 + pick(std::min<size_t>(data.size() - from, 32));
        Bytes run(data.begin() + static_cast<std::ptrdiff_t>(from), data.begin() + static_cast<std::ptrdiff_t>(from + count));
        data.insert(data.begin() + static_cast<std::ptrdiff_t>(pick(data.size() + 1)), run.begin(), run.end());
        break;
      }
      default: {  // splice with another input
        const Bytes& other = pool[pick(pool.size())];
        const size_t keep = pick(data.size() + 1);
        const size_t from = pick(other.size() + 1);
        data.resize(keep);
        data.insert(data.end(), other.begin() + static_cast<std::ptrdiff_t>(from), other.end());
        break;
      }
    }
  }
  if (data.size() > 64 * 1024) data.resize(64 * 1024);
  return data;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 10;
  uint64_t seed = std::random_device{}();
  std::vector<std::filesystem::path> inputs;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("-seconds=", 0) == 0) {
      seconds = std::atof(arg.c_str() + 9);
    } else if (arg.rfind("-seed=", 0) == 0) {
      seed = std::strtoull(arg.c_str() + 6, nullptr, 10);
    } else if (arg.rfind("-artifact_prefix=", 0) == 0) {
      g_artifact_prefix = arg.substr(17);
    } else if (!arg.empty() && arg[0] == '-') {
      std::cerr << "unknown option " << arg << "\nusage: " << argv[0]
                << " [-seconds=N] [-seed=N] [-artifact_prefix=P] DIR_OR_FILE...\n";
      return 2;
    } else {
      inputs.emplace_back(arg);
    }
  }
  __sanitizer_set_death_callback(OnSanitizerDeath);
  for (int signal : {SIGSEGV, SIGABRT, SIGFPE, SIGILL, SIGBUS}) std::signal(signal, OnSignal);

  std::vector<Bytes> pool;
  for (const std::filesystem::path& input : inputs) {
    std::error_code error;
    if (std::filesystem::is_directory(input, error)) {
      std::vector<std::filesystem::path> files;
      for (const auto& entry : std::filesystem::directory_iterator(input)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
      std::sort(files.begin(), files.end());
      for (const auto& file : files) pool.push_back(ReadFile(file));
    } else if (std::filesystem::is_regular_file(input, error)) {
      pool.push_back(ReadFile(input));
    } else {
      std::cerr << input << ": no such file or directory\n";
      return 2;
    }
  }
  // The corpus as it is: a regression suite.
  for (const Bytes& input : pool) Run(input);
  const size_t seeds = pool.size();
  if (pool.empty()) pool.emplace_back();

  std::mt19937_64 random(seed);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  uint64_t runs = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    for (int batch = 0; batch < 64; ++batch, ++runs) {
      Bytes input = Mutate(pool, random);
      Run(input);
      // Keep a few mutants as parents too, so changes accumulate; the pool stays bounded.
      if (random() % 16 == 0) {
        if (pool.size() < seeds + 256) {
          pool.push_back(std::move(input));
        } else {
          pool[seeds + random() % 256] = std::move(input);
        }
      }
    }
  }
  std::cout << "standalone fuzz driver: " << seeds << " corpus inputs and " << runs << " mutations in " << seconds
            << " s (seed " << seed << "), no failure\n";
  return 0;
}
