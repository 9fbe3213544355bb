package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/vecimg/vecimg/embed"
	"github.com/vecimg/vecimg/internal/parquetio"
	"github.com/vecimg/vecimg/internal/shard"
	"github.com/vecimg/vecimg/internal/types"
	"github.com/vecimg/vecimg/store"
)

// DefaultBatch is the number of images per inference batch when
// IngestOptions.Batch is 0 (embed.DefaultBatch).
const DefaultBatch = embed.DefaultBatch

// IngestOptions embeds every image under Dir into the store.
type IngestOptions struct {
	Dir     string
	Model   ModelOptions
	Batch   int             // images per inference batch; 0 = DefaultBatch
	Workers int             // decode workers; 0 = number of CPUs
	Shard   types.ShardSpec // one shard of Dir's files (ParseShard); the zero ShardSpec ingests all
	// FollowLinks follows symbolic links that lead out of Dir (by default
	// they are listed as bad files; see embed.Walk).
	FollowLinks bool
	// Out, when set, is a folder that receives, once the ingest has
	// finished, the store's records of this shard (all records without a
	// shard) as Parquet, exactly as ExportParquet writes them, with
	// RowsPerFile and VectorType as there. It is checked before any work.
	Out         string
	RowsPerFile int
	VectorType  string
	Progress    Progress
	// Verbose: the notes say why the device was chosen.
	Verbose bool
	// OnBad, when set, receives each bad file (a structured event) instead
	// of a Note; it is called from one goroutine, never concurrently with
	// Progress.
	OnBad func(BadFile)
	// Stop, when closed, ends the ingest cleanly: no new file is started and
	// the batch in flight is committed (vecimg serve's SIGINT/SIGTERM).
	Stop <-chan struct{}
}

// BadFile is an input file the ingest skipped, with the reason.
type BadFile = types.BadFile

// IngestResult is types.IngestResult.
type IngestResult = types.IngestResult

// Ingest embeds the images under o.Dir. It checks the folder, finds the
// model, loads the runtime and the session and checks the store's manifest
// before it writes anything (a new store is created only then). Batches are
// committed as they finish: an interrupted ingest keeps its work. The index
// is brought up to date at the end; then, with o.Out, the shard's records
// are written as Parquet (the folder and its options are checked first,
// before anything else).
func (a *App) Ingest(ctx context.Context, o IngestOptions) (IngestResult, error) {
	p := a.progress(o.Progress)
	sh := shard.Spec(o.Shard)
	res := IngestResult{Dir: o.Dir, Store: a.cfg.DB}
	if fi, err := os.Stat(o.Dir); err != nil || !fi.IsDir() {
		return res, invalidf("%s is not a folder: pass the folder that holds the images", o.Dir)
	}
	if o.Batch < 0 || o.Workers < 0 {
		return res, optInvalidf("{batch} and {workers} must not be negative")
	}
	if a.cfg.ReadOnly {
		return res, fmt.Errorf("%w: ingest needs the store open for writing", store.ErrReadOnly)
	}
	var vt parquetio.VectorType
	if o.Out != "" {
		name := ""
		if sh.Enabled() {
			name = sh.String()
		}
		var err error
		if vt, err = checkParquetOut(o.Out, o.RowsPerFile, o.VectorType, name); err != nil {
			return res, err
		}
	} else if o.RowsPerFile != 0 || o.VectorType != "" {
		return res, optInvalidf("{rows-per-file} and {vector-type} shape the Parquet output: add {out} DIR")
	}
	a.writeMu.Lock()
	defer a.writeMu.Unlock()
	man, err := a.manifestIfAny()
	if err != nil {
		return res, err
	}
	if err := a.CheckModel(o.Model); err != nil {
		return res, err
	}
	var listed *embed.Listing
	if man == nil {
		// Nothing is created for a folder without images (a new store
		// would only hold an empty index). The listing is kept: the
		// ingest below does not walk the folder again.
		files, bad, err := embed.Walk(o.Dir, o.FollowLinks)
		if err != nil {
			return res, err
		}
		listed = &embed.Listing{Files: files, Bad: bad}
		if len(files)+len(bad) == 0 {
			return res, &msgError{kind: ErrNoImages, msg: fmt.Sprintf("no JPEG, PNG or GIF under %s: nothing to ingest (no store was created)", o.Dir)}
		}
	}
	mo := o.Model
	mo.env = modelEnv{ortLib: a.cfg.ORTLib, threads: a.cfg.Session.Threads, calibDir: o.Dir}
	cm, err := chooseModel(ctx, man, mo, p)
	if err != nil {
		return res, err
	}
	sess, err := a.newSession(cm.model)
	if err != nil {
		return res, err
	}
	defer sess.Close()
	res.Model, res.ModelDesc, res.DeviceReason = modelSpec(cm.spec), cm.model.Desc, sess.Why
	p.Note("model: " + cm.model.Desc)
	if o.Verbose {
		p.Note(fmt.Sprintf("device: %s (%s)", sess.Device, sess.Why))
	} else {
		p.Note(fmt.Sprintf("device: %s", sess.Device)) // the reason: the verbose or JSON output, or vecimg info
	}
	if sh.Enabled() {
		res.Shard, res.ShardFrom = sh.String(), o.Shard.Source
		p.Note("shard " + res.Shard + " (" + res.ShardFrom + ")")
	}
	if sess.Dim() == 0 {
		// The output width of an ONNX model is known only after a run.
		if _, err := sess.Run(make([]float32, 3*cm.prep.Size()*cm.prep.Size()), 1, nil); err != nil {
			return res, err
		}
	}
	want := store.Manifest{Schema: store.SchemaVersion, Model: cm.model.Fingerprint, ModelDesc: cm.model.Desc,
		Preset: cm.prep.Name(), Dim: sess.Dim(), InputSize: cm.prep.Size(), Spec: cm.spec}
	if man != nil {
		// Compare with the store's manifest before opening it for writing.
		ro, err := a.Store()
		if err != nil {
			return res, err
		}
		if err := ro.EnsureManifest(want); err != nil {
			return res, err
		}
	}
	st, err := a.writable(true)
	if err != nil {
		return res, err
	}
	if err := st.EnsureManifest(want); err != nil {
		return res, err
	}
	prog, end := libraryProgress(p, oneStage("ingest", "img"))
	stats, err := embed.Ingest(ctx, o.Dir, sess, storeSink{st, a}, embed.IngestOptions{
		Stop:        o.Stop,
		Batch:       o.Batch,
		Workers:     o.Workers,
		Prep:        cm.prep,
		Keep:        shardKeep(sh),
		FollowLinks: o.FollowLinks,
		Listed:      listed,
		Hashes:      true,
		Progress:    prog,
		OnBad: func(b embed.BadFile) {
			if o.OnBad != nil {
				o.OnBad(BadFile(b))
				return
			}
			p.Note(fmt.Sprintf("skipped %s: %s", b.Path, b.Reason))
		},
	})
	end()
	res.IngestStats = ingestStats(stats)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			res.Interrupted = true
			return res, &msgError{kind: ErrInterrupted, cause: err,
				msg: fmt.Sprintf("interrupted: %d %s stored before the stop %s kept; run the same command again to continue",
					stats.Stored+stats.Copied, plural(stats.Stored+stats.Copied, "image", "images"), plural(stats.Stored+stats.Copied, "is", "are"))}
		}
		return res, err
	}
	if err := a.syncIndex(ctx, st, p); err != nil {
		return res, err
	}
	// Records of this folder stored before image hashes existed get them
	// now (their files are decoded again, no model run).
	abs, _ := filepath.Abs(o.Dir)
	rh, err := rehash(ctx, st, abs, p)
	if err != nil {
		return res, err
	}
	res.Rehashed = rh.Hashed
	res.Int8Hint = int8Hint(sess.Device.Kind, cm.spec, stats.Stored)
	if o.Out == "" {
		return res, nil
	}
	select {
	case <-o.Stop: // a nil Stop never fires
		return res, fmt.Errorf("ingest stopped before the end: %s was not written; run the same command again to finish and write it", o.Out)
	default:
	}
	total := int64(-1) // a shard's share of the store is known only after the scan
	if !sh.Enabled() {
		n, err := st.Count()
		if err != nil {
			return res, err
		}
		total = int64(n)
	}
	out, err := writeParquet(ctx, st, ExportParquetOptions{Out: o.Out, RowsPerFile: o.RowsPerFile}, vt, sh, total, true, p)
	if err != nil {
		return res, fmt.Errorf("the images are stored, but writing the Parquet output %s failed: %w; run the same command again (it skips what is stored and writes %s)", o.Out, err, o.Out)
	}
	res.Out = &out
	return res, nil
}

// ingestStats is s in the front ends' types; Bad is never nil.
func ingestStats(s embed.IngestStats) types.IngestStats {
	out := types.IngestStats{Total: s.Total, Stored: s.Stored, Copied: s.Copied, Replaced: s.Replaced, Present: s.Present,
		Seconds: s.Seconds, PerSec: s.PerSec, Device: s.Device, Bad: make([]BadFile, len(s.Bad))}
	for i, b := range s.Bad {
		out.Bad[i] = BadFile(b)
	}
	return out
}

// storeSink adapts the store to embed.Sink.
type storeSink struct {
	s *store.Store
	a *App // its in-memory index takes each committed batch (putLive)
}

func (k storeSink) Lookup(id string) (embed.Stored, bool, error) {
	r, err := k.s.Get(id)
	if errors.Is(err, store.ErrNotFound) {
		return embed.Stored{}, false, nil
	}
	if err != nil {
		return embed.Stored{}, false, err
	}
	return embed.Stored{SHA256: r.SHA256, Path: r.Path}, true, nil
}

func (k storeSink) ByHash(sha string) (embed.Item, bool, error) {
	id, ok, err := k.s.ByHash(sha)
	if err != nil || !ok {
		return embed.Item{}, false, err
	}
	r, err := k.s.Get(id)
	if errors.Is(err, store.ErrNotFound) {
		return embed.Item{}, false, nil
	}
	if err != nil {
		return embed.Item{}, false, err
	}
	h, hashed := imageHashes(r.Meta.Hashes)
	return embed.Item{ID: r.ID, Path: r.Path, SHA256: r.SHA256, Width: r.Width, Height: r.Height, Vector: r.Vector, Hashes: h, Hashed: hashed}, true, nil
}

func (k storeSink) Write(items []embed.Item) error {
	recs := make([]store.Record, len(items))
	for i, it := range items {
		recs[i] = store.Record{ID: it.ID, Path: it.Path, SHA256: it.SHA256, Width: it.Width, Height: it.Height,
			Vector: it.Vector, Meta: store.Meta{Label: store.NoLabel, Hashes: recordHashes(it.Hashes, it.Hashed)}}
	}
	return k.a.putLive(k.s, recs)
}
