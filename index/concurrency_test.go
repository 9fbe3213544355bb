package index

import (
	"bytes"
	"math/rand/v2"
	"sync"
	"testing"
)

// TestConcurrentUse runs searches of every kind, reads and saves while one
// writer adds, replaces and deletes. Run with -race.
func TestConcurrentUse(t *testing.T) {
	m := mixture{Dim: 16, Components: 4, Latent: 3, Spread: 1, Noise: 0.3, Seed: 21}
	base, qs := m.generate(600, 40)
	x := mustNew(t, 16, Config{M: 6, EfConstruction: 32, ExactBelow: 200})
	for i, v := range base[:300] {
		if err := x.Add(idOf(i), v); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for r := range 4 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(r), 1))
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				q := qs[rng.IntN(len(qs))]
				var err error
				switch i % 6 {
				case 0:
					_, err = x.Search(q, 5)
				case 1:
					_, err = x.SearchExact(q, 5)
				case 2:
					_, err = x.SearchWith(q, SearchOptions{K: 5, Method: Graph, Exclude: []string{"1"}})
				case 3:
					if _, err = x.SearchID(idOf(rng.IntN(300)), SearchOptions{K: 3}); err != nil {
						err = nil // the id may be deleted right now
					}
				case 4:
					x.Vector(idOf(rng.IntN(600)))
					x.Len()
					x.IDs()
				case 5:
					_, err = x.WriteTo(&bytes.Buffer{})
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for i, v := range base[300:] {
		id := idOf(300 + i)
		if err := x.Add(id, v); err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			x.Delete(idOf(i))
		}
		if i%5 == 0 {
			if err := x.Add(idOf(i+1), qs[i%len(qs)]); err != nil {
				t.Fatal(err)
			}
		}
		if i%50 == 0 {
			if err := x.AddBatch([]string{"b" + id, "c" + id}, [][]float32{qs[0], qs[1]}); err != nil {
				t.Fatal(err)
			}
		}
	}
	close(stop)
	wg.Wait()
	checkGraph(t, x)
	if r, err := x.Recall(qs, SearchOptions{K: 10}); err != nil || r < 0.95 {
		t.Fatalf("recall after concurrent use: %.4f %v", r, err)
	}
}
