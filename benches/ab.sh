#!/usr/bin/env bash
# A against B: the same load from `keyward bench` on two Keyward servers, loaded in turn ROUNDS
# times, the order swapped every round so that neither always runs first. Each side is a binary
# and its `keyward serve` arguments, so the script compares two builds (a change before and after)
# or two settings of one build. The table gives each round, the medians, and the median of the
# per-round ratios (A / B). The load comes from B's binary for both sides.
#
#   A_BIN=/tmp/keyward-before OP=create benches/ab.sh     # a build against this checkout's
#   benches/metrics_overhead.sh                            # one build, metrics on against off
#
# Settings (environment): A_BIN and B_BIN (this checkout's release build), A_ARGS and B_ARGS
# (extra `serve` arguments; `--metrics-listen off` when unset), A_NAME and B_NAME (a, b),
# ROUNDS (8), DURATION and WARMUP in seconds per run (5 and 1), CONNECTIONS (16), OP (get),
# A_DATA and B_DATA (a data directory to serve instead of a new empty one: a populated store).
# Results go to target/ab/<time>/.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
ROUNDS=${ROUNDS:-8}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-1}
CONNECTIONS=${CONNECTIONS:-16}
OP=${OP:-get}
A_NAME=${A_NAME:-a}
B_NAME=${B_NAME:-b}
A_ARGS=${A_ARGS:---metrics-listen off}
B_ARGS=${B_ARGS:---metrics-listen off}
WORK=$TARGET/ab/$(date +%Y%m%d-%H%M%S)
RESULTS=$WORK/results
mkdir -p "$RESULTS"

source "$ROOT/benches/lib.sh"

if [ -z "${A_BIN:-}" ] || [ -z "${B_BIN:-}" ]; then
    build_release
fi
declare -A BIN ARGS PORT PID DATA
DATA[a]=${A_DATA:-$WORK/data-a}
DATA[b]=${B_DATA:-$WORK/data-b}
BIN[a]=${A_BIN:-$TARGET/release/keyward}
BIN[b]=${B_BIN:-$TARGET/release/keyward}
ARGS[a]=$A_ARGS
ARGS[b]=$B_ARGS
for side in a b; do
    say "Keyward $side: ${BIN[$side]} serve ${ARGS[$side]}"
    PORT[$side]=$(free_port)
    # shellcheck disable=SC2086 # the arguments are words on purpose
    "${BIN[$side]}" serve --data-dir "${DATA[$side]}" --listen "127.0.0.1:${PORT[$side]}" ${ARGS[$side]} \
        >"$WORK/keyward-$side.out" 2>"$WORK/keyward-$side.log" &
    PID[$side]=$!
    SERVER_PIDS+=("${PID[$side]}")
    wait_for_port "${PORT[$side]}" "${PID[$side]}" "keyward serve ($side)"
done

for round in $(seq 1 "$ROUNDS"); do
    if [ $((round % 2)) -eq 1 ]; then order="a b"; else order="b a"; fi
    for side in $order; do
        out=$RESULTS/$side-$round.json
        echo "   round $round of $ROUNDS: $side" >&2
        if ! "${BIN[b]}" bench --json --op "$OP" --connections "$CONNECTIONS" \
            --duration "$DURATION" --warmup "$WARMUP" --data-dir "${DATA[$side]}" \
            --server "127.0.0.1:${PORT[$side]}" --server-name localhost --server-pid "${PID[$side]}" \
            >"$out" 2>"$out.log"; then
            echo "   (failed: $(tail -1 "$out.log"))" >&2
            rm -f "$out"
        fi
    done
done
stop_servers

say "table"
python3 - "$RESULTS" "$ROUNDS" "$CONNECTIONS" "$OP" "$A_NAME" "$B_NAME" <<'PY' | tee "$WORK/table.md"
import json, os, statistics, sys
results, rounds, connections, op, a_name, b_name = sys.argv[1], int(sys.argv[2]), *sys.argv[3:]
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
print(f"| round | {a_name} ops/s | {b_name} ops/s | {a_name} / {b_name} | server CPU µs/op {a_name} | {b_name} | {a_name} / {b_name} |")
print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
pairs = []
for round in range(1, rounds + 1):
    on, off = load("a", round), load("b", round)
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
