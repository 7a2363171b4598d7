//go:build linux

package main

import "golang.org/x/sys/unix"

// harden makes the process non-dumpable and its core limit 0, before the key
// is read: no core dump can hold the key, and other processes of the same
// user can neither ptrace it nor read its /proc/<pid>/environ, mem or maps
// (the kernel makes those files root-owned). Root is not kept out. Failures
// are ignored: they leave the process as it was, which is no worse.
func harden() {
	_ = unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
	_ = unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{Cur: 0, Max: 0})
}
