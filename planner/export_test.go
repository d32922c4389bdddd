package planner

// PolledTasks is how many tasks e counts polls of.
func PolledTasks[E any](e *Executor[E]) int { return e.polls.len() }
