package v1alpha1_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/deploy/crds"
)

// One object the typed client cannot decode stops every List of its kind, and with it every
// controller that lists that kind (a startDelay of "soon" once stopped the hub). This test walks the
// generated CRD schemas, sets every leaf of spec and status in turn to values chosen to sit where a Go
// type is stricter than its schema (durations, quantities, int-or-string, int32 ranges, times,
// enums), sends each to the real apiserver as a dry run, and decodes whatever it accepts with the
// codec the controllers' typed clients use.

// leaf is one schema position: a path of property names ("[]" for an array item, "*" for a map value).
type leaf struct {
	path   []string
	schema apiextensionsv1.JSONSchemaProps
}

func leaves(s apiextensionsv1.JSONSchemaProps, path []string, out *[]leaf) {
	switch {
	case s.XIntOrString, s.Type != "object" && s.Type != "array":
		*out = append(*out, leaf{path: append([]string(nil), path...), schema: s})
	case s.Type == "array":
		if s.Items != nil && s.Items.Schema != nil {
			leaves(*s.Items.Schema, append(path, "[]"), out)
		}
	case len(s.Properties) > 0:
		names := make([]string, 0, len(s.Properties))
		for n := range s.Properties {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			leaves(s.Properties[n], append(path, n), out)
		}
	case s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil:
		leaves(*s.AdditionalProperties.Schema, append(path, "*"), out)
	}
}

// candidates are the values a leaf is set to. Numbers are json.Number so that 2^31 and 2^63 reach
// the apiserver exactly.
func candidates(s apiextensionsv1.JSONSchemaProps) []any {
	n := func(v string) any { return json.Number(v) }
	ints := []any{n("-1"), n("0"), n("1"), n("65536"), n("2147483647"), n("2147483648"), n("-2147483649"),
		n("9007199254740993"), n("9223372036854775807")}
	strs := []any{"soon", "", "x", "0", "-1", "1", "-1s", "1d", "1.5h", "30s", "1e400", "5%", "150%", "1Gi", "-1Gi",
		"1.5", "true", "2026-12-04T00:00:00Z", "2026-12-04", "2026-12-04 00:00:00", "2026-12-04T00:00:00.5+01:00"}
	switch {
	case s.XIntOrString:
		return append(ints, strs...)
	case s.Type == "integer":
		return ints
	case s.Type == "number":
		return append(ints, n("1.5"), n("1e308"))
	case s.Type == "boolean":
		return []any{true, false}
	case s.Type == "string":
		out := append([]any(nil), strs...)
		for _, e := range s.Enum {
			var v any
			if json.Unmarshal(e.Raw, &v) == nil {
				out = append(out, v)
			}
		}
		return out
	}
	return nil
}

// plausible strings fill required fields on the way to a leaf; the first that matches the pattern wins.
var plausible = []string{"x", "a", "Ready", "True", "1", "100usei", "0.5", "sei1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq",
	"0123456789abcdef0123456789abcdef01234567@host:26656", strings.Repeat("ab", 32), "2026-12-04T00:00:00Z", "{}", "1s"}

// minimal builds a value for s with its required fields filled, so a leaf deep inside can be reached.
func minimal(s apiextensionsv1.JSONSchemaProps) any {
	if s.Default != nil {
		var v any
		if json.Unmarshal(s.Default.Raw, &v) == nil {
			return v
		}
	}
	if len(s.Enum) > 0 {
		var v any
		if json.Unmarshal(s.Enum[0].Raw, &v) == nil {
			return v
		}
	}
	switch {
	case s.XIntOrString, s.Type == "integer", s.Type == "number":
		return json.Number("1")
	case s.Type == "boolean":
		return false
	case s.Type == "string" && s.Format == "date-time":
		return "2026-12-04T00:00:00Z"
	case s.Type == "string":
		if s.Pattern != "" {
			if re, err := regexp.Compile(s.Pattern); err == nil {
				for _, p := range plausible {
					if re.MatchString(p) {
						return p
					}
				}
			}
		}
		return "x"
	case s.Type == "array":
		return []any{}
	case s.Type == "object":
		m := map[string]any{}
		for _, r := range s.Required {
			m[r] = minimal(s.Properties[r])
		}
		return m
	}
	return nil
}

// set returns a copy of obj with the leaf at path set to v, creating what lies on the way.
func set(obj map[string]any, root apiextensionsv1.JSONSchemaProps, path []string, v any) map[string]any {
	out := jsonCopy(obj)
	var walk func(cur any, s apiextensionsv1.JSONSchemaProps, path []string) any
	walk = func(cur any, s apiextensionsv1.JSONSchemaProps, path []string) any {
		if len(path) == 0 {
			return v
		}
		switch path[0] {
		case "[]":
			item := *s.Items.Schema
			first := minimal(item)
			if list, ok := cur.([]any); ok && len(list) > 0 {
				first = list[0]
			}
			return []any{walk(first, item, path[1:])}
		case "*":
			item := *s.AdditionalProperties.Schema
			return map[string]any{"k": walk(minimal(item), item, path[1:])}
		default:
			m, ok := cur.(map[string]any)
			if !ok {
				m, _ = minimal(s).(map[string]any)
			}
			child := s.Properties[path[0]]
			next, present := m[path[0]]
			if !present {
				next = minimal(child)
			}
			m[path[0]] = walk(next, child, path[1:])
			return m
		}
	}
	return walk(out, root, path).(map[string]any)
}

// jsonCopy deep-copies a JSON object, keeping numbers as json.Number.
func jsonCopy(m map[string]any) map[string]any {
	raw, _ := json.Marshal(m)
	out := map[string]any{}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	_ = d.Decode(&out)
	return out
}

// bases are valid objects of each kind (the samples and the admission tests' manifests): a leaf is
// tried on each until one accepts a value there, so leaves under a mode or a role are reached too.
func bases(t *testing.T) map[string][]map[string]any {
	t.Helper()
	g := NewWithT(t)
	out := map[string][]map[string]any{}
	docs := []string{validNode, validDeployment, validValidators, validPolicy}
	files, err := filepath.Glob("../../deploy/samples/*.yaml")
	g.Expect(err).NotTo(HaveOccurred())
	for _, f := range files {
		raw, err := os.ReadFile(f)
		g.Expect(err).NotTo(HaveOccurred())
		docs = append(docs, strings.Split(string(raw), "\n---\n")...)
	}
	for _, d := range docs {
		m := map[string]any{}
		g.Expect(yaml.Unmarshal([]byte(d), &m)).To(Succeed())
		kind, _ := m["kind"].(string)
		if kind == "" || m["apiVersion"] != seiv1alpha1.GroupVersion.String() {
			continue
		}
		meta, _ := m["metadata"].(map[string]any)
		delete(meta, "namespace")
		out[kind] = append(out[kind], jsonCopy(m))
	}
	return out
}

type decodeCase struct {
	kind, plural string
	namespaced   bool
	schema       apiextensionsv1.JSONSchemaProps
}

func TestWhateverTheAPIServerAcceptsTheTypedClientDecodes(t *testing.T) {
	g := NewWithT(t)
	all, err := crds.Hub()
	g.Expect(err).NotTo(HaveOccurred())
	scheme := runtime.NewScheme()
	g.Expect(seiv1alpha1.AddToScheme(scheme)).To(Succeed())
	decoder := serializer.NewCodecFactory(scheme).UniversalDeserializer()
	httpClient, err := rest.HTTPClientFor(fleet.Hub.Config)
	g.Expect(err).NotTo(HaveOccurred())
	objects := bases(t)

	var cases []decodeCase
	for _, crd := range all {
		if crd.Spec.Group != seiv1alpha1.GroupVersion.Group {
			continue
		}
		cases = append(cases, decodeCase{crd.Spec.Names.Kind, crd.Spec.Names.Plural,
			crd.Spec.Scope == apiextensionsv1.NamespaceScoped, *crd.Spec.Versions[0].Schema.OpenAPIV3Schema})
	}
	g.Expect(cases).To(HaveLen(3))

	var failures, unreached []string
	accepted := 0
	for _, c := range cases {
		url := strings.TrimSuffix(fleet.Hub.Config.Host, "/") + "/apis/" + seiv1alpha1.GroupVersion.String()
		if c.namespaced {
			url += "/namespaces/" + ns
		}
		url += "/" + c.plural
		g.Expect(objects[c.kind]).NotTo(BeEmpty(), "no base object for %s", c.kind)

		// Status is written through the status subresource of an object that exists.
		stored := make([]map[string]any, len(objects[c.kind]))
		for i, base := range objects[c.kind] {
			obj := jsonCopy(base)
			obj["metadata"].(map[string]any)["name"] = fmt.Sprintf("decode-%d", i)
			code, body := send(t, httpClient, http.MethodPost, url, obj)
			g.Expect(code).To(Equal(http.StatusCreated), "create %s base %d at %s: %s", c.kind, i, url, body)
			created := map[string]any{}
			d := json.NewDecoder(bytes.NewReader(body))
			d.UseNumber()
			g.Expect(d.Decode(&created)).To(Succeed())
			stored[i] = created
			defer send(t, httpClient, http.MethodDelete, url+"/"+fmt.Sprintf("decode-%d", i), nil)
		}

		var ls []leaf
		leaves(c.schema, nil, &ls)
		for _, l := range ls {
			if l.path[0] != "spec" && l.path[0] != "status" {
				continue
			}
			name := c.kind + "." + strings.Join(l.path, ".")
			reached := false
			for i := range stored {
				method, target, base := http.MethodPost, url+"?dryRun=All", objects[c.kind][i]
				if l.path[0] == "status" {
					method, target, base = http.MethodPut, url+"/"+fmt.Sprintf("decode-%d", i)+"/status?dryRun=All", stored[i]
				}
				for _, v := range append(candidates(l.schema), minimal(l.schema)) {
					obj := set(base, c.schema, l.path, v)
					code, body := send(t, httpClient, method, target, obj)
					if code >= 300 {
						continue
					}
					reached = true
					accepted++
					if _, _, err := decoder.Decode(body, nil, nil); err != nil {
						failures = append(failures, fmt.Sprintf("%s = %#v: the apiserver accepted it, the typed client fails: %v", name, v, err))
					}
				}
				if reached {
					break
				}
			}
			if !reached {
				unreached = append(unreached, name)
			}
		}
	}
	t.Logf("%d accepted values decoded; leaves no candidate reached (the schema refuses every one):\n%s", accepted, strings.Join(unreached, "\n"))
	if len(failures) > 0 {
		t.Errorf("%d accepted values the typed client cannot decode:\n%s", len(failures), strings.Join(failures, "\n"))
	}
	// The test proves nothing for a leaf it never reaches: most must take some value.
	g.Expect(accepted).To(BeNumerically(">", 300))
}

func send(t *testing.T, c *http.Client, method, url string, obj map[string]any) (int, []byte) {
	t.Helper()
	var body io.Reader
	if obj != nil {
		raw, err := json.Marshal(obj)
		NewWithT(t).Expect(err).NotTo(HaveOccurred())
		body = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, url, body)
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	defer func() { _ = resp.Body.Close() }()
	out, err := io.ReadAll(resp.Body)
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	return resp.StatusCode, out
}
