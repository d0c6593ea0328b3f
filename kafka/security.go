package kafka

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/IBM/sarama"
	"github.com/xdg-go/scram"
)

// Prefixes name the worker settings of each kind of Kafka client, as in Kafka Connect.
const (
	Producer = "producer."
	Consumer = "consumer."
	Admin    = "admin."
)

// ApplySecurity configures conf's connection security from Kafka's client security settings
// (security.protocol, sasl.mechanism and sasl.jaas.config for PLAIN and SCRAM, the PEM forms of
// ssl.truststore.* and ssl.keystore.*) in a worker's settings for one kind of client:
// a key under prefix wins over the same key without it. Kafka Connect's connector clients read
// only the prefixed keys; connectd has no clients of its own for the plain keys to be meant for,
// so they apply to every client.
func ApplySecurity(conf *sarama.Config, settings map[string]string, prefix string) error {
	get := func(key string) (string, bool) {
		if v, ok := settings[prefix+key]; ok {
			return v, true
		}
		v, ok := settings[key]
		return v, ok
	}
	protocol := "PLAINTEXT"
	if v, ok := get("security.protocol"); ok {
		protocol = strings.ToUpper(strings.TrimSpace(v))
	}
	var useTLS, useSASL bool
	switch protocol {
	case "PLAINTEXT":
	case "SSL":
		useTLS = true
	case "SASL_PLAINTEXT":
		useSASL = true
	case "SASL_SSL":
		useTLS, useSASL = true, true
	default:
		return fmt.Errorf("Invalid value %s for configuration %s: String must be one of: PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL", protocol, keyName(settings, prefix, "security.protocol"))
	}
	if useSASL {
		if err := applySASL(conf, get, func(key string) string { return keyName(settings, prefix, key) }); err != nil {
			return err
		}
	}
	if useTLS {
		cfg, err := tlsConfig(get, func(key string) string { return keyName(settings, prefix, key) })
		if err != nil {
			return err
		}
		conf.Net.TLS.Enable, conf.Net.TLS.Config = true, cfg
	}
	return nil
}

// CheckSecurity reports the first security setting that no kind of client could use, so that a node
// refuses to start on it rather than fail its tasks later.
func CheckSecurity(settings map[string]string) error {
	for _, prefix := range []string{Producer, Consumer, Admin} {
		if err := ApplySecurity(sarama.NewConfig(), settings, prefix); err != nil {
			return err
		}
	}
	return nil
}

// keyName is the key an error names: the prefixed one when it is the one set.
func keyName(settings map[string]string, prefix, key string) string {
	if _, ok := settings[prefix+key]; ok {
		return prefix + key
	}
	return key
}

func applySASL(conf *sarama.Config, get func(string) (string, bool), name func(string) string) error {
	// Kafka's default mechanism is GSSAPI (Kerberos), which connectd does not speak.
	mechanism := "GSSAPI"
	if v, ok := get("sasl.mechanism"); ok {
		mechanism = strings.TrimSpace(v)
	}
	switch mechanism {
	case sarama.SASLTypePlaintext:
	case sarama.SASLTypeSCRAMSHA256:
		conf.Net.SASL.SCRAMClientGeneratorFunc = scramClient(scram.SHA256)
	case sarama.SASLTypeSCRAMSHA512:
		conf.Net.SASL.SCRAMClientGeneratorFunc = scramClient(scram.SHA512)
	default:
		return fmt.Errorf("%s %s is not supported: connectd speaks PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512", name("sasl.mechanism"), mechanism)
	}
	jaas, _ := get("sasl.jaas.config")
	user, password, err := jaasCredentials(jaas)
	if err != nil {
		return fmt.Errorf("%s: %w", name("sasl.jaas.config"), err)
	}
	conf.Net.SASL.Enable, conf.Net.SASL.Handshake = true, true
	conf.Net.SASL.Mechanism = sarama.SASLMechanism(mechanism)
	conf.Net.SASL.User, conf.Net.SASL.Password = user, password
	return nil
}

// jaasOption is one key="value" of a JAAS login module's options.
var jaasOption = regexp.MustCompile(`([A-Za-z_][\w.]*)\s*=\s*"((?:[^"\\]|\\.)*)"`)

// jaasCredentials reads username and password from a JAAS entry such as
// `org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p";`.
func jaasCredentials(entry string) (user, password string, err error) {
	if strings.TrimSpace(entry) == "" {
		return "", "", errors.New("a login module with username and password is required for SASL")
	}
	options := map[string]string{}
	for _, m := range jaasOption.FindAllStringSubmatch(entry, -1) {
		options[m[1]] = strings.NewReplacer(`\"`, `"`, `\\`, `\`).Replace(m[2])
	}
	user, hasUser := options["username"]
	password, hasPassword := options["password"]
	if !hasUser || !hasPassword {
		return "", "", errors.New(`the login module must give username="..." and password="..."`)
	}
	return user, password, nil
}

// scramClient makes sarama's SCRAM conversations with xdg-go/scram.
func scramClient(hash scram.HashGeneratorFcn) func() sarama.SCRAMClient {
	return func() sarama.SCRAMClient { return &scramConversation{hash: hash} }
}

type scramConversation struct {
	hash         scram.HashGeneratorFcn
	conversation *scram.ClientConversation
}

func (s *scramConversation) Begin(user, password, authzID string) error {
	client, err := s.hash.NewClient(user, password, authzID)
	if err != nil {
		return err
	}
	s.conversation = client.NewConversation()
	return nil
}

func (s *scramConversation) Step(challenge string) (string, error) {
	return s.conversation.Step(challenge)
}

func (s *scramConversation) Done() bool { return s.conversation.Done() }

// tlsConfig builds the client's TLS from PEM trust and key stores; Java's JKS and PKCS12 stores
// have no reader here, so they are refused by name instead of failing at the first connection.
func tlsConfig(get func(string) (string, bool), name func(string) string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	trusted, err := pemSetting(get, name, "ssl.truststore.type", "ssl.truststore.location", "ssl.truststore.certificates")
	if err != nil {
		return nil, err
	}
	if trusted != nil {
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(trusted) {
			return nil, fmt.Errorf("%s holds no PEM certificate", trustName(get, name))
		}
	}
	keystore, err := pemSetting(get, name, "ssl.keystore.type", "ssl.keystore.location", "")
	if err != nil {
		return nil, err
	}
	if key, ok := get("ssl.keystore.key"); ok && key != "" {
		chain, _ := get("ssl.keystore.certificate.chain")
		keystore = []byte(key + "\n" + chain)
	}
	if keystore != nil {
		if v, ok := get("ssl.key.password"); ok && v != "" {
			return nil, fmt.Errorf("%s: encrypted private keys are not supported; give the key unencrypted in PEM", name("ssl.key.password"))
		}
		cert, err := tls.X509KeyPair(keystore, keystore)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name("ssl.keystore.location"), err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	// Kafka verifies the broker's host name unless ssl.endpoint.identification.algorithm is empty;
	// then only the certificate chain is verified.
	if v, ok := get("ssl.endpoint.identification.algorithm"); ok && strings.TrimSpace(v) == "" {
		cfg.InsecureSkipVerify = true
		cfg.VerifyConnection = verifyChainOnly(cfg.RootCAs)
	}
	return cfg, nil
}

func trustName(get func(string) (string, bool), name func(string) string) string {
	if v, ok := get("ssl.truststore.certificates"); ok && v != "" {
		return name("ssl.truststore.certificates")
	}
	return name("ssl.truststore.location")
}

// pemSetting reads a PEM store given inline (inlineKey) or as a file (locationKey), refusing a
// store type other than PEM.
func pemSetting(get func(string) (string, bool), name func(string) string, typeKey, locationKey, inlineKey string) ([]byte, error) {
	if inlineKey != "" {
		if v, ok := get(inlineKey); ok && v != "" {
			return []byte(v), nil
		}
	}
	location, ok := get(locationKey)
	if !ok || location == "" {
		return nil, nil
	}
	if typ, _ := get(typeKey); !strings.EqualFold(strings.TrimSpace(typ), "PEM") {
		if typ == "" {
			typ = "JKS"
		}
		return nil, fmt.Errorf("%s %s is not supported: connectd reads PEM stores only (set %s=PEM)", name(typeKey), typ, name(typeKey))
	}
	data, err := os.ReadFile(location)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name(locationKey), err)
	}
	if block, _ := pem.Decode(data); block == nil {
		return nil, fmt.Errorf("%s: %s is not PEM", name(locationKey), location)
	}
	return data, nil
}

func verifyChainOnly(roots *x509.CertPool) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("the broker sent no certificate")
		}
		opts := x509.VerifyOptions{Roots: roots, Intermediates: x509.NewCertPool()}
		for _, c := range cs.PeerCertificates[1:] {
			opts.Intermediates.AddCert(c)
		}
		_, err := cs.PeerCertificates[0].Verify(opts)
		return err
	}
}
