package cluster

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestWriteSubmissionNaturalOrder(t *testing.T) {
	var buf bytes.Buffer
	ids := []string{"10", "2", "1", "33"}
	labels := []int32{0, 1, 2, 1}
	if err := WriteSubmission(&buf, ids, labels, nil); err != nil {
		t.Fatal(err)
	}
	want := "ImageID,label\n1,2\n2,1\n10,0\n33,1\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
}

func TestWriteSubmissionTemplate(t *testing.T) {
	ids := []string{"1", "2", "3", "4", "a,b"}
	labels := []int32{3, 2, 1, 0, 4}
	cases := []struct {
		name, template, want string
	}{
		{
			"template order, label filled",
			"ImageID,label\n3,0\n1,0\n2,0\n",
			"ImageID,label\n3,1\n1,3\n2,2\n",
		},
		{
			"BOM, quotes, other columns kept, label in the middle",
			"\ufeff\"ImageID\",Label,note\n\"4\",,\"hello, world\"\n\"a,b\",9,x\n",
			"ImageID,Label,note\n4,0,\"hello, world\"\n\"a,b\",4,x\n",
		},
		{
			"no label column: appended",
			"id,ImageID\nfoo,2\nbar,1\n",
			"id,ImageID,label\nfoo,2,2\nbar,1,3\n",
		},
		{
			"no ImageID column: first column, spaces trimmed",
			"name,extra\r\n 3 ,z\r\n",
			"name,extra,label\n\" 3 \",z,1\n", // encoding/csv quotes a leading space
		},
		{
			"subset of ids (a repeated id is refused: TestWriteSubmissionRefusesBadTemplates)",
			"ImageID,label\n2,\n",
			"ImageID,label\n2,2\n",
		},
	}
	for _, tc := range cases {
		var buf bytes.Buffer
		if err := WriteSubmission(&buf, ids, labels, strings.NewReader(tc.template)); err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if buf.String() != tc.want {
			t.Errorf("%s: got\n%q\nwant\n%q", tc.name, buf.String(), tc.want)
		}
	}
}

func TestWriteSubmissionMissingIDs(t *testing.T) {
	var tpl strings.Builder
	tpl.WriteString("ImageID,label\n1,0\n")
	for i := range 25 {
		fmt.Fprintf(&tpl, "m%d,0\n", i)
	}
	var buf bytes.Buffer
	err := WriteSubmission(&buf, []string{"1"}, []int32{0}, strings.NewReader(tpl.String()))
	var missing *MissingIDsError
	if !errors.As(err, &missing) {
		t.Fatalf("err %v, want *MissingIDsError", err)
	}
	if len(missing.IDs) != 25 || missing.IDs[0] != "m0" || missing.IDs[24] != "m24" {
		t.Errorf("missing ids %v", missing.IDs)
	}
	msg := err.Error()
	if !strings.Contains(msg, "25 template id(s)") || !strings.Contains(msg, "m19") || strings.Contains(msg, "m20,") || !strings.Contains(msg, "and 5 more") {
		t.Errorf("message %q", msg)
	}
	if buf.Len() != 0 {
		t.Errorf("output written despite the error: %q", buf.String())
	}
}

func TestWriteSubmissionErrors(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteSubmission(&buf, []string{"1"}, nil, nil); !errors.Is(err, ErrLengthMismatch) {
		t.Errorf("length mismatch: %v", err)
	}
	if err := WriteSubmission(&buf, []string{"1", "1"}, []int32{0, 1}, nil); !errors.Is(err, ErrDuplicateID) {
		t.Errorf("duplicate: %v", err)
	}
	if err := WriteSubmission(&buf, []string{"1"}, []int32{0}, strings.NewReader("")); !errors.Is(err, ErrTemplate) {
		t.Errorf("empty template: %v", err)
	}
	if err := WriteSubmission(&buf, []string{"1"}, []int32{0}, strings.NewReader("ImageID,label\n1,0,extra\n")); !errors.Is(err, ErrTemplate) {
		t.Errorf("ragged template: %v", err)
	}
	if err := WriteSubmission(&buf, []string{"1"}, []int32{0}, strings.NewReader("ImageID,label\n\"1,0\n")); !errors.Is(err, ErrTemplate) {
		t.Errorf("bad quoting: %v", err)
	}
}
