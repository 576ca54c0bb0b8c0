#!/usr/bin/env bash
# Measures the service under load from a second process on loopback, with wrk.
#
# Starts `casualty serve` on a free port with a temporary data folder and an operator key, then
# measures, and prints as a Markdown table:
#   1. the CLI's NDJSON rate for the same scenario and thread count, as the reference;
#   2. patients per second streamed as NDJSON to one client and to 8 concurrent clients
#      (`POST /api/v1/streaming/generate`), each request streaming BENCH_STREAM_COUNT patients;
#   3. the latency percentiles of `GET /api/v1/health/live` while a job of BENCH_JOB_COUNT
#      patients (JSON, NDJSON and CSV) runs, and whether the job was still running when the
#      measurement ended.
# Run from anywhere inside the repository:
#
#     scripts/bench-serve.sh
#
# Environment variables change what is measured:
#   BENCH_THREADS       generation threads of the CLI and of the server (default: 2)
#   BENCH_STREAM_COUNT  patients per streaming request (default: 200000)
#   BENCH_SECONDS       seconds of each wrk measurement (default: 20)
#   BENCH_JOB_COUNT     patients of the job that runs during the latency measurement
#                       (default: 1000000)
#   BENCH_CONFIG        scenario file (default: examples/seed-small.json)
#
# wrk counts only requests that finish within the measurement, so the streaming rate is
# computed from completed requests and errs low by at most one request per connection.
set -euo pipefail

threads=${BENCH_THREADS:-2}
stream_count=${BENCH_STREAM_COUNT:-200000}
seconds=${BENCH_SECONDS:-20}
job_count=${BENCH_JOB_COUNT:-1000000}

for tool in cargo python3 wrk curl; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "bench-serve.sh: error: $tool is not installed or not on PATH (wrk and curl: apt-get install wrk curl)" >&2
        exit 1
    fi
done

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
config=${BENCH_CONFIG:-examples/seed-small.json}

workdir=$(mktemp -d)
server_pid=
cleanup() {
    if [[ -n $server_pid ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$workdir"
}
trap cleanup EXIT

echo "Building the release binary..." >&2
cargo build --release --locked -p casualty-cli >&2
binary="$repo/target/release/casualty"

# 1. The reference: the CLI writing NDJSON to a file.
echo "CLI reference run of $stream_count patients..." >&2
"$binary" generate --config "$config" --count "$stream_count" --threads "$threads" \
    --format ndjson --output "$workdir/reference.ndjson" --quiet --stats 2>"$workdir/cli-stats"
cli_rate=$(tail -n 1 "$workdir/cli-stats" | python3 -c 'import json, sys; print(round(json.load(sys.stdin)["patients_per_second"]))')
rm -f "$workdir/reference.ndjson"

# The server, with an operator key that has no limits.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
key="sk_live_bench_$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
CASUALTY_OPERATOR_KEY=$key "$binary" serve --host 127.0.0.1 --port "$port" --data-dir "$workdir/data" \
    --job-threads "$threads" --workers 1 2>"$workdir/server.log" &
server_pid=$!
base="http://127.0.0.1:$port/api/v1"
for _ in $(seq 1 100); do
    if curl -fsS "$base/health/live" >/dev/null 2>&1; then
        break
    fi
    sleep 0.1
done
curl -fsS "$base/health/live" >/dev/null

# The streaming request as a wrk script: the scenario of $config with the count replaced.
python3 - "$config" "$stream_count" "$key" >"$workdir/stream.lua" <<'PY'
import json, sys
document = json.load(open(sys.argv[1]))
scenario = document.get("configuration", document)
scenario["count"] = int(sys.argv[2])
scenario.pop("total_patients", None)
body = json.dumps({"configuration": scenario})
print('wrk.method = "POST"')
print("wrk.body = " + json.dumps(body))
print('wrk.headers["Content-Type"] = "application/json"')
print('wrk.headers["Accept"] = "application/x-ndjson"')
print('wrk.headers["X-API-Key"] = ' + json.dumps(sys.argv[3]))
PY

# Prints the completed requests of a wrk report.
completed_requests() {
    sed -n 's/^ *\([0-9][0-9]*\) requests in.*/\1/p' "$1"
}

stream_rate() {
    local connections=$1 report=$2
    wrk -t "$((connections < 2 ? 1 : 2))" -c "$connections" -d "${seconds}s" --timeout 60s \
        -s "$workdir/stream.lua" "$base/streaming/generate" >"$report"
    local requests
    requests=$(completed_requests "$report")
    python3 -c "print(round($requests * $stream_count / $seconds))"
}

echo "Streaming to 1 client for ${seconds} s..." >&2
one_client=$(stream_rate 1 "$workdir/wrk-stream-1.txt")
echo "Streaming to 8 clients for ${seconds} s..." >&2
eight_clients=$(stream_rate 8 "$workdir/wrk-stream-8.txt")

# 3. Health latency while a large job runs.
echo "Starting a job of $job_count patients..." >&2
job_body=$(python3 -c "
import json, sys
document = json.load(open('$config'))
scenario = document.get('configuration', document)
scenario['count'] = $job_count
scenario.pop('total_patients', None)
print(json.dumps({'configuration': scenario, 'output_formats': ['json', 'ndjson', 'csv']}))")
job_id=$(curl -fsS -X POST -H "X-API-Key: $key" -H 'Content-Type: application/json' -d "$job_body" "$base/generation" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["job_id"])')
# Waits until the job reports a rate, then measures for its remaining time less a second, at
# most half of BENCH_SECONDS, so that every sample falls while the job runs.
eta=
for _ in $(seq 1 200); do
    eta=$(curl -fsS -H "X-API-Key: $key" "$base/jobs/$job_id" | python3 -c '
import json, sys
job = json.load(sys.stdin)
print((job["progress_details"]["eta_seconds"] or "") if job["status"] == "running" else "")')
    [[ -n $eta ]] && break
    sleep 0.1
done
if [[ -z $eta ]]; then
    echo "bench-serve.sh: error: the job of $job_count patients did not report progress; choose a larger BENCH_JOB_COUNT" >&2
    exit 1
fi
health_seconds=$(( eta - 1 < seconds / 2 ? eta - 1 : seconds / 2 ))
health_seconds=$(( health_seconds < 2 ? 2 : health_seconds ))
echo "Measuring /health/live for ${health_seconds} s during the job (about $eta s left)..." >&2
wrk -t 1 -c 4 -d "${health_seconds}s" --latency "$base/health/live" >"$workdir/wrk-health.txt"
job_status=$(curl -fsS -H "X-API-Key: $key" "$base/jobs/$job_id" | python3 -c 'import json, sys; print(json.load(sys.stdin)["status"])')
percentile() {
    sed -n "s/^ *$1% *\([0-9.]*[a-z]*\).*/\1/p" "$workdir/wrk-health.txt"
}

cat <<EOF

| Measurement | Value |
|---|---|
| CLI NDJSON rate, $stream_count patients, $threads threads | $cli_rate patients/s |
| Streaming NDJSON, 1 client ($(completed_requests "$workdir/wrk-stream-1.txt") requests of $stream_count in ${seconds} s) | $one_client patients/s ($(python3 -c "print(round(100 * $one_client / $cli_rate))")% of the CLI) |
| Streaming NDJSON, 8 clients ($(completed_requests "$workdir/wrk-stream-8.txt") requests of $stream_count in ${seconds} s) | $eight_clients patients/s in all |
| \`/health/live\` during a $job_count-patient job: p50 / p90 / p99 | $(percentile 50) / $(percentile 90) / $(percentile 99) |
| \`/health/live\` requests answered in ${health_seconds} s | $(completed_requests "$workdir/wrk-health.txt") |
| Job status when the latency measurement ended | $job_status |
EOF
