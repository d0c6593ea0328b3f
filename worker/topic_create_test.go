package worker

import (
	"errors"
	"testing"

	"github.com/IBM/sarama"

	"github.com/connectd/connectd/kafka"
)

// creatingAdmin is a ClusterAdmin whose CreateTopic answers err and which lists no topic.
type creatingAdmin struct {
	sarama.ClusterAdmin
	err error
}

func (a creatingAdmin) ListTopics() (map[string]sarama.TopicDetail, error) {
	return map[string]sarama.TopicDetail{}, nil
}

func (a creatingAdmin) CreateTopic(string, *sarama.TopicDetail, bool) error { return a.err }

// A topic another writer created first is no failure; any other refusal is. The broker's answer
// is told by its error code, whatever its message says.
func TestTopicCreatedConcurrentlyIsNoFailure(t *testing.T) {
	other := "created by someone else"
	raced := &sarama.TopicError{Err: sarama.ErrTopicAlreadyExists, ErrMsg: &other}
	denied := &sarama.TopicError{Err: sarama.ErrTopicAuthorizationFailed}
	for _, create := range []func(sarama.ClusterAdmin) error{
		func(a sarama.ClusterAdmin) error { return kafka.EnsureTopic(a, "t", map[string]string{}) },
		func(a sarama.ClusterAdmin) error { return createDeadLetterTopic(a, "t", 1) },
	} {
		if err := create(creatingAdmin{err: raced}); err != nil {
			t.Fatalf("topic already there: %v", err)
		}
		if err := create(creatingAdmin{err: denied}); !errors.Is(err, sarama.ErrTopicAuthorizationFailed) {
			t.Fatalf("refused creation: %v", err)
		}
	}
}
