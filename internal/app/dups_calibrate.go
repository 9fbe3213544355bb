package app

import (
	"cmp"
	"context"
	"fmt"
	"image"
	"image/draw"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/vecimg/vecimg/embed"
	"github.com/vecimg/vecimg/embed/preprocess"
	"github.com/vecimg/vecimg/internal/dedup"
	"github.com/vecimg/vecimg/internal/phash"
	"github.com/vecimg/vecimg/internal/types"
	"github.com/vecimg/vecimg/store"
)

// CalibrateOptions ask for a calibration of the duplicate thresholds on the
// store's own images.
type CalibrateOptions struct {
	Sample       int     // stored images to copy; default DefaultCalibrateSample
	Seed         uint64  // draws the sample and the crops
	MinPrecision float64 // pair precision the thresholds must keep; default 0.99
	Neighbours   int     // nearest non-copies per image and signal; default 10
	DryRun       bool    // measure and report, but do not store the thresholds
	Model        ModelOptions
	Progress     Progress
}

// DefaultCalibrateSample is the default number of sampled images.
const DefaultCalibrateSample = 200

// CalMethod is types.CalMethod.
type CalMethod = types.CalMethod

// CalTransformScore is types.CalTransformScore.
type CalTransformScore = types.CalTransformScore

// CalibrateResult is types.CalibrateResult.
type CalibrateResult = types.CalibrateResult

// calImage is one sampled image with what calibration knows of it.
type calImage struct {
	id     string
	vec    []float32
	hashes phash.Hashes
	img    *image.RGBA
}

// Calibrate copies a sample of the store's images in memory with the
// transformations of dedup.Transforms, embeds and hashes the copies with
// the store's own model and preset, and measures every signal on the true
// (original, copy) pairs against each original's nearest stored non-copies
// (by vector, by pHash and by dHash: the hardest negatives). It picks, per
// signal and fused, the thresholds of highest recall at pair precision ≥
// MinPrecision, and stores the fused ones in the manifest, where dups
// finds them.
func (a *App) Calibrate(ctx context.Context, o CalibrateOptions) (CalibrateResult, error) {
	start := time.Now()
	p := a.progress(o.Progress)
	o.Sample = cmp.Or(o.Sample, DefaultCalibrateSample)
	o.MinPrecision = cmp.Or(o.MinPrecision, 0.99)
	o.Neighbours = cmp.Or(o.Neighbours, 10)
	res := CalibrateResult{MinPrecision: o.MinPrecision}
	if o.Sample < 2 || o.Neighbours < 1 || !(o.MinPrecision > 0 && o.MinPrecision <= 1) {
		return res, optInvalidf("{sample} must be at least 2 and the precision in (0, 1]")
	}
	if a.cfg.ReadOnly && !o.DryRun {
		return res, fmt.Errorf("%w: calibration stores its thresholds and needs the store open for writing", store.ErrReadOnly)
	}
	st, man, n, err := a.nonEmptyStore()
	if err != nil {
		return res, err
	}
	if n < 3 {
		return res, invalidf("the store holds %d images: calibration needs a few dozen", n)
	}
	cm, err := chooseModel(ctx, &man, o.Model, p)
	if err != nil {
		return res, fmt.Errorf("calibration embeds copies of the store's images with its model: %w", err)
	}
	if cm.model.Fingerprint != man.Model {
		return res, optErr(store.ErrManifestMismatch, nil, "the model found (%s) is not the store's (%s): pass the store's {weights} or {model}", cm.model.Fingerprint, man.Model)
	}
	hp, ok := cm.prep.(embed.HashPreparer)
	if !ok {
		return res, fmt.Errorf("preset %s cannot hash images", cm.prep.Name())
	}
	if !o.DryRun {
		if st, err = a.writable(false); err != nil {
			return res, err
		}
	}
	if _, err := a.currentIndex(ctx, st, p); err != nil {
		return res, err
	}
	sess, err := a.newSession(cm.model)
	if err != nil {
		return res, err
	}
	defer sess.Close()

	rng := rand.New(rand.NewPCG(o.Seed, 0x64757073))
	sample, skipped, err := calSample(ctx, st, o.Sample, rng, p)
	if err != nil {
		return res, err
	}
	res.Sample, res.Skipped = len(sample), skipped
	if len(sample) < 2 {
		return res, &msgError{msg: fmt.Sprintf("calibration found %d readable source files among the store's images (%d skipped, e.g. %v): it needs the original files", len(sample), len(skipped), firstBad(skipped))}
	}
	all, err := storeHashes(ctx, st)
	if err != nil {
		return res, err
	}
	for _, im := range sample {
		if h, ok := all[im.id]; ok {
			im.hashes = h
		}
	}
	pairs, err := a.calPairs(ctx, st, sess, hp, sample, all, o.Neighbours, rng, p)
	if err != nil {
		return res, err
	}
	res.Pairs = len(pairs)
	for _, pr := range pairs {
		if pr.Positive {
			res.Positives++
		}
	}
	for _, m := range []struct {
		name      string
		v, ph, dh bool
	}{{"vectors", true, false, false}, {"pHash", false, true, false}, {"dHash", false, false, true}, {"fused", true, true, true}} {
		t, s, found := dedup.Choose(pairs, o.MinPrecision, m.v, m.ph, m.dh)
		if !found {
			t = dedup.Thresholds{Vector: dedup.Off, PHash: dedup.Off, DHash: dedup.Off}
		}
		cm := CalMethod{Name: m.name, Found: found, Thresholds: types.SignalThresholds(t), All: types.Score(s)}
		for g, tr := range dedup.Transforms {
			sc := dedup.Evaluate(pairs, t, func(x int) bool { return x == g })
			cm.PerTransform = append(cm.PerTransform, CalTransformScore{Transform: tr, Score: types.Score(sc)})
		}
		res.Methods = append(res.Methods, cm)
	}
	fused := res.Methods[len(res.Methods)-1]
	res.Chosen = fused.Thresholds
	if fused.Found && !o.DryRun {
		err := st.SetDupCalibration(store.DupCalibration{Vector: res.Chosen.Vector, PHash: res.Chosen.PHash, DHash: res.Chosen.DHash,
			Sample: res.Sample, Precision: fused.All.Precision, Recall: fused.All.Recall})
		if err != nil {
			return res, err
		}
		res.Saved = true
	}
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

func firstBad(b []BadImage) any {
	if len(b) == 0 {
		return "none"
	}
	return b[0]
}

// calSample draws up to n stored images whose source file is still the
// stored one and decodes them.
func calSample(ctx context.Context, st *store.Store, n int, rng *rand.Rand, p Progress) ([]*calImage, []BadImage, error) {
	ids, err := st.IDs()
	if err != nil {
		return nil, nil, err
	}
	rng.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	var out []*calImage
	var bad []BadImage
	p.Start("calibrate: reading", "img", int64(min(n, len(ids))))
	defer p.Done()
	for _, id := range ids {
		if len(out) == n || ctx.Err() != nil {
			break
		}
		r, err := st.Get(id)
		if err != nil {
			return nil, nil, err
		}
		data, err := readStored(r.Path, r.SHA256)
		if err != nil {
			bad = append(bad, BadImage{Path: r.Path, Reason: err.Error()})
			continue
		}
		img, _, err := preprocess.Decode(data, r.Path, preprocess.Limits{})
		if err != nil {
			bad = append(bad, BadImage{Path: r.Path, Reason: err.Error()})
			continue
		}
		rgba := image.NewRGBA(image.Rect(0, 0, img.Bounds().Dx(), img.Bounds().Dy()))
		draw.Draw(rgba, rgba.Rect, img, img.Bounds().Min, draw.Src)
		out = append(out, &calImage{id: id, vec: r.Vector, hashes: embed.HashImage(img), img: rgba})
		p.Add(1)
	}
	return out, bad, ctx.Err()
}

// calPairs makes the copies, embeds them in batches and builds the pairs:
// (original, copy) positives, and negatives between each original (and
// each of its copies) and its nearest stored non-copies by every signal.
func (a *App) calPairs(ctx context.Context, st *store.Store, sess *embed.Session, hp embed.HashPreparer, sample []*calImage,
	all map[string]phash.Hashes, k int, rng *rand.Rand, p Progress) ([]dedup.CalPair, error) {
	type copyOf struct {
		img    int
		group  int
		vec    []float32
		hashes phash.Hashes
	}
	var copies []copyOf
	S := hp.Size()
	const batch = 8
	in := make([]float32, 0, batch*3*S*S)
	var pend []copyOf
	var out []float32
	run := func() error {
		if len(pend) == 0 {
			return nil
		}
		var err error
		out, err = sess.Run(in, len(pend), out)
		if err != nil {
			return err
		}
		dim := sess.Dim()
		for i := range pend {
			pend[i].vec = slices.Clone(out[i*dim : (i+1)*dim])
			copies = append(copies, pend[i])
		}
		p.Add(int64(len(pend)))
		pend, in = pend[:0], in[:0]
		return nil
	}
	p.Start("calibrate: embedding copies", "img", int64(len(sample)*len(dedup.Transforms)))
	for i, im := range sample {
		for g, t := range dedup.Transforms {
			data := dedup.Variant(im.img, t, rng)
			if data == nil {
				continue
			}
			n := len(in)
			in = in[:n+3*S*S]
			_, _, h, err := hp.DecodeFillHash(in[n:], im.id+"#"+t, data)
			if err != nil {
				in = in[:n]
				continue
			}
			pend = append(pend, copyOf{img: i, group: g, hashes: h})
			if len(pend) == batch {
				if err := run(); err != nil {
					p.Done()
					return nil, err
				}
			}
		}
		if ctx.Err() != nil {
			break
		}
	}
	err := run()
	p.Done()
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	pair := func(v1, v2 []float32, h1, h2 phash.Hashes, hashed bool, pos bool, group int) dedup.CalPair {
		d, _ := cosineDistance(v1, v2)
		cp := dedup.CalPair{Vector: d, PHash: -1, DHash: -1, Positive: pos, Group: group}
		if hashed {
			cp.PHash, cp.DHash = phash.PDistance(h1, h2), phash.Distance(h1.DHash, h2.DHash)
		}
		return cp
	}
	var pairs []dedup.CalPair
	byImg := make([][]copyOf, len(sample))
	for _, c := range copies {
		byImg[c.img] = append(byImg[c.img], c)
		im := sample[c.img]
		pairs = append(pairs, pair(im.vec, c.vec, im.hashes, c.hashes, true, true, c.group))
	}
	// Negatives: each original's nearest stored images by each signal.
	hashIDs := make([]string, 0, len(all))
	for id := range all {
		hashIDs = append(hashIDs, id)
	}
	slices.Sort(hashIDs)
	p.Start("calibrate: neighbours", "img", int64(len(sample)))
	defer p.Done()
	inSample := map[string]bool{}
	for _, im := range sample {
		inSample[im.id] = true
	}
	for i, im := range sample {
		near := map[string]bool{}
		hits, err := a.searchID(ctx, st, im.id, searchParams{K: k + 1}, Quiet)
		if err != nil {
			return nil, err
		}
		for _, h := range hits {
			near[h.ID] = true
		}
		for _, dist := range []func(h phash.Hashes) int{
			func(h phash.Hashes) int { return phash.PDistance(im.hashes, h) },
			func(h phash.Hashes) int { return phash.Distance(im.hashes.DHash, h.DHash) },
		} {
			for _, id := range nearestHashes(hashIDs, all, dist, k+1) {
				near[id] = true
			}
		}
		delete(near, im.id)
		ids := slices.Sorted(func(yield func(string) bool) {
			for id := range near {
				if !yield(id) {
					return
				}
			}
		})
		heads, err := st.Heads(ids)
		if err != nil {
			return nil, err
		}
		vecs := make([][]float32, len(ids))
		if err := st.Vectors(ids, vecs); err != nil {
			return nil, err
		}
		r, err := st.Get(im.id)
		if err != nil {
			return nil, err
		}
		for j, id := range ids {
			if heads[j].SHA256 == r.SHA256 || len(vecs[j]) == 0 {
				continue // a byte-identical file is a copy, not a negative
			}
			h, hashed := all[id]
			pairs = append(pairs, pair(im.vec, vecs[j], im.hashes, h, hashed, false, -1))
			for _, c := range byImg[i] {
				pairs = append(pairs, pair(c.vec, vecs[j], c.hashes, h, hashed, false, c.group))
			}
		}
		p.Add(1)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	return pairs, nil
}

// nearestHashes returns the n ids of ids whose hashes are nearest by dist
// (ties by id order), keeping a small sorted list rather than sorting all.
func nearestHashes(ids []string, all map[string]phash.Hashes, dist func(phash.Hashes) int, n int) []string {
	type cand struct {
		id string
		d  int
	}
	best := make([]cand, 0, n+1)
	for _, id := range ids {
		d := dist(all[id])
		if len(best) == n && d >= best[n-1].d {
			continue
		}
		i, _ := slices.BinarySearchFunc(best, d, func(c cand, d int) int { return cmp.Compare(c.d, d+1) })
		best = slices.Insert(best, i, cand{id, d})
		if len(best) > n {
			best = best[:n]
		}
	}
	out := make([]string, len(best))
	for i, c := range best {
		out[i] = c.id
	}
	return out
}
