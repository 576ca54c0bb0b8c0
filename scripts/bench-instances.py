#!/usr/bin/env python3
"""Measures job throughput: one `casualty serve` on SQLite against two on one PostgreSQL database.

Each run starts the servers on loopback with a new data folder (and, for PostgreSQL, a new
database), submits the same jobs, alternating between the instances, and measures the wall time
from the first submission until every job has completed. Three setups run the same jobs:

  sqlite-1x1  one instance on SQLite with one worker
  sqlite-1x2  one instance on SQLite with two workers
  postgres-2x1  two instances on one PostgreSQL database with one worker each

Every job generation uses one thread (`--job-threads 1`). The script prints a Markdown table with
the median, minimum and maximum of the runs. Run it from anywhere inside the repository, with a
release binary built and a PostgreSQL server whose user may create databases:

    cargo build --release -p casualty-cli
    eval "$(scripts/test-postgres.sh start /tmp/casualty-postgres)"
    scripts/bench-instances.py

Environment variables change what is measured:
  CASUALTY_TEST_DATABASE_URL  the PostgreSQL server (required)
  BENCH_JOBS                  jobs per run (default: 20)
  BENCH_JOB_COUNT             patients per job (default: 50000)
  BENCH_RUNS                  runs of each setup (default: 3)
  BENCH_CONFIG                scenario file (default: examples/seed-small.json)
  CARGO_TARGET_DIR            where the release binary is (default: target)
"""

import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

OPERATOR_KEY = "sk_op_bench-instances-0123456789abcdef"
REPO = pathlib.Path(__file__).resolve().parent.parent


def fail(message):
    print(f"bench-instances.py: error: {message}", file=sys.stderr)
    sys.exit(1)


def request(address, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    headers = {"X-API-Key": OPERATOR_KEY, "Content-Type": "application/json"}
    req = urllib.request.Request(f"http://{address}{path}", data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


class Server:
    """A `casualty serve` process; its address is read from the line it prints on stderr."""

    def __init__(self, binary, data_dir, database_url, workers, config_file):
        args = [str(binary), "serve", "--port", "0", "--data-dir", str(data_dir), "--workers", str(workers), "--job-threads", "1", "--config-file", str(config_file)]
        if database_url:
            args += ["--database-url", database_url]
        env = {name: value for name, value in os.environ.items() if not name.startswith("CASUALTY_")}
        env["CASUALTY_OPERATOR_KEY"] = OPERATOR_KEY
        env["RUST_LOG"] = "warn"
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, text=True)
        self.address = None
        found = threading.Event()

        def drain():
            for line in self.process.stderr:
                prefix = "casualty: listening on http://"
                if line.startswith(prefix):
                    self.address = line[len(prefix):].strip()
                    found.set()

        threading.Thread(target=drain, daemon=True).start()
        if not found.wait(30):
            self.stop()
            fail(f"casualty serve printed no address within 30 s: {' '.join(args)}")

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# Keeps psql from printing notices such as "database ... does not exist, skipping".
PSQL_ENV = dict(os.environ, PGOPTIONS="-c client_min_messages=warning")


def new_database(server_url, name):
    for statement in (f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}"):
        subprocess.run(["psql", server_url, "-q", "-c", statement], check=True, stdout=subprocess.DEVNULL, env=PSQL_ENV)
    parsed = urllib.parse.urlsplit(server_url)
    return urllib.parse.urlunsplit(parsed._replace(path=f"/{name}"))


def drop_database(server_url, name):
    subprocess.run(["psql", server_url, "-q", "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=False, stdout=subprocess.DEVNULL, env=PSQL_ENV)


def run_once(binary, scenario, setup, jobs, job_count, server_url, run):
    instances, workers, backend = setup
    with tempfile.TemporaryDirectory(prefix="bench-instances-") as folder:
        data_dir = pathlib.Path(folder) / "data"
        database_name = f"casualty_bench_{os.getpid()}_{run}"
        database_url = new_database(server_url, database_name) if backend == "postgres" else None
        # The default read limit of 600 a minute would stop the polling below.
        config_file = pathlib.Path(folder) / "serve.toml"
        config_file.write_text("[read_limits]\nper_minute = 1000000\nper_hour = 1000000\nper_day = 1000000\n")
        servers = [Server(binary, data_dir, database_url, workers, config_file) for _ in range(instances)]
        try:
            body = {"configuration": dict(scenario, count=job_count), "output_formats": ["ndjson"]}
            started = time.monotonic()
            ids = []
            for index in range(jobs):
                status, created = request(servers[index % instances].address, "POST", "/api/v1/generation", body)
                if status != 201:
                    fail(f"job submission returned {status}: {created}")
                ids.append(created["job_id"])
            remaining = set(ids)
            while remaining:
                status, listing = request(servers[0].address, "GET", "/api/v1/jobs?per_page=100")
                if status != 200:
                    fail(f"GET jobs returned {status}: {listing}")
                for job in listing["jobs"]:
                    if job["status"] == "completed":
                        remaining.discard(job["job_id"])
                    elif job["status"] in ("failed", "cancelled"):
                        fail(f"job {job['job_id']} ended {job['status']}: {job.get('error')}")
                time.sleep(0.05)
            return time.monotonic() - started
        finally:
            for server in servers:
                server.stop()
            if database_url:
                drop_database(server_url, database_name)


def main():
    server_url = os.environ.get("CASUALTY_TEST_DATABASE_URL", "")
    if not server_url:
        fail("CASUALTY_TEST_DATABASE_URL is not set; start a server with scripts/test-postgres.sh start DIR")
    jobs = int(os.environ.get("BENCH_JOBS", "20"))
    job_count = int(os.environ.get("BENCH_JOB_COUNT", "50000"))
    runs = int(os.environ.get("BENCH_RUNS", "3"))
    config = REPO / os.environ.get("BENCH_CONFIG", "examples/seed-small.json")
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    binary = target / "release" / "casualty"
    if not binary.is_file():
        fail(f"{binary} is missing; build it with cargo build --release -p casualty-cli")
    scenario = json.loads(config.read_text())
    scenario = scenario.get("configuration", scenario)

    setups = {"sqlite-1x1": (1, 1, "sqlite"), "sqlite-1x2": (1, 2, "sqlite"), "postgres-2x1": (2, 1, "postgres")}
    print(f"{jobs} jobs of {job_count} patients (NDJSON, one generation thread each), {runs} runs per setup", file=sys.stderr)
    rows = []
    run_number = 0
    for name, setup in setups.items():
        seconds = []
        for _ in range(runs):
            run_number += 1
            elapsed = run_once(binary, scenario, setup, jobs, job_count, server_url, run_number)
            print(f"{name}: {elapsed:.2f} s", file=sys.stderr)
            seconds.append(elapsed)
        median = statistics.median(seconds)
        rows.append((name, median, min(seconds), max(seconds), jobs / median, jobs * job_count / median))

    print("| Setup | Median wall time (s) | Min (s) | Max (s) | Jobs/s | Patients/s |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, median, low, high, jobs_per_second, patients_per_second in rows:
        print(f"| {name} | {median:.2f} | {low:.2f} | {high:.2f} | {jobs_per_second:.2f} | {patients_per_second:,.0f} |")


if __name__ == "__main__":
    main()
