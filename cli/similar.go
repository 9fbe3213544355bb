package cli

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/vecimg/vecimg/embed"
	"github.com/vecimg/vecimg/index"
	"github.com/vecimg/vecimg/store"
)

func similarCommand() *cli.Command {
	return &cli.Command{
		Name:      "similar",
		Usage:     "list the stored images most similar to QUERY (cosine distance, 1 − cos)",
		ArgsUsage: "QUERY",
		Description: "QUERY is, in this order: a stored id (123), a file name of a stored image (123.jpg),\n" +
			"the path of a stored image — all answered from stored vectors, no model run — or else\n" +
			"any readable image file, embedded with the store's own model and preset.\n" +
			"The query's own id is left out. Search uses the HNSW index kept beside the store\n" +
			"(PATH.hnsw, updated when the store changed), exact search with --exact.\n" +
			"--check measures recall@k of the index against exact search on stored images.",
		Flags: append([]cli.Flag{
			&cli.IntFlag{Name: "k", Value: 10, Usage: "number of neighbours"},
			&cli.BoolFlag{Name: "exact", Usage: "brute-force search (the reference)"},
			&cli.IntFlag{Name: "ef", Usage: "HNSW search breadth (default from the index config; higher = more accurate, slower)"},
			&cli.BoolFlag{Name: "json", Usage: "print JSON"},
			&cli.BoolFlag{Name: "check", Usage: "report recall@k of the index against exact search instead of answering a query"},
			&cli.IntFlag{Name: "queries", Value: 200, Usage: "with --check: number of stored images used as queries"},
			&cli.StringFlag{Name: "weights", Usage: "for a new image file, when the store's model is not cached: the store's weights `FILE`"},
			&cli.BoolFlag{Name: "no-download", Usage: "never download weights"},
			&cli.Int64Flag{Name: "max-pixels", Value: embed.DefaultMaxPixels, Usage: "for a new image file: refuse images with more pixels"},
		}, runtimeFlags()...),
		Action: func(c *cli.Context) error {
			if c.Int("k") <= 0 {
				return usagef("-k must be positive")
			}
			if c.Bool("check") {
				return runSimilarCheck(c)
			}
			if c.NArg() != 1 {
				return argCountError("similar", "QUERY (an id, a file name or an image path)", c.Args().Slice())
			}
			return runSimilar(c, c.Args().First())
		},
	}
}

type similarResult struct {
	ID       string  `json:"id"`
	Distance float32 `json:"distance"`
	Path     string  `json:"path"`
}

type similarOutput struct {
	Query   string          `json:"query"`
	QueryID string          `json:"query_id,omitempty"` // the stored image the query resolved to
	Results []similarResult `json:"results"`
}

// resolveQuery finds the stored record a query names: id, file name, path.
func resolveQuery(st *store.Store, q string) (id string, tried []string, err error) {
	try := func(what, id string) (bool, error) {
		tried = append(tried, fmt.Sprintf("%s %q", what, id))
		_, err := st.Get(id)
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		return err == nil, err
	}
	if ok, err := try("id", q); ok || err != nil {
		return q, tried, err
	}
	slash := filepath.ToSlash(q)
	if noExt := strings.TrimSuffix(slash, filepath.Ext(slash)); noExt != slash {
		if ok, err := try("id", noExt); ok || err != nil {
			return noExt, tried, err
		}
	}
	if abs, err := filepath.Abs(q); err == nil {
		tried = append(tried, fmt.Sprintf("path %q", abs))
		id, ok, err := st.ByPath(abs)
		if ok || err != nil {
			return id, tried, err
		}
	}
	return "", tried, nil
}

func runSimilar(c *cli.Context, q string) error {
	asJSON := c.Bool("json")
	st, err := openStore(c, true)
	if err != nil {
		return err
	}
	defer st.Close()
	id, tried, err := resolveQuery(st, q)
	if err != nil {
		return err
	}
	x, err := openIndex(c, st, asJSON)
	if err != nil {
		return err
	}
	opt := index.SearchOptions{K: c.Int("k"), Ef: c.Int("ef")}
	if c.Bool("exact") {
		opt.Method = index.Exact
	}
	var res []index.Result
	if id != "" {
		res, err = x.SearchID(id, opt)
	} else {
		vec, verr := embedQueryFile(c, st, q, tried)
		if verr != nil {
			return verr
		}
		res, err = x.SearchWith(vec, opt)
	}
	if err != nil {
		return err
	}
	out := similarOutput{Query: q, QueryID: id, Results: make([]similarResult, 0, len(res))}
	for _, r := range res {
		sr := similarResult{ID: r.ID, Distance: r.Distance}
		if rec, err := st.Get(r.ID); err == nil {
			sr.Path = rec.Path
		}
		out.Results = append(out.Results, sr)
	}
	if asJSON {
		return printJSON(c.App.Writer, out)
	}
	t := newTable(c.App.Writer, "RANK", "ID", "DISTANCE", "PATH")
	for i, r := range out.Results {
		t.row(i+1, r.ID, fmt.Sprintf("%.4f", r.Distance), r.Path)
	}
	return t.flush()
}

// embedQueryFile embeds an image that is not in the store with the store's
// own model and preset.
func embedQueryFile(c *cli.Context, st *store.Store, q string, tried []string) ([]float32, error) {
	if fi, err := os.Stat(q); err != nil || fi.IsDir() {
		return nil, fmt.Errorf("no stored image matches %q (tried %s) and it is not an image file; list stored ids with `vecimg export` or pass an image path", q, strings.Join(tried, ", "))
	}
	man, _, err := st.Manifest()
	if err != nil {
		return nil, err
	}
	mc, err := chooseModel(c.Context, c, &man, true)
	if err != nil {
		return nil, fmt.Errorf("%s is not in the store, and embedding it needs the store's model: %w", q, err)
	}
	if mc.model.Fingerprint != man.Model {
		return nil, fmt.Errorf("%s is not in the store, and the model found (%s) is not the store's (%s): pass the store's --weights", q, mc.model.Fingerprint, man.Model)
	}
	rt, err := embed.LoadRuntime(c.String("ort-lib"))
	if err != nil {
		return nil, err
	}
	sess, err := embed.NewSession(rt, mc.model, sessionOptions(c))
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	return embed.EmbedFile(sess, mc.preset, q)
}

type checkOutput struct {
	Queries int     `json:"queries"`
	K       int     `json:"k"`
	Ef      int     `json:"ef"`
	Recall  float64 `json:"recall"`
	Vectors int     `json:"vectors"`
}

func runSimilarCheck(c *cli.Context) error {
	st, err := openStore(c, true)
	if err != nil {
		return err
	}
	defer st.Close()
	x, err := openIndex(c, st, c.Bool("json"))
	if err != nil {
		return err
	}
	ids := x.IDs()
	n := c.Int("queries")
	if n <= 0 || n > len(ids) {
		n = len(ids)
	}
	r := rand.New(rand.NewPCG(42, 0))
	r.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	ef := c.Int("ef")
	if ef <= 0 {
		ef = x.Config().EfSearch
	}
	rec, err := x.RecallIDs(ids[:n], index.SearchOptions{K: c.Int("k"), Ef: ef})
	if err != nil {
		return err
	}
	out := checkOutput{Queries: n, K: c.Int("k"), Ef: ef, Recall: rec, Vectors: x.Len()}
	if c.Bool("json") {
		return printJSON(c.App.Writer, out)
	}
	fmt.Fprintf(c.App.Writer, "recall@%d of the HNSW index against exact search: %.4f (%d stored images as queries, ef=%d, %d vectors)\n", out.K, out.Recall, out.Queries, out.Ef, out.Vectors)
	return nil
}
