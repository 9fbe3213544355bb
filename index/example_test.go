package index_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/vecimg/vecimg/index"
)

func Example() {
	x, err := index.New(3, index.Config{Seed: 1})
	if err != nil {
		panic(err)
	}
	// Vectors are normalised on insert: only their direction counts.
	x.Add("red", []float32{1, 0, 0})
	x.Add("orange", []float32{2, 1, 0})
	x.Add("green", []float32{0, 1, 0})
	x.Add("blue", []float32{0, 0, 5})

	res, _ := x.Search([]float32{1, 0.1, 0}, 2)
	for _, r := range res {
		fmt.Printf("%s %.3f\n", r.ID, r.Distance)
	}

	// Query by a stored id: its own vector, itself left out.
	res, _ = x.SearchID("green", index.SearchOptions{K: 1})
	fmt.Println("nearest to green:", res[0].ID)

	path := filepath.Join(os.TempDir(), "example.hnsw")
	defer os.Remove(path)
	if err := x.Save(path, 7); err != nil {
		panic(err)
	}
	y, generation, err := index.Load(path)
	if err != nil {
		panic(err)
	}
	fmt.Println("loaded", y.Len(), "vectors, store generation", generation)
	// Output:
	// red 0.005
	// orange 0.066
	// nearest to green: orange
	// loaded 4 vectors, store generation 7
}
