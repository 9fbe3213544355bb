package app

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/vecimg/vecimg/cluster"
	"github.com/vecimg/vecimg/internal/dedup"
	"github.com/vecimg/vecimg/internal/fsutil"
	"github.com/vecimg/vecimg/store"
)

// DefaultSheetsMax is how many groups (or outliers) get a contact sheet at
// most, unless the options ask for another number.
const DefaultSheetsMax = 500

// DupsOptions asks for the near-duplicate groups of the store.
type DupsOptions struct {
	// Threshold is the cosine distance D under which two images are
	// near-duplicates; 0 means dedup.DefaultThreshold. Must be in [0, 2].
	Threshold float64
	// K and MaxK: neighbours first asked per image and the cap of the
	// adaptive k (0 = the dedup defaults).
	K, MaxK int
	// CSV, when set, is written with one row per group member:
	// group,id,path,keep,distance.
	CSV string
	// Sheets, when set, is a directory that receives one PNG contact sheet
	// per group (up to SheetsMax, default DefaultSheetsMax) and an index.html.
	Sheets    string
	SheetsMax int
	Progress  Progress
}

// DupMember is one image of a group.
type DupMember struct {
	ID       string  `json:"id"`
	Path     string  `json:"path"`
	SHA256   string  `json:"sha256,omitempty"` // the file's content hash
	Width    int     `json:"width"`
	Height   int     `json:"height"`
	Keep     bool    `json:"keep"`
	Distance float32 `json:"distance"`         // cosine distance to the kept member
	Copies   int     `json:"copies,omitempty"` // byte-identical copies, listed in their own identical group
}

// DupGroup is one group: "identical" (same SHA-256) or "near" (cosine
// distance ≤ threshold to another member), kept member first.
type DupGroup struct {
	Group   int         `json:"group"` // 1-based, largest group first
	Kind    string      `json:"kind"`
	Keep    string      `json:"keep"`
	Members []DupMember `json:"members"`
}

// SheetsInfo says where contact sheets were written.
type SheetsInfo struct {
	Dir        string   `json:"dir"`
	Index      string   `json:"index"`
	Files      int      `json:"files"`
	Unreadable []string `json:"unreadable,omitempty"`
}

// DupsResult is the answer of Dups.
type DupsResult struct {
	Threshold float64     `json:"threshold"`
	Images    int         `json:"images"`
	Groups    []DupGroup  `json:"groups"`
	Stats     dedup.Stats `json:"stats"`
	K         int         `json:"k"`
	MaxK      int         `json:"max_k"`
	CSV       string      `json:"csv,omitempty"`
	Sheets    *SheetsInfo `json:"sheets,omitempty"`
	Seconds   float64     `json:"seconds"`
}

// Dups finds groups of byte-identical files and of near-duplicate images
// (connected components of the "cosine distance ≤ threshold" graph found
// with k-NN queries through the index; see package dedup) and writes the
// CSV and the contact sheets when asked. Options and output paths are
// checked before any work.
func (a *App) Dups(ctx context.Context, o DupsOptions) (DupsResult, error) {
	start := time.Now()
	p := a.progress(o.Progress)
	if o.Threshold == 0 {
		o.Threshold = dedup.DefaultThreshold
	}
	res := DupsResult{Threshold: o.Threshold, Groups: []DupGroup{}}
	if !(o.Threshold >= 0 && o.Threshold <= 2) {
		return res, paramErr("threshold", o.Threshold, "is not a cosine distance: use a value in [0, 2] (default %v)", dedup.DefaultThreshold)
	}
	if o.K < 0 || o.MaxK < 0 || o.SheetsMax < 0 {
		return res, invalidf("--k, --max-k and --sheets-max must not be negative")
	}
	if o.CSV != "" {
		if err := checkOutputFile(o.CSV, "--csv"); err != nil {
			return res, err
		}
	}
	if o.Sheets != "" {
		if err := checkOutputDir(o.Sheets, "--sheets"); err != nil {
			return res, err
		}
	}
	st, man, _, err := a.nonEmptyStore()
	if err != nil {
		return res, err
	}
	if _, err := a.currentIndex(ctx, st, p); err != nil {
		return res, err
	}
	items := storeItems(st, man.Dim)
	pb := &progressBridge{p: p, stages: []string{"dups: neighbours", "dups: distances"}}
	dr, err := dedup.Groups(ctx, items, a.dedupNeighbours(st, float32(o.Threshold)), storeDistance(st), dedup.Options{
		Threshold: o.Threshold, K: o.K, MaxK: o.MaxK, Workers: dedup.DefaultWorkers, Progress: pb.update,
	})
	pb.done()
	if err != nil {
		return res, fmt.Errorf("finding duplicates in %s: %w", st.Path(), err)
	}
	res.Images, res.Stats, res.K, res.MaxK = dr.Stats.Items, dr.Stats, dr.K, dr.MaxK
	var members []string
	for _, g := range dr.Groups {
		for _, m := range g.Members {
			members = append(members, m.ID)
		}
	}
	heads, err := headsOf(st, members)
	if err != nil {
		return res, err
	}
	for gi, g := range dr.Groups {
		dg := DupGroup{Group: gi + 1, Kind: string(g.Kind), Keep: g.Keep, Members: make([]DupMember, len(g.Members))}
		for i, m := range g.Members {
			dg.Members[i] = DupMember{ID: m.ID, Path: heads[m.ID].Path, SHA256: heads[m.ID].SHA256, Width: m.Width, Height: m.Height, Keep: m.Keep, Distance: m.Distance, Copies: m.Copies}
		}
		res.Groups = append(res.Groups, dg)
	}
	if o.CSV != "" {
		if err := writeDupsCSV(o.CSV, res.Groups); err != nil {
			return res, err
		}
		res.CSV = o.CSV
	}
	if o.Sheets != "" {
		info, err := writeDupSheets(ctx, st, o.Sheets, res, cmpOr(o.SheetsMax, DefaultSheetsMax))
		if err != nil {
			return res, err
		}
		res.Sheets = info
	}
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

func cmpOr(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

// storeItems lists the store's records for package dedup from their heads
// (no vectors decoded). On a read-only store the value-log pages read are
// released as the scan goes (see pageReleaser), so listing a 16 GB store
// does not leave it resident.
func storeItems(st *store.Store, dim int) dedup.Items {
	return func(ctx context.Context, fn func(dedup.Item) error) error {
		var r *pageReleaser
		if st.ReadOnly() {
			r = newPageReleaser(st, dim)
		}
		err := st.ScanHeads(ctx, func(h store.Head) error {
			order := int64(0)
			if !h.Added.IsZero() {
				order = h.Added.UnixNano()
			}
			if err := fn(dedup.Item{ID: h.ID, SHA256: h.SHA256, Width: h.Width, Height: h.Height, Order: order}); err != nil {
				return err
			}
			if r != nil {
				return r.tick()
			}
			return nil
		})
		if err == nil && r != nil {
			err = r.release()
		}
		return err
	}
}

// headsOf returns the stored heads (path, hash, size) of ids.
func headsOf(st *store.Store, ids []string) (map[string]store.Head, error) {
	hs, err := st.Heads(ids)
	if err != nil {
		return nil, err
	}
	m := make(map[string]store.Head, len(ids))
	for i, id := range ids {
		m[id] = hs[i]
	}
	return m, nil
}

// dedupNeighbours answers dedup's queries through the App's index as range
// queries: the neighbours within the threshold only, most of them ruled
// out from their codes without reading a vector.
func (a *App) dedupNeighbours(st *store.Store, within float32) dedup.Neighbours {
	return func(ctx context.Context, id string, k int) ([]dedup.Neighbour, error) {
		hits, err := a.nearID(ctx, st, id, within, k)
		return dedupHits(hits), err
	}
}

// knnNeighbours answers dedup's k-NN queries (outlier scores need the
// true k-th neighbour) through the App's index, re-ranked exactly.
func (a *App) knnNeighbours(st *store.Store) dedup.Neighbours {
	return func(ctx context.Context, id string, k int) ([]dedup.Neighbour, error) {
		hits, err := a.searchID(ctx, st, id, searchParams{K: k}, Quiet)
		return dedupHits(hits), err
	}
}

func dedupHits(hits []Neighbor) []dedup.Neighbour {
	out := make([]dedup.Neighbour, len(hits))
	for i, h := range hits {
		out[i] = dedup.Neighbour{ID: h.ID, Distance: h.Distance}
	}
	return out
}

// storeDistance computes the cosine distance of two stored vectors (used
// for the members of groups only).
func storeDistance(st *store.Store) dedup.Distance {
	return func(x, y string) (float32, error) {
		rx, err := st.Get(x)
		if err != nil {
			return 0, err
		}
		ry, err := st.Get(y)
		if err != nil {
			return 0, err
		}
		return cosineDistance(rx.Vector, ry.Vector)
	}
}

func cosineDistance(x, y []float32) (float32, error) {
	if len(x) != len(y) {
		return 0, fmt.Errorf("vectors of different lengths (%d, %d)", len(x), len(y))
	}
	var dot, nx, ny float64
	for i := range x {
		dot += float64(x[i]) * float64(y[i])
		nx += float64(x[i]) * float64(x[i])
		ny += float64(y[i]) * float64(y[i])
	}
	if nx == 0 || ny == 0 {
		return 0, errors.New("zero vector")
	}
	d := 1 - dot/(math.Sqrt(nx)*math.Sqrt(ny))
	return float32(max(d, 0)), nil
}

// progressBridge turns dedup's (done, total) calls into Progress stages:
// each (0, total) call starts the next stage.
type progressBridge struct {
	p       Progress
	stages  []string
	stage   int
	started bool
	last    int
}

func (b *progressBridge) update(done, total int) {
	if done == 0 {
		b.done()
		name := "dups"
		if b.stage < len(b.stages) {
			name = b.stages[b.stage]
		}
		b.stage++
		b.p.Start(name, "img", int64(total))
		b.started, b.last = true, 0
		return
	}
	if b.started && done > b.last {
		b.p.Add(int64(done - b.last))
		b.last = done
	}
}

func (b *progressBridge) done() {
	if b.started {
		b.p.Done()
		b.started = false
	}
}

func writeDupsCSV(path string, groups []DupGroup) error {
	err := fsutil.WriteFileAtomic(path, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		if err := cw.Write([]string{"group", "id", "path", "keep", "distance"}); err != nil {
			return err
		}
		for _, g := range groups {
			for _, m := range g.Members {
				row := []string{strconv.Itoa(g.Group), m.ID, m.Path, strconv.FormatBool(m.Keep), strconv.FormatFloat(float64(m.Distance), 'f', 6, 32)}
				if err := cw.Write(row); err != nil {
					return err
				}
			}
		}
		cw.Flush()
		return cw.Error()
	})
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

func writeDupSheets(ctx context.Context, st *store.Store, dir string, res DupsResult, maxGroups int) (*SheetsInfo, error) {
	shown := res.Groups[:min(len(res.Groups), maxGroups)]
	width := len(strconv.Itoa(max(len(shown), 1)))
	pages := make([]cluster.SheetPage, 0, len(shown))
	for _, g := range shown {
		pg := cluster.SheetPage{
			File:    fmt.Sprintf("group_%0*d.png", width, g.Group),
			Heading: fmt.Sprintf("Group %d: %d %s, keep %s", g.Group, len(g.Members), kindWords(g.Kind), g.Keep),
			Header:  fmt.Sprintf("group %d (%s): keep %s; %d %s", g.Group, g.Kind, g.Keep, len(g.Members), plural(len(g.Members), "image", "images")),
		}
		if n := len(g.Members); n > sheetTiles {
			pg.Header = fmt.Sprintf("group %d (%s): keep %s; showing %d of %d images", g.Group, g.Kind, g.Keep, sheetTiles, n)
		}
		for _, m := range g.Members {
			pg.IDs = append(pg.IDs, m.ID)
			detail := fmt.Sprintf("d=%.4f %dx%d", m.Distance, m.Width, m.Height)
			if m.Keep {
				detail = fmt.Sprintf("KEEP %dx%d", m.Width, m.Height)
			}
			pg.Captions = append(pg.Captions, m.ID+"\n"+detail)
		}
		pages = append(pages, pg)
	}
	intro := fmt.Sprintf("%d groups of duplicates among %d images (cosine distance ≤ %g, or the same SHA-256); %d shown, largest first. "+
		"Each sheet shows the kept image first (largest resolution, then oldest), then the others by distance to it.",
		len(res.Groups), res.Images, res.Threshold, len(shown))
	out, err := cluster.WriteSheetPages(ctx, dir, intro, pages, storeImageLoader(st), cluster.SheetOptions{Title: "vecimg dups", Stale: "group_*.png"})
	if err != nil {
		return nil, fmt.Errorf("writing contact sheets to %s: %w", dir, err)
	}
	return &SheetsInfo{Dir: dir, Index: out.Index, Files: len(out.Files), Unreadable: out.Unreadable}, nil
}

func kindWords(k string) string {
	if k == string(dedup.Identical) {
		return "identical files"
	}
	return "near-duplicates"
}

// sheetTiles is how many images a contact sheet shows at most (the
// default grid of cluster.SheetOptions).
const sheetTiles = cluster.DefaultSheetCols * cluster.DefaultSheetRows
