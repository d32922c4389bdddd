// Package mirror keeps every hub SeiNode record and its member copy in step.
//
// A record placed on a member cluster (spec.clusterName) is copied there — same namespace and name,
// server-side applied as field owner sei-hub, after its namespace and its genesis ConfigMap — and the
// copy's status, which the member's agent writes, is copied back to the record with a MemberSynced
// condition the hub owns. Deleting a record honours its deletion policy: Delete removes the member copy
// and waits until the agent fenced it (its pod gone); Retain orphans the copy, which keeps running.
// A validator's record deleted while its deployment still wants its ordinal is neither: the copy is
// left running (marked Retain, so no sweep deletes it) for the record the deployment writes again.
// A member that cannot be reached holds the record's finalizer, with a condition that says so, until it
// comes back or an admin annotates the record sei.io/release-unreachable-member=true.
//
// Every copy carries the hub's ID (sei.io/hub-id), and the record the UID of the copy the hub saw
// (sei.io/member-copy-uid). A copy is created only when the record, re-read uncached, still wants it
// there (no fence mark): stale caches never bring back a fenced copy.
//
// Sweeper removes member copies no record accounts for any more (a full node re-placed while its old
// cluster was away, a record deleted while its cluster was away), so nothing is ever duplicated when a
// cluster comes back — only on clusters whose identity it verified, only this hub's copies, never a
// validator (reported instead), and a bounded number per pass.
//
// The package owns the hub-to-member copy and the member-to-hub status copy; it decides nothing about
// placement.
package mirror
