#!/usr/bin/env bash
# Keyward and the PyKMIP 0.11.0 server side by side, under the same load from `keyward bench`, with
# the mutual-TLS echo server as the ceiling of this machine. One run: build, PKI, both servers, the
# same workloads on each and on the echo server, then a table of ratios.
#
#   benches/side_by_side.sh                      # about 6 minutes once built
#   ROUNDS=1 DURATION=5 CONNECTIONS="1 4 16" benches/side_by_side.sh
#
# The machine this was written for has two shared cores whose speed varies with its neighbours'
# work. So the three targets are loaded in turn for each workload (Keyward, PyKMIP, echo, then the
# next workload) rather than each for minutes on end, and the whole is done ROUNDS times; the table
# gives medians. Both servers stay up throughout: an idle one uses no CPU (none was measured over
# seconds), and only one is loaded at a time.
#
# Settings (environment): ROUNDS (2), DURATION and WARMUP in seconds per run (3 and 1), CONNECTIONS
# ("1 16"), WORKLOADS ("discover create get encrypt mix connect connect-resume"), KMIP_VERSION (1.4:
# both servers speak it; PyKMIP stops at 2.0), PAYLOAD_SIZE (1024: bytes per Encrypt, in `mix` too).
# Results go to target/side-by-side/<time>/: one JSON report per run, the servers' logs, and table.md.
#
# PyKMIP comes from PyPI into target/pykmip-venv, the virtual environment the PyKMIP tests use
# (crates/server/tests/pykmip.rs). Its server runs with the SQLAlchemy pip installs beside it
# (2.x; PyKMIP 0.11 uses only APIs that 2.x keeps, with deprecation warnings), so nothing is
# pinned. Its sqlite database and Keyward's data directory are on the same disk, under target/.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
ROUNDS=${ROUNDS:-2}
DURATION=${DURATION:-3}
WARMUP=${WARMUP:-1}
CONNECTIONS=${CONNECTIONS:-"1 16"}
WORKLOADS=${WORKLOADS:-"discover create get encrypt mix connect connect-resume"}
KMIP_VERSION=${KMIP_VERSION:-1.4}
PAYLOAD_SIZE=${PAYLOAD_SIZE:-1024}
PYKMIP=pykmip==0.11.0
VENV=${KEYWARD_PYKMIP_VENV:-$TARGET/pykmip-venv}
WORK=$TARGET/side-by-side/$(date +%Y%m%d-%H%M%S)
RESULTS=$WORK/results
mkdir -p "$RESULTS" "$WORK/pykmip/policies"

source "$ROOT/benches/lib.sh"

build_release
KEYWARD=$TARGET/release/keyward

say "development PKI"
KEYWARD_DATA=$WORK/keyward
"$KEYWARD" pki issue-client bench --data-dir "$KEYWARD_DATA" >/dev/null
PKI=$KEYWARD_DATA/pki
CLIENT=(--ca "$PKI/ca.pem" --cert "$PKI/clients/admin.pem" --key "$PKI/clients/admin.key")

say "PyKMIP ($PYKMIP) in $VENV"
if ! "$VENV/bin/python" -c 'import kmip.services.server' 2>/dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet "$PYKMIP"
fi
"$VENV/bin/pip" list 2>/dev/null | grep -iE '^(pykmip|sqlalchemy|cryptography) ' >&2

say "Keyward server"
KEYWARD_PORT=$(free_port)
"$KEYWARD" serve --data-dir "$KEYWARD_DATA" --listen "127.0.0.1:$KEYWARD_PORT" \
    --metrics-listen "127.0.0.1:$(free_port)" >"$WORK/keyward.out" 2>"$WORK/keyward.log" &
KEYWARD_PID=$!
SERVER_PIDS+=("$KEYWARD_PID")
wait_for_port "$KEYWARD_PORT" "$KEYWARD_PID" "keyward serve"

say "PyKMIP server"
PYKMIP_PORT=$(free_port)
cat >"$WORK/pykmip/server.conf" <<CONF
[server]
hostname=127.0.0.1
port=$PYKMIP_PORT
certificate_path=$PKI/server-ecdsa.pem
key_path=$PKI/server-ecdsa.key
ca_path=$PKI/ca.pem
auth_suite=TLS1.2
policy_path=$WORK/pykmip/policies
enable_tls_client_auth=True
logging_level=WARNING
database_path=$WORK/pykmip/pykmip.db
CONF
# The script pykmip-server is Python itself: its PID is the server's, for --server-pid.
"$VENV/bin/python" -W ignore "$VENV/bin/pykmip-server" -f "$WORK/pykmip/server.conf" -l "$WORK/pykmip/server.log" \
    >"$WORK/pykmip/server.out" 2>&1 &
PYKMIP_PID=$!
SERVER_PIDS+=("$PYKMIP_PID")
wait_for_port "$PYKMIP_PORT" "$PYKMIP_PID" "pykmip-server"

# One `keyward bench` run: ROUND TARGET WORKLOAD CONNECTIONS
bench() {
    local round=$1 name=$2 workload=$3 connections=$4
    local op=$workload target=() extra=()
    if [[ $workload == connect-resume ]]; then op=connect extra=(--resume); fi
    case $name in
        keyward) target=(--server "127.0.0.1:$KEYWARD_PORT" "${CLIENT[@]}" --server-pid "$KEYWARD_PID") ;;
        pykmip) target=(--server "127.0.0.1:$PYKMIP_PORT" "${CLIENT[@]}" --server-pid "$PYKMIP_PID") ;;
        echo) target=(--echo --data-dir "$KEYWARD_DATA") ;;
    esac
    local out=$RESULTS/$name-$workload-$connections-$round.json
    echo "   round $round: $name $workload x$connections" >&2
    if ! "$KEYWARD" bench --json --op "$op" "${extra[@]}" --connections "$connections" \
        --duration "$DURATION" --warmup "$WARMUP" --kmip-version "$KMIP_VERSION" --payload-size "$PAYLOAD_SIZE" "${target[@]}" \
        >"$out" 2>"$out.log"; then
        echo "   (failed: $(tail -1 "$out.log"))" >&2
        rm -f "$out"
    fi
}

for round in $(seq 1 "$ROUNDS"); do
    say "round $round of $ROUNDS"
    for workload in $WORKLOADS; do
        for connections in $CONNECTIONS; do
            for name in keyward pykmip echo; do
                bench "$round" "$name" "$workload" "$connections"
            done
        done
    done
done
stop_servers

say "table"
{
    echo "Machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1); load average $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "KMIP $KMIP_VERSION; $PAYLOAD_SIZE-byte payloads; $DURATION s measured after $WARMUP s of warm-up per run; medians of $ROUNDS rounds; results in $RESULTS"
    echo
    python3 "$ROOT/benches/side_by_side_table.py" "$RESULTS" "$WORKLOADS" "$CONNECTIONS"
} | tee "$WORK/table.md"
