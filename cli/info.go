package cli

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"
)

// storeInfo is what `vecimg info` prints, as a table or as JSON.
type storeInfo struct {
	Path       string       `json:"path"`
	Count      int          `json:"count"`
	Dim        int          `json:"dim"`
	Model      string       `json:"model"`
	ModelDesc  string       `json:"model_desc,omitempty"`
	Preset     string       `json:"preset"`
	InputSize  int          `json:"input_size,omitempty"`
	Schema     int          `json:"schema"`
	Created    time.Time    `json:"created"`
	Generation uint64       `json:"generation"`
	DiskBytes  int64        `json:"disk_bytes"`
	Index      *indexInfo   `json:"index,omitempty"`
	Cluster    *clusterInfo `json:"cluster,omitempty"`
}

type clusterInfo struct {
	K       int               `json:"k"`
	Seed    int64             `json:"seed"`
	Inertia float64           `json:"inertia"`
	Sizes   []int             `json:"sizes"`
	Params  map[string]string `json:"params,omitempty"`
	At      time.Time         `json:"at"`
	Stale   bool              `json:"stale"` // vectors changed since
}

func infoCommand() *cli.Command {
	return &cli.Command{
		Name:  "info",
		Usage: "show what the store holds: count, dimension, model, preset, size on disk, last clustering",
		Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print JSON"}},
		Action: func(c *cli.Context) error {
			st, err := openStore(c, true)
			if err != nil {
				return err
			}
			defer st.Close()
			var in storeInfo
			in.Path = st.Path()
			man, ok, err := st.Manifest()
			if err != nil {
				return err
			}
			if ok {
				in.Dim, in.Model, in.ModelDesc, in.Preset, in.InputSize, in.Schema, in.Created = man.Dim, man.Model, man.ModelDesc, man.Preset, man.InputSize, man.Schema, man.Created
			}
			if in.Count, err = st.Count(); err != nil {
				return err
			}
			if in.Generation, err = st.Generation(); err != nil {
				return err
			}
			if in.DiskBytes, err = st.DiskSize(); err != nil {
				return err
			}
			in.Index = describeIndex(st.Path(), in.Generation)
			if run, ok, err := st.ClusterRun(); err != nil {
				return err
			} else if ok {
				in.Cluster = &clusterInfo{K: run.K, Seed: run.Seed, Inertia: run.Inertia, Sizes: run.Sizes, Params: run.Params, At: run.At, Stale: run.Generation != in.Generation}
			}
			if c.Bool("json") {
				return printJSON(c.App.Writer, in)
			}
			t := newTable(c.App.Writer)
			t.row("store", in.Path)
			t.row("images", in.Count)
			t.row("dimension", in.Dim)
			t.row("model", in.Model)
			if in.ModelDesc != "" {
				t.row("", in.ModelDesc)
			}
			t.row("preset", in.Preset)
			t.row("size on disk", humanBytes(in.DiskBytes))
			t.row("generation", in.Generation)
			if in.Index != nil {
				t.row("index", in.Index.String())
			}
			if cl := in.Cluster; cl != nil {
				stale := ""
				if cl.Stale {
					stale = " (images changed since: run cluster again)"
				}
				t.row("clustering", fmt.Sprintf("k=%d seed=%d inertia=%.6g sizes=%v at %s%s", cl.K, cl.Seed, cl.Inertia, cl.Sizes, cl.At.Format(time.RFC3339), stale))
			}
			return t.flush()
		},
	}
}
