package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// child is one supervised component process.
type child struct {
	name    string
	logPath string
	cmd     *exec.Cmd
	done    chan struct{}
	err     error // valid once done is closed
}

type supervisor struct {
	mu       sync.Mutex
	children []*child
	stopping bool
	died     chan *child // the first unexpected exit
}

func newSupervisor() *supervisor {
	return &supervisor{died: make(chan *child, 1)}
}

// start runs path with args, output to logPath, in our process group (so one kill of the group
// reaches everything) and with Pdeathsig, so a child never outlives this launcher.
func (s *supervisor) start(name, logPath, path string, args, extraEnv []string) (*child, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping {
		return nil, fmt.Errorf("not starting %s: stopping", name)
	}
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child holds its own descriptor
	cmd := exec.Command(path, args...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.Env = append(os.Environ(), extraEnv...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{name: name, logPath: logPath, cmd: cmd, done: make(chan struct{})}
	s.children = append(s.children, c)
	logf("started %s (pid %d, log %s)", name, cmd.Process.Pid, logPath)
	go func() {
		c.err = cmd.Wait()
		if c.err == nil {
			c.err = fmt.Errorf("exit status 0")
		}
		close(c.done)
		s.mu.Lock()
		stopping := s.stopping
		s.mu.Unlock()
		if !stopping {
			select {
			case s.died <- c:
			default:
			}
		}
	}()
	return c, nil
}

// stopAll sends SIGTERM to every child, the ones started last first (etcd last), waits up
// to grace for each group, then SIGKILLs what is left.
func (s *supervisor) stopAll(grace time.Duration) {
	s.mu.Lock()
	s.stopping = true
	children := append([]*child(nil), s.children...)
	s.mu.Unlock()

	var etcd, others []*child
	for _, c := range children {
		if c.name == "etcd" {
			etcd = append(etcd, c)
		} else {
			others = append(others, c)
		}
	}
	for _, group := range [][]*child{others, etcd} {
		for _, c := range group {
			select {
			case <-c.done:
			default:
				_ = c.cmd.Process.Signal(syscall.SIGTERM)
			}
		}
		deadline := time.Now().Add(grace)
		for _, c := range group {
			select {
			case <-c.done:
			case <-time.After(time.Until(deadline)):
				logf("%s did not stop within %v: killing it", c.name, grace)
				_ = c.cmd.Process.Kill()
				<-c.done
			}
		}
	}
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	data = bytes.TrimRight(data, "\n")
	lines := strings.Split(string(data), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "  " + strings.Join(lines, "\n  ")
}
