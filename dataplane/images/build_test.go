package images_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/sei-protocol/sei-fleet/dataplane/images"
)

func bashSpec(t *testing.T) images.Spec {
	t.Helper()
	tools, err := images.HostTools("/bin", "bash", "sha256sum")
	if err != nil {
		t.Fatal(err)
	}
	return images.Spec{
		Name: "docker.io/sei-fleet/test:dev",
		Files: append(tools, images.File{Path: "/etc/motd", Data: []byte("hello\n")},
			images.File{Path: "/etc/secret", Data: []byte("s"), Mode: 0o600, UID: 65532, GID: 65532}),
		Dirs:       []images.Dir{{Path: "/tmp", Mode: fs.ModeSticky | 0o777}, {Path: "/home/sei", Mode: 0o700, UID: 65532, GID: 65532}},
		Env:        []string{"HOME=/home/sei"},
		Entrypoint: []string{"/bin/bash"},
		Cmd:        []string{"-c", "echo hi"},
		User:       "65532:65532",
		WorkingDir: "/home/sei",
	}
}

func TestBuildIsDeterministic(t *testing.T) {
	g := NewWithT(t)
	spec := bashSpec(t)
	a, err := images.Build(spec, filepath.Join(t.TempDir(), "a.tar"))
	g.Expect(err).NotTo(HaveOccurred())
	// Later, elsewhere: only the inputs count.
	time.Sleep(1100 * time.Millisecond)
	b, err := images.Build(spec, filepath.Join(t.TempDir(), "b.tar"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(b.Digest).To(Equal(a.Digest))
	g.Expect(os.ReadFile(b.Path)).To(Equal(must(os.ReadFile(a.Path))))

	spec.Env = append(spec.Env, "X=1")
	c, err := images.Build(spec, filepath.Join(t.TempDir(), "c.tar"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c.Digest).NotTo(Equal(a.Digest))
}

func TestBuildWritesAnOCILayout(t *testing.T) {
	g := NewWithT(t)
	img, err := images.Build(bashSpec(t), filepath.Join(t.TempDir(), "img.tar"))
	g.Expect(err).NotTo(HaveOccurred())
	_, files := untar(t, bytes.NewReader(must(os.ReadFile(img.Path))))
	g.Expect(files).To(HaveKey("oci-layout"))
	for name, data := range files {
		if hexDigest, ok := strings.CutPrefix(name, "blobs/sha256/"); ok && hexDigest != "" {
			g.Expect(sha256Hex(data)).To(Equal(hexDigest), name)
		}
	}

	var idx struct {
		Manifests []struct {
			Digest      string
			Annotations map[string]string
		}
	}
	g.Expect(json.Unmarshal(files["index.json"], &idx)).To(Succeed())
	g.Expect(idx.Manifests).To(HaveLen(1))
	g.Expect(idx.Manifests[0].Digest).To(Equal(img.Digest))
	g.Expect(idx.Manifests[0].Annotations).To(Equal(map[string]string{
		"io.containerd.image.name":          "docker.io/sei-fleet/test:dev",
		"org.opencontainers.image.ref.name": "dev",
	}))

	var m struct {
		Config struct{ Digest string }
		Layers []struct{ MediaType, Digest string }
	}
	g.Expect(json.Unmarshal(blob(files, img.Digest), &m)).To(Succeed())
	g.Expect(m.Layers).To(HaveLen(1))
	g.Expect(m.Layers[0].MediaType).To(Equal("application/vnd.oci.image.layer.v1.tar+gzip"))
	var cfg struct {
		Config struct {
			User, WorkingDir string
			Env, Entrypoint  []string
		}
		RootFS struct {
			DiffIDs []string `json:"diff_ids"`
		}
	}
	g.Expect(json.Unmarshal(blob(files, m.Config.Digest), &cfg)).To(Succeed())
	g.Expect(cfg.Config.User).To(Equal("65532:65532"))
	g.Expect(cfg.Config.WorkingDir).To(Equal("/home/sei"))
	g.Expect(cfg.Config.Entrypoint).To(Equal([]string{"/bin/bash"}))
	g.Expect(cfg.Config.Env).To(ConsistOf(HavePrefix("PATH="), "HOME=/home/sei"))

	zr, err := gzip.NewReader(bytes.NewReader(blob(files, m.Layers[0].Digest)))
	g.Expect(err).NotTo(HaveOccurred())
	layer := must(io.ReadAll(zr))
	g.Expect(cfg.RootFS.DiffIDs).To(Equal([]string{"sha256:" + sha256Hex(layer)}))

	headers, _ := untar(t, bytes.NewReader(layer))
	var names []string
	for _, h := range headers {
		names = append(names, h.Name)
		g.Expect(h.ModTime.Unix()).To(BeZero(), h.Name)
		g.Expect(h.Typeflag).To(BeElementOf(byte(tar.TypeDir), byte(tar.TypeReg)), h.Name)
	}
	g.Expect(sort.StringsAreSorted(names)).To(BeTrue(), "%v", names)
	g.Expect(names).To(ContainElements("bin/", "bin/bash", "bin/sha256sum", "etc/", "etc/motd", "lib64/",
		"lib64/ld-linux-x86-64.so.2", "lib/x86_64-linux-gnu/libc.so.6", "lib/x86_64-linux-gnu/libtinfo.so.6"))
	byName := map[string]*tar.Header{}
	for _, h := range headers {
		byName[h.Name] = h
	}
	g.Expect(byName["tmp/"].Mode).To(Equal(int64(0o1777)))
	g.Expect(byName["home/sei/"].Mode).To(Equal(int64(0o700)))
	g.Expect(byName["home/sei/"].Uid).To(Equal(65532))
	g.Expect(byName["home/"].Mode).To(Equal(int64(0o755)))
	g.Expect(byName["etc/motd"].Mode).To(Equal(int64(0o644)))
	g.Expect(byName["etc/secret"].Mode).To(Equal(int64(0o600)))
	g.Expect(byName["bin/bash"].Mode).To(Equal(int64(0o755)))
	// The loader is a symlink on the host; the image gets its content.
	g.Expect(byName["lib64/ld-linux-x86-64.so.2"].Size).To(Equal(must(os.Stat("/lib64/ld-linux-x86-64.so.2")).Size()))
}

func TestBuildRefusesBadSpecs(t *testing.T) {
	ok := images.Spec{Name: "docker.io/sei-fleet/x:dev", Files: []images.File{{Path: "/a", Data: []byte("a")}}}
	tests := map[string]struct {
		mutate func(s *images.Spec)
		want   string
	}{
		"short name":       {func(s *images.Spec) { s.Name = "sei-fleet/x:dev" }, "has no registry"},
		"no tag":           {func(s *images.Spec) { s.Name = "docker.io/sei-fleet/x" }, "has no tag"},
		"port but no tag":  {func(s *images.Spec) { s.Name = "localhost:5000/x" }, "has no tag"},
		"relative path":    {func(s *images.Spec) { s.Files[0].Path = "a" }, "is not absolute"},
		"file twice":       {func(s *images.Spec) { s.Files = append(s.Files, images.File{Path: "/a", Data: []byte("b")}) }, "two different entries for /a"},
		"file and dir":     {func(s *images.Spec) { s.Dirs = []images.Dir{{Path: "/a", Mode: 0o755}} }, "two different entries for /a"},
		"file under file":  {func(s *images.Spec) { s.Files = append(s.Files, images.File{Path: "/a/b", Data: []byte("b")}) }, "/a is a file and the parent of /a/b"},
		"missing source":   {func(s *images.Spec) { s.Files[0] = images.File{Path: "/a", Source: "/nonexistent/x"} }, "resolve /nonexistent/x"},
		"directory source": {func(s *images.Spec) { s.Files[0] = images.File{Path: "/a", Source: "/etc"} }, "/etc is not a regular file"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			s := ok
			s.Files = append([]images.File(nil), ok.Files...)
			tt.mutate(&s)
			_, err := images.Build(s, filepath.Join(t.TempDir(), "x.tar"))
			g.Expect(err).To(MatchError(ContainSubstring(tt.want)))
		})
	}
	g := NewWithT(t)
	for _, name := range []string{"docker.io/sei-fleet/x:dev", "localhost:5000/x:1", "localhost/x:1", "registry.k8s.io/pause:3.6"} {
		s := ok
		s.Name = name
		_, err := images.Build(s, filepath.Join(t.TempDir(), "x.tar"))
		g.Expect(err).NotTo(HaveOccurred(), name)
	}
}

// untar reads a whole tar: its headers in order, and each file's content by name.
func untar(t *testing.T, r io.Reader) ([]*tar.Header, map[string][]byte) {
	t.Helper()
	var headers []*tar.Header
	files := map[string][]byte{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return headers, files
		}
		if err != nil {
			t.Fatal(err)
		}
		headers = append(headers, h)
		files[h.Name] = must(io.ReadAll(tr))
	}
}

func blob(files map[string][]byte, digest string) []byte {
	return files["blobs/sha256/"+strings.TrimPrefix(digest, "sha256:")]
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
