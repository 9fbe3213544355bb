// Command rules compares the activation-range rules of vecimg's int8 model
// (and 8- against 7-bit weights) on real images: it calibrates once on the
// first -calibrate images of -images, builds one int8 model per rule, embeds
// the next -eval images with each and with the fp32 model, and prints the
// cosine of every int8 model's vectors to fp32's (min, mean) and its time.
// The times are indicative only (one pass each, not alternated): the speed
// ratio is bench/int8.sh's.
//
//	go run ./bench/int8/rules -weights W.pth -images DIR [-calibrate 32] [-eval 48]
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"strings"
	"time"

	"github.com/vecimg/vecimg/embed"
	"github.com/vecimg/vecimg/embed/vgg"
)

func main() {
	weights := flag.String("weights", "", "VGG16 weights (.pth)")
	images := flag.String("images", "", "folder of images")
	ncal := flag.Int("calibrate", embed.DefaultCalibrationImages, "calibration images (the first ones)")
	neval := flag.Int("eval", 48, "evaluation images (the ones after the calibration images)")
	bits := flag.String("bits", "8,7", "weight widths to compare (comma-separated)")
	flag.Parse()
	if *weights == "" || *images == "" {
		flag.Usage()
		os.Exit(2)
	}
	ctx := context.Background()
	rt, err := embed.LoadRuntime("")
	check(err)
	files, _, err := embed.Walk(*images, false)
	check(err)
	if len(files) < *ncal+*neval {
		log.Fatalf("%s has %d images, need %d", *images, len(files), *ncal+*neval)
	}
	var cal, eval []string
	for i, f := range files[:*ncal+*neval] {
		if i < *ncal {
			cal = append(cal, f.Path)
		} else {
			eval = append(eval, f.Path)
		}
	}
	prep, err := embed.NewPreparer("blitz", 0)
	check(err)
	f := embed.DetectCPU()
	fmt.Printf("cpu: %s; calibration %d images, evaluation %d images of %s\n", f.Summary, len(cal), len(eval), *images)
	t0 := time.Now()
	c, err := embed.Calibrate(ctx, rt, embed.CalibrateOptions{Weights: *weights, Prep: prep, Files: cal})
	check(err)
	fmt.Printf("calibration: %.1fs\n", time.Since(t0).Seconds())
	for _, r := range []string{embed.RuleMax, embed.RulePercentile, embed.RuleMSE} {
		fmt.Printf("ranges %-8s %v\n", r, c.ByRule[r])
	}
	ref, dt := embedAll(rt, embed.ModelSpec{Weights: *weights, Size: prep.Size()}, prep, eval)
	fmt.Printf("%-8s %-4s %9s %9s %8s\n", "rule", "bits", "cos min", "cos mean", "s/img")
	fmt.Printf("%-8s %-4s %9s %9s %8.2f\n", "fp32", "-", "1", "1", dt)
	for _, b := range strings.Split(*bits, ",") {
		var nb int
		fmt.Sscan(b, &nb)
		for _, r := range []string{embed.RuleMax, embed.RulePercentile, embed.RuleMSE} {
			q := &vgg.Quant{Ranges: c.ByRule[r], WeightBits: nb}
			got, dt := embedAll(rt, embed.ModelSpec{Weights: *weights, Size: prep.Size(), Precision: vgg.PrecisionInt8, Quant: q}, prep, eval)
			lo, mean := 1.0, 0.0
			for i := range got {
				cs := cosine(got[i], ref[i])
				lo = math.Min(lo, cs)
				mean += cs / float64(len(got))
			}
			fmt.Printf("%-8s %-4d %9.5f %9.5f %8.2f\n", r, nb, lo, mean, dt)
		}
	}
}

// embedAll embeds files with the model of spec on the CPU and returns the
// vectors and the seconds per image.
func embedAll(rt embed.Runtime, spec embed.ModelSpec, prep embed.Preparer, files []string) ([][]float32, float64) {
	m, err := embed.PrepareModel(context.Background(), spec)
	check(err)
	s, err := embed.NewSession(rt, m, embed.SessionOptions{Device: "cpu"})
	check(err)
	defer s.Close()
	out := make([][]float32, len(files))
	t0 := time.Now()
	for i, f := range files {
		out[i], err = embed.EmbedFile(s, prep, f)
		check(err)
	}
	return out, time.Since(t0).Seconds() / float64(len(files))
}

// cosine compares two vectors through their unit-length float64 copies.
func cosine(a, b []float32) float64 {
	ua, ub := unit(a), unit(b)
	s := 0.0
	for i, x := range ua {
		s += x * ub[i]
	}
	return s
}

func unit(v []float32) []float64 {
	u := make([]float64, len(v))
	n := 0.0
	for i, x := range v {
		u[i] = float64(x)
		n += u[i] * u[i]
	}
	n = math.Sqrt(n)
	for i := range u {
		u[i] /= n
	}
	return u
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
