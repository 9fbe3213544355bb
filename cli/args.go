package cli

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// reorderArgs rewrites a command line so that urfave/cli, which stops
// reading flags at the first positional argument, accepts flags anywhere:
//
//	vecimg similar 123.jpg -k 5           → vecimg similar -k 5 -- 123.jpg
//	vecimg ingest --db other.db data/test → vecimg --db other.db ingest -- data/test
//
// Global flags (the app's own: --db, --ort-lib, --cpuprofile) given after
// the command name move in front of it, unless the command has a flag of
// the same name. A flag takes the next argument as its value unless it is
// a bool flag or written --name=value. "--" ends the flags: everything after
// it is positional (a file named -x.jpg). Positional arguments keep their
// order and are passed after a "--", so none is read as a flag; with
// --help they are dropped (the command's help is shown). Unknown flags stay
// where urfave/cli reports them. args[0] is the program name.
func reorderArgs(a *cli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	globals := flagSet(a.Flags)
	addHelp(globals, a.HideHelp)
	globals["v"], globals["version"] = true, true
	out := []string{args[0]}
	i := 1
	// Global flags before the command stay as they are.
	for i < len(args) && isFlag(args[i]) {
		if args[i] == "--" {
			return args // no command: let urfave/cli say so
		}
		n := flagArity(globals, args[i])
		out = append(out, args[i:min(i+1+n, len(args))]...)
		i += 1 + n
	}
	if i >= len(args) {
		return out
	}
	cmd := findCommand(a.Commands, args[i])
	if cmd == nil {
		return append(out, args[i:]...)
	}
	path := []string{args[i]}
	i++
	// Descend into subcommands (vecimg model build ...).
	for len(cmd.Subcommands) > 0 {
		j := i
		for j < len(args) && isFlag(args[j]) && args[j] != "--" {
			j += 1 + flagArity(flagSet(cmd.Flags), args[j])
		}
		if j >= len(args) {
			break
		}
		sub := findCommand(cmd.Subcommands, args[j])
		if sub == nil {
			break
		}
		path = append(path, args[i:j]...)
		path = append(path, args[j])
		cmd, i = sub, j+1
	}
	local := flagSet(cmd.Flags)
	addHelp(local, false)
	var moved, flags, pos []string
	help := false
	for i < len(args) {
		arg := args[i]
		if arg == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if !isFlag(arg) {
			pos = append(pos, arg)
			i++
			continue
		}
		name := flagName(arg)
		_, isLocal := local[name]
		_, isGlobal := globals[name]
		dst := &flags
		n := flagArity(local, arg)
		if !isLocal && isGlobal && name != "h" && name != "help" {
			dst, n = &moved, flagArity(globals, arg)
		}
		help = help || name == "h" || name == "help"
		end := min(i+1+n, len(args))
		*dst = append(*dst, args[i:end]...)
		i = end
	}
	out = append(out, moved...)
	out = append(out, path...)
	out = append(out, flags...)
	if help {
		return out // help for the command; urfave/cli would read an argument as a help topic
	}
	if len(pos) > 0 {
		out = append(out, "--")
		out = append(out, pos...)
	}
	return out
}

// isFlag reports whether arg is written as a flag ("-" alone is not).
func isFlag(arg string) bool { return len(arg) > 1 && arg[0] == '-' }

// flagName is the name of a flag argument: "--k=5" → "k".
func flagName(arg string) string {
	name := strings.TrimLeft(arg, "-")
	if eq := strings.IndexByte(name, '='); eq >= 0 {
		name = name[:eq]
	}
	return name
}

// flagArity is how many following arguments the flag consumes: 0 for bool
// flags, unknown flags and --name=value, else 1.
func flagArity(set map[string]bool, arg string) int {
	if strings.Contains(arg, "=") {
		return 0
	}
	takesValue, known := set[flagName(arg)]
	if !known || !takesValue {
		return 0
	}
	return 1
}

// flagSet maps every name and alias of flags to whether it takes a value.
func flagSet(flags []cli.Flag) map[string]bool {
	set := map[string]bool{}
	for _, f := range flags {
		_, isBool := f.(*cli.BoolFlag)
		for _, n := range f.Names() {
			set[n] = !isBool
		}
	}
	return set
}

func addHelp(set map[string]bool, hidden bool) {
	if !hidden {
		set["h"], set["help"] = false, false
	}
}

func findCommand(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}
