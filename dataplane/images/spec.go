package images

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Spec describes an image.
type Spec struct {
	// Name is the full reference, with registry and tag (docker.io/sei-fleet/seid:dev): containerd
	// stores it as given, and the kubelet looks images up by their normalized name.
	Name  string
	Files []File
	// Dirs are directories with modes or owners of their own (/tmp with 01777); the parents of
	// files are added as root-owned 0755 directories.
	Dirs       []Dir
	Env        []string
	Entrypoint []string
	Cmd        []string
	// User is "uid[:gid]" (numeric, as the image has no /etc/passwd unless a File adds one).
	User       string
	WorkingDir string
}

// File is one regular file in the image. When it is a dynamically linked ELF object, the shared
// libraries and loader it needs are added too.
type File struct {
	// Path is the absolute path in the image.
	Path string
	// Source is the file on the host, read through symlinks; leave it empty to use Data.
	Source string
	Data   []byte
	// Mode is the permission and special bits; zero keeps the source's (0644 for Data).
	Mode     fs.FileMode
	UID, GID int
}

// Dir is a directory in the image.
type Dir struct {
	Path     string
	Mode     fs.FileMode
	UID, GID int
}

// entry is one member of the layer.
type entry struct {
	dir      bool
	mode     fs.FileMode
	uid, gid int
	// source is a resolved host path; data is used when it is empty.
	source string
	data   []byte
}

// entries lays the spec out as a tree keyed by relative path ("usr/bin/bash"), adding libraries
// and parent directories. A path claimed twice with different content is an error.
func entries(s Spec) (map[string]*entry, error) {
	tree := map[string]*entry{}
	for _, d := range s.Dirs {
		p, err := imagePath(d.Path)
		if err != nil {
			return nil, err
		}
		if p == "" {
			continue // the root exists in every image
		}
		if old, ok := tree[p]; ok && !old.dir {
			return nil, fmt.Errorf("%s is both a file and a directory", d.Path)
		}
		tree[p] = &entry{dir: true, mode: d.Mode, uid: d.UID, gid: d.GID}
	}
	for _, f := range s.Files {
		if err := addFile(tree, f); err != nil {
			return nil, err
		}
		if f.Source == "" {
			continue
		}
		libs, err := sharedObjects(f.Source, f.Path)
		if err != nil {
			return nil, fmt.Errorf("libraries of %s: %w", f.Source, err)
		}
		for _, l := range libs {
			if err := addFile(tree, l); err != nil {
				return nil, err
			}
		}
	}
	for p := range tree {
		for dir := path.Dir(p); dir != "."; dir = path.Dir(dir) {
			e, ok := tree[dir]
			if !ok {
				tree[dir] = &entry{dir: true, mode: 0o755}
				continue
			}
			if !e.dir {
				return nil, fmt.Errorf("/%s is a file and the parent of /%s", dir, p)
			}
		}
	}
	return tree, nil
}

func addFile(tree map[string]*entry, f File) error {
	p, err := imagePath(f.Path)
	if err != nil {
		return err
	}
	if p == "" {
		return errors.New("a file cannot be the image's root")
	}
	e := &entry{mode: f.Mode, uid: f.UID, gid: f.GID, data: f.Data}
	if f.Source != "" {
		if e.source, err = filepath.EvalSymlinks(f.Source); err != nil {
			return fmt.Errorf("resolve %s: %w", f.Source, err)
		}
		fi, err := os.Stat(e.source)
		if err != nil {
			return fmt.Errorf("stat %s: %w", f.Source, err)
		}
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("%s is not a regular file", f.Source)
		}
		if e.mode == 0 {
			e.mode = fi.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
		}
	} else if e.mode == 0 {
		e.mode = 0o644
	}
	if old, ok := tree[p]; ok {
		// Two binaries needing one library both bring it; anything else is a conflict.
		if old.dir || old.source == "" || old.source != e.source || old.mode != e.mode || old.uid != e.uid || old.gid != e.gid {
			return fmt.Errorf("two different entries for %s", f.Path)
		}
		return nil
	}
	tree[p] = e
	return nil
}

// imagePath turns an absolute image path into the relative, cleaned form a layer's tar uses.
func imagePath(p string) (string, error) {
	if !path.IsAbs(p) {
		return "", fmt.Errorf("image path %q is not absolute", p)
	}
	return strings.TrimPrefix(path.Clean(p), "/"), nil
}
