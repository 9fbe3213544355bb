package cli

import (
	"os"

	"github.com/urfave/cli/v2"

	"github.com/vecimg/vecimg/internal/app"
	"github.com/vecimg/vecimg/internal/types"
)

// shardFlags select one shard of the ingested folder.
func shardFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "shard", Usage: "ingest only shard `I/N` of DIR (0 ≤ I < N; files split by a hash of their id), or auto: " +
			"I from JOB_COMPLETION_INDEX (Kubernetes Indexed Job, with --shards N) or SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT (Slurm job array)"},
		&cli.IntFlag{Name: "shards", Usage: "the number of shards `N` for --shard auto (a Kubernetes Indexed Job's completions)"},
	}
}

// shardOption reads --shard and --shards.
func shardOption(c *cli.Context) (types.ShardSpec, error) {
	s, err := app.ParseShard(c.String("shard"), c.Int("shards"), os.Getenv)
	if err != nil {
		return s, usagef("%v", err)
	}
	return s, nil
}
