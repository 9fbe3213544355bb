// Package types holds what the application layer (internal/app) and its two
// front ends (cli and internal/server) speak: the result types whose json
// tags define the `--json` output and the API's answers, the option structs
// and enums the front ends fill, the defaults they show in --help, and the
// few rules (ids, paths inside a folder) that both the front ends and the
// libraries apply.
//
// It is a leaf: it imports no other vecimg package, so it stays free of cgo
// and either front end can use it without pulling in a library. app
// converts each library result into these types in one place; the
// libraries keep their own types.
//
// JSON conventions: lists are never null (an empty list is []), numbers are
// numbers, and one concept has one name.
package types
