// Package testhook holds hooks that tests set to cause faults the real
// world makes rare and slow to reproduce (a read of a damaged or
// unreachable file that never returns). Each hook is unset in a real run
// and does nothing then; hooks are set and read atomically, so a goroutine
// a test left blocked in one does not race with the next test.
package testhook

import "sync/atomic"

var checkStep, badgerClose atomic.Pointer[func(string, string)]

// SetCheckStep sets (nil: clears) the hook CheckStep calls.
func SetCheckStep(f func(stage, name string)) { set(&checkStep, f) }

// CheckStep is called by store.Check each time its scan reaches a new
// item: stage says what it reads ("record", "hash index entry", "table
// file", ...) and name is the record id or file. A test blocks in its hook
// to make the scan stall on a chosen record.
func CheckStep(stage, name string) { call(&checkStep, stage, name) }

// SetBadgerClose sets (nil: clears) the hook BadgerClose calls.
func SetBadgerClose(f func()) {
	if f == nil {
		set(&badgerClose, nil)
		return
	}
	set(&badgerClose, func(string, string) { f() })
}

// BadgerClose is called by the store just before it closes its badger
// database; a test blocks in its hook to make closing hang.
func BadgerClose() { call(&badgerClose, "", "") }

func set(p *atomic.Pointer[func(string, string)], f func(string, string)) {
	if f == nil {
		p.Store(nil)
		return
	}
	p.Store(&f)
}

func call(p *atomic.Pointer[func(string, string)], a, b string) {
	if f := p.Load(); f != nil {
		(*f)(a, b)
	}
}
