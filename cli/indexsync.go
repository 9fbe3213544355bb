package cli

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/vecimg/vecimg/index"
	"github.com/vecimg/vecimg/store"
)

// indexPath is where the HNSW index of a store lives: beside the store folder.
func indexPath(db string) string { return db + ".hnsw" }

type indexInfo struct {
	Path       string `json:"path"`
	Vectors    int    `json:"vectors"`
	Generation uint64 `json:"generation"`
	Current    bool   `json:"current"`
	Problem    string `json:"problem,omitempty"`
}

func (i *indexInfo) String() string {
	if i.Problem != "" {
		return fmt.Sprintf("%s: %s (rebuilt on the next query)", i.Path, i.Problem)
	}
	state := "up to date"
	if !i.Current {
		state = "behind the store (updated on the next query)"
	}
	return fmt.Sprintf("%s: %d vectors, %s", i.Path, i.Vectors, state)
}

// describeIndex reports on the index file without changing it.
func describeIndex(db string, gen uint64) *indexInfo {
	p := indexPath(db)
	if _, err := os.Stat(p); err != nil {
		return nil
	}
	x, g, err := index.Load(p)
	if err != nil {
		return &indexInfo{Path: p, Problem: err.Error()}
	}
	return &indexInfo{Path: p, Vectors: x.Len(), Generation: g, Current: g == gen}
}

// openIndex loads the store's index, bringing it up to date first.
func openIndex(c *cli.Context, st *store.Store, quiet bool) (*index.Index, error) {
	man, ok, err := st.Manifest()
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("store %s is empty: run `vecimg ingest DIR` first", st.Path())
	}
	gen, err := st.Generation()
	if err != nil {
		return nil, err
	}
	x, info, err := index.Open(c.Context, indexPath(st.Path()), man.Dim, gen, st, index.DefaultConfig())
	if err != nil {
		return nil, fmt.Errorf("building the index of %s: %w", st.Path(), err)
	}
	if !quiet {
		switch {
		case info.Rebuilt && info.Loaded:
			fmt.Fprintf(c.App.ErrWriter, "index rebuilt (%s)\n", info.Reason)
		case info.Rebuilt && info.Reason != "no index file yet":
			fmt.Fprintf(c.App.ErrWriter, "index file not usable (%s): rebuilt it\n", info.Reason)
		}
		if info.SaveErr != nil {
			fmt.Fprintf(c.App.ErrWriter, "warning: could not save the index (%v); it will be rebuilt next time\n", info.SaveErr)
		}
	}
	return x, nil
}

// updateIndexAfterIngest brings the index file up to date with the store.
func updateIndexAfterIngest(c *cli.Context, st *store.Store, quiet bool) error {
	_, err := openIndex(c, st, quiet)
	return err
}
