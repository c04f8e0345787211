#!/usr/bin/env bash
# Keyward on sled against Keyward on PostgreSQL, one node and two (issue 13): durable Create, Get
# and Encrypt at 16 connections, side by side in one run, ROUNDS rounds, the order of the three
# set-ups rotated every round. The two-node figure is both nodes loaded at once, 8 connections
# each, their rates added. PostgreSQL is a throwaway server on this machine
# (scripts/postgres-test-server: fsync and synchronous_commit on, its defaults otherwise).
#
#   benches/cluster.sh                # ROUNDS=6 DURATION=5 OPS="create get encrypt"
#
# Results go to target/cluster/<time>/ (one JSON per run, and table.md).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
ROUNDS=${ROUNDS:-6}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-1}
OPS=${OPS:-create get encrypt}
WORK=$TARGET/cluster/$(date +%Y%m%d-%H%M%S)
RESULTS=$WORK/results
BIN=$TARGET/release/keyward
mkdir -p "$RESULTS"
source "$ROOT/benches/lib.sh"

build_release

say "a throwaway PostgreSQL"
eval "$("$ROOT/scripts/postgres-test-server" start)"
trap 'stop_servers; "$ROOT/scripts/postgres-test-server" stop "$KEYWARD_TEST_POSTGRES_DIR" >/dev/null 2>&1' EXIT
database() { # name -> its URL (psql comes with the PostgreSQL the script above installs)
    psql -q "$KEYWARD_TEST_POSTGRES_URL" -c "CREATE DATABASE $1" >&2
    echo "${KEYWARD_TEST_POSTGRES_URL%/*}/$1"
}

declare -A PORT PID DIR
start_node() { # name, config file or ""
    local name=$1 config=$2
    PORT[$name]=$(free_port)
    DIR[$name]=$WORK/data-$name
    mkdir -p "${DIR[$name]}"
    local extra=()
    [ -n "$config" ] && extra=(--config "$config")
    "$BIN" serve --data-dir "${DIR[$name]}" --listen "127.0.0.1:${PORT[$name]}" --metrics-listen off "${extra[@]}" \
        >"$WORK/$name.out" 2>"$WORK/$name.log" &
    PID[$name]=$!
    SERVER_PIDS+=("${PID[$name]}")
    wait_for_port "${PORT[$name]}" "${PID[$name]}" "keyward serve ($name)"
}
node_config() { # database url -> config path
    local path=$WORK/$2.toml
    printf '[store]\nbackend = "postgres"\nurl = "%s"\npool_size = 32\n[audit]\nenabled = true\n' "$1" >"$path"
    echo "$path"
}

say "nodes: sled, one node on PostgreSQL, two nodes on another database"
start_node sled ""
start_node pg1 "$(node_config "$(database kw_bench_one)" one)"
two_config=$(node_config "$(database kw_bench_two)" two)
start_node pg2a "$two_config"
mkdir -p "$WORK/data-pg2b"
cp "${DIR[pg2a]}/kek" "$WORK/data-pg2b/kek"
cp -r "${DIR[pg2a]}/pki" "$WORK/data-pg2b/pki"
start_node pg2b "$two_config"

# Each node is loaded as the administrator of the development PKI in its data directory (pg2b's
# is a copy of pg2a's).
load() { # node, op, connections, output
    "$BIN" bench --json --op "$2" --connections "$3" --duration "$DURATION" --warmup "$WARMUP" \
        --data-dir "${DIR[$1]}" --server "127.0.0.1:${PORT[$1]}" --server-name localhost >"$4" 2>"$4.log" \
        || { echo "   ($1 $2 failed: $(tail -1 "$4.log"))" >&2; rm -f "$4"; }
}

for op in $OPS; do
    for round in $(seq 1 "$ROUNDS"); do
        case $((round % 3)) in
            1) order="sled pg1 two" ;;
            2) order="pg1 two sled" ;;
            0) order="two sled pg1" ;;
        esac
        for setup in $order; do
            echo "   $op round $round of $ROUNDS: $setup" >&2
            case $setup in
                sled | pg1) load "$setup" "$op" 16 "$RESULTS/$op-$setup-$round.json" ;;
                two)
                    load pg2a "$op" 8 "$RESULTS/$op-two-a-$round.json" &
                    first=$!
                    load pg2b "$op" 8 "$RESULTS/$op-two-b-$round.json" &
                    second=$!
                    wait "$first" "$second"
                    ;;
            esac
        done
    done
done
stop_servers

say "table"
python3 - "$RESULTS" "$ROUNDS" "$OPS" <<'PY' | tee "$WORK/table.md"
import json, os, statistics, sys
results, rounds, ops = sys.argv[1], int(sys.argv[2]), sys.argv[3].split()
def rate(name):
    path = os.path.join(results, name)
    if not os.path.exists(path): return None
    with open(path) as f: return json.load(f)["server"]["operations_per_second"]
print(f"16 connections in all; {rounds} rounds; results in {results}\n")
print("| operation | sled ops/s | one node on PostgreSQL | two nodes on PostgreSQL | PostgreSQL 1 / sled | 2 / sled |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
for op in ops:
    sled, one, two = [], [], []
    for r in range(1, rounds + 1):
        if (s := rate(f"{op}-sled-{r}.json")): sled.append(s)
        if (p := rate(f"{op}-pg1-{r}.json")): one.append(p)
        a, b = rate(f"{op}-two-a-{r}.json"), rate(f"{op}-two-b-{r}.json")
        if a and b: two.append(a + b)
    m = lambda xs: statistics.median(xs) if xs else float("nan")
    print(f"| {op} | {m(sled):,.0f} | {m(one):,.0f} | {m(two):,.0f} | {m(one)/m(sled):.2f} | {m(two)/m(sled):.2f} |")
PY
