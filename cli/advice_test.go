package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vecimg/vecimg/internal/app"
	"github.com/vecimg/vecimg/internal/testfix"
)

// The libraries state facts; the CLI adds the advice, naming its flags, once.
func TestAdviceWording(t *testing.T) {
	locked := &app.LockedError{Path: "v.db", PID: 42}
	cases := []struct {
		err  error
		want string
	}{
		{locked, `store "v.db" is in use by another vecimg process (pid 42); wait for it to finish or use another --db`},
		{fmt.Errorf("opening: %w", locked), `opening: store "v.db" is in use by another vecimg process (pid 42); wait for it to finish or use another --db`},
		{&app.NotStoreError{Path: "x", Problem: app.NoStoreThere}, `no store at "x": file does not exist; create a store with vecimg ingest or pass the right --db`},
		{&app.MismatchError{Path: "v.db", Fields: []app.FieldMismatch{{Field: "dim", Stored: "4096", Wanted: "512"}}},
			`store "v.db" was built with dim "4096" (wanted "512"); vectors from different models or presets cannot be mixed: use the store's settings or another --db`},
		{&app.RenameError{ID: "2~2", Holder: "b.db"}, `merge: id "2~2" is held by b.db and is also the new id of a renamed conflicting record: rename that input's id or merge without --on-conflict rename`},
		{&app.RenameError{ID: "2~2", Output: true}, `merge: the renamed id "2~2" is already held by a different record in the output store: merge into a new --db`},
		{&app.ColumnError{File: "f.parquet", Role: "vector", Column: "vector", Columns: []string{"id", "emb"}},
			`invalid Parquet input: f.parquet: no vector column "vector" (columns: id, emb); name it with --vector-column`},
		{&app.OutDirError{Dir: "out", File: true}, `parquet export: out is a file, not a folder; --out names a folder for the Parquet files`},
		{&app.OutDirError{Dir: "out", Entry: "a.txt"}, `parquet export: out holds "a.txt", which is not part of a vecimg export; use a new or empty folder for --out`},
		{&app.Float16RangeError{ID: "7", Index: 3, Value: 1e6}, `record "7": value 3 (1e+06) is beyond float16's range (±65504); export with --vector-type float32`},
		{&app.WeightsError{File: "w.pth", Cached: "/c/w.pth", Env: "VECIMG_WEIGHTS"},
			`weights unavailable: no weights found (none given, $VECIMG_WEIGHTS unset, none in /c/w.pth or torch hub's cache); pass --weights /path/to/w.pth or set VECIMG_WEIGHTS`},
		{&app.WeightsError{File: "w.pth", Cached: "/c/w.pth", Env: "VECIMG_WEIGHTS", Download: true, URL: "http://h/w.pth", Err: errors.New("no route")},
			"weights unavailable: downloading http://h/w.pth: no route\nIf this machine has no internet, copy w.pth here and pass --weights /path/to/w.pth (or set VECIMG_WEIGHTS=/path/to/w.pth)"},
		{fmt.Errorf("model %w", &app.InputShapeError{Path: "m.onnx", Input: "x", Shape: []int64{1, 3, 224, 224}, Size: 448}),
			`model model unusable: m.onnx input "x" has shape [1 3 224 224]; the preset feeds [N,3,448,448] (pick the matching --preset)`},
		{fmt.Errorf("model: %w", &app.AdvisedError{Kind: app.ErrInvalid, Advice: app.AdviseInt8, Msg: "calibration options are for an int8 model"}),
			"model: --calibrate and --calibrate-from calibrate an int8 model: add --precision int8"},
		{&app.AdvisedError{Kind: app.ErrInvalid, Advice: app.AdviseCalibrationFolder, Msg: "an int8 model is calibrated on images like the ones it will embed"},
			"an int8 model is calibrated on images like the ones it will embed: pass --calibrate-from DIR"},
		{&app.AdvisedError{Kind: app.ErrInvalid, Advice: app.AdviseNoCalibration, Msg: "the store's int8 model was calibrated when the store was made"},
			"the store's int8 model was calibrated when the store was made: drop --calibrate and --calibrate-from, or use another --db"},
		{&app.AdvisedError{Kind: app.ErrInvalid, Advice: app.AdviseOtherStore, Msg: "the store's vectors were made at precision fp32; int8 vectors would not compare with them"},
			"the store's vectors were made at precision fp32; int8 vectors would not compare with them: use another --db"},
		{errors.New("plain"), "plain"},
	}
	for _, c := range cases {
		if got := wordError(c.err).Error(); got != c.want {
			t.Errorf("wordError(%v):\n got %s\nwant %s", c.err, got, c.want)
		}
		if !errors.Is(wordError(c.err), c.err) {
			t.Errorf("wordError(%v) no longer matches the error", c.err)
		}
	}
}

// A --db that is not a store: the store names the problem, the CLI says
// what to do (issue 17.4).
func TestNotAStoreAdvice(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, []byte("hello"), 0o644)
	other := filepath.Join(dir, "photos")
	os.Mkdir(other, 0o755)
	os.WriteFile(filepath.Join(other, "cat.jpg"), []byte("jpeg"), 0o644)
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	for db, want := range map[string]string{
		file:  fmt.Sprintf("not a vecimg store: %q is a file; a store is a directory; use another --db", file),
		other: fmt.Sprintf("not a vecimg store: directory %q holds other files (such as \"cat.jpg\") and no store; use a new or empty directory for --db", other),
		empty: fmt.Sprintf("not a vecimg store: %q is an empty directory; create a store with vecimg ingest or pass the right --db", empty),
	} {
		_, err := run(t, "--db", db, "info")
		if err == nil || err.Error() != want {
			t.Errorf("info --db %s: %v\nwant %s", db, err, want)
		}
		if strings.Count(fmt.Sprint(err), "--db") != 1 {
			t.Errorf("advice given twice: %v", err)
		}
	}
}

// An image over the pixel limit: the decoder states the limit, the CLI's
// note and summary add the flag that raises it; --json keeps the fact.
func TestPixelLimitAdvice(t *testing.T) {
	testfix.NeedRuntime(t)
	dir := t.TempDir()
	imgs := filepath.Join(dir, "imgs")
	os.MkdirAll(imgs, 0o755)
	testfix.NoisePNGs(t, imgs, 2, 5)
	db := filepath.Join(dir, "v.db")
	out, errOut, err := runBoth(t, "--db", db, "ingest", "--max-pixels", "100", "--weights", testWeights, imgs)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out, "MP limit (raise with --max-pixels)\n"); n != 2 {
		t.Errorf("summary lines with the advice: %d, want 2\n%s", n, out)
	}
	if n := strings.Count(errOut, "MP limit (raise with --max-pixels)\n"); n != 2 {
		t.Errorf("notes with the advice: %d, want 2\n%s", n, errOut)
	}
	out, _, _ = runBoth(t, "--db", db, "ingest", "--json", "--max-pixels", "100", "--weights", testWeights, imgs)
	if !strings.Contains(out, "MP limit\"") || strings.Contains(out, "--max-pixels") {
		t.Errorf("--json bad reasons: the fact, without CLI advice:\n%s", out)
	}
	// A query image over the limit: the error carries the same advice.
	mustRun(t, "--db", db, "ingest", "--weights", testWeights, imgs)
	query := filepath.Join(dir, "query")
	os.MkdirAll(query, 0o755)
	testfix.NoisePNGs(t, query, 1, 9)
	_, err = run(t, "--db", db, "similar", "--max-pixels", "100", "--weights", testWeights, filepath.Join(query, "0.png"))
	if err == nil || !strings.HasSuffix(err.Error(), "MP limit (raise with --max-pixels)") {
		t.Errorf("similar with an image over the limit: %v", err)
	}
}
