package kafka

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/connectd/connectd/internal/certs"
)

// dial opens a client to the cluster with the worker settings given, as a producer would.
func dial(t *testing.T, c *kfake.Cluster, settings map[string]string) error {
	t.Helper()
	conf := sarama.NewConfig()
	conf.Version = protocolVersion
	conf.Net.DialTimeout = 2 * time.Second
	conf.Metadata.Retry.Max = 0
	if err := ApplySecurity(conf, settings, Producer); err != nil {
		t.Fatal(err)
	}
	client, err := sarama.NewClient(c.ListenAddrs(), conf)
	if err != nil {
		return err
	}
	defer client.Close()
	_, err = client.Controller()
	return err
}

func jaas(module, user, password string) string {
	return "org.apache.kafka.common.security." + module + " required username=\"" + user + "\" password=\"" + password + "\";"
}

func TestSASLMechanisms(t *testing.T) {
	for _, tc := range []struct{ mechanism, module string }{
		{"PLAIN", "plain.PlainLoginModule"},
		{"SCRAM-SHA-256", "scram.ScramLoginModule"},
		{"SCRAM-SHA-512", "scram.ScramLoginModule"},
	} {
		t.Run(tc.mechanism, func(t *testing.T) {
			c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.EnableSASL(), kfake.Superuser(tc.mechanism, "connect", `pa"ss`))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			settings := map[string]string{"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": tc.mechanism,
				"sasl.jaas.config": jaas(tc.module, "connect", `pa\"ss`)}
			if err := dial(t, c, settings); err != nil {
				t.Fatalf("right credentials refused: %v", err)
			}
			settings["sasl.jaas.config"] = jaas(tc.module, "connect", "wrong")
			if err := dial(t, c, settings); err == nil {
				t.Fatal("a wrong password was accepted")
			}
			if err := dial(t, c, map[string]string{}); err == nil {
				t.Fatal("a client without SASL was accepted")
			}
		})
	}
}

func TestPrefixedSettingWinsOverThePlainOne(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.EnableSASL(), kfake.Superuser("PLAIN", "u", "p"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	settings := map[string]string{"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN",
		"sasl.jaas.config":          jaas("plain.PlainLoginModule", "u", "wrong"),
		"producer.sasl.jaas.config": jaas("plain.PlainLoginModule", "u", "p")}
	if err := dial(t, c, settings); err != nil {
		t.Fatalf("producer.sasl.jaas.config not used: %v", err)
	}
}

func TestTLS(t *testing.T) {
	dir := t.TempDir()
	caPEM, serverCert := certificates(t, "127.0.0.1")
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.TLS(&tls.Config{Certificates: []tls.Certificate{serverCert}}),
		kfake.EnableSASL(), kfake.Superuser("PLAIN", "u", "p"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sasl := map[string]string{"sasl.mechanism": "PLAIN", "sasl.jaas.config": jaas("plain.PlainLoginModule", "u", "p")}
	with := func(extra map[string]string) map[string]string {
		out := map[string]string{}
		for _, m := range []map[string]string{sasl, extra} {
			for k, v := range m {
				out[k] = v
			}
		}
		return out
	}
	if err := dial(t, c, with(map[string]string{"security.protocol": "SASL_SSL", "ssl.truststore.type": "PEM", "ssl.truststore.location": caFile})); err != nil {
		t.Fatalf("trusted broker refused: %v", err)
	}
	if err := dial(t, c, with(map[string]string{"security.protocol": "SASL_SSL", "ssl.truststore.certificates": string(caPEM)})); err != nil {
		t.Fatalf("inline trusted certificates not used: %v", err)
	}
	if err := dial(t, c, with(map[string]string{"security.protocol": "SASL_SSL"})); err == nil {
		t.Fatal("a broker whose certificate no trusted authority signed was accepted")
	}

	// A certificate for another host name passes only without endpoint identification.
	otherCA, otherCert := certificates(t, "192.0.2.1")
	other, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.TLS(&tls.Config{Certificates: []tls.Certificate{otherCert}}))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	settings := map[string]string{"security.protocol": "SSL", "ssl.truststore.certificates": string(otherCA)}
	if err := dial(t, other, settings); err == nil {
		t.Fatal("a certificate for another host was accepted")
	}
	settings["ssl.endpoint.identification.algorithm"] = ""
	if err := dial(t, other, settings); err != nil {
		t.Fatalf("without endpoint identification the chain alone should do: %v", err)
	}
}

func TestSettingsConnectdCannotUseAreRefused(t *testing.T) {
	for _, tc := range []struct {
		settings map[string]string
		want     string
	}{
		{map[string]string{"security.protocol": "TLS"}, "Invalid value TLS for configuration security.protocol"},
		{map[string]string{"consumer.security.protocol": "bogus"}, "configuration consumer.security.protocol"},
		{map[string]string{"security.protocol": "SASL_SSL", "sasl.jaas.config": jaas("plain.PlainLoginModule", "u", "p")}, "sasl.mechanism GSSAPI is not supported"},
		{map[string]string{"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN"}, "sasl.jaas.config: a login module"},
		{map[string]string{"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN", "sasl.jaas.config": "x required username=\"u\";"}, "must give username"},
		{map[string]string{"security.protocol": "SSL", "ssl.truststore.location": "/etc/kafka/truststore.jks"}, "ssl.truststore.type JKS is not supported"},
		{map[string]string{"security.protocol": "SSL", "ssl.truststore.type": "PEM", "ssl.truststore.location": "/nonexistent.pem"}, "ssl.truststore.location"},
	} {
		err := CheckSecurity(tc.settings)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want an error with %q", tc.settings, err, tc.want)
		}
	}
	if err := CheckSecurity(map[string]string{"security.protocol": "plaintext"}); err != nil {
		t.Errorf("PLAINTEXT refused: %v", err)
	}
}

// certificates makes a CA and a server certificate it signed for host.
func certificates(t *testing.T, host string) (caPEM []byte, server tls.Certificate) {
	t.Helper()
	ca, err := certs.NewCA("test CA", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := ca.Issue(host, []string{host}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if server, err = tls.X509KeyPair(certPEM, keyPEM); err != nil {
		t.Fatal(err)
	}
	return ca.CertPEM, server
}
