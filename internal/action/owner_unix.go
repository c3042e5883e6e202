//go:build unix

package action

import (
	"os"
	"syscall"
)

type owner struct{ uid, gid int }

// ownerOf is the owner of path (a symbolic link's own, not its target's).
func ownerOf(path string) (owner, bool) {
	fi, err := os.Lstat(path)
	if err != nil {
		return owner{}, false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return owner{}, false
	}
	return owner{int(st.Uid), int(st.Gid)}, true
}

// give hands one path to the owner without following a symbolic link.
func (o owner) give(p string) error {
	if cur, ok := ownerOf(p); ok && cur == o {
		return nil
	}
	return os.Lchown(p, o.uid, o.gid)
}
