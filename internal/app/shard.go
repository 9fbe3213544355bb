package app

import "github.com/vecimg/vecimg/internal/shard"

// shardKeep is the file filter of an ingest of one shard; nil for all files.
func shardKeep(s shard.Spec) func(id string) bool {
	if !s.Enabled() {
		return nil
	}
	return s.Owns
}
