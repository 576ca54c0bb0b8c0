#!/usr/bin/env bash
# Measures generation throughput and peak memory of the release build.
#
# For each patient count and thread count, runs `casualty generate` to NDJSON several times and
# prints a Markdown table of the medians of the statistics the CLI prints with --stats:
# patients per second, bytes per patient and peak resident set size. Run from anywhere inside the
# repository:
#
#     scripts/bench.sh
#
# Environment variables change what is measured:
#   BENCH_COUNTS   patient counts, space-separated (default: "10000 100000 1000000")
#   BENCH_THREADS  thread counts, space-separated (default: "1 2")
#   BENCH_RUNS     runs per combination (default: 3)
#   BENCH_CONFIG   scenario file (default: examples/seed-small.json)
#   BENCH_DIR      directory for the output files (default: a new temporary directory, removed
#                  on exit). The output of 10^6 patients takes about 2.4 GB there.
set -euo pipefail

counts=${BENCH_COUNTS:-"10000 100000 1000000"}
threads_list=${BENCH_THREADS:-"1 2"}
runs=${BENCH_RUNS:-3}

for tool in cargo python3; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "bench.sh: error: $tool is not installed or not on PATH" >&2
        exit 1
    fi
done

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
config=${BENCH_CONFIG:-examples/seed-small.json}

if [[ -n ${BENCH_DIR:-} ]]; then
    workdir=$BENCH_DIR
    mkdir -p "$workdir"
else
    workdir=$(mktemp -d)
    trap 'rm -rf "$workdir"' EXIT
fi

echo "Building the release binary..." >&2
cargo build --release --locked -p casualty-cli >&2
binary="$repo/target/release/casualty"

# The statistics line of each run, one JSON object per line, collected for the summary.
results="$workdir/results.jsonl"
: >"$results"
for count in $counts; do
    for threads in $threads_list; do
        for run in $(seq 1 "$runs"); do
            echo "count $count, threads $threads, run $run of $runs" >&2
            if ! "$binary" generate --config "$config" --count "$count" --threads "$threads" \
                --format ndjson --output "$workdir/bench.ndjson" --quiet --stats 2>"$workdir/stderr"; then
                cat "$workdir/stderr" >&2
                echo "bench.sh: error: casualty generate failed (count $count, threads $threads)" >&2
                exit 1
            fi
            # With --quiet, the statistics line is the last line on stderr.
            tail -n 1 "$workdir/stderr" >>"$results"
            rm -f "$workdir/bench.ndjson" "$workdir/bench.ndjson.meta.json"
        done
    done
done

python3 - "$results" <<'PYTHON'
import json
import statistics
import sys

groups = {}
with open(sys.argv[1], encoding="utf-8") as lines:
    for line in lines:
        stats = json.loads(line)
        groups.setdefault((stats["patients"], stats["threads"]), []).append(stats)

print("| Patients | Threads | Runs | Patients/s (median) | Bytes/patient (median) | Peak RSS MiB (median) |")
print("|---:|---:|---:|---:|---:|---:|")
for (patients, threads), runs in sorted(groups.items()):
    rate = statistics.median(run["patients_per_second"] for run in runs)
    size = statistics.median(run["bytes_per_patient"] for run in runs)
    peaks = [run["peak_rss_bytes"] for run in runs if run["peak_rss_bytes"] is not None]
    peak = f"{statistics.median(peaks) / 2**20:.1f}" if peaks else "n/a"
    print(f"| {patients:,} | {threads} | {len(runs)} | {rate:,.0f} | {size:,.0f} | {peak} |")
PYTHON
