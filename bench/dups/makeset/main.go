// Command makeset builds the near-duplicate set of bench/dups: n photos
// drawn from a folder (seeded), each written as oNNN__orig.<ext> (its own
// bytes) and as one JPEG per transformation of dups --calibrate
// (internal/dedup.Variant: q30, half size, 5-10% crop, ±20% brightness,
// gray, text watermark, mirror), plus truth.csv: id,original,scene,transform.
// scene is the photo's group in the folder's truth.csv when one is given
// (the dev-set's groups of near-identical scenes), so that a scorer can
// leave pairs of two different shots of one scene out.
//
//	go run ./bench/dups/makeset -src DIR [-truth FILE] -n 100 -seed 1 -out DIR
//
// With -heldback tune|score it builds instead a set shaped like the
// held-back set of issue 20: 100 distinct photos (no two within pHash 12 of
// each other) from the folders -src names (comma-separated), 40 of them
// with 1–3 copies, each a different one of six transformations: JPEG q30,
// half size, a crop of 4–9% on each side, brightness +20% or −20%, gray, a
// text watermark. Each of the 40 also gets a mirrored copy (transform
// "mirror"), which bench/dups/score can leave out of the overall figures
// and report apart. The distinct photos are shuffled with a fixed seed and
// cut in two: "score" takes the first 100, "tune" the rest (up to 100), so
// the two splits never share a photo; -seed then draws who gets which
// copies.
package main

import (
	"encoding/csv"
	"flag"
	"fmt"
	"image"
	"image/draw"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/vecimg/vecimg/embed/preprocess"
	"github.com/vecimg/vecimg/internal/dedup"
	"github.com/vecimg/vecimg/internal/phash"
)

func main() {
	src := flag.String("src", "", "folder of photos")
	truth := flag.String("truth", "", "optional CSV ImageID,group of the photos (the dev-set's truth.csv)")
	n := flag.Int("n", 100, "photos to draw")
	seed := flag.Uint64("seed", 1, "draws the photos and the crops")
	out := flag.String("out", "", "output folder (images/ and truth.csv)")
	heldback := flag.String("heldback", "", "tune or score: a held-back-shaped split (see the doc)")
	flag.Parse()
	if *heldback != "" {
		heldBack(strings.Split(*src, ","), *heldback, *seed, *out)
		return
	}
	if *src == "" || *out == "" {
		log.Fatal("makeset: -src and -out are required")
	}
	scene := map[string]string{}
	if *truth != "" {
		f, err := os.Open(*truth)
		if err != nil {
			log.Fatal(err)
		}
		rows, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			log.Fatal(err)
		}
		for _, r := range rows[1:] {
			scene[r[0]] = r[1]
		}
	}
	names, err := os.ReadDir(*src)
	if err != nil {
		log.Fatal(err)
	}
	var files []string
	for _, e := range names {
		if ext := strings.ToLower(filepath.Ext(e.Name())); !e.IsDir() && (ext == ".jpg" || ext == ".jpeg" || ext == ".png") {
			files = append(files, e.Name())
		}
	}
	slices.Sort(files)
	rng := rand.New(rand.NewPCG(*seed, 2))
	rng.Shuffle(len(files), func(i, j int) { files[i], files[j] = files[j], files[i] })
	files = files[:min(*n, len(files))]
	imgDir := filepath.Join(*out, "images")
	if err := os.MkdirAll(imgDir, 0o755); err != nil {
		log.Fatal(err)
	}
	tf, err := os.Create(filepath.Join(*out, "truth.csv"))
	if err != nil {
		log.Fatal(err)
	}
	w := csv.NewWriter(tf)
	w.Write([]string{"id", "original", "scene", "transform"})
	for i, name := range files {
		data, err := os.ReadFile(filepath.Join(*src, name))
		if err != nil {
			log.Fatal(err)
		}
		img, _, err := preprocess.Decode(data, name, preprocess.Limits{})
		if err != nil {
			log.Printf("skipped %s: %v", name, err)
			continue
		}
		rgba := image.NewRGBA(image.Rect(0, 0, img.Bounds().Dx(), img.Bounds().Dy()))
		draw.Draw(rgba, rgba.Rect, img, img.Bounds().Min, draw.Src)
		orig := fmt.Sprintf("o%03d", i)
		sc := scene[strings.TrimSuffix(name, filepath.Ext(name))]
		if sc == "" {
			sc = orig
		}
		write := func(t string, ext string, b []byte) {
			id := orig + "__" + t
			if err := os.WriteFile(filepath.Join(imgDir, id+ext), b, 0o644); err != nil {
				log.Fatal(err)
			}
			w.Write([]string{id, orig, sc, t})
		}
		write("orig", strings.ToLower(filepath.Ext(name)), data)
		for _, t := range dedup.Transforms {
			if b := dedup.Variant(rgba, t, rng); b != nil {
				write(t, ".jpg", b)
			}
		}
	}
	w.Flush()
	if err := tf.Close(); err != nil || w.Error() != nil {
		log.Fatal(err, w.Error())
	}
	fmt.Printf("%d photos x (1 + %d copies) -> %s\n", len(files), len(dedup.Transforms), *out)
}

// heldBackCopies are the six transformations of the held-back set;
// "bright" is +20% or −20%, drawn per copy.
var heldBackCopies = []string{"jpeg_q30", "resize_50", "crop_4-9", "bright", "gray", "wm_text"}

func heldBack(dirs []string, split string, seed uint64, out string) {
	if split != "tune" && split != "score" {
		log.Fatalf("makeset: -heldback %q: tune or score", split)
	}
	type photo struct {
		path string
		img  *image.RGBA
		h    phash.Hashes
	}
	var all []photo
	for _, dir := range dirs {
		names, err := os.ReadDir(dir)
		if err != nil {
			log.Fatal(err)
		}
		for _, e := range names {
			ext := strings.ToLower(filepath.Ext(e.Name()))
			if e.IsDir() || (ext != ".jpg" && ext != ".jpeg" && ext != ".png") {
				continue
			}
			path := filepath.Join(dir, e.Name())
			data, err := os.ReadFile(path)
			if err != nil {
				log.Fatal(err)
			}
			img, _, err := preprocess.Decode(data, path, preprocess.Limits{})
			if err != nil || img.Bounds().Dx() < 128 || img.Bounds().Dy() < 128 {
				continue
			}
			rgba := image.NewRGBA(image.Rect(0, 0, img.Bounds().Dx(), img.Bounds().Dy()))
			draw.Draw(rgba, rgba.Rect, img, img.Bounds().Min, draw.Src)
			all = append(all, photo{path, rgba, phash.FromImage(rgba)})
		}
	}
	// Distinct: greedily, in path order, no two within 12 bits (any of the
	// pHash comparisons, so no photo is a crop or mirror of another).
	slices.SortFunc(all, func(a, b photo) int { return strings.Compare(a.path, b.path) })
	var distinct []photo
	for _, p := range all {
		ok := true
		for _, q := range distinct {
			if phash.PDistance(p.h, q.h) <= 12 {
				ok = false
				break
			}
		}
		if ok {
			distinct = append(distinct, p)
		}
	}
	rand.New(rand.NewPCG(20, 20)).Shuffle(len(distinct), func(i, j int) { distinct[i], distinct[j] = distinct[j], distinct[i] })
	var photos []photo
	if split == "score" {
		photos = distinct[:min(100, len(distinct))]
	} else if len(distinct) > 100 {
		photos = distinct[100:min(200, len(distinct))]
	}
	if len(photos) < 20 {
		log.Fatalf("makeset: only %d distinct photos for the %s split (of %d distinct)", len(photos), split, len(distinct))
	}
	rng := rand.New(rand.NewPCG(seed, 3))
	withCopies := rng.Perm(len(photos))[:len(photos)*40/100]
	copies := map[int]bool{}
	for _, i := range withCopies {
		copies[i] = true
	}
	imgDir := filepath.Join(out, "images")
	if err := os.MkdirAll(imgDir, 0o755); err != nil {
		log.Fatal(err)
	}
	tf, err := os.Create(filepath.Join(out, "truth.csv"))
	if err != nil {
		log.Fatal(err)
	}
	w := csv.NewWriter(tf)
	w.Write([]string{"id", "original", "scene", "transform", "source"})
	nCopies := 0
	for i, p := range photos {
		orig := fmt.Sprintf("o%03d", i)
		write := func(t, ext string, b []byte) {
			id := orig + "__" + t
			if err := os.WriteFile(filepath.Join(imgDir, id+ext), b, 0o644); err != nil {
				log.Fatal(err)
			}
			w.Write([]string{id, orig, orig, t, p.path})
		}
		data, err := os.ReadFile(p.path)
		if err != nil {
			log.Fatal(err)
		}
		write("orig", strings.ToLower(filepath.Ext(p.path)), data)
		if !copies[i] {
			continue
		}
		for _, k := range rng.Perm(len(heldBackCopies))[:1+rng.IntN(3)] {
			t := heldBackCopies[k]
			if t == "bright" {
				t = []string{"bright_+20", "bright_-20"}[rng.IntN(2)]
			}
			if b := dedup.Variant(p.img, t, rng); b != nil {
				write(t, ".jpg", b)
				nCopies++
			}
		}
		if b := dedup.Variant(p.img, "mirror", rng); b != nil {
			write("mirror", ".jpg", b)
		}
	}
	w.Flush()
	if err := tf.Close(); err != nil || w.Error() != nil {
		log.Fatal(err, w.Error())
	}
	fmt.Printf("%s split: %d distinct photos (of %d distinct, %d read), %d with %d copies and a mirror each -> %s\n",
		split, len(photos), len(distinct), len(all), len(withCopies), nCopies, out)
}
