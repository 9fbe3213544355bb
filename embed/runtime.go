package embed

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// ORTVersion is the ONNX Runtime release vecimg is built and tested against.
// onnxruntime_go speaks the 1.24 C API, which later libraries keep, so newer
// 1.x libraries load as well.
const ORTVersion = "1.29.0"

// LibraryEnv names the environment variable that points at libonnxruntime.so.
const LibraryEnv = "ONNXRUNTIME_SHARED_LIBRARY_PATH"

// CacheDir is vecimg's per-user cache: ${XDG_CACHE_HOME:-$HOME/.cache}/vecimg.
func CacheDir() string {
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "vecimg")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".cache", "vecimg")
	}
	return filepath.Join(os.TempDir(), "vecimg-cache")
}

// libraryCandidates lists where the ONNX Runtime library is looked for, in
// order: the explicit path (flag, then $ONNXRUNTIME_SHARED_LIBRARY_PATH), the
// library beside the vecimg binary (the release archive of `make dist`), the
// per-user cache (the pinned version first, then any other installed one,
// newest first), then the system's library search path (by soname, so the
// dynamic loader applies LD_LIBRARY_PATH and ld.so.cache).
func libraryCandidates(explicit string) []string {
	var c []string
	if explicit != "" {
		return []string{explicit}
	}
	if env := os.Getenv(LibraryEnv); env != "" {
		return []string{env}
	}
	if exe, err := os.Executable(); err == nil {
		if exe, err := filepath.EvalSymlinks(exe); err == nil {
			if beside := filepath.Join(filepath.Dir(exe), "libonnxruntime.so.1"); fileExists(beside) {
				c = append(c, beside)
			}
		}
	}
	base := filepath.Join(CacheDir(), "onnxruntime")
	c = append(c, filepath.Join(base, ORTVersion, "libonnxruntime.so.1"))
	if entries, err := os.ReadDir(base); err == nil {
		var others []string
		for _, e := range entries {
			if e.IsDir() && e.Name() != ORTVersion {
				others = append(others, e.Name())
			}
		}
		sort.Sort(sort.Reverse(sort.StringSlice(others)))
		for _, v := range others {
			c = append(c, filepath.Join(base, v, "libonnxruntime.so.1"))
		}
	}
	return append(c, "libonnxruntime.so.1", "libonnxruntime.so")
}

// Runtime describes the loaded ONNX Runtime library.
type Runtime struct {
	Library string // the path (or soname) that loaded
	Version string // as reported by the library
	Dir     string // directory of the library when known (provider libraries live beside it)
}

var (
	rtOnce sync.Once
	rt     Runtime
	rtErr  error
)

// LoadRuntime finds and initialises ONNX Runtime once per process. explicit,
// when non-empty, is the only path tried. Later calls return the first result.
func LoadRuntime(explicit string) (Runtime, error) {
	rtOnce.Do(func() { rt, rtErr = loadRuntime(explicit) })
	return rt, rtErr
}

func loadRuntime(explicit string) (Runtime, error) {
	var tried []string
	for _, cand := range libraryCandidates(explicit) {
		if strings.Contains(cand, "/") {
			if _, err := os.Stat(cand); err != nil {
				tried = append(tried, cand+" (not found)")
				continue
			}
		}
		ort.SetSharedLibraryPath(cand)
		err := ort.InitializeEnvironment(ort.WithLogLevelError())
		if err != nil {
			tried = append(tried, fmt.Sprintf("%s (%s)", cand, firstLine(err.Error())))
			continue
		}
		r := Runtime{Library: cand, Version: ort.GetVersion()}
		if strings.Contains(cand, "/") {
			if abs, err := filepath.Abs(cand); err == nil {
				r.Library = abs
				if real, err := filepath.EvalSymlinks(abs); err == nil {
					r.Dir = filepath.Dir(real)
				} else {
					r.Dir = filepath.Dir(abs)
				}
			}
		}
		return r, nil
	}
	return Runtime{}, &RuntimeNotFoundError{Tried: tried}
}

// RuntimeNotFoundError says where ONNX Runtime was looked for and how to install it.
type RuntimeNotFoundError struct{ Tried []string }

func (e *RuntimeNotFoundError) Error() string {
	var b strings.Builder
	b.WriteString("ONNX Runtime shared library not found; tried:\n")
	for _, t := range e.Tried {
		fmt.Fprintf(&b, "  - %s\n", t)
	}
	fmt.Fprintf(&b, "Install ONNX Runtime %s into %s with `make ort` in the vecimg source tree "+
		"(it runs scripts/install-ort.sh: `npm pack onnxruntime-node@%s`), or download an ONNX Runtime %s "+
		"release for Linux and point %s at its lib/libonnxruntime.so.",
		ORTVersion, filepath.Join(CacheDir(), "onnxruntime", ORTVersion), ORTVersion, ORTVersion, LibraryEnv)
	return b.String()
}

func (e *RuntimeNotFoundError) Is(target error) bool { return target == ErrRuntimeNotFound }

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
