# Shell functions the benchmark scripts share: progress lines, free ports, servers started in the
# background and stopped on exit. Sourced, not run.

say() { printf '\n== %s\n' "$*" >&2; }

# Servers started here, stopped on any exit.
SERVER_PIDS=()
stop_servers() {
    for pid in "${SERVER_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    SERVER_PIDS=()
}
trap stop_servers EXIT

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_for_port() {
    local port=$1 pid=$2 what=$3
    for _ in $(seq 1 200); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "$what exited before listening; see $WORK" >&2
            exit 1
        fi
        sleep 0.1
    done
    echo "$what is not listening on port $port after 20 s" >&2
    exit 1
}

# The release build of the binary every bench runs ($ROOT: the repository).
build_release() {
    say "building Keyward (release)"
    cargo build --release -p keyward --manifest-path "$ROOT/Cargo.toml" >&2
}

# Fills $BIG with $COUNT named keys (`keyward bench populate`) unless an earlier run did; the
# store is kept under target/large-store/ for the next run of any script that uses it.
populated_store() {
    if [ ! -e "$BIG/.populated" ]; then
        rm -rf "$BIG"
        say "filling $BIG with $COUNT keys"
        /usr/bin/time -v "$BIN" bench populate --data-dir "$BIG" --count "$COUNT" 2>"$WORK/populate.log" || {
            cat "$WORK/populate.log" >&2
            exit 1
        }
        grep -E "keys in|Maximum resident|Elapsed" "$WORK/populate.log" >&2
        touch "$BIG/.populated"
    fi
    du -sh "$BIG" >&2
}
