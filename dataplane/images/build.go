package images

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"
)

// epoch is every entry's modification time, so equal inputs give equal bytes.
var epoch = time.Unix(0, 0).UTC()

// defaultPath is Docker's PATH for images that set none: runc looks a bare command up in the
// process's PATH, and `ctr run image id bash` should work.
const defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Image is a built image layout tarball.
type Image struct {
	Name string
	// Path is the tarball.
	Path string
	// Digest is the manifest's ("sha256:…"), which containerd lists as the image's target.
	Digest string
}

// Build writes the image described by s as an OCI image layout tarball at path, for the host's
// architecture. The file appears complete or not at all.
func Build(s Spec, path string) (Image, error) {
	tag, err := tagOf(s.Name)
	if err != nil {
		return Image{}, err
	}
	tree, err := entries(s)
	if err != nil {
		return Image{}, fmt.Errorf("image %s: %w", s.Name, err)
	}
	dir := filepath.Dir(path)
	layer, err := os.CreateTemp(dir, ".layer-*")
	if err != nil {
		return Image{}, fmt.Errorf("create layer file: %w", err)
	}
	defer func() {
		_ = layer.Close()
		_ = os.Remove(layer.Name())
	}()
	layerDesc, diffID, err := writeLayer(layer, tree)
	if err != nil {
		return Image{}, fmt.Errorf("image %s: write layer: %w", s.Name, err)
	}
	env := s.Env
	if !hasPath(env) {
		env = append([]string{defaultPath}, env...)
	}
	plat := platform{Architecture: runtime.GOARCH, OS: "linux"}
	configJSON, err := json.Marshal(imageConfig{
		Architecture: plat.Architecture,
		OS:           plat.OS,
		Config:       containerConfig{User: s.User, Env: env, Entrypoint: s.Entrypoint, Cmd: s.Cmd, WorkingDir: s.WorkingDir},
		RootFS:       rootFS{Type: "layers", DiffIDs: []string{diffID}},
	})
	if err != nil {
		return Image{}, fmt.Errorf("encode config: %w", err)
	}
	configDesc := blobDescriptor(mediaTypeConfig, configJSON)
	manifestJSON, err := json.Marshal(manifest{SchemaVersion: 2, MediaType: mediaTypeManifest, Config: configDesc, Layers: []descriptor{layerDesc}})
	if err != nil {
		return Image{}, fmt.Errorf("encode manifest: %w", err)
	}
	manifestDesc := blobDescriptor(mediaTypeManifest, manifestJSON)
	manifestDesc.Platform = &plat
	manifestDesc.Annotations = map[string]string{annotationImageName: s.Name, annotationRefName: tag}
	indexJSON, err := json.Marshal(index{SchemaVersion: 2, MediaType: mediaTypeIndex, Manifests: []descriptor{manifestDesc}})
	if err != nil {
		return Image{}, fmt.Errorf("encode index: %w", err)
	}
	layoutJSON, err := json.Marshal(layout{Version: "1.0.0"})
	if err != nil {
		return Image{}, fmt.Errorf("encode oci-layout: %w", err)
	}
	out, err := os.CreateTemp(dir, ".image-*")
	if err != nil {
		return Image{}, fmt.Errorf("create image file: %w", err)
	}
	defer func() { _ = os.Remove(out.Name()) }() // a no-op once renamed
	blobs := []blob{
		{name: "blobs/sha256/" + hexOf(configDesc.Digest), data: configJSON},
		{name: "blobs/sha256/" + hexOf(layerDesc.Digest), file: layer, size: layerDesc.Size},
		{name: "blobs/sha256/" + hexOf(manifestDesc.Digest), data: manifestJSON},
		{name: "index.json", data: indexJSON},
		{name: "oci-layout", data: layoutJSON},
	}
	if err := writeLayout(out, blobs); err != nil {
		_ = out.Close()
		return Image{}, fmt.Errorf("image %s: write %s: %w", s.Name, path, err)
	}
	if err := out.Close(); err != nil {
		return Image{}, fmt.Errorf("image %s: write %s: %w", s.Name, path, err)
	}
	if err := os.Rename(out.Name(), path); err != nil {
		return Image{}, fmt.Errorf("image %s: %w", s.Name, err)
	}
	return Image{Name: s.Name, Path: path, Digest: manifestDesc.Digest}, nil
}

// tagOf checks that name is a full reference with a registry and a tag, and returns the tag. A
// short name (sei-fleet/seid:dev) would be stored as given, and the kubelet, which asks for
// docker.io/sei-fleet/seid:dev, would never find it.
func tagOf(name string) (string, error) {
	slash := strings.IndexByte(name, '/')
	if slash < 0 || !strings.ContainsAny(name[:slash], ".:") && name[:slash] != "localhost" {
		return "", fmt.Errorf("image name %q has no registry (e.g. docker.io/%s)", name, name)
	}
	colon := strings.LastIndexByte(name, ':')
	if colon < strings.LastIndexByte(name, '/') || colon == len(name)-1 || strings.Contains(name, "@") {
		return "", fmt.Errorf("image name %q has no tag", name)
	}
	return name[colon+1:], nil
}

func hasPath(env []string) bool {
	for _, e := range env {
		if strings.HasPrefix(e, "PATH=") {
			return true
		}
	}
	return false
}

func blobDescriptor(mediaType string, data []byte) descriptor {
	sum := sha256.Sum256(data)
	return descriptor{MediaType: mediaType, Digest: "sha256:" + hex.EncodeToString(sum[:]), Size: int64(len(data))}
}

func hexOf(digest string) string { return strings.TrimPrefix(digest, "sha256:") }

// writeLayer writes tree as a gzip tar into f, and returns its descriptor and its diff ID (the
// digest of the uncompressed tar, which the config lists).
func writeLayer(f *os.File, tree map[string]*entry) (descriptor, string, error) {
	compressed, uncompressed := sha256.New(), sha256.New()
	counter := &countWriter{w: io.MultiWriter(f, compressed)}
	// Speed over size: the image goes from this disk to containerd on the same disk.
	zw, err := gzip.NewWriterLevel(counter, gzip.BestSpeed)
	if err != nil {
		return descriptor{}, "", err
	}
	tw := tar.NewWriter(io.MultiWriter(zw, uncompressed))
	names := make([]string, 0, len(tree))
	for name := range tree {
		names = append(names, name)
	}
	// A parent sorts before its children, as the tar must have it.
	sort.Strings(names)
	for _, name := range names {
		if err := writeEntry(tw, name, tree[name]); err != nil {
			return descriptor{}, "", err
		}
	}
	if err := tw.Close(); err != nil {
		return descriptor{}, "", err
	}
	if err := zw.Close(); err != nil {
		return descriptor{}, "", err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return descriptor{}, "", err
	}
	d := descriptor{MediaType: mediaTypeLayer, Digest: digestOf(compressed), Size: counter.n}
	return d, digestOf(uncompressed), nil
}

func writeEntry(tw *tar.Writer, name string, e *entry) error {
	h := &tar.Header{Name: name, Mode: tarMode(e.mode), Uid: e.uid, Gid: e.gid, ModTime: epoch}
	if e.dir {
		h.Typeflag, h.Name = tar.TypeDir, name+"/"
		return tw.WriteHeader(h)
	}
	h.Typeflag = tar.TypeReg
	if e.source == "" {
		h.Size = int64(len(e.data))
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		_, err := tw.Write(e.data)
		return err
	}
	src, err := os.Open(e.source)
	if err != nil {
		return err
	}
	defer func() { _ = src.Close() }()
	fi, err := src.Stat()
	if err != nil {
		return err
	}
	h.Size = fi.Size()
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	if _, err := io.CopyN(tw, src, h.Size); err != nil {
		return fmt.Errorf("copy %s: %w", e.source, err)
	}
	return nil
}

// tarMode converts Go's mode bits to the Unix ones tar stores.
func tarMode(m fs.FileMode) int64 {
	mode := int64(m.Perm())
	for bit, unix := range map[fs.FileMode]int64{fs.ModeSetuid: 0o4000, fs.ModeSetgid: 0o2000, fs.ModeSticky: 0o1000} {
		if m&bit != 0 {
			mode |= unix
		}
	}
	return mode
}

// blob is one member of the layout tarball, held in memory or in a file.
type blob struct {
	name string
	data []byte
	file *os.File
	size int64
}

func writeLayout(w io.Writer, blobs []blob) error {
	tw := tar.NewWriter(w)
	for _, dir := range []string{"blobs/", "blobs/sha256/"} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir, Mode: 0o755, ModTime: epoch}); err != nil {
			return err
		}
	}
	for _, b := range blobs {
		size := b.size
		if b.file == nil {
			size = int64(len(b.data))
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: b.name, Mode: 0o644, Size: size, ModTime: epoch}); err != nil {
			return err
		}
		var err error
		if b.file == nil {
			_, err = tw.Write(b.data)
		} else {
			_, err = io.CopyN(tw, b.file, size)
		}
		if err != nil {
			return err
		}
	}
	return tw.Close()
}

func digestOf(h hash.Hash) string { return "sha256:" + hex.EncodeToString(h.Sum(nil)) }

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
