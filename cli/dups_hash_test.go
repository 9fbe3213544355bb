package cli

import (
	"context"
	"image"
	"image/draw"
	"image/jpeg"
	"image/png"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vecimg/vecimg/internal/app"
	"github.com/vecimg/vecimg/internal/testfix"
	"github.com/vecimg/vecimg/store"
)

// writeCopies writes transformed copies of the repository's photos into dir
// beside the originals: 1 mirrored, 2 at half size, 4 re-encoded at q30.
func writeCopies(t *testing.T, dir string) {
	t.Helper()
	for _, n := range []string{"1.png", "2.png", "3.png", "4.jpg"} {
		testfix.CopyFile(t, filepath.Join("testdata", "images", n), filepath.Join(dir, n))
	}
	load := func(n string) *image.RGBA {
		f, err := os.Open(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		img, _, err := image.Decode(f)
		if err != nil {
			t.Fatal(err)
		}
		out := image.NewRGBA(image.Rect(0, 0, img.Bounds().Dx(), img.Bounds().Dy()))
		draw.Draw(out, out.Bounds(), img, img.Bounds().Min, draw.Src)
		return out
	}
	save := func(n string, img image.Image) {
		f, err := os.Create(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if filepath.Ext(n) == ".jpg" {
			err = jpeg.Encode(f, img, &jpeg.Options{Quality: 30})
		} else {
			err = png.Encode(f, img)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	a := load("1.png")
	m := image.NewRGBA(a.Rect)
	for y := range a.Rect.Dy() {
		for x := range a.Rect.Dx() {
			m.SetRGBA(a.Rect.Dx()-1-x, y, a.RGBAAt(x, y))
		}
	}
	save("1_mirror.png", m)
	b := load("2.png")
	h := image.NewRGBA(image.Rect(0, 0, b.Rect.Dx()/2, b.Rect.Dy()/2))
	for y := range h.Rect.Dy() {
		for x := range h.Rect.Dx() {
			h.SetRGBA(x, y, b.RGBAAt(2*x, 2*y))
		}
	}
	save("2_half.png", h)
	save("4_q30.jpg", load("4.jpg"))
}

// TestDupsHashes: ingest stores the hashes, dups finds mirrored, resized and
// re-encoded copies by them and says how; a store without hashes gets them
// from --rehash, which lists the files that are gone.
func TestDupsHashes(t *testing.T) {
	testfix.NeedRuntime(t)
	dir := t.TempDir()
	imgs := filepath.Join(dir, "imgs")
	writeCopies(t, imgs)
	db := filepath.Join(dir, "v.db")
	mustRun(t, "--db", db, "ingest", "-q", "--weights", testWeights, imgs)

	check := func(res app.DupsResult, want int) {
		t.Helper()
		if res.Hashed != want || res.Stats.Chained != 0 {
			t.Fatalf("%d hashed, %d chained: %+v", res.Hashed, res.Stats.Chained, res.Stats)
		}
		keepOf := map[string]string{}
		for _, g := range res.Groups {
			for _, m := range g.Members {
				keepOf[m.ID] = g.Keep
				if m.Keep {
					continue
				}
				if m.ID == "1_mirror" && (!m.Mirrored || !slices.Contains(m.MatchedBy, "phash") || m.PHash > 10) {
					t.Errorf("mirrored copy: %+v", m)
				}
			}
		}
		for cp, orig := range map[string]string{"1_mirror": "1", "2_half": "2", "4_q30": "4"} {
			if keepOf[cp] != orig || keepOf[orig] != orig {
				t.Errorf("%s grouped under %q, %s under %q", cp, keepOf[cp], orig, keepOf[orig])
			}
		}
		if _, ok := keepOf["3"]; ok {
			t.Errorf("3 has no copy but is in a group")
		}
	}
	res := decodeJSON[app.DupsResult](t, mustRun(t, "--db", db, "dups", "--json", "--signals", "phash"))
	check(res, 7)
	if res.Thresholds.Vector >= 0 || res.Thresholds.Source["phash"] != app.FromDefault {
		t.Errorf("thresholds %+v", res.Thresholds)
	}

	// A store from before schema 3: no hashes. dups says so; --rehash
	// fills them from the files, listing the one that is gone.
	st, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ids, _ := st.IDs()
	var clear []store.HashUpdate
	for _, id := range ids {
		clear = append(clear, store.HashUpdate{ID: id})
	}
	if err := st.SetHashes(clear); err != nil {
		t.Fatal(err)
	}
	st.Close()
	res = decodeJSON[app.DupsResult](t, mustRun(t, "--db", db, "dups", "--json"))
	if res.Hashed != 0 {
		t.Fatalf("hashes left: %d", res.Hashed)
	}
	out := mustRun(t, "--db", db, "dups")
	if !strings.Contains(out, "no image has perceptual hashes") {
		t.Errorf("dups does not say it works on vectors alone:\n%s", out)
	}
	gone := filepath.Join(imgs, "3.png")
	os.Remove(gone)
	res = decodeJSON[app.DupsResult](t, mustRun(t, "--db", db, "dups", "--json", "--rehash", "--signals", "phash"))
	if r := res.Rehash; r == nil || r.Missing != 7 || r.Hashed != 6 || !slices.Equal(r.Gone, []string{gone}) {
		t.Fatalf("rehash: %+v", res.Rehash)
	}
	check(res, 6)
	// Ingest of the folder hashes what is still missing (the file is back).
	testfix.CopyFile(t, filepath.Join("testdata", "images", "3.png"), gone)
	ing := decodeJSON[app.IngestResult](t, mustRun(t, "--db", db, "ingest", "--json", "--weights", testWeights, imgs))
	if ing.Rehashed != 1 || ing.Present != 7 {
		t.Fatalf("ingest: rehashed %d, present %d", ing.Rehashed, ing.Present)
	}

	// Records hashed before the centre pHash existed: --rehash fills in
	// exactly that, and the other hashes stay as they were.
	scan := func() map[string]store.Hashes {
		st, err := store.Open(db, store.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		hs := map[string]store.Hashes{}
		if err := st.ScanHashes(context.Background(), func(id string, h store.Hashes) error { hs[id] = h; return nil }); err != nil {
			t.Fatal(err)
		}
		return hs
	}
	full := scan()
	st, err = store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var old []store.HashUpdate
	for id, h := range full {
		if !h.HasCentre {
			t.Fatalf("%s: ingest stored no centre pHash: %+v", id, h)
		}
		h.PCentre, h.HasCentre = 0, false
		old = append(old, store.HashUpdate{ID: id, Hashes: h})
	}
	if err := st.SetHashes(old); err != nil {
		t.Fatal(err)
	}
	st.Close()
	res = decodeJSON[app.DupsResult](t, mustRun(t, "--db", db, "dups", "--json", "--rehash"))
	if r := res.Rehash; r == nil || r.Missing != 7 || r.Hashed != 7 {
		t.Fatalf("rehash of the centre pHashes: %+v", res.Rehash)
	}
	if again := scan(); !maps.Equal(again, full) {
		t.Errorf("after --rehash: %v, want %v", again, full)
	}
}

// TestDupsCalibrate: --calibrate measures every signal on in-memory copies,
// stores the fused thresholds in the manifest, and dups then uses them and
// says so; --dry-run stores nothing.
func TestDupsCalibrate(t *testing.T) {
	testfix.NeedRuntime(t)
	dir := t.TempDir()
	imgs := filepath.Join(dir, "imgs")
	writeCopies(t, imgs)
	testfix.NoisePNGs(t, imgs, 10, 3)
	db := filepath.Join(dir, "v.db")
	mustRun(t, "--db", db, "ingest", "-q", "--weights", testWeights, imgs)
	before := testfix.Snapshot(t, db)
	res := decodeJSON[app.CalibrateResult](t, mustRun(t, "--db", db, "dups", "--calibrate", "--dry-run", "--sample", "5", "--json"))
	if res.Saved || res.Sample != 5 || res.Positives != 5*8 || len(res.Methods) != 4 || res.Pairs <= res.Positives {
		t.Fatalf("dry run: %+v", res)
	}
	testfix.SameSnapshot(t, before, testfix.Snapshot(t, db))
	for _, m := range res.Methods {
		if len(m.PerTransform) != 8 || (m.Found && m.All.Precision < 0.99) {
			t.Errorf("method %+v", m)
		}
	}
	fused := res.Methods[3]
	for _, m := range res.Methods[:3] {
		if m.Found && m.All.Recall > fused.All.Recall {
			t.Errorf("%s alone recalls %v, fused %v", m.Name, m.All.Recall, fused.All.Recall)
		}
	}
	out := mustRun(t, "--db", db, "dups", "--calibrate", "--sample", "5")
	if !strings.Contains(out, "stored in the manifest: dups now matches by") || !strings.Contains(out, "mirror") {
		t.Fatalf("calibrate text:\n%s", out)
	}
	d := decodeJSON[app.DupsResult](t, mustRun(t, "--db", db, "dups", "--json"))
	c := d.Thresholds.Calibration
	if c == nil || d.Thresholds.Source["phash"] != app.FromCalibrated || d.Thresholds.PHash != c.PHash || c.Sample != 5 {
		t.Fatalf("dups after calibration: %+v", d.Thresholds)
	}
	if d := decodeJSON[app.DupsResult](t, mustRun(t, "--db", db, "dups", "--json", "--phash", "3")); d.Thresholds.PHash != 3 || d.Thresholds.Source["phash"] != app.FromGiven {
		t.Errorf("--phash 3 over the calibration: %+v", d.Thresholds)
	}
}

// TestDupsMoveTo: --dry-run plans and changes nothing; --move-to moves the
// copies that are not kept, keeping relative paths, lists them in a CSV and
// removes their records; --keep chooses the survivor.
func TestDupsMoveTo(t *testing.T) {
	testfix.NeedRuntime(t)
	dir := t.TempDir()
	imgs := filepath.Join(dir, "imgs")
	writeCopies(t, imgs)
	db := filepath.Join(dir, "v.db")
	mustRun(t, "--db", db, "ingest", "-q", "--weights", testWeights, imgs)
	out := filepath.Join(dir, "dups")
	before := testfix.Snapshot(t, db, imgs)
	res := decodeJSON[app.DupsResult](t, mustRun(t, "--db", db, "dups", "--json", "--signals", "phash", "--keep", "under="+filepath.Join(imgs, "1_mirror.png"), "--move-to", out, "--dry-run"))
	if m := res.Moved; m == nil || !m.DryRun || len(m.Moves) != 3 {
		t.Fatalf("dry run: %+v", res.Moved)
	}
	testfix.SameSnapshot(t, before, testfix.Snapshot(t, db, imgs))
	if _, err := os.Stat(out); err == nil {
		t.Error("--dry-run made the folder")
	}
	// --keep under=PATH keeps the mirrored copy instead of 1.
	kept := map[string]bool{}
	for _, g := range res.Groups {
		kept[g.Keep] = true
	}
	if !kept["1_mirror"] || kept["1"] {
		t.Errorf("kept %v", kept)
	}
	res = decodeJSON[app.DupsResult](t, mustRun(t, "--db", db, "dups", "--json", "--signals", "phash", "--move-to", out))
	m := res.Moved
	if m == nil || m.DryRun || len(m.Moves) != 3 || m.Removed != 3 || m.CSV == "" {
		t.Fatalf("move: %+v", m)
	}
	for _, id := range []string{"1_mirror.png", "2_half.png", "4_q30.jpg"} {
		if _, err := os.Stat(filepath.Join(out, id)); err != nil {
			t.Errorf("%s not moved: %v", id, err)
		}
		if _, err := os.Stat(filepath.Join(imgs, id)); err == nil {
			t.Errorf("%s still in the folder", id)
		}
	}
	info := decodeJSON[app.InfoResult](t, mustRun(t, "--db", db, "info", "--json"))
	if info.Count != 4 {
		t.Errorf("%d records left, want 4", info.Count)
	}
	mustRun(t, "--db", db, "check")
	// Nothing left to move; a second run is a no-op.
	res = decodeJSON[app.DupsResult](t, mustRun(t, "--db", db, "dups", "--json", "--signals", "phash", "--move-to", out))
	if len(res.Groups) != 0 || len(res.Moved.Moves) != 0 {
		t.Errorf("second run: %+v", res)
	}
}
