package vgg

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// convIndices are the positions of the 13 convolutions in torchvision's
// vgg16().features; a 2×2 max-pool follows those marked in poolAfter.
var (
	convIndices = [13]int{0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28}
	poolAfter   = [13]bool{1: true, 3: true, 6: true, 9: true, 12: true}
)

// fc6Key is the first fully connected layer: 512·7·7 → 4096 in VGG16.
const fc6Key = "classifier.0"

// pooledSize is the side of the adaptive average pool's output.
const pooledSize = 7

// Layer is one convolution or fully connected layer of the network.
type Layer struct {
	// Name is the state_dict prefix: "features.0" … "features.28",
	// "classifier.0".
	Name string
	// Out and In are the output and input widths: channels for a
	// convolution, features for fc6.
	Out, In int
	// Weight is row-major: [Out, In, 3, 3] for a convolution, [Out, In]
	// for fc6 (PyTorch's layout).
	Weight []float32
	// Bias has Out elements.
	Bias []float32
}

// Weights are the parts of a torchvision VGG16 state_dict that the fc6
// graph needs. The classifier's later layers (classifier.3, classifier.6)
// are not kept.
type Weights struct {
	// Convs are the 13 convolutions (3×3, padding 1), input side first.
	Convs []Layer
	// FC6 is classifier.0; FC6.In is Convs[12].Out·7·7.
	FC6 Layer
	// Source names where the weights came from, for messages.
	Source string
}

// Dim is the width of the fc6 vectors: 4096 for torchvision's VGG16.
func (w *Weights) Dim() int { return w.FC6.Out }

// LoadPTH reads the VGG16 weights from a torchvision-format state_dict file:
// the legacy format of vgg16-397923af.pth or the zip format of current
// torch.save. A state_dict nested under "state_dict" or saved from a
// DataParallel model ("module." prefixes) is taken too. Channel counts come
// from the tensors, so a narrower VGG16 with the same keys loads as well.
func LoadPTH(path string) (*Weights, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening weights: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("opening weights: %w", err)
	}
	return ReadPTH(f, fi.Size(), path)
}

// ReadPTH is LoadPTH for size bytes of r; name identifies them in errors.
func ReadPTH(r io.ReaderAt, size int64, name string) (*Weights, error) {
	p, err := openPTH(r, size, name)
	if err != nil {
		return nil, err
	}
	return p.weights()
}

// weights finds, checks and reads the tensors the fc6 graph needs.
func (p *pthFile) weights() (*Weights, error) {
	sd, err := p.stateDict()
	if err != nil {
		return nil, err
	}
	refs := map[string]*tensorRef{}
	shapes := map[string][]int64{}
	for _, key := range weightKeys() {
		t, err := p.tensor(sd, key)
		if err != nil {
			return nil, err
		}
		refs[key], shapes[key] = t, t.shape
	}
	// Check every shape before reading hundreds of megabytes.
	if err := checkShapes(shapes, p.name); err != nil {
		return nil, err
	}
	w := &Weights{Source: p.name}
	read := func(prefix string) (Layer, error) {
		s := shapes[prefix+".weight"]
		l := Layer{Name: prefix, Out: int(s[0]), In: int(s[1])}
		var err error
		if l.Weight, err = p.readFloat32(prefix+".weight", refs[prefix+".weight"]); err != nil {
			return l, err
		}
		l.Bias, err = p.readFloat32(prefix+".bias", refs[prefix+".bias"])
		return l, err
	}
	for _, i := range convIndices {
		l, err := read(fmt.Sprintf("features.%d", i))
		if err != nil {
			return nil, err
		}
		w.Convs = append(w.Convs, l)
	}
	if w.FC6, err = read(fc6Key); err != nil {
		return nil, err
	}
	return w, nil
}

// weightKeys lists the state_dict keys the fc6 graph needs, in order.
func weightKeys() []string {
	keys := make([]string, 0, 2*len(convIndices)+2)
	for _, i := range convIndices {
		keys = append(keys, fmt.Sprintf("features.%d.weight", i), fmt.Sprintf("features.%d.bias", i))
	}
	return append(keys, fc6Key+".weight", fc6Key+".bias")
}

// stateDict finds the state_dict in the unpickled object: the top-level dict,
// or a dict under its "state_dict" key.
func (p *pthFile) stateDict() (*pyDict, error) {
	d, ok := p.root.(*pyDict)
	if !ok {
		return nil, fmt.Errorf("%w: %s holds %s, not a state_dict; save one with torch.save(model.state_dict(), path)", ErrWeights, p.name, describe(p.root))
	}
	if _, ok := lookup(d, convKey(0)); !ok {
		if inner, ok := d.get("state_dict"); ok {
			if id, ok := inner.(*pyDict); ok {
				return id, nil
			}
		}
	}
	return d, nil
}

func convKey(i int) string { return fmt.Sprintf("features.%d.weight", convIndices[i]) }

// lookup finds key, or "module."+key as DataParallel models save it.
func lookup(d *pyDict, key string) (any, bool) {
	if v, ok := d.get(key); ok {
		return v, true
	}
	return d.get("module." + key)
}

func (p *pthFile) tensor(sd *pyDict, key string) (*tensorRef, error) {
	v, ok := lookup(sd, key)
	if !ok {
		return nil, fmt.Errorf("%w: %s: missing key %q; a torchvision VGG16 state_dict has features.{%s}.{weight,bias} and %s.{weight,bias} (keys found: %s)",
			ErrWeights, p.name, key, joinInts(convIndices[:]), fc6Key, sampleKeys(sd, 6))
	}
	t, ok := v.(*tensorRef)
	if !ok {
		return nil, fmt.Errorf("%w: %s: %q is %s, not a tensor", ErrWeights, p.name, key, describe(v))
	}
	return t, nil
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ",")
}

func sampleKeys(d *pyDict, n int) string {
	var s []string
	for _, k := range d.keys {
		if len(s) == n {
			s = append(s, fmt.Sprintf("… %d in all", len(d.keys)))
			break
		}
		s = append(s, describe(k))
	}
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// checkShapes validates the tensors' shapes against VGG16's structure: 3×3
// convolutions whose channels chain from the 3 image channels, and an fc6
// that takes the last convolution's channels × 7 × 7.
func checkShapes(shapes map[string][]int64, name string) error {
	bad := func(key string, format string, a ...any) error {
		return fmt.Errorf("%w: %s: %s has shape %v, %s", ErrWeights, name, key, shapes[key], fmt.Sprintf(format, a...))
	}
	const maxDim = 1 << 24 // far beyond any VGG, keeps products in int range
	in, from := int64(3), "the 3 image channels"
	for i, idx := range convIndices {
		wk, bk := fmt.Sprintf("features.%d.weight", idx), fmt.Sprintf("features.%d.bias", idx)
		s := shapes[wk]
		switch {
		case len(s) != 4:
			return bad(wk, "expected rank 4 [out, %d, 3, 3]", in)
		case s[1] != in:
			return bad(wk, "expected [out, %d, 3, 3]: its input channels must equal %s (%d)", in, from, in)
		case s[2] != 3 || s[3] != 3:
			return bad(wk, "expected a 3×3 kernel [out, %d, 3, 3]", in)
		case s[0] <= 0 || s[0] > maxDim:
			return bad(wk, "expected 1 to %d output channels", maxDim)
		}
		if b := shapes[bk]; len(b) != 1 || b[0] != s[0] {
			return bad(bk, "expected [%d] (one bias per output channel of %s)", s[0], wk)
		}
		in, from = s[0], fmt.Sprintf("the output channels of features.%d (conv %d of 13)", idx, i+1)
	}
	wk, bk := fc6Key+".weight", fc6Key+".bias"
	s := shapes[wk]
	want := in * pooledSize * pooledSize
	switch {
	case len(s) != 2:
		return bad(wk, "expected rank 2 [out, %d]", want)
	case s[1] != want:
		return bad(wk, "expected [out, %d]: its inputs must be the last convolution's %d channels × 7 × 7", want, in)
	case s[0] <= 0 || s[0] > maxDim:
		return bad(wk, "expected 1 to %d outputs", maxDim)
	}
	if b := shapes[bk]; len(b) != 1 || b[0] != s[0] {
		return bad(bk, "expected [%d] (one bias per output of %s)", s[0], wk)
	}
	return nil
}

// Validate checks that w is a complete VGG16 whose slices match its layer
// widths. Build calls it; weights from LoadPTH always pass.
func (w *Weights) Validate() error {
	if w == nil {
		return fmt.Errorf("%w: no weights", ErrWeights)
	}
	if len(w.Convs) != len(convIndices) {
		return fmt.Errorf("%w: %s: %d convolutions, VGG16 has %d", ErrWeights, w.Source, len(w.Convs), len(convIndices))
	}
	shapes := map[string][]int64{}
	layers := append(append([]Layer(nil), w.Convs...), w.FC6)
	for i, l := range layers {
		prefix, kernel := fc6Key, 1
		if i < len(convIndices) {
			prefix, kernel = fmt.Sprintf("features.%d", convIndices[i]), 9
		}
		if l.Name != "" && l.Name != prefix {
			return fmt.Errorf("%w: %s: layer %d is named %q, expected %q", ErrWeights, w.Source, i, l.Name, prefix)
		}
		if l.Out <= 0 || l.In <= 0 || len(l.Weight) != l.Out*l.In*kernel || len(l.Bias) != l.Out {
			return fmt.Errorf("%w: %s: %s: %d weights and %d biases do not fit %d outputs × %d inputs", ErrWeights, w.Source, prefix, len(l.Weight), len(l.Bias), l.Out, l.In)
		}
		if kernel == 9 {
			shapes[prefix+".weight"] = []int64{int64(l.Out), int64(l.In), 3, 3}
		} else {
			shapes[prefix+".weight"] = []int64{int64(l.Out), int64(l.In)}
		}
		shapes[prefix+".bias"] = []int64{int64(l.Out)}
	}
	return checkShapes(shapes, w.Source)
}
