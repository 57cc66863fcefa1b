#!/usr/bin/env bash
# Loopback load test for issue 6: bare router, our layer (cache hit and first sight) and
# jwt-authorizer, each served by `bench-server` on 127.0.0.1 with one server thread and loaded
# by wrk for a bounded time. Prints requests/s and the ratio to the bare server.
#
#   bash benches/load.sh            # 5 s per row
#   DURATION=10 CONNECTIONS=64 bash benches/load.sh
#   ROUNDS=8 DURATION=3 MODES="bare layer-hit" bash benches/load.sh
#
# With ROUNDS > 1 the modes run in turn, round after round, each ratio is taken to the bare
# server of its own round, and the median ratio per mode is printed at the end: on a shared
# machine two windows of the same server differ by more than a cache hit costs, and pairing
# windows that are close in time cancels a drift slower than a round.
#
# Installs wrk with apt-get when it is absent (Debian's package); nothing else is fetched.
set -euo pipefail

DURATION="${DURATION:-5}"
CONNECTIONS="${CONNECTIONS:-32}"
PORT="${PORT:-38917}"
MODES="${MODES:-bare layer-hit layer-miss naive jwt-authorizer}"
ROUNDS="${ROUNDS:-1}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"

if ! command -v wrk >/dev/null 2>&1; then
    echo "wrk not found: installing Debian's package" >&2
    if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq wrk >/dev/null
fi

cargo build --release -q -p tambo-auth-benches --bin bench-server --manifest-path "$ROOT/Cargo.toml"
SERVER="${CARGO_TARGET_DIR:-$ROOT/target}/release/bench-server"
TOKEN_FILE="$(mktemp)"
trap 'rm -f "$TOKEN_FILE"; [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null || true' EXIT

# One core for the server, the other for wrk, when taskset is there and there are two.
PIN_SERVER=() PIN_WRK=()
if command -v taskset >/dev/null 2>&1 && [ "$(nproc)" -ge 2 ]; then
    PIN_SERVER=(taskset -c 0) PIN_WRK=(taskset -c 1)
fi

echo "loopback load: wrk -t1 -c$CONNECTIONS -d${DURATION}s, one server thread, $(nproc) cores, $ROUNDS round(s)"
printf '%-16s %12s %10s %12s\n' mode "requests/s" "× bare" "p99 latency"
declare -A RATIOS=()
for round in $(seq 1 "$ROUNDS"); do
    BARE=""
    for mode in $MODES; do
        : >"$TOKEN_FILE"
        "${PIN_SERVER[@]}" "$SERVER" "$mode" "$PORT" "$TOKEN_FILE" &
        PID=$!
        for _ in $(seq 1 100); do
            [ -s "$TOKEN_FILE" ] && (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
            sleep 0.1
        done
        AUTH="$(cat "$TOKEN_FILE")"
        # A warm-up request that must succeed: only the success path is measured.
        STATUS="$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: $AUTH" "http://127.0.0.1:$PORT/" || true)"
        if [ "$STATUS" != "200" ]; then
            echo "$mode: warm-up answered $STATUS, not 200" >&2
            exit 1
        fi
        OUT="$("${PIN_WRK[@]}" wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency \
            -H "Authorization: $AUTH" "http://127.0.0.1:$PORT/")"
        kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
        if echo "$OUT" | grep -q "Non-2xx"; then
            echo "$mode: non-2xx answers during the load:" >&2
            echo "$OUT" >&2
            exit 1
        fi
        RPS="$(echo "$OUT" | awk '/^Requests\/sec/ {print $2}')"
        P99="$(echo "$OUT" | awk '$1 == "99%" {print $2}')"
        [ -z "$BARE" ] && BARE="$RPS"
        RATIO="$(awk -v a="$RPS" -v b="$BARE" 'BEGIN {printf "%.2f", a / b}')"
        printf '%-16s %12s %10s %12s\n' "$mode" "$RPS" "$RATIO" "$P99"
        RATIOS[$mode]="${RATIOS[$mode]:-} $RATIO"
    done
done

if [ "$ROUNDS" -gt 1 ]; then
    echo "median × bare over $ROUNDS rounds (each to the bare server of its round):"
    for mode in $MODES; do
        # shellcheck disable=SC2086 # the ratios are words
        MEDIAN="$(printf '%s\n' ${RATIOS[$mode]} | sort -g | awk '{v[NR] = $1} END {
            if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }')"
        printf '%-16s %10s   (%s )\n' "$mode" "$MEDIAN" "${RATIOS[$mode]}"
    done
fi
