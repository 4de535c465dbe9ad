#!/usr/bin/env bash
# ctest entry: a real `troupe serve` on loopback with stories260K, driven by the official openai npm
# package (openai_client.mjs). Usage: run_openai_test.sh TROUPE_BINARY SHARED_DIR WORK_DIR
set -euo pipefail
troupe=$1 shared=${TROUPE_SHARED_DIR:-$2} work=$3
here=$(cd "$(dirname "$0")" && pwd)
command -v npm >/dev/null || { echo "npm is missing: run scripts/setup" >&2; exit 1; }
model="$shared/models/stories260K.gguf"
[ -f "$model" ] || { echo "missing $model (set TROUPE_SHARED_DIR)" >&2; exit 1; }

# The package, installed once per build directory from the committed lock file.
mkdir -p "$work/npm"
if ! cmp -s "$here/package-lock.json" "$work/npm/package-lock.json" || [ ! -d "$work/npm/node_modules/openai" ]; then
  cp "$here/package.json" "$here/package-lock.json" "$work/npm/"
  (cd "$work/npm" && npm ci --no-audit --no-fund --loglevel=error)
fi
cp "$here/openai_client.mjs" "$work/npm/"

data=$(mktemp -d)
server_pid=
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$data"; }
trap cleanup EXIT
export TROUPE_DATA=$data
"$troupe" db migrate >/dev/null
cat > "$data/lily.json" <<'CARD'
{"spec": "chara_card_v2", "spec_version": "2.0",
 "data": {"name": "Lily", "description": "A girl who loves stories.", "first_mes": "Hi!"}}
CARD
slug=$("$troupe" characters import --publish "$data/lily.json" | cut -f2)
key=$("$troupe" keys create --scope client --name npm-test)
"$troupe" serve --listen 127.0.0.1:0 --model "$model" >"$data/serve.out" 2>"$data/serve.err" &
server_pid=$!
port=
for _ in $(seq 1 100); do
  port=$(grep -o 'listening on 127.0.0.1:[0-9]*' "$data/serve.err" | head -1 | cut -d: -f2) || true
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "troupe serve did not start:" >&2; cat "$data/serve.err" >&2; exit 1; }
OPENAI_BASE_URL="http://127.0.0.1:$port/v1" OPENAI_API_KEY="$key" TROUPE_MODEL_ID="$slug" \
  node "$work/npm/openai_client.mjs"
