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
)

func main() {
	src := flag.String("src", "", "folder of photos")
	truth := flag.String("truth", "", "optional CSV ImageID,group of the photos (the dev-set's truth.csv)")
	n := flag.Int("n", 100, "photos to draw")
	seed := flag.Uint64("seed", 1, "draws the photos and the crops")
	out := flag.String("out", "", "output folder (images/ and truth.csv)")
	flag.Parse()
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
