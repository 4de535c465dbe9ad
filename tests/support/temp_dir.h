// A directory under the system temp dir that is removed, with everything in it, on destruction.
#pragma once

#include <filesystem>
#include <string>

namespace troupe::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// The shared/ folder beside the repository (or $TROUPE_SHARED_DIR). Fails the test loudly when
// it is missing: tests never skip for want of their data.
std::filesystem::path SharedDir();

// The build tree, for tests that run the troupe binary or helper programs.
std::filesystem::path BinaryDir();

}  // namespace troupe::testing
