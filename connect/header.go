package connect

// HeaderConverter turns header values into bytes for Kafka and back (Kafka Connect's
// org.apache.kafka.connect.storage.HeaderConverter).
type HeaderConverter interface {
	Configure(config map[string]string) error
	// FromConnectHeader's result is only read, never modified.
	FromConnectHeader(topic, key string, schema *Schema, value any) ([]byte, error)
	ToConnectHeader(topic, key string, data []byte) (*Schema, any, error)
}
