#!/usr/bin/env bash
# Benchmarks for verify (issue 3), on the real engine. Not part of .ci/run.
#
# 1. Rebuild after a one-line Go change, cache warm: the generated Dockerfile against
#    the source article's Dockerfile, building the same generated Go code, on the same
#    engine. Target: generated median <= article median / 10.
# 2. verify's own overhead: `scaffold verify` against bare `docker build` + `docker run`
#    + a curl loop on /healthz (+ `docker rm -f`, which verify also does), same warm
#    cache, no source change. Target: under 200 ms.
#
# Needs docker (BuildKit: DOCKER_BUILDKIT=1 with a client that has it built in, or
# buildx), curl and hyperfine (`apt-get install -y hyperfine`).
# Usage: benches/rebuild.sh [RUNS]    (default 10; results also in target/bench-rebuild/)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-10}"
export DOCKER_BUILDKIT=1 BUILDKIT_PROGRESS=plain
for tool in docker curl hyperfine; do
  command -v "$tool" >/dev/null || { echo "rebuild.sh: $tool is missing" >&2; exit 1; }
done

cargo build --release --locked --quiet
target="${CARGO_TARGET_DIR:-$PWD/target}"
bin="$target/release/scaffold"
out="$target/bench-rebuild"; mkdir -p "$out"
work=$(mktemp -d)
name=benchsvc
cleanup() {
  docker rm -f $(docker ps -aq --filter label=scaffold.bench=1) >/dev/null 2>&1 || true
  docker rmi "$name-generated:bench" "$name-article:bench" "$name:verify" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# The generated project, and a copy of it built with the article's Dockerfile.
"$bin" new "$name" --dir "$work/generated" --yes --no-git --no-verify -q
cp -a "$work/generated" "$work/article"
cat > "$work/article/Dockerfile" <<EOF
FROM golang:1.21-alpine AS builder
WORKDIR /app
COPY go.mod ./
RUN go mod download
COPY . .
RUN go build -o main ./cmd/$name
FROM alpine:latest
RUN apk --no-cache add ca-certificates
WORKDIR /root/
COPY --from=builder /app/main .
EXPOSE 8080
CMD ["./main"]
EOF
rm -f "$work/article/.dockerignore"  # the article has none

echo "== warm-up builds (fill the layer and Go caches)"
for variant in generated article; do
  docker build -q -t "$name-$variant:bench" "$work/$variant" >/dev/null
done

# A one-line change to the service's main.go before every timed build.
change() { echo "printf '// bench %s\n' \"\$(date +%s%N)\" >> $work/$1/cmd/$name/main.go"; }

echo "== 1. rebuild after a one-line Go change ($runs runs each)"
hyperfine --runs "$runs" --warmup 1 \
  --export-json "$out/rebuild.json" --export-markdown "$out/rebuild.md" \
  --prepare "$(change generated)" -n generated "docker build -q -t $name-generated:bench $work/generated" \
  --prepare "$(change article)" -n article "docker build -q -t $name-article:bench $work/article"

median() { python3 -c "import json,sys; r={x['command']:x['median'] for x in json.load(open(sys.argv[1]))['results']}; print(r[sys.argv[2]])" "$1" "$2"; }
gen=$(median "$out/rebuild.json" generated)
art=$(median "$out/rebuild.json" article)
python3 -c "g,a=$gen,$art; print(f'generated median {g:.3f} s, article median {a:.3f} s, ratio {a/g:.1f}x (target >= 10x): {\"OK\" if g*10<=a else \"MISSED\"}')" | tee "$out/rebuild.txt"

echo "== 2. verify overhead ($runs runs each, warm cache, no source change)"
# The bare steps verify automates, as a user would type them.
cat > "$work/bare.sh" <<EOF
set -e
docker build -q -t $name:verify $work/generated >/dev/null
cid=\$(docker run -d --label scaffold.bench=1 -p 127.0.0.1::8080 $name:verify)
port=\$(docker port "\$cid" 8080/tcp | head -n1 | sed 's/.*://')
until curl -fsS -m 1 -o /dev/null "http://127.0.0.1:\$port/healthz"; do sleep 0.05; done
curl -fsS -m 1 -o /dev/null "http://127.0.0.1:\$port/"
docker rm -f "\$cid" >/dev/null
EOF
docker build -q -t "$name:verify" "$work/generated" >/dev/null
hyperfine --runs "$runs" --warmup 2 \
  --export-json "$out/overhead.json" --export-markdown "$out/overhead.md" \
  -n bare "bash $work/bare.sh" \
  -n verify "$bin verify $work/generated -q"
bare=$(median "$out/overhead.json" bare)
ver=$(median "$out/overhead.json" verify)
python3 -c "b,v=$bare,$ver; print(f'bare median {b*1000:.0f} ms, verify median {v*1000:.0f} ms, overhead {(v-b)*1000:.0f} ms (target < 200 ms): {\"OK\" if v-b<0.2 else \"MISSED\"}')" | tee "$out/overhead.txt"
