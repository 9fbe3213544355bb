package embed

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vecimg/vecimg/internal/fsutil"
	"github.com/vecimg/vecimg/internal/progress"
)

// Torchvision's published ImageNet weights for VGG16, and the prefix of
// their SHA-256 that torchvision checks (the "397923af" in the file name).
const (
	VGG16WeightsURL    = "https://download.pytorch.org/models/vgg16-397923af.pth"
	VGG16WeightsFile   = "vgg16-397923af.pth"
	VGG16WeightsSHA256 = "397923af"
	// WeightsEnv names the environment variable holding a weights path.
	WeightsEnv = "VECIMG_WEIGHTS"
)

// WeightsOptions says where to find VGG16 weights. The zero value does what
// torchvision does: $VECIMG_WEIGHTS, the cache, then a download.
type WeightsOptions struct {
	Path       string // a file given explicitly; when set nothing else is tried
	URL        string // default VGG16WeightsURL
	SHA256     string // expected hex prefix of the file's SHA-256; default VGG16WeightsSHA256
	CacheDir   string // default CacheDir()/weights
	NoDownload bool
	// Progress, when set, follows a download as one stage, StageDownload
	// (bytes of the total, -1 when unknown). Called from the downloading
	// goroutine.
	Progress progress.Func
	Client   *http.Client
}

// withDefaults fills the zero fields of o with the defaults.
func (o WeightsOptions) withDefaults() WeightsOptions {
	if o.URL == "" {
		o.URL = VGG16WeightsURL
	}
	if o.SHA256 == "" {
		o.SHA256 = VGG16WeightsSHA256
	}
	if o.CacheDir == "" {
		o.CacheDir = filepath.Join(CacheDir(), "weights")
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 30 * time.Minute}
	}
	return o
}

// ResolveWeights returns the path of a VGG16 weights file: the explicit path,
// then $VECIMG_WEIGHTS, then vecimg's cache, then torch hub's cache
// ($TORCH_HOME/hub/checkpoints), then a download into vecimg's cache that is
// checked against the SHA-256 prefix and renamed into place only when whole.
func ResolveWeights(ctx context.Context, o WeightsOptions) (string, error) {
	o = o.withDefaults()
	for _, p := range []string{o.Path, os.Getenv(WeightsEnv)} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%w: weights file %s: %v", ErrWeights, p, err)
		}
		return p, nil
	}
	name := filepath.Base(o.URL)
	cached := filepath.Join(o.CacheDir, name)
	if fi, err := os.Stat(cached); err == nil && fi.Size() > 0 {
		return cached, nil
	}
	if th := torchHubPath(name); th != "" {
		return th, nil
	}
	if o.NoDownload {
		return "", &WeightsError{File: VGG16WeightsFile, Cached: cached, Env: WeightsEnv}
	}
	if err := download(ctx, o, cached); err != nil {
		return "", &WeightsError{File: VGG16WeightsFile, Cached: cached, Env: WeightsEnv, Download: true, URL: o.URL, Err: err}
	}
	return cached, nil
}

func torchHubPath(name string) string {
	home := os.Getenv("TORCH_HOME")
	if home == "" {
		if x := os.Getenv("XDG_CACHE_HOME"); x != "" {
			home = filepath.Join(x, "torch")
		} else if h, err := os.UserHomeDir(); err == nil {
			home = filepath.Join(h, ".cache", "torch")
		}
	}
	if home == "" {
		return ""
	}
	p := filepath.Join(home, "hub", "checkpoints", name)
	if fi, err := os.Stat(p); err == nil && fi.Size() > 0 {
		return p
	}
	return ""
}

func download(ctx context.Context, o WeightsOptions, dest string) error {
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, o.URL, nil)
	if err != nil {
		return err
	}
	resp, err := o.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("server answered %s", resp.Status)
	}
	return fsutil.WriteFileAtomic(dest, func(w io.Writer) error {
		h := sha256.New()
		pw := &progressWriter{total: resp.ContentLength, fn: o.Progress}
		o.Progress.Report(StageDownload, 0, pw.total)
		if _, err := io.Copy(io.MultiWriter(w, h, pw), resp.Body); err != nil {
			return fmt.Errorf("interrupted after %d bytes: %v", pw.done, err)
		}
		if sum := hex.EncodeToString(h.Sum(nil)); !strings.HasPrefix(sum, strings.ToLower(o.SHA256)) {
			return fmt.Errorf("SHA-256 %s does not start with %s: the file is damaged or not the expected weights", sum, o.SHA256)
		}
		return nil
	})
}

// StageDownload is the stage a download reports to WeightsOptions.Progress.
const StageDownload = "download"

type progressWriter struct {
	done, total int64
	fn          progress.Func
}

func (p *progressWriter) Write(b []byte) (int, error) {
	p.done += int64(len(b))
	p.fn.Report(StageDownload, p.done, p.total)
	return len(b), nil
}
