#!/usr/bin/env bash
# Benchmark: wall time of `scaffold doctor` on a Go + Docker project of 10,000 files in a
# git repository (1,000 packages of 10 files, a Dockerfile, compose file, .gitattributes,
# .dockerignore; plus vendor/ and bin/ that doctor must skip). Target: well under a
# second. Needs hyperfine (`apt-get install hyperfine`) and git.
# Usage: benches/doctor.sh [extra hyperfine args]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
bin="$PWD/target/release/scaffold"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
project="$work/big"
mkdir -p "$project"
cd "$project"
printf 'module example.com/big\n\ngo 1.22\n\nrequire github.com/google/uuid v1.6.0\n' > go.mod
printf '* text=auto eol=lf\n' > .gitattributes
printf '.git\n.env\nbin/\n' > .dockerignore
cat > Dockerfile <<'DOCKERFILE'
FROM golang:1.22-alpine AS build
ARG GOPROXY=https://proxy.golang.org,direct
ENV CGO_ENABLED=0
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN go build -o /out/big ./cmd/big
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/big /big
USER 65532:65532
ENTRYPOINT ["/big"]
DOCKERFILE
printf 'services:\n  app:\n    build: .\n    volumes:\n      - ./config:/etc/big:ro\n' > compose.yaml
mkdir -p cmd/big && printf 'package main\n\nfunc main() {}\n' > cmd/big/main.go
# 1,000 packages x (9 Go files + 1 README) = 10,000 files.
for p in $(seq -w 0 999); do
  dir="internal/pkg$p"
  mkdir -p "$dir"
  for f in 1 2 3 4 5 6 7 8 9; do
    printf 'package pkg%s\n\nimport (\n\t"fmt"\n\n\t"example.com/big/internal/pkg000"\n)\n\nfunc F%s() { fmt.Println(pkg000.F1) }\n' "$p" "$f" > "$dir/f$f.go"
  done
  printf '# pkg%s\n' "$p" > "$dir/README.md"
done
# Skipped by doctor: third-party code and build output.
mkdir -p vendor/github.com/google/uuid bin
for f in $(seq 1 500); do printf 'package uuid\r\n' > "vendor/github.com/google/uuid/f$f.go"; done
printf 'binary' > bin/big
git init -q -b main . && git -c core.safecrlf=false add -A
git -c user.name=bench -c user.email=bench@localhost commit -qm bench
echo "files: $(git ls-files | wc -l) tracked"
"$bin" doctor . --fail-on error >/dev/null
hyperfine --warmup 3 --runs 30 -N --export-json "$work/times.json" \
  "$bin doctor $project --format json" "$@"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("median: %.1f ms" % (r["median"]*1000))' "$work/times.json"
