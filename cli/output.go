package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/urfave/cli/v2"
)

// followLinksFlag is ingest's and serve's --follow-links.
func followLinksFlag() cli.Flag {
	return &cli.BoolFlag{Name: "follow-links", Usage: "follow symbolic links that lead out of the folder (by default they are listed as bad files, and serve does not serve files they reach)"}
}

// jsonFlag is the --json flag every command with a result takes.
func jsonFlag() cli.Flag { return &cli.BoolFlag{Name: "json", Usage: "print the result as JSON"} }

// emit prints an operation's result: as indented JSON with --json, else
// through the command's text printer. It is the only place that looks at
// --json.
func emit[T any](c *cli.Context, res T, text func(w io.Writer, res T) error) error {
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	return text(c.App.Writer, res)
}

// table prints aligned columns. String cells are escaped (escapeText).
type table struct{ tw *tabwriter.Writer }

func newTable(w io.Writer, header ...any) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
	if len(header) > 0 {
		t.row(header...)
	}
	return t
}

func (t *table) row(cells ...any) {
	for i, c := range cells {
		if i > 0 {
			fmt.Fprint(t.tw, "\t")
		}
		if str, ok := c.(string); ok {
			c = escapeText(str)
		}
		fmt.Fprint(t.tw, c)
	}
	fmt.Fprintln(t.tw)
}

func (t *table) flush() error { return t.tw.Flush() }

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// escapeText makes an id, path or message safe to print on a terminal:
// control characters (and invalid UTF-8 bytes) are shown as \x1b, \n, \t …,
// so that a file name cannot colour the terminal or break a line or a table.
func escapeText(s string) string {
	clean := true
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError || (r >= 0x80 && r < 0xa0) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r >= 0x80 && r < 0xa0:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// quoteText is escapeText in double quotes (for ids in messages).
// ErrorText is err's message as main prints it: control characters and
// bytes that are not UTF-8 escaped as escapeText does (a file name or a
// library's words cannot move the cursor or colour the terminal), its line
// breaks kept.
func ErrorText(err error) string {
	lines := strings.Split(err.Error(), "\n")
	for i, l := range lines {
		lines[i] = escapeText(l)
	}
	return strings.Join(lines, "\n")
}

func quoteText(s string) string { return `"` + strings.ReplaceAll(escapeText(s), `"`, `\"`) + `"` }

// count is "1 image", "2 images": n and the noun, plural unless n is 1
// (nouns whose plural is not noun+"s" give it after a slash: "copy/copies").
func count(n int, noun string) string {
	one, many, ok := strings.Cut(noun, "/")
	if !ok {
		many = one + "s"
	}
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
