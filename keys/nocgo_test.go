//go:build !cgo

package keys

const cgoBuild = false
