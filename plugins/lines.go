package plugins

import (
	"errors"
	"io"
	"os"
)

// lineAppender buffers whole lines and appends them to a file in single writes. Several tasks
// may append to one file; with O_APPEND each write lands whole, so lines never interleave (a
// buffer cut mid-line, as bufio does, once split a record between two tasks' writes).
type lineAppender struct {
	out     io.Writer
	file    *os.File
	pending []byte
}

// appendWriteSize is how many buffered bytes make an append happen before the next flush.
const appendWriteSize = 64 << 10

// openLineAppender opens name for appending, creating it; an empty name means standard output.
func openLineAppender(name string) (*lineAppender, error) {
	if name == "" {
		return &lineAppender{out: os.Stdout}, nil
	}
	f, err := os.OpenFile(name, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	return &lineAppender{out: f, file: f}, nil
}

// add queues one line (without its newline) and appends once enough is queued.
func (a *lineAppender) add(line []byte) error {
	a.pending = append(append(a.pending, line...), '\n')
	if len(a.pending) >= appendWriteSize {
		return a.write()
	}
	return nil
}

func (a *lineAppender) write() error {
	if len(a.pending) == 0 {
		return nil
	}
	n, err := a.out.Write(a.pending)
	if err != nil {
		// What did not reach the file stays queued for the next flush: dropping it made a
		// later successful flush commit offsets past lines never written (ENOSPC).
		a.pending = a.pending[:copy(a.pending, a.pending[n:])]
		return err
	}
	a.pending = a.pending[:0]
	return nil
}

// flush appends everything queued; with sync it also waits until the file is on disk. Like
// close, it is a no-op on a task that never started.
func (a *lineAppender) flush(sync bool) error {
	if a == nil {
		return nil
	}
	if err := a.write(); err != nil || !sync || a.file == nil {
		return err
	}
	return a.file.Sync()
}

func (a *lineAppender) close() error {
	if a == nil {
		return nil
	}
	err := a.write()
	if a.file != nil {
		err = errors.Join(err, a.file.Close())
	}
	return err
}
