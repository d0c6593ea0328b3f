package plugins

import "github.com/connectd/connectd/transforms"

// transformPlugins lists the transformations and predicates for the registry: found by class
// name and alias, listed and described by the REST API.
func transformPlugins() []*Plugin {
	var out []*Plugin
	for _, tp := range transforms.Plugins() {
		tp := tp
		kind := KindTransformation
		if tp.Predicate {
			kind = KindPredicate
		}
		out = append(out, &Plugin{Class: tp.Class, Kind: kind, Transform: &tp})
	}
	return out
}
