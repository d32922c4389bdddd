// Package images builds container images on the local machine, from files already on it, and loads
// them into a containerd: the data plane has no Docker engine and no registry, so the images its pods
// run (seid, the sidecar, the sandbox's pause) are assembled here the way `docker build` would copy
// binaries into a scratch image, and loaded the way `kind load` does.
//
// It owns the OCI image layout tarball (one gzip layer, its config, manifest and index), finding the
// shared libraries and dynamic loader an ELF binary needs, and the pause image. It does not pull,
// push, tag or garbage-collect images, and it knows nothing of Kubernetes: which image a pod uses is
// the caller's business.
//
// Builds are deterministic (fixed times and owners, sorted entries), so the same inputs give the same
// manifest digest and reloading an unchanged image changes nothing in containerd.
package images
