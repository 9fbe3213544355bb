package merge

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/vecimg/vecimg/internal/progress"
	"github.com/vecimg/vecimg/store"
)

// Conflict rules (Options.OnConflict).
const (
	// Refuse: any id held with different content by two inputs (or by an
	// input and the output store) stops the merge before anything is
	// written; the error lists the ids.
	Refuse = "refuse"
	// Rename: the first content keeps the id (the output store's own
	// record first, then the inputs in the order given); each other content
	// is stored as "<id>~<n>", n the 1-based position of the first input
	// that holds it.
	Rename = "rename"
)

// StageWrite is the stage Write reports to Options.Progress.
const StageWrite = "write"

// Options configure Merge.
type Options struct {
	OnConflict string // Refuse (default) or Rename
	// Batch is the records per committed Put; default 256.
	Batch int
	// Progress, when set, follows the write pass as one stage, StageWrite:
	// input records handled so far, of an unknown total (-1); first when
	// the pass begins, then after every committed batch.
	Progress progress.Func
}

// Conflict is one id with different content in several places.
type Conflict struct {
	ID string `json:"id"`
	// Holders names where each distinct content was found ("OUT" for the
	// output store), the kept one first.
	Holders []string `json:"holders"`
	// Renamed are the ids given to the other contents (Rename only).
	Renamed []string `json:"renamed,omitempty"`
}

// Result counts what Merge did.
type Result struct {
	Inputs     []InputCount `json:"inputs"`
	Written    int64        `json:"written"`    // records stored in this run (renamed ones included)
	Present    int64        `json:"present"`    // records the output already held with the same content (a resumed merge)
	Duplicates int64        `json:"duplicates"` // identical copies of a record in several inputs, stored once
	Conflicts  []Conflict   `json:"conflicts"`  // at most MaxReported
	NConflicts int          `json:"n_conflicts"`
}

// InputCount is the records read from one input.
type InputCount struct {
	Name    string `json:"name"`
	Records int64  `json:"records"`
}

// MaxReported bounds the conflicts kept in Result and named in errors.
const MaxReported = 50

// CompareManifests checks that every input was made like the first: same
// model fingerprint, model kind, preset, dimension and input size (the
// fields a store compares; descriptions, dates and file locations are not
// compared). A mismatch names the input and the field and matches
// store.ErrManifestMismatch. against, when not nil, is the output store's
// manifest, which the inputs must match too.
func CompareManifests(inputs []Source, against *store.Manifest, outName string) error {
	if len(inputs) == 0 {
		return errors.New("merge: no input")
	}
	ref, refName := inputs[0].Manifest(), inputs[0].Name()
	if against != nil {
		ref, refName = *against, "the output store "+outName
	}
	for _, in := range inputs {
		m := in.Manifest()
		var parts []string
		add := func(field, got, want string) {
			if got != want {
				parts = append(parts, fmt.Sprintf("%s %q where %s has %q", field, got, refName, want))
			}
		}
		add("model", m.Model, ref.Model)
		if m.Spec.Kind != "" && ref.Spec.Kind != "" {
			add("model kind", m.Spec.Kind, ref.Spec.Kind)
		}
		add("preset", m.Preset, ref.Preset)
		add("dim", strconv.Itoa(m.Dim), strconv.Itoa(ref.Dim))
		add("input size", strconv.Itoa(m.InputSize), strconv.Itoa(ref.InputSize))
		if len(parts) > 0 {
			return fmt.Errorf("%w: merge refused: %s was made with %s; only vectors of the same model and preset can be merged",
				store.ErrManifestMismatch, in.Name(), strings.Join(parts, ", "))
		}
	}
	return nil
}

// Merge adds the records of inputs to out (Check, then Write; see the
// package doc). out may be a new store without a manifest: it gets the first
// input's. A merge refused for conflicts or a manifest mismatch writes
// nothing (not even the manifest).
func Merge(ctx context.Context, out *store.Store, inputs []Source, o Options) (Result, error) {
	res, err := Check(ctx, out, inputs, o)
	if err != nil {
		return res, err
	}
	return Write(ctx, out, inputs, o)
}

// withDefaults checks OnConflict and fills the zero fields of o with the
// defaults (Refuse, batches of 256).
func (o Options) withDefaults() (Options, error) {
	switch o.OnConflict {
	case "":
		o.OnConflict = Refuse
	case Refuse, Rename:
	default:
		return o, fmt.Errorf("merge: Options.OnConflict %q: use %q or %q", o.OnConflict, Refuse, Rename)
	}
	if o.Batch <= 0 {
		o.Batch = 256
	}
	return o, nil
}

// Check compares the manifests and walks every input (and out, which may
// be nil when the output store does not exist yet) without writing; with
// Refuse, conflicts give a *ConflictError.
func Check(ctx context.Context, out *store.Store, inputs []Source, o Options) (Result, error) {
	o, err := o.withDefaults()
	if err != nil {
		return Result{}, err
	}
	var against *store.Manifest
	name := ""
	if out != nil {
		m, ok, err := out.Manifest()
		if err != nil {
			return Result{}, err
		}
		if ok {
			against, name = &m, out.Path()
		}
	}
	if err := CompareManifests(inputs, against, name); err != nil {
		return Result{}, err
	}
	res, err := run(ctx, out, inputs, o, false)
	if err != nil {
		return res, err
	}
	if res.NConflicts > 0 && o.OnConflict == Refuse {
		return res, &ConflictError{Conflicts: res.Conflicts, Total: res.NConflicts}
	}
	return res, nil
}

// Write stores what out lacks, in batches committed one at a time. Call
// Check first: Write gives out the first input's manifest when it has none,
// and with Refuse stops at the first conflict, after earlier batches were
// committed.
func Write(ctx context.Context, out *store.Store, inputs []Source, o Options) (Result, error) {
	o, err := o.withDefaults()
	if err != nil {
		return Result{}, err
	}
	if len(inputs) == 0 {
		return Result{}, errors.New("merge: no input")
	}
	m := inputs[0].Manifest()
	m.Schema, m.Created = 0, time.Time{} // the output's own
	if err := out.EnsureManifest(m); err != nil {
		return Result{}, fmt.Errorf("merge into %s: %w", out.Path(), err)
	}
	res, err := run(ctx, out, inputs, o, true)
	if err == nil && res.NConflicts > 0 && o.OnConflict == Refuse {
		err = &ConflictError{Conflicts: res.Conflicts, Total: res.NConflicts}
	}
	return res, err
}

// version is one holder's record of an id.
type version struct {
	holder int // 0 = the output store, i+1 = inputs[i]
	rec    store.Record
}

func sameContent(a, b *store.Record) bool {
	if a.SHA256 != b.SHA256 || len(a.Vector) != len(b.Vector) {
		return false
	}
	for i := range a.Vector {
		if math.Float32bits(a.Vector[i]) != math.Float32bits(b.Vector[i]) {
			return false
		}
	}
	return true
}

// run walks all streams in id order; with write it stores what is missing.
func run(ctx context.Context, out *store.Store, inputs []Source, o Options, write bool) (Result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	streams := make([]*stream, 0, len(inputs)+1)
	streams = append(streams, startStream(ctx, "OUT", func(ctx context.Context, fn func(*store.Record) error) error {
		if out == nil {
			return nil // no output store yet
		}
		return out.Scan(ctx, fn)
	}))
	for _, in := range inputs {
		streams = append(streams, startStream(ctx, in.Name(), in.Scan))
	}
	defer func() {
		cancel()
		for _, s := range streams {
			s.drain()
		}
	}()
	if write {
		o.Progress.Report(StageWrite, 0, -1)
	}
	res := Result{Inputs: make([]InputCount, len(inputs))}
	for i, in := range inputs {
		res.Inputs[i].Name = in.Name()
	}
	var (
		batch   []store.Record
		handled int64
		renamed = map[string]bool{} // ids given by Rename, so that a later input holding one is caught
	)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := out.Put(batch); err != nil {
			return err
		}
		res.Written += int64(len(batch))
		batch = batch[:0]
		o.Progress.Report(StageWrite, handled, -1)
		return nil
	}
	for {
		// The smallest head id.
		id, any := "", false
		for _, s := range streams {
			r, err := s.head()
			if err != nil {
				return res, err
			}
			if r != nil && (!any || r.ID < id) {
				id, any = r.ID, true
			}
		}
		if !any {
			break
		}
		var vs []version
		for h, s := range streams {
			if r, _ := s.head(); r != nil && r.ID == id {
				vs = append(vs, version{holder: h, rec: *r})
				if err := s.advance(); err != nil {
					return res, err
				}
				if h > 0 {
					res.Inputs[h-1].Records++
					handled++
				}
			}
		}
		if renamed[id] {
			if len(vs) == 1 && vs[0].holder == 0 {
				continue // written by an earlier run of this merge; counted above
			}
			return res, &RenameError{ID: id, Holder: streams[vs[len(vs)-1].holder].name}
		}
		// Distinct contents, in holder order.
		var distinct []version
		for _, v := range vs {
			dup := false
			for _, d := range distinct {
				if sameContent(&d.rec, &v.rec) {
					dup = true
					break
				}
			}
			if !dup {
				distinct = append(distinct, v)
			} else if v.holder > 0 && vs[0].holder > 0 {
				res.Duplicates++
			}
		}
		keep := distinct[0]
		if keep.holder == 0 {
			res.Present++
		} else if write {
			batch = append(batch, storable(keep.rec))
		}
		if len(distinct) > 1 {
			c := Conflict{ID: id}
			for _, d := range distinct {
				c.Holders = append(c.Holders, streams[d.holder].name)
			}
			if o.OnConflict == Rename {
				for _, d := range distinct[1:] {
					nid := id + "~" + strconv.Itoa(d.holder)
					if d.holder == 0 {
						// cannot happen: the output store's record is always first
						return res, fmt.Errorf("merge: internal error renaming %q", id)
					}
					c.Renamed = append(c.Renamed, nid)
					renamed[nid] = true
					if write {
						done, err := presentSame(out, nid, &d.rec)
						if err != nil {
							return res, err
						}
						if done {
							res.Present++
							continue
						}
						r := storable(d.rec)
						r.ID = nid
						batch = append(batch, r)
					}
				}
			}
			res.NConflicts++
			if len(res.Conflicts) < MaxReported {
				res.Conflicts = append(res.Conflicts, c)
			}
			if write && o.OnConflict == Refuse {
				batch = batch[:0] // the kept record goes with the refused merge
				break
			}
		}
		if len(batch) >= o.Batch {
			if err := flush(); err != nil {
				return res, err
			}
		}
	}
	if err := flush(); err != nil {
		return res, err
	}
	return res, nil
}

// presentSame reports whether out already holds id with rec's content (a
// renamed record written by an earlier run); a different record there is an
// error.
func presentSame(out *store.Store, id string, rec *store.Record) (bool, error) {
	got, err := out.Get(id)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !sameContent(&got, rec) {
		return false, &RenameError{ID: id, Output: true}
	}
	return true, nil
}

// storable copies a record for Put (which keeps Meta.Extra and ignores
// labels).
func storable(r store.Record) store.Record {
	c := r.Clone()
	c.Meta.Label, c.Meta.Distance = store.NoLabel, 0
	return c
}

// stream runs a Scan in a goroutine and hands its records over in chunks;
// it checks that ids increase.
type stream struct {
	name  string
	ch    chan []store.Record
	errc  chan error
	buf   []store.Record
	i     int
	done  bool
	err   error
	prev  string
	first bool
}

const chunk = 32

func startStream(ctx context.Context, name string, scan func(context.Context, func(*store.Record) error) error) *stream {
	s := &stream{name: name, ch: make(chan []store.Record, 2), errc: make(chan error, 1), first: true}
	go func() {
		defer close(s.ch)
		var cur []store.Record
		err := scan(ctx, func(r *store.Record) error {
			cur = append(cur, r.Clone())
			if len(cur) == chunk {
				select {
				case s.ch <- cur:
				case <-ctx.Done():
					return ctx.Err()
				}
				cur = nil
			}
			return nil
		})
		if err == nil && len(cur) > 0 {
			select {
			case s.ch <- cur:
			case <-ctx.Done():
				err = ctx.Err()
			}
		}
		s.errc <- err
	}()
	return s
}

// head returns the current record, nil at the end.
func (s *stream) head() (*store.Record, error) {
	if s.err != nil {
		return nil, s.err
	}
	for s.i >= len(s.buf) {
		if s.done {
			return nil, nil
		}
		b, ok := <-s.ch
		if !ok {
			s.done = true
			if err := <-s.errc; err != nil {
				s.err = fmt.Errorf("merge: reading %s: %w", s.name, err)
				return nil, s.err
			}
			return nil, nil
		}
		s.buf, s.i = b, 0
	}
	r := &s.buf[s.i]
	if !s.first && r.ID <= s.prev {
		s.err = fmt.Errorf("merge: %s is not sorted by id (%q comes after %q): import it into a store first (vecimg import), then merge the store", s.name, r.ID, s.prev)
		return nil, s.err
	}
	return r, nil
}

func (s *stream) advance() error {
	if _, err := s.head(); err != nil {
		return err
	}
	s.prev, s.first = s.buf[s.i].ID, false
	s.buf[s.i] = store.Record{} // let the vector go
	s.i++
	return nil
}

// drain waits for the scanning goroutine after a cancel.
func (s *stream) drain() {
	if s.done {
		return
	}
	for range s.ch {
	}
	<-s.errc
	s.done = true
}
