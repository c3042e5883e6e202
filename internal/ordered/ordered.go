// Package ordered holds the set operations on slices that must keep the input's order (index URLs,
// requirement files, runtimes): the first of each repeat wins. It is a leaf: it knows nothing of
// layers, configs or indexes.
package ordered

import "slices"

// Unique returns s without repeats, keeping the first of each in its place; nil when s is empty.
func Unique[T comparable](s []T) []T {
	seen := map[T]bool{}
	var out []T
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// Intersect returns the elements of have that are also in want, in have's order; nil when none are.
func Intersect[T comparable](have, want []T) []T {
	var out []T
	for _, h := range have {
		if slices.Contains(want, h) {
			out = append(out, h)
		}
	}
	return out
}
