#!/usr/bin/env bash
# Installs web/'s npm packages from the committed lock file when they are missing or older than it
# (the build calls this before every UI build; it is quick when nothing changed).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v npm >/dev/null || { echo "npm is missing: run scripts/setup" >&2; exit 1; }
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
