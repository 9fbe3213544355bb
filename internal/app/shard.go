package app

import (
	"github.com/vecimg/vecimg/internal/shard"
	"github.com/vecimg/vecimg/internal/types"
)

// ParseShard reads `--shard I/N` (or auto, from the environment through
// getenv, with shards N for a Kubernetes Indexed Job) into the shard of an
// ingest (internal/shard's Parse).
func ParseShard(value string, shards int, getenv func(string) string) (types.ShardSpec, error) {
	s, err := shard.Parse(value, shards, getenv)
	return types.ShardSpec(s), err
}

// shardKeep is the file filter of an ingest of one shard; nil for all files.
func shardKeep(s shard.Spec) func(id string) bool {
	if !s.Enabled() {
		return nil
	}
	return s.Owns
}
