package cluster

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Submission CSV column names.
const (
	IDColumn    = "ImageID"
	LabelColumn = "label"
)

// WriteSubmission writes one CSV row per image with its cluster label
// (labels[i] belongs to ids[i]).
//
// Without a template (template nil) the header is "ImageID,label" and the
// rows follow the ids in NaturalLess order. With a template CSV the output
// has the template's header and rows, in the template's order, with every
// other column kept as is: the label column (named "label", any case) is
// filled in, or appended as the last column when the template has none. The
// id column is the one named "ImageID" (any case), else the first column;
// ids are compared after trimming spaces. A UTF-8 byte-order mark and quoted
// fields in the template are understood. Ids that are not in the template
// are left out. If template rows name ids that have no label, nothing is
// written and the error is a *MissingIDsError listing them.
func WriteSubmission(w io.Writer, ids []string, labels []int32, template io.Reader) error {
	if len(ids) != len(labels) {
		return fmt.Errorf("%w: %d ids but %d labels", ErrLengthMismatch, len(ids), len(labels))
	}
	byID := make(map[string]int32, len(ids))
	for i, id := range ids {
		if _, dup := byID[id]; dup {
			return fmt.Errorf("%w: %q", ErrDuplicateID, id)
		}
		byID[id] = labels[i]
	}
	if template == nil {
		order := make([]int, len(ids))
		for i := range order {
			order[i] = i
		}
		slices.SortFunc(order, func(a, b int) int {
			return NaturalCompare(ids[a], ids[b])
		})
		cw := csv.NewWriter(w)
		if err := cw.Write([]string{IDColumn, LabelColumn}); err != nil {
			return fmt.Errorf("writing submission: %w", err)
		}
		for _, i := range order {
			if err := cw.Write([]string{ids[i], strconv.Itoa(int(labels[i]))}); err != nil {
				return fmt.Errorf("writing submission: %w", err)
			}
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return fmt.Errorf("writing submission: %w", err)
		}
		return nil
	}
	return fillTemplate(w, byID, template)
}

// fillTemplate reads the whole template first, so that a template with
// missing ids produces no output at all.
func fillTemplate(w io.Writer, byID map[string]int32, template io.Reader) error {
	br := bufio.NewReader(template)
	if bom, err := br.Peek(3); err == nil && bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.ReuseRecord = false
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: empty file, expected a header such as %s,%s", ErrTemplate, IDColumn, LabelColumn)
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrTemplate, err)
	}
	idCol, labelCol := 0, -1
	for j, h := range header {
		switch {
		case strings.EqualFold(strings.TrimSpace(h), IDColumn):
			idCol = j
		case strings.EqualFold(strings.TrimSpace(h), LabelColumn) && labelCol < 0:
			labelCol = j
		}
	}
	if labelCol < 0 {
		labelCol = len(header)
		header = append(header, LabelColumn)
	}
	var rows [][]string
	var missing []string
	seen := map[string]int{} // id → its first data row (1-based, after the header)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%w: %w", ErrTemplate, err)
		}
		if labelCol == len(rec) {
			rec = append(rec, "")
		}
		id := strings.TrimSpace(rec[idCol])
		if first, dup := seen[id]; dup {
			return fmt.Errorf("%w: id %q is on data rows %d and %d; each image must be named once", ErrTemplate, id, first, len(rows)+1)
		}
		seen[id] = len(rows) + 1
		if l, ok := byID[id]; ok {
			rec[labelCol] = strconv.Itoa(int(l))
		} else {
			missing = append(missing, id)
		}
		rows = append(rows, rec)
	}
	if len(rows) == 0 {
		return fmt.Errorf("%w: a header and no rows: the template must list the ids to label", ErrTemplate)
	}
	if len(missing) > 0 {
		return &MissingIDsError{IDs: missing}
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("writing submission: %w", err)
	}
	if err := cw.WriteAll(rows); err != nil {
		return fmt.Errorf("writing submission: %w", err)
	}
	return nil
}
