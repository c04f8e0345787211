#!/usr/bin/env bash
# What counting costs: benches/ab.sh with one build, the health and metrics listener and its
# counters on (a) against `--metrics-listen off` (b, nothing counted). Results and settings as in
# ab.sh (ROUNDS, OP, CONNECTIONS...).
#
#   benches/metrics_overhead.sh                          # about 3 minutes once built
#   ROUNDS=12 OP=encrypt benches/metrics_overhead.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/benches/lib.sh"
trap - EXIT
A_NAME=on A_ARGS="--metrics-listen 127.0.0.1:$(free_port)" B_NAME=off B_ARGS="--metrics-listen off" \
    exec "$ROOT/benches/ab.sh" "$@"
