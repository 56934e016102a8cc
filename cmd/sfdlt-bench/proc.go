package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// The harness reads the CPU time and memory of other processes (the emulator child, the
// pipeline child, Postgres' server processes) from /proc: getrusage reports children only once
// they have ended, and never processes that are not its children.

// checkLinux says why the harness cannot run on another system.
func checkLinux() error {
	if runtime.GOOS != "linux" {
		return fmt.Errorf("sfdlt-bench reads the CPU time and peak memory of its emulator and pipeline processes and of Postgres' server from /proc, "+
			"which %s does not have: run it on Linux (a Linux VM or container will do)", runtime.GOOS)
	}
	return nil
}

// userHZ is the unit of the CPU times in /proc/<pid>/stat: clock ticks of USER_HZ, which the
// kernel fixes at 100 per second in its user-space ABI on the architectures Go supports
// (sysconf(_SC_CLK_TCK) needs cgo to ask, and answers 100 there).
const userHZ = 100

// procStat is what the harness reads of /proc/<pid>/stat.
type procStat struct {
	ppid int
	// cpu is the process's own user + system CPU time; children is that of its children it
	// has waited for (cutime + cstime), which is where an ended child's CPU goes.
	cpu, children time.Duration
}

// readProcStat reads /proc/<pid>/stat.
func readProcStat(pid int) (procStat, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return procStat{}, fmt.Errorf("reading the CPU time of process %d: %w", pid, err)
	}
	return parseProcStat(pid, b)
}

// parseProcStat parses a /proc/<pid>/stat line: "pid (comm) state ppid ...", where comm may hold
// spaces and parentheses, so the fields are counted from the last ')'. After it come state (field
// 3 of proc(5)), ppid (4), ..., utime (14), stime (15), cutime (16), cstime (17).
func parseProcStat(pid int, b []byte) (procStat, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("reading the CPU time of process %d: /proc/%d/stat has no command name: %.100q", pid, pid, b)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 15 {
		return procStat{}, fmt.Errorf("reading the CPU time of process %d: /proc/%d/stat has %d fields after the command name, want at least 15", pid, pid, len(f))
	}
	var n [5]int64
	for j, k := range []int{1, 11, 12, 13, 14} { // ppid, utime, stime, cutime, cstime
		v, err := strconv.ParseInt(f[k], 10, 64)
		if err != nil {
			return procStat{}, fmt.Errorf("reading the CPU time of process %d: field %d of /proc/%d/stat is %q, not a number", pid, k+3, pid, f[k])
		}
		n[j] = v
	}
	tick := time.Second / userHZ
	return procStat{ppid: int(n[0]), cpu: time.Duration(n[1]+n[2]) * tick, children: time.Duration(n[3]+n[4]) * tick}, nil
}

// procCPU is the user + system CPU time process pid has used so far.
func procCPU(pid int) (time.Duration, error) {
	st, err := readProcStat(pid)
	return st.cpu, err
}

// procStatusKiB reads a "kB" line of /proc/<pid>/status ("self" for this process), such as
// VmHWM (the peak resident set size) or VmRSS.
func procStatusKiB(pid, key string) (int64, error) {
	b, err := os.ReadFile(filepath.Join("/proc", pid, "status"))
	if err != nil {
		return 0, fmt.Errorf("reading %s of process %s: %w", key, pid, err)
	}
	return parseKiBLine(b, "/proc/"+pid+"/status", key)
}

// parseKiBLine finds "key: <n> kB" in the text of a /proc file named name.
func parseKiBLine(b []byte, name, key string) (int64, error) {
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("reading %s: %s has %s:%s, not a number of kB", key, name, key, strings.TrimSpace(v))
			}
			return kb, nil
		}
	}
	return 0, fmt.Errorf("reading %s: %s has no %s line", key, name, key)
}

// memTotalKiB is the machine's memory (MemTotal of /proc/meminfo).
func memTotalKiB() (int64, error) {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, fmt.Errorf("reading the machine's memory: %w", err)
	}
	return parseKiBLine(b, "/proc/meminfo", "MemTotal")
}

// postgresServer reads the CPU time of a Postgres server running on this machine: of its
// backends serving one database, and of the processes that ended (see cpu).
type postgresServer struct {
	postmaster int
	database   string
}

// pgBackend is a backend process, as its process title describes it.
type pgBackend struct {
	database string
	client   string // "127.0.0.1(53422)", "[local]"
}

// parsePostgresTitle reads the process title Postgres gives a backend: "postgres: [cluster: ]user
// database client activity", where client is host(port) or [local]. Other server processes
// (checkpointer, walwriter, parallel workers ...) are no backends of a database.
func parsePostgresTitle(cmdline []byte) (pgBackend, bool) {
	// The title replaces argv: one string, often padded with NULs or spaces.
	title := strings.TrimRight(strings.ReplaceAll(string(cmdline), "\x00", " "), " ")
	rest, ok := strings.CutPrefix(title, "postgres: ")
	if !ok {
		return pgBackend{}, false
	}
	f := strings.Fields(rest)
	for i := 2; i < len(f); i++ {
		c := f[i]
		if c == "[local]" || strings.HasSuffix(c, ")") && strings.Contains(c, "(") {
			return pgBackend{database: f[i-1], client: c}, true
		}
	}
	return pgBackend{}, false
}

// findPostgres finds the processes of the Postgres server at dsn on this machine, to read
// their CPU time. A server elsewhere has none to read here: then the note says why, for the
// report, and the error is nil.
func findPostgres(ctx context.Context, dsn string) (srv *postgresServer, note string, err error) {
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return nil, "", fmt.Errorf("opening the --postgres DSN: %w", err)
	}
	defer db.Close()
	var pid int
	var database string
	if err := db.QueryRowContext(ctx, `SELECT pg_backend_pid(), current_database()`).Scan(&pid, &database); err != nil {
		return nil, "", fmt.Errorf("asking Postgres for its backend's process id: %w", err)
	}
	if srv, err = localPostgres(pid, database); err != nil {
		return nil, "not measured: " + err.Error(), nil
	}
	return srv, "", nil
}

// localPostgres finds the server process of the Postgres that backend pid (pg_backend_pid() of a
// connection) belongs to, checking that the pid is that backend on this machine: Postgres on
// another machine (or in another PID namespace) has pids that mean nothing here.
func localPostgres(backend int, database string) (*postgresServer, error) {
	cmdline, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(backend), "cmdline"))
	if err != nil {
		return nil, fmt.Errorf("the Postgres backend (pid %d) is not a process of this machine (%v): is Postgres on another machine or in a container?", backend, err)
	}
	if b, ok := parsePostgresTitle(cmdline); !ok || b.database != database {
		return nil, fmt.Errorf("the Postgres backend (pid %d) is not a process of this machine: process %d here is %q: is Postgres on another machine or in a container?",
			backend, backend, strings.TrimSpace(strings.ReplaceAll(string(cmdline), "\x00", " ")))
	}
	st, err := readProcStat(backend)
	if err != nil {
		return nil, err
	}
	return &postgresServer{postmaster: st.ppid, database: database}, nil
}

// cpu is the CPU time the server's processes serving the database have used, as a sum whose
// difference over a run is that run's server CPU: the live backends of the database, plus what
// the postmaster holds of its ended children (cutime + cstime). The children part is needed
// because a pipeline's backends end with its connections, before the run's end is measured, and
// Linux adds a child's CPU to its parent's only when the parent (here the postmaster, which reaps
// every server process) waits for it. A backend that was live at the start and ended during the
// run moves from the first part to the second, so only its CPU during the run counts. What the
// difference also holds: any other client of the same database during the run, and other server
// processes that ended during it (parallel workers of the run's queries, which belong to it; an
// autovacuum worker or a backend of another database, which do not): measure on a quiet server.
func (s *postgresServer) cpu() (time.Duration, error) {
	pm, err := readProcStat(s.postmaster)
	if err != nil {
		return 0, fmt.Errorf("reading the Postgres server's CPU time: %w", err)
	}
	total := pm.children
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, fmt.Errorf("reading the Postgres server's CPU time: listing processes: %w", err)
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue // not a process
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue // ended since the listing
		}
		if b, ok := parsePostgresTitle(cmdline); !ok || b.database != s.database {
			continue
		}
		st, err := readProcStat(pid)
		if errors.Is(err, os.ErrNotExist) {
			continue // ended since: its CPU is now in the postmaster's children part (an edge this sum misses)
		}
		if err != nil {
			return 0, err
		}
		if st.ppid == s.postmaster {
			total += st.cpu
		}
	}
	return total, nil
}
