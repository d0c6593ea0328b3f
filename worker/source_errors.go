package worker

import (
	"context"
	"errors"
	"fmt"

	"github.com/IBM/sarama"

	"github.com/connectd/connectd/connect"
	"github.com/connectd/connectd/transforms"
)

// transformationClass names the failing class of the TRANSFORMATION stage in the error context.
const transformationClass = "org.apache.kafka.connect.transforms.Transformation"

// tolerated maps errSkip, a failure the error handler tolerated, to no error: the caller skips
// the record.
func tolerated(err error) error {
	if errors.Is(err, errSkip) {
		return nil
	}
	return err
}

// convert turns a transformed source record's key, value and headers into bytes under the error
// handler; errSkip means the record failed and was tolerated. Each step is a direct call that
// the compiler inlines, and only a failed one goes to the handler, with the step to retry:
// through execute, the indirect calls cost the file -> topic path a tenth of its CPU.
func (r *sourceRun) convert(ctx context.Context, tr *transforms.Record, failed failedRecord) (key, value []byte, headers []*sarama.RecordHeader, err error) {
	convertKey := func() (err error) {
		if key, err = r.conv.key.FromConnectData(tr.Topic, tr.KeySchema, tr.Key); err != nil {
			err = fmt.Errorf("Failed to convert key of record for topic %s: %w", tr.Topic, err)
		}
		return err
	}
	if err = convertKey(); err != nil {
		if err = r.errs.handle(ctx, StageKeyConverter, r.errs.keyClass, failed, err, convertKey); err != nil {
			return nil, nil, nil, err
		}
	}
	convertValue := func() (err error) {
		if value, err = r.conv.value.FromConnectData(tr.Topic, tr.ValueSchema, tr.Value); err != nil {
			err = fmt.Errorf("Failed to convert value of record for topic %s: %w", tr.Topic, err)
		}
		return err
	}
	if err = convertValue(); err != nil {
		if err = r.errs.handle(ctx, StageValueConverter, r.errs.valueClass, failed, err, convertValue); err != nil {
			return nil, nil, nil, err
		}
	}
	if len(tr.Headers) == 0 {
		return key, value, nil, nil
	}
	convertHeaders := func() (err error) {
		headers, err = r.conv.sourceHeaders(tr.Topic, tr.Headers)
		return err
	}
	if err = convertHeaders(); err != nil {
		err = r.errs.handle(ctx, StageHeaderConverter, r.errs.headerClass, failed, err, convertHeaders)
	}
	return key, value, headers, err
}

// producible checks up front what Kafka would refuse for good (a record over
// max.request.size): under errors.tolerance=all the record is skipped (KIP-779), otherwise the
// producer's own error fails the task as before.
func (r *sourceRun) producible(ctx context.Context, msg *message, rec *connect.SourceRecord) error {
	if !r.errs.tolerateAll {
		return nil
	}
	return r.errs.execute(ctx, StageKafkaProduce, "org.apache.kafka.clients.producer.KafkaProducer", failedRecord{source: rec}, func() error {
		_, err := r.producer.checkSize(msg)
		return err
	})
}

// workerSourceTaskClass names the stage's class of a record Kafka refused, as Kafka Connect
// reports it from its send callback.
const workerSourceTaskClass = "org.apache.kafka.connect.runtime.WorkerSourceTask"

// skipRefused reports each record of a batch Kafka refused for good under errors.tolerance=all:
// logged when errors.log.enable asks, counted as skipped; the producer acknowledges them, so
// their source offsets commit (KIP-779).
func (r *sourceRun) skipRefused(topic string, partition int32, records []sarama.Record, err error) {
	for i := range records {
		_ = r.errs.failed(StageKafkaProduce, workerSourceTaskClass, failedRecord{refused: &refusedRecord{topic: topic, partition: partition, record: &records[i]}}, err)
	}
}
