package cluster

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Functions wrap them with context (which option, which id,
// which file); test for them with errors.Is.
var (
	// ErrInvalidOptions reports an Options value that cannot be used
	// (K < 1, a negative batch size, ...).
	ErrInvalidOptions = errors.New("cluster: invalid options")

	// ErrEmptySource reports a Source with no vectors or with dimension 0.
	ErrEmptySource = errors.New("cluster: source has no vectors")

	// ErrTooFewVectors reports a Source with fewer vectors than clusters requested.
	ErrTooFewVectors = errors.New("cluster: fewer vectors than clusters")

	// ErrBadVector reports a vector whose length differs from Source.Dim or
	// that holds NaN or ±Inf.
	ErrBadVector = errors.New("cluster: bad vector")

	// ErrSourceChanged reports a Source whose Scan disagreed with its Len or
	// yielded indices out of order (for example because the store was written
	// to while clustering).
	ErrSourceChanged = errors.New("cluster: source changed during clustering")

	// ErrBadKRange reports a k list such as "12..2" or "x" that ParseKs cannot read.
	ErrBadKRange = errors.New("cluster: bad k range")

	// ErrLengthMismatch reports parallel slices (ids and labels) of different lengths.
	ErrLengthMismatch = errors.New("cluster: length mismatch")

	// ErrDuplicateID reports an id that appears twice where ids must be unique.
	ErrDuplicateID = errors.New("cluster: duplicate id")

	// ErrTemplate reports a submission template that cannot be used (no
	// header, unreadable CSV).
	ErrTemplate = errors.New("cluster: bad submission template")
)

// maxListedIDs is how many missing ids MissingIDsError.Error spells out.
const maxListedIDs = 20

// MissingIDsError is returned by WriteSubmission when template rows name ids
// that have no label. IDs holds every missing id, in template order; the
// message lists the first 20 and the count of the rest.
type MissingIDsError struct {
	IDs []string
}

func (e *MissingIDsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "cluster: %d template id(s) have no label (not in the clustered set): ", len(e.IDs))
	n := min(len(e.IDs), maxListedIDs)
	b.WriteString(strings.Join(e.IDs[:n], ", "))
	if len(e.IDs) > n {
		fmt.Fprintf(&b, " and %d more", len(e.IDs)-n)
	}
	b.WriteString("; ingest those images or use a template that matches the store")
	return b.String()
}
