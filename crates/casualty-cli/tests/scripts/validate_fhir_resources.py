"""Validate FHIR R4 NDJSON files written by `casualty generate --format fhir`.

Usage: validate_fhir_resources.py FILE...

Each line of a FILE is one resource. Bundles (the lines of patients.fhir.ndjson) are parsed with
fhir.resources.bundle.Bundle, any other resource (the lines of the Bulk Data files
fhir/<ResourceType>.ndjson) with the fhir.resources model of its type. The pinned fhir.resources
6.4.0 models are FHIR R4 (4.0.1). On top of the models this script checks what they accept:

- no null, no empty array, no empty object and no empty string anywhere;
- every dateTime or instant with a time of day carries a time zone;
- in a Bundle, every entry has a unique `urn:uuid:` fullUrl that matches its resource's id, and
  every reference resolves to the fullUrl of an entry of the same Bundle;
- in Bulk Data files, every reference has the form `<ResourceType>/<id>` and resolves to a
  resource of the files given, ids are unique per type, and a file named after a resource type
  contains only that type.

Every problem is printed as FILE:LINE: problem. Exit status: 0 when all is valid, 1 when any
problem was found, 2 for a usage or read error, 3 when fhir.resources is missing or not the
pinned version.
"""

import json
import os
import re
import sys
import uuid

REQUIRED_VERSION = "6.4.0"
INSTALL_HINT = "install it with: python3 -m pip install -r validators/requirements.txt"
MAX_PRINTED = 50

try:
    import fhir.resources
    from fhir.resources import get_fhir_model_class
    from fhir.resources.bundle import Bundle
except ImportError as error:
    print(f"fhir.resources is not installed ({error}); {INSTALL_HINT}", file=sys.stderr)
    sys.exit(3)

if fhir.resources.__version__ != REQUIRED_VERSION:
    print(f"fhir.resources {fhir.resources.__version__} is installed, but the checks are written for {REQUIRED_VERSION} (FHIR R4); {INSTALL_HINT}", file=sys.stderr)
    sys.exit(3)

# A date followed by a time of day. FHIR requires a zone on such dateTime and instant values.
DATE_WITH_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T")
ZONE_AT_END = re.compile(r"(Z|[+-]\d{2}:\d{2})$")
RELATIVE_REFERENCE = re.compile(r"^([A-Za-z]+)/([A-Za-z0-9\-.]{1,64})$")
URN_UUID = "urn:uuid:"


class Problems:
    """Collects problems and prints the first MAX_PRINTED of them."""

    def __init__(self):
        self.count = 0

    def add(self, path, line, text):
        self.count += 1
        if self.count <= MAX_PRINTED:
            print(f"{path}:{line}: {text}", file=sys.stderr)


def walk(value, where):
    """Yield (location, key, value) for every member and item below `value`."""
    if isinstance(value, dict):
        for key, item in value.items():
            location = f"{where}.{key}" if where else key
            yield location, key, item
            yield from walk(item, location)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            location = f"{where}[{index}]"
            yield location, None, item
            yield from walk(item, location)


def check_values(resource, report):
    """Report nulls, empty values and dateTimes without a zone; return the references found."""
    references = []
    for location, key, value in walk(resource, ""):
        if value is None:
            report(f"{location} is null; leave the element out instead")
        elif isinstance(value, (list, dict, str)) and len(value) == 0:
            report(f"{location} is empty ({json.dumps(value)}); leave the element out instead")
        elif isinstance(value, str):
            if DATE_WITH_TIME.match(value) and not ZONE_AT_END.search(value):
                report(f"{location} = {value!r} has a time but no time zone")
            if key == "reference":
                references.append((location, value))
    return references


def check_bundle(bundle, references, report):
    """Check the entries of one Bundle and that its `references` resolve inside it."""
    full_urls = set()
    for index, entry in enumerate(bundle.get("entry", [])):
        where = f"entry[{index}]"
        full_url = entry.get("fullUrl")
        resource = entry.get("resource", {})
        if not isinstance(full_url, str) or not full_url.startswith(URN_UUID):
            report(f"{where}.fullUrl = {full_url!r}; expected urn:uuid:<uuid>")
            continue
        try:
            uuid.UUID(full_url[len(URN_UUID):])
        except ValueError:
            report(f"{where}.fullUrl = {full_url!r} does not hold a valid UUID")
        if full_url in full_urls:
            report(f"{where}.fullUrl = {full_url!r} appears twice in the bundle")
        full_urls.add(full_url)
        if "id" in resource and URN_UUID + str(resource["id"]) != full_url:
            report(f"{where}.resource.id = {resource['id']!r} does not match fullUrl {full_url!r}")
    for location, reference in references:
        if reference not in full_urls:
            report(f"{location} = {reference!r} does not resolve to an entry of this bundle")


def bulk_file_type(path):
    """Return the resource type a Bulk Data file is named after, such as Patient for
    fhir/Patient.ndjson, or None for a file with another name."""
    stem, extension = os.path.splitext(os.path.basename(path))
    if extension != ".ndjson" or not stem.isalpha() or not stem[:1].isupper():
        return None
    try:
        get_fhir_model_class(stem)
    except (KeyError, ValueError):
        return None
    return stem


def validate_line(path, line_number, text, problems, bulk_ids, bulk_references, expected_type):
    """Validate one NDJSON line, collecting Bulk Data ids and references for the final check."""

    def report(message):
        problems.add(path, line_number, message)

    if not text.strip():
        report("empty line; every line must hold one resource")
        return 0
    try:
        resource = json.loads(text)
    except json.JSONDecodeError as error:
        report(f"invalid JSON: {error}")
        return 0
    if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
        report("the line is not a FHIR resource: no resourceType")
        return 0
    resource_type = resource["resourceType"]
    if expected_type is not None and resource_type != expected_type:
        report(f"resourceType {resource_type!r} in the Bulk Data file of {expected_type}")

    references = check_values(resource, report)
    if resource_type == "Bundle":
        model = Bundle
        check_bundle(resource, references, report)
    else:
        try:
            model = get_fhir_model_class(resource_type)
        except (KeyError, ValueError):
            report(f"{resource_type!r} is not a FHIR R4 resource type")
            return 0
        key = (resource_type, resource.get("id"))
        if key in bulk_ids:
            report(f"{resource_type}/{resource.get('id')} appears twice (first at line {bulk_ids[key]})")
        bulk_ids.setdefault(key, f"{path}:{line_number}")
        for location, reference in references:
            bulk_references.append((path, line_number, location, reference))
    try:
        model.parse_obj(resource)
    except Exception as error:  # pydantic.ValidationError and the model's own ValueErrors
        report(f"{resource_type} rejected by fhir.resources: {error}".replace("\n", " | "))
    return 1


def main(paths):
    if not paths:
        print("usage: validate_fhir_resources.py FILE...  (NDJSON files of FHIR R4 resources)", file=sys.stderr)
        return 2
    problems = Problems()
    bulk_ids = {}
    bulk_references = []
    resources = 0
    for path in paths:
        expected_type = bulk_file_type(path)
        try:
            with open(path, encoding="utf-8") as handle:
                for line_number, text in enumerate(handle, start=1):
                    resources += validate_line(path, line_number, text, problems, bulk_ids, bulk_references, expected_type)
        except (OSError, UnicodeDecodeError) as error:
            print(f"{path}: cannot be read: {error}", file=sys.stderr)
            return 2

    for path, line_number, location, reference in bulk_references:
        match = RELATIVE_REFERENCE.match(reference)
        if match is None:
            problems.add(path, line_number, f"{location} = {reference!r}; Bulk Data references must have the form <ResourceType>/<id>")
        elif (match.group(1), match.group(2)) not in bulk_ids:
            problems.add(path, line_number, f"{location} = {reference!r} does not resolve to a resource of the files given")

    if problems.count:
        hidden = f" (the first {MAX_PRINTED} printed)" if problems.count > MAX_PRINTED else ""
        print(f"found {problems.count} problems{hidden} in {resources} resources of {len(paths)} files", file=sys.stderr)
        return 1
    print(f"fhir.resources {fhir.resources.__version__}: {resources} resources valid in {len(paths)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
