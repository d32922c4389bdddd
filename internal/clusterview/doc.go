// Package clusterview makes a namespace-partitioned slice of a real kube-apiserver look like a cluster
// of its own, so that many simulated member clusters ("views") share a few real apiservers in scale
// tests. Each View is a loopback HTTP server in front of the upstream apiserver; any client-go or
// controller-runtime client pointed at it (its Kubeconfig or RESTConfig) sees only the view's objects
// and cannot tell it from a real cluster: it has its own Namespaces, its own kube-system Namespace and
// therefore its own identity (that Namespace's UID), and its own watches.
//
// The view owns the physical namespaces named "<view>-<ns>" and labels every object created through it
// with LabelView=<view>. It rewrites:
//   - request paths: the namespace segment of namespaced resources, and Namespace objects themselves
//     (get, list, watch, create, update, patch, delete, status and finalize);
//   - cluster-wide lists and watches of namespaced resources, and of Namespaces: the view's label
//     selector is ANDed with the client's; fieldSelectors metadata.namespace (and metadata.name of
//     Namespaces) are mapped;
//   - JSON bodies of create, update and every patch type (merge, strategic merge, JSON patch,
//     server-side apply): metadata.namespace is mapped and the view's label ensured;
//   - responses, one object, a list, a Status or a watch stream (event by event, flushed): namespaces
//     are mapped back and the view's label is stripped, so a client's read-modify-update never loses it.
//
// Cluster-scoped resources other than Namespaces (CRDs, Nodes), discovery, openapi and version pass
// through unchanged, as do resourceVersions, continue tokens and managedFields. What a view rewrites is
// JSON: it asks the upstream for JSON, re-encodes the protobuf bodies of built-in types that client-go's
// clientsets send as JSON, and refuses other protobuf and CBOR bodies (415; client-go falls back to
// JSON for CBOR).
//
// Views on one upstream share one transport and one discovery cache. Start refuses a view whose
// namespaces could be another open view's ("a" and "a-b" would both own "a-b-c"). A view counts the requests it
// serves by verb (Requests) and can play a failed member (SetDown).
//
// Objects in a view's namespaces that were not created through a view are visible to namespaced
// requests but not to cluster-wide lists, which select on the label.
package clusterview
