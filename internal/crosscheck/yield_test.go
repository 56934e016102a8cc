package crosscheck

import "runtime"

// runtimeYield lets other goroutines run while a test polls for a condition it cannot wait on
// with a channel (the emulator's call log).
func runtimeYield() { runtime.Gosched() }
