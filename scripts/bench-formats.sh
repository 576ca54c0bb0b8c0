#!/usr/bin/env bash
# Measures each output format: throughput, bytes per patient and peak memory.
#
# For each format and patient count, runs the release build several times with 2 threads and
# prints a Markdown table of medians. Two kinds of run are measured:
#
#   disk   `casualty generate --format F --output <temporary folder or file> --quiet --stats`,
#          which writes and syncs real files.
#   count  `format_bench F N 2` (crates/casualty-output/examples/format_bench.rs), which writes to
#          sinks that only count bytes, so it shows the cost of generating and encoding alone.
#
# Run from anywhere inside the repository:
#
#     scripts/bench-formats.sh
#
# Environment variables change what is measured:
#   BENCH_FORMATS  formats, space-separated (default: "ndjson json csv xml xlsx fhir parquet")
#   BENCH_COUNTS   patient counts, space-separated (default: "100000 1000000")
#   BENCH_KINDS    kinds of run, space-separated (default: "disk count")
#   BENCH_THREADS  threads (default: 2)
#   BENCH_RUNS     runs per combination (default: 3)
#   BENCH_CONFIG   scenario file (default: examples/seed-small.json)
#   BENCH_DIR      folder for the output files (default: a new temporary folder, removed on
#                  exit). Disk runs of 10^6 patients write up to several GB there.
set -euo pipefail

formats=${BENCH_FORMATS:-"ndjson json csv xml xlsx fhir parquet"}
counts=${BENCH_COUNTS:-"100000 1000000"}
kinds=${BENCH_KINDS:-"disk count"}
threads=${BENCH_THREADS:-2}
runs=${BENCH_RUNS:-3}

for tool in cargo python3; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "bench-formats.sh: error: $tool is not installed or not on PATH" >&2
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

echo "Building the release binary and the format benchmark..." >&2
cargo build --release --locked -p casualty-cli >&2
cargo build --release --locked -p casualty-output --example format_bench >&2
binary="$repo/target/release/casualty"
bench="$repo/target/release/examples/format_bench"

# One JSON line per run: the statistics, plus the kind of run and the format.
results="$workdir/results.jsonl"
: >"$results"
for kind in $kinds; do
    for format in $formats; do
        for count in $counts; do
            for run in $(seq 1 "$runs"); do
                echo "$kind $format, count $count, run $run of $runs" >&2
                if [[ $kind == disk ]]; then
                    output="$workdir/out"
                    case $format in
                        csv | fhir | parquet) ;;
                        *) output="$workdir/out.$format" ;;
                    esac
                    if ! "$binary" generate --config "$config" --count "$count" --threads "$threads" \
                        --format "$format" --output "$output" --quiet --stats 2>"$workdir/stderr"; then
                        cat "$workdir/stderr" >&2
                        echo "bench-formats.sh: error: casualty generate failed ($format, count $count)" >&2
                        exit 1
                    fi
                    line=$(tail -n 1 "$workdir/stderr")
                    rm -rf "$workdir/out" "$workdir/out".*
                else
                    line=$("$bench" "$format" "$count" "$threads" "$config")
                fi
                python3 -c 'import json, sys; stats = json.loads(sys.argv[1]); stats.update(kind=sys.argv[2], format=sys.argv[3]); print(json.dumps(stats))' \
                    "$line" "$kind" "$format" >>"$results"
            done
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
        groups.setdefault((stats["kind"], stats["format"], stats["patients"]), []).append(stats)

print("| Kind | Format | Patients | Runs | Seconds (median) | Patients/s (median) | Bytes/patient (median) | Peak RSS MiB (median) |")
print("|---|---|---:|---:|---:|---:|---:|---:|")
for (kind, format, patients), runs in groups.items():
    seconds = statistics.median(run["seconds"] for run in runs)
    rate = statistics.median(run["patients_per_second"] for run in runs)
    size = statistics.median(run["bytes_per_patient"] for run in runs)
    peaks = [run["peak_rss_bytes"] for run in runs if run["peak_rss_bytes"] is not None]
    peak = f"{statistics.median(peaks) / 2**20:.1f}" if peaks else "n/a"
    print(f"| {kind} | {format} | {patients:,} | {len(runs)} | {seconds:.2f} | {rate:,.0f} | {size:,.0f} | {peak} |")
PYTHON
