package clusterview

import (
	"context"
	"net/url"
	"strconv"
	"strings"
)

// scope says how a request's path relates to the view's namespaces, and so what a view rewrites.
type scope int

const (
	// passThrough: discovery, non-resource paths and cluster-scoped resources other than Namespaces.
	passThrough scope = iota
	// namespaceObjects: Namespaces themselves, /api/v1/namespaces[/{name}[/status|/finalize]].
	namespaceObjects
	// namespaced: /…/namespaces/{ns}/{resource}[/…].
	namespaced
	// clusterWide: /…/{resource} of a namespaced resource, a list or watch across namespaces.
	clusterWide
)

// Verb is what a request does, as Requests counts it.
type Verb string

// The verbs a view counts. VerbOther is discovery, version, openapi and any other non-resource path.
const (
	VerbGet    Verb = "get"
	VerbList   Verb = "list"
	VerbWatch  Verb = "watch"
	VerbCreate Verb = "create"
	VerbUpdate Verb = "update"
	VerbPatch  Verb = "patch"
	VerbDelete Verb = "delete"
	VerbOther  Verb = "other"
)

// verbs indexes the counters of a view.
var verbs = [...]Verb{VerbGet, VerbList, VerbWatch, VerbCreate, VerbUpdate, VerbPatch, VerbDelete, VerbOther}

const (
	iGet = iota
	iList
	iWatch
	iCreate
	iUpdate
	iPatch
	iDelete
	iOther
)

// route is a parsed request: what it does and where it goes upstream.
type route struct {
	scope scope
	verb  int // index into verbs
	watch bool
	// path is the upstream path.
	path string
	// collection: the path names a collection, not one object.
	collection bool
}

// parse maps a request path onto the upstream and classifies it. method is the HTTP method; query is
// the parsed query, read for watch.
func (v *View) parse(ctx context.Context, method, path string, query url.Values) (route, error) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	var gv int // segments of the group-version prefix
	switch {
	case len(segs) >= 2 && segs[0] == "api":
		gv = 2
	case len(segs) >= 3 && segs[0] == "apis":
		gv = 3
	default:
		return route{scope: passThrough, verb: iOther, path: path}, nil
	}
	rest := segs[gv:]
	watchPath := len(rest) > 0 && rest[0] == "watch"
	if watchPath {
		rest = rest[1:]
	}
	if len(rest) == 0 || rest[0] == "" {
		// A group-version's discovery.
		return route{scope: passThrough, verb: iOther, path: path}, nil
	}
	rt := route{watch: watchPath || isTrue(query.Get("watch"))}
	switch {
	case gv == 2 && rest[0] == "namespaces" && (len(rest) <= 2 || len(rest) == 3 && (rest[2] == "status" || rest[2] == "finalize")):
		rt.scope = namespaceObjects
		rt.collection = len(rest) == 1
		if len(rest) >= 2 {
			rest[1] = v.prefix + rest[1]
		}
	case rest[0] == "namespaces" && len(rest) >= 3:
		rt.scope = namespaced
		rt.collection = len(rest) == 3
		rest[1] = v.prefix + rest[1]
	case len(rest) == 1:
		rt.collection = true
		ns, err := v.up.isNamespaced(ctx, "/"+strings.Join(segs[:gv], "/"), rest[0])
		if err != nil {
			return route{}, err
		}
		if ns {
			rt.scope = clusterWide
		}
	}
	rt.verb = verbOf(method, rt)
	if rt.scope == passThrough {
		// Unchanged, as the client sent it.
		rt.path = path
		return rt, nil
	}
	var b strings.Builder
	b.Grow(len(path) + len(v.prefix))
	for _, s := range segs[:gv] {
		b.WriteByte('/')
		b.WriteString(s)
	}
	if watchPath {
		b.WriteString("/watch")
	}
	for _, s := range rest {
		b.WriteByte('/')
		b.WriteString(s)
	}
	rt.path = b.String()
	return rt, nil
}

func verbOf(method string, rt route) int {
	switch method {
	case "GET":
		switch {
		case rt.watch:
			return iWatch
		case rt.collection:
			return iList
		}
		return iGet
	case "POST":
		return iCreate
	case "PUT":
		return iUpdate
	case "PATCH":
		return iPatch
	case "DELETE":
		return iDelete
	}
	return iOther
}

func isTrue(s string) bool {
	b, _ := strconv.ParseBool(s)
	return b
}

// rewriteQuery ANDs the view's label selector into cluster-wide lists and watches and maps field
// selectors. It reports whether it changed query.
func (v *View) rewriteQuery(rt route, query url.Values) bool {
	changed := false
	if rt.collection && (rt.scope == clusterWide || rt.scope == namespaceObjects) && (rt.verb == iList || rt.verb == iWatch || rt.verb == iDelete) {
		sel := v.selector
		if s := query.Get("labelSelector"); s != "" {
			sel = s + "," + sel
		}
		query.Set("labelSelector", sel)
		changed = true
	}
	if fs := query.Get("fieldSelector"); fs != "" {
		if mapped := v.mapFieldSelector(fs, rt.scope == namespaceObjects); mapped != fs {
			query.Set("fieldSelector", mapped)
			changed = true
		}
	}
	return changed
}

// mapFieldSelector maps the terms that name a namespace (metadata.namespace, an Event's object's),
// and metadata.name terms of Namespaces.
func (v *View) mapFieldSelector(fs string, nsObjects bool) string {
	terms := strings.Split(fs, ",")
	for i, t := range terms {
		op := strings.IndexAny(t, "!=")
		if op < 0 {
			continue
		}
		switch key := strings.TrimSpace(t[:op]); {
		case key == "metadata.namespace", key == "involvedObject.namespace", key == "regarding.namespace":
		case nsObjects && key == "metadata.name":
		default:
			continue
		}
		valStart := op + 1
		for valStart < len(t) && t[valStart] == '=' {
			valStart++
		}
		terms[i] = t[:valStart] + v.prefix + strings.TrimSpace(t[valStart:])
	}
	return strings.Join(terms, ",")
}
