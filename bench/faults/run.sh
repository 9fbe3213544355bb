#!/usr/bin/env bash
# Fault campaign for a vecimg binary (issue 18): kills at random and aimed
# moments of the writing commands, a small full file system, flipped and
# truncated bytes in every kind of store file. Prints one line per trial and
# a table of outcomes per kind.
#
#   bench/faults/run.sh BINARY WORKDIR [TRIALS]
#
# BINARY is the vecimg to test (build an old one from a commit with
#   git archive COMMIT | tar -x -C /tmp/old && (cd /tmp/old && go build -o /tmp/vecimg-old .)).
# TRIALS (default 4) scales the number of trials of each kind; KINDS (default
# "kill flip disk") picks the sections to run; FILL (default 0) is the MB
# written into the full-disk image before the imports, plus 5 MB per trial. The run is
# reproducible: every random choice comes from $SEED (default 18). The
# full-disk trials need root (they loop-mount a 48 MB ext4 image) and are
# skipped without it. Needs Go (for the data and the npz summary), and
# takes a few minutes with the default sizes (N=3000 vectors of DIM=512).
#
# Outcomes:
#   ok         the store opens, check passes, nothing committed is lost
#   detected   check (or the open) reports the damage with exit 1, no crash
#   refused    a full disk: the command fails with exit 1 and a message
#   resumed    a killed creation: rerunning the command finishes the store
#   LOST       check passes but committed records are gone (silent loss)
#   CHANGED    check passes but exported vectors differ (silent corruption)
#   MIXED      labels of two clusterings (counts differ from the run's sizes)
#   STUCK      a killed creation cannot be resumed by the same command
#   CRASH      a panic, SIGBUS or other fatal error (exit 2 with a trace)
#   HANG       no answer within the time limit
#   WROTE      (suffix) check changed a byte of the store
set -u
BIN=$(readlink -f "${1:?usage: run.sh BINARY WORKDIR [TRIALS]}")
WORK=${2:?usage: run.sh BINARY WORKDIR [TRIALS]}
T=${3:-4}
SEED=${SEED:-18}
N=${N:-3000}
DIM=${DIM:-512}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$WORK"
WORK=$(readlink -f "$WORK")
RANDOM=$SEED
LOG=$WORK/trials.txt
: >"$LOG"

say() { echo "$*" | tee -a "$LOG"; }
rnd() { echo $((RANDOM % $1)); } # 0..$1-1

# Data: base set a (N vectors) and a second set b with other ids.
# For the cluster kills, a store of NC small vectors, so that the label
# write-back spans several batches.
NC=${NC:-40000}
if [ ! -f "$WORK/a.npz" ]; then
	(cd "$REPO" && go run ./bench/synth -kind iso -dim "$DIM" -n "$N" -add "$N" -chunk 1000 -seed 7 \
		-out "$WORK/a.npz" -add-out "$WORK/b.npz" -q &&
		go run ./bench/synth -kind iso -dim 32 -n "$NC" -chunk 10000 -seed 9 -out "$WORK/c.npz" -q) || exit 1
fi
(cd "$REPO" && go build -o "$WORK/npzsum" ./bench/faults/npzsum) || exit 1

# run CMD...: runs the binary with a time limit; sets rc and out (stdout+stderr).
run() {
	out=$(timeout -s KILL 120 "$BIN" "$@" 2>&1)
	rc=$?
}
crashed() { [ "$rc" = 137 ] && return 1; echo "$out" | grep -qE 'panic:|fatal error:|SIGBUS|SIGSEGV|goroutine [0-9]+ \['; }
hashes() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
summary() { # summary DB: rows/vectors/labels of an export, or "error"
	rm -f "$WORK/x.npz"
	run --db "$1" export -q --out "$WORK/x.npz"
	if [ "$rc" = 0 ]; then "$WORK/npzsum" "$WORK/x.npz"; else echo "error rc=$rc"; fi
}
sizes() { # the stored clustering's sizes as label:count,… (from info --json)
	run --db "$1" info --json
	echo "$out" | tr -d ' \n' | grep -o '"sizes":\[[0-9,]*\]' | grep -o '[0-9,]*' |
		awk -F, '{for(i=1;i<=NF;i++){printf "%s%d:%d", (i>1?",":""), i-1, $i}}'
}
count() { run --db "$1" info --json; echo "$out" | tr -d ' \n' | grep -o '"count":[0-9]*' | head -1 | cut -d: -f2; }

# The base store: set a, clustered with k=8.
BASE=$WORK/base.db
if [ ! -d "$BASE" ]; then
	run --db "$BASE" import -q --model-name m "$WORK/a.npz" || { echo "$out"; exit 1; }
	run --db "$BASE" cluster -q --k 8 || { echo "$out"; exit 1; }
fi
BASESUM=$(summary "$BASE")
CBASE=$WORK/cbase.db
if [ ! -d "$CBASE" ]; then
	run --db "$CBASE" import -q --model-name m "$WORK/c.npz" || { echo "$out"; exit 1; }
	run --db "$CBASE" cluster -q --k 8 || { echo "$out"; exit 1; }
fi
fresh() { rm -rf "$WORK/t.db" "$WORK/t.db.hnsw"; cp -a "$BASE" "$WORK/t.db"; [ -f "$BASE.hnsw" ] && cp "$BASE.hnsw" "$WORK/t.db.hnsw"; DB=$WORK/t.db; }

# Times of the writing commands, for the aimed kills.
ms() { date +%s%3N; }
t0=$(ms); fresh; run --db "$DB" import -q --model-name m "$WORK/b.npz"; TIMPORT=$(($(ms) - t0))
cfresh() { rm -rf "$WORK/t.db" "$WORK/t.db.hnsw"; cp -a "$CBASE" "$WORK/t.db"; cp "$CBASE.hnsw" "$WORK/t.db.hnsw" 2>/dev/null; DB=$WORK/t.db; }
t0=$(ms); cfresh; run --db "$DB" cluster -q --k 5; TCLUSTER=$(($(ms) - t0))
say "binary $BIN; N=$N DIM=$DIM NC=$NC SEED=$SEED; import of $N takes ${TIMPORT} ms, cluster of $NC ${TCLUSTER} ms"

# unlocked: after a kill, wait until the kernel has finished the killed
# process (its threads can outlive the leader's exit by a moment, holding the
# store's lock).
unlocked() { for _ in $(seq 100); do flock -n "$DB" true 2>/dev/null && return; sleep 0.1; done; }

declare -A OUT
record() { # record KIND OUTCOME DETAIL
	say "$(printf '%-16s %-10s %s' "$1" "$2" "$3")"
	OUT["$1|$2"]=$((${OUT["$1|$2"]:-0} + 1))
}

# after_kill KIND: judge a store after a kill of a writing command whose
# committed state holds at least MIN records.
after_kill() {
	local kind=$1 min=$2
	run --db "$DB" check
	local crc=$rc cout=$out
	if crashed; then record "$kind" CRASH "check: $(echo "$cout" | grep -m1 -E 'panic|fatal|SIG')"; return; fi
	if [ "$crc" = 137 ]; then record "$kind" HANG "check"; return; fi
	local n
	n=$(count "$DB")
	if [ "$crc" != 0 ]; then record "$kind" detected "check rc=$crc: $(echo "$cout" | head -1 | cut -c1-100)"; return; fi
	if [ -n "$n" ] && [ "$n" -lt "$min" ]; then record "$kind" LOST "$n records, at least $min committed"; return; fi
	record "$kind" ok "$n records"
}

KINDS=${KINDS:-kill flip disk}
FILL=${FILL:-0}
on() { case " $KINDS " in *" $1 "*) return 0 ;; esac; return 1; }

# 1. kill -9 of import at random moments.
on kill && for i in $(seq 1 $((2 * T))); do
	fresh
	d=$(($(rnd $TIMPORT) + 50))
	{ timeout -s KILL "$(awk "BEGIN{print $d/1000}")" "$BIN" --db "$DB" import -q --model-name m "$WORK/b.npz"; } >/dev/null 2>&1
	unlocked
	after_kill kill-import "$N"
done

# 2. kill -9 of rm of a third of the records.
on kill && for i in $(seq 1 "$T"); do
	fresh
	ids=$(for j in $(seq 0 3 $((N - 1))); do printf 'v%08d ' "$j"; done)
	{ timeout -s KILL 0.$((RANDOM % 9 + 1)) "$BIN" --db "$DB" rm $ids; } >/dev/null 2>&1
	unlocked
	after_kill kill-rm $((N - N / 3 - 1))
done

# 3. kill -9 aimed at cluster's label write-back (the last 70% of the run).
on kill && for i in $(seq 1 $((2 * T))); do
	cfresh
	d=$((TCLUSTER * 3 / 10 + $(rnd $((TCLUSTER * 7 / 10 + 1)))))
	{ timeout -s KILL "$(awk "BEGIN{print $d/1000}")" "$BIN" --db "$DB" cluster -q --k 5; } >/dev/null 2>&1
	unlocked
	got=$(summary "$DB")
	want=$(sizes "$DB")
	labels=${got##*labels=}
	if [ "$labels" != "$want" ]; then record kill-cluster MIXED "killed at $d ms: labels $labels, stored run sizes $want"; continue; fi
	after_kill kill-cluster "$NC"
done

# 4. kill -9 early in the creation of a new store, then the same command again.
on kill && for i in $(seq 1 "$T"); do
	rm -rf "$WORK/new.db" "$WORK/new.db.hnsw" "$WORK"/.new.db.*
	d=$(($(rnd 150) + 5))
	{ timeout -s KILL "$(awk "BEGIN{print $d/1000}")" "$BIN" --db "$WORK/new.db" import -q --model-name m "$WORK/a.npz"; } >/dev/null 2>&1
	DB=$WORK/new.db
	[ -d "$DB" ] && unlocked
	run --db "$WORK/new.db" import -q --model-name m "$WORK/a.npz"
	if crashed; then record kill-create CRASH "$(echo "$out" | head -1)"; continue; fi
	if [ "$rc" != 0 ]; then record kill-create STUCK "killed at ${d} ms; rerun: $(echo "$out" | head -1 | cut -c1-110)"; continue; fi
	DB=$WORK/new.db
	after_kill kill-create "$N"
done

# 5. bit flips and truncations in every kind of file.
flip() { # flip FILE: one byte at a seeded position
	local f=$1 size at
	size=$(stat -c %s "$f")
	[ "$size" -gt 0 ] || return 1
	at=$(( (RANDOM * 32768 + RANDOM) % size ))
	printf "$(printf '\\x%02x' $(( $(od -An -tu1 -j "$at" -N1 "$f") ^ (1 << (RANDOM % 8)) )))" |
		dd of="$f" bs=1 seek="$at" conv=notrunc status=none
	echo "$at"
}
judge_damage() { # judge_damage KIND WHAT
	local kind=$1 what=$2 before after
	before=$(hashes "$DB")
	run --db "$DB" check
	local crc=$rc cout=$out
	after=$(hashes "$DB")
	local w=""
	[ "$before" != "$after" ] && w="+WROTE"
	if crashed; then record "$kind" "CRASH$w" "$what; check: $(echo "$cout" | grep -m1 -E 'panic|fatal|SIG' | cut -c1-80)"; return; fi
	if [ "$crc" = 137 ]; then record "$kind" "HANG$w" "$what"; return; fi
	if [ "$crc" != 0 ]; then record "$kind" "detected$w" "$what; $(echo "$cout" | head -1 | cut -c1-90)"; return; fi
	local got
	got=$(summary "$DB")
	if [ "${got%% vectors=*}" != "${BASESUM%% vectors=*}" ]; then record "$kind" "LOST$w" "$what; check ok, export: ${got:0:40}"; return; fi
	if [ "$got" != "$BASESUM" ]; then record "$kind" "CHANGED$w" "$what; check ok, export differs"; return; fi
	record "$kind" "ok$w" "$what; harmless"
}
on flip && for kind in vlog sst MANIFEST KEYREGISTRY DISCARD VECIMG-STATE hnsw; do
	for i in $(seq 1 "$T"); do
		fresh
		case $kind in
		vlog | sst) f=$(ls -S "$DB"/*."$kind" 2>/dev/null | head -1) ;;
		hnsw) f=$DB.hnsw ;;
		*) f=$DB/$kind ;;
		esac
		if [ ! -f "$f" ]; then record "flip-$kind" n/a "no such file"; continue; fi
		at=$(flip "$f")
		judge_damage "flip-$kind" "$(basename "$f")@$at"
	done
done
# The issue's MANIFEST case: a second import, then the MANIFEST cut by 12 bytes.
on flip && for i in $(seq 1 "$T"); do
	fresh
	run --db "$DB" import -q --model-name m "$WORK/b.npz"
	BASESUM_SAVED=$BASESUM
	BASESUM=$(summary "$DB")
	truncate -s -$((4 + 4 * i)) "$DB/MANIFEST"
	judge_damage cut-MANIFEST "MANIFEST less $((4 + 4 * i)) bytes"
	BASESUM=$BASESUM_SAVED
done

# 6. a full file system (root only): two imports into a 48 MB ext4 image that
# is partly filled, so that the first or the second runs out of space.
if ! on disk; then
	:
elif [ "$(id -u)" = 0 ]; then
	MNT=$WORK/mnt
	mkdir -p "$MNT"
	for i in $(seq 1 "$T"); do
		umount "$MNT" 2>/dev/null
		truncate -s 48M "$WORK/small.img" && mkfs.ext4 -q -F "$WORK/small.img" && mount -o loop "$WORK/small.img" "$MNT" || {
			record full-disk n/a "cannot mount"
			break
		}
		dd if=/dev/zero of="$MNT/fill" bs=1M count=$((FILL + 5 * i - 5)) status=none
		run --db "$MNT/f.db" import -q --model-name m "$WORK/a.npz"
		first=$rc
		run --db "$MNT/f.db" import -q --model-name m "$WORK/b.npz"
		if crashed; then
			record full-disk CRASH "import: $(echo "$out" | grep -m1 -E 'SIGBUS|panic|fatal' | cut -c1-80)"
		elif [ "$rc" = 0 ]; then
			record full-disk ok "fitted ($(df -m --output=avail "$MNT" | tail -1) MB left)"
		else
			record full-disk refused "import rc=$rc: $(echo "$out" | grep -m1 -i 'space' | cut -c1-110)"
		fi
		run --db "$MNT/f.db" info
		if crashed; then record full-disk-info CRASH "info on a full disk"; else record full-disk-info "rc=$rc" "$(echo "$out" | head -1 | cut -c1-80)"; fi
		DB=$MNT/f.db
		if [ "$first" = 0 ]; then after_kill full-disk-after "$N"; fi
		rm -rf "$MNT/f.db" "$MNT/f.db.hnsw"
	done
	umount "$MNT" 2>/dev/null
	rm -f "$WORK/small.img"
else
	say "full-disk trials skipped (not root)"
fi

echo
say "outcomes ($BIN):"
for k in "${!OUT[@]}"; do echo "$k ${OUT[$k]}"; done | sort | awk -F'[| ]' '{printf "  %-16s %-16s %d\n", $1, $2, $3}' | tee -a "$LOG"
