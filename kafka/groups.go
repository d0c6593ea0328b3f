package kafka

import (
	"errors"
	"fmt"
	"sort"

	"github.com/IBM/sarama"
)

// ErrGroupNotEmpty is what ConsumerGroups.Alter and Delete return while the group has members:
// sink tasks that have not stopped yet, or a connector resumed meanwhile.
var ErrGroupNotEmpty = errors.New("the consumer group has active members")

// GroupOffset is a partition of a consumer group and its committed offset, nil for none.
type GroupOffset struct {
	Topic     string
	Partition int32
	Offset    *int64
}

// ConsumerGroups administers sink connectors' consumer groups through an admin client made for
// each call, as Kafka Connect's offsets API does.
type ConsumerGroups struct {
	bootstrap []string
	props     map[string]string
	clientID  string
}

// NewConsumerGroups administers groups on the bootstrap brokers with the admin.* settings of
// props: the worker's with the connector's admin.override.* ones (ConnectorClientProps).
func NewConsumerGroups(bootstrap []string, props map[string]string, clientID string) ConsumerGroups {
	return ConsumerGroups{bootstrap: bootstrap, props: props, clientID: clientID}
}

func (g ConsumerGroups) admin() (sarama.ClusterAdmin, error) {
	conf, err := AdminConfig(g.clientID, g.props)
	if err != nil {
		return nil, err
	}
	// An unreachable cluster should fail the REST call in about a second, not after sarama's
	// default metadata retries.
	conf.Metadata.Retry.Max = 1
	return sarama.NewClusterAdmin(g.bootstrap, conf)
}

// Offsets returns the offsets group has committed, sorted by topic and partition; a group
// that does not exist has none.
func (g ConsumerGroups) Offsets(group string) ([]GroupOffset, error) {
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
	var out []GroupOffset
	for topic, partitions := range resp.Blocks {
		for partition, block := range partitions {
			if !errors.Is(block.Err, sarama.ErrNoError) {
				return nil, fmt.Errorf("offset of %s-%d: %w", topic, partition, block.Err)
			}
			if block.Offset < 0 {
				continue
			}
			offset := block.Offset
			out = append(out, GroupOffset{Topic: topic, Partition: partition, Offset: &offset})
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

// Alter commits the offsets that are set and deletes the committed offsets of the others.
func (g ConsumerGroups) Alter(group string, offsets []GroupOffset) error {
	admin, err := g.admin()
	if err != nil {
		return err
	}
	defer admin.Close()
	if err := refuseMembers(admin, group); err != nil {
		return err
	}
	commit := map[string]map[int32]sarama.OffsetAndMetadata{}
	var deletes []GroupOffset
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

// Delete deletes group and its offsets; a group that does not exist is not an error.
func (g ConsumerGroups) Delete(group string) error {
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
			return fmt.Errorf("%w: %d members", ErrGroupNotEmpty, len(d.Members))
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
		return fmt.Errorf("%w: %w", ErrGroupNotEmpty, err)
	}
	return err
}
