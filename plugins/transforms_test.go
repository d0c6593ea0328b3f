package plugins

import (
	"strings"
	"testing"
)

func TestValidateTransformsAndPredicates(t *testing.T) {
	r := New()
	base := func() map[string]*string {
		return map[string]*string{"connector.class": ptr("FileStreamSource"), "name": ptr("n"), "topic": ptr("t"),
			"transforms": ptr("route,f"), "transforms.route.type": ptr("RegexRouter"), "transforms.route.regex": ptr("(.*)"),
			"transforms.route.replacement": ptr("x-$1"), "transforms.f.type": ptr("Filter"), "transforms.f.predicate": ptr("tomb"),
			"predicates": ptr("tomb"), "predicates.tomb.type": ptr("RecordIsTombstone"), "header.converter": ptr("StringConverter")}
	}
	infos, err := r.Validate(base(), ValidationContext{})
	if err != nil || infos.ErrorCount != 0 {
		t.Fatalf("valid chain: %v %s", err, InvalidConfigMessage(infos))
	}
	groups := strings.Join(infos.Groups, "|")
	if !strings.Contains(groups, "Transforms|Predicates") || !strings.Contains(groups, "Transforms: route|Transforms: f|Predicates: tomb") {
		t.Errorf("groups %s", groups)
	}
	var sawReplacement bool
	for _, c := range infos.Configs {
		if c.Definition != nil && c.Definition.Name == "transforms.route.replacement" {
			sawReplacement = *c.Definition.Group == "Transforms: route" && *c.Value.Value == "x-$1"
		}
	}
	if !sawReplacement {
		t.Error("transforms.route.replacement not reported in its group")
	}

	bad := base()
	bad["transforms.route.regex"] = ptr("(")
	bad["transforms.f.type"] = ptr("com.example.Nope")
	bad["predicates.tomb.type"] = ptr("HasHeaderKey")
	infos, _ = r.Validate(bad, ValidationContext{})
	msg := InvalidConfigMessage(infos)
	for _, want := range []string{
		"Invalid value ( for configuration transforms.route.regex: Invalid regex:",
		"Invalid value com.example.Nope for configuration transforms.f.type: Class com.example.Nope could not be found.",
		`Missing required configuration "predicates.tomb.name" which has no default value.`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	if infos.ErrorCount != 3 {
		t.Errorf("error_count %d:\n%s", infos.ErrorCount, msg)
	}
}

func TestTransformPluginConfig(t *testing.T) {
	keys, err := New().ConfigKeys("org.apache.kafka.connect.transforms.RegexRouter")
	if err != nil || len(keys) != 2 || keys[0].Name != "regex" || keys[1].Name != "replacement" || !keys[0].Required {
		t.Fatalf("RegexRouter config: %+v %v", keys, err)
	}
	keys, err = New().ConfigKeys("TopicNameMatches")
	if err != nil || len(keys) != 1 || keys[0].Name != "pattern" {
		t.Fatalf("TopicNameMatches config: %+v %v", keys, err)
	}
	for _, class := range []string{"org.apache.kafka.connect.transforms.InsertField$Value", "InsertField$Value", "HasHeaderKey", "Filter"} {
		if p, ok := New().Lookup(class); !ok || (p.Kind != KindTransformation && p.Kind != KindPredicate) {
			t.Errorf("lookup %s", class)
		}
	}
}
