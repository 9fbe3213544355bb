package app

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/vecimg/vecimg/internal/dedup"
	"github.com/vecimg/vecimg/internal/sheet"
	"github.com/vecimg/vecimg/internal/types"
	"github.com/vecimg/vecimg/store"
)

// OutliersOptions asks for the images farthest from the rest.
type OutliersOptions struct {
	N int // how many (0 = dedup.DefaultOutlierN)
	K int // the score is the distance to the K-th nearest other image (0 = dedup.DefaultOutlierK)
	// Sheets, when set, is a folder that receives outliers.png (all N) and
	// one sheet per outlier with its K neighbours, plus an index.html.
	Sheets   string
	Progress Progress
}

// OutlierNeighbor is types.OutlierNeighbor.
type OutlierNeighbor = types.OutlierNeighbor

// OutlierImage is types.OutlierImage.
type OutlierImage = types.OutlierImage

// OutliersResult is types.OutliersResult.
type OutliersResult = types.OutliersResult

// Outliers scores every stored image by the cosine distance to its K-th
// nearest other image (through the index) and returns the N highest.
func (a *App) Outliers(ctx context.Context, o OutliersOptions) (OutliersResult, error) {
	start := time.Now()
	p := a.progress(o.Progress)
	if o.N < 0 || o.K < 0 {
		return OutliersResult{}, optInvalidf("{n} and {k} must be positive (got %d, %d)", o.N, o.K)
	}
	o.N = cmpOr(o.N, dedup.DefaultOutlierN)
	o.K = cmpOr(o.K, dedup.DefaultOutlierK)
	res := OutliersResult{K: o.K, N: o.N, Outliers: []OutlierImage{}}
	if o.Sheets != "" {
		if err := checkOutputDir(o.Sheets, opt("sheets")); err != nil {
			return res, err
		}
	}
	st, man, n, err := a.nonEmptyStore()
	if err != nil {
		return res, err
	}
	if n <= o.K {
		return res, optInvalidf("the store holds %d images; the outlier score is the distance to the %s nearest other image, so it needs at least %d: pass a smaller {k}", n, Ordinal(o.K), o.K+1)
	}
	if _, err := a.currentIndex(ctx, st, p); err != nil {
		return res, err
	}
	prog, end := libraryProgress(p, dedupStage)
	or, err := dedup.Outliers(ctx, storeItems(st, man.Dim, nil), a.knnNeighbours(st), dedup.OutlierOptions{
		K: o.K, N: o.N, Workers: dedup.DefaultWorkers, Progress: prog,
	})
	end()
	if err != nil {
		return res, fmt.Errorf("scoring outliers in %s: %w", st.Path(), err)
	}
	res.Images = or.Items
	ids := make([]string, len(or.Outliers))
	for i, x := range or.Outliers {
		ids[i] = x.ID
	}
	heads, err := headsOf(st, ids)
	if err != nil {
		return res, err
	}
	for i, x := range or.Outliers {
		oi := OutlierImage{Rank: i + 1, ID: x.ID, Path: heads[x.ID].Path, Score: x.Score, Neighbours: make([]OutlierNeighbor, len(x.Neighbours))}
		for j, nb := range x.Neighbours {
			oi.Neighbours[j] = OutlierNeighbor{ID: nb.ID, Distance: nb.Distance}
		}
		res.Outliers = append(res.Outliers, oi)
	}
	if o.Sheets != "" {
		info, err := writeOutlierSheets(ctx, st, o.Sheets, res)
		if err != nil {
			return res, err
		}
		res.Sheets = info
	}
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

func writeOutlierSheets(ctx context.Context, st *store.Store, dir string, res OutliersResult) (*SheetsInfo, error) {
	overview := sheet.Page{
		File:    "outliers.png",
		Heading: fmt.Sprintf("The %d highest outlier scores", len(res.Outliers)),
		Header:  fmt.Sprintf("%d %s of %d images (score: distance to the %s nearest)", len(res.Outliers), plural(len(res.Outliers), "outlier", "outliers"), res.Images, Ordinal(res.K)),
	}
	pages := []sheet.Page{overview}
	width := len(strconv.Itoa(max(len(res.Outliers), 1)))
	for _, x := range res.Outliers {
		pages[0].IDs = append(pages[0].IDs, x.ID)
		pages[0].Captions = append(pages[0].Captions, fmt.Sprintf("%d. %s\nscore %.4f", x.Rank, x.ID, x.Score))
		pg := sheet.Page{
			File:     fmt.Sprintf("outlier_%0*d.png", width, x.Rank),
			Heading:  fmt.Sprintf("%d. %s (score %.4f) and its %d nearest images", x.Rank, x.ID, x.Score, len(x.Neighbours)),
			Header:   fmt.Sprintf("outlier %d: %s, score %.4f; then its nearest images", x.Rank, x.ID, x.Score),
			IDs:      []string{x.ID},
			Captions: []string{fmt.Sprintf("%s\nscore %.4f", x.ID, x.Score)},
		}
		for _, nb := range x.Neighbours {
			pg.IDs = append(pg.IDs, nb.ID)
			pg.Captions = append(pg.Captions, fmt.Sprintf("%s\nd=%.4f", nb.ID, nb.Distance))
		}
		pages = append(pages, pg)
	}
	intro := fmt.Sprintf("Images whose %s nearest other image is farthest (cosine distance), highest score first; "+
		"the first sheet shows them all, the others each outlier with its nearest images.", Ordinal(res.K))
	// the overview can hold every outlier: one row per 6
	out, err := sheet.WritePages(ctx, dir, intro, pages, storeImageLoader(st),
		sheet.Options{Title: "vecimg outliers", Rows: max((len(res.Outliers)+5)/6, 1), Stale: "outlier_*.png"})
	if err != nil {
		return nil, fmt.Errorf("writing contact sheets to %s: %w", dir, err)
	}
	return &SheetsInfo{Dir: dir, Index: out.Index, Files: len(out.Files), Unreadable: out.Unreadable}, nil
}

// Ordinal writes n as an English ordinal: 1st, 2nd, 3rd, 4th, 11th, 21st.
func Ordinal(n int) string {
	suffix := "th"
	if n%100 < 11 || n%100 > 13 {
		switch n % 10 {
		case 1:
			suffix = "st"
		case 2:
			suffix = "nd"
		case 3:
			suffix = "rd"
		}
	}
	return strconv.Itoa(n) + suffix
}
