#!/usr/bin/env bash
# Start-up after a crash on a store of a million objects (issue 12, "Scale and memory"): the server
# runs with index snapshots every SNAPSHOT_EVERY seconds under a durable Create load, is killed
# with SIGKILL, and is started again: time from exec to its banner, and the store's own account
# of its open (`store opened`: database and index times, and whether the index came from the
# snapshot and the changes since or from a scan of every record). Each round then measures, side
# by side, a start with the snapshot removed (the scan every start used to do after a crash).
#
#   benches/crash_start.sh                    # COUNT=1000000 ROUNDS=3
#
# The store is the one benches/large_store.sh fills (target/large-store/store-COUNT), filled here
# if it is missing. Settings: COUNT, ROUNDS, LOAD (seconds of Creates before the kill, 12),
# SNAPSHOT_EVERY (5).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
COUNT=${COUNT:-1000000}
ROUNDS=${ROUNDS:-3}
LOAD=${LOAD:-12}
SNAPSHOT_EVERY=${SNAPSHOT_EVERY:-5}
WORK=$TARGET/large-store
BIG=$WORK/store-$COUNT
BIN=$TARGET/release/keyward
mkdir -p "$WORK"
source "$ROOT/benches/lib.sh"

build_release

populated_store
CONFIG=$WORK/crash-start.toml
printf 'store_index_snapshot_interval = %s\nlog_level = "debug"\n' "$SNAPSHOT_EVERY" >"$CONFIG"

PID="" PORT="" TOOK=""
serve() { # log file -> starts the server and waits for its banner; TOOK: seconds from exec
    local log=$1 port began ended
    port=$(free_port)
    PORT=$port
    began=$(date +%s.%N)
    "$BIN" serve --data-dir "$BIG" --listen "127.0.0.1:$port" --metrics-listen off --config "$CONFIG" \
        >"$WORK/serve.out" 2>"$log" &
    PID=$!
    SERVER_PIDS+=("$PID")
    until grep -q "is serving KMIP" "$WORK/serve.out" 2>/dev/null; do
        kill -0 "$PID" 2>/dev/null || { cat "$log" >&2; exit 1; }
        sleep 0.01
    done
    ended=$(date +%s.%N)
    TOOK=$(python3 -c "print(f'{$ended - $began:.2f}')")
}
opened() { # log file -> the store's account of its open
    grep -o 'store opened.*' "$1" | sed 's/\x1b\[[0-9;]*m//g' | head -1
}
crash() {
    kill -9 "$PID"
    wait "$PID" 2>/dev/null || true
}

for round in $(seq 1 "$ROUNDS"); do
    say "round $round of $ROUNDS"
    serve "$WORK/crash-$round-load.log"
    "$BIN" bench --op create --connections 16 --duration "$LOAD" --data-dir "$BIG" \
        --server "127.0.0.1:$PORT" --server-name localhost >"$WORK/crash-$round-create.txt" 2>&1
    grep -o 'wrote an index snapshot.*' "$WORK/crash-$round-load.log" | sed 's/\x1b\[[0-9;]*m//g' | tail -2 >&2 || true
    crash
    serve "$WORK/crash-$round-start.log"
    echo "after SIGKILL, with the snapshot: $TOOK s to the banner; $(opened "$WORK/crash-$round-start.log")" >&2
    crash
    rm -f "$BIG/index.snapshot"
    serve "$WORK/crash-$round-scan.log"
    echo "after SIGKILL, without a snapshot: $TOOK s to the banner; $(opened "$WORK/crash-$round-scan.log")" >&2
    stop_servers
done
