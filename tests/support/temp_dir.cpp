#include "support/temp_dir.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdlib>
#include <system_error>

namespace troupe::testing {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "troupe-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp failed for " << pattern;
  }
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::filesystem::path SharedDir() {
  const char* overridden = std::getenv("TROUPE_SHARED_DIR");
  std::filesystem::path dir = overridden != nullptr ? overridden : TROUPE_SHARED_DIR_DEFAULT;
  if (!std::filesystem::is_directory(dir / "models")) {
    ADD_FAILURE() << "shared test data not found at " << dir
                  << " (set TROUPE_SHARED_DIR to the folder holding models/ and testdata/)";
  }
  return dir;
}

std::filesystem::path BinaryDir() { return TROUPE_BINARY_DIR; }

}  // namespace troupe::testing
