// Command serveload is bench/serve.sh's helper: it fills a store with
// synthetic records, drives a running `vecimg serve` with concurrent
// neighbour queries, and checks that ingested images are searchable.
//
//	serveload fill -db DB -n 20000            add n synthetic records (the store's dimension)
//	serveload run -base URL -clients 8 -duration 30s -label idle
//	serveload searchable -base URL -dir DIR   every image under DIR answers neighbours
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vecimg/vecimg/store"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: serveload fill|run|searchable [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "fill":
		err = fill(os.Args[2:])
	case "run":
		err = run(os.Args[2:])
	case "searchable":
		err = searchable(os.Args[2:])
	default:
		err = fmt.Errorf("unknown subcommand %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "serveload:", err)
		os.Exit(1)
	}
}

// fill adds n records with seeded vectors (a 50-component Gaussian
// mixture) to a store that already has a manifest (made by a small
// `vecimg ingest`, so that the store's model can ingest more later).
func fill(args []string) error {
	fs := flag.NewFlagSet("fill", flag.ExitOnError)
	db := fs.String("db", "", "store path")
	n := fs.Int("n", 20000, "records to add")
	seed := fs.Uint64("seed", 1, "random seed")
	fs.Parse(args)
	st, err := store.Open(*db, store.Options{NoSync: true})
	if err != nil {
		return err
	}
	defer st.Close()
	man, ok, err := st.Manifest()
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%s has no manifest: ingest a few images first", *db)
	}
	dim := man.Dim
	r := rand.New(rand.NewPCG(*seed, 99))
	centres := make([][]float32, 50)
	for c := range centres {
		centres[c] = make([]float32, dim)
		for j := range dim {
			centres[c][j] = float32(math.Abs(r.NormFloat64())) // fc6-like: mostly positive
		}
	}
	const batch = 1000
	recs := make([]store.Record, 0, batch)
	for i := range *n {
		v := make([]float32, dim)
		c := centres[r.IntN(len(centres))]
		for j := range dim {
			v[j] = c[j] + float32(r.NormFloat64()*0.5)
		}
		id := fmt.Sprintf("syn%05d", i)
		recs = append(recs, store.Record{ID: id, Path: "/synthetic/" + id + ".jpg",
			SHA256: fmt.Sprintf("%064x", uint64(i)+1), Width: 448, Height: 448, Vector: v, Meta: store.Meta{Label: store.NoLabel}})
		if len(recs) == batch || i == *n-1 {
			if err := st.Put(recs); err != nil {
				return err
			}
			recs = recs[:0]
		}
	}
	fmt.Printf("added %d synthetic records of %d values to %s\n", *n, dim, *db)
	return nil
}

type summary struct {
	Label      string   `json:"label"`
	Clients    int      `json:"clients"`
	Seconds    float64  `json:"seconds"`
	Requests   int      `json:"requests"`
	PerSecond  float64  `json:"requests_per_second"`
	P50ms      float64  `json:"p50_ms"`
	P90ms      float64  `json:"p90_ms"`
	P99ms      float64  `json:"p99_ms"`
	Maxms      float64  `json:"max_ms"`
	Errors     int      `json:"errors"`
	ErrSamples []string `json:"error_samples,omitempty"`
	IDs        int      `json:"ids_queried_from"`
}

func storedIDs(client *http.Client, base, token string) ([]string, error) {
	var ids []string
	for off := 0; ; {
		var page struct {
			Total  int `json:"total"`
			Images []struct {
				ID string `json:"id"`
			} `json:"images"`
		}
		if err := getJSON(client, fmt.Sprintf("%s/api/v1/images?limit=500&offset=%d", base, off), token, &page); err != nil {
			return nil, err
		}
		for _, im := range page.Images {
			ids = append(ids, im.ID)
		}
		off += len(page.Images)
		if len(page.Images) == 0 || off >= page.Total {
			return ids, nil
		}
	}
}

func getJSON(client *http.Client, u, token string, v any) error {
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode != 200 {
		return fmt.Errorf("GET %s: %s: %s", u, res.Status, strings.TrimSpace(string(body)))
	}
	return json.Unmarshal(body, v)
}

// run sends neighbour queries for random stored ids from concurrent
// clients, each waiting for its answer before the next request.
func run(args []string) error {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	base := fs.String("base", "http://127.0.0.1:8080", "server URL")
	clients := fs.Int("clients", 8, "concurrent clients")
	dur := fs.Duration("duration", 30*time.Second, "how long")
	k := fs.Int("k", 10, "neighbours per query")
	label := fs.String("label", "", "name of this run in the summary")
	token := fs.String("token", os.Getenv("VECIMG_TOKEN"), "API token")
	fs.Parse(args)
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: *clients * 2}}
	ids, err := storedIDs(client, *base, *token)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return fmt.Errorf("the store at %s is empty", *base)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *dur)
	defer cancel()
	var mu sync.Mutex
	var lat []float64
	var errs []string
	nerr := 0
	var wg sync.WaitGroup
	start := time.Now()
	for c := range *clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(c), 3))
			var mine []float64
			for ctx.Err() == nil {
				id := ids[r.IntN(len(ids))]
				u := fmt.Sprintf("%s/api/v1/images/%s/neighbours?k=%d", *base, url.PathEscape(id), *k)
				t0 := time.Now()
				var ans struct {
					Results []json.RawMessage `json:"results"`
				}
				err := getJSON(client, u, *token, &ans)
				d := time.Since(t0)
				if ctx.Err() != nil && err != nil {
					break // cut off by the end of the run
				}
				if err == nil && len(ans.Results) != min(*k, len(ids)-1) {
					err = fmt.Errorf("%s: %d results, want %d", id, len(ans.Results), min(*k, len(ids)-1))
				}
				if err != nil {
					mu.Lock()
					nerr++
					if len(errs) < 5 {
						errs = append(errs, err.Error())
					}
					mu.Unlock()
					continue
				}
				mine = append(mine, float64(d.Microseconds())/1000)
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	slices.Sort(lat)
	q := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(math.Ceil(p*float64(len(lat))))-1)]
	}
	s := summary{Label: *label, Clients: *clients, Seconds: secs, Requests: len(lat), PerSecond: float64(len(lat)) / secs,
		P50ms: q(0.50), P90ms: q(0.90), P99ms: q(0.99), Errors: nerr, ErrSamples: errs, IDs: len(ids)}
	if len(lat) > 0 {
		s.Maxms = lat[len(lat)-1]
	}
	enc := json.NewEncoder(os.Stdout)
	return enc.Encode(s)
}

// searchable checks that every image file under dir is stored and answers
// a neighbour query.
func searchable(args []string) error {
	fset := flag.NewFlagSet("searchable", flag.ExitOnError)
	base := fset.String("base", "http://127.0.0.1:8080", "server URL")
	dir := fset.String("dir", "", "the watched folder")
	token := fset.String("token", os.Getenv("VECIMG_TOKEN"), "API token")
	fset.Parse(args)
	client := &http.Client{Timeout: 30 * time.Second}
	var want, ok int
	var missing []string
	err := filepath.WalkDir(*dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".jpg", ".jpeg", ".png", ".gif":
		default:
			return nil
		}
		rel, _ := filepath.Rel(*dir, p)
		id := strings.TrimSuffix(filepath.ToSlash(rel), filepath.Ext(rel))
		want++
		var ans struct {
			QueryID string            `json:"query_id"`
			Results []json.RawMessage `json:"results"`
		}
		if err := getJSON(client, fmt.Sprintf("%s/api/v1/images/%s/neighbours?k=5", *base, url.PathEscape(id)), *token, &ans); err != nil || ans.QueryID != id || len(ans.Results) == 0 {
			missing = append(missing, id)
			return nil
		}
		ok++
		return nil
	})
	if err != nil {
		return err
	}
	out := map[string]any{"images": want, "searchable": ok, "missing": missing}
	json.NewEncoder(os.Stdout).Encode(out)
	if ok != want {
		return fmt.Errorf("%d of %d images under %s are not searchable", want-ok, want, *dir)
	}
	return nil
}
