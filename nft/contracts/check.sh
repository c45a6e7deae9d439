#!/usr/bin/env bash
# Fails if the committed nft/artifacts/CofferNFT.json or
# nft/bindings/coffernft.go differ from a fresh build of
# nft/contracts/CofferNFT.sol with the pinned toolchain.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
nft="$(cd "$here/.." && pwd)"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

if ! bash "$here/build.sh" "$tmp" >"$tmp/build.log" 2>&1; then
	cat "$tmp/build.log" >&2
	echo "check.sh: rebuilding CofferNFT failed (see above)" >&2
	exit 1
fi

stale=0
for f in artifacts/CofferNFT.json bindings/coffernft.go; do
	if [ ! -f "$nft/$f" ]; then
		echo "check.sh: nft/$f is missing" >&2
		stale=1
	elif ! diff -u "$nft/$f" "$tmp/$f" >"$tmp/diff" 2>&1; then
		echo "check.sh: nft/$f is stale; first differences (lines cut at 160 chars):" >&2
		head -n 40 "$tmp/diff" | cut -c1-160 >&2
		stale=1
	fi
done

if [ "$stale" -ne 0 ]; then
	echo "check.sh: FAIL: generated CofferNFT files are out of date." >&2
	echo "check.sh: run 'bash nft/contracts/build.sh' and commit nft/artifacts and nft/bindings." >&2
	exit 1
fi
echo "check.sh: OK: nft/artifacts/CofferNFT.json and nft/bindings/coffernft.go are up to date"
