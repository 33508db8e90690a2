#!/usr/bin/env bash
# Benchmark: wall time of `scaffold new demo --yes --no-git --no-verify` (target: under
# 5 ms median on the 2-core CI machine). Needs hyperfine (`apt-get install hyperfine`).
# Usage: benches/new.sh [extra hyperfine args]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
bin="$PWD/target/release/scaffold"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cd "$work"
hyperfine --warmup 20 --runs 300 -N \
  --prepare "rm -rf $work/demo" \
  --export-json "$work/new.json" \
  "$bin new demo --yes --no-git --no-verify -q" "$@"
python3 - "$work/new.json" <<'PY'
import json, sys
for result in json.load(open(sys.argv[1]))["results"]:
    print(f"median {result['median'] * 1000:.2f} ms  ({result['command']})")
PY
