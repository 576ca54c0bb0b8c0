"""Reads every format of one casualty run back with independent readers and compares it with the
NDJSON records of the same run.

Usage: cross_format.py FOLDER

FOLDER holds the output of `casualty generate --format json,ndjson,csv,xml,xlsx,fhir,parquet`. The
script exits with status 1 and a message naming the format, patient and field at the first
disagreement, and prints one line per format checked when everything agrees.
"""

import csv
import datetime
import json
import sys
import xml.etree.ElementTree as ElementTree

# XML elements whose children form a list in the JSON record.
XML_LISTS = {"allergies", "injuries", "movement_timeline", "treatments", "medications", "vital_signs"}
# Free-text CSV columns that get a leading ' when they start like a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class Disagreement(Exception):
    pass


def check(condition, where, detail):
    if not condition:
        raise Disagreement(f"{where}: {detail}")


def same_value(left, right):
    """Compares a JSON scalar with a value read from text, numbers by value."""
    if isinstance(left, bool):
        return str(left).lower() == str(right).lower()
    if isinstance(left, (int, float)):
        try:
            return abs(float(left) - float(right)) < 1e-9
        except (TypeError, ValueError):
            return False
    return left == right


def compare_tree(expected, actual, where):
    """Compares a JSON record with the same record read from another format, field by field."""
    if isinstance(expected, dict):
        check(isinstance(actual, dict), where, f"expected an object, read {actual!r}")
        for key, value in expected.items():
            if value == [] and key not in actual:
                continue
            check(key in actual, f"{where}.{key}", "missing")
            compare_tree(value, actual[key], f"{where}.{key}")
        extra = set(actual) - set(expected)
        check(not extra, where, f"fields not in the NDJSON record: {sorted(extra)}")
    elif isinstance(expected, list):
        check(isinstance(actual, list) and len(actual) == len(expected), where, f"expected {len(expected)} items, read {actual!r}")
        for index, (left, right) in enumerate(zip(expected, actual)):
            compare_tree(left, right, f"{where}[{index}]")
    else:
        check(same_value(expected, actual), where, f"expected {expected!r}, read {actual!r}")


def read_ndjson(path):
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def check_json(folder, records):
    with open(f"{folder}/patients.json", encoding="utf-8") as handle:
        document = json.load(handle)
    check(document["patients"] == records, "json", "the patients differ from the NDJSON records")
    return len(document["patients"])


def xml_to_tree(element):
    children = list(element)
    if element.tag in XML_LISTS:
        return [xml_to_tree(child) for child in children]
    if not children:
        return element.text or ""
    return {child.tag: xml_to_tree(child) for child in children}


def check_xml(folder, records):
    count = 0
    for _, element in ElementTree.iterparse(f"{folder}/patients.xml", events=("end",)):
        if element.tag != "patient":
            continue
        check(count < len(records), "xml", "more patients than the NDJSON")
        compare_tree(records[count], xml_to_tree(element), f"xml patient {count}")
        element.clear()
        count += 1
    check(count == len(records), "xml", f"{count} patients, NDJSON has {len(records)}")
    return count


def unguard(value):
    if len(value) > 1 and value[0] == "'" and value[1] in "=+-@\t\r'":
        return value[1:]
    return value


def patient_row(record):
    """The patients.csv and XLSX row of a record, as text, in table column order."""
    primary = record["injuries"][0]
    rh = "+" if record["blood_group"]["rh"] == "positive" else "-"
    return {
        "id": record["id"],
        "sequence": record["sequence"],
        "given_name": record["name"]["given"],
        "family_name": record["name"]["family"],
        "given_name_latin": record["name"].get("given_latin", ""),
        "family_name_latin": record["name"].get("family_latin", ""),
        "nationality": record["nationality"],
        "gender": record["gender"],
        "age": record["age"],
        "date_of_birth": record["date_of_birth"],
        "branch": record["service"]["branch"],
        "rank": record["service"]["rank"],
        "rank_title": record["service"]["rank_title"],
        "unit": record["service"]["unit"],
        "service_number": record["service"]["service_number"],
        "blood_group": record["blood_group"]["abo"] + rh,
        "front": record["front"],
        "injury_type": record["injury_type"],
        "mechanism": record["mechanism"]["id"],
        "event_id": record.get("event_id", ""),
        "mass_casualty": record["mass_casualty"],
        "primary_diagnosis_code": primary["code"],
        "primary_diagnosis": primary["display"],
        "body_region": primary["body_region"],
        "ais": primary["ais"],
        "iss": record["iss"],
        "niss": record["niss"],
        "triage_category": record["triage_category"],
        "injury_timestamp": record["injury_timestamp"],
        "last_facility": record["last_facility"],
        "final_status": record["final_status"],
        "outcome_timestamp": record["outcome_timestamp"],
        "diagnosis_count": len(record["injuries"]),
    }


def event_rows(record):
    for event in record["movement_timeline"]:
        yield {
            "patient_id": record["id"],
            "sequence": record["sequence"],
            "event_type": event["event_type"],
            "facility": event["facility"],
            "timestamp": event["timestamp"],
            "hours_since_injury": event["hours_since_injury"],
        }


def compare_rows(expected_rows, actual_rows, where, convert):
    count = 0
    for index, (expected, actual) in enumerate(zip(expected_rows, actual_rows)):
        check(list(actual) == list(expected), where, f"columns {list(actual)}, expected {list(expected)}")
        for column, value in expected.items():
            read = convert(column, actual[column])
            check(same_value(value, read), f"{where} row {index + 1} {column}", f"expected {value!r}, read {read!r}")
        count += 1
    return count


def check_csv(folder, records):
    with open(f"{folder}/patients.csv", newline="", encoding="utf-8") as handle:
        patients = list(csv.DictReader(handle))
    check(len(patients) == len(records), "csv", f"{len(patients)} patient rows, NDJSON has {len(records)}")
    compare_rows((patient_row(r) for r in records), patients, "patients.csv", lambda column, value: unguard(value))
    with open(f"{folder}/events.csv", newline="", encoding="utf-8") as handle:
        events = list(csv.DictReader(handle))
    expected = [row for r in records for row in event_rows(r)]
    check(len(events) == len(expected), "csv", f"{len(events)} event rows, expected {len(expected)}")
    compare_rows(expected, events, "events.csv", lambda column, value: value)
    return len(patients)


def xlsx_value(column, value):
    from openpyxl.utils.escape import unescape

    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, str):
        return unescape(value)
    return value


def check_xlsx(folder, records):
    import openpyxl

    workbook = openpyxl.load_workbook(f"{folder}/patients.xlsx", read_only=True)

    def rows(prefix):
        names = [n for n in workbook.sheetnames if n == prefix or n.startswith(prefix + "_")]
        for name in names:
            values = workbook[name].iter_rows(values_only=True)
            header = next(values)
            for row in values:
                yield dict(zip(header, row))

    patients = list(rows("patients"))
    check(len(patients) == len(records), "xlsx", f"{len(patients)} patient rows, NDJSON has {len(records)}")
    compare_rows((patient_row(r) for r in records), patients, "xlsx patients", xlsx_value)
    events = list(rows("events"))
    expected = [row for r in records for row in event_rows(r)]
    check(len(events) == len(expected), "xlsx", f"{len(events)} event rows, expected {len(expected)}")
    compare_rows(expected, events, "xlsx events", xlsx_value)
    return len(patients)


def parquet_value(column, value):
    """Converts a value read by DuckDB to the text form of the NDJSON record."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def check_parquet(folder, records):
    import duckdb

    connection = duckdb.connect()

    def rows(name):
        result = connection.execute("SELECT * FROM read_parquet(?)", [f"{folder}/{name}"])
        columns = [description[0] for description in result.description]
        return [dict(zip(columns, row)) for row in result.fetchall()]

    patients = rows("patients.parquet")
    check(len(patients) == len(records), "parquet", f"{len(patients)} patient rows, NDJSON has {len(records)}")
    for index, (record, row) in enumerate(zip(records, patients)):
        diagnoses = [(d["code"], d["display"], d["body_region"], d["ais"]) for d in row.pop("diagnoses")]
        expected = [(i["code"], i["display"], i["body_region"], i["ais"]) for i in record["injuries"]]
        check(diagnoses == expected, f"patients.parquet row {index + 1} diagnoses", f"expected {expected!r}, read {diagnoses!r}")
    compare_rows((patient_row(r) for r in records), patients, "patients.parquet", parquet_value)
    events = rows("events.parquet")
    expected = [row for r in records for row in event_rows(r)]
    check(len(events) == len(expected), "parquet", f"{len(events)} event rows, expected {len(expected)}")
    compare_rows(expected, events, "events.parquet", parquet_value)
    return len(patients)


def check_fhir(folder, records):
    """Compares each bundle with its record, and the Bulk Data files with the bundles."""
    bulk_counts = {}
    bundles = 0
    with open(f"{folder}/patients.fhir.ndjson", encoding="utf-8") as handle:
        for index, line in enumerate(handle):
            check(index < len(records), "fhir", "more bundles than the NDJSON")
            record = records[index]
            where = f"fhir bundle {index}"
            bundle = json.loads(line)
            resources = [entry["resource"] for entry in bundle["entry"]]
            by_type = {}
            for resource in resources:
                by_type.setdefault(resource["resourceType"], []).append(resource)
                bulk_counts[resource["resourceType"]] = bulk_counts.get(resource["resourceType"], 0) + 1

            patient = by_type["Patient"][0]
            check(patient["id"] == record["id"], where, f"Patient.id {patient['id']!r}, record id {record['id']!r}")
            check(patient["gender"] == record["gender"], where, f"gender {patient['gender']!r}, expected {record['gender']!r}")
            check(patient["birthDate"] == record["date_of_birth"], where, "birthDate differs")
            check(patient["name"][0]["family"] == record["name"]["family"], where, "family name differs")
            check(patient["name"][0]["given"] == [record["name"]["given"]], where, "given name differs")
            numbers = [i["value"] for i in patient["identifier"] if i.get("type", {}).get("text") == "Service number"]
            check(numbers == [record["service"]["service_number"]], where, f"service number {numbers!r}")
            died = record["final_status"] in ("KIA", "DOW", "DNBI_death")
            check(("deceasedDateTime" in patient) == died, where, "deceasedDateTime does not match the outcome")
            if died:
                check(patient["deceasedDateTime"] == record["outcome_timestamp"], where, "deceasedDateTime differs from the outcome time")

            conditions = by_type.get("Condition", [])
            codes = [c["code"]["coding"][0]["code"] for c in conditions]
            check(codes == [i["code"] for i in record["injuries"]], where, f"condition codes {codes!r}")
            procedures = [p["code"]["coding"][0]["code"] for p in by_type.get("Procedure", [])]
            check(procedures == [t["code"] for t in record["treatments"]], where, f"procedure codes {procedures!r}")
            medications = by_type.get("MedicationAdministration", [])
            check(len(medications) == len(record["medications"]), where, f"{len(medications)} medication administrations")
            allergies = by_type.get("AllergyIntolerance", [])
            check(len(allergies) == len(record["allergies"]), where, f"{len(allergies)} allergies")
            observations = by_type.get("Observation", [])
            check(len(observations) == 6 * len(record["vital_signs"]) + 1, where, f"{len(observations)} observations for {len(record['vital_signs'])} sets of vital signs and the blood group")
            heart_rates = [o["valueQuantity"]["value"] for o in observations if o["code"]["coding"][0]["code"] == "8867-4"]
            check(heart_rates == [v["heart_rate"] for v in record["vital_signs"]], where, f"heart rates {heart_rates!r}")
            blood = [o for o in observations if o["code"]["coding"][0]["code"] == "882-1"]
            check(len(blood) == 1 and blood[0]["valueCodeableConcept"]["coding"][0]["code"] == record["blood_group"]["code"], where, "blood group differs")
            facilities = {e["facility"] for e in record["movement_timeline"] if e["event_type"] == "arrival"}
            encounters = by_type.get("Encounter", [])
            check(len(encounters) >= len(facilities), where, f"{len(encounters)} encounters for arrivals at {sorted(facilities)}")
            bundles += 1
    check(bundles == len(records), "fhir", f"{bundles} bundles, NDJSON has {len(records)}")

    for resource_type, count in bulk_counts.items():
        with open(f"{folder}/fhir/{resource_type}.ndjson", encoding="utf-8") as handle:
            lines = sum(1 for _ in handle)
        check(lines == count, f"fhir/{resource_type}.ndjson", f"{lines} lines, the bundles hold {count}")
    return bundles


def main():
    folder = sys.argv[1]
    records = read_ndjson(f"{folder}/patients.ndjson")
    checks = [("json", check_json), ("xml", check_xml), ("csv", check_csv), ("xlsx", check_xlsx), ("fhir", check_fhir), ("parquet", check_parquet)]
    try:
        for name, function in checks:
            count = function(folder, records)
            print(f"{name}: {count} patients agree with the NDJSON")
    except Disagreement as disagreement:
        print(f"cross_format.py: {disagreement}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
