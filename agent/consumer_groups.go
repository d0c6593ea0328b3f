package agent

import (
	"github.com/connectd/connectd/internal/kafkasecurity"

	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/IBM/sarama"

	"github.com/connectd/connectd/api"
	"github.com/connectd/connectd/runtime"
)

// ConsumerGroups implements api.Backend: a sink connector's consumer groups, administered
// through an admin client made for each call from bootstrap.servers, the worker's admin.*
// settings and the connector's admin.override.* ones, as Kafka Connect's offsets API does.
func (a *Agent) ConsumerGroups(connectorConfig map[string]string) api.ConsumerGroups {
	return consumerGroups{addrs: a.cfg.BootstrapServers, props: runtime.ConnectorClientProps(a.cfg.Raw, connectorConfig, "admin."),
		clientID: "connectd-admin-" + a.cfg.NodeID}
}

type consumerGroups struct {
	addrs    []string
	props    map[string]string
	clientID string
}

func (g consumerGroups) admin() (sarama.ClusterAdmin, error) {
	conf, err := adminConfig(g.clientID, g.props)
	if err != nil {
		return nil, err
	}
	return sarama.NewClusterAdmin(g.addrs, conf)
}

// adminConfig applies the admin.* worker settings that sarama has an equivalent for.
func adminConfig(clientID string, props map[string]string) (*sarama.Config, error) {
	conf := sarama.NewConfig()
	conf.ClientID = clientID
	// Deleting a single partition's committed offset (OffsetDelete) needs Kafka 2.4.
	conf.Version = sarama.V2_4_0_0
	conf.Net.DialTimeout = 5 * time.Second
	// An unreachable cluster should fail the REST call in about a second, not after sarama's
	// default metadata retries.
	conf.Metadata.Retry.Max = 1
	conf.Metadata.Retry.Backoff = 100 * time.Millisecond
	if v := props["admin.client.id"]; v != "" {
		conf.ClientID = v
	}
	settings := []struct {
		key string
		set func(n int)
	}{
		{"admin.request.timeout.ms", func(n int) {
			conf.Admin.Timeout = time.Duration(n) * time.Millisecond
			conf.Net.ReadTimeout, conf.Net.WriteTimeout = conf.Admin.Timeout, conf.Admin.Timeout
		}},
		{"admin.retries", func(n int) { conf.Admin.Retry.Max = n }},
		{"admin.retry.backoff.ms", func(n int) {
			conf.Admin.Retry.Backoff = time.Duration(n) * time.Millisecond
			conf.Metadata.Retry.Backoff = conf.Admin.Retry.Backoff
		}},
		{"admin.socket.connection.setup.timeout.ms", func(n int) { conf.Net.DialTimeout = time.Duration(n) * time.Millisecond }},
	}
	for _, s := range settings {
		v, ok := props[s.key]
		if !ok {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("invalid value %q for %s: must be a non-negative integer", v, s.key)
		}
		s.set(n)
	}
	if err := kafkasecurity.Apply(conf, props, kafkasecurity.Admin); err != nil {
		return nil, err
	}
	return conf, conf.Validate()
}

// Offsets implements api.ConsumerGroups.
func (g consumerGroups) Offsets(group string) ([]api.GroupOffset, error) {
	admin, err := g.admin()
	if err != nil {
		return nil, err
	}
	defer admin.Close()
	resp, err := admin.ListConsumerGroupOffsets(group, nil)
	// Kafka lists no offsets for a group that does not exist; some brokers (kfake) say so instead.
	if errors.Is(err, sarama.ErrGroupIDNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []api.GroupOffset
	for topic, partitions := range resp.Blocks {
		for partition, block := range partitions {
			if !errors.Is(block.Err, sarama.ErrNoError) {
				return nil, fmt.Errorf("offset of %s-%d: %w", topic, partition, block.Err)
			}
			if block.Offset < 0 {
				continue
			}
			offset := block.Offset
			out = append(out, api.GroupOffset{Topic: topic, Partition: partition, Offset: &offset})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Topic != out[j].Topic {
			return out[i].Topic < out[j].Topic
		}
		return out[i].Partition < out[j].Partition
	})
	return out, nil
}

// Alter implements api.ConsumerGroups.
func (g consumerGroups) Alter(group string, offsets []api.GroupOffset) error {
	admin, err := g.admin()
	if err != nil {
		return err
	}
	defer admin.Close()
	if err := refuseMembers(admin, group); err != nil {
		return err
	}
	commit := map[string]map[int32]sarama.OffsetAndMetadata{}
	var deletes []api.GroupOffset
	for _, o := range offsets {
		if o.Offset == nil {
			deletes = append(deletes, o)
			continue
		}
		if commit[o.Topic] == nil {
			commit[o.Topic] = map[int32]sarama.OffsetAndMetadata{}
		}
		commit[o.Topic][o.Partition] = sarama.OffsetAndMetadata{Offset: *o.Offset, LeaderEpoch: -1}
	}
	if len(commit) > 0 {
		resp, err := admin.AlterConsumerGroupOffsets(group, commit, nil)
		if err == nil {
			err = commitError(resp)
		}
		if err != nil {
			return groupError(err)
		}
	}
	for _, o := range deletes {
		err := admin.DeleteConsumerGroupOffset(group, o.Topic, o.Partition)
		// A group that does not exist has no offset to delete.
		if err != nil && !errors.Is(err, sarama.ErrGroupIDNotFound) {
			return groupError(fmt.Errorf("delete offset of %s-%d: %w", o.Topic, o.Partition, err))
		}
	}
	return nil
}

// Delete implements api.ConsumerGroups.
func (g consumerGroups) Delete(group string) error {
	admin, err := g.admin()
	if err != nil {
		return err
	}
	defer admin.Close()
	if err := refuseMembers(admin, group); err != nil {
		return err
	}
	err = admin.DeleteConsumerGroup(group)
	if errors.Is(err, sarama.ErrGroupIDNotFound) {
		return nil
	}
	return groupError(err)
}

// refuseMembers fails while the group has members, before anything is changed, so that a
// request is never applied in part. The broker refuses a member's group too (see groupError),
// which covers a member that joins after this check.
func refuseMembers(admin sarama.ClusterAdmin, group string) error {
	described, err := admin.DescribeConsumerGroups([]string{group})
	if err != nil {
		return err
	}
	for _, d := range described {
		if len(d.Members) > 0 {
			return fmt.Errorf("%w: %d members", api.ErrGroupNotEmpty, len(d.Members))
		}
	}
	return nil
}

func commitError(resp *sarama.OffsetCommitResponse) error {
	for topic, partitions := range resp.Errors {
		for partition, kerr := range partitions {
			if !errors.Is(kerr, sarama.ErrNoError) {
				return fmt.Errorf("commit offset of %s-%d: %w", topic, partition, kerr)
			}
		}
	}
	return nil
}

// groupError marks the broker's answers for a group that has members.
func groupError(err error) error {
	if errors.Is(err, sarama.ErrUnknownMemberId) || errors.Is(err, sarama.ErrGroupSubscribedToTopic) || errors.Is(err, sarama.ErrNonEmptyGroup) {
		return fmt.Errorf("%w: %w", api.ErrGroupNotEmpty, err)
	}
	return err
}
