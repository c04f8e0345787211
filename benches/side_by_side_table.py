"""The table of benches/side_by_side.sh: one row per workload and number of connections, the median
of the rounds for each target, and the ratios Keyward/PyKMIP and Keyward/echo.

    python3 benches/side_by_side_table.py RESULTS_DIR "discover create ..." "1 16"

RESULTS_DIR holds the `keyward bench --json` reports, named TARGET-WORKLOAD-CONNECTIONS-ROUND.json.
A workload a server refused entirely (every operation failed) measured refusals, not work: n/a.
"""

import glob
import json
import os
import sys

TARGETS = ("keyward", "pykmip", "echo")


def runs(results, name, workload, connections):
    found = []
    for path in sorted(glob.glob(os.path.join(results, f"{name}-{workload}-{connections}-*.json"))):
        with open(path) as file:
            report = json.load(file)
        found.append(report["echo"] if name == "echo" else report["server"])
    return found


def median_run(found):
    """The run whose rate is the median of the rounds (the lower middle one of an even number)."""
    ordered = sorted(found, key=lambda run: run["operations_per_second"])
    return ordered[(len(ordered) - 1) // 2] if ordered else None


def rate(run):
    if run is None or run["successes_per_second"] == 0:
        return None
    return run["operations_per_second"]


def fmt_rate(run):
    value = rate(run)
    if value is None:
        return "n/a"
    failed = run["failed_operations"] / max(run["operations"], 1)
    return f"{value:,.0f}" + (f" ({failed:.0%} failed)" if failed else "")


def fmt_latency(run):
    if rate(run) is None:
        return "n/a"
    return f'{run["latency"]["p50_ms"]:.2f} / {run["latency"]["p99_ms"]:.2f}'


def fmt_cpu(run, side):
    """CPU milliseconds per 1,000 operations, i.e. microseconds per operation."""
    cpu = run and run.get(side)
    if rate(run) is None or not cpu or cpu["seconds_per_1000_operations"] is None:
        return "n/a"
    return f'{cpu["seconds_per_1000_operations"] * 1000:.0f}'


def ratio(a, b):
    return "n/a" if rate(a) is None or rate(b) is None else f"{rate(a) / rate(b):.2f}"


def main():
    results, workloads, connection_counts = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
    print(
        "| workload | conns | Keyward ops/s | PyKMIP ops/s | echo ops/s | Keyward/PyKMIP | Keyward/echo "
        "| p50 / p99 ms Keyward | p50 / p99 ms PyKMIP | server CPU µs/op K / P / echo | client CPU µs/op K / P / echo |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    notes = set()
    for workload in workloads:
        for n in connection_counts:
            all_runs = {name: runs(results, name, workload, n) for name in TARGETS}
            k, p, e = (median_run(all_runs[name]) for name in TARGETS)
            print(
                f"| {workload} | {n} | {fmt_rate(k)} | {fmt_rate(p)} | {fmt_rate(e)} | {ratio(k, p)} | {ratio(k, e)} "
                f"| {fmt_latency(k)} | {fmt_latency(p)} "
                f"| {fmt_cpu(k, 'server_cpu')} / {fmt_cpu(p, 'server_cpu')} / {fmt_cpu(e, 'server_cpu')} "
                f"| {fmt_cpu(k, 'client_cpu')} / {fmt_cpu(p, 'client_cpu')} / {fmt_cpu(e, 'client_cpu')} |"
            )
            for name in ("keyward", "pykmip"):
                for run in all_runs[name]:
                    for failure in run["failures"]:
                        example = f" ({failure['example']})" if failure["example"] else ""
                        notes.add(f"{name} {workload}: {failure['reason']}{example}")
                    if run["tls"]:
                        notes.add(f"{name} TLS: {run['tls']}")
    if notes:
        print()
        for note in sorted(notes):
            print(f"- {note}")


if __name__ == "__main__":
    main()
