package cluster

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// A template naming an id twice, or with a header and no rows, is refused
// (issue 21.7): each would write a submission that cannot be right.
func TestWriteSubmissionRefusesBadTemplates(t *testing.T) {
	ids, labels := []string{"1", "2"}, []int32{0, 1}
	for name, tmpl := range map[string]string{
		"twice":       "ImageID,label\n1,\n2,\n1,\n",
		"header only": "ImageID,label\n",
	} {
		err := WriteSubmission(io.Discard, ids, labels, strings.NewReader(tmpl))
		if !errors.Is(err, ErrTemplate) {
			t.Errorf("%s: %v, want ErrTemplate", name, err)
		}
	}
}
