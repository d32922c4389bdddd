package clusterview

import (
	"net/url"
	"testing"

	. "github.com/onsi/gomega"
)

func TestParse(t *testing.T) {
	v := testView()
	v.up = &upstream{namespaced: map[string]map[string]bool{
		"/api/v1":               {"configmaps": true, "nodes": false, "namespaces": false},
		"/apis/sei.io/v1alpha1": {"seinodes": true},
	}}
	for _, tc := range []struct {
		method, url string
		want        route
	}{
		{"GET", "/api", route{scope: passThrough, verb: iOther, path: "/api"}},
		{"GET", "/apis/sei.io/v1alpha1", route{scope: passThrough, verb: iOther, path: "/apis/sei.io/v1alpha1"}},
		{"GET", "/version", route{scope: passThrough, verb: iOther, path: "/version"}},
		{"GET", "/api/v1/nodes", route{scope: passThrough, verb: iList, collection: true, path: "/api/v1/nodes"}},
		{"GET", "/api/v1/nodes/n1", route{scope: passThrough, verb: iGet, path: "/api/v1/nodes/n1"}},
		{"GET", "/api/v1/namespaces", route{scope: namespaceObjects, verb: iList, collection: true, path: "/api/v1/namespaces"}},
		{"GET", "/api/v1/namespaces?watch=true", route{scope: namespaceObjects, verb: iWatch, watch: true, collection: true, path: "/api/v1/namespaces"}},
		{"POST", "/api/v1/namespaces", route{scope: namespaceObjects, verb: iCreate, collection: true, path: "/api/v1/namespaces"}},
		{"GET", "/api/v1/namespaces/a", route{scope: namespaceObjects, verb: iGet, path: "/api/v1/namespaces/v1-a"}},
		{"PUT", "/api/v1/namespaces/a/finalize", route{scope: namespaceObjects, verb: iUpdate, path: "/api/v1/namespaces/v1-a/finalize"}},
		{"PATCH", "/api/v1/namespaces/a/status", route{scope: namespaceObjects, verb: iPatch, path: "/api/v1/namespaces/v1-a/status"}},
		{"GET", "/api/v1/namespaces/a/configmaps", route{scope: namespaced, verb: iList, collection: true, path: "/api/v1/namespaces/v1-a/configmaps"}},
		{"DELETE", "/api/v1/namespaces/a/configmaps/c", route{scope: namespaced, verb: iDelete, path: "/api/v1/namespaces/v1-a/configmaps/c"}},
		{"PUT", "/apis/sei.io/v1alpha1/namespaces/a/seinodes/n/status", route{scope: namespaced, verb: iUpdate, path: "/apis/sei.io/v1alpha1/namespaces/v1-a/seinodes/n/status"}},
		{"GET", "/apis/sei.io/v1alpha1/seinodes?watch=1", route{scope: clusterWide, verb: iWatch, watch: true, collection: true, path: "/apis/sei.io/v1alpha1/seinodes"}},
		{"GET", "/api/v1/watch/namespaces/a/configmaps", route{scope: namespaced, verb: iWatch, watch: true, collection: true, path: "/api/v1/watch/namespaces/v1-a/configmaps"}},
		{"GET", "/api/v1/configmaps", route{scope: clusterWide, verb: iList, collection: true, path: "/api/v1/configmaps"}},
	} {
		u, err := url.Parse(tc.url)
		NewWithT(t).Expect(err).NotTo(HaveOccurred())
		got, err := v.parse(t.Context(), tc.method, u.Path, u.Query())
		NewWithT(t).Expect(err).NotTo(HaveOccurred(), tc.url)
		NewWithT(t).Expect(got).To(Equal(tc.want), "%s %s", tc.method, tc.url)
	}
}
