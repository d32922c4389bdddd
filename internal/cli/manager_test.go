package cli_test

import (
	"flag"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/client-go/rest"

	"github.com/sei-protocol/sei-fleet/internal/cli"
)

func TestRateLimitFlagsReachTheManagersRESTConfig(t *testing.T) {
	g := NewWithT(t)
	o := cli.NewManagerOptions("hub")
	fs := flag.NewFlagSet("hub", flag.ContinueOnError)
	o.AddFlags(fs, cli.ManagerFlags{Component: "hub", Cluster: "the hub cluster"})
	g.Expect(fs.Parse([]string{"--kube-api-qps", "150.5", "--kube-api-burst", "300"})).To(Succeed())
	g.Expect(o.Validate()).To(BeEmpty())

	in := &rest.Config{Host: "https://127.0.0.1:6443", QPS: 20, Burst: 30}
	out := o.RESTConfig(in)
	g.Expect(out.QPS).To(BeNumerically("==", 150.5))
	g.Expect(out.Burst).To(Equal(300))
	g.Expect(out.Host).To(Equal(in.Host))
	g.Expect(in.QPS).To(BeNumerically("==", 20), "the caller's config is not changed")
}

func TestDefaultRateLimitsAreAboveControllerRuntimes(t *testing.T) {
	g := NewWithT(t)
	o := cli.NewManagerOptions("agent")
	cfg := o.RESTConfig(&rest.Config{})
	g.Expect(cfg.QPS).To(BeNumerically("==", cli.DefaultKubeAPIQPS))
	g.Expect(cfg.Burst).To(Equal(cli.DefaultKubeAPIBurst))
	g.Expect(cfg.QPS).To(BeNumerically(">", 20))
}

func TestRateLimitFlagsMustBePositive(t *testing.T) {
	g := NewWithT(t)
	errs := cli.RateLimitFlags("--x-qps", 0, "--x-burst", -2)
	g.Expect(errs).To(HaveLen(2))
	g.Expect(errs[0]).To(MatchError("--x-qps must be positive, got 0"))
	g.Expect(errs[1]).To(MatchError("--x-burst must be positive, got -2"))
}
