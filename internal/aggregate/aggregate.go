// Package aggregate is the project's one way to gather several errors into one (go-multierror), with
// the messages one per line, so an operator reads every failure, not a count.
package aggregate

import (
	"strings"

	"github.com/hashicorp/go-multierror"
)

// Join returns the non-nil errors as one error, or nil when there are none. errors.Is and errors.As
// see each of them.
func Join(errs ...error) error {
	return Of(multierror.Append(nil, errs...))
}

// Of formats a go-multierror accumulation (e.g. a multierror.Group's Wait) one message per line, or
// returns nil when it holds no error.
func Of(err *multierror.Error) error {
	if err == nil {
		return nil
	}
	err.ErrorFormat = lines
	return err.ErrorOrNil()
}

func lines(errs []error) string {
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}
