package app

import (
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vecimg/vecimg/internal/dedup"
	"github.com/vecimg/vecimg/internal/fsutil"
	"github.com/vecimg/vecimg/internal/phash"
	"github.com/vecimg/vecimg/internal/sheet"
	"github.com/vecimg/vecimg/internal/types"
	"github.com/vecimg/vecimg/store"
)

// DefaultSheetsMax is how many groups (or outliers) get a contact sheet at
// most, unless the options ask for another number.
const DefaultSheetsMax = 500

// DupsOptions asks for the near-duplicate groups of the store.
type DupsOptions struct {
	// Threshold is the cosine distance D under which two images match by
	// their vectors; 0 means the store's calibrated D, else
	// dedup.DefaultThreshold. Must be in [0, 2].
	Threshold float64
	// PHash and DHash, when not nil, are the Hamming thresholds of the
	// pHash and dHash signals (negative: off); nil means calibrated, else
	// the dedup defaults.
	PHash, DHash *int
	// Signals, when not empty, restricts matching to these of "vector",
	// "phash", "dhash" (the others are off).
	Signals []string
	// Keep chooses the kept image of each group: "largest" (the default),
	// "oldest", "newest" or "under=DIR".
	Keep string
	// Rehash first computes the missing image hashes from the records'
	// source files (needs the store open for writing).
	Rehash bool
	// MoveTo, when set, is a folder that receives every file that is not
	// kept (at MoveTo/<id><ext>, so relative paths are preserved; nothing is
	// overwritten or deleted), whose records are then removed; with DryRun
	// the moves are only planned and checked.
	MoveTo string
	DryRun bool
	// K and MaxK: neighbours first asked per image and the cap of the
	// adaptive k (0 = the dedup defaults).
	K, MaxK int
	// CSV, when set, is written with one row per group member:
	// group,id,path,keep,distance,phash_distance,dhash_distance,mirrored,matched_by.
	CSV string
	// Sheets, when set, is a directory that receives one PNG contact sheet
	// per group (up to SheetsMax, default DefaultSheetsMax) and an index.html.
	Sheets    string
	SheetsMax int
	Progress  Progress
}

// DupMember is one image of a group.
type DupMember = types.DupMember

// DupGroup is one group, kept member first.
type DupGroup = types.DupGroup

// SheetsInfo is types.SheetsInfo.
type SheetsInfo = types.SheetsInfo

// Threshold sources (DupThresholds.Source).
const (
	FromDefault    = "default"
	FromCalibrated = "calibrated"
	FromGiven      = "given"
)

// DupThresholds is types.DupThresholds.
type DupThresholds = types.DupThresholds

// DupsResult is types.DupsResult.
type DupsResult = types.DupsResult

// Signal names of DupsOptions.Signals.
const (
	SignalVector = dedup.ByVector
	SignalPHash  = dedup.ByPHash
	SignalDHash  = dedup.ByDHash
)

// dupThresholds decides the thresholds: given, else calibrated, else the
// defaults (the pHash one depends on the number of images n); then Signals
// turns the others off.
func dupThresholds(o DupsOptions, man store.Manifest, n int) (DupThresholds, error) {
	t := DupThresholds{Vector: dedup.DefaultThreshold, PHash: dedup.DefaultPHashFor(n), DHash: dedup.DefaultDHash,
		Source: map[string]string{SignalVector: FromDefault, SignalPHash: FromDefault, SignalDHash: FromDefault}, Calibration: (*types.DupCalibration)(man.Dups)}
	if c := man.Dups; c != nil {
		t.Vector, t.PHash, t.DHash = c.Vector, c.PHash, c.DHash
		for k := range t.Source {
			t.Source[k] = FromCalibrated
		}
	}
	if o.Threshold != 0 {
		t.Vector, t.Source[SignalVector] = o.Threshold, FromGiven
	}
	if o.PHash != nil {
		t.PHash, t.Source[SignalPHash] = max(*o.PHash, dedup.Off), FromGiven
	}
	if o.DHash != nil {
		t.DHash, t.Source[SignalDHash] = max(*o.DHash, dedup.Off), FromGiven
	}
	if len(o.Signals) > 0 {
		on := map[string]bool{}
		for _, sg := range o.Signals {
			if sg != SignalVector && sg != SignalPHash && sg != SignalDHash {
				return t, invalidf("signal %q: use vector, phash or dhash", sg)
			}
			on[sg] = true
		}
		if !on[SignalVector] {
			t.Vector = dedup.Off
		}
		if !on[SignalPHash] {
			t.PHash = dedup.Off
		}
		if !on[SignalDHash] {
			t.DHash = dedup.Off
		}
	}
	switch {
	case !(t.Vector <= 2) || (t.Vector < 0 && t.Vector != dedup.Off):
		return t, paramErr("threshold", t.Vector, "is not a cosine distance: use a value in [0, 2] (default %v)", dedup.DefaultThreshold)
	case t.PHash > 15 || t.DHash > 15:
		return t, invalidf("hash thresholds %d, %d: at most 15 of 64 bits", t.PHash, t.DHash)
	case t.Vector < 0 && t.PHash < 0 && t.DHash < 0:
		return t, invalidf("every signal is off: keep at least one of vector, phash, dhash")
	}
	return t, nil
}

// keepRule parses DupsOptions.Keep.
func keepRule(keep string) (dedup.KeepRule, string, error) {
	switch {
	case keep == "" || keep == "largest":
		return dedup.KeepLargest, "", nil
	case keep == "oldest":
		return dedup.KeepOldest, "", nil
	case keep == "newest":
		return dedup.KeepNewest, "", nil
	case strings.HasPrefix(keep, "under="):
		dir := strings.TrimPrefix(keep, "under=")
		if dir == "" {
			return 0, "", optInvalidf("{keep} under=PATH needs a folder")
		}
		abs, err := filepath.Abs(dir)
		if err != nil {
			return 0, "", optInvalidf("{keep} %s: %v", keep, err)
		}
		return dedup.KeepUnder, abs, nil
	}
	return 0, "", optInvalidf("{keep} %q: use largest, oldest, newest or under=PATH", keep)
}

// Dups finds groups of byte-identical files and of near-duplicate images
// (star groups of images that match the kept one by vector, pHash or
// dHash; see package dedup) and writes the CSV and the contact sheets when
// asked. Options and output paths are checked before any work.
func (a *App) Dups(ctx context.Context, o DupsOptions) (DupsResult, error) {
	start := time.Now()
	p := a.progress(o.Progress)
	res := DupsResult{Groups: []DupGroup{}}
	if o.K < 0 || o.MaxK < 0 || o.SheetsMax < 0 {
		return res, optInvalidf("{k}, {max-k} and {sheets-max} must not be negative")
	}
	rule, under, err := keepRule(o.Keep)
	if err != nil {
		return res, err
	}
	res.Keep = cmp.Or(o.Keep, "largest")
	if o.CSV != "" {
		if err := checkOutputFile(o.CSV, opt("csv")); err != nil {
			return res, err
		}
	}
	if o.Sheets != "" {
		if err := checkOutputDir(o.Sheets, opt("sheets")); err != nil {
			return res, err
		}
	}
	if !(o.Threshold >= 0 && o.Threshold <= 2) {
		return res, paramErr("threshold", o.Threshold, "is not a cosine distance: use a value in [0, 2] (default %v)", dedup.DefaultThreshold)
	}
	if o.DryRun && o.MoveTo == "" {
		return res, optInvalidf("{dry-run} goes with {move-to} (or {calibrate})")
	}
	if a.cfg.ReadOnly && ((o.MoveTo != "" && !o.DryRun) || o.Rehash) {
		return res, optErr(store.ErrReadOnly, nil, "%v: {move-to} and {rehash} need the store open for writing", store.ErrReadOnly)
	}
	if o.MoveTo != "" {
		if fi, err := os.Stat(o.MoveTo); err == nil && !fi.IsDir() {
			return res, optInvalidf("{move-to} %s is a file: give a folder (it is created when missing)", o.MoveTo)
		}
		abs, err := filepath.Abs(o.MoveTo)
		if err != nil {
			return res, optInvalidf("{move-to} %s: %v", o.MoveTo, err)
		}
		o.MoveTo = abs
	}
	if o.Rehash {
		if _, _, _, err := a.nonEmptyStore(); err != nil {
			return res, err
		}
		rr, err := a.rehashLocked(ctx, p)
		res.Rehash = &rr
		if err != nil {
			return res, err
		}
	}
	st, man, n, err := a.nonEmptyStore()
	if err != nil {
		return res, err
	}
	th, err := dupThresholds(o, man, n)
	if err != nil {
		return res, err
	}
	res.Thresholds, res.Threshold = th, th.Vector
	var nb dedup.Neighbours
	if th.Vector >= 0 {
		if _, err := a.currentIndex(ctx, st, p); err != nil {
			return res, err
		}
		nb = a.dedupNeighbours(st, float32(th.Vector))
	}
	var hashes map[string]phash.Hashes
	if th.PHash >= 0 || th.DHash >= 0 {
		if hashes, err = storeHashes(ctx, st); err != nil {
			return res, err
		}
	}
	items := storeItems(st, man.Dim, hashes)
	prog, end := libraryProgress(p, dedupStage)
	dr, err := dedup.Groups(ctx, items, nb, storeDistance(st), dedup.Options{
		Threshold: th.Vector, PHash: th.PHash, DHash: th.DHash, K: o.K, MaxK: o.MaxK,
		Workers: dedup.DefaultWorkers, Keep: rule, KeepUnder: under, Progress: prog,
	})
	end()
	if err != nil {
		return res, fmt.Errorf("finding duplicates in %s: %w", st.Path(), err)
	}
	res.Images, res.Hashed, res.Stats, res.K, res.MaxK = dr.Stats.Items, dr.Stats.Hashed, types.DupStats(dr.Stats), dr.K, dr.MaxK
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
			dg.Members[i] = DupMember{ID: m.ID, Path: heads[m.ID].Path, SHA256: heads[m.ID].SHA256, Width: m.Width, Height: m.Height,
				Keep: m.Keep, Distance: m.Distance, PHash: m.PHash, DHash: m.DHash, Mirrored: m.Mirrored, Cropped: m.Cropped, MatchedBy: m.MatchedBy, Copies: m.Copies}
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
	if o.MoveTo != "" {
		moves, err := planMoves(res.Groups, o.MoveTo)
		if err != nil {
			return res, err
		}
		res.Moved = &MoveResult{Dir: o.MoveTo, DryRun: o.DryRun, Moves: moves}
		if !o.DryRun && len(moves) > 0 {
			a.writeMu.Lock()
			defer a.writeMu.Unlock()
			wst, err := a.writable(false)
			if err != nil {
				return res, err
			}
			mr, err := a.moveDuplicates(ctx, wst, moves, o.MoveTo, p)
			res.Moved = &mr
			if err != nil {
				return res, err
			}
		}
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
// (no vectors decoded), with their image hashes from hashes (nil: none).
// On a read-only store the value-log pages read are released as
// the scan goes (see pageReleaser), so listing a 16 GB store does not leave
// it resident.
func storeItems(st *store.Store, dim int, hashes map[string]phash.Hashes) dedup.Items {
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
			ph, hashed := hashes[h.ID]
			if err := fn(dedup.Item{ID: h.ID, SHA256: h.SHA256, Width: h.Width, Height: h.Height, Order: order,
				Path: h.Path, Hashes: ph, Hashed: hashed}); err != nil {
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

// storeHashes reads the image hashes of every record that has them, from
// the metadata alone.
func storeHashes(ctx context.Context, st *store.Store) (map[string]phash.Hashes, error) {
	hashes := map[string]phash.Hashes{}
	err := st.ScanHashes(ctx, func(id string, h store.Hashes) error {
		if ph, ok := imageHashes(h); ok {
			hashes[id] = ph
		}
		return nil
	})
	return hashes, err
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

// dedupStage shows dedup's stages on a Progress: "dups: neighbours",
// "dups: distances", "outliers".
func dedupStage(stage string, total int64) (string, string, int64) {
	if stage == dedup.StageOutliers {
		return stage, "img", total
	}
	return "dups: " + stage, "img", total
}

func writeDupsCSV(path string, groups []DupGroup) error {
	err := fsutil.WriteFileAtomic(path, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		if err := cw.Write([]string{"group", "id", "path", "keep", "distance", "phash_distance", "dhash_distance", "mirrored", "cropped", "matched_by"}); err != nil {
			return err
		}
		for _, g := range groups {
			for _, m := range g.Members {
				row := []string{strconv.Itoa(g.Group), m.ID, m.Path, strconv.FormatBool(m.Keep), strconv.FormatFloat(float64(m.Distance), 'f', 6, 32),
					strconv.Itoa(m.PHash), strconv.Itoa(m.DHash), strconv.FormatBool(m.Mirrored), strconv.FormatBool(m.Cropped), strings.Join(m.MatchedBy, "+")}
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
	pages := make([]sheet.Page, 0, len(shown))
	for _, g := range shown {
		pg := sheet.Page{
			File:    fmt.Sprintf("group_%0*d.png", width, g.Group),
			Heading: fmt.Sprintf("Group %d: %d %s, keep %s", g.Group, len(g.Members), kindWords(g.Kind), g.Keep),
			Header:  fmt.Sprintf("group %d (%s): keep %s; %d %s", g.Group, g.Kind, g.Keep, len(g.Members), plural(len(g.Members), "image", "images")),
		}
		if n := len(g.Members); n > sheetTiles {
			pg.Header = fmt.Sprintf("group %d (%s): keep %s; showing %d of %d images", g.Group, g.Kind, g.Keep, sheetTiles, n)
		}
		for _, m := range g.Members {
			pg.IDs = append(pg.IDs, m.ID)
			detail := fmt.Sprintf("d=%.4f %s %dx%d", m.Distance, strings.Join(m.MatchedBy, "+"), m.Width, m.Height)
			if m.Keep {
				detail = fmt.Sprintf("KEEP %dx%d", m.Width, m.Height)
			}
			pg.Captions = append(pg.Captions, m.ID+"\n"+detail)
		}
		pages = append(pages, pg)
	}
	intro := fmt.Sprintf("%d groups of duplicates among %d images (%s, or the same SHA-256); %d shown, largest first. "+
		"Each sheet shows the kept image first (%s), then the others by distance to it, each with the signals it matched by.",
		len(res.Groups), res.Images, ThresholdWords(res.Thresholds), len(shown), res.Keep)
	out, err := sheet.WritePages(ctx, dir, intro, pages, storeImageLoader(st), sheet.Options{Title: "vecimg dups", Stale: "group_*.png"})
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

// recordHashes is the store's form of an image's hashes (absent unless ok).
func recordHashes(h phash.Hashes, ok bool) store.Hashes {
	if !ok {
		return store.Hashes{}
	}
	return store.Hashes{Present: true, PHash: h.PHash, DHash: h.DHash, PMirror: h.PMirror, PCentre: h.PCentre, HasCentre: true}
}

// imageHashes is the phash form of a record's hashes; ok is false when it
// has none. A record hashed before the centre pHash existed gets its own
// pHash as centre, so that the cropped comparison adds nothing for it.
func imageHashes(h store.Hashes) (phash.Hashes, bool) {
	c := h.PCentre
	if !h.HasCentre {
		c = h.PHash
	}
	return phash.Hashes{PHash: h.PHash, DHash: h.DHash, PMirror: h.PMirror, PCentre: c}, h.Present
}

// ThresholdWords describes the thresholds in use ("cosine distance ≤ 0.004
// or pHash ≤ 10").
func ThresholdWords(t DupThresholds) string {
	var parts []string
	if t.Vector >= 0 {
		parts = append(parts, fmt.Sprintf("cosine distance ≤ %.4g", t.Vector))
	}
	if t.PHash >= 0 {
		parts = append(parts, fmt.Sprintf("pHash ≤ %d", t.PHash))
	}
	if t.DHash >= 0 {
		parts = append(parts, fmt.Sprintf("dHash ≤ %d", t.DHash))
	}
	return strings.Join(parts, " or ")
}

// MatchingWords says which signals decided a dups run, at which thresholds,
// and where they came from, for the front ends.
func MatchingWords(res DupsResult) string {
	t := res.Thresholds
	var src []string
	for _, sg := range []string{SignalVector, SignalPHash, SignalDHash} {
		src = append(src, sg+" "+t.Source[sg])
	}
	s := fmt.Sprintf("matched by %s (thresholds: %s)", ThresholdWords(t), strings.Join(src, ", "))
	if res.Hashed == 0 && (t.PHash >= 0 || t.DHash >= 0) {
		s += "; no image has perceptual hashes, so vectors alone decided"
	}
	return s
}

// sheetTiles is how many images a contact sheet shows at most (the
// default grid of sheet.Options).
const sheetTiles = sheet.DefaultCols * sheet.DefaultRows

// rehashLocked is dups --rehash: rehash under a.writeMu, as every write of
// the process.
func (a *App) rehashLocked(ctx context.Context, p Progress) (RehashResult, error) {
	a.writeMu.Lock()
	defer a.writeMu.Unlock()
	wst, err := a.writable(false)
	if err != nil {
		return RehashResult{}, err
	}
	rr, err := rehash(ctx, wst, "", p)
	if err != nil {
		return rr, fmt.Errorf("rehash: %w", err)
	}
	return rr, nil
}
