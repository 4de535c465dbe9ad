# Helpers of the serving benchmarks (bench/engine/shared_prefix, bench/engine/kv_memory): sourced,
# never run. They expect `work` (a scratch directory) and print errors under the caller's name.
bench_name=$(basename "$0")

wait_for() {  # wait_for URL: until it answers 200
  for _ in $(seq 600); do curl -sf "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "$bench_name: $1 never answered" >&2; exit 2
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
words() { local out=""; for i in $(seq "$1"); do out+="story$((i % 7)) "; done; echo "$out"; }

# ask URL KEY MODEL TEXT [SYSTEM [MAX_TOKENS]]: one completion (greedy); prints "seconds prompt_tokens"
ask() {
  local body answer
  answer=$(mktemp -p "$work")
  body=$(jq -nc --arg model "$3" --arg text "$4" --arg system "${5:-}" --argjson max "${6:-1}" \
    '{model: $model, messages: ((if $system == "" then [] else [{role: "system", content: $system}] end)
      + [{role: "user", content: $text}]), max_tokens: $max, temperature: 0}')
  local seconds
  seconds=$(curl -sf -o "$answer" -w '%{time_total}' -H "Authorization: Bearer $2" -H 'Content-Type: application/json' \
    -d "$body" "$1")
  echo "$seconds $(jq -r .usage.prompt_tokens "$answer")"
  rm -f "$answer"
}

# start_troupe ENV=VALUE...: `troupe serve` on a free port with those settings; sets port, key,
# server_pid.
start_troupe() {
  port=$(free_port)
  env "$@" TROUPE_MODEL_PATH="$model" TROUPE_MODEL_THREADS="$threads" TROUPE_SERVER_RATE_LIMIT_PER_SECOND=0 \
    TROUPE_CHAT_MAX_TURNS_PER_USER=0 \
    "$troupe" serve --data "$work/data.$port" --listen "127.0.0.1:$port" >"$work/troupe.out" 2>"$work/troupe.err" &
  server_pid=$!
  wait_for "http://127.0.0.1:$port/readyz"
  key=$(grep -o 'trp_[A-Za-z0-9_]*' "$work/troupe.out" | head -1)
}

# character NAME WORDS: a published character whose description is WORDS filler words; prints its slug
character() {
  jq -nc --arg name "$1" --arg description "$(words "$2")" '{name: $name, description: $description, published: true}' |
    curl -sf -H "Authorization: Bearer $key" -H 'Content-Type: application/json' -d @- "http://127.0.0.1:$port/api/v1/characters" |
    jq -r .slug
}

# character_words TOKENS: how many filler words make a character's prompt about TOKENS tokens
character_words() {
  local probe empty probe_tokens empty_tokens
  probe=$(character Probe 100)
  read -r _ probe_tokens < <(ask "http://127.0.0.1:$port/v1/chat/completions" "$key" "$probe" "Hi.")
  empty=$(character Empty 1)
  read -r _ empty_tokens < <(ask "http://127.0.0.1:$port/v1/chat/completions" "$key" "$empty" "Hi.")
  awk -v want="$1" -v p="$probe_tokens" -v e="$empty_tokens" 'BEGIN { print int((want - e) * 99 / (p - e)) + 1 }'
}

# peak_rss PID: the process's peak resident memory in MiB
peak_rss() { awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

# metric URL NAME: one unlabelled sample from a Prometheus endpoint
metric() { curl -sf "$1" | awk -v name="$2" '$1 == name { print $2 }'; }

stop_server() {
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=
}
