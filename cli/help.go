package cli

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/urfave/cli/v2"
)

// flagStringer is urfave/cli's flag line without the defaults it adds
// twice or to no purpose: a usage that states its own default ("default:
// number of CPUs") gets no second "(default: 0)", and a switch no
// "(default: false)".
func flagStringer(base cli.FlagStringFunc) cli.FlagStringFunc {
	return func(f cli.Flag) string {
		s := base(f)
		df, ok := f.(cli.DocGenerationFlag)
		if !ok {
			return s
		}
		def := fmt.Sprintf(" (default: %s)", df.GetDefaultText())
		if bf, isBool := f.(*cli.BoolFlag); (isBool && !bf.Value) || strings.Contains(df.GetUsage(), "(default") || strings.Contains(df.GetUsage(), "default:") {
			if i := strings.LastIndex(s, def); i >= 0 {
				s = s[:i] + s[i+len(def):]
			}
		}
		return s
	}
}

// versionText is what --version prints: the module version and VCS commit
// from the build information, and the ONNX Runtime version vecimg loads.
func versionText(ortVersion string) string {
	v, commit, dirty := Version, Commit, false
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if commit == "" {
					commit = s.Value
				}
			case "vcs.modified":
				dirty = dirty || s.Value == "true"
			}
		}
	}
	out := "vecimg " + v
	if commit != "" {
		if len(commit) > 12 {
			commit = commit[:12]
		}
		if dirty {
			commit += " (modified)"
		}
		out += ", commit " + commit
	}
	return out + ", ONNX Runtime " + ortVersion
}

// suggest returns the closest of names to s when it is close enough to be
// a typo (edit distance at most 2, or a prefix), else "".
func suggest(s string, names []string) string {
	best, bestD := "", 3
	for _, n := range names {
		if d := editDistance(s, n); d < bestD || (d == bestD && best == "") {
			best, bestD = n, d
		}
	}
	if best == "" {
		for _, n := range names {
			if len(s) >= 2 && strings.HasPrefix(n, s) {
				return n
			}
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// commandNames lists the names (and aliases) of cmds.
func commandNames(cmds []*cli.Command) []string {
	var out []string
	for _, c := range cmds {
		out = append(out, c.Names()...)
	}
	return out
}

// flagNames lists the flag names of flags, with their dashes.
func flagNames(flags []cli.Flag) []string {
	var out []string
	for _, f := range flags {
		for _, n := range f.Names() {
			if len(n) == 1 {
				out = append(out, "-"+n)
			} else {
				out = append(out, "--"+n)
			}
		}
	}
	return out
}

// unknownFlagHint turns urfave/cli's "flag provided but not defined: -kk"
// into a hint naming the closest flag of the command, or "".
func unknownFlagHint(err error, flags []cli.Flag) string {
	const marker = "flag provided but not defined: "
	msg := err.Error()
	i := strings.Index(msg, marker)
	if i < 0 {
		return ""
	}
	name := strings.TrimLeft(strings.Fields(msg[i+len(marker):] + " ")[0], "-")
	var bare []string
	for _, n := range flagNames(flags) {
		bare = append(bare, strings.TrimLeft(n, "-"))
	}
	if s := suggest(name, bare); s != "" {
		if len(s) == 1 {
			return "; did you mean -" + s + "?"
		}
		return "; did you mean --" + s + "?"
	}
	return ""
}
