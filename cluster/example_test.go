package cluster_test

import (
	"bytes"
	"context"
	"fmt"

	"github.com/vecimg/vecimg/cluster"
)

func ExampleFit() {
	ids := []string{"10", "2", "7", "1", "3"}
	vecs := [][]float32{{0, 0}, {9, 9}, {0, 1}, {10, 9}, {1, 0}}
	res, err := cluster.Fit(context.Background(), cluster.FromSlices(ids, vecs), cluster.Options{K: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("sizes:", res.Sizes)
	fmt.Printf("inertia: %.3f\n", res.Inertia)

	var csv bytes.Buffer
	if err := cluster.WriteSubmission(&csv, res.IDs, res.Labels, nil); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(csv.String())
	// Output:
	// sizes: [3 2]
	// inertia: 1.833
	// ImageID,label
	// 1,1
	// 2,1
	// 3,0
	// 7,0
	// 10,0
}
