// Package controllertest runs the deployment controller alone on a real hub apiserver: what it places
// (or refuses to place) is visible on the hub without members, agents or a mirror. The package
// hub/deployment tests it inside a whole in-process fleet; one TestMain per package is why this lives
// apart.
package controllertest
