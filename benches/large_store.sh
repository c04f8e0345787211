#!/usr/bin/env bash
# A store of a million objects (issue 12, "Scale and memory"): fill a data directory with COUNT
# named keys (`keyward bench populate`, in-process through the server's dispatcher), then measure
# on it: the server's start-up time (exec to its banner) and resident memory, Locate by Name at one
# connection, and durable Create and Get at 16 connections side by side with an empty store
# (benches/ab.sh, order swapped each round).
#
#   benches/large_store.sh                    # COUNT=1000000
#   COUNT=100000 ROUNDS=4 benches/large_store.sh
#
# Settings (environment): COUNT (1000000), ROUNDS (6), STARTS (5), KEEP_DATA=1 keeps the filled
# directory (under target/large-store/) for another run, which then skips the filling.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
COUNT=${COUNT:-1000000}
ROUNDS=${ROUNDS:-6}
STARTS=${STARTS:-5}
WORK=$TARGET/large-store
BIG=$WORK/store-$COUNT
BIN=$TARGET/release/keyward
mkdir -p "$WORK"
source "$ROOT/benches/lib.sh"

build_release

populated_store

# Start-up: from exec to the banner, STARTS times; resident memory once serving.
say "start-up of a server on $COUNT objects"
for start in $(seq 1 "$STARTS"); do
    port=$(free_port)
    began=$(date +%s.%N)
    "$BIN" serve --data-dir "$BIG" --listen "127.0.0.1:$port" --metrics-listen off \
        >"$WORK/serve.out" 2>"$WORK/serve.log" &
    pid=$!
    SERVER_PIDS+=("$pid")
    until grep -q "is serving KMIP" "$WORK/serve.out" 2>/dev/null; do
        kill -0 "$pid" 2>/dev/null || { cat "$WORK/serve.log" >&2; exit 1; }
        sleep 0.01
    done
    ended=$(date +%s.%N)
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
    echo "start $start: $(python3 -c "print(f'{$ended - $began:.2f}')") s to the banner, RSS ${rss} KiB" >&2
    if [ "$start" = "$STARTS" ]; then
        say "Locate by Name, one connection, on $COUNT objects"
        "$BIN" bench --op locate --connections 1 --duration 5 --data-dir "$BIG" \
            --server "127.0.0.1:$port" --server-name localhost >&2
        "$BIN" bench --op get --connections 16 --duration 5 --data-dir "$BIG" \
            --server "127.0.0.1:$port" --server-name localhost >/dev/null
        echo "RSS after Locate and Get at 16 connections: $(awk '/VmRSS/ {print $2}' "/proc/$pid/status") KiB" >&2
    fi
    stop_servers
done

for op in create get; do
    say "$op at 16 connections: $COUNT objects (a) against an empty store (b)"
    A_BIN=$BIN B_BIN=$BIN A_DATA=$BIG A_NAME=large B_NAME=empty OP=$op ROUNDS=$ROUNDS "$ROOT/benches/ab.sh"
done
if [ -z "${KEEP_DATA:-}" ]; then
    rm -rf "$BIG"
fi
