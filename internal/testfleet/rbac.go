package testfleet

import (
	"context"
	"fmt"
	"os"
	"strings"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// LeastPrivilegeConfig grants user the roles of the generated RBAC file roleFile (see Grant) and returns
// that user's REST config: the identity a binary really runs with, so a test proves the generated RBAC
// suffices.
func (cp *ControlPlane) LeastPrivilegeConfig(ctx context.Context, user, roleFile string) (*rest.Config, error) {
	if err := cp.Grant(ctx, user, roleFile); err != nil {
		return nil, err
	}
	_, cfg, err := cp.UserKubeconfig(user)
	return cfg, err
}

// Grant creates the Roles and ClusterRoles in the generated RBAC file roleFile on cp and binds them to
// user. Namespaced Roles need their namespace to exist.
func (cp *ControlPlane) Grant(ctx context.Context, user, roleFile string) error {
	raw, err := os.ReadFile(roleFile)
	if err != nil {
		return fmt.Errorf("read %s: %w", roleFile, err)
	}
	subject := rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user}
	for _, doc := range strings.Split(string(raw), "\n---") {
		if strings.TrimSpace(doc) == "" || strings.TrimSpace(doc) == "---" {
			continue
		}
		var meta struct {
			Kind string `json:"kind"`
		}
		if err := yaml.Unmarshal([]byte(doc), &meta); err != nil {
			return fmt.Errorf("decode %s: %w", roleFile, err)
		}
		switch meta.Kind {
		case "ClusterRole":
			role := &rbacv1.ClusterRole{}
			if err := yaml.Unmarshal([]byte(doc), role); err != nil {
				return fmt.Errorf("decode ClusterRole in %s: %w", roleFile, err)
			}
			role.Name = user + "-" + role.Name
			binding := &rbacv1.ClusterRoleBinding{
				ObjectMeta: metav1.ObjectMeta{Name: role.Name},
				RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
				Subjects:   []rbacv1.Subject{subject},
			}
			if err := createAll(ctx, cp, role, binding); err != nil {
				return err
			}
		case "Role":
			role := &rbacv1.Role{}
			if err := yaml.Unmarshal([]byte(doc), role); err != nil {
				return fmt.Errorf("decode Role in %s: %w", roleFile, err)
			}
			role.Name = user + "-" + role.Name
			binding := &rbacv1.RoleBinding{
				ObjectMeta: metav1.ObjectMeta{Namespace: role.Namespace, Name: role.Name},
				RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name},
				Subjects:   []rbacv1.Subject{subject},
			}
			if err := createAll(ctx, cp, role, binding); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%s: unexpected kind %q", roleFile, meta.Kind)
		}
	}
	return nil
}

func createAll(ctx context.Context, cp *ControlPlane, objs ...client.Object) error {
	for _, o := range objs {
		if err := cp.Client.Create(ctx, o); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create %T %s on %s: %w", o, o.GetName(), cp.Name, err)
		}
	}
	return nil
}

// LeaderElectionEvents lists the objects that core Events of reason LeaderElection in namespace name,
// as "Kind/name": what a leader-elected binary writes only when its RBAC lets it.
func (cp *ControlPlane) LeaderElectionEvents(ctx context.Context, namespace string) ([]string, error) {
	events := &corev1.EventList{}
	if err := cp.Client.List(ctx, events, client.InNamespace(namespace), client.MatchingFields{"reason": "LeaderElection"}); err != nil {
		return nil, fmt.Errorf("list events in %s on %s: %w", namespace, cp.Name, err)
	}
	var out []string
	for _, e := range events.Items {
		out = append(out, e.InvolvedObject.Kind+"/"+e.InvolvedObject.Name)
	}
	return out, nil
}
