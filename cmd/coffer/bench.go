package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/cofferhq/coffer/chain/devchain"
	"github.com/cofferhq/coffer/config"
	"github.com/cofferhq/coffer/custody"
	"github.com/cofferhq/coffer/keys"
	"github.com/cofferhq/coffer/nft/bindings"
)

const benchSummary = `Load generators for coffer's hot paths; each report names the command, the machine
and, measured in the same run, the machine's raw limit for the same work.

  coffer bench sign   POST /v1/wallets/{address}/sign-hash over HTTP (auth and audit on),
                      beside crypto.Sign (libsecp256k1) on one core and on all cores
  coffer bench mint   mints through the HTTP API from accepted (202) to confirmed,
                      beside the raw mint rate of the same dev chain without coffer

Both run against a running server (--api, --key) or start the whole dev stack
in-process in a temporary directory (--embedded). Results: docs/BENCHMARKS.md.`

func runBench(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintf(os.Stderr, "Usage: coffer bench sign|mint [flags]\n\n%s\n", benchSummary)
		if len(args) == 0 {
			return errors.New("bench: name a benchmark: sign or mint")
		}
		return flag.ErrHelp
	}
	switch args[0] {
	case "sign":
		_, err := runBenchSign(ctx, args[1:], os.Stdout)
		return err
	case "mint":
		_, err := runBenchMint(ctx, args[1:], os.Stdout)
		return err
	}
	return fmt.Errorf("bench: unknown benchmark %q (sign or mint)", args[0])
}

// ---- shared: machine description, embedded stack, latencies ----

// benchMachine describes where a benchmark ran, for the report.
func benchMachine() []string {
	cpu := "unknown"
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	rev := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				rev = " " + s.Value[:12]
			}
			if s.Key == "vcs.modified" && s.Value == "true" {
				rev += "+dirty"
			}
		}
	}
	host, _ := os.Hostname()
	return []string{
		fmt.Sprintf("cpu        %s", cpu),
		fmt.Sprintf("cores      %d logical, %d for Go, GOMAXPROCS %d", runtime.NumCPU(), cores, runtime.GOMAXPROCS(0)),
		fmt.Sprintf("go         %s %s/%s", runtime.Version(), runtime.GOOS, runtime.GOARCH),
		fmt.Sprintf("coffer     %s%s", version, rev),
		fmt.Sprintf("host       %s", host),
		fmt.Sprintf("load avg   %s (at start; 1/5/15 min)", benchLoadAvg()),
		fmt.Sprintf("pressure   %s (at start; share of time tasks waited for CPU / IO over 10 s)", benchPressure()),
	}
}

// benchPressure is Linux's pressure stall information for CPU and IO (avg10
// of "some"): tasks waiting for a CPU or for IO — other load on the machine.
func benchPressure() string {
	var parts []string
	for _, res := range []string{"cpu", "io"} {
		b, err := os.ReadFile("/proc/pressure/" + res)
		if err != nil {
			return "unknown"
		}
		line, _, _ := strings.Cut(string(b), "\n")
		for _, f := range strings.Fields(line) {
			if v, ok := strings.CutPrefix(f, "avg10="); ok {
				parts = append(parts, res+" "+v+"%")
			}
		}
	}
	return strings.Join(parts, ", ")
}

func benchLoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func benchHeader(w io.Writer, name string, args []string) {
	fmt.Fprintf(w, "coffer bench %s — %s\n", name, time.Now().UTC().Format(time.RFC3339))
	fmt.Fprintf(w, "command    coffer bench %s %s\n", name, strings.Join(args, " "))
	for _, l := range benchMachine() {
		fmt.Fprintln(w, l)
	}
}

// benchProfiles starts a CPU profile to path and a runtime execution trace
// to tracePath ("": none) and returns what stops them.
func benchProfiles(path, tracePath string) (stop func(), err error) {
	var stops []func()
	stop = func() {
		for _, f := range stops {
			f()
		}
	}
	start := func(path string, begin func(io.Writer) error, end func()) error {
		if path == "" {
			return nil
		}
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		if err := begin(f); err != nil {
			f.Close()
			return err
		}
		stops = append(stops, func() { end(); f.Close() })
		return nil
	}
	if err := start(path, pprof.StartCPUProfile, pprof.StopCPUProfile); err != nil {
		return nil, err
	}
	if err := start(tracePath, trace.Start, trace.Stop); err != nil {
		stop()
		return nil, err
	}
	return stop, nil
}

// benchIdle is the Go scheduler's idle time so far: P time with no goroutine
// to run (runtime/metrics, an estimate), summed over GOMAXPROCS.
func benchIdle() time.Duration {
	m := []metrics.Sample{{Name: "/cpu/classes/idle:cpu-seconds"}}
	metrics.Read(m)
	if m[0].Value.Kind() != metrics.KindFloat64 {
		return 0
	}
	return time.Duration(m[0].Value.Float64() * float64(time.Second))
}

// benchAllocProfile writes the allocation profile to path ("": none).
func benchAllocProfile(path string) error {
	if path == "" {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	err = pprof.Lookup("allocs").WriteTo(f, 0)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// benchCPU is the process's user+system CPU time so far.
// benchSpawned is how many goroutines this process has started so far.
func benchSpawned() uint64 {
	m := []metrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
	metrics.Read(m)
	if m[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return m[0].Value.Uint64()
}

func benchCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchEmbedded starts `coffer dev` in a temporary directory under parent
// ("": $TMPDIR): SQLite, local keys, an in-memory dev chain with no RPC port,
// the API on a loopback port.
func benchEmbedded(ctx context.Context, w io.Writer, parent string, persistChain bool) (*devInstance, func(), error) {
	dir, err := os.MkdirTemp(parent, "coffer-bench-")
	if err != nil {
		return nil, nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	addr := l.Addr().String()
	l.Close()
	cfg := config.Default()
	cfg.DataDir = dir
	cfg.HTTP.Addr = addr
	cfg.Log.Level = "error"
	if err := cfg.Resolve(); err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	cfg.Dev.RPCAddr = ""
	cfg.Dev.Persist = persistChain
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	d, err := startDev(ctx, cfg, log)
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	chainAt := "in memory"
	if persistChain {
		chainAt = "on disk (" + cfg.Dev.ChainDir + ")"
	}
	fmt.Fprintf(w, "server     embedded `coffer dev` in this process: API %s, SQLite %s (%s, %s), local keys, dev chain %s, log level error\n",
		cfg.HTTP.PublicURL, cfg.Store.DSN, benchFS(dir), benchCreateCost(dir), chainAt)
	return d, func() { d.Close(); os.RemoveAll(dir) }, nil
}

// benchCreateCost says what creating a small file costs under dir: every
// mint stores its metadata as one, and on an ext4 without a journal it is
// up to 50× dearer for minutes after many files were deleted nearby (the
// allocator skips recently freed inodes one by one), as benchmarks and tests
// do when they remove their temp directories.
func benchCreateCost(dir string) string {
	const n = 50
	probe := filepath.Join(dir, "create-probe")
	if err := os.Mkdir(probe, 0o700); err != nil {
		return "file creation not measured"
	}
	defer os.RemoveAll(probe)
	var spent time.Duration
	for i := range n {
		t := time.Now()
		f, err := os.OpenFile(filepath.Join(probe, strconv.Itoa(i)), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		spent += time.Since(t)
		if err != nil {
			return "file creation not measured"
		}
		f.Close()
	}
	return fmt.Sprintf("creating a file takes %s", (spent / n).Round(time.Microsecond))
}

// benchFS names the file system under dir (tmpfs makes SQLite look faster).
func benchFS(dir string) string {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return "fs unknown"
	}
	switch st.Type {
	case 0x01021994:
		return "tmpfs"
	case 0xEF53:
		return "ext4"
	case 0x794c7630:
		return "overlayfs"
	case 0x58465342:
		return "xfs"
	case 0x9123683E:
		return "btrfs"
	}
	return fmt.Sprintf("fs type %#x", st.Type)
}

// benchTransport is one keep-alive connection pool shared by all workers.
func benchTransport(conc int) *http.Transport {
	return &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conc * 2,
		MaxIdleConnsPerHost: conc,
		MaxConnsPerHost:     0,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
}

// latencies summarises durations.
type latencies []time.Duration

func (l latencies) pct(q float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	i := int(q*float64(len(l))+0.999999) - 1
	return l[max(0, min(i, len(l)-1))]
}

func (l latencies) String() string {
	if len(l) == 0 {
		return "n/a"
	}
	return fmt.Sprintf("p50 %s  p90 %s  p99 %s  max %s", ms(l.pct(.50)), ms(l.pct(.90)), ms(l.pct(.99)), ms(l[len(l)-1]))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/1e6) }

// statusCounts counts failed requests by HTTP status ("transport" when none).
type statusCounts map[string]int

func (s statusCounts) total() int {
	n := 0
	for _, v := range s {
		n += v
	}
	return n
}

func (s statusCounts) String() string {
	if len(s) == 0 {
		return "0"
	}
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range s {
			if !yield(k) {
				return
			}
		}
	})
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s×%d", k, s[k]))
	}
	return fmt.Sprintf("%d (%s)", s.total(), strings.Join(parts, ", "))
}

// ---- coffer bench sign ----

// SignReport is what `coffer bench sign` measured.
type SignReport struct {
	Requests   int           // answered 200 with a signature
	Errors     statusCounts  // everything else, by status
	Elapsed    time.Duration // of the measured phase
	Latency    latencies     // of successful requests, sorted
	CPU        time.Duration // process CPU time during the measured phase
	Verified   int           // signatures checked by recovery
	RawOne     float64       // crypto.Sign/s on one goroutine
	RawAll     float64       // crypto.Sign/s on GOMAXPROCS goroutines
	RatePerSec float64
	// The machine's floor (--floor): the same clients against a handler
	// that only answers, and libsecp256k1's sign plus the local backend's
	// self-check on one core.
	FloorRate float64       // requests/s
	FloorCPU  time.Duration // process CPU per request (clients, server, kernel)
	SignCheck time.Duration // one sign and the local backend's self-check, one core
	Ceiling   float64       // cores / (FloorCPU + SignCheck)
}

type signOpts struct {
	api, key, wallet string
	embedded         bool
	concurrency      int
	duration, warmup time.Duration
	requests         int
	baseline         time.Duration
	floor            time.Duration
	cpuprofile       string
	trace            string
	memprofile       string
	verifyEvery      int
	persistChain     bool
	dir              string
	timeout          time.Duration
}

func runBenchSign(ctx context.Context, args []string, w io.Writer) (*SignReport, error) {
	var o signOpts
	_, err := simpleFlags("bench sign", `Drives POST /v1/wallets/{address}/sign-hash with many concurrent keep-alive clients
(auth and audit on) and reports throughput, latency percentiles and errors by status,
beside the raw crypto.Sign rate on one core and on all cores measured in the same run.
Either --embedded, or --api and an admin --key (sign-hash is admin-only by default);
without --wallet it signs in a throwaway SIWE user and creates a wallet for it.`, args, func(fs *flag.FlagSet) {
		fs.StringVar(&o.api, "api", "", "base URL of a running coffer (instead of --embedded)")
		fs.StringVar(&o.key, "key", "", "admin API key (ck_…) for --api")
		fs.StringVar(&o.wallet, "wallet", "", "wallet address to sign with (default: create one)")
		fs.BoolVar(&o.embedded, "embedded", false, "start the dev stack in-process in a temp dir and drive it over loopback HTTP")
		fs.IntVar(&o.concurrency, "concurrency", 64, "concurrent clients (keep-alive connections)")
		fs.DurationVar(&o.duration, "duration", 10*time.Second, "how long to send (ignored with --requests)")
		fs.IntVar(&o.requests, "requests", 0, "send exactly this many requests instead of for --duration")
		fs.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured load before the measured phase")
		fs.DurationVar(&o.baseline, "baseline", 0, "duration of each raw crypto.Sign run (default: --duration, or 2s with --requests; negative: skip)")
		fs.DurationVar(&o.floor, "floor", 2*time.Second, "embedded: duration of the machine's floor, the same clients against a handler that only answers, and sign + self-check on one core (0: skip)")
		fs.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of the measured phase (embedded: server and clients) to this file")
		fs.StringVar(&o.trace, "trace", "", "write a runtime execution trace of the measured phase to this file (go tool trace)")
		fs.StringVar(&o.memprofile, "memprofile", "", "write an allocation profile to this file after the measured phase (counts from the process start: setup and warm-up included)")
		fs.IntVar(&o.verifyEvery, "verify-every", 100, "check every n-th signature by recovery (0: never)")
		fs.BoolVar(&o.persistChain, "persist-chain", false, "embedded: keep the dev chain on disk as `coffer dev` does by default")
		fs.StringVar(&o.dir, "dir", "", "embedded: make the throwaway data directory under this one (default $TMPDIR; `coffer dev` uses ./.coffer)")
		fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "per-request timeout")
	})
	if err != nil {
		return nil, err
	}
	if o.embedded == (o.api != "") {
		return nil, errors.New("bench sign: use either --embedded or --api URL (with --key)")
	}
	if o.concurrency < 1 {
		return nil, errors.New("bench sign: --concurrency must be at least 1")
	}
	benchHeader(w, "sign", args)
	var groups func() custody.AuditGroupStats // embedded: the audit group commit's batches
	if o.embedded {
		d, stop, err := benchEmbedded(ctx, w, o.dir, o.persistChain)
		if err != nil {
			return nil, err
		}
		defer stop()
		o.api, o.key = "http://"+d.Addr, d.AdminKey
		if d.custody != nil {
			groups = d.custody.AuditGroups
		}
	} else {
		if o.key == "" {
			return nil, errors.New("bench sign: --api needs an admin --key (ck_…)")
		}
		fmt.Fprintf(w, "server     %s (a running coffer; its machine may differ from this one)\n", o.api)
	}
	o.api = strings.TrimRight(o.api, "/")

	tr := benchTransport(o.concurrency)
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: o.timeout}
	tgt, err := newBenchTarget(o.api, o.timeout)
	if err != nil {
		return nil, err
	}
	wallet, err := benchSignWallet(ctx, hc, o)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "wallet     %s (local backend unless --wallet says otherwise)\n", wallet.Hex())
	fmt.Fprintf(w, "load       %d concurrent clients, each one keep-alive connection with one request in flight (a minimal HTTP/1.1 client like wrk's, not net/http: prebuilt request, one write, no per-request allocation), random 32-byte digests, admin API key\n",
		o.concurrency)

	rep := &SignReport{}
	baseline := o.baseline
	if baseline == 0 {
		baseline = o.duration
		if o.requests > 0 {
			baseline = 2 * time.Second
		}
	}
	if baseline > 0 {
		rep.RawOne = benchRawSign(ctx, 1, baseline)
		rep.RawAll = benchRawSign(ctx, cores, baseline)
		fmt.Fprintf(w, "raw        crypto.Sign (libsecp256k1): %.0f sig/s on 1 core, %.0f sig/s on %d cores (%s each)\n",
			rep.RawOne, rep.RawAll, cores, baseline)
	}

	if o.floor > 0 && o.embedded { // against --api, the server's machine is another matter
		if err := benchFloor(ctx, o, rep); err != nil {
			return nil, err
		}
		fmt.Fprintf(w, "floor      nothing of coffer: the same clients against a net/http handler that only answers (loopback, keep-alive): %.0f req/s, %s CPU per request (clients, server and kernel); libsecp256k1 sign + the local backend's self-check: %s on one core; so at most ≈ %.0f sig/s on %d cores before any of coffer's own work\n",
			rep.FloorRate, rep.FloorCPU.Round(time.Microsecond), rep.SignCheck.Round(time.Microsecond), rep.Ceiling, cores)
	}

	if o.warmup > 0 {
		// Labelled too, like the measured phase.
		pprof.Do(ctx, pprof.Labels("bench", "client"), func(ctx context.Context) {
			benchSignLoad(ctx, tgt, o, wallet, o.warmup, 0, nil)
		})
	}
	stopProfile, err := benchProfiles(o.cpuprofile, o.trace)
	if err != nil {
		return nil, err
	}
	var g0 custody.AuditGroupStats
	if groups != nil {
		g0 = groups()
	}
	cpu0, idle0 := benchCPU(), benchIdle()
	// Client goroutines carry a profile label: in embedded mode,
	// pprof -tagignore=bench=client shows the server alone.
	pprof.Do(ctx, pprof.Labels("bench", "client"), func(ctx context.Context) {
		benchSignLoad(ctx, tgt, o, wallet, o.duration, o.requests, rep)
	})
	rep.CPU = benchCPU() - cpu0
	idle := benchIdle() - idle0
	stopProfile()
	if err := benchAllocProfile(o.memprofile); err != nil {
		return nil, err
	}
	rep.RatePerSec = float64(rep.Requests) / rep.Elapsed.Seconds()

	fmt.Fprintf(w, "\nsign-hash over HTTP\n")
	fmt.Fprintf(w, "  requests   %d ok in %s\n", rep.Requests, rep.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(w, "  throughput %.0f sig/s\n", rep.RatePerSec)
	fmt.Fprintf(w, "  latency    %s\n", rep.Latency)
	fmt.Fprintf(w, "  errors     %s\n", rep.Errors)
	fmt.Fprintf(w, "  verified   %d signatures by recovery\n", rep.Verified)
	if groups != nil {
		fmt.Fprintf(w, "  audit      %s\n", benchGroups(g0, groups()))
	}
	fmt.Fprintf(w, "  cpu        %.2f cores busy in this process (%s CPU over %s%s); Go scheduler idle %.2f of %d Ps (nothing to run)\n", rep.CPU.Seconds()/rep.Elapsed.Seconds(),
		rep.CPU.Round(time.Millisecond), rep.Elapsed.Round(time.Millisecond), map[bool]string{true: "; server and clients share them", false: "; clients only"}[o.embedded],
		idle.Seconds()/rep.Elapsed.Seconds(), runtime.GOMAXPROCS(0))
	if rep.Requests > 0 {
		per := rep.CPU / time.Duration(rep.Requests)
		fmt.Fprintf(w, "  cpu/sig    %s per signed request%s; with all %d cores to itself this process would top out near %.0f sig/s\n",
			per.Round(time.Microsecond), map[bool]string{true: " (server and clients)", false: " (clients)"}[o.embedded], cores,
			float64(cores)/per.Seconds())
	}
	if rep.RawAll > 0 {
		fmt.Fprintf(w, "  vs raw     %.1f%% of crypto.Sign on all cores, %.1f%% of one core\n", 100*rep.RatePerSec/rep.RawAll, 100*rep.RatePerSec/rep.RawOne)
	}
	if rep.Ceiling > 0 {
		fmt.Fprintf(w, "  vs floor   %.1f%% of the ≈ %.0f sig/s this machine allows (floor above)\n", 100*rep.RatePerSec/rep.Ceiling, rep.Ceiling)
	}
	fmt.Fprintf(w, "  load avg   %s (at end); pressure %s\n", benchLoadAvg(), benchPressure())
	if o.cpuprofile != "" {
		fmt.Fprintf(w, "  profile    %s (go tool pprof -top %s; clients are labelled bench=client: -tagignore bench=client shows the server alone)\n", o.cpuprofile, o.cpuprofile)
	}
	fmt.Fprintf(w, "  goal       ≥ 15000 sig/s with p99 ≤ 10ms (issue 3): %s\n", benchMet(rep.RatePerSec >= 15000 && rep.Latency.pct(.99) <= 10*time.Millisecond && rep.Errors.total() == 0))
	return rep, nil
}

// benchGroups describes the audit batches written between a and b.
func benchGroups(a, b custody.AuditGroupStats) string {
	n, r := b.Batches-a.Batches, b.Records-a.Records
	if n == 0 {
		return "no group-committed batches"
	}
	var sizes []string
	for i := range b.BySize {
		if c := b.BySize[i] - a.BySize[i]; c > 0 {
			lo, hi := 1<<i, 1<<(i+1)-1
			label := fmt.Sprint(lo)
			if hi > lo {
				label += fmt.Sprintf("–%d", hi)
			}
			sizes = append(sizes, fmt.Sprintf("%s: %.0f%%", label, 100*float64(c)/float64(n)))
		}
	}
	return fmt.Sprintf("%d records in %d group commits, %.1f per group (groups by size %s)", r, n, float64(r)/float64(n), strings.Join(sizes, ", "))
}

func benchMet(ok bool) string {
	if ok {
		return "met"
	}
	return "not met"
}

// benchSignWallet returns --wallet, or creates a wallet owned by a throwaway
// SIWE user with the admin key.
func benchSignWallet(ctx context.Context, hc *http.Client, o signOpts) (common.Address, error) {
	if o.wallet != "" {
		if !common.IsHexAddress(o.wallet) {
			return common.Address{}, fmt.Errorf("bench sign: --wallet %q is not an address", o.wallet)
		}
		return common.HexToAddress(o.wallet), nil
	}
	user := &client{base: o.api, http: hc}
	key, err := crypto.GenerateKey()
	if err != nil {
		return common.Address{}, err
	}
	uid, err := user.signIn(ctx, key)
	if err != nil {
		return common.Address{}, err
	}
	admin := &client{base: o.api, http: hc, token: o.key}
	var wal struct{ Address common.Address }
	if err := admin.do(ctx, "POST", "/v1/wallets", map[string]string{"owner": uid, "label": "bench"}, &wal); err != nil {
		return common.Address{}, err
	}
	return wal.Address, nil
}

// benchRawSign is crypto.Sign's rate on n goroutines for d.
func benchRawSign(ctx context.Context, n int, d time.Duration) float64 {
	key, _ := crypto.GenerateKey()
	var total atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for range n {
		wg.Go(func() {
			var dg [32]byte
			r := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
			c := 0
			for ctx.Err() == nil {
				for i := range 4 {
					binaryPut(dg[i*8:], r.Uint64())
				}
				if _, err := crypto.Sign(dg[:], key); err != nil {
					panic(err)
				}
				c++
				if c%64 == 0 && time.Now().After(deadline) {
					break
				}
			}
			total.Add(int64(c))
		})
	}
	wg.Wait()
	return float64(total.Load()) / time.Since(start).Seconds()
}

// benchFloor measures what this machine allows sign-hash at best, with
// nothing of coffer in the way: o's clients against a plain net/http server
// whose handler reads the request and answers a body of sign-hash's size,
// and one libsecp256k1 signature plus the check the local backend makes of
// it, on one core. Their CPU per request together bounds the rate before JSON, auth,
// policy and audit.
func benchFloor(ctx context.Context, o signOpts, rep *SignReport) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	body := []byte(`{"signature":"0x` + strings.Repeat("ab", 65) + `","r":"0x` + strings.Repeat("cd", 32) + `","s":"0x` + strings.Repeat("ef", 32) + `","v":27}` + "\n")
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	fo := o
	fo.api, fo.verifyEvery = "http://"+ln.Addr().String(), 0
	tgt, err := newBenchTarget(fo.api, fo.timeout)
	if err != nil {
		return err
	}
	var fr SignReport
	cpu0 := benchCPU()
	pprof.Do(ctx, pprof.Labels("bench", "floor"), func(ctx context.Context) {
		benchSignLoad(ctx, tgt, fo, common.Address{}, o.floor, 0, &fr)
	})
	cpu := benchCPU() - cpu0
	if fr.Requests == 0 {
		return fmt.Errorf("bench sign: the floor server answered nothing (%s)", fr.Errors)
	}
	rep.FloorRate = float64(fr.Requests) / fr.Elapsed.Seconds()
	rep.FloorCPU = cpu / time.Duration(fr.Requests)
	rep.SignCheck = benchSignCheck(ctx, o.floor/2)
	rep.Ceiling = float64(cores) / (rep.FloorCPU + rep.SignCheck).Seconds()
	return nil
}

// benchSignCheck is the time of one signature as the local backend makes
// it, libsecp256k1's and the proof that it recovers to the key (keys.SignOwn),
// on one goroutine, averaged over d.
func benchSignCheck(ctx context.Context, d time.Duration) time.Duration {
	key, _ := crypto.GenerateKey()
	seckey := [32]byte(crypto.FromECDSA(key))
	pub := crypto.FromECDSAPub(&key.PublicKey)
	var dg [32]byte
	r := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	start := time.Now()
	n := 0
	for ctx.Err() == nil && (n%64 != 0 || time.Since(start) < d) {
		for i := range 4 {
			binaryPut(dg[i*8:], r.Uint64())
		}
		if _, err := keys.SignOwn(dg, &seckey, pub); err != nil {
			panic(err)
		}
		n++
	}
	return time.Since(start) / time.Duration(max(n, 1))
}

func binaryPut(b []byte, v uint64) {
	for i := range 8 {
		b[i] = byte(v >> (8 * i))
	}
}

// benchSignLoad runs the workers for d (or until requests are sent) and,
// when rep is not nil, records what they saw. Each worker owns one
// keep-alive connection of the lean client (benchhttp.go) with one request in
// flight; a transport error or a response that closes the connection makes
// it dial again (the error counts as "transport").
func benchSignLoad(ctx context.Context, tgt *benchTarget, o signOpts, wallet common.Address, d time.Duration, requests int, rep *SignReport) {
	u, _ := url.Parse(o.api) // checked by newBenchTarget
	path := u.EscapedPath() + "/v1/wallets/" + wallet.Hex() + "/sign-hash"
	auth := "Bearer " + o.key
	var sent atomic.Int64
	type result struct {
		lat      []time.Duration
		errs     statusCounts
		verified int
	}
	results := make([]result, o.concurrency)
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for wi := range o.concurrency {
		wg.Go(func() {
			res := result{errs: statusCounts{}}
			r := rand.New(rand.NewPCG(rand.Uint64(), uint64(wi)))
			req, off := benchRequest(tgt.host, path, auth, "application/json", []byte(`{"hash":"0x`+strings.Repeat("0", 64)+`"}`))
			hexAt := req[off+len(`{"hash":"0x`):]
			var digest [32]byte
			var conn net.Conn
			var br *bufio.Reader
			var stop func() bool // closes conn when ctx ends
			hangUp := func() {
				if conn != nil {
					stop()
					conn.Close()
					conn = nil
				}
			}
			defer hangUp()
			var buf []byte
			for n := 0; ctx.Err() == nil; n++ {
				if requests > 0 {
					if sent.Add(1) > int64(requests) {
						break
					}
				} else if time.Now().After(deadline) {
					break
				}
				if conn == nil {
					c, err := tgt.dial(ctx)
					if err != nil {
						if ctx.Err() == nil {
							res.errs["transport"]++
							time.Sleep(10 * time.Millisecond) // the server may be restarting
						}
						continue
					}
					conn, stop = c, context.AfterFunc(ctx, func() { c.Close() })
					if br == nil {
						br = bufio.NewReaderSize(c, 4096)
					} else {
						br.Reset(c)
					}
				}
				for i := range 4 {
					binaryPut(digest[i*8:], r.Uint64())
				}
				hex.Encode(hexAt[:64], digest[:])
				t0 := time.Now()
				err := conn.SetDeadline(t0.Add(o.timeout))
				if err == nil {
					_, err = conn.Write(req)
				}
				var resp benchResponse
				if err == nil {
					resp, buf, err = readBenchResponse(br, buf)
				}
				lat := time.Since(t0)
				if err != nil || resp.close {
					hangUp()
				}
				switch {
				case err != nil:
					if ctx.Err() == nil {
						res.errs["transport"]++
					}
				case resp.status != http.StatusOK:
					res.errs[fmt.Sprint(resp.status)]++
				default:
					res.lat = append(res.lat, lat)
					if o.verifyEvery > 0 && n%o.verifyEvery == 0 {
						var out struct{ Signature hexutil.Bytes }
						if json.Unmarshal(resp.body, &out) != nil || !custody.VerifyRecovers(digest[:], out.Signature, wallet) {
							res.errs["bad-signature"]++
						} else {
							res.verified++
						}
					}
				}
			}
			results[wi] = res
		})
	}
	wg.Wait()
	if rep == nil {
		return
	}
	rep.Elapsed = time.Since(start)
	rep.Errors = statusCounts{}
	for _, res := range results {
		rep.Latency = append(rep.Latency, res.lat...)
		rep.Verified += res.verified
		for k, v := range res.errs {
			rep.Errors[k] += v
		}
	}
	slices.Sort(rep.Latency)
	rep.Requests = len(rep.Latency) - rep.Errors["bad-signature"]
}

// ---- coffer bench mint ----

// MintReport is what `coffer bench mint` measured.
type MintReport struct {
	Mints     int // confirmed
	Failed    int // mints that ended failed
	Errors    statusCounts
	Accept    latencies // POST …/mint until its 202, sorted
	Confirm   latencies // 202 until seen confirmed, sorted
	Wall      time.Duration
	Rate      float64 // confirmed mints/s over Wall
	AcceptEnd time.Duration
	Raw       float64 // raw chain mints/s
	RawWall   time.Duration
	RawCPU    time.Duration // process CPU time during the raw run
	CPU       time.Duration // process CPU time during the coffer phase
	Spawned   uint64        // goroutines created during the coffer phase (embedded: server, chain, clients)
	Writes    int64         // embedded: the store's write transactions during the coffer phase
	Queued    latencies     // server: accepted until signed and stored (first attempt)
	OnChain   latencies     // server: first attempt until confirmed
	Blocks    int           // blocks the mints landed in
	txIDs     map[string]bool
}

type mintOpts struct {
	api, key, collection string
	embedded             bool
	mints, concurrency   int
	users                int
	poll, timeout        time.Duration
	cpuprofile           string
	trace                string
	memprofile           string
	persistChain, noRaw  bool
	dir                  string
	rate                 float64
}

func runBenchMint(ctx context.Context, args []string, w io.Writer) (*MintReport, error) {
	var o mintOpts
	_, err := simpleFlags("bench mint", `Sends --mints mints through POST /v1/collections/{id}/mint from --concurrency clients
(SIWE users) and follows them to confirmed; reports accept latency (HTTP 202), time from
accept to confirmed, wall time and mints/s. In the same run it measures the dev chain's raw
rate without coffer: CofferNFT deployed with the abigen bindings on a fresh in-process
chain and the same number of mints sent from one key with pre-assigned nonces.`, args, func(fs *flag.FlagSet) {
		fs.StringVar(&o.api, "api", "", "base URL of a running coffer (instead of --embedded)")
		fs.StringVar(&o.key, "key", "", "admin API key (ck_…) to read the mints with (default: each mint's own user)")
		fs.StringVar(&o.collection, "collection", "", "collection id (default: the embedded demo collection, else the first deployed)")
		fs.BoolVar(&o.embedded, "embedded", false, "start the dev stack in-process in a temp dir and drive it over loopback HTTP")
		fs.IntVar(&o.mints, "mints", 1000, "how many mints")
		fs.IntVar(&o.concurrency, "concurrency", 16, "concurrent clients (with --rate: the most mints in flight)")
		fs.Float64Var(&o.rate, "rate", 0, "open loop: start a mint every 1/rate s whatever the answers so far, and time each accept from when it was due (0: closed loop, each client sends its next mint when the last is answered)")
		fs.IntVar(&o.users, "users", 0, "SIWE users the clients share (default: one per client)")
		fs.DurationVar(&o.poll, "poll", 50*time.Millisecond, "how often the follower reads the oldest unfinished mints (resolution of time to confirm)")
		fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "give up after this long")
		fs.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of the coffer phase (embedded: server and clients) to this file")
		fs.StringVar(&o.trace, "trace", "", "write a runtime execution trace of the coffer phase to this file (go tool trace)")
		fs.StringVar(&o.memprofile, "memprofile", "", "write an allocation profile to this file after the coffer phase (counts from the process start: the raw run and setup included)")
		fs.BoolVar(&o.persistChain, "persist-chain", false, "embedded: keep the dev chain on disk as `coffer dev` does by default (the raw run stays in memory)")
		fs.StringVar(&o.dir, "dir", "", "embedded: make the throwaway data directory under this one (default $TMPDIR; `coffer dev` uses ./.coffer)")
		fs.BoolVar(&o.noRaw, "no-raw", false, "skip the raw chain run")
	})
	if err != nil {
		return nil, err
	}
	if o.embedded == (o.api != "") {
		return nil, errors.New("bench mint: use either --embedded or --api URL")
	}
	if o.mints < 1 || o.concurrency < 1 {
		return nil, errors.New("bench mint: --mints and --concurrency must be at least 1")
	}
	if o.rate < 0 {
		return nil, errors.New("bench mint: --rate must not be negative")
	}
	if o.users <= 0 || o.users > o.concurrency {
		o.users = o.concurrency
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	benchHeader(w, "mint", args)
	rep := &MintReport{}

	if !o.noRaw {
		raw, err := benchRawMints(ctx, o.mints, o.users)
		if err != nil {
			return nil, fmt.Errorf("raw chain run: %w", err)
		}
		rep.Raw, rep.RawWall, rep.RawCPU = raw.rate, raw.wall, raw.cpu
		fmt.Fprintf(w, "raw        %d CofferNFT mints sent from one key with pre-assigned nonces (abigen bind.Transact; gas limit %d = estimate × 1.2, %d used; fees preset)\n", o.mints, raw.gasLimit, raw.used)
		fmt.Fprintf(w, "           to a fresh in-memory dev chain mining on arrival, no coffer: %s to the last receipt, %d blocks, %.0f mints/s\n",
			raw.wall.Round(time.Millisecond), raw.blocks, raw.rate)
		fmt.Fprintf(w, "           cpu %s over %s (%.2f cores), %s per mint (chain and sender)\n", raw.cpu.Round(time.Millisecond),
			raw.wall.Round(time.Millisecond), raw.cpu.Seconds()/raw.wall.Seconds(), (raw.cpu / time.Duration(o.mints)).Round(time.Microsecond))
	}

	writes := func() int64 { return 0 } // the store's write transactions so far (embedded)
	if o.embedded {
		d, stop, err := benchEmbedded(ctx, w, o.dir, o.persistChain)
		if err != nil {
			return nil, err
		}
		defer stop()
		o.api, o.key = "http://"+d.Addr, d.AdminKey
		if o.collection == "" {
			o.collection = d.Demo.ID
		}
		if st, ok := d.store.(interface{ WriteTransactions() int64 }); ok {
			writes = st.WriteTransactions
		}
	} else {
		fmt.Fprintf(w, "server     %s (a running coffer; its machine may differ from this one)\n", o.api)
	}
	o.api = strings.TrimRight(o.api, "/")
	tr := benchTransport(o.concurrency + 8)
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: time.Minute}
	var admin *client
	if o.key != "" {
		admin = &client{base: o.api, http: hc, token: o.key}
	}
	if o.collection == "" {
		var cols struct{ Items []struct{ ID, Status string } }
		if err := (&client{base: o.api, http: hc}).do(ctx, "GET", "/v1/collections?limit=500", nil, &cols); err != nil {
			return nil, err
		}
		for _, c := range cols.Items {
			if c.Status == "deployed" {
				o.collection = c.ID
				break
			}
		}
		if o.collection == "" {
			return nil, errors.New("bench mint: no deployed collection; pass --collection")
		}
	}
	users := make([]*client, o.users)
	for i := range users {
		key, err := crypto.GenerateKey()
		if err != nil {
			return nil, err
		}
		users[i] = &client{base: o.api, http: hc}
		if _, err := users[i].signIn(ctx, key); err != nil {
			return nil, err
		}
	}
	pace := fmt.Sprintf("by %d concurrent clients", o.concurrency)
	if o.rate > 0 {
		pace = fmt.Sprintf("offered at %.0f/s (open loop, at most %d in flight; accept latency from when each was due)", o.rate, o.concurrency)
	}
	fmt.Fprintf(w, "load       %d mints into collection %s %s as %d SIWE users; minted by the platform wallet; followed with GET /v1/mints/{id}, oldest unfinished first, every %s\n",
		o.mints, o.collection, pace, o.users, o.poll)

	stopProfile, err := benchProfiles(o.cpuprofile, o.trace)
	if err != nil {
		return nil, err
	}
	cpu0, spawned0, writes0 := benchCPU(), benchSpawned(), writes()
	var lerr error
	pprof.Do(ctx, pprof.Labels("bench", "client"), func(ctx context.Context) {
		lerr = benchMintLoad(ctx, hc, admin, users, o, rep)
	})
	rep.CPU, rep.Spawned, rep.Writes = benchCPU()-cpu0, benchSpawned()-spawned0, writes()-writes0
	stopProfile()
	if lerr != nil {
		return nil, lerr
	}
	if err := benchAllocProfile(o.memprofile); err != nil {
		return nil, err
	}

	fmt.Fprintf(w, "\nmints through the API\n")
	fmt.Fprintf(w, "  confirmed  %d of %d in %s (all accepted after %s)\n", rep.Mints, o.mints, rep.Wall.Round(time.Millisecond), rep.AcceptEnd.Round(time.Millisecond))
	fmt.Fprintf(w, "  throughput %.0f mints/s accepted → confirmed\n", rep.Rate)
	fmt.Fprintf(w, "  accept     %s\n", rep.Accept)
	fmt.Fprintf(w, "  confirm    %s (from the 202; resolution %s)\n", rep.Confirm, o.poll)
	fmt.Fprintf(w, "  failed     %d\n", rep.Failed)
	listers := users
	if admin != nil {
		listers = []*client{admin}
	}
	if q, oc, blocks, gas, err := benchMintStages(ctx, listers, rep.txIDs); err != nil {
		fmt.Fprintf(w, "  stages     could not read the transactions back: %v\n", err)
	} else if len(q) > 0 {
		rep.Queued, rep.OnChain, rep.Blocks = q, oc, blocks
		fmt.Fprintf(w, "  queued     %s (server clock: accepted → signed and stored)\n", q)
		fmt.Fprintf(w, "  on chain   %s (server clock: signed → confirmed)\n", oc)
		fmt.Fprintf(w, "  blocks     %d, %.1f mints per block, gas limit %d per mint\n", blocks, float64(len(q))/float64(max(1, blocks)), gas)
	}
	if rep.Mints > 0 {
		fmt.Fprintf(w, "  cpu        %s over %s (%.2f cores), %s per mint%s\n", rep.CPU.Round(time.Millisecond), rep.Wall.Round(time.Millisecond),
			rep.CPU.Seconds()/rep.Wall.Seconds(), (rep.CPU / time.Duration(rep.Mints)).Round(time.Microsecond),
			map[bool]string{true: " (server, dev chain and clients)", false: " (clients)"}[o.embedded])
		fmt.Fprintf(w, "  goroutines %d started, %.1f per mint (each is scheduler work: a per-call goroutine shows here)\n",
			rep.Spawned, float64(rep.Spawned)/float64(rep.Mints))
		if rep.Writes > 0 {
			fmt.Fprintf(w, "  writes     %d write transactions, %.2f per mint (each commit writes its pages to the WAL)\n",
				rep.Writes, float64(rep.Writes)/float64(rep.Mints))
		}
	}
	fmt.Fprintf(w, "  errors     %s\n", rep.Errors)
	if rep.Raw > 0 {
		fmt.Fprintf(w, "  vs raw     %.1f%% of the raw chain rate (%.0f mints/s)\n", 100*rep.Rate/rep.Raw, rep.Raw)
	}
	fmt.Fprintf(w, "  load avg   %s (at end); pressure %s\n", benchLoadAvg(), benchPressure())
	if o.cpuprofile != "" {
		fmt.Fprintf(w, "  profile    %s (go tool pprof -top %s; clients are labelled bench=client: -tagignore bench=client shows the server alone)\n", o.cpuprofile, o.cpuprofile)
	}
	if rep.Raw > 0 {
		fmt.Fprintf(w, "  goal       ≥ half the raw chain rate with accept p99 ≤ 50ms (issue 4): %s\n",
			benchMet(rep.Rate >= rep.Raw/2 && rep.Accept.pct(.99) <= 50*time.Millisecond && rep.Failed == 0 && rep.Errors.total() == 0))
	}
	return rep, nil
}

type benchMint struct {
	id, tx   string
	by       *client // reads the mint: the admin key if given, else its owner
	accepted time.Time
	done     bool
}

// benchMintLoad sends the mints and follows them until each is confirmed or failed.
func benchMintLoad(ctx context.Context, hc *http.Client, admin *client, users []*client, o mintOpts, rep *MintReport) error {
	run := fmt.Sprintf("%x", rand.Uint64())
	path := "/v1/collections/" + url.PathEscape(o.collection) + "/mint"
	var (
		mu       sync.Mutex
		accepted []*benchMint
		errs     = statusCounts{}
		next     atomic.Int64
		wg       sync.WaitGroup
	)
	acceptLat := make([]latencies, o.concurrency)
	start := time.Now()
	for wi := range o.concurrency {
		u := users[wi%len(users)]
		wg.Go(func() {
			for ctx.Err() == nil {
				i := next.Add(1)
				if i > int64(o.mints) {
					return
				}
				// Open loop: mint i is due at (i-1)/rate whatever happened
				// before it, and its latency counts from then, so a slow
				// answer is not hidden by the sends it delayed.
				var due time.Time
				if o.rate > 0 {
					due = start.Add(time.Duration(float64(i-1) / o.rate * float64(time.Second)))
					if d := time.Until(due); d > 0 {
						select {
						case <-time.After(d):
						case <-ctx.Done():
							return
						}
					}
				}
				body := fmt.Sprintf(`{"metadata":{"name":"Bench #%d","description":"coffer bench mint","attributes":[{"trait_type":"run","value":"%s"}]}}`, i, run)
				req, _ := http.NewRequestWithContext(ctx, "POST", u.base+path, strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+u.token)
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Idempotency-Key", fmt.Sprintf("bench-%s-%d", run, i))
				t0 := time.Now()
				if o.rate > 0 {
					t0 = due
				}
				resp, err := hc.Do(req)
				if err != nil {
					mu.Lock()
					errs["transport"]++
					mu.Unlock()
					continue
				}
				data, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				now := time.Now()
				var m struct {
					ID            string `json:"id"`
					TransactionID string `json:"transaction_id"`
				}
				if err == nil && resp.StatusCode == http.StatusAccepted {
					err = json.Unmarshal(data, &m)
				}
				mu.Lock()
				switch {
				case err != nil:
					errs["transport"]++
				case resp.StatusCode != http.StatusAccepted:
					errs[fmt.Sprint(resp.StatusCode)]++
				case m.ID == "" || m.TransactionID == "":
					errs["no-mint-id"]++
				default:
					acceptLat[wi] = append(acceptLat[wi], now.Sub(t0))
					by := u
					if admin != nil {
						by = admin
					}
					accepted = append(accepted, &benchMint{id: m.ID, tx: m.TransactionID, by: by, accepted: now})
				}
				mu.Unlock()
			}
		})
	}
	sendersDone := make(chan struct{})
	var sendersEnd time.Duration // written before sendersDone closes
	go func() { wg.Wait(); sendersEnd = time.Since(start); close(sendersDone) }()

	// Follow, at a cost independent of the backlog: mints of one minter are
	// mined in nonce order, which is about the order they were accepted, so
	// each round reads the oldest unfinished mints (GET /v1/mints/{id}) a
	// window at a time and stops at the first window that is not all done;
	// the window (twice the clients, at least 32) absorbs the reordering of
	// concurrent accepts. A mint finishing out of that order is still seen,
	// at most when the ones before it finish.
	window := max(32, 2*o.concurrency)
	var (
		confirmLat latencies
		pending    []*benchMint // accepted, not finished, in accept order
		taken      int          // how many of accepted are in pending or done
		doneCount  int
		failed     int
		last       time.Time
	)
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("bench mint: %w with %d of %d mints finished", ctx.Err(), doneCount+failed, taken)
		case <-time.After(o.poll):
		}
		sent := false
		select {
		case <-sendersDone:
			sent = true
		default:
		}
		mu.Lock()
		pending = append(pending, accepted[taken:]...)
		taken = len(accepted)
		mu.Unlock()
		if sent {
			rep.AcceptEnd = sendersEnd
		}
		for i := 0; i < len(pending); {
			chunk := pending[i:min(i+window, len(pending))]
			i += len(chunk)
			var cmu sync.Mutex
			var cwg sync.WaitGroup
			var ferr error
			open := false
			work := make(chan *benchMint)
			for range min(8, len(chunk)) {
				cwg.Go(func() {
					for m := range work {
						var got struct{ Status, Error string }
						err := m.by.do(ctx, "GET", "/v1/mints/"+m.id, nil, &got)
						seen := time.Now()
						cmu.Lock()
						switch {
						case err != nil:
							ferr = err
						case got.Status == "confirmed":
							m.done = true
							doneCount++
							confirmLat = append(confirmLat, seen.Sub(m.accepted))
							last = seen
						case got.Status == "failed":
							m.done = true
							failed++
							last = seen
						default:
							open = true
						}
						cmu.Unlock()
					}
				})
			}
			for _, m := range chunk {
				work <- m
			}
			close(work)
			cwg.Wait()
			if ferr != nil {
				return ferr
			}
			if open {
				break
			}
		}
		pending = slices.DeleteFunc(pending, func(m *benchMint) bool { return m.done })
		if sent && len(pending) == 0 {
			break
		}
	}
	rep.Wall = last.Sub(start)
	if last.IsZero() {
		rep.Wall = time.Since(start)
	}
	rep.Mints, rep.Failed, rep.Errors = doneCount, failed, errs
	for _, l := range acceptLat {
		rep.Accept = append(rep.Accept, l...)
	}
	slices.Sort(rep.Accept)
	slices.Sort(confirmLat)
	rep.Confirm = confirmLat
	rep.Rate = float64(doneCount) / rep.Wall.Seconds()
	rep.txIDs = make(map[string]bool, len(accepted))
	for _, m := range accepted {
		rep.txIDs[m.tx] = true
	}
	return nil
}

// benchMintStages reads the mints' transactions back (after the timed run)
// and splits the time to confirm by the server's own timestamps: queued until
// signed and stored (the first attempt), then until confirmed.
func benchMintStages(ctx context.Context, listers []*client, ids map[string]bool) (queued, onChain latencies, blocks int, gas uint64, err error) {
	seenBlock := map[uint64]bool{}
	seen := map[string]bool{}
	var gasSum, n uint64
	for _, c := range listers {
		cursor := ""
		for {
			var page struct {
				Items []struct {
					ID          string
					Status      string
					Gas         *string `json:"gas"`
					BlockNumber *uint64 `json:"block_number"`
					Attempts    []struct {
						CreatedAt time.Time `json:"created_at"`
					}
					CreatedAt time.Time `json:"created_at"`
					UpdatedAt time.Time `json:"updated_at"`
				}
				NextCursor string `json:"next_cursor"`
			}
			q := "/v1/transactions?kind=mint&limit=500"
			if cursor != "" {
				q += "&cursor=" + url.QueryEscape(cursor)
			}
			if err := c.do(ctx, "GET", q, nil, &page); err != nil {
				return nil, nil, 0, 0, err
			}
			for _, t := range page.Items {
				if !ids[t.ID] || seen[t.ID] || t.Status != "confirmed" || len(t.Attempts) == 0 {
					continue
				}
				seen[t.ID] = true
				queued = append(queued, t.Attempts[0].CreatedAt.Sub(t.CreatedAt))
				onChain = append(onChain, t.UpdatedAt.Sub(t.Attempts[0].CreatedAt))
				if t.BlockNumber != nil {
					seenBlock[*t.BlockNumber] = true
				}
				if t.Gas != nil {
					var g uint64
					if _, err := fmt.Sscan(*t.Gas, &g); err == nil {
						gasSum += g
						n++
					}
				}
			}
			if page.NextCursor == "" {
				break
			}
			cursor = page.NextCursor
		}
	}
	slices.Sort(queued)
	slices.Sort(onChain)
	if n > 0 {
		gas = gasSum / n
	}
	return queued, onChain, len(seenBlock), gas, nil
}

// benchRaw is the raw chain run's result.
type benchRaw struct {
	rate           float64
	wall           time.Duration
	cpu            time.Duration // the process's CPU from the first send to the last receipt
	gasLimit, used uint64        // per mint
	blocks         int
}

// benchRawMints deploys CofferNFT on a fresh in-memory dev chain and sends n
// mints from one key with pre-assigned nonces, round-robin to `to` holders,
// returning mints/s until the last receipt.
func benchRawMints(ctx context.Context, n, holders int) (raw benchRaw, err error) {
	key, err := crypto.GenerateKey()
	if err != nil {
		return raw, err
	}
	from := crypto.PubkeyToAddress(key.PublicKey)
	dc, err := devchain.Start(devchain.Config{ChainID: 1337, Addr: "", Alloc: map[common.Address]*big.Int{from: platformFunds},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return raw, err
	}
	defer dc.Close()
	ec := dc.Client()
	defer ec.Close()
	chainID := new(big.Int).SetUint64(dc.ChainID())
	c := bindings.NewCofferNFT()
	opts := bind.NewKeyedTransactor(key, chainID)
	opts.Context = ctx
	addr, tx, err := bind.DeployContract(opts, common.FromHex(bindings.CofferNFTMetaData.Bin), ec, c.PackConstructor("Bench", "BNCH", from, from))
	if err != nil {
		return raw, fmt.Errorf("deploy: %w", err)
	}
	if _, err := bind.WaitDeployed(ctx, ec, tx.Hash()); err != nil {
		return raw, fmt.Errorf("wait deployed: %w", err)
	}
	inst := c.Instance(ec, addr)
	to := make([]common.Address, max(1, holders))
	for i := range to {
		k, _ := crypto.GenerateKey()
		to[i] = crypto.PubkeyToAddress(k.PublicKey)
	}
	// The same token URI shape as coffer's: <public url>/metadata/<sha256>.json.
	uri := func(i int) string {
		h := crypto.Keccak256Hash([]byte(fmt.Sprint(i)))
		return "http://127.0.0.1:8080/metadata/" + hex.EncodeToString(h[:]) + ".json"
	}
	est, err := ec.EstimateGas(ctx, benchCallMsg(from, addr, c.PackMint(to[0], uri(0))))
	if err != nil {
		return raw, fmt.Errorf("estimate: %w", err)
	}
	gas := est * 6 / 5 // as the transaction manager: estimate × 1.2
	head, err := ec.HeaderByNumber(ctx, nil)
	if err != nil {
		return raw, err
	}
	nonce, err := ec.PendingNonceAt(ctx, from)
	if err != nil {
		return raw, err
	}
	opts.GasLimit = gas
	opts.GasTipCap = big.NewInt(1e9)
	opts.GasFeeCap = new(big.Int).Add(new(big.Int).Mul(head.BaseFee, big.NewInt(4)), opts.GasTipCap)
	datas := make([][]byte, n)
	for i := range datas {
		datas[i] = c.PackMint(to[i%len(to)], uri(i))
	}
	hashes := make([]common.Hash, n)
	start, cpu0 := time.Now(), benchCPU()
	for i := range n {
		opts.Nonce = new(big.Int).SetUint64(nonce + uint64(i))
		tx, err := bind.Transact(inst, opts, datas[i])
		if err != nil {
			return raw, fmt.Errorf("mint %d: %w", i, err)
		}
		hashes[i] = tx.Hash()
	}
	// One sender: the last nonce mined means all are.
	for {
		r, err := ec.TransactionReceipt(ctx, hashes[n-1])
		if err == nil && r != nil {
			break
		}
		if err := sleep(ctx, 2*time.Millisecond); err != nil {
			return raw, fmt.Errorf("waiting for receipts: %w", err)
		}
	}
	raw.wall, raw.cpu = time.Since(start), benchCPU()-cpu0
	raw.rate = float64(n) / raw.wall.Seconds()
	raw.gasLimit = gas
	raw.used, raw.blocks, err = benchCheckReceipts(ctx, ec, hashes)
	return raw, err
}

// benchCheckReceipts checks every raw mint succeeded and returns the mean
// gas used and the number of blocks they took.
func benchCheckReceipts(ctx context.Context, ec *ethclient.Client, hashes []common.Hash) (meanGas uint64, blocks int, err error) {
	var sum uint64
	seen := map[uint64]bool{}
	for i, h := range hashes {
		r, err := ec.TransactionReceipt(ctx, h)
		if err != nil {
			return 0, 0, fmt.Errorf("receipt of raw mint %d: %w", i, err)
		}
		if r.Status != types.ReceiptStatusSuccessful {
			return 0, 0, fmt.Errorf("raw mint %d reverted", i)
		}
		sum += r.GasUsed
		seen[r.BlockNumber.Uint64()] = true
	}
	return sum / uint64(len(hashes)), len(seen), nil
}

func benchCallMsg(from, to common.Address, data []byte) ethereum.CallMsg {
	return ethereum.CallMsg{From: from, To: &to, Data: data}
}
