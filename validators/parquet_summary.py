"""Read the Parquet parts of a run with DuckDB and print counts and aggregates as one JSON object.

Usage: parquet_summary.py FOLDER

FOLDER holds `patients.parquet` and `events.parquet` directly, or in subfolders, one per shard
(`FOLDER/*/patients.parquet`). Every part is read as one table, the way an analyst would query a
sharded run. The tests compare the output with the same figures counted from the NDJSON of the run.
"""

import json
import os
import sys

import duckdb


def parts(folder, name):
    """Returns the DuckDB glob of the parts named `name` under `folder`."""
    if os.path.exists(os.path.join(folder, name)):
        return os.path.join(folder, name)
    return os.path.join(folder, "*", name)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: parquet_summary.py FOLDER")
    folder = sys.argv[1]
    patients = parts(folder, "patients.parquet")
    events = parts(folder, "events.parquet")
    connection = duckdb.connect()

    def one(query, *parameters):
        return connection.execute(query, list(parameters)).fetchone()

    def counts(query, *parameters):
        return {str(key): value for key, value in connection.execute(query, list(parameters)).fetchall()}

    patient_count, distinct_ids, sequence_sum, iss_sum, diagnoses, first_injury, last_outcome = one(
        "SELECT count(*), count(DISTINCT id), sum(sequence), sum(iss), sum(len(diagnoses)),"
        " epoch(min(injury_timestamp))::BIGINT, epoch(max(outcome_timestamp))::BIGINT"
        " FROM read_parquet(?)",
        patients,
    )
    ais_sum = one("SELECT coalesce(sum(d.ais), 0) FROM (SELECT unnest(diagnoses) AS d FROM read_parquet(?))", patients)[0]
    event_count, hours_centi_sum = one(
        "SELECT count(*), sum(round(hours_since_injury * 100)::BIGINT) FROM read_parquet(?)", events
    )
    orphan_events = one(
        "SELECT count(*) FROM read_parquet(?) e ANTI JOIN read_parquet(?) p ON e.patient_id = p.id", events, patients
    )[0]
    summary = {
        "patients": patient_count,
        "distinct_ids": distinct_ids,
        "sequence_sum": int(sequence_sum or 0),
        "iss_sum": int(iss_sum or 0),
        "diagnoses": int(diagnoses or 0),
        "ais_sum": int(ais_sum),
        "first_injury_epoch": first_injury,
        "last_outcome_epoch": last_outcome,
        "by_triage": counts("SELECT triage_category, count(*) FROM read_parquet(?) GROUP BY ALL ORDER BY ALL", patients),
        "by_final_status": counts("SELECT final_status, count(*) FROM read_parquet(?) GROUP BY ALL ORDER BY ALL", patients),
        "mass_casualty": one("SELECT count(*) FROM read_parquet(?) WHERE mass_casualty", patients)[0],
        "events": event_count,
        "hours_since_injury_centi_sum": int(hours_centi_sum or 0),
        "by_event_type": counts("SELECT event_type, count(*) FROM read_parquet(?) GROUP BY ALL ORDER BY ALL", events),
        "orphan_events": orphan_events,
        "duckdb_version": duckdb.__version__,
    }
    print(json.dumps(summary, sort_keys=True))


if __name__ == "__main__":
    main()
