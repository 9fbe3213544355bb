package shard

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
)

// Spec is one shard of N. The zero Spec (Count 0) means no sharding.
type Spec struct {
	Index, Count int
	// Source says where Index and Count came from: "--shard", or the
	// environment variables that "auto" read.
	Source string
}

// MaxCount bounds N.
const MaxCount = 1 << 20

// Of returns the shard, in 0..n-1, that id belongs to: the FNV-1a 64-bit
// hash of the id's bytes, modulo n.
func Of(id string, n int) int {
	h := fnv.New64a()
	h.Write([]byte(id))
	return int(h.Sum64() % uint64(n))
}

// Enabled reports whether s selects a subset.
func (s Spec) Enabled() bool { return s.Count > 0 }

// Owns reports whether id belongs to s; every id does when s is the zero
// Spec.
func (s Spec) Owns(id string) bool {
	return s.Count <= 0 || Of(id, s.Count) == s.Index
}

func (s Spec) String() string {
	if s.Count <= 0 {
		return "all"
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// Parse reads a --shard value. value "" returns the zero Spec (shards must
// then be 0). "I/N" is shard I of N, counted from 0. "auto" reads the
// environment through getenv: JOB_COMPLETION_INDEX (a Kubernetes Indexed
// Job; N is shards, which is then required) or else SLURM_ARRAY_TASK_ID and
// SLURM_ARRAY_TASK_COUNT (a Slurm job array; shards, when given, must equal
// the count). shards > 0 with "I/N" must equal N.
func Parse(value string, shards int, getenv func(string) string) (Spec, error) {
	if shards < 0 || shards > MaxCount {
		return Spec{}, fmt.Errorf("--shards %d: give the number of shard processes, 1 to %d", shards, MaxCount)
	}
	switch value {
	case "":
		if shards > 0 {
			return Spec{}, fmt.Errorf("--shards %d without --shard: add --shard auto (or --shard I/%d)", shards, shards)
		}
		return Spec{}, nil
	case "auto":
		return parseAuto(shards, getenv)
	}
	is, ns, ok := strings.Cut(value, "/")
	i, err1 := strconv.Atoi(strings.TrimSpace(is))
	n, err2 := strconv.Atoi(strings.TrimSpace(ns))
	if !ok || err1 != nil || err2 != nil {
		return Spec{}, fmt.Errorf("--shard %q: use I/N (shard I of N, counted from 0, e.g. 0/4) or auto", value)
	}
	if n < 1 || n > MaxCount {
		return Spec{}, fmt.Errorf("--shard %q: N must be 1 to %d", value, MaxCount)
	}
	if i < 0 || i >= n {
		return Spec{}, fmt.Errorf("--shard %q: shards are counted from 0: use 0/%d … %d/%d", value, n, n-1, n)
	}
	if shards > 0 && shards != n {
		return Spec{}, fmt.Errorf("--shard %s and --shards %d disagree on the number of shards", value, shards)
	}
	return Spec{Index: i, Count: n, Source: "--shard " + value}, nil
}

func parseAuto(shards int, getenv func(string) string) (Spec, error) {
	if v := getenv("JOB_COMPLETION_INDEX"); v != "" {
		i, err := strconv.Atoi(v)
		if err != nil || i < 0 {
			return Spec{}, fmt.Errorf("--shard auto: JOB_COMPLETION_INDEX=%q is not an index", v)
		}
		if shards < 1 {
			return Spec{}, fmt.Errorf("--shard auto found JOB_COMPLETION_INDEX=%d (a Kubernetes Indexed Job) but no --shards: pass --shards with the Job's completions", i)
		}
		if i >= shards {
			return Spec{}, fmt.Errorf("--shard auto: JOB_COMPLETION_INDEX=%d is not below --shards %d: make --shards equal the Job's completions", i, shards)
		}
		return Spec{Index: i, Count: shards, Source: fmt.Sprintf("Kubernetes Indexed Job: JOB_COMPLETION_INDEX=%d, --shards %d", i, shards)}, nil
	}
	if v := getenv("SLURM_ARRAY_TASK_ID"); v != "" {
		id, err := strconv.Atoi(v)
		if err != nil {
			return Spec{}, fmt.Errorf("--shard auto: SLURM_ARRAY_TASK_ID=%q is not a number", v)
		}
		cs := getenv("SLURM_ARRAY_TASK_COUNT")
		count, err := strconv.Atoi(cs)
		if err != nil || count < 1 {
			return Spec{}, fmt.Errorf("--shard auto: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT=%q is not a count", cs)
		}
		lo, step := 0, 1
		if s := getenv("SLURM_ARRAY_TASK_MIN"); s != "" {
			if lo, err = strconv.Atoi(s); err != nil {
				return Spec{}, fmt.Errorf("--shard auto: SLURM_ARRAY_TASK_MIN=%q is not a number", s)
			}
		}
		if s := getenv("SLURM_ARRAY_TASK_STEP"); s != "" {
			if step, err = strconv.Atoi(s); err != nil || step < 1 {
				return Spec{}, fmt.Errorf("--shard auto: SLURM_ARRAY_TASK_STEP=%q is not a step", s)
			}
		}
		if (id-lo)%step != 0 || id < lo || (id-lo)/step >= count {
			return Spec{}, fmt.Errorf("--shard auto: SLURM_ARRAY_TASK_ID=%d does not fit an array of %d tasks from %d in steps of %d; use a plain range such as --array=0-%d",
				id, count, lo, step, count-1)
		}
		i := (id - lo) / step
		if shards > 0 && shards != count {
			return Spec{}, fmt.Errorf("--shard auto: SLURM_ARRAY_TASK_COUNT=%d but --shards %d", count, shards)
		}
		return Spec{Index: i, Count: count, Source: fmt.Sprintf("Slurm job array: SLURM_ARRAY_TASK_ID=%d of SLURM_ARRAY_TASK_COUNT=%d", id, count)}, nil
	}
	return Spec{}, fmt.Errorf("--shard auto found neither JOB_COMPLETION_INDEX (Kubernetes Indexed Job) nor SLURM_ARRAY_TASK_ID (Slurm job array) in the environment: pass --shard I/N")
}
