package kafka

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"strings"
)

// ListenerPrefix is where Kafka Connect's REST https settings live; each key falls back to the
// same key without the prefix. They are Kafka's ssl.* keys, read by the same code as the
// clients' stores, which is why the REST listener's TLS is built here.
const ListenerPrefix = "listeners.https."

// ServerTLS builds an https listener's TLS from the PEM ssl.keystore.* (its certificate) and
// ssl.truststore.* (the CA of client certificates) keys, with ssl.client.authentication none,
// requested or required as in Kafka.
func ServerTLS(settings map[string]string, prefix string) (*tls.Config, error) {
	get, name := getter(settings, prefix)
	base, err := tlsConfig(get, name)
	if err != nil {
		return nil, err
	}
	if len(base.Certificates) == 0 {
		return nil, fmt.Errorf("an https listener needs its certificate: set %s=PEM and %s (or %s and %s)",
			name("ssl.keystore.type"), name("ssl.keystore.location"), name("ssl.keystore.certificate.chain"), name("ssl.keystore.key"))
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: base.Certificates, ClientCAs: base.RootCAs}
	mode, _ := get("ssl.client.authentication")
	switch strings.ToLower(strings.TrimSpace(mode)) {
	case "", "none":
		cfg.ClientAuth = tls.NoClientCert
	case "requested":
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
	case "required":
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	default:
		return nil, fmt.Errorf("Invalid value %s for configuration %s: String must be one of: none, requested, required", mode, name("ssl.client.authentication"))
	}
	if cfg.ClientAuth != tls.NoClientCert && cfg.ClientCAs == nil {
		return nil, fmt.Errorf("%s=%s needs the CA of client certificates in %s", name("ssl.client.authentication"), mode, name("ssl.truststore.location"))
	}
	return cfg, nil
}

// ClientTLS is the TLS a node uses to call other nodes' https listeners: their CA from the
// truststore (the system's when none is set) and its own certificate, for listeners that require
// client certificates.
func ClientTLS(settings map[string]string, prefix string) (*tls.Config, error) {
	get, name := getter(settings, prefix)
	cfg, err := tlsConfig(get, name)
	if err != nil {
		return nil, err
	}
	if cfg.RootCAs == nil {
		if cfg.RootCAs, err = x509.SystemCertPool(); err != nil {
			cfg.RootCAs = x509.NewCertPool()
		}
	}
	return cfg, nil
}

func getter(settings map[string]string, prefix string) (func(string) (string, bool), func(string) string) {
	get := func(key string) (string, bool) {
		if v, ok := settings[prefix+key]; ok {
			return v, true
		}
		v, ok := settings[key]
		return v, ok
	}
	return get, func(key string) string { return keyName(settings, prefix, key) }
}
