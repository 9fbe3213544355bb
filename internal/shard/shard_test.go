package shard

import (
	"fmt"
	"strings"
	"testing"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestEveryIDInExactlyOneShard(t *testing.T) {
	for _, n := range []int{1, 2, 3, 4, 7, 16} {
		count := make([]int, n)
		for i := range 3000 {
			id := fmt.Sprintf("sub/%d", i)
			owners := 0
			for k := range n {
				if (Spec{Index: k, Count: n}).Owns(id) {
					owners++
					count[k]++
				}
			}
			if owners != 1 {
				t.Fatalf("n=%d: id %q owned by %d shards", n, id, owners)
			}
		}
		for k, c := range count {
			if want := 3000 / n; c < want*7/10 || c > want*13/10 {
				t.Errorf("n=%d: shard %d has %d of 3000 ids, want about %d", n, k, c, want)
			}
		}
	}
	if !(Spec{}).Owns("x") {
		t.Fatal("the zero Spec must own every id")
	}
	// The hash is fixed: other tools may compute it (FNV-1a 64 of "123" mod 4).
	if got := Of("123", 4); got != 0x456fc2181822c4db%4 {
		t.Fatalf("Of(123, 4) = %d", got)
	}
}

func TestParse(t *testing.T) {
	none := env()
	for _, c := range []struct {
		value  string
		shards int
		env    func(string) string
		want   string // Spec as "I/N source", or an error fragment after "!"
	}{
		{"", 0, none, "all "},
		{"2/4", 0, none, "2/4 --shard 2/4"},
		{"0/1", 1, none, "0/1 --shard 0/1"},
		{"4/4", 0, none, "!counted from 0"},
		{"-1/4", 0, none, "!counted from 0"},
		{"1/0", 0, none, "!N must be"},
		{"x", 0, none, "!use I/N"},
		{"1/4", 3, none, "!disagree"},
		{"", 3, none, "!without --shard"},
		{"auto", 4, env("JOB_COMPLETION_INDEX", "3"), "3/4 Kubernetes Indexed Job: JOB_COMPLETION_INDEX=3, --shards 4"},
		{"auto", 0, env("JOB_COMPLETION_INDEX", "3"), "!no --shards"},
		{"auto", 3, env("JOB_COMPLETION_INDEX", "3"), "!not below"},
		{"auto", 0, env("SLURM_ARRAY_TASK_ID", "2", "SLURM_ARRAY_TASK_COUNT", "5"), "2/5 Slurm job array: SLURM_ARRAY_TASK_ID=2 of SLURM_ARRAY_TASK_COUNT=5"},
		{"auto", 0, env("SLURM_ARRAY_TASK_ID", "4", "SLURM_ARRAY_TASK_COUNT", "4", "SLURM_ARRAY_TASK_MIN", "1"), "3/4 Slurm"},
		{"auto", 0, env("SLURM_ARRAY_TASK_ID", "8", "SLURM_ARRAY_TASK_COUNT", "4", "SLURM_ARRAY_TASK_MIN", "0", "SLURM_ARRAY_TASK_STEP", "4"), "2/4 Slurm"},
		{"auto", 5, env("SLURM_ARRAY_TASK_ID", "1", "SLURM_ARRAY_TASK_COUNT", "4"), "!--shards 5"},
		{"auto", 0, env("SLURM_ARRAY_TASK_ID", "1"), "!SLURM_ARRAY_TASK_COUNT"},
		{"auto", 0, none, "!neither JOB_COMPLETION_INDEX"},
	} {
		s, err := Parse(c.value, c.shards, c.env)
		got := s.String() + " " + s.Source
		if err != nil {
			got = "!" + err.Error()
		}
		if strings.HasPrefix(c.want, "!") {
			if !strings.HasPrefix(got, "!") || !strings.Contains(got, c.want[1:]) {
				t.Errorf("Parse(%q, %d) = %q, want an error with %q", c.value, c.shards, got, c.want[1:])
			}
		} else if !strings.HasPrefix(got, c.want) {
			t.Errorf("Parse(%q, %d) = %q, want %q", c.value, c.shards, got, c.want)
		}
	}
}
