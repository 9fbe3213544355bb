// Command score rates the groups of `vecimg dups --json` against the truth
// of bench/dups/makeset: a pair of images is predicted when both are in one
// group (an identical group's kept file joins its near group), a positive
// when both come from one original, and left out when they are two
// different photos of one scene (the dev-set's near-identical shots). Per
// transformation t: recall of the (original, t-copy) pairs; precision of the
// predicted pairs that hold a t-copy. It also counts chained members: near
// group members that are within none of the run's thresholds of their kept
// image.
//
// -leave-out mirror leaves every pair that holds a copy of those
// transformations out of the overall P, R and F1 (their columns stay), and
// -plain-phash H -images DIR adds a row for a plain pHash (pHash against
// pHash only, no mirror or crop comparison) predicting every pair within H
// bits of each other, as a peer tool does, hashed from the files.
//
//	go run ./bench/dups/score -truth set/truth.csv [-leave-out mirror] [-plain-phash 10 -images DIR] dups.json...
package main

import (
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/vecimg/vecimg/embed/preprocess"
	"github.com/vecimg/vecimg/internal/phash"
)

type member struct {
	ID        string   `json:"id"`
	Keep      bool     `json:"keep"`
	Distance  float64  `json:"distance"`
	PHash     int      `json:"phash_distance"`
	DHash     int      `json:"dhash_distance"`
	MatchedBy []string `json:"matched_by"`
}

type result struct {
	Thresholds struct {
		Vector float64 `json:"vector"`
		PHash  int     `json:"phash"`
		DHash  int     `json:"dhash"`
	} `json:"thresholds"`
	Groups []struct {
		Kind    string   `json:"kind"`
		Members []member `json:"members"`
	} `json:"groups"`
	Seconds float64 `json:"seconds"`
}

func main() {
	truthPath := flag.String("truth", "", "truth.csv of makeset")
	leaveOut := flag.String("leave-out", "", "comma-separated transformations left out of the overall figures")
	plain := flag.Int("plain-phash", -1, "add a plain pHash row at this threshold (needs -images)")
	imgDir := flag.String("images", "", "the set's images folder, for -plain-phash")
	flag.Parse()
	left := map[string]bool{}
	for _, t := range strings.Split(*leaveOut, ",") {
		if t != "" {
			left[t] = true
		}
	}
	f, err := os.Open(*truthPath)
	if err != nil {
		log.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		log.Fatal(err)
	}
	type img struct{ orig, scene, t string }
	truth := map[string]img{}
	var ids []string
	var transforms []string
	seenT := map[string]bool{}
	for _, r := range rows[1:] {
		truth[r[0]] = img{r[1], r[2], r[3]}
		ids = append(ids, r[0])
		if r[3] != "orig" && !seenT[r[3]] {
			seenT[r[3]] = true
			transforms = append(transforms, r[3])
		}
	}
	fmt.Println("| run | thresholds | P | R | F1 | chained | same-scene pairs joined | " + strings.Join(transforms, " R / P | ") + " R / P |")
	fmt.Println("|---|---|---:|---:|---:|---:|---:|" + strings.Repeat("---:|", len(transforms)))
	runs := flag.Args()
	var plainHash map[string]uint64
	if *plain >= 0 {
		plainHash = map[string]uint64{}
		ents, err := os.ReadDir(*imgDir)
		if err != nil {
			log.Fatal(err)
		}
		for _, e := range ents {
			b, err := os.ReadFile(filepath.Join(*imgDir, e.Name()))
			if err != nil {
				log.Fatal(err)
			}
			img, _, err := preprocess.Decode(b, e.Name(), preprocess.Limits{})
			if err != nil {
				log.Fatal(err)
			}
			plainHash[strings.TrimSuffix(e.Name(), filepath.Ext(e.Name()))] = phash.FromImage(img).PHash
		}
		runs = append(runs, "")
	}
	for _, path := range runs {
		var res result
		if path != "" {
			b, err := os.ReadFile(path)
			if err != nil {
				log.Fatal(err)
			}
			if err := json.Unmarshal(b, &res); err != nil {
				log.Fatal(path, err)
			}
		}
		// group of each image: union of the groups it is in
		parent := map[string]string{}
		var find func(string) string
		find = func(x string) string {
			if p, ok := parent[x]; ok && p != x {
				r := find(p)
				parent[x] = r
				return r
			}
			parent[x] = x
			return x
		}
		chained := 0
		th := res.Thresholds
		for _, g := range res.Groups {
			for _, m := range g.Members {
				parent[find(m.ID)] = find(g.Members[0].ID)
				if g.Kind == "near" && !m.Keep {
					ok := (th.Vector >= 0 && m.Distance <= th.Vector) || (th.PHash >= 0 && m.PHash >= 0 && m.PHash <= th.PHash) ||
						(th.DHash >= 0 && m.DHash >= 0 && m.DHash <= th.DHash)
					if !ok {
						chained++
					}
				}
			}
		}
		group := func(id string) string {
			if _, ok := parent[id]; !ok {
				return "single:" + id
			}
			return find(id)
		}
		predicted := func(a, b string) bool { return group(a) == group(b) }
		if path == "" {
			predicted = func(a, b string) bool { return phash.Distance(plainHash[a], plainHash[b]) <= *plain }
		}
		tp, fp, pos, scenePairs := 0, 0, 0, 0
		tpT, posT, touchTP, touchFP := map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
		for i, a := range ids {
			for _, bID := range ids[i+1:] {
				ta, tb := truth[a], truth[bID]
				same := ta.orig == tb.orig
				pred := predicted(a, bID)
				if !same && ta.scene == tb.scene {
					if pred {
						scenePairs++
					}
					continue
				}
				if !left[ta.t] && !left[tb.t] {
					if same {
						pos++
					}
					if pred && same {
						tp++
					} else if pred {
						fp++
					}
				}
				if same && (ta.t == "orig") != (tb.t == "orig") { // (original, copy)
					t := ta.t + tb.t
					t = strings.TrimPrefix(strings.TrimSuffix(t, "orig"), "orig")
					posT[t]++
					if pred {
						tpT[t]++
					}
				}
				if pred {
					for _, t := range uniq(ta.t, tb.t) {
						if t == "orig" {
							continue
						}
						if same {
							touchTP[t]++
						} else {
							touchFP[t]++
						}
					}
				}
			}
		}
		p, r := ratio(tp, tp+fp), ratio(tp, pos)
		f1 := 0.0
		if p+r > 0 {
			f1 = 2 * p * r / (p + r)
		}
		var cells []string
		for _, t := range transforms {
			cells = append(cells, fmt.Sprintf("%.3f / %.3f", ratio(tpT[t], posT[t]), ratio(touchTP[t], touchTP[t]+touchFP[t])))
		}
		words := []string{}
		if th.Vector >= 0 {
			words = append(words, fmt.Sprintf("D ≤ %.4g", th.Vector))
		}
		if th.PHash >= 0 {
			words = append(words, fmt.Sprintf("pHash ≤ %d", th.PHash))
		}
		if th.DHash >= 0 {
			words = append(words, fmt.Sprintf("dHash ≤ %d", th.DHash))
		}
		name := strings.TrimSuffix(path[strings.LastIndex(path, "/")+1:], ".json")
		if path == "" {
			name, words = "plain-pHash", []string{fmt.Sprintf("pHash ≤ %d (plain, all pairs)", *plain)}
		}
		fmt.Printf("| %s | %s | %.3f | %.3f | %.3f | %d | %d | %s |\n", name, strings.Join(words, " or "), p, r, f1, chained, scenePairs, strings.Join(cells, " | "))
	}
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func uniq(a, b string) []string {
	if a == b {
		return []string{a}
	}
	return []string{a, b}
}
