// Package build is the engine: it turns a Plan (layers, their requirements files and Lambda targets,
// indexes, cache and output folder) into a *report.Report, resolving for each target, fetching and
// verifying wheels and writing the byte-reproducible zips; it also holds the fast path for pinned and
// hashed files, the Locker behind `lock`, and the build of a base revision to compare with. It takes
// everything from the world through Env. It knows nothing of flags, exit codes, configuration files,
// GitHub or publishing: the command line (internal/run) and the action (internal/action) call it.
package build
