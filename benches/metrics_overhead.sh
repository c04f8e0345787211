#!/usr/bin/env bash
# What counting costs: the same Get load from `keyward bench` on two Keyward servers, one with the
# health and metrics listener and its counters on, one with `--metrics-listen off` (nothing
# counted), loaded in turn, ROUNDS times, the order swapped every round so that neither always
# runs first. The table gives each round, the medians, and the median of the per-round ratios.
#
#   benches/metrics_overhead.sh                          # about 3 minutes once built
#   ROUNDS=12 OP=encrypt benches/metrics_overhead.sh
#
# Settings (environment): ROUNDS (8), DURATION and WARMUP in seconds per run (5 and 1),
# CONNECTIONS (16), OP (get). Results go to target/metrics-overhead/<time>/.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
ROUNDS=${ROUNDS:-8}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-1}
CONNECTIONS=${CONNECTIONS:-16}
OP=${OP:-get}
WORK=$TARGET/metrics-overhead/$(date +%Y%m%d-%H%M%S)
RESULTS=$WORK/results
mkdir -p "$RESULTS"

source "$ROOT/benches/lib.sh"

if [ -z "${KEYWARD:-}" ]; then
    say "building Keyward (release)"
    cargo build --release -p keyward --manifest-path "$ROOT/Cargo.toml" >&2
    KEYWARD=$TARGET/release/keyward
fi

declare -A PORT PID
METRICS_PORT=$(free_port)
for variant in on off; do
    say "Keyward with metrics $variant"
    PORT[$variant]=$(free_port)
    if [ "$variant" = on ]; then listen="127.0.0.1:$METRICS_PORT"; else listen=off; fi
    "$KEYWARD" serve --data-dir "$WORK/data-$variant" --listen "127.0.0.1:${PORT[$variant]}" \
        --metrics-listen "$listen" >"$WORK/keyward-$variant.out" 2>"$WORK/keyward-$variant.log" &
    PID[$variant]=$!
    SERVER_PIDS+=("${PID[$variant]}")
    wait_for_port "${PORT[$variant]}" "${PID[$variant]}" "keyward serve (metrics $variant)"
done

for round in $(seq 1 "$ROUNDS"); do
    if [ $((round % 2)) -eq 1 ]; then order="on off"; else order="off on"; fi
    for variant in $order; do
        out=$RESULTS/$variant-$round.json
        echo "   round $round of $ROUNDS: metrics $variant" >&2
        if ! "$KEYWARD" bench --json --op "$OP" --connections "$CONNECTIONS" \
            --duration "$DURATION" --warmup "$WARMUP" --data-dir "$WORK/data-$variant" \
            --server "127.0.0.1:${PORT[$variant]}" --server-name localhost --server-pid "${PID[$variant]}" \
            >"$out" 2>"$out.log"; then
            echo "   (failed: $(tail -1 "$out.log"))" >&2
            rm -f "$out"
        fi
    done
done
# The counters counted: what the "on" server saw.
curl -s "http://127.0.0.1:$METRICS_PORT/metrics" >"$WORK/metrics.txt" || true
stop_servers

say "table"
python3 - "$RESULTS" "$ROUNDS" "$CONNECTIONS" "$OP" <<'PY' | tee "$WORK/table.md"
import json, os, statistics, sys
results, rounds, connections, op = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
def load(variant, round):
    path = os.path.join(results, f"{variant}-{round}.json")
    if not os.path.exists(path):
        return None
    with open(path) as file:
        return json.load(file)["server"]
def cpu_us(run):
    cpu = run.get("server_cpu") or {}
    return 1e6 * cpu["seconds"] / run["operations"] if cpu.get("seconds") and run.get("operations") else float("nan")
print(f"{op}, {connections} connections; {rounds} rounds; results in {results}\n")
print("| round | on ops/s | off ops/s | on / off | server CPU µs/op on | off | on / off |")
print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
pairs = []
for round in range(1, rounds + 1):
    on, off = load("on", round), load("off", round)
    if not on or not off:
        continue
    rate = on["operations_per_second"] / off["operations_per_second"]
    cpu = cpu_us(on) / cpu_us(off)
    pairs.append((on, off, rate, cpu))
    print(f"| {round} | {on['operations_per_second']:,.0f} | {off['operations_per_second']:,.0f} | {rate:.3f} "
          f"| {cpu_us(on):.2f} | {cpu_us(off):.2f} | {cpu:.3f} |")
median = statistics.median
on_rate = median(p[0]["operations_per_second"] for p in pairs)
off_rate = median(p[1]["operations_per_second"] for p in pairs)
on_cpu, off_cpu = median(cpu_us(p[0]) for p in pairs), median(cpu_us(p[1]) for p in pairs)
print(f"| median | {on_rate:,.0f} | {off_rate:,.0f} | {on_rate / off_rate:.3f} | {on_cpu:.2f} | {off_cpu:.2f} | {on_cpu / off_cpu:.3f} |")
print(f"\nmedian of the per-round ratios: throughput {median(p[2] for p in pairs):.3f}, "
      f"server CPU per op {median(p[3] for p in pairs):.3f}")
PY
