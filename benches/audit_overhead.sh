#!/usr/bin/env bash
# What the audit trail costs: benches/ab.sh with one build, the trail on (a, the default:
# fail closed, records fsynced in groups) against `[audit] enabled = false` (b). Results and
# settings as in ab.sh (ROUNDS, OP, CONNECTIONS...). docs/performance.md has the numbers.
#
#   benches/audit_overhead.sh                    # get, 16 connections
#   OP=encrypt benches/audit_overhead.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CONFIGS=$(mktemp -d)
printf '[audit]\nenabled = true\n' >"$CONFIGS/audit-on.toml"
printf '[audit]\nenabled = false\n' >"$CONFIGS/audit-off.toml"
A_NAME=audit B_NAME=off \
    A_ARGS="--metrics-listen off --config $CONFIGS/audit-on.toml" \
    B_ARGS="--metrics-listen off --config $CONFIGS/audit-off.toml" \
    exec "$ROOT/benches/ab.sh" "$@"
