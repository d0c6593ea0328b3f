package connect

import "errors"

// RetriableError marks a failure that may succeed when tried again, as Kafka Connect's
// RetriableException does: a sink task's Put returning it gets the same records again after a
// backoff instead of failing the task, and a converter or transform returning it is retried
// within errors.retry.timeout.
type RetriableError struct {
	Err error
}

func (e *RetriableError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *RetriableError) Unwrap() error { return e.Err }

// Retriable wraps err as a RetriableError; a nil err stays nil.
func Retriable(err error) error {
	if err == nil {
		return nil
	}
	return &RetriableError{Err: err}
}

// IsRetriable tells whether err is or wraps a RetriableError.
func IsRetriable(err error) bool {
	var r *RetriableError
	return errors.As(err, &r)
}

// ErrantRecordReporter is KIP-610's errant record reporter, which a sink task gets from its
// context: Report hands a record the task cannot process to the connector's error handling, which
// logs it, writes it to the dead-letter queue or fails the task as errors.* configure. The
// record's offset is committed only after its dead-letter write is acknowledged. Report returns an
// error when the task must stop, e.g. with errors.tolerance=none; the task should return it from Put.
type ErrantRecordReporter interface {
	Report(record *SinkRecord, err error) error
}
