package ocsf

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
)

// The schema subset is generated from the OCSF 1.6.0 schema repository
// (testdata/README.md); the validator below checks events against it.

//go:embed testdata/ocsf-1.6.0-subset.json
var subsetJSON []byte

type schemaAttr struct {
	Type        string `json:"type"`
	IsArray     bool   `json:"is_array"`
	Requirement string `json:"requirement"`
	Profile     string `json:"profile"`
	Enum        []int  `json:"enum"`
}

type schemaType struct {
	Caption     string                `json:"caption"`
	CategoryUID int                   `json:"category_uid"`
	ClassUID    int                   `json:"class_uid"`
	Attributes  map[string]schemaAttr `json:"attributes"`
	Constraints struct {
		AtLeastOne []string `json:"at_least_one"`
		JustOne    []string `json:"just_one"`
	} `json:"constraints"`
}

type schema struct {
	Version string                `json:"version"`
	Types   map[string]string     `json:"types"`
	Classes map[string]schemaType `json:"classes"`
	Objects map[string]schemaType `json:"objects"`
}

var loadSchema = sync.OnceValues(func() (*schema, error) {
	var s schema
	if err := json.Unmarshal(subsetJSON, &s); err != nil {
		return nil, err
	}
	return &s, nil
})

func testSchema(t testing.TB) *schema {
	t.Helper()
	s, err := loadSchema()
	if err != nil {
		t.Fatal(err)
	}
	if s.Version != Version {
		t.Fatalf("schema subset is OCSF %s, the encoder writes %s", s.Version, Version)
	}
	return s
}

// validate checks one OCSF event (compact JSON) against the schema subset:
// the class exists and its ids agree (type_uid = class_uid*100 +
// activity_id), every attribute is one the class or object defines (a
// profile's only when metadata.profiles names it), every required
// attribute is present, constraints hold, types and enums match, and no
// value is null. It returns the class name.
func (s *schema) validate(event []byte) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(event))
	dec.UseNumber()
	var ev map[string]any
	if err := dec.Decode(&ev); err != nil {
		return "", fmt.Errorf("not a JSON object: %v", err)
	}
	if dec.More() {
		return "", fmt.Errorf("data after the event")
	}
	classUID, err := intOf(ev["class_uid"])
	if err != nil {
		return "", fmt.Errorf("class_uid: %v", err)
	}
	var name string
	var cl schemaType
	for n, c := range s.Classes {
		if c.ClassUID == int(classUID) {
			name, cl = n, c
		}
	}
	if name == "" {
		return "", fmt.Errorf("class_uid %d is not a class of the subset", classUID)
	}
	if cat, err := intOf(ev["category_uid"]); err != nil || int(cat) != cl.CategoryUID {
		return name, fmt.Errorf("category_uid %v, want %d", ev["category_uid"], cl.CategoryUID)
	}
	act, err := intOf(ev["activity_id"])
	if err != nil {
		return name, fmt.Errorf("activity_id: %v", err)
	}
	if tu, err := intOf(ev["type_uid"]); err != nil || tu != classUID*100+act {
		return name, fmt.Errorf("type_uid %v, want %d", ev["type_uid"], classUID*100+act)
	}
	var profiles []string
	if md, ok := ev["metadata"].(map[string]any); ok {
		if ps, ok := md["profiles"].([]any); ok {
			for _, p := range ps {
				if p, ok := p.(string); ok {
					profiles = append(profiles, p)
				}
			}
		}
	}
	return name, s.object(name, cl, ev, profiles, true)
}

// object checks obj against t (class attributes when top is set).
func (s *schema) object(path string, t schemaType, obj map[string]any, profiles []string, top bool) error {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		a, ok := t.Attributes[k]
		if !ok {
			return fmt.Errorf("%s.%s: not an attribute of %s", path, k, t.Caption)
		}
		if top && a.Profile != "" && !slices.Contains(profiles, a.Profile) {
			return fmt.Errorf("%s.%s: needs the %s profile in metadata.profiles", path, k, a.Profile)
		}
		if err := s.value(path+"."+k, a, obj[k], profiles); err != nil {
			return err
		}
	}
	for k, a := range t.Attributes {
		if a.Requirement != "required" || (a.Profile != "" && !slices.Contains(profiles, a.Profile)) {
			continue
		}
		if _, ok := obj[k]; !ok {
			return fmt.Errorf("%s: required attribute %s missing", path, k)
		}
	}
	if c := t.Constraints.AtLeastOne; len(c) > 0 && !slices.ContainsFunc(c, func(k string) bool { _, ok := obj[k]; return ok }) {
		return fmt.Errorf("%s: needs at least one of %v", path, c)
	}
	if c := t.Constraints.JustOne; len(c) > 0 {
		n := 0
		for _, k := range c {
			if _, ok := obj[k]; ok {
				n++
			}
		}
		if n != 1 {
			return fmt.Errorf("%s: needs exactly one of %v", path, c)
		}
	}
	return nil
}

// value checks one attribute value against its declared type.
func (s *schema) value(path string, a schemaAttr, v any, profiles []string) error {
	if v == nil {
		return fmt.Errorf("%s: null (absent values must be omitted)", path)
	}
	if a.IsArray {
		arr, ok := v.([]any)
		if !ok {
			return fmt.Errorf("%s: want an array of %s, got %T", path, a.Type, v)
		}
		if len(arr) == 0 {
			return fmt.Errorf("%s: empty array", path)
		}
		el := a
		el.IsArray = false
		for i, e := range arr {
			if err := s.value(fmt.Sprintf("%s[%d]", path, i), el, e, profiles); err != nil {
				return err
			}
		}
		return nil
	}
	base, scalar := s.Types[a.Type]
	switch {
	case !scalar && a.Type == "object":
		if _, ok := v.(map[string]any); !ok {
			return fmt.Errorf("%s: want an object, got %T", path, v)
		}
	case !scalar:
		t, ok := s.Objects[a.Type]
		if !ok {
			return fmt.Errorf("%s: object type %s is not in the schema subset (add it to testdata/extract.py)", path, a.Type)
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: want a %s object, got %T", path, a.Type, v)
		}
		return s.object(path, t, obj, profiles, false)
	case base == "string_t":
		if _, ok := v.(string); !ok {
			return fmt.Errorf("%s: want a string (%s), got %T", path, a.Type, v)
		}
	case base == "integer_t" || base == "long_t":
		n, err := intOf(v)
		if err != nil {
			return fmt.Errorf("%s: %v", path, err)
		}
		if len(a.Enum) > 0 && !slices.Contains(a.Enum, int(n)) {
			return fmt.Errorf("%s: %d is not one of %v", path, n, a.Enum)
		}
	case base == "float_t":
		if _, ok := v.(json.Number); !ok {
			return fmt.Errorf("%s: want a number, got %T", path, v)
		}
	case base == "boolean_t":
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("%s: want a boolean, got %T", path, v)
		}
	case base == "json_t":
	default:
		return fmt.Errorf("%s: type %s not handled by the validator", path, a.Type)
	}
	return nil
}

func intOf(v any) (int64, error) {
	n, ok := v.(json.Number)
	if !ok || strings.ContainsAny(string(n), ".eE") {
		return 0, fmt.Errorf("want an integer, got %v (%T)", v, v)
	}
	return n.Int64()
}

// TestValidatorRejects proves the validator can fail: each broken event is
// refused for the stated reason.
func TestValidatorRejects(t *testing.T) {
	s := testSchema(t)
	good := `{"activity_id":1,"category_uid":3,"class_uid":3001,"type_uid":300101,"severity_id":1,"time":1,` +
		`"metadata":{"version":"1.6.0","product":{"name":"Compliance API"}},"user":{"uid":"u"}}`
	if _, err := s.validate([]byte(good)); err != nil {
		t.Fatalf("good event rejected: %v", err)
	}
	for _, tc := range []struct{ name, from, to, want string }{
		{"missing required", `,"user":{"uid":"u"}`, ``, "required attribute user"},
		{"wrong type_uid", `"type_uid":300101`, `"type_uid":300102`, "type_uid"},
		{"wrong category", `"category_uid":3`, `"category_uid":6`, "category_uid"},
		{"unknown attribute", `"time":1,`, `"time":1,"bogus":1,`, "not an attribute"},
		{"profile attribute without profile", `"time":1,`, `"time":1,"device":{},`, "profile"},
		{"string for integer", `"severity_id":1`, `"severity_id":"1"`, "integer"},
		{"enum", `"severity_id":1`, `"severity_id":7`, "not one of"},
		{"activity and type_uid disagree", `"activity_id":1,`, `"activity_id":13,`, "type_uid"},
		{"activity not of the class", `"activity_id":1,"category_uid":3,"class_uid":3001,"type_uid":300101`,
			`"activity_id":13,"category_uid":3,"class_uid":3001,"type_uid":300113`, "not one of"},
		{"constraint", `"user":{"uid":"u"}`, `"user":{"email_addr":"a@b.c"}`, "at least one"},
		{"null", `"user":{"uid":"u"}`, `"user":{"uid":null}`, "null"},
		{"nested type", `"product":{"name":"Compliance API"}`, `"product":{"name":1}`, "want a string"},
		{"unknown class", `"class_uid":3001`, `"class_uid":4001`, "not a class"},
	} {
		bad := strings.Replace(good, tc.from, tc.to, 1)
		if bad == good {
			t.Fatalf("%s: replacement did not apply", tc.name)
		}
		if _, err := s.validate([]byte(bad)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}
