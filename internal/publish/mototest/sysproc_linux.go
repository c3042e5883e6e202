package mototest

import "syscall"

// sysProcAttr has the kernel kill moto_server when the test binary dies, however it dies.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
