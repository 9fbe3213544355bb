package merge

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors; the typed errors below carry the facts.
var (
	// ErrConflict: Refuse found ids that hold different content in
	// different places; nothing was written. The error is a
	// *ConflictError.
	ErrConflict = errors.New("the same id holds different content in two inputs")
	// ErrRenameTaken: Rename gave a conflicting record a new id that is
	// taken. The error is a *RenameError.
	ErrRenameTaken = errors.New("a renamed id is taken")
)

// ConflictError is returned when Refuse finds conflicts; nothing was
// written. It matches ErrConflict.
type ConflictError struct {
	Conflicts []Conflict // at most MaxReported
	Total     int
}

func (e *ConflictError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "merge refused: %d id(s) hold different content (image hash or vector) in different inputs: ", e.Total)
	for i, c := range e.Conflicts {
		if i == 5 {
			fmt.Fprintf(&b, ", …")
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%q in %s", c.ID, strings.Join(c.Holders, " and "))
	}
	b.WriteString("; nothing was written")
	return b.String()
}

func (e *ConflictError) Unwrap() error { return ErrConflict }

// RenameError says that the new id Rename gave a conflicting record is
// taken: by a record of the input Holder, or (Output) by a different record
// already in the output store. The merge stops there; what was committed
// stays. It matches ErrRenameTaken.
type RenameError struct {
	ID     string // the new id ("<id>~<n>")
	Holder string // the input holding ID, when not Output
	Output bool   // the output store holds a different record under ID
}

func (e *RenameError) Error() string {
	if e.Output {
		return fmt.Sprintf("merge: the renamed id %q is already held by a different record in the output store", e.ID)
	}
	return fmt.Sprintf("merge: id %q is held by %s and is also the new id of a renamed conflicting record", e.ID, e.Holder)
}

// Unwrap makes errors.Is(err, ErrRenameTaken) true.
func (e *RenameError) Unwrap() error { return ErrRenameTaken }
