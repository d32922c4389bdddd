package clusterview

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"testing"
	"testing/iotest"

	. "github.com/onsi/gomega"
)

// A SeiNode as the upstream returns it, with managed fields and a status: the size the hub reads.
const upstreamSeiNode = `{"apiVersion":"sei.io/v1alpha1","kind":"SeiNode","metadata":{"creationTimestamp":"2026-12-07T04:00:00Z",` +
	`"generation":3,"labels":{"clusterview.sei.io/view":"v1","sei.io/chain":"test-1","sei.io/role":"rpc"},` +
	`"managedFields":[{"apiVersion":"sei.io/v1alpha1","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:labels":{".":{},` +
	`"f:clusterview.sei.io/view":{},"f:sei.io/chain":{}}},"f:spec":{".":{},"f:chainId":{},"f:image":{},"f:fullNode":{}}},` +
	`"manager":"sei-fleet-hub","operation":"Apply","time":"2026-12-07T04:00:00Z"}],"name":"node-0042","namespace":"v1-sei",` +
	`"resourceVersion":"9007199254740993","uid":"5c1e6a0e-7d4b-4b64-8a8e-2f1c3b9d7e10"},"spec":{"chainId":"test-1",` +
	`"image":"ghcr.io/sei-protocol/seid:v6.1.0","fullNode":{},"clusterName":"v1"},"status":{"observedGeneration":3,` +
	`"phase":"Running","currentImage":"ghcr.io/sei-protocol/seid:v6.1.0","nodeID":"8f3c2a1b","p2pAddress":"10.0.0.42:26656"}}`

func testView() *View {
	return &View{name: "v1", prefix: "v1-", selector: LabelView + "=v1"}
}

func TestResponsesComeBackIntoTheView(t *testing.T) {
	g := NewWithT(t)
	v := testView()
	out, err := v.rewriteResponse([]byte(upstreamSeiNode), false)
	g.Expect(err).NotTo(HaveOccurred())
	var obj map[string]any
	g.Expect(json.Unmarshal(out, &obj)).To(Succeed())
	md := obj["metadata"].(map[string]any)
	g.Expect(md["namespace"]).To(Equal("sei"))
	g.Expect(md["labels"]).To(Equal(map[string]any{"sei.io/chain": "test-1", "sei.io/role": "rpc"}))
	// No integer goes through a float64.
	g.Expect(string(out)).To(ContainSubstring(`"resourceVersion":"9007199254740993"`))
	g.Expect(string(out)).To(ContainSubstring(`"generation":3,`))

	// And back: the namespace is mapped and the label ensured.
	up, err := v.rewriteRequestBody(out, "application/json", false)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(json.Unmarshal(up, &obj)).To(Succeed())
	md = obj["metadata"].(map[string]any)
	g.Expect(md["namespace"]).To(Equal("v1-sei"))
	g.Expect(md["labels"]).To(HaveKeyWithValue(LabelView, "v1"))
}

func TestNamespacesAndStatusesComeBackIntoTheView(t *testing.T) {
	g := NewWithT(t)
	v := testView()
	list := `{"kind":"NamespaceList","apiVersion":"v1","metadata":{"resourceVersion":"7"},"items":[` +
		`{"metadata":{"name":"v1-kube-system","labels":{"clusterview.sei.io/view":"v1","kubernetes.io/metadata.name":"v1-kube-system"}}}]}`
	out, err := v.rewriteResponse([]byte(list), true)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(out)).To(Equal(`{"kind":"NamespaceList","apiVersion":"v1","metadata":{"resourceVersion":"7"},` +
		`"items":[{"metadata":{"name":"kube-system","labels":{"kubernetes.io/metadata.name":"kube-system"}}}]}` + "\n"))

	status := `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"namespaces \"v1-work\" not found",` +
		`"reason":"NotFound","details":{"name":"v1-work","kind":"namespaces"},"code":404}`
	out, err = v.rewriteResponse([]byte(status), true)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(out)).To(ContainSubstring(`"message":"namespaces \"work\" not found"`))
	g.Expect(string(out)).To(ContainSubstring(`"name":"work"`))
}

func TestPatchesKeepTheLabel(t *testing.T) {
	g := NewWithT(t)
	v := testView()
	out, err := v.rewriteRequestBody([]byte(`{"metadata":{"labels":null}}`), "application/merge-patch+json", false)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(out)).To(Equal(`{"metadata":{"labels":{"clusterview.sei.io/view":"v1"}}}` + "\n"))

	out, err = v.rewriteRequestBody([]byte(`[{"op":"remove","path":"/metadata/labels"},{"op":"add","path":"/metadata/namespace","value":"x"}]`),
		"application/json-patch+json", false)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(out)).To(Equal(`[{"op":"replace","path":"/metadata/labels","value":{"clusterview.sei.io/view":"v1"}},` +
		`{"op":"add","path":"/metadata/namespace","value":"v1-x"}]` + "\n"))

	out, err = v.rewriteRequestBody([]byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: x\n"), "application/apply-patch+yaml", false)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(out)).To(Equal(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"labels":{"clusterview.sei.io/view":"v1"},"name":"c","namespace":"v1-x"}}` + "\n"))
}

func TestGeneratedNamespaceNamesKeepThePrefix(t *testing.T) {
	g := NewWithT(t)
	out, err := testView().rewriteRequestBody([]byte(`{"metadata":{"generateName":"tmp-"}}`), "application/json", true)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(out)).To(Equal(`{"metadata":{"generateName":"v1-tmp-","labels":{"clusterview.sei.io/view":"v1"}}}` + "\n"))
}

func TestSelectors(t *testing.T) {
	g := NewWithT(t)
	v := testView()
	q := url.Values{"labelSelector": {"a=b"}, "fieldSelector": {"metadata.namespace=x,metadata.name!=y"}}
	g.Expect(v.rewriteQuery(route{scope: clusterWide, collection: true, verb: iList}, q)).To(BeTrue())
	g.Expect(q.Get("labelSelector")).To(Equal("a=b," + LabelView + "=v1"))
	g.Expect(q.Get("fieldSelector")).To(Equal("metadata.namespace=v1-x,metadata.name!=y"))

	q = url.Values{"fieldSelector": {"metadata.name==work"}}
	g.Expect(v.rewriteQuery(route{scope: namespaceObjects, collection: true, verb: iWatch}, q)).To(BeTrue())
	g.Expect(q.Get("labelSelector")).To(Equal(LabelView + "=v1"))
	g.Expect(q.Get("fieldSelector")).To(Equal("metadata.name==v1-work"))

	q = url.Values{"fieldSelector": {"involvedObject.namespace=x"}}
	g.Expect(v.rewriteQuery(route{scope: namespaced, collection: true, verb: iList}, q)).To(BeTrue())
	g.Expect(q.Get("fieldSelector")).To(Equal("involvedObject.namespace=v1-x"))

	// A namespaced list needs no selector: the namespace is the view's.
	q = url.Values{}
	g.Expect(v.rewriteQuery(route{scope: namespaced, collection: true, verb: iList}, q)).To(BeFalse())
}

func TestWatchStreamsComeBackEventByEvent(t *testing.T) {
	g := NewWithT(t)
	v := testView()
	stream := `{"type":"ADDED","object":` + upstreamSeiNode + "}\n" +
		`{"type":"BOOKMARK","object":{"kind":"SeiNode","apiVersion":"sei.io/v1alpha1","metadata":{"resourceVersion":"12","annotations":{"k8s.io/initial-events-end":"true"}}}}` + "\n" +
		`{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old resource version","reason":"Expired","code":410}}` + "\n"
	body := v.newWatchBody(io.NopCloser(strings.NewReader(stream)), false)
	dec := json.NewDecoder(body)
	var types []string
	for {
		var ev struct {
			Type   string                     `json:"type"`
			Object map[string]json.RawMessage `json:"object"`
		}
		if err := dec.Decode(&ev); errors.Is(err, io.EOF) {
			break
		} else {
			g.Expect(err).NotTo(HaveOccurred())
		}
		types = append(types, ev.Type)
		if ev.Type == "ADDED" {
			g.Expect(string(ev.Object["metadata"])).To(ContainSubstring(`"namespace":"sei"`))
		}
	}
	g.Expect(types).To(Equal([]string{"ADDED", "BOOKMARK", "ERROR"}))

	// Framing does not depend on how the upstream's bytes arrive.
	body = v.newWatchBody(io.NopCloser(iotest.OneByteReader(strings.NewReader(stream))), false)
	whole, err := io.ReadAll(body)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(bytes.Count(whole, []byte("\n"))).To(Equal(3))
	g.Expect(string(whole)).To(ContainSubstring(`"namespace":"sei"`))
	g.Expect(string(whole)).NotTo(ContainSubstring(`"` + LabelView + `":"v1"`))

	// A stream cut inside an event ends in an error, not in half an event.
	body = v.newWatchBody(io.NopCloser(strings.NewReader(stream[:len(stream)-10])), false)
	_, err = io.ReadAll(body)
	g.Expect(err).To(MatchError(io.ErrUnexpectedEOF))

	// One Read returns no more than one event.
	body = v.newWatchBody(io.NopCloser(strings.NewReader(stream)), false)
	buf := make([]byte, 1<<16)
	n, err := body.Read(buf)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(bytes.Count(buf[:n], []byte("\n"))).To(Equal(1))
}

func TestBrokenJSONFailsTheRewrite(t *testing.T) {
	g := NewWithT(t)
	v := testView()
	for _, broken := range []string{``, `{`, `{"metadata":`, `{"a":}`, `{"a" 1}`, `{"a":1,}`, `{"a":"x`, `{"items":[1,}`, `{"items":[{"metadata":{"labels":{"x"}}}]}`, `[]`} {
		_, err := v.rewriteResponse([]byte(broken), false)
		g.Expect(err).To(HaveOccurred(), broken)
	}
}

// BenchmarkRewriteObject is the cost of one object read through a view: decode, map, encode.
func BenchmarkRewriteObject(b *testing.B) {
	v := testView()
	body := []byte(upstreamSeiNode)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.rewriteResponse(body, false); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRewriteList is the cost per item of a list of SeiNodes read through a view.
func BenchmarkRewriteList(b *testing.B) {
	v := testView()
	const items = 100
	var list strings.Builder
	list.WriteString(`{"kind":"SeiNodeList","apiVersion":"sei.io/v1alpha1","metadata":{"resourceVersion":"1"},"items":[`)
	for i := range items {
		if i > 0 {
			list.WriteByte(',')
		}
		list.WriteString(upstreamSeiNode)
	}
	list.WriteString("]}")
	body := []byte(list.String())
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.rewriteResponse(body, false); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*items), "ns/item")
}

// BenchmarkRewriteWatchEvent is the cost of one watch event streamed through a view.
func BenchmarkRewriteWatchEvent(b *testing.B) {
	v := testView()
	event := []byte(`{"type":"MODIFIED","object":` + upstreamSeiNode + "}\n")
	const perStream = 100
	stream := bytes.Repeat(event, perStream)
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	buf := make([]byte, 32<<10)
	for b.Loop() {
		body := v.newWatchBody(io.NopCloser(bytes.NewReader(stream)), false)
		for {
			if _, err := body.Read(buf); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*perStream), "ns/event")
}

func ExampleView_Namespace() {
	fmt.Println(testView().Namespace("kube-system"))
	// Output: v1-kube-system
}

// mapBackSlowly maps an upstream document back into the view the obvious way, on decoded JSON: the
// oracle for the one-pass rewrite.
func mapBackSlowly(v *View, doc map[string]any, nsObjects bool) {
	mapObject := func(obj map[string]any) {
		if md, ok := obj["metadata"].(map[string]any); ok {
			field := "namespace"
			if nsObjects {
				field = "name"
			}
			if s, ok := md[field].(string); ok {
				md[field] = strings.TrimPrefix(s, v.prefix)
			}
			if labels, ok := md["labels"].(map[string]any); ok {
				delete(labels, LabelView)
				if s, ok := labels[nsNameLabel].(string); ok && nsObjects {
					labels[nsNameLabel] = strings.TrimPrefix(s, v.prefix)
				}
				if len(labels) == 0 {
					delete(md, "labels")
				}
			}
		}
		for _, key := range []string{"involvedObject", "regarding"} {
			if ref, ok := obj[key].(map[string]any); ok {
				if s, ok := ref["namespace"].(string); ok {
					ref["namespace"] = strings.TrimPrefix(s, v.prefix)
				}
			}
		}
	}
	if items, ok := doc["items"].([]any); ok {
		for _, it := range items {
			if obj, ok := it.(map[string]any); ok {
				mapObject(obj)
			}
		}
	}
	mapObject(doc)
}

func FuzzRewriteResponseMatchesDecodedJSON(f *testing.F) {
	f.Add([]byte(upstreamSeiNode), false)
	f.Add([]byte(`{"kind":"SeiNodeList","metadata":{"continue":"x"},"items":[`+upstreamSeiNode+`,{"metadata":{"namespace":"v1-a","labels":{"x":"y"}}}]}`), false)
	f.Add([]byte(`{"items":[{"metadata":{"name":"v1-kube-system","labels":{"clusterview.sei.io/view":"v1","kubernetes.io/metadata.name":"v1-kube-system"}}}]}`), true)
	f.Add([]byte(`{"kind":"Event","involvedObject":{"namespace":"v1-x","name":"n"},"metadata":{"namespace":"v1-x","labels":{}}}`), false)
	f.Add([]byte(` { "metadata" : { "namespace" : "v1-" , "labels" : { "clusterview.sei.io/view" : "v1" } } , "n" : [ 1 , 2.5e3 , null , true ] } `), false)
	f.Add([]byte(`{"metadata":{"a":1,"labels":{"clusterview.sei.io/view":"v1"},"b":2},"items":[]}`), false)
	f.Add([]byte(`{"metadata":{"labels":{"clusterview.sei.io/view":"v1","z":""}},"items":[1,"s",{}]}`), true)
	f.Add([]byte(`{}`), false)
	f.Fuzz(func(t *testing.T, body []byte, nsObjects bool) {
		var want map[string]any
		// Valid JSON objects only, as an apiserver sends; no escapes, which it never uses for names and
		// keys; no Status, which takes another path.
		if !json.Valid(body) || bytes.IndexByte(body, '\\') >= 0 || json.Unmarshal(body, &want) != nil || want == nil || want["kind"] == "Status" {
			t.Skip()
		}
		v := testView()
		out, err := v.rewriteResponse(body, nsObjects)
		if err != nil {
			t.Fatalf("rewrite %s: %v", body, err)
		}
		var got map[string]any
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("rewrite of %s is not JSON: %s: %v", body, out, err)
		}
		mapBackSlowly(v, want, nsObjects)
		NewWithT(t).Expect(got).To(Equal(want), "rewrite of %s", body)
	})
}
