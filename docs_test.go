package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	ucli "github.com/urfave/cli/v2"

	"github.com/vecimg/vecimg/cli"
	"github.com/vecimg/vecimg/embed"
)

// docCommands returns every `vecimg …` command line written in the README
// and docs/*.md: code blocks (indented or fenced) and inline code, with the
// file it came from.
func docCommands(t *testing.T) map[string][]string {
	t.Helper()
	files, _ := filepath.Glob("docs/*.md")
	files = append([]string{"README.md"}, files...)
	inline := regexp.MustCompile("`(vecimg [^`]+)`")
	out := map[string][]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		fenced := false
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(strings.TrimSpace(l), "```") {
				fenced = !fenced
				continue
			}
			code := strings.TrimSpace(l)
			if (fenced || strings.HasPrefix(l, "    ")) && strings.Contains(code, "vecimg ") {
				if i := strings.Index(code, "vecimg "); i >= 0 && (i == 0 || strings.ContainsAny(code[i-1:i], " /=(")) && !strings.Contains(code[:i], "#") {
					out[f] = append(out[f], code[i:])
				}
				continue
			}
			for _, m := range inline.FindAllStringSubmatch(l, -1) {
				out[f] = append(out[f], m[1])
			}
		}
	}
	return out
}

// words cuts a documented command line at a shell comment, pipe or
// redirection and drops the brackets and ellipses of its notation.
func words(line string) []string {
	var w []string
	sub := false // inside $( … )
	for _, f := range strings.Fields(line) {
		if sub || strings.Contains(f, "$(") {
			sub = !strings.Contains(f, ")")
			continue
		}
		if strings.HasPrefix(f, "#") || f == "|" || f == "&&" || f == ">" || f == "2>&1" || f == ";" {
			break
		}
		f = strings.Trim(f, "[]()`;,")
		if f == "" || f == "..." || strings.HasPrefix(f, "$(") {
			continue
		}
		w = append(w, f)
	}
	return w
}

// flagSet is the names of flags, with their dashes.
func flagSet(flags []ucli.Flag) map[string]bool {
	m := map[string]bool{"--help": true, "-h": true}
	for _, f := range flags {
		for _, n := range f.Names() {
			m["-"+n], m["--"+n] = true, true // Go's flag package takes either
		}
	}
	return m
}

// TestDocumentedCommands walks every vecimg command the README and docs
// write down: the command exists and every flag it shows is one of that
// command's (or a global one), so the docs cannot drift from --help
// (issue 21.17).
func TestDocumentedCommands(t *testing.T) {
	a := cli.App()
	global := flagSet(a.Flags)
	global["--version"], global["-v"] = true, true
	n := 0
	for file, lines := range docCommands(t) {
		for _, line := range lines {
			w := words(line)[1:]
			var cmd *ucli.Command
			for i := 0; i < len(w); i++ {
				tok := w[i]
				name, _, _ := strings.Cut(tok, "=")
				if tok == "--" {
					break
				}
				if strings.HasPrefix(tok, "-") && len(tok) > 1 {
					known := global[name]
					if cmd != nil {
						known = known || flagSet(cmd.Flags)[name]
					}
					if !known && strings.Contains(name, "-") && !strings.ContainsAny(name, "<>") {
						where := "vecimg"
						if cmd != nil {
							where = "vecimg " + cmd.Name
						}
						t.Errorf("%s: %q: %s has no flag %s", file, line, where, name)
					}
					continue
				}
				if cmd == nil && (i == 0 || !strings.HasPrefix(w[i-1], "--db") && w[i-1] != "--ort-lib") {
					if tok == "help" {
						break
					}
					if cmd = a.Command(tok); cmd == nil {
						if strings.ContainsAny(tok, "<>…") || strings.ToUpper(tok) == tok {
							break // a placeholder ("vecimg COMMAND --help")
						}
						t.Errorf("%s: %q: no command %q", file, line, tok)
						break
					}
					n++
				} else if cmd != nil && len(cmd.Subcommands) > 0 {
					if sub := cmd.Command(tok); sub != nil {
						cmd = sub
					}
				}
			}
		}
	}
	if n < 30 {
		t.Errorf("only %d documented commands found: the walk is broken", n)
	}
}

// TestFrontPageCommands runs the README's three commands, on the test
// images (as photos/, with 1.png for 123.jpg) and the small test weights.
func TestFrontPageCommands(t *testing.T) {
	if _, err := embed.LoadRuntime(""); err != nil && os.Getenv("VECIMG_REQUIRE_ORT") == "" {
		t.Skip("ONNX Runtime not available (make ort)")
	}
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sec, _ := strings.Cut(string(b), "## The three commands")
	sec, _, _ = strings.Cut(sec, "\n## ")
	dir := t.TempDir()
	photos := filepath.Join(dir, "photos")
	os.MkdirAll(photos, 0o755)
	for _, f := range []string{"1.png", "2.png", "3.png", "4.jpg"} {
		data, _ := os.ReadFile(filepath.Join("testdata/images", f))
		os.WriteFile(filepath.Join(photos, f), data, 0o644)
	}
	t.Chdir(dir)
	var ran []string
	for _, l := range strings.Split(sec, "\n") {
		if !strings.HasPrefix(l, "    vecimg ") {
			continue
		}
		w := words(strings.TrimSpace(l))[1:]
		for i, x := range w {
			switch x {
			case "123.jpg":
				w[i] = "1.png"
			case "--k":
				w[i+1] = "2" // four test images
			}
		}
		if w[0] == "ingest" {
			w = append(w, "--weights", testWeights)
		}
		a := cli.App()
		var out, errOut bytes.Buffer
		a.Writer, a.ErrWriter = &out, &errOut
		if err := cli.Run(context.Background(), a, append([]string{"vecimg"}, w...)); err != nil {
			t.Errorf("README: vecimg %s: %v\n%s", strings.Join(w, " "), err, errOut.String())
		}
		ran = append(ran, w[0])
	}
	if strings.Join(ran, " ") != "ingest similar cluster" {
		t.Errorf("ran %v from the README's three commands", ran)
	}
}
