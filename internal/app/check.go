package app

import (
	"context"
	"errors"

	"github.com/vecimg/vecimg/store"
)

// Problem is one thing Check found wrong.
type Problem struct {
	Where  string `json:"where"`         // "store" or "index"
	Key    string `json:"key,omitempty"` // the store key, or the index file path
	ID     string `json:"id,omitempty"`  // the record it concerns, when known
	Reason string `json:"reason"`
}

// CheckResult is the outcome of Check.
type CheckResult struct {
	Store      string     `json:"store"`
	Records    int        `json:"records"`
	Generation uint64     `json:"generation"`
	Schema     int        `json:"schema"`
	Index      *IndexInfo `json:"index,omitempty"` // nil when there is no index file
	OK         bool       `json:"ok"`
	Problems   []Problem  `json:"problems"`
}

// Check verifies the store (records, hash and path indexes, counters,
// manifest; see store.Check) and the index file beside it (header,
// checksums, dimension, generation) without changing either. Problems are
// listed in the result; the error is ErrCheckFailed when there are any, or
// the error that stopped the check.
func (a *App) Check(ctx context.Context) (CheckResult, error) {
	res := CheckResult{Problems: []Problem{}}
	st, err := a.Store()
	if err != nil {
		return res, err
	}
	res.Store, res.Schema = st.Path(), st.Schema()
	if err := st.Check(); err != nil {
		probs, ok := storeProblems(err)
		if !ok {
			return res, err
		}
		res.Problems = append(res.Problems, probs...)
	}
	if res.Records, err = st.Count(); err != nil {
		return res, err
	}
	if res.Generation, err = st.Generation(); err != nil {
		return res, err
	}
	if man, ok, err := st.Manifest(); err != nil {
		return res, err
	} else if ok {
		var probs []Problem
		res.Index, probs = checkIndexFile(st.Path(), man, res.Generation, res.Records)
		res.Problems = append(res.Problems, probs...)
	}
	res.OK = len(res.Problems) == 0
	if !res.OK {
		return res, ErrCheckFailed
	}
	return res, nil
}

// storeProblems lists the *store.CorruptError problems joined in err; ok is
// false when err is not a check finding (a read error, say).
func storeProblems(err error) (probs []Problem, ok bool) {
	var walk func(e error)
	walk = func(e error) {
		var ce *store.CorruptError
		if c, is := e.(*store.CorruptError); is {
			ce = c
		}
		if ce != nil {
			probs = append(probs, Problem{Where: "store", Key: ce.Key, ID: ce.ID, Reason: ce.Reason})
			return
		}
		switch u := e.(type) {
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				walk(x)
			}
		case interface{ Unwrap() error }:
			if x := u.Unwrap(); x != nil {
				walk(x)
			}
		}
	}
	walk(err)
	return probs, len(probs) > 0 && errors.Is(err, store.ErrCorrupt)
}
