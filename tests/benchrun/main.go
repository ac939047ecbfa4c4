// Command benchrun runs programs for scripts/_bench_ptp.ts and reports, per step, the wall time
// and the CPU time they and their descendants used: the wait4 resource usage of each child,
// which includes every process below it that was waited for (a plugin's IPAM delegate, say),
// with microsecond resolution.
//
// Build (scripts/build_cnitool.sh benchrun does this):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o .tools/benchrun ./tests/benchrun
//
// Usage: benchrun reads one JSON document on stdin,
//
//	{"netns": "/var/run/netns/x", "steps": [[{"argv": ["prog"], "env": ["K=V"], "stdin": ""}, ...], ...]}
//
// enters the network namespace "netns" (optional) for the programs it starts, then runs the
// steps in order: the programs of a step all at once, each with exactly the environment given
// and "stdin" on its stdin (optional: /dev/null without it). A step's wall time runs from just before its first program starts to the
// exit of its last. It prints
//
//	{"steps": [{"wallNs": 1, "userUs": 2, "sysUs": 3, "runs": [{"code": 0, "stdout": "", "stderr": ""}]}]}
//
// where userUs and sysUs are the step's programs' sums. A program that cannot start is code -1
// with the reason on stderr; one killed by a signal is code -1. benchrun itself exits 1 on bad
// input or a namespace it cannot enter.
//
// Each program runs in a process group of its own. On SIGINT or SIGTERM, benchrun kills those
// groups (the programs and everything they started), waits for the programs, starts no more and
// exits with status 130, so that nothing it ran outlives it.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

type program struct {
	Argv  []string `json:"argv"`
	Env   []string `json:"env"`
	Stdin *string  `json:"stdin"`
}

type input struct {
	Netns string      `json:"netns"`
	Steps [][]program `json:"steps"`
}

type run struct {
	Code   int    `json:"code"`
	Stdout string `json:"stdout"`
	Stderr string `json:"stderr"`
}

type step struct {
	WallNs int64 `json:"wallNs"`
	UserUs int64 `json:"userUs"`
	SysUs  int64 `json:"sysUs"`
	Runs   []run `json:"runs"`
}

// running holds the process groups of the programs started and not yet waited for.
var running = struct {
	sync.Mutex
	groups      map[int]bool
	interrupted bool
}{groups: map[int]bool{}}

func init() {
	// setns changes the calling thread only: main, and every fork it does, stays on this one.
	runtime.LockOSThread()
}

func main() {
	if err := mainErr(); err != nil {
		fmt.Fprintln(os.Stderr, "benchrun:", err)
		os.Exit(1)
	}
}

// killOnSignal kills every running program's group at the first SIGINT or SIGTERM.
func killOnSignal() {
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-signals
		running.Lock()
		defer running.Unlock()
		running.interrupted = true
		for group := range running.groups {
			_ = syscall.Kill(-group, syscall.SIGKILL)
		}
	}()
}

func interrupted() bool {
	running.Lock()
	defer running.Unlock()
	return running.interrupted
}

func mainErr() error {
	killOnSignal()
	var in input
	decoder := json.NewDecoder(os.Stdin)
	decoder.DisallowUnknownFields()
	if err := decoder.Decode(&in); err != nil {
		return fmt.Errorf("cannot read the steps: %v", err)
	}
	if in.Netns != "" {
		if err := enter(in.Netns); err != nil {
			return err
		}
	}
	out := struct {
		Steps []step `json:"steps"`
	}{Steps: []step{}}
	for i, programs := range in.Steps {
		for _, p := range programs {
			if len(p.Argv) == 0 {
				return fmt.Errorf("step %d has a program without argv", i)
			}
		}
		out.Steps = append(out.Steps, runStep(programs))
		if interrupted() {
			os.Exit(130)
		}
	}
	return json.NewEncoder(os.Stdout).Encode(out)
}

func enter(path string) error {
	file, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("cannot open the namespace: %v", err)
	}
	defer file.Close()
	if err := unix.Setns(int(file.Fd()), unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("cannot enter the namespace %q: %v", path, err)
	}
	return nil
}

func runStep(programs []program) step {
	commands := make([]*exec.Cmd, len(programs))
	outputs := make([][2]*bytes.Buffer, len(programs))
	result := step{Runs: make([]run, len(programs))}
	var wait sync.WaitGroup
	start := time.Now()
	for i, p := range programs {
		cmd := exec.Command(p.Argv[0], p.Argv[1:]...)
		cmd.Env = p.Env
		if cmd.Env == nil {
			cmd.Env = []string{}
		}
		if p.Stdin != nil {
			cmd.Stdin = strings.NewReader(*p.Stdin)
		}
		outputs[i] = [2]*bytes.Buffer{new(bytes.Buffer), new(bytes.Buffer)}
		cmd.Stdout, cmd.Stderr = outputs[i][0], outputs[i][1]
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		// Started here, on the thread in the namespace; waited for on any.
		running.Lock()
		var err error
		if running.interrupted {
			err = fmt.Errorf("interrupted")
		} else if err = cmd.Start(); err == nil {
			running.groups[cmd.Process.Pid] = true
		}
		running.Unlock()
		if err != nil {
			result.Runs[i] = run{Code: -1, Stderr: err.Error()}
			continue
		}
		commands[i] = cmd
		wait.Add(1)
		go func(cmd *exec.Cmd) {
			defer wait.Done()
			_ = cmd.Wait()
			running.Lock()
			delete(running.groups, cmd.Process.Pid)
			running.Unlock()
		}(cmd)
	}
	wait.Wait()
	result.WallNs = time.Since(start).Nanoseconds()
	for i, cmd := range commands {
		if cmd == nil {
			continue
		}
		result.Runs[i] = run{
			Code:   cmd.ProcessState.ExitCode(),
			Stdout: outputs[i][0].String(),
			Stderr: outputs[i][1].String(),
		}
		if usage, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			result.UserUs += usage.Utime.Sec*1e6 + usage.Utime.Usec
			result.SysUs += usage.Stime.Sec*1e6 + usage.Stime.Usec
		}
	}
	return result
}
