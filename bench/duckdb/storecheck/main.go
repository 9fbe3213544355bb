// Command storecheck prints, as JSON, what bench/parquet_duckdb.sh compares
// DuckDB's reading of a Parquet export against, read from the store itself:
// the record count, the count of records per cluster label (null for
// unlabelled), and one record's vector as float32 bit patterns.
//
//	go run ./bench/duckdb/storecheck -db STORE [-id ID]
//
// Without -id it picks the record in the middle of the id order.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"

	"github.com/vecimg/vecimg/store"
)

type result struct {
	Count  int              `json:"count"`
	Dim    int              `json:"dim"`
	ID     string           `json:"id"`
	Bits   []string         `json:"vector_bits"` // hex float32 bits
	Labels map[string]int64 `json:"labels"`      // "null" for unlabelled
}

func main() {
	db := flag.String("db", "", "store folder")
	id := flag.String("id", "", "record whose vector to print (default: the middle one in id order)")
	flag.Parse()
	if err := run(*db, *id); err != nil {
		fmt.Fprintln(os.Stderr, "storecheck:", err)
		os.Exit(1)
	}
}

func run(db, id string) error {
	st, err := store.Open(db, store.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := st.Count()
	if err != nil {
		return err
	}
	m, _, err := st.Manifest()
	if err != nil {
		return err
	}
	res := result{Count: n, Dim: m.Dim, Labels: map[string]int64{}}
	i := 0
	err = st.Scan(context.Background(), func(r *store.Record) error {
		key := "null"
		if r.Meta.Label >= 0 {
			key = fmt.Sprint(r.Meta.Label)
		}
		res.Labels[key]++
		if (id == "" && i == n/2) || (id != "" && r.ID == id) {
			res.ID = r.ID
			for _, f := range r.Vector {
				res.Bits = append(res.Bits, fmt.Sprintf("%08x", math.Float32bits(f)))
			}
		}
		i++
		return nil
	})
	if err != nil {
		return err
	}
	if res.ID == "" {
		return fmt.Errorf("no record %q", id)
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}
