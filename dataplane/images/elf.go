package images

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
)

// object is what the dynamic loader reads from an ELF file.
type object struct {
	host, image string
	class       elf.Class
	machine     elf.Machine
	interp      string
	soname      string
	needed      []string
	rpath       []string
	runpath     []string
}

// searchDir is one directory the loader searches, on the host and in the image: they differ for
// $ORIGIN-relative run paths, and for host directories the image's loader would not search.
type searchDir struct{ host, image string }

// triplets name the multiarch library directories (Debian's layout) per machine.
var triplets = map[elf.Machine]string{
	elf.EM_X86_64:  "x86_64-linux-gnu",
	elf.EM_AARCH64: "aarch64-linux-gnu",
}

// sharedObjects returns the loader (at its PT_INTERP path) and every shared library that the ELF
// file src needs when it sits at dst in the image, as the loader would find them there: DT_RUNPATH,
// else DT_RPATH (the object's, then the executable's), then glibc's system search path. Libraries
// the host finds only through ld.so.conf go into the first system directory, since the image has no
// ld.so.cache; LD_LIBRARY_PATH and dlopen'ed libraries are not seen. A file that is not ELF, or is
// static, needs nothing.
func sharedObjects(src, dst string) ([]File, error) {
	exe, err := readObject(src, dst)
	if err != nil || exe == nil {
		return nil, err
	}
	if exe.interp == "" && len(exe.needed) == 0 {
		return nil, nil
	}
	found := map[string]File{}
	loaderName := ""
	if exe.interp != "" {
		ld, err := readObject(exe.interp, exe.interp)
		if err != nil {
			return nil, fmt.Errorf("loader: %w", err)
		}
		if ld == nil {
			return nil, fmt.Errorf("loader %s is not an ELF file", exe.interp)
		}
		found[exe.interp] = File{Path: exe.interp, Source: exe.interp}
		// libc names the loader in DT_NEEDED; it is already mapped under its soname, so the
		// loader never looks for it in the search path.
		loaderName = ld.soname
	}
	var inherited []string
	if len(exe.runpath) == 0 {
		inherited = exe.rpath
	}
	queue := []*object{exe}
	for len(queue) > 0 {
		o := queue[0]
		queue = queue[1:]
		for _, name := range o.needed {
			if name == loaderName {
				continue
			}
			lib, err := find(exe, o, inherited, name)
			if err != nil {
				return nil, err
			}
			if _, ok := found[lib.image]; ok {
				continue
			}
			found[lib.image] = File{Path: lib.image, Source: lib.host}
			queue = append(queue, lib)
		}
	}
	files := make([]File, 0, len(found))
	for _, f := range found {
		files = append(files, f)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, nil
}

// find looks for the library name that o needs, skipping files of another class or machine as the
// loader does.
func find(exe, o *object, inherited []string, name string) (*object, error) {
	if strings.Contains(name, "/") {
		lib, err := readObject(name, name)
		if err != nil {
			return nil, fmt.Errorf("%s needs %s: %w", o.host, name, err)
		}
		if lib == nil {
			return nil, fmt.Errorf("%s needs %s, which is not an ELF file", o.host, name)
		}
		return lib, nil
	}
	var dirs []searchDir
	if len(o.runpath) > 0 {
		dirs = originDirs(o, o.runpath)
	} else {
		dirs = append(originDirs(o, o.rpath), originDirs(exe, inherited)...)
	}
	dirs = append(dirs, systemDirs(exe.machine)...)
	for _, d := range dirs {
		lib, err := readObject(path.Join(d.host, name), path.Join(d.image, name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if lib != nil && lib.class == exe.class && lib.machine == exe.machine {
			return lib, nil
		}
	}
	hosts := make([]string, len(dirs))
	for i, d := range dirs {
		hosts[i] = d.host
	}
	return nil, fmt.Errorf("%s needs %s: not found in %s", o.host, name, strings.Join(hosts, ":"))
}

// originDirs expands $ORIGIN against the object's directory on each side.
func originDirs(o *object, paths []string) []searchDir {
	dirs := make([]searchDir, 0, len(paths))
	for _, p := range paths {
		if p == "" {
			continue
		}
		expand := func(file string) string {
			origin := path.Dir(file)
			return path.Clean(strings.NewReplacer("${ORIGIN}", origin, "$ORIGIN", origin).Replace(p))
		}
		dirs = append(dirs, searchDir{host: expand(o.host), image: expand(o.image)})
	}
	return dirs
}

// systemDirs is glibc's compiled-in search path on Debian (`ld.so --help` lists it), then the
// directories the host's ld.so.conf adds, mapped into the first system directory.
func systemDirs(m elf.Machine) []searchDir {
	var system, extra []string
	if t, ok := triplets[m]; ok {
		system = append(system, "/lib/"+t, "/usr/lib/"+t)
		extra = append(extra, "/usr/local/lib/"+t)
	}
	system = append(system, "/lib", "/usr/lib")
	extra = append(extra, "/usr/local/lib", "/lib64", "/usr/lib64")
	dirs := make([]searchDir, 0, len(system)+len(extra))
	for _, d := range system {
		dirs = append(dirs, searchDir{host: d, image: d})
	}
	for _, d := range extra {
		dirs = append(dirs, searchDir{host: d, image: system[0]})
	}
	return dirs
}

// readObject parses the ELF file at host; it returns nil for a file that is not ELF.
func readObject(host, image string) (*object, error) {
	f, err := os.Open(host)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	magic := make([]byte, len(elf.ELFMAG))
	if _, err := io.ReadFull(f, magic); err != nil || !bytes.Equal(magic, []byte(elf.ELFMAG)) {
		return nil, nil //nolint:nilerr // too short for the magic: not ELF either
	}
	ef, err := elf.NewFile(f)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", host, err)
	}
	o := &object{host: host, image: image, class: ef.Class, machine: ef.Machine}
	for _, p := range ef.Progs {
		if p.Type != elf.PT_INTERP {
			continue
		}
		b, err := io.ReadAll(p.Open())
		if err != nil {
			return nil, fmt.Errorf("read %s's interpreter: %w", host, err)
		}
		o.interp = strings.TrimRight(string(b), "\x00")
	}
	tags := map[elf.DynTag]*[]string{elf.DT_NEEDED: &o.needed, elf.DT_RPATH: &o.rpath, elf.DT_RUNPATH: &o.runpath}
	for tag, dst := range tags {
		vals, err := ef.DynString(tag)
		if err != nil {
			return nil, fmt.Errorf("read %s's %s: %w", host, tag, err)
		}
		for _, v := range vals {
			if tag == elf.DT_NEEDED {
				*dst = append(*dst, v)
				continue
			}
			*dst = append(*dst, strings.Split(v, ":")...)
		}
	}
	soname, err := ef.DynString(elf.DT_SONAME)
	if err != nil {
		return nil, fmt.Errorf("read %s's soname: %w", host, err)
	}
	if len(soname) > 0 {
		o.soname = soname[0]
	}
	return o, nil
}
