package clusterview

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"mime"
	"net"
	"net/http"
	"net/http/httputil"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// LabelView names the view an object was created through.
const LabelView = "clusterview.sei.io/view"

// maxBody bounds a request body a view reads to rewrite it (the apiserver's own limit is 3 MiB).
const maxBody = 16 << 20

// View is one simulated cluster: a loopback HTTP server in front of an upstream apiserver. See the
// package documentation.
type View struct {
	name     string
	prefix   string // of the view's physical namespaces: "<name>-"
	selector string // LabelView=<name>
	up       *upstream
	proxy    *httputil.ReverseProxy
	server   *http.Server
	url      string
	// kubeconfig is what Kubeconfig returns.
	kubeconfig []byte
	served     chan struct{}

	counts [len(verbs)]atomic.Int64
	down   atomic.Bool

	mu sync.Mutex
	// gen ends every request in flight when cancelled: by SetDown(true) and Close.
	gen       context.Context
	cancelGen context.CancelFunc
	closed    bool
	inFlight  sync.WaitGroup
}

// Start starts a view called name (a DNS label; the physical namespaces are "<name>-<ns>") on the
// apiserver upstream reaches, and creates its kube-system and default Namespaces unless they exist,
// so a view started again under the same name is the same cluster (same identity). ctx bounds the
// start only; the view runs until Close.
func Start(ctx context.Context, upstream *rest.Config, name string) (*View, error) {
	if errs := validation.IsDNS1123Label(name); len(errs) > 0 {
		return nil, fmt.Errorf("cluster view name %q: %s", name, strings.Join(errs, "; "))
	}
	up, err := acquireUpstream(upstream, name)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		releaseUpstream(up, name)
		return nil, fmt.Errorf("listen for cluster view %s: %w", name, err)
	}
	quiet := log.New(io.Discard, "", 0)
	v := &View{
		name:     name,
		prefix:   name + "-",
		selector: LabelView + "=" + name,
		up:       up,
		url:      "http://" + ln.Addr().String(),
		served:   make(chan struct{}),
	}
	if v.kubeconfig, err = kubeconfig(name, v.url); err != nil {
		_ = ln.Close()
		releaseUpstream(up, name)
		return nil, err
	}
	v.gen, v.cancelGen = context.WithCancel(context.Background())
	v.proxy = &httputil.ReverseProxy{
		Rewrite:        v.rewriteOut,
		ModifyResponse: v.modifyResponse,
		ErrorHandler:   v.proxyError,
		Transport:      up.transport,
		FlushInterval:  -1, // watch events go out as they come
		ErrorLog:       quiet,
	}
	v.server = &http.Server{Handler: v, ReadHeaderTimeout: 30 * time.Second, ErrorLog: quiet}
	go func() {
		defer close(v.served)
		_ = v.server.Serve(ln)
	}()
	if err := v.createNamespaces(ctx, metav1.NamespaceSystem, metav1.NamespaceDefault); err != nil {
		v.Close()
		return nil, err
	}
	return v, nil
}

// createNamespaces creates Namespaces through the view itself, so they get its name and label.
func (v *View) createNamespaces(ctx context.Context, names ...string) error {
	// A transport of its own, so no connection outlives the start.
	transport := &http.Transport{}
	defer transport.CloseIdleConnections()
	cs, err := kubernetes.NewForConfigAndClient(v.RESTConfig(), &http.Client{Transport: transport})
	if err != nil {
		return fmt.Errorf("client for cluster view %s: %w", v.name, err)
	}
	for _, ns := range names {
		_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create namespace %s in cluster view %s: %w", ns, v.name, err)
		}
	}
	return nil
}

// Name is the view's name.
func (v *View) Name() string { return v.name }

// Namespace is the physical namespace upstream that holds the view's namespace ns.
func (v *View) Namespace(ns string) string { return v.prefix + ns }

// URL is the view's address (plain HTTP on 127.0.0.1).
func (v *View) URL() string { return v.url }

// RESTConfig is a config for clients of the view; it needs no credentials.
func (v *View) RESTConfig() *rest.Config { return &rest.Config{Host: v.url} }

// Kubeconfig is a kubeconfig for the view, as a member's kubeconfig Secret holds it.
func (v *View) Kubeconfig() []byte { return bytes.Clone(v.kubeconfig) }

func kubeconfig(name, url string) ([]byte, error) {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[name] = &clientcmdapi.Cluster{Server: url}
	cfg.AuthInfos[name] = &clientcmdapi.AuthInfo{}
	cfg.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: name}
	cfg.CurrentContext = name
	out, err := clientcmd.Write(*cfg)
	if err != nil {
		return nil, fmt.Errorf("write kubeconfig of cluster view %s: %w", name, err)
	}
	return out, nil
}

// Requests returns how many requests the view has received, by verb (a watch counts once, when it
// opens). Requests refused while the view is down count too: a client's retries are load.
func (v *View) Requests() map[Verb]int64 {
	out := make(map[Verb]int64, len(verbs))
	for i, verb := range verbs {
		out[verb] = v.counts[i].Load()
	}
	return out
}

// SetDown makes the view play a failed cluster (true): it ends every request in flight, watches
// included, and answers every later one 503 Service Unavailable at once; false serves again.
func (v *View) SetDown(down bool) {
	v.down.Store(down)
	if !down {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed {
		return
	}
	v.cancelGen()
	v.gen, v.cancelGen = context.WithCancel(context.Background())
}

// Close stops the view: it ends every request in flight and returns once they are gone. The objects
// stay upstream; a view started again with the same name serves them.
func (v *View) Close() {
	v.mu.Lock()
	if v.closed {
		v.mu.Unlock()
		return
	}
	v.closed = true
	v.cancelGen()
	v.mu.Unlock()
	_ = v.server.Close()
	<-v.served
	v.inFlight.Wait()
	releaseUpstream(v.up, v.name)
}

type stateKey struct{}

// state is what the proxy's hooks need to know of a request.
type state struct {
	route route
	query string
}

// ServeHTTP serves one request of a client of the view.
func (v *View) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	v.mu.Lock()
	if v.closed {
		v.mu.Unlock()
		writeStatus(w, http.StatusServiceUnavailable, metav1.StatusReasonServiceUnavailable, "cluster view "+v.name+" is closed")
		return
	}
	gen := v.gen
	v.inFlight.Add(1)
	v.mu.Unlock()
	defer v.inFlight.Done()

	query := r.URL.Query()
	rt, err := v.parse(r.Context(), r.Method, r.URL.Path, query)
	if err != nil {
		writeStatus(w, http.StatusBadGateway, metav1.StatusReasonInternalError, err.Error())
		return
	}
	v.counts[rt.verb].Add(1)
	if v.down.Load() {
		writeStatus(w, http.StatusServiceUnavailable, metav1.StatusReasonServiceUnavailable, "cluster view "+v.name+" is down")
		return
	}
	if (rt.scope == namespaced || rt.scope == namespaceObjects) && (r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodPatch) {
		if code, err := v.rewriteBody(r, rt.scope == namespaceObjects); err != nil {
			reason := metav1.StatusReasonBadRequest
			if code == http.StatusUnsupportedMediaType {
				reason = metav1.StatusReasonUnsupportedMediaType
			}
			writeStatus(w, code, reason, "cluster view "+v.name+": "+err.Error())
			return
		}
	}
	st := &state{route: rt, query: r.URL.RawQuery}
	if v.rewriteQuery(rt, query) {
		st.query = query.Encode()
	}

	ctx, cancel := context.WithCancel(context.WithValue(r.Context(), stateKey{}, st))
	defer cancel()
	stop := context.AfterFunc(gen, cancel)
	defer stop()
	v.proxy.ServeHTTP(w, r.WithContext(ctx))
}

// rewriteBody maps the body of a create, update or patch onto the upstream, as JSON. On error it
// returns the HTTP status to answer.
func (v *View) rewriteBody(r *http.Request, nsObjects bool) (int, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return 0, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	_ = r.Body.Close()
	if err != nil {
		return http.StatusBadRequest, fmt.Errorf("read request body: %w", err)
	}
	mediaType := ""
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mediaType, _, _ = mime.ParseMediaType(ct)
	}
	switch {
	case mediaType == runtime.ContentTypeProtobuf:
		// client-go's generated clientsets send built-in types as protobuf.
		if body, err = protobufToJSON(body); err != nil {
			return http.StatusUnsupportedMediaType, err
		}
		mediaType = runtime.ContentTypeJSON
		r.Header.Set("Content-Type", mediaType)
	case strings.Contains(mediaType, "protobuf"), strings.Contains(mediaType, "cbor"):
		// client-go falls back to JSON on 415 for CBOR.
		return http.StatusUnsupportedMediaType, fmt.Errorf("request bodies of type %s are not supported, send JSON", mediaType)
	}
	if len(body) > 0 {
		if body, err = v.rewriteRequestBody(body, mediaType, nsObjects); err != nil {
			return http.StatusBadRequest, err
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	r.Header.Del("Content-Length")
	return 0, nil
}

// protobufToJSON re-encodes a protobuf body of a built-in type as JSON.
func protobufToJSON(body []byte) ([]byte, error) {
	obj, gvk, err := clientgoscheme.Codecs.UniversalDeserializer().Decode(body, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("decode protobuf request body (send JSON): %w", err)
	}
	obj.GetObjectKind().SetGroupVersionKind(*gvk)
	out, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("encode request body as JSON: %w", err)
	}
	return out, nil
}

// rewriteOut points a request at the upstream.
func (v *View) rewriteOut(pr *httputil.ProxyRequest) {
	st := pr.In.Context().Value(stateKey{}).(*state)
	target := v.up.url
	pr.Out.URL.Scheme = target.Scheme
	pr.Out.URL.Host = target.Host
	pr.Out.URL.Path = strings.TrimSuffix(target.Path, "/") + st.route.path
	pr.Out.URL.RawPath = ""
	pr.Out.URL.RawQuery = st.query
	pr.Out.Host = target.Host
	// The upstream's credentials are the transport's; a client's own must not replace them.
	pr.Out.Header.Del("Authorization")
	// The rewrites read JSON only; identity spares the apiserver compressing what the view unpacks.
	pr.Out.Header.Set("Accept", "application/json")
	pr.Out.Header.Set("Accept-Encoding", "identity")
}

// modifyResponse maps an upstream response back into the view.
func (v *View) modifyResponse(resp *http.Response) error {
	st := resp.Request.Context().Value(stateKey{}).(*state)
	if st.route.scope == passThrough {
		return nil
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/json" {
		return nil
	}
	nsObjects := st.route.scope == namespaceObjects
	if st.route.watch && resp.StatusCode == http.StatusOK {
		resp.Body = v.newWatchBody(resp.Body, nsObjects)
		resp.ContentLength = -1
		resp.Header.Del("Content-Length")
		return nil
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return fmt.Errorf("read upstream response: %w", err)
	}
	if body, err = v.rewriteResponse(body, nsObjects); err != nil {
		return err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	return nil
}

// proxyError answers a request the upstream did not: 503 when the view went down meanwhile, 502
// otherwise.
func (v *View) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		writeStatus(w, http.StatusServiceUnavailable, metav1.StatusReasonServiceUnavailable, "cluster view "+v.name+" ended the request")
		return
	}
	writeStatus(w, http.StatusBadGateway, metav1.StatusReasonInternalError, "cluster view "+v.name+": upstream: "+err.Error())
}

func writeStatus(w http.ResponseWriter, code int, reason metav1.StatusReason, msg string) {
	st := metav1.Status{
		TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   metav1.StatusFailure, Message: msg, Reason: reason, Code: int32(code),
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(&st)
}
