package agent

import (
	"github.com/connectd/connectd/internal/kafkasecurity"
	"github.com/connectd/connectd/internal/retry"

	"time"

	"github.com/IBM/sarama"
)

// kafkaClusterID is the Kafka cluster id GET / reports, once a bootstrap broker has told it.
func (a *Agent) kafkaClusterID() string {
	id, _ := a.clusterID.Load().(string)
	return id
}

// fetchKafkaClusterID asks the bootstrap brokers for the cluster id until one answers, so that
// GET / never waits on Kafka.
func (a *Agent) fetchKafkaClusterID() {
	conf := sarama.NewConfig()
	conf.Net.DialTimeout = time.Second
	conf.Net.ReadTimeout = 2 * time.Second
	conf.Version = sarama.V2_1_0_0
	if err := kafkasecurity.Apply(conf, a.cfg.Raw, kafkasecurity.Admin); err != nil {
		a.logger.Warn("cannot ask Kafka for its cluster id", "err", err)
		return
	}
	retry.Until(a.ctx, retry.KafkaMetadata, func() bool {
		for _, addr := range a.cfg.BootstrapServers {
			if id := clusterIDFrom(addr, conf); id != "" {
				a.clusterID.Store(id)
				return true
			}
		}
		return false
	})
}

func clusterIDFrom(addr string, conf *sarama.Config) string {
	broker := sarama.NewBroker(addr)
	if err := broker.Open(conf); err != nil {
		return ""
	}
	defer broker.Close()
	resp, err := broker.GetMetadata(&sarama.MetadataRequest{Version: 2})
	if err != nil || resp.ClusterID == nil {
		return ""
	}
	return *resp.ClusterID
}
