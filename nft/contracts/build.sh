#!/usr/bin/env bash
# Rebuilds CofferNFT's artifact and Go bindings with the pinned toolchain.
#
#   bash nft/contracts/build.sh            # writes nft/artifacts/CofferNFT.json
#                                          #    and nft/bindings/coffernft.go
#   bash nft/contracts/build.sh OUT_DIR    # writes OUT_DIR/artifacts/CofferNFT.json
#                                          #    and OUT_DIR/bindings/coffernft.go
#
# Pinned: solc 0.8.37 (solcjs) and @openzeppelin/contracts 5.7.0 via
# package-lock.json, abigen from go-ethereum v1.17.10.
set -euo pipefail

ABIGEN="github.com/ethereum/go-ethereum/cmd/abigen@v1.17.10"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here/..}"
mkdir -p "$out/artifacts" "$out/bindings"
out="$(cd "$out" && pwd)"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

cd "$here"
npm ci --silent --no-audit --no-fund

node compile.js "$out/artifacts/CofferNFT.json" "$tmp/CofferNFT.abi" "$tmp/CofferNFT.bin"

# Run abigen outside the repository's module so its pinned version, not
# go.mod, decides what is built.
(cd "$tmp" && GOFLAGS=-mod=mod go run "$ABIGEN" --v2 \
	--abi "$tmp/CofferNFT.abi" --bin "$tmp/CofferNFT.bin" \
	--pkg bindings --type CofferNFT --out "$out/bindings/coffernft.go")
chmod 0644 "$out/bindings/coffernft.go"
