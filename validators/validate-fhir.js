#!/usr/bin/env node
// Validates FHIR R4 resources in NDJSON files with FHIR.js (npm package `fhir`, pinned in
// package.json), independently of the Python validator.
//
// Usage: node validators/validate-fhir.js FILE...
//
// Each line of each FILE is one resource: a Bundle (in patients.fhir.ndjson) or any other
// resource (in the Bulk Data files fhir/<ResourceType>.ndjson). FHIR.js checks element names,
// cardinality, primitive formats, reference target types, and codes against the FHIR R4 value
// sets it ships. Properties that R4 does not define are errors here (errorOnUnexpected). A
// message of severity error or fatal fails the run. Warnings, such as a SNOMED CT code outside
// an example value set, are counted but not printed.
//
// Exit status: 0 when every resource is valid, 1 when any is not, 2 for a usage or read error,
// 3 when the `fhir` package is missing.

'use strict';

const fs = require('fs');
const readline = require('readline');

const MAX_PRINTED = 50;

function loadFhir() {
  try {
    return require('fhir');
  } catch (error) {
    console.error(`the npm package fhir is not installed (${error.code || error.message}); install it with: npm ci --prefix validators`);
    process.exit(3);
  }
}

async function validateFile(fhir, path, totals) {
  const lines = readline.createInterface({ input: fs.createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber += 1;
    if (line.length === 0) {
      report(totals, `${path}:${lineNumber}: empty line; every line must hold one resource`);
      continue;
    }
    let resource;
    try {
      resource = JSON.parse(line);
    } catch (error) {
      report(totals, `${path}:${lineNumber}: invalid JSON: ${error.message}`);
      continue;
    }
    const result = fhir.validate(resource, { errorOnUnexpected: true });
    totals.resources += 1;
    for (const message of result.messages) {
      if (message.severity === 'error' || message.severity === 'fatal') {
        report(totals, `${path}:${lineNumber}: ${resource.resourceType || 'resource'} ${message.resourceId || ''}: ${message.severity} at ${message.location || '(root)'}: ${message.message}`);
      } else if (message.severity === 'warning') {
        totals.warnings += 1;
      }
    }
  }
}

function report(totals, text) {
  totals.errors += 1;
  if (totals.errors <= MAX_PRINTED) {
    console.error(text);
  }
}

async function main() {
  const paths = process.argv.slice(2);
  if (paths.length === 0) {
    console.error('usage: node validators/validate-fhir.js FILE...  (NDJSON files of FHIR R4 resources)');
    process.exit(2);
  }
  const { Fhir } = loadFhir();
  const fhir = new Fhir();
  const totals = { resources: 0, errors: 0, warnings: 0 };
  for (const path of paths) {
    try {
      await validateFile(fhir, path, totals);
    } catch (error) {
      console.error(`${path}: cannot be read: ${error.message}`);
      process.exit(2);
    }
  }
  if (totals.errors > 0) {
    const hidden = totals.errors > MAX_PRINTED ? ` (the first ${MAX_PRINTED} printed)` : '';
    console.error(`FHIR.js found ${totals.errors} errors${hidden} in ${totals.resources} resources of ${paths.length} files`);
    process.exit(1);
  }
  console.log(`FHIR.js: ${totals.resources} resources valid in ${paths.length} files (${totals.warnings} warnings)`);
}

main();
