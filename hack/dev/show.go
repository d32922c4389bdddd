package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// applySamples creates every object in the YAML files of dir (and their namespaces). A non-empty
// image replaces the deployments' seid image (the real nodes run the locally built one).
func applySamples(ctx context.Context, c client.Client, dir, image string) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("no samples in %s", dir)
	}
	sort.Strings(files)
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("read %s: %w", f, err)
		}
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(raw, &u.Object); err != nil {
			return fmt.Errorf("decode %s: %w", f, err)
		}
		if image != "" && u.GetKind() == "SeiNodeDeployment" {
			if err := unstructured.SetNestedField(u.Object, image, "spec", "image"); err != nil {
				return fmt.Errorf("set the image of %s: %w", f, err)
			}
		}
		if ns := u.GetNamespace(); ns != "" {
			err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
			if err != nil && !apierrors.IsAlreadyExists(err) {
				return fmt.Errorf("create namespace %s: %w", ns, err)
			}
		}
		if err := c.Create(ctx, u); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("apply %s: %w", f, err)
		}
	}
	return nil
}

// watch prints the fleet whenever it changes, until every deployment is Ready with its ceremony done.
func watch(ctx context.Context, c client.Client, start time.Time, out io.Writer) error {
	last := ""
	for {
		deps := &seiv1alpha1.SeiNodeDeploymentList{}
		nodes := &seiv1alpha1.SeiNodeList{}
		if err := c.List(ctx, deps); err == nil && c.List(ctx, nodes) == nil {
			view := render(deps, nodes)
			if view != last {
				fmt.Fprintf(out, "\n[%3ds]\n%s", int(time.Since(start).Seconds()), view)
				last = view
			}
			if converged(deps) {
				fmt.Fprintf(out, "\nThe fleet converged in %s: every node Running, the ceremony complete.\n", time.Since(start).Round(time.Second))
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return errNotConverged
		case <-time.After(2 * time.Second):
		}
	}
}

func converged(deps *seiv1alpha1.SeiNodeDeploymentList) bool {
	if len(deps.Items) == 0 {
		return false
	}
	for _, d := range deps.Items {
		if d.Status.Phase != seiv1alpha1.DeploymentReady ||
			!meta.IsStatusConditionTrue(d.Status.Conditions, seiv1alpha1.DeploymentGenesisCeremonyComplete) {
			return false
		}
	}
	return true
}

// render shows the deployments (phase, readiness, genesis) and the nodes per cluster.
func render(deps *seiv1alpha1.SeiNodeDeploymentList, nodes *seiv1alpha1.SeiNodeList) string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "DEPLOYMENT\tROLE\tPHASE\tREADY\tGENESIS\tNOTE")
	running := map[string]string{} // deployment → genesis its nodes run
	for _, n := range nodes.Items {
		if n.Status.GenesisSHA256 != "" {
			running[n.Namespace+"/"+n.Labels[seiv1alpha1.LabelDeployment]] = n.Status.GenesisSHA256
		}
	}
	for _, d := range deps.Items {
		genesis := "-"
		if d.Status.Genesis != nil {
			genesis = d.Status.Genesis.SHA256[:16] + "…"
		} else if sha := running[d.Namespace+"/"+d.Name]; sha != "" {
			genesis = sha[:16] + "… (joined)"
		}
		note := ""
		for _, t := range []string{seiv1alpha1.DeploymentPlaced, seiv1alpha1.DeploymentGenesisCeremonyComplete, seiv1alpha1.DeploymentNodesReady} {
			if c := meta.FindStatusCondition(d.Status.Conditions, t); c != nil && c.Status != metav1.ConditionTrue {
				note = c.Message
				break
			}
		}
		fmt.Fprintf(w, "%s/%s\t%s\t%s\t%d/%d\t%s\t%s\n", d.Namespace, d.Name, d.Spec.Role, d.Status.Phase,
			d.Status.ReadyReplicas, d.Spec.Replicas, genesis, truncate(note, 70))
	}
	fmt.Fprintln(w, "\nCLUSTER\tNODE\tMODE\tPHASE\tHEIGHT\tNODE ID\t")
	sorted := append([]seiv1alpha1.SeiNode(nil), nodes.Items...)
	sort.Slice(sorted, func(i, j int) bool {
		if sorted[i].Spec.ClusterName != sorted[j].Spec.ClusterName {
			return sorted[i].Spec.ClusterName < sorted[j].Spec.ClusterName
		}
		return sorted[i].Name < sorted[j].Name
	})
	for _, n := range sorted {
		id := n.Status.NodeID
		if len(id) > 12 {
			id = id[:12] + "…"
		}
		height := "-"
		if n.Status.Height > 0 {
			height = fmt.Sprint(n.Status.Height)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t\n", n.Spec.ClusterName, n.Name, n.Status.Mode, n.Status.Phase, height, id)
	}
	_ = w.Flush()
	return b.String()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

func printLookAround(out io.Writer, dir string, hub [2]string) {
	fmt.Fprintf(out, `
Look around (kubeconfigs are in %[1]s):
  kubectl --kubeconfig %[1]s/hub.kubeconfig get seinodedeployments,seinodes -n sei
  kubectl --kubeconfig %[1]s/hub.kubeconfig get seinodes -A -o wide     # heights (real nodes)
  kubectl --kubeconfig %[1]s/hub.kubeconfig get seiplacementpolicy dev-regions -o yaml
  kubectl --kubeconfig %[1]s/hub.kubeconfig get configmap -n sei -l sei.io/component=genesis -o yaml
  kubectl --kubeconfig %[1]s/us.kubeconfig get seinodes,statefulsets,services,secrets,pods -n sei
  curl -s http://%[2]s/metrics | grep controller_runtime_reconcile_total    # hub metrics
Logs: %[1]s/logs/. Press Ctrl-C to tear everything down.
`, dir, hub[0])
}

// watchHeights waits until every node's height on the hub has risen by a few blocks since the first
// time it was seen, printing the heights as they change: blocks are being made and the hub sees them.
func watchHeights(ctx context.Context, c client.Client, start time.Time, out io.Writer) error {
	first := map[string]int64{}
	last := ""
	for {
		deps := &seiv1alpha1.SeiNodeDeploymentList{}
		nodes := &seiv1alpha1.SeiNodeList{}
		if err := c.List(ctx, deps); err == nil && c.List(ctx, nodes) == nil && len(nodes.Items) > 0 {
			rising := 0
			for _, n := range nodes.Items {
				key := n.Namespace + "/" + n.Name
				if _, ok := first[key]; !ok && n.Status.Height > 0 {
					first[key] = n.Status.Height
				}
				if h, ok := first[key]; ok && n.Status.Height >= h+3 {
					rising++
				}
			}
			if view := render(deps, nodes); view != last {
				fmt.Fprintf(out, "\n[%3ds]\n%s", int(time.Since(start).Seconds()), view)
				last = view
			}
			if rising == len(nodes.Items) {
				fmt.Fprintf(out, "\nBlocks are being made: every node's height is rising on the hub (%s).\n", time.Since(start).Round(time.Second))
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return errors.New("the nodes' heights did not rise in time")
		case <-time.After(3 * time.Second):
		}
	}
}
