package plugins

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/connectd/connectd/connect"
)

// panicIn panics when the config asks for it in method, to show that plugin panics fail only
// their task or connector.
func panicIn(config map[string]string, method string) {
	if config["panic.in"] == method {
		panic(fmt.Sprintf("injected panic in %s", method))
	}
}

// failingOutput is the failing sink task's optional output: it appends record values to a file
// at flush, and can fail its first flushes (dropping what it holds, the worst a task can do),
// ask for its first batches again with a retriable error, and report chosen records as errant.
type failingOutput struct {
	ctx        connect.SinkTaskContext
	file       string
	errant     string
	flushFails int
	retriable  int
	held       []byte
}

func (o *failingOutput) start(ctx connect.SinkTaskContext, config map[string]string) error {
	o.ctx, o.file, o.errant = ctx, config["file"], config["errant.value"]
	o.flushFails, _ = strconv.Atoi(config["flush.fail.times"])
	o.retriable, _ = strconv.Atoi(config["put.retriable.times"])
	return nil
}

func (o *failingOutput) put(records []*connect.SinkRecord) error {
	if o.retriable > 0 && len(records) > 0 {
		o.retriable--
		return connect.Retriable(errors.New("injected retriable failure"))
	}
	for _, r := range records {
		v := valueString(r.Value)
		if o.errant != "" && v == o.errant {
			if err := o.ctx.ErrantRecordReporter().Report(r, errors.New("injected errant record")); err != nil {
				return err
			}
			continue
		}
		if o.file != "" {
			o.held = append(append(o.held, v...), '\n')
		}
	}
	return nil
}

func (o *failingOutput) flush() error {
	if o.flushFails > 0 {
		o.flushFails--
		o.held = o.held[:0]
		return errors.New("injected flush failure")
	}
	if o.file == "" || len(o.held) == 0 {
		return nil
	}
	f, err := os.OpenFile(o.file, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(o.held)
	if err = errors.Join(err, f.Close()); err == nil {
		o.held = o.held[:0]
	}
	return err
}
