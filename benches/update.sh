#!/usr/bin/env bash
# Benchmark: `scaffold update` on a generated project with nothing to do, beside
# `scaffold new demo --yes --no-git --no-verify`, in one hyperfine run (target: update
# within 2x of new). Needs hyperfine (`apt-get install hyperfine`).
# Usage: benches/update.sh [extra hyperfine args]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
bin="$PWD/target/release/scaffold"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cd "$work"
"$bin" new project --yes --no-verify -q
hyperfine --warmup 20 --runs 200 -N \
  --prepare "rm -rf $work/demo" \
  --export-json "$work/update.json" \
  --command-name "new --no-git --no-verify" "$bin new demo --yes --no-git --no-verify -q" \
  --command-name "update (nothing to do)" "$bin update $work/project -q" "$@"
python3 - "$work/update.json" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
for result in results:
    print(f"median {result['median'] * 1000:.2f} ms  ({result['command']})")
print(f"update / new: {results[1]['median'] / results[0]['median']:.2f}x")
PY
