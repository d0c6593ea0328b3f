package kafka

import (
	"time"

	"github.com/IBM/sarama"
)

// ClusterIDConfig is the client that asks a bootstrap broker for the Kafka cluster id GET /
// reports, with the worker's admin security settings; it gives up quickly, so that a caller
// can try the next broker.
func ClusterIDConfig(worker map[string]string) (*sarama.Config, error) {
	conf := sarama.NewConfig()
	conf.Net.DialTimeout = time.Second
	conf.Net.ReadTimeout = 2 * time.Second
	conf.Version = protocolVersion
	return conf, ApplySecurity(conf, worker, Admin)
}

// ClusterID is the id of the cluster the broker at addr belongs to, "" when it does not answer.
func ClusterID(addr string, conf *sarama.Config) string {
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
