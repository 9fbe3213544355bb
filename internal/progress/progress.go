package progress

// Func receives the progress of long work: stage names the step now
// running (each library documents its stages), done counts its units so far
// out of total; total < 0 means unknown.
//
// A stage begins with a call whose done is 0, or, when the stage resumes
// where it stopped, the units already done. A call naming another stage, or
// the same stage with done below the last call's, begins a new stage (a
// step run again, such as every Lloyd pass of k-means). Within a stage done
// never falls. Calls come from one goroutine at a time, so a Func needs no
// lock of its own; a library calls it often enough to show a rate, not for
// every unit.
type Func func(stage string, done, total int64)

// Report calls f when it is set; a nil Func reports nothing.
func (f Func) Report(stage string, done, total int64) {
	if f != nil {
		f(stage, done, total)
	}
}
