// Package seiimages packs the real seid and seictl binaries (hack/install-seid.sh,
// hack/install-seictl.sh) as the images the agent's pods run, so a member's node never pulls from a
// registry. The layout follows what the agent generates (agent/resources): seid-init and seid run
// bash scripts as uid 65532 with seid on PATH; the sidecar runs seictl as its entrypoint.
package seiimages

import (
	"fmt"
	"io/fs"

	"github.com/sei-protocol/sei-fleet/dataplane/images"
)

// Repositories of the local images; tags tell builds apart.
const (
	SeidRepository   = "docker.io/sei-fleet/seid"
	SeictlRepository = "docker.io/sei-fleet/seictl"
)

// nonroot is distroless's "nonroot" user, the agent's default runAsUser and fsGroup.
const (
	nonroot     = 65532
	nonrootHome = "/home/nonroot"
)

// Seid packs seid (with the libraries it loads, libwasmvm among them) and the shell tools of the
// pod's scripts as SeidRepository:tag, written to dest.
func Seid(seidBin, tag, dest string) (images.Image, error) {
	tools, err := images.HostTools("/bin", images.ShellTools...)
	if err != nil {
		return images.Image{}, err
	}
	tools = append(tools, images.File{Path: "/usr/local/bin/seid", Source: seidBin, Mode: 0o755})
	img, err := images.Build(base(SeidRepository+":"+tag, tools, []string{"/usr/local/bin/seid"}), dest)
	if err != nil {
		return images.Image{}, fmt.Errorf("seid image: %w", err)
	}
	return img, nil
}

// Seictl packs the seictl sidecar as SeictlRepository:tag, written to dest. The agent passes only
// Args (serve), so seictl is the entrypoint.
func Seictl(seictlBin, tag, dest string) (images.Image, error) {
	bin := "/usr/local/bin/seictl"
	s := base(SeictlRepository+":"+tag, []images.File{{Path: bin, Source: seictlBin, Mode: 0o755}}, nil)
	s.Entrypoint = []string{bin}
	img, err := images.Build(s, dest)
	if err != nil {
		return images.Image{}, fmt.Errorf("seictl image: %w", err)
	}
	return img, nil
}

// base is what both images share: a writable /tmp, a home for the nonroot user, and that user.
func base(name string, files []images.File, cmd []string) images.Spec {
	return images.Spec{
		Name:  name,
		Files: files,
		Dirs: []images.Dir{
			{Path: "/tmp", Mode: fs.ModeSticky | 0o777},
			{Path: nonrootHome, Mode: 0o755, UID: nonroot, GID: nonroot},
		},
		Env:        []string{"PATH=/usr/local/bin:/bin", "HOME=" + nonrootHome},
		Cmd:        cmd,
		User:       fmt.Sprintf("%d:%d", nonroot, nonroot),
		WorkingDir: nonrootHome,
	}
}
