#!/usr/bin/env bash
# Index builds side by side: each binary in turn builds the index of the
# same store from scratch (index file removed before each; the first
# `similar` builds and tunes it), ROUNDS rounds alternating, one line per
# build: wall and CPU seconds (/usr/bin/time), peak RSS, the load average
# before and after, the build's tuning line, and, with QUERIES and TRUTH
# set, held-out recall@10 and CPU ms per query at the default ef and at
# 64 and 128 (bench/synth/query, built from this tree; an index of another
# format is rebuilt by it, so leave those two unset for older binaries or
# name them in NORECALL_BINS).
#
#   bench/build_ab.sh DB ID ROUNDS BIN...
#   QUERIES=q.f32 TRUTH=truth.json bench/build_ab.sh DB ID 2 old/vecimg ./vecimg
#
# DB must be readable by every binary: a store written by an older release
# (this build opens an older schema read-only without upgrading it). ID is
# any stored id (the query the first `similar` answers).
set -euo pipefail
db=$1 id=$2 rounds=$3
shift 3
query=""
if [ -n "${QUERIES:-}" ]; then
	query=$(mktemp /tmp/vecimg-query.XXXXXX)
	go build -o "$query" ./bench/synth/query
fi
tmp=$(mktemp -d /tmp/vecimg-ab.XXXXXX)
for r in $(seq 1 "$rounds"); do
	for b in "$@"; do
		rm -f "$db".hnsw*
		l0=$(cut -d' ' -f1 /proc/loadavg)
		rc=0
		/usr/bin/time -f "%e %U %S %M" -o "$tmp/time" "$b" --db "$db" similar "$id" >/dev/null 2>"$tmp/err" || rc=$?
		if [ "$rc" -ne 0 ]; then
			echo "build_ab.sh: $b failed (exit $rc): $(grep -v '^Command exited' "$tmp/err" | tr '\r' '\n' | grep -v '^\s*$' | tail -1)" >&2
			exit 1
		fi
		read -r w u s m <"$tmp/time"
		tune=$(tr '\r' '\n' <"$tmp/err" | { grep -E '^ef [0-9]+ gives' || true; } | tail -1)
		rec=""
		if [ -n "$query" ] && [[ " ${NORECALL_BINS:-} " != *" $b "* ]]; then
			rec=$("$query" -db "$db" -queries "$QUERIES" -truth "$TRUTH" -efs 0,64,128 -rounds 1 2>/dev/null |
				/usr/bin/python3 -c '
import json, sys
out = []
for l in sys.stdin:
    d = json.loads(l) if l.startswith("{") else {}
    if "recall_at_10" in d:
        out.append("ef %d: recall %.3f, %.2f CPU-ms" % (d["ef"], d["recall_at_10"], d["cpu_ms_per_query"]))
print("; ".join(out))')
		fi
		printf '%s round %d %s: wall %.1f s, CPU %.1f s, peak RSS %d MiB, load %s -> %s | %s | %s\n' \
			"$(date -u +%H:%M:%S)" "$r" "$b" "$w" "$(awk -v u="$u" -v s="$s" 'BEGIN {print u + s}')" "$((m / 1024))" \
			"$l0" "$(cut -d' ' -f1 /proc/loadavg)" "$tune" "$rec"
	done
done
rm -rf "$tmp" ${query:+"$query"}
