#!/usr/bin/env bash
# scripts/check-layers must be able to fail: on tiny source trees built here (a layout table and a
# few files), a clean tree passes, and each kind of crossing (a direct include, one through an
# allowed library's header, another library's private header, a public header exposing a private
# one) fails with its file, line and chain named.
# Usage: check_layers_test.sh PATH_TO_CHECK_LAYERS
set -euo pipefail
check=${1:?usage: check_layers_test.sh PATH_TO_CHECK_LAYERS}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

# A tree of three libraries: core knows nothing of the others; mid may use core; top may use mid
# only, so core is out of its reach even through mid's headers.
make_tree() {
  local tree=$1
  mkdir -p "$tree/docs" "$tree/src/core" "$tree/src/mid" "$tree/src/top"
  cat >"$tree/docs/architecture.md" <<'EOF'
# Fixture

| folder | holds | may use |
|---|---|---|
| src/core | the bottom layer | the standard library |
| src/mid | the middle | core |
| src/top | the top | mid |
| tests/ | not a library | |
EOF
  printf '#pragma once\nint Core();\n' >"$tree/src/core/core.h"
  printf '#include "core/core.h"\nint Core() { return 1; }\n' >"$tree/src/core/core.cpp"
  printf '#pragma once\nint Secret();\n' >"$tree/src/mid/secret_internal.h"
  printf '#pragma once\nint Mid();\n' >"$tree/src/mid/mid.h"
  printf '#include "mid/mid.h"\n\n#include "core/core.h"\n#include "mid/secret_internal.h"\nint Mid() { return Core(); }\n' \
    >"$tree/src/mid/mid.cpp"
  printf '#pragma once\n#include "mid/mid.h"\nint Top();\n' >"$tree/src/top/top.h"
  printf '#include "top/top.h"\nint Top() { return Mid(); }\n' >"$tree/src/top/top.cpp"
}

# Runs the check on `tree`; expects exit status `want` and every further argument in its output.
expect() {
  local name=$1 tree=$2 want=$3
  shift 3
  local output status=0
  output=$("$check" "$tree" 2>&1) || status=$?
  if [ "$status" -ne "$want" ]; then
    echo "FAIL $name: exit status $status, want $want; output:"
    echo "$output"
    failures=$((failures + 1))
    return
  fi
  for needle in "$@"; do
    if ! grep -qF -- "$needle" <<<"$output"; then
      echo "FAIL $name: output lacks: $needle"
      echo "$output"
      failures=$((failures + 1))
      return
    fi
  done
  echo "ok   $name"
}

make_tree "$work/clean"
expect clean "$work/clean" 0 "reach only what docs/architecture.md allows"

make_tree "$work/direct"
printf '#include "top/top.h"\n#include "core/core.h"\nint Both() { return Top() + Core(); }\n' \
  >"$work/direct/src/top/both.cpp"
expect direct_crossing "$work/direct" 1 "src/top/both.cpp:2: top -> core"

# mid/mid.h (which top may use) starts including core/core.h: top reaches core through it.
make_tree "$work/transitive"
printf '#pragma once\n\n#include "core/core.h"\nint Mid();\n' >"$work/transitive/src/mid/mid.h"
expect transitive_crossing "$work/transitive" 1 "src/top/top.h:2: top -> core via mid/mid.h:3 -> core/core.h"
# Reported once, on top's header that reaches it, not again on top.cpp through that header.
if "$check" "$work/transitive" | grep -q 'top.cpp'; then
  echo "FAIL transitive_crossing: reported again through top's own header"
  failures=$((failures + 1))
fi

# A longer chain: core is reached through two of mid's headers.
make_tree "$work/chain"
printf '#pragma once\n#include "core/core.h"\n' >"$work/chain/src/mid/base.h"
printf '#pragma once\n#include "mid/base.h"\nint Mid();\n' >"$work/chain/src/mid/mid.h"
expect transitive_chain "$work/chain" 1 "src/top/top.h:2: top -> core via mid/mid.h:2 -> mid/base.h:2 -> core/core.h"

make_tree "$work/private"
printf '#include "mid/secret_internal.h"\nint Peek() { return Secret(); }\n' >"$work/private/src/top/peek.cpp"
expect private_header "$work/private" 1 "src/top/peek.cpp:1: top includes mid's private header mid/secret_internal.h"

make_tree "$work/leak"
printf '#pragma once\n#include "mid/secret_internal.h"\nint Mid();\n' >"$work/leak/src/mid/mid.h"
expect private_header_made_public "$work/leak" 1 "src/mid/mid.h:2: public header includes private mid/secret_internal.h"

make_tree "$work/norow"
mkdir -p "$work/norow/src/extra"
printf 'int Extra();\n' >"$work/norow/src/extra/extra.h"
expect library_without_a_row "$work/norow" 2 "src/extra has no row"

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all checks passed"
