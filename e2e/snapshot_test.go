//go:build dataplane

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sei-protocol/sei-fleet/agent/sidecar"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/internal/testfleet"
)

// The snapshot store's credentials: the test's own, on an S3 server only the test's network reaches.
const (
	s3AccessKey = "sei-fleet-e2e"
	s3SecretKey = "sei-fleet-e2e-secret"
	s3Region    = "us-east-1"
	s3Bucket    = "snapshots"
)

// snapshotStore runs versitygw (a real S3 server over a directory) on the data plane's host address,
// where pods reach it, with one bucket, until the test ends. It returns the endpoint.
func snapshotStore(t *testing.T) string {
	t.Helper()
	g := NewWithT(t)
	bin := os.Getenv("VERSITYGW_BIN")
	if bin == "" {
		t.Fatal("VERSITYGW_BIN is not set (hack/install-versitygw.sh)")
	}
	free, err := testfleet.FreeAddr()
	g.Expect(err).NotTo(HaveOccurred())
	_, port, _ := strings.Cut(free, ":")
	endpoint := "http://" + dataPlane.Fabric.HostIP() + ":" + port
	root, meta := t.TempDir(), t.TempDir()
	ctx, cancel := context.WithCancel(context.WithoutCancel(t.Context()))
	cmd := exec.CommandContext(ctx, bin, "--access", s3AccessKey, "--secret", s3SecretKey, "--region", s3Region,
		"--port", dataPlane.Fabric.HostIP()+":"+port, "posix", "--sidecar", meta, root)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // gone with the test, even killed
	g.Expect(cmd.Start()).To(Succeed())
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("versitygw said:\n%s", out.String())
		}
	})
	// The bucket, created over S3 (curl signs the request with SigV4).
	g.Eventually(func() (string, error) {
		b, err := exec.CommandContext(t.Context(), "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
			"--aws-sigv4", "aws:amz:"+s3Region+":s3", "--user", s3AccessKey+":"+s3SecretKey,
			"-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", "-X", "PUT", endpoint+"/"+s3Bucket).CombinedOutput()
		return string(b), err
	}).WithTimeout(30 * time.Second).WithPolling(time.Second).Should(Equal("200"))
	return endpoint
}

// headerTransport adds a header to every request.
type headerTransport struct{ key, value string }

func (h headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set(h.key, h.value)
	return http.DefaultTransport.RoundTrip(r)
}

// uploadSnapshot archives and uploads the second-newest state-sync snapshot of a copy of snapshots
// (a node's data/snapshots) with the real seictl's snapshot-upload-once, as an operator's uploader
// would, and returns the snapshot's height.
func uploadSnapshot(t *testing.T, snapshots, chainID, endpoint string) int64 {
	t.Helper()
	g := NewWithT(t)
	seictl := os.Getenv("SEICTL_BIN")
	home := t.TempDir()
	g.Expect(os.MkdirAll(filepath.Join(home, "data"), 0o755)).To(Succeed())
	// cp -a of a live directory: the snapshot uploaded is one seid finished.
	dst := filepath.Join(home, "data", "snapshots")
	g.Expect(exec.CommandContext(t.Context(), "cp", "-a", snapshots, dst).Run()).To(Succeed())
	// seictl's uploader archives the second newest snapshot folder with the whole metadata.db: it
	// takes the newest folder for one seid is still writing (not yet in metadata.db). On this small
	// chain seid finishes a snapshot within its block, so the newest is complete and listed, and a
	// restore of the second newest hangs: seid picks the newest snapshot metadata.db lists, whose
	// chunks the archive lacks ("Failed to LoadSnapshotChunk from abci: cannot add nil chunk", seen
	// here). The copy gets the state the uploader expects: an empty folder above the newest, as while
	// seid writes the next snapshot.
	entries, err := os.ReadDir(dst)
	g.Expect(err).NotTo(HaveOccurred())
	var newest int64
	for _, e := range entries {
		if h, err := strconv.ParseInt(e.Name(), 10, 64); err == nil && e.IsDir() {
			newest = max(newest, h)
		}
	}
	g.Expect(newest).To(BeNumerically(">", 0))
	g.Expect(os.Mkdir(filepath.Join(dst, strconv.FormatInt(newest+1, 10)), 0o755)).To(Succeed())

	free, err := testfleet.FreeAddr()
	g.Expect(err).NotTo(HaveOccurred())
	_, port, _ := strings.Cut(free, ":")
	ctx, cancel := context.WithCancel(context.WithoutCancel(t.Context()))
	cmd := exec.CommandContext(ctx, seictl, "serve")
	cmd.Env = append(os.Environ(),
		"SEI_HOME="+home, "SEI_CHAIN_ID="+chainID, "SEI_SIDECAR_PORT="+port,
		"SEI_SIDECAR_AUTHN_MODE=trusted-header", // loopback only
		"SEI_GENESIS_BUCKET=unused", "SEI_GENESIS_REGION=unused",
		"SEI_SNAPSHOT_BUCKET="+s3Bucket, "SEI_SNAPSHOT_REGION="+s3Region,
		"AWS_ENDPOINT_URL="+endpoint, "AWS_ACCESS_KEY_ID="+s3AccessKey, "AWS_SECRET_ACCESS_KEY="+s3SecretKey,
	)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	g.Expect(cmd.Start()).To(Succeed())
	defer func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("seictl serve (uploader) said:\n%s", out.String())
		}
	}()
	c := sidecar.New("http://127.0.0.1:"+port, sidecar.WithHTTPClient(&http.Client{Transport: headerTransport{"X-Remote-User", "e2e"}}))
	g.Eventually(func() error { _, err := c.Status(t.Context()); return err }).WithTimeout(30 * time.Second).Should(Succeed())
	task := sidecar.Task{ID: uuid.NewString(), Type: sidecar.TaskTypeSnapshotUploadOnce, Params: json.RawMessage(`{}`)}
	_, err = c.SubmitTask(t.Context(), task)
	g.Expect(err).NotTo(HaveOccurred())
	var res *sidecar.TaskResult
	g.Eventually(func(g Gomega) {
		res, err = c.GetTask(t.Context(), task.ID)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(res.Terminal()).To(BeTrue())
	}).WithTimeout(3 * time.Minute).WithPolling(time.Second).Should(Succeed())
	g.Expect(res.Status).To(Equal(sidecar.StatusCompleted), "snapshot-upload-once: %s", res.Error)
	var up struct {
		Outcome string `json:"outcome"`
		Height  int64  `json:"height"`
		Key     string `json:"key"`
	}
	g.Expect(json.Unmarshal(res.Result, &up)).To(Succeed(), string(res.Result))
	g.Expect(up.Outcome).To(Equal("uploaded"), string(res.Result))
	g.Expect(up.Height).To(Equal(newest), "the newest finished snapshot")
	t.Logf("uploaded %s (height %d)", up.Key, up.Height)
	return up.Height
}

// A running network whose validators take state-sync snapshots; one snapshot is archived into a real
// S3 server (versitygw) by the real seictl uploader; then a full node in sa joins the network from
// that archive (bootstrap.snapshot with the store's endpoint and a credentials Secret): its sidecar
// restores the archive, seid state-syncs from it locally, and the node catches up.
func TestRealChainFullNodeJoinsFromSnapshot(t *testing.T) {
	g := NewWithT(t)
	registerSA(t)
	endpoint := snapshotStore(t)
	ns := hubNamespace(t)
	policy := "real-" + ns
	regionPolicy(t, policy, []string{"us", "eu", "ap"}, func(s *seiv1alpha1.SeiPlacementPolicySpec) { s.MaxVotingPowerFraction = "2/3" })
	v := validators(ns, "net", policy, 4)
	v.Spec.Template.ServeStateSync = &seiv1alpha1.ServeStateSyncSpec{SnapshotInterval: 10, SnapshotKeepRecent: 3}
	vals := create(t, v)
	dumpOnFailure(t, vals)
	var source memberNode
	g.Eventually(func(g Gomega) {
		nodes := memberNodes(g, t, ns, vals.Name)
		g.Expect(nodes).To(HaveLen(4))
		source = nodes[0]
		entries, err := os.ReadDir(filepath.Join(dataDir(g, t, source), "data", "snapshots"))
		g.Expect(err).NotTo(HaveOccurred())
		heights := 0
		for _, e := range entries {
			if _, err := strconv.ParseInt(e.Name(), 10, 64); err == nil {
				heights++
			}
		}
		g.Expect(heights).To(BeNumerically(">=", 1), "a finished snapshot")
	}).WithTimeout(8 * time.Minute).WithPolling(2 * time.Second).Should(Succeed())
	height := uploadSnapshot(t, filepath.Join(dataDir(g, t, source), "data", "snapshots"), v.Spec.ChainID, endpoint)

	// The store's credentials, in the joiner's namespace in its member cluster.
	sa := fleet.Member("sa").Client
	if err := sa.Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	g.Expect(sa.Create(t.Context(), &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "snapshot-store"},
		StringData: map[string]string{"AWS_ACCESS_KEY_ID": s3AccessKey, "AWS_SECRET_ACCESS_KEY": s3SecretKey},
	})).To(Succeed())

	joinPolicy := "join-" + ns
	regionPolicy(t, joinPolicy, []string{"sa"}, nil)
	f := fullNodes(ns, "restored", joinPolicy, 1)
	f.Spec.ChainID = v.Spec.ChainID
	f.Spec.Joins = &seiv1alpha1.JoinSpec{Deployment: vals.Name}
	f.Spec.Bootstrap = &seiv1alpha1.BootstrapSpec{Snapshot: &seiv1alpha1.SnapshotBootstrap{
		S3: seiv1alpha1.S3Source{Bucket: s3Bucket, Region: s3Region, Endpoint: endpoint, CredentialsSecret: "snapshot-store"},
	}}
	full := create(t, f)
	dumpOnFailure(t, full)

	var joiner memberNode
	g.Eventually(func(g Gomega) {
		nodes := memberNodes(g, t, ns, full.Name)
		g.Expect(nodes).To(HaveLen(1))
		joiner = nodes[0]
		g.Expect(joiner.cluster).To(Equal("sa"))
		g.Expect(joiner.podIP).NotTo(BeEmpty())
		var s syncInfo
		g.Expect(rpc(joiner.podIP, "/status", &s)).To(Succeed())
		g.Expect(s.SyncInfo.CatchingUp).To(BeFalse())
		top := networkHeight(g, t, ns, vals.Name)
		g.Expect(top).To(BeNumerically(">", 0))
		g.Expect(atoi(s.SyncInfo.LatestBlockHeight)).To(BeNumerically(">=", top-3), "the joiner is within 3 blocks of the network")
	}).WithTimeout(10 * time.Minute).WithPolling(3 * time.Second).Should(Succeed())

	// The sidecar restored the uploaded archive: it records the archive's height on the volume.
	raw, err := os.ReadFile(filepath.Join(dataDir(g, t, joiner), ".sei-sidecar-snapshot-height"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(strings.TrimSpace(string(raw))).To(Equal(strconv.FormatInt(height, 10)))
	var s syncInfo
	g.Expect(rpc(joiner.podIP, "/status", &s)).To(Succeed())
	t.Logf("joiner %s on %s: restored snapshot %d; earliest block %s, latest %s", joiner.node.Name, joiner.cluster, height,
		s.SyncInfo.EarliestBlockHeight, s.SyncInfo.LatestBlockHeight)
	g.Expect(atoi(s.SyncInfo.EarliestBlockHeight)).To(BeNumerically(">", 1), "the joiner started from the snapshot, not genesis")
	g.Expect(atoi(s.SyncInfo.EarliestBlockHeight)).To(BeNumerically("<=", height+1), "and from that snapshot, not a newer one from peers")
	first, err := blockHash(joiner.podIP, 1)
	g.Expect(err != nil || first == "").To(BeTrue(), "block 1 is below the restored snapshot (got hash %q)", first)
}
