package images

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	. "github.com/onsi/gomega"
)

// lddLine matches the paths ldd prints: "libc.so.6 => /lib/…/libc.so.6 (0x…)" and the loader's
// "/lib64/ld-linux-x86-64.so.2 (0x…)".
var lddLine = regexp.MustCompile(`(?m)^\s*(?:\S+ => )?(/\S+) \(0x[0-9a-f]+\)$`)

func TestSharedObjectsOfBashAreWhatLddFinds(t *testing.T) {
	g := NewWithT(t)
	bash, err := exec.LookPath("bash")
	g.Expect(err).NotTo(HaveOccurred())
	files, err := sharedObjects(bash, "/bin/bash")
	g.Expect(err).NotTo(HaveOccurred())
	var paths []string
	for _, f := range files {
		g.Expect(f.Source).To(Equal(f.Path), "a system library sits where the host has it")
		paths = append(paths, f.Path)
	}
	g.Expect(paths).To(ContainElements(HaveSuffix("/libc.so.6"), HaveSuffix("/libtinfo.so.6")))

	ldd, err := exec.LookPath("ldd")
	if err != nil {
		t.Skip("no ldd to compare with")
	}
	out, err := exec.CommandContext(t.Context(), ldd, bash).Output()
	g.Expect(err).NotTo(HaveOccurred())
	var want []string
	for _, m := range lddLine.FindAllStringSubmatch(string(out), -1) {
		want = append(want, m[1])
	}
	g.Expect(want).NotTo(BeEmpty(), string(out))
	g.Expect(paths).To(ConsistOf(want), string(out))
}

func TestSharedObjectsOfNonELFAndStaticFiles(t *testing.T) {
	g := NewWithT(t)
	script := filepath.Join(t.TempDir(), "run.sh")
	g.Expect(os.WriteFile(script, []byte("#!/bin/sh\necho hi\n"), 0o755)).To(Succeed())
	empty := filepath.Join(t.TempDir(), "empty")
	g.Expect(os.WriteFile(empty, nil, 0o644)).To(Succeed())
	for _, f := range []string{script, empty} {
		files, err := sharedObjects(f, "/x")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(files).To(BeEmpty())
	}
}

func TestOriginDirsExpandOnEachSide(t *testing.T) {
	g := NewWithT(t)
	o := &object{host: "/home/me/go/pkg/mod/wasmvm/bin/seid", image: "/usr/bin/seid"}
	g.Expect(originDirs(o, []string{"$ORIGIN/../lib", "${ORIGIN}", "/opt/lib", ""})).To(Equal([]searchDir{
		{host: "/home/me/go/pkg/mod/wasmvm/lib", image: "/usr/lib"},
		{host: "/home/me/go/pkg/mod/wasmvm/bin", image: "/usr/bin"},
		{host: "/opt/lib", image: "/opt/lib"},
	}))
}
