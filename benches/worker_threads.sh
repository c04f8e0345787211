#!/usr/bin/env bash
# How Keyward's throughput scales with cores: the same load from `keyward bench` on two Keyward
# servers, one with one worker thread and one with two, loaded in turn (one at a time) for each
# workload, ROUNDS times; the table gives the medians and their ratio.
#
#   benches/worker_threads.sh                    # about 2 minutes once built
#   ROUNDS=3 WORKLOADS="discover get" benches/worker_threads.sh
#
# Worker threads serve the connections (TLS, TTLV, quick operations). Both servers also have the
# store's flusher thread, sled's I/O threads and the pool slow operations run on, so one worker
# thread is not one core; the client, on the same two cores, takes its share too.
#
# Settings (environment): ROUNDS (3), DURATION and WARMUP in seconds per run (3 and 1),
# CONNECTIONS (16), WORKLOADS ("discover get create encrypt"). Results go to
# target/worker-threads/<time>/.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-3}
WARMUP=${WARMUP:-1}
CONNECTIONS=${CONNECTIONS:-16}
WORKLOADS=${WORKLOADS:-"discover get create encrypt"}
WORK=$TARGET/worker-threads/$(date +%Y%m%d-%H%M%S)
RESULTS=$WORK/results
mkdir -p "$RESULTS"

source "$ROOT/benches/lib.sh"

build_release
KEYWARD=$TARGET/release/keyward

declare -A PORT PID
for threads in 1 2; do
    say "Keyward with $threads worker thread(s)"
    PORT[$threads]=$(free_port)
    "$KEYWARD" serve --data-dir "$WORK/data-$threads" --listen "127.0.0.1:${PORT[$threads]}" \
        --worker-threads "$threads" --metrics-listen off >"$WORK/keyward-$threads.out" 2>"$WORK/keyward-$threads.log" &
    PID[$threads]=$!
    SERVER_PIDS+=("${PID[$threads]}")
    wait_for_port "${PORT[$threads]}" "${PID[$threads]}" "keyward serve --worker-threads $threads"
done

for round in $(seq 1 "$ROUNDS"); do
    say "round $round of $ROUNDS"
    for workload in $WORKLOADS; do
        for threads in 1 2; do
            out=$RESULTS/$workload-$threads-$round.json
            echo "   round $round: $workload, $threads worker thread(s)" >&2
            if ! "$KEYWARD" bench --json --op "$workload" --connections "$CONNECTIONS" \
                --duration "$DURATION" --warmup "$WARMUP" --data-dir "$WORK/data-$threads" \
                --server "127.0.0.1:${PORT[$threads]}" --server-name localhost --server-pid "${PID[$threads]}" \
                >"$out" 2>"$out.log"; then
                echo "   (failed: $(tail -1 "$out.log"))" >&2
                rm -f "$out"
            fi
        done
    done
done
stop_servers

say "table"
python3 - "$RESULTS" "$WORKLOADS" "$ROUNDS" "$CONNECTIONS" <<'PY' | tee "$WORK/table.md"
import glob, json, os, statistics, sys
results, workloads, rounds, connections = sys.argv[1], sys.argv[2].split(), sys.argv[3], sys.argv[4]
print(f"{connections} connections; medians of {rounds} rounds; results in {results}\n")
print("| workload | 1 thread ops/s | 2 threads ops/s | 2 / 1 | server cores used, 1 / 2 |")
print("| --- | ---: | ---: | ---: | ---: |")
def runs(workload, threads):
    found = []
    for path in glob.glob(os.path.join(results, f"{workload}-{threads}-*.json")):
        with open(path) as file:
            found.append(json.load(file)["server"])
    return found
def cores(run):
    cpu = run.get("server_cpu") or {}
    return cpu.get("seconds", 0) / run["measured_seconds"] if run.get("measured_seconds") else 0
for workload in workloads:
    one, two = runs(workload, 1), runs(workload, 2)
    if not one or not two:
        print(f"| {workload} | n/a | n/a | | |")
        continue
    rate = lambda found: statistics.median_low(r["operations_per_second"] for r in found)
    use = lambda found: statistics.median_low(cores(r) for r in found)
    print(f"| {workload} | {rate(one):,.0f} | {rate(two):,.0f} | {rate(two) / rate(one):.2f} | {use(one):.2f} / {use(two):.2f} |")
PY
