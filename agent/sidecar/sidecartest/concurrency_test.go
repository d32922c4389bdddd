package sidecartest_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	. "github.com/onsi/gomega"
)

// Many reconcilers submitting the same ids at once must still run each id
// exactly once: that is the property the agent's idempotency rests on.
func TestConcurrentSubmissionsRunEachIDOnce(t *testing.T) {
	g := NewWithT(t)
	s := newServer(t)
	ids := make([]string, 10)
	for i := range ids {
		ids[i] = uuid.NewString()
	}
	const workers, rounds = 8, 5
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range rounds {
				for _, id := range ids {
					body := `{"id":"` + id + `","type":"config-apply","params":{"mode":"full"}}`
					req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL()+"/v0/tasks", strings.NewReader(body))
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Error(err)
						return
					}
					_ = resp.Body.Close()
				}
			}
		})
	}
	wg.Wait()
	for _, id := range ids {
		g.Expect(s.Runs(id)).To(Equal(1), id)
		g.Expect(status(s, id)).To(Equal("completed"))
	}
	g.Expect(s.Submissions("config-apply")).To(Equal(workers * rounds * len(ids)))
}

// Scripting knobs, timers and readers race against each other here; the
// test's value is running it under -race.
func TestConcurrentScriptsTimersAndReads(t *testing.T) {
	g := NewWithT(t)
	s := newServer(t)
	s.SetDelay(time.Millisecond)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			s.HangTask("restart-seid")
			s.FailTask("restart-seid", 1, "flaky")
			s.SetHealthy(true)
			s.ReleaseTask("restart-seid")
		}
	})
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			_ = s.Tasks()
			_ = s.Healthy()
			_ = s.Submissions("restart-seid")
		}
	})
	ids := make([]string, 0, 40)
	for range 40 {
		ids = append(ids, submit(t, s, uuid.NewString(), "restart-seid", ""))
		call(t, http.MethodGet, s.URL()+"/v0/tasks", "")
	}
	close(stop)
	wg.Wait()
	s.ReleaseTask("restart-seid")

	for _, id := range ids {
		g.Eventually(func() string { return status(s, id) }).Should(Or(Equal("completed"), Equal("failed")))
		g.Expect(s.Runs(id)).To(Equal(1))
	}
}
