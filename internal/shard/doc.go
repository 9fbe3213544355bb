// Package shard splits a folder's images among N independent processes: an
// image belongs to shard fnv1a64(id) mod N, so every process that lists the
// same folder agrees, without talking to the others, on which files are its
// own, and N shards cover every file exactly once. Parse reads a --shard
// value: "I/N" (0 ≤ I < N) or "auto", which takes I (and N) from a
// Kubernetes Indexed Job (JOB_COMPLETION_INDEX, with N given as --shards) or
// a Slurm job array (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT, and
// SLURM_ARRAY_TASK_MIN / _STEP when the array does not count 0, 1, 2, …).
package shard
