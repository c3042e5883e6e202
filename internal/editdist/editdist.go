// Package editdist measures how far a typed name is from a known one, for "did you mean" hints on
// options, commands and config keys. It is a leaf: it knows nothing of what the names are.
package editdist

// Levenshtein is the edit distance between a and b, counted in bytes (the names it compares are
// ASCII).
func Levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
