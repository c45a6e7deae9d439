package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// The bench commands are smoke-tested with tiny sizes: a report comes out and
// nothing failed. No timing is asserted; numbers live in docs/BENCHMARKS.md.

func TestBenchSignEmbedded(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	rep, err := runBenchSign(ctx, []string{"--embedded", "--duration", "200ms", "--warmup", "0", "--baseline", "100ms",
		"--floor", "100ms", "--concurrency", "4", "--verify-every", "1"}, &out)
	if err != nil {
		t.Fatalf("bench sign: %v\n%s", err, out.String())
	}
	t.Log("\n" + out.String())
	if rep.Requests == 0 || rep.Errors.total() != 0 || rep.Verified != rep.Requests {
		t.Fatalf("requests %d, errors %v, verified %d", rep.Requests, rep.Errors, rep.Verified)
	}
	if rep.RawOne <= 0 || rep.RawAll <= 0 {
		t.Fatalf("no raw baseline: %+v", rep)
	}
	if rep.FloorRate <= 0 || rep.FloorCPU <= 0 || rep.SignCheck <= 0 || rep.Ceiling <= 0 {
		t.Fatalf("no floor: %+v", rep)
	}
	for _, want := range []string{"command    coffer bench sign --embedded", "cpu ", "cores ", "go ", "raw        crypto.Sign", "floor      ", "vs floor ", "sig/s", "p99", "errors     0"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func TestBenchSignRequests(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	rep, err := runBenchSign(ctx, []string{"--embedded", "--requests", "50", "--warmup", "0", "--baseline", "-1s", "--floor", "0", "--concurrency", "3"}, &out)
	if err != nil {
		t.Fatalf("bench sign: %v\n%s", err, out.String())
	}
	if rep.Requests != 50 || rep.Errors.total() != 0 {
		t.Fatalf("requests %d, errors %v\n%s", rep.Requests, rep.Errors, out.String())
	}
}

func TestBenchMintEmbedded(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var out bytes.Buffer
	rep, err := runBenchMint(ctx, []string{"--embedded", "--mints", "20", "--concurrency", "4", "--users", "2"}, &out)
	if err != nil {
		t.Fatalf("bench mint: %v\n%s", err, out.String())
	}
	t.Log("\n" + out.String())
	if rep.Mints != 20 || rep.Failed != 0 || rep.Errors.total() != 0 || len(rep.Accept) != 20 || len(rep.Confirm) != 20 {
		t.Fatalf("confirmed %d, failed %d, errors %v, accepts %d, confirms %d", rep.Mints, rep.Failed, rep.Errors, len(rep.Accept), len(rep.Confirm))
	}
	if len(rep.Queued) != 20 || len(rep.OnChain) != 20 || rep.Blocks == 0 {
		t.Fatalf("stages: %d queued, %d on chain, %d blocks", len(rep.Queued), len(rep.OnChain), rep.Blocks)
	}
	if rep.Raw <= 0 || rep.RawCPU <= 0 {
		t.Fatalf("no raw chain rate or CPU: %+v", rep)
	}
	for _, want := range []string{"command    coffer bench mint --embedded", "cpu ", "raw        20 CofferNFT mints", "per mint (chain and sender)", "mints/s", "accept ", "confirm ", "queued ", "on chain ", "errors     0"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func TestBenchUsage(t *testing.T) {
	if _, err := runBenchSign(context.Background(), []string{"--api", "http://127.0.0.1:1"}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "--key") {
		t.Fatalf("--api without --key: %v", err)
	}
	if _, err := runBenchMint(context.Background(), []string{}, &bytes.Buffer{}); err == nil {
		t.Fatal("neither --embedded nor --api: no error")
	}
	if err := runBench(context.Background(), []string{"nope"}); err == nil {
		t.Fatal("unknown benchmark: no error")
	}
}
