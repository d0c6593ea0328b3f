package runtime

import (
	"context"
	"fmt"

	"github.com/connectd/connectd/connect"
)

// convert turns a source record's key and value into bytes under the error handler; errSkip
// means the record failed and was tolerated.
func (r *sourceRun) convert(ctx context.Context, rec *connect.SourceRecord) (key, value []byte, err error) {
	failed := failedRecord{source: rec}
	err = r.errs.execute(ctx, StageKeyConverter, r.errs.keyClass, failed, func() (err error) {
		if key, err = r.conv.key.FromConnectData(rec.Topic, rec.KeySchema, rec.Key); err != nil {
			err = fmt.Errorf("Failed to convert key of record for topic %s: %w", rec.Topic, err)
		}
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	err = r.errs.execute(ctx, StageValueConverter, r.errs.valueClass, failed, func() (err error) {
		if value, err = r.conv.value.FromConnectData(rec.Topic, rec.ValueSchema, rec.Value); err != nil {
			err = fmt.Errorf("Failed to convert value of record for topic %s: %w", rec.Topic, err)
		}
		return err
	})
	return key, value, err
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
