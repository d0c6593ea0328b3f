package plugins

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/connectd/connectd/connect"
	"github.com/connectd/connectd/transforms"
)

// ValidationContext is the worker configuration that connector validation depends on.
type ValidationContext struct {
	WorkerGroupID       string
	TopicCreationEnable bool
	// OverridePolicy is connector.client.config.override.policy: All, None or Principal.
	OverridePolicy string
	// FileStreamAllowedPaths is filestream.allowed.paths.
	FileStreamAllowedPaths []string
	// TasksMaxLimit is the largest tasks.max allowed (tasks.max.limit); 0 means no limit.
	TasksMaxLimit int
}

// Group names of the framework keys.
const (
	groupCommon        = "Common"
	groupTransforms    = "Transforms"
	groupPredicates    = "Predicates"
	groupErrors        = "Error Handling"
	groupTopicCreation = "Topic Creation"
	groupExactlyOnce   = "Exactly Once Support"
	groupOffsets       = "offsets.topic"
)

// frameworkDef is Kafka Connect's ConnectorConfig (plus the sink or source additions).
func frameworkDef(kind Kind, topicCreation bool) *connect.ConfigDef {
	d := connect.NewConfigDef()
	common := func(order int, k connect.ConfigKey) {
		k.Group, k.OrderInGroup = groupCommon, order
		d.Define(k)
	}
	common(1, connect.ConfigKey{Name: "name", Type: connect.TypeString, Required: true, Validator: connectorName, Importance: connect.High, Width: connect.WidthMedium, DisplayName: "Connector name", Documentation: "Globally unique name to use for this connector."})
	common(2, connect.ConfigKey{Name: "connector.class", Type: connect.TypeString, Required: true, Importance: connect.High, Width: connect.WidthLong, DisplayName: "Connector class", Documentation: "Name or alias of the class for this connector. Must be a subclass of org.apache.kafka.connect.connector.Connector."})
	common(3, connect.ConfigKey{Name: "tasks.max", Type: connect.TypeInt, Default: "1", Validator: connect.AtLeast(1), Importance: connect.High, Width: connect.WidthShort, DisplayName: "Tasks max", Documentation: "Maximum number of tasks to use for this connector."})
	common(4, connect.ConfigKey{Name: "tasks.max.enforce", Type: connect.TypeBoolean, Default: "true", Importance: connect.Low, Width: connect.WidthShort, DisplayName: "Enforce tasks max", Documentation: "(Deprecated) Whether to enforce that the tasks.max property is respected by the connector."})
	common(5, connect.ConfigKey{Name: "key.converter", Type: connect.TypeClass, Importance: connect.Low, Width: connect.WidthShort, DisplayName: "Key converter class", Documentation: "Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka; defaults to the worker's."})
	common(6, connect.ConfigKey{Name: "value.converter", Type: connect.TypeClass, Importance: connect.Low, Width: connect.WidthShort, DisplayName: "Value converter class", Documentation: "Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka; defaults to the worker's."})
	common(7, connect.ConfigKey{Name: "header.converter", Type: connect.TypeClass, Importance: connect.Low, Width: connect.WidthShort, DisplayName: "Header converter class", Documentation: "HeaderConverter class used to convert between Kafka Connect format and the serialized form that is written to Kafka; defaults to the worker's."})
	common(8, connect.ConfigKey{Name: "config.action.reload", Type: connect.TypeString, Default: "restart", Validator: connect.OneOfIgnoreCase("none", "restart"), Importance: connect.Low, Width: connect.WidthMedium, DisplayName: "Reload Action", Documentation: "The action that Connect should take on the connector when changes in external configuration providers result in a change in the connector's configuration properties."})
	if kind == KindSink {
		common(9, connect.ConfigKey{Name: "topics", Type: connect.TypeList, Default: "", Importance: connect.High, Width: connect.WidthLong, DisplayName: "Topics", Documentation: "List of topics to consume, separated by commas"})
		common(10, connect.ConfigKey{Name: "topics.regex", Type: connect.TypeString, Default: "", Importance: connect.High, Width: connect.WidthLong, DisplayName: "Topics regex", Documentation: "Regular expression giving topics to consume."})
	}
	d.Define(connect.ConfigKey{Name: "transforms", Type: connect.TypeList, Default: "", Validator: uniqueAliases, Importance: connect.Low, Width: connect.WidthLong, Group: groupTransforms, OrderInGroup: 1, DisplayName: "Transforms", Documentation: "Aliases for the transformations to be applied to records."})
	d.Define(connect.ConfigKey{Name: "predicates", Type: connect.TypeList, Default: "", Validator: uniqueAliases, Importance: connect.Low, Width: connect.WidthLong, Group: groupPredicates, OrderInGroup: 1, DisplayName: "Predicates", Documentation: "Aliases for the predicates used by transformations."})
	errorKeys := []connect.ConfigKey{
		{Name: "errors.retry.timeout", Type: connect.TypeLong, Default: "0", Importance: connect.Medium, Width: connect.WidthMedium, DisplayName: "Retry Timeout for Errors", Documentation: "The maximum duration in milliseconds that a failed operation will be reattempted. The default is 0, which means no retries will be attempted. Use -1 for infinite retries."},
		{Name: "errors.retry.delay.max.ms", Type: connect.TypeLong, Default: "60000", Importance: connect.Medium, Width: connect.WidthMedium, DisplayName: "Maximum Delay Between Retries for Errors", Documentation: "The maximum duration in milliseconds between consecutive retry attempts."},
		{Name: "errors.tolerance", Type: connect.TypeString, Default: "none", Validator: connect.OneOfIgnoreCase("none", "all"), Importance: connect.Medium, Width: connect.WidthShort, DisplayName: "Error Tolerance", Documentation: "Behavior for tolerating errors during connector operation. 'none' is the default value and signals that any error will result in an immediate connector task failure; 'all' changes the behavior to skip over problematic records."},
		{Name: "errors.log.enable", Type: connect.TypeBoolean, Default: "false", Importance: connect.Medium, Width: connect.WidthShort, DisplayName: "Log Errors", Documentation: "If true, write each error and the details of the failed operation and problematic record to the Connect application log."},
		{Name: "errors.log.include.messages", Type: connect.TypeBoolean, Default: "false", Importance: connect.Medium, Width: connect.WidthShort, DisplayName: "Log Error Details", Documentation: "Whether to include in the log the Connect record that resulted in a failure."},
	}
	if kind == KindSink {
		errorKeys = append(errorKeys,
			connect.ConfigKey{Name: "errors.deadletterqueue.topic.name", Type: connect.TypeString, Default: "", Importance: connect.Medium, Width: connect.WidthMedium, DisplayName: "Dead Letter Queue Topic Name", Documentation: "The name of the topic to be used as the dead letter queue (DLQ) for messages that result in an error when processed by this sink connector, or its transformations or converters. The topic name is blank by default, which means that no messages are to be recorded in the DLQ."},
			connect.ConfigKey{Name: "errors.deadletterqueue.topic.replication.factor", Type: connect.TypeShort, Default: "3", Importance: connect.Medium, Width: connect.WidthMedium, DisplayName: "Dead Letter Queue Topic Replication Factor", Documentation: "Replication factor used to create the dead letter queue topic when it doesn't already exist."},
			connect.ConfigKey{Name: "errors.deadletterqueue.context.headers.enable", Type: connect.TypeBoolean, Default: "false", Importance: connect.Medium, Width: connect.WidthMedium, DisplayName: "Enable Error Context Headers", Documentation: "If true, add headers containing error context to the messages written to the dead letter queue."})
	}
	for i, k := range errorKeys {
		k.Group, k.OrderInGroup = groupErrors, i+1
		d.Define(k)
	}
	defineRestartKeys(d)
	if kind == KindSource {
		d.Define(connect.ConfigKey{Name: "topic.creation.groups", Type: connect.TypeList, Default: "", Importance: connect.Low, Width: connect.WidthLong, Group: groupTopicCreation, OrderInGroup: 1, DisplayName: "Topic Creation Groups", Documentation: "Groups of configurations for topics created by source connectors"})
		if topicCreation {
			d.Define(connect.ConfigKey{Name: "topic.creation.default.replication.factor", Type: connect.TypeShort, Required: true, Validator: replicationFactor, Importance: connect.Low, Width: connect.WidthShort, Group: groupTopicCreation, OrderInGroup: 2, DisplayName: "Replication Factor", Documentation: "The replication factor for new topics created for this connector using this group. -1 uses the broker's default."})
			d.Define(connect.ConfigKey{Name: "topic.creation.default.partitions", Type: connect.TypeInt, Required: true, Validator: partitions, Importance: connect.Low, Width: connect.WidthShort, Group: groupTopicCreation, OrderInGroup: 3, DisplayName: "Partition Count", Documentation: "The number of partitions new topics created for this connector. -1 uses the broker's default."})
		}
		d.Define(connect.ConfigKey{Name: "exactly.once.support", Type: connect.TypeString, Default: "requested", Validator: connect.OneOfIgnoreCase("requested", "required"), Importance: connect.Medium, Width: connect.WidthShort, Group: groupExactlyOnce, OrderInGroup: 1, DisplayName: "Exactly once support", Documentation: "Whether to require the connector to support exactly-once semantics."})
		d.Define(connect.ConfigKey{Name: "transaction.boundary", Type: connect.TypeString, Default: "poll", Validator: connect.OneOfIgnoreCase("poll", "interval", "connector"), Importance: connect.Medium, Width: connect.WidthShort, Group: groupExactlyOnce, OrderInGroup: 2, DisplayName: "Transaction Boundary", Documentation: "Permitted values are: poll, interval, connector."})
		d.Define(connect.ConfigKey{Name: "offsets.storage.topic", Type: connect.TypeString, Importance: connect.Low, Width: connect.WidthLong, Group: groupOffsets, OrderInGroup: 1, DisplayName: "Offsets topic", Documentation: "Accepted for compatibility; connectd keeps source offsets in its replicated state."})
	}
	return d
}

func connectorName(v any) string {
	if reason := connect.NonEmptyStringWithoutControlChars(v); reason != "" {
		return reason
	}
	if strings.Contains(v.(string), "/") {
		return "Connector names may not contain the character '/'"
	}
	return ""
}

func uniqueAliases(v any) string {
	seen := map[string]bool{}
	for _, a := range v.([]string) {
		if seen[a] {
			return "Duplicate alias provided."
		}
		seen[a] = true
	}
	return ""
}

func replicationFactor(v any) string {
	if n := v.(int); n == 0 || n < -1 {
		return "Value must be -1 (use the broker's default) or a positive number"
	}
	return ""
}

func partitions(v any) string {
	if n := v.(int); n == 0 || n < -1 {
		return "Value must be -1 (use the broker's default) or a positive number"
	}
	return ""
}

// Validate runs Kafka Connect's connector config validation: framework keys, then the
// connector's own keys, collecting every error. It fails only when connector.class is missing or
// names no connector.
func (r *Registry) Validate(raw map[string]*string, vctx ValidationContext) (*connect.ConfigInfos, error) {
	class := raw["connector.class"]
	if class == nil || strings.TrimSpace(*class) == "" {
		return nil, &Error{Cause: CauseInvalid, Message: fmt.Sprintf("Connector config %s contains no connector type", javaMap(raw))}
	}
	p, ok := r.Lookup(*class)
	if !ok || !p.IsConnector() {
		return nil, r.unknownConnector(*class)
	}
	topicCreation := false
	if p.Kind == KindSource && vctx.TopicCreationEnable {
		for k := range raw {
			if strings.HasPrefix(k, "topic.creation.") && k != "topic.creation.groups" {
				topicCreation = true
			}
		}
	}
	framework := frameworkDef(p.Kind, topicCreation)
	values := framework.Validate(raw)
	byName := map[string]*connect.ConfigValue{}
	for i := range values {
		byName[values[i].Name] = &values[i]
	}
	r.checkConverters(raw, byName)
	checkTasksMax(byName, vctx.TasksMaxLimit)
	if p.Kind == KindSink {
		checkSinkTopics(raw, byName, vctx)
	}
	extra := checkOverrides(raw, vctx.OverridePolicy)

	conn := p.NewConnector()
	var own *connect.ConfigDef
	var ownValues []connect.ConfigValue
	if err := pluginCall(*class, func() {
		own = conn.Config()
		ownValues = own.Validate(raw)
		if v, ok := conn.(connect.Validator); ok {
			var undefined []connect.ConfigValue
			ownValues, undefined = mergeValues(ownValues, v.Validate(stringValues(raw)))
			extra = append(extra, undefined...)
		}
	}); err != nil {
		return nil, err
	}
	ownValues, undefined := mergeValues(ownValues, checkFileAccess(p, raw, vctx.FileStreamAllowedPaths))
	extra = append(extra, undefined...)

	infos := &connect.ConfigInfos{Name: *class, Groups: []string{}, Configs: []connect.ConfigInfo{}}
	seenGroup := map[string]bool{}
	add := func(k connect.ConfigKey, v connect.ConfigValue) {
		def := k.Info()
		val := v.Info(k.Type)
		infos.Configs = append(infos.Configs, connect.ConfigInfo{Definition: &def, Value: &val})
		infos.ErrorCount += len(v.Errors)
		if k.Group != "" && !seenGroup[k.Group] {
			seenGroup[k.Group] = true
			infos.Groups = append(infos.Groups, k.Group)
		}
	}
	for _, v := range extra {
		val := v.Info(connect.TypeString)
		infos.Configs = append(infos.Configs, connect.ConfigInfo{Value: &val})
		infos.ErrorCount += len(v.Errors)
	}
	redefined := map[string]bool{}
	for _, k := range own.Keys() {
		redefined[k.Name] = true
	}
	for i, k := range framework.Keys() {
		if !redefined[k.Name] {
			add(k, values[i])
		}
	}
	aliasKeys, aliasValues := transforms.Validate(raw)
	for i, k := range aliasKeys {
		add(k, aliasValues[i])
	}
	for i, k := range own.Keys() {
		add(k, ownValues[i])
	}
	return infos, nil
}

func (r *Registry) checkConverters(raw map[string]*string, values map[string]*connect.ConfigValue) {
	for _, key := range []string{"key.converter", "value.converter", "header.converter"} {
		v := raw[key]
		if v == nil || *v == "" {
			continue
		}
		p, ok := r.Lookup(*v)
		if key == "header.converter" {
			ok = ok && p.IsHeaderConverter()
		} else {
			ok = ok && p.Kind == KindConverter
		}
		if !ok {
			values[key].Errors = append(values[key].Errors, fmt.Sprintf("Invalid value %s for configuration %s: Class %s could not be found.", *v, key, *v))
		}
	}
}

func checkSinkTopics(raw map[string]*string, values map[string]*connect.ConfigValue, vctx ValidationContext) {
	topics, regex := "", ""
	if v := raw["topics"]; v != nil {
		topics = strings.TrimSpace(*v)
	}
	if v := raw["topics.regex"]; v != nil {
		regex = strings.TrimSpace(*v)
	}
	addBoth := func(msg string) {
		values["topics"].Errors = append(values["topics"].Errors, msg)
		values["topics.regex"].Errors = append(values["topics.regex"].Errors, msg)
	}
	switch {
	case topics != "" && regex != "":
		addBoth("topics and topics.regex are mutually exclusive options, but both are set.")
	case topics == "" && regex == "":
		addBoth("Must configure one of topics or topics.regex")
	case regex != "":
		if _, err := regexp.Compile(regex); err != nil {
			values["topics.regex"].Errors = append(values["topics.regex"].Errors, fmt.Sprintf("Invalid value %s for configuration topics.regex: %v", regex, err))
		}
	}
	if dlq := raw["errors.deadletterqueue.topic.name"]; dlq != nil && *dlq != "" && topics != "" {
		for _, t := range connect.SplitList(topics) {
			if t == strings.TrimSpace(*dlq) {
				values["errors.deadletterqueue.topic.name"].Errors = append(values["errors.deadletterqueue.topic.name"].Errors,
					fmt.Sprintf("The DLQ topic '%s' may not be included in the list of topics ('topics=%s') to be consumed.", t, topics))
			}
		}
	}
	if name := raw["name"]; name != nil && vctx.WorkerGroupID != "" {
		group := "connect-" + *name
		if g := raw["consumer.override.group.id"]; g != nil {
			group = *g
		}
		if group == vctx.WorkerGroupID {
			values["name"].Errors = append(values["name"].Errors, fmt.Sprintf("Consumer group for sink connector named %s conflicts with Connect worker group %s", *name, vctx.WorkerGroupID))
		}
	}
}

// checkOverrides applies connector.client.config.override.policy to producer/consumer/admin
// overrides.
func checkOverrides(raw map[string]*string, policy string) []connect.ConfigValue {
	var out []connect.ConfigValue
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var rest string
		var ok bool
		for _, prefix := range []string{"producer.override.", "consumer.override.", "admin.override."} {
			if rest, ok = strings.CutPrefix(k, prefix); ok {
				break
			}
		}
		if !ok {
			continue
		}
		allowed := policy == "" || policy == "All" ||
			(policy == "Principal" && (rest == "sasl.jaas.config" || rest == "sasl.mechanism" || rest == "security.protocol"))
		if !allowed {
			out = append(out, connect.ConfigValue{Name: k, Value: raw[k], Visible: true,
				Errors: []string{fmt.Sprintf("The '%s' policy does not allow '%s' to be overridden in the connector configuration.", policy, rest)}})
		}
	}
	return out
}

// mergeValues adds a Validator's errors to the ConfigDef's values by name; values of keys the
// ConfigDef does not define are returned apart.
func mergeValues(base, extra []connect.ConfigValue) (merged, undefined []connect.ConfigValue) {
	for _, e := range extra {
		found := false
		for i := range base {
			if base[i].Name == e.Name {
				base[i].Errors = append(base[i].Errors, e.Errors...)
				found = true
			}
		}
		if !found {
			undefined = append(undefined, e)
		}
	}
	return base, undefined
}

func stringValues(raw map[string]*string) map[string]string {
	out := map[string]string{}
	for k, v := range raw {
		if v != nil {
			out[k] = *v
		}
	}
	return out
}

// javaMap renders a config as Java's Map.toString does ({a=1, b=2}), in key order.
func javaMap(raw map[string]*string) string {
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		v := "null"
		if raw[k] != nil {
			v = *raw[k]
		}
		parts = append(parts, k+"="+v)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// InvalidConfigMessage is the single 400 message Kafka Connect gives for an invalid config on
// create or update.
func InvalidConfigMessage(infos *connect.ConfigInfos) string {
	var errs []string
	for _, c := range infos.Configs {
		if c.Value != nil {
			errs = append(errs, c.Value.Errors...)
		}
	}
	return fmt.Sprintf("Connector configuration is invalid and contains the following %d error(s):\n%s\nYou can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`",
		len(errs), strings.Join(errs, "\n"))
}
