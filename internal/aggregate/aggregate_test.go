package aggregate_test

import (
	"errors"
	"io/fs"
	"testing"

	"github.com/hashicorp/go-multierror"
	. "github.com/onsi/gomega"

	"github.com/sei-protocol/sei-fleet/internal/aggregate"
)

func TestJoinSkipsNilsAndKeepsEveryMessage(t *testing.T) {
	g := NewWithT(t)
	g.Expect(aggregate.Join()).To(Succeed())
	g.Expect(aggregate.Join(nil, nil)).To(Succeed())

	one := errors.New("--cluster-name is required")
	g.Expect(aggregate.Join(nil, one)).To(MatchError("--cluster-name is required"), "one error reads as itself")

	err := aggregate.Join(one, nil, fs.ErrNotExist)
	g.Expect(err).To(MatchError("--cluster-name is required\nfile does not exist"))
	g.Expect(errors.Is(err, fs.ErrNotExist)).To(BeTrue())
	g.Expect(errors.Is(err, one)).To(BeTrue())
	g.Expect(aggregate.Join(err, errors.New("third"))).To(MatchError("--cluster-name is required\nfile does not exist\nthird"), "flattened")
}

func TestOfFormatsAGroup(t *testing.T) {
	g := NewWithT(t)
	var none multierror.Group
	none.Go(func() error { return nil })
	g.Expect(aggregate.Of(none.Wait())).To(Succeed())
	g.Expect(aggregate.Of(nil)).To(Succeed())

	var group multierror.Group
	group.Go(func() error { return errors.New("stop us: timeout") })
	group.Go(func() error { return nil })
	g.Expect(aggregate.Of(group.Wait())).To(MatchError("stop us: timeout"))
}
