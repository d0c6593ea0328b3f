package kafka

import (
	"errors"
	"fmt"
	"strings"

	"github.com/IBM/sarama"
)

// EnsureTopic creates topic when it is missing, with the connector's topic.creation.default.*
// settings (Kafka Connect's topic creation for source connectors).
func EnsureTopic(admin sarama.ClusterAdmin, topic string, config map[string]string) error {
	topics, err := admin.ListTopics()
	if err != nil {
		return fmt.Errorf("list topics: %w", err)
	}
	if _, ok := topics[topic]; ok {
		return nil
	}
	detail := &sarama.TopicDetail{NumPartitions: -1, ReplicationFactor: -1, ConfigEntries: map[string]*string{}}
	if v := config["topic.creation.default.partitions"]; v != "" {
		var n int32
		if _, err := fmt.Sscan(v, &n); err == nil {
			detail.NumPartitions = n
		}
	}
	if v := config["topic.creation.default.replication.factor"]; v != "" {
		var n int16
		if _, err := fmt.Sscan(v, &n); err == nil {
			detail.ReplicationFactor = n
		}
	}
	for k, v := range config {
		if rest, ok := strings.CutPrefix(k, "topic.creation.default."); ok && rest != "partitions" && rest != "replication.factor" {
			detail.ConfigEntries[rest] = &v
		}
	}
	// Another task of the connector may create it first.
	err = admin.CreateTopic(topic, detail, false)
	if err != nil && !errors.Is(err, sarama.ErrTopicAlreadyExists) {
		return fmt.Errorf("create topic %s: %w", topic, err)
	}
	return nil
}
