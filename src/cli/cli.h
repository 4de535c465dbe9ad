// The `troupe` command. Exit codes: 0 success, 1 user error (bad input or config), 2 environment
// error (database or network unreachable). Results go to stdout, diagnostics to stderr.
#pragma once

namespace troupe::cli {

int Run(int argc, char** argv);

}  // namespace troupe::cli
