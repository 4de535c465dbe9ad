// Reading test inputs whole.
#pragma once

#include <filesystem>
#include <string>

namespace troupe::testing {

// The file's bytes; when it cannot be opened, a test failure that names it and "".
std::string ReadFile(const std::filesystem::path& path);

// A file of the shared/ folder, e.g. ReadSharedFile("testdata/cards/v2_dr_light.png").
std::string ReadSharedFile(const std::filesystem::path& relative);

}  // namespace troupe::testing
