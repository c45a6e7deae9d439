//go:build unix

package signer

import (
	"net"
	"syscall"
)

// listenUnix creates the socket with mode 0600 from the start (Listen also
// chmods it), so no other user can connect between bind and chmod.
func listenUnix(path string) (net.Listener, error) {
	old := syscall.Umask(0o177)
	defer syscall.Umask(old)
	return net.Listen("unix", path)
}
