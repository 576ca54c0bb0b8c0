#!/usr/bin/env bash
# Compiles the planner page's TypeScript (crates/casualty-server/web/src) into the ES modules
# that the server embeds (crates/casualty-server/assets/web), with the TypeScript compiler pinned
# in validators/package.json. Commit the compiled files with their sources: `cargo build` embeds
# them and never runs npm, and CI compiles them again and fails if they differ.
#
# Run from anywhere inside the repository, after `npm ci --prefix validators`:
#
#     scripts/build-web.sh
set -euo pipefail

root=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
tsc="$root/validators/node_modules/typescript/bin/tsc"
if [[ ! -f $tsc ]]; then
    echo "build-web: error: the TypeScript compiler is not installed; run: npm ci --prefix validators" >&2
    exit 1
fi
node "$tsc" --version
node "$tsc" -p "$root/crates/casualty-server/web"
