package config

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// yamlKeys lists every leaf key of t, with "[]" for list elements.
func yamlKeys(t reflect.Type, prefix string) []string {
	var keys []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if tag == "" || tag == "-" {
			continue
		}
		key := join(prefix, tag)
		switch {
		case f.Type.Kind() == reflect.Struct && f.Type != durationType:
			keys = append(keys, yamlKeys(f.Type, key)...)
		case f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct:
			keys = append(keys, yamlKeys(f.Type.Elem(), key+"[]")...)
		default:
			keys = append(keys, key)
		}
	}
	return keys
}

func TestExampleFileLoads(t *testing.T) {
	c, err := Load("../docs/coffer.example.yaml", envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Resolve(); err != nil {
		t.Fatal(err)
	}
	// The example sets every key.
	index := regexp.MustCompile(`\[\d+\]`)
	present := map[string]bool{}
	for k := range c.src {
		present[index.ReplaceAllString(k, "[]")] = true
	}
	for _, k := range yamlKeys(reflect.TypeOf(Config{}), "") {
		if !present[k] {
			t.Errorf("docs/coffer.example.yaml lacks %s", k)
		}
	}
	// Its values are the defaults, except for the illustrative lists.
	d := Default()
	if err := d.Resolve(); err != nil {
		t.Fatal(err)
	}
	c.Chains, c.Auth.OIDC, c.src, d.src = nil, nil, nil, nil
	c.Policy.TypedDataDomains = nil
	c.Proxy.Routes = nil
	if len(c.HTTP.CORSOrigins) == 0 {
		c.HTTP.CORSOrigins = nil
	}
	if !reflect.DeepEqual(c, d) {
		t.Errorf("example differs from defaults:\n%+v\n%+v", c, d)
	}
}

func TestConfigDocCoversEveryKey(t *testing.T) {
	b, err := os.ReadFile("../docs/CONFIG.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, k := range yamlKeys(reflect.TypeOf(Config{}), "") {
		if !strings.Contains(doc, "`"+k+"`") {
			t.Errorf("docs/CONFIG.md lacks key `%s`", k)
		}
	}
	for _, s := range settings {
		if !strings.Contains(doc, "`"+s.env+"`") {
			t.Errorf("docs/CONFIG.md lacks env `%s`", s.env)
		}
		if s.flag != "" && !strings.Contains(doc, "`--"+s.flag+"`") {
			t.Errorf("docs/CONFIG.md lacks flag `--%s`", s.flag)
		}
	}
	if !strings.Contains(doc, "`"+EnvConfigFile+"`") || !strings.Contains(doc, "`--config`") {
		t.Error("docs/CONFIG.md lacks the config file env/flag")
	}
}
