#!/usr/bin/env bash
# Load benchmark of `vecimg serve`: 8 concurrent clients ask for the neighbours
# (k=10) of random stored ids for 30 s, against a store of N synthetic vectors
# plus the model's manifest, once idle and once while --watch ingests the images
# of IMAGES_DIR (copied into the watched folder 2 s into the run). Reports
# requests/s, p50/p90/p99/max latency and errors for both, the ingest's time, and
# checks at the end that every ingested image is searchable.
#
#   bench/serve.sh [IMAGES_DIR] [N]      defaults: ../shared/data/dev-set/test 20000
#   env: WIDTH=8 (VGG16 width of the seeded weights), SECONDS_PER_RUN=30, CLIENTS=8,
#        SERVE_FLAGS (extra flags for vecimg serve, e.g. "--threads 1 --workers 1"),
#        NICE (e.g. -10: run the server and the load client at that nice value, to
#        shield them from other jobs on a shared machine; root only)
# Needs: go, Debian's /usr/bin/python3 with python3-torch (to write the seeded
# weights with ../shared/ref/make_vgg16_weights.py), ONNX Runtime (make ort).
set -euo pipefail
cd "$(dirname "$0")/.."
images=${1:-../shared/data/dev-set/test}
n=${2:-20000}
width=${WIDTH:-8}
secs=${SECONDS_PER_RUN:-30}
clients=${CLIENTS:-8}
work=.bench/serve
rm -rf "$work"; mkdir -p "$work"
go build -o "$work/vecimg" .
go build -o "$work/serveload" ./bench/serveload
weights="$work/vgg16_w$width.pth"
/usr/bin/python3 ../shared/ref/make_vgg16_weights.py --width "$width" --bias-std 0.01 "$weights" >/dev/null
db="$work/store.db"
now() { date +%s.%N; }
nice=; [ -n "${NICE:-}" ] && nice="nice -n $NICE"
nimg=$(find "$images" -maxdepth 1 -type f \( -name '*.jpg' -o -name '*.png' \) | wc -l)
echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) before the run; store: $n synthetic vectors + 4 images (VGG16 width $width); watch: $nimg images from $images; $clients clients × ${secs}s; serve flags: ${SERVE_FLAGS:-none}; nice: ${NICE:-0}"

# The store: the model's manifest from the repo's 4 test images, then N
# synthetic records of the same dimension; the index is built once here.
VECIMG_DB="$db" "$work/vecimg" ingest -q --weights "$weights" testdata/images >/dev/null
"$work/serveload" fill -db "$db" -n "$n"
t0=$(now)
VECIMG_DB="$db" "$work/vecimg" similar -k 1 syn00000 >/dev/null
echo "index of $((n + 4)) vectors built and saved in $(echo "$(now) - $t0" | bc) s"

# start_serve LOG [FLAGS...]: runs vecimg serve on a free port; sets pid, base.
start_serve() {
  local log=$1; shift
  VECIMG_DB="$db" $nice "$work/vecimg" serve --addr 127.0.0.1:0 --weights "$weights" ${SERVE_FLAGS:-} "$@" 2>"$log" &
  pid=$!
  for _ in $(seq 300); do
    base=$(sed -n 's|^vecimg serve: \(http://[^/]*\)/.*|\1|p' "$log" | head -n1)
    [ -n "$base" ] && curl -sf "$base/api/v1/health" >/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$log"; echo "serve exited"; exit 1; }
    sleep 0.2
  done
  cat "$log"; echo "serve did not come up"; exit 1
}
# cpu_ticks: user+system clock ticks the serve process has used so far.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
report_cpu() { # report_cpu TICKS_BEFORE JSON
  local used req
  used=$(( $(cpu_ticks) - $1 ))
  req=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["requests"])' "$2")
  echo "serve process CPU: $(echo "scale=2; $used / $(getconf CLK_TCK)" | bc) s for $req requests"
}
stop_serve() { kill -INT "$pid"; wait "$pid" || { echo "serve exited with status $?"; tail -5 "$1"; exit 1; }; }

echo "== idle"
start_serve "$work/idle.log"
c0=$(cpu_ticks)
$nice "$work/serveload" run -base "$base" -clients "$clients" -duration "${secs}s" -label idle | tee "$work/idle.json"
report_cpu "$c0" "$work/idle.json"
stop_serve "$work/idle.log"

echo "== while --watch ingests $nimg images"
watch="$work/watch"; mkdir -p "$watch"
start_serve "$work/ingest.log" --watch "$watch" --rescan 0
c0=$(cpu_ticks)
$nice "$work/serveload" run -base "$base" -clients "$clients" -duration "${secs}s" -label during-ingest > "$work/ingest.json" &
load=$!
sleep 2
tc=$(now)
find "$images" -maxdepth 1 -type f \( -name '*.jpg' -o -name '*.png' \) -exec cp {} "$watch"/ \;
want=$((n + 4 + nimg))
done_at=""
while kill -0 "$load" 2>/dev/null; do
  if [ -z "$done_at" ]; then
    c=$(curl -sf "$base/api/v1/info" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["count"], int(d["ingest"]["running"]))')
    if [ "${c% *}" = "$want" ] && [ "${c#* }" = 0 ]; then done_at=$(now); fi
  fi
  sleep 0.2
done
wait "$load"
cat "$work/ingest.json"
report_cpu "$c0" "$work/ingest.json"
echo "(during the ingest the CPU includes embedding the images)"
if [ -n "$done_at" ]; then
  echo "all $nimg images stored $(echo "$done_at - $tc" | bc) s after the copy began (during the load)"
else
  echo "the ingest was still running when the load ended"
fi
for _ in $(seq 600); do
  c=$(curl -sf "$base/api/v1/info" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["count"], int(d["ingest"]["running"]))')
  [ "${c% *}" = "$want" ] && [ "${c#* }" = 0 ] && break
  sleep 0.5
done
echo "store holds ${c% *} images (want $want)"
"$work/serveload" searchable -base "$base" -dir "$watch"
grep -c 'msg=request' "$work/ingest.log" | sed 's/^/request log lines: /'
grep -m3 'msg=ingested\|bad file' "$work/ingest.log" || true
stop_serve "$work/ingest.log"
grep -q 'msg=stopped' "$work/ingest.log" && echo "serve stopped cleanly on SIGINT"
