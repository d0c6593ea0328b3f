package agent

import (
	"github.com/connectd/connectd/api"
	"github.com/connectd/connectd/internal/retry"
	"github.com/connectd/connectd/kafka"
)

// kafkaClusterID is the Kafka cluster id GET / reports, once a bootstrap broker has told it.
func (a *Agent) kafkaClusterID() string {
	id, _ := a.clusterID.Load().(string)
	return id
}

// fetchKafkaClusterID asks the bootstrap brokers for the cluster id until one answers, so that
// GET / never waits on Kafka.
func (a *Agent) fetchKafkaClusterID() {
	conf, err := kafka.ClusterIDConfig(a.cfg.Raw)
	if err != nil {
		a.logger.Warn("cannot ask Kafka for its cluster id", "err", err)
		return
	}
	retry.Until(a.ctx, retry.KafkaMetadata, func() bool {
		for _, addr := range a.cfg.BootstrapServers {
			if id := kafka.ClusterID(addr, conf); id != "" {
				a.clusterID.Store(id)
				return true
			}
		}
		return false
	})
}

// ConsumerGroups implements api.Backend: a sink connector's consumer groups, administered with
// bootstrap.servers, the worker's admin.* settings and the connector's admin.override.* ones,
// as Kafka Connect's offsets API does.
func (a *Agent) ConsumerGroups(connectorConfig map[string]string) api.ConsumerGroups {
	return kafka.NewConsumerGroups(a.cfg.BootstrapServers, kafka.ConnectorClientProps(a.cfg.Raw, connectorConfig, kafka.Admin),
		"connectd-admin-"+a.cfg.NodeID)
}
