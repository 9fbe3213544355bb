# Shared by bench/scale_dense.sh and bench/scale_1m.sh (source it; they set
# $run, the folder of one run's files, and $results, its JSON lines).

log() { echo "== $(date -u +%H:%M:%S) $*" >&2; }

# timed STEP CMD...: runs CMD under /usr/bin/time -v; appends {"step",
# "wall_s", "rss_mib", "cpu_s", "load", "rc"} to $results (load: the 1-minute
# load average, since the machine may be shared); stdout to $run/STEP.out,
# stderr to $run/STEP.err, whose last line is echoed.
timed() {
	local step=$1
	shift
	log "$step: $*"
	local rc=0 t0 t1
	t0=$(date +%s%N)
	/usr/bin/time -v -o "$run/$step.time" "$@" >"$run/$step.out" 2>"$run/$step.err" || rc=$?
	t1=$(date +%s%N)
	tr '\r' '\n' <"$run/$step.err" | grep -v '^\s*$' | tail -n 1 >&2 || true
	printf '{"step":"%s","wall_s":%s,"rss_mib":%s,"cpu_s":%s,"load":%s,"rc":%d}\n' "$step" \
		"$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.4f", (b-a)/1e9}')" \
		"$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2/1024}' "$run/$step.time")" \
		"$(awk -F': ' '/User time|System time/ {s+=$2} END {printf "%.2f", s}' "$run/$step.time")" \
		"$(cut -d' ' -f1 /proc/loadavg)" "$rc" >>"$results"
	if [ "$rc" -ne 0 ]; then
		echo "$(basename "$0"): step $step failed (exit $rc); see $run/$step.err" >&2
		return "$rc"
	fi
}
