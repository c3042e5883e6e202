// Package pep440 parses, orders and matches Python package versions and
// version specifiers (PEP 440) with the semantics of pypa/packaging 26.x.
//
// It does not wrap deps.dev/util/semver (semver.PyPI): run against the shared
// conformance vectors, that package misordered 20 of 8,464 version pairs
// (local labels on dev releases, a0.post0 versus a0), normalized 139 of 149
// spellings differently (it pads "1.0" to "1.0.0"), rejected 7 of 669 valid and
// accepted 13 of 31 invalid specifiers, and answered 308 of 634 "contains"
// cases wrongly (local versions under ==, epochs, the <V and >V exclusion
// rules, and packaging 26's default pre-release policy, which it cannot express).
package pep440
