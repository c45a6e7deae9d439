package faulttest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/auth"
	"github.com/cofferhq/coffer/internal/testenv"
	"github.com/cofferhq/coffer/keys/local"
	"github.com/cofferhq/coffer/store"
)

const chainID = 31337

// Anvil's dev account 0, prefunded on every anvil chain: the platform wallet.
var platform = common.HexToAddress(testenv.AnvilAddr0)

// The coffer binary, built once for the whole package on first use.
var (
	binDir   string
	binOnce  sync.Once
	binPath  string
	binError error
)

func TestMain(m *testing.M) {
	var err error
	if binDir, err = os.MkdirTemp("", "coffer-faulttest"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(binDir)
	os.Exit(code)
}

// cofferBinary builds ./cmd/coffer once (go build -o $TMP/coffer).
func cofferBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		binPath = filepath.Join(binDir, "coffer")
		cmd := exec.Command("go", "build", "-o", binPath, "github.com/cofferhq/coffer/cmd/coffer")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			binError = fmt.Errorf("go build ./cmd/coffer: %v\n%s", err, out.String())
		}
	})
	if binError != nil {
		t.Fatal(binError)
	}
	return binPath
}

// short: smaller loads and a 3 s outage for local iteration.
func short() bool { return testing.Short() || os.Getenv("COFFER_TEST_SHORT") != "" }

// ---- coffer serve as a child process ----

type serverConfig struct {
	DataDir       string
	Addr          string
	RPCURLs       []string
	StoreDriver   string // sqlite (default) or postgres
	StoreDSN      string
	MasterKeyFile string // shared by processes on one database
	AdminKey      string
	ResubmitAfter time.Duration
	PollInterval  time.Duration
}

// newServerConfig is `coffer serve` on a fresh data dir with SQLite, the
// anvil account 0 as platform key and a bootstrap admin key.
func newServerConfig(t *testing.T, rpcURLs ...string) serverConfig {
	t.Helper()
	dir := t.TempDir()
	admin, _ := auth.GenerateAPIKey()
	c := serverConfig{DataDir: dir, Addr: testenv.FreeAddr(t), RPCURLs: rpcURLs, StoreDriver: "sqlite",
		MasterKeyFile: filepath.Join(dir, "master.key"), AdminKey: admin, PollInterval: 100 * time.Millisecond}
	if _, _, err := local.LoadOrCreateMasterFile(c.MasterKeyFile); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c serverConfig) storeDSN() string {
	if c.StoreDriver == "postgres" {
		return c.StoreDSN
	}
	return filepath.Join(c.DataDir, "coffer.db")
}

func (c serverConfig) yaml() string {
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) } // JSON strings are YAML strings
	var urls []string
	for _, u := range c.RPCURLs {
		urls = append(urls, q(u))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "data_dir: %s\n", q(c.DataDir))
	fmt.Fprintf(&b, "log:\n  level: info\n")
	fmt.Fprintf(&b, "http:\n  addr: %s\n", q(c.Addr))
	fmt.Fprintf(&b, "store:\n  driver: %s\n  dsn: %s\n", q(c.StoreDriver), q(c.storeDSN()))
	fmt.Fprintf(&b, "keys:\n  master_key_file: %s\n", q(c.MasterKeyFile))
	fmt.Fprintf(&b, "platform:\n  private_key_file: %s\n", q(filepath.Join(c.DataDir, "platform.key")))
	fmt.Fprintf(&b, "auth:\n  bootstrap_admin_key: %s\n", q(c.AdminKey))
	fmt.Fprintf(&b, "chains:\n  - id: %d\n    name: anvil\n    rpc_urls: [%s]\n    confirmations: 1\n    poll_interval: %s\n",
		chainID, strings.Join(urls, ", "), c.PollInterval)
	if c.ResubmitAfter > 0 {
		fmt.Fprintf(&b, "    resubmit_after: %s\n", c.ResubmitAfter)
	}
	return b.String()
}

// server is one `coffer serve` process; start can be called again after
// kill or stop (same data dir, same address).
type server struct {
	t      *testing.T
	name   string
	cfg    serverConfig
	cfgDir string
	log    string
	api    *apiClient

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	starts int
}

func newServer(t *testing.T, name string, cfg serverConfig) *server {
	t.Helper()
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfg.DataDir, "platform.key"), []byte(testenv.AnvilKey0+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(cfg.DataDir, "coffer.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg.yaml()), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &server{t: t, name: name, cfg: cfg, cfgDir: cfgPath, log: filepath.Join(cfg.DataDir, "serve.log"),
		api: newAPIClient("http://"+cfg.Addr, cfg.AdminKey)}
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			testenv.LogTail(t, name, s.log, 60)
		}
	})
	return s
}

// cleanEnv is the test's environment without COFFER_* variables, so that
// the configuration file alone decides.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "COFFER_") {
			env = append(env, kv)
		}
	}
	return env
}

// start runs `coffer serve --config …` and waits until /healthz answers.
func (s *server) start() {
	s.t.Helper()
	logf, err := os.OpenFile(s.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		s.t.Fatal(err)
	}
	var w io.Writer = logf
	if os.Getenv("COFFER_TEST_LOG") != "" {
		w = io.MultiWriter(logf, prefixWriter{s.name})
	}
	fmt.Fprintf(logf, "==== start %d\n", s.starts+1)
	cmd := exec.Command(cofferBinary(s.t), "serve", "--config", s.cfgDir)
	cmd.Env = cleanEnv()
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start %s: %v", s.name, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); logf.Close(); close(exited) }()
	s.mu.Lock()
	s.cmd, s.exited = cmd, exited
	s.starts++
	s.mu.Unlock()
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-exited:
			testenv.LogTail(s.t, s.name, s.log, 40)
			s.t.Fatalf("%s exited during start-up: %v", s.name, cmd.ProcessState)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		code, _ := s.api.call(ctx, "GET", "/healthz", nil, "", nil)
		cancel()
		if code == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("%s did not become healthy at %s", s.name, s.cfg.Addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill sends SIGKILL: no shutdown of any kind.
func (s *server) kill() {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-exited
}

// stop asks for a clean shutdown (SIGTERM), killing after 20 s.
func (s *server) stop() {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
}

type prefixWriter struct{ name string }

func (p prefixWriter) Write(b []byte) (int, error) {
	for _, l := range strings.SplitAfter(string(b), "\n") {
		if l != "" {
			fmt.Fprintf(os.Stderr, "[%s] %s", p.name, l)
		}
	}
	return len(b), nil
}

// ---- the API ----

type apiClient struct {
	base, token string
	http        *http.Client
}

func newAPIClient(base, token string) *apiClient {
	tr := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: 30 * time.Second}
	return &apiClient{base: base, token: token, http: &http.Client{Transport: tr, Timeout: 60 * time.Second}}
}

// apiError is a non-2xx answer.
type apiError struct {
	Status int
	Body   string
}

func (e *apiError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.Status, e.Body) }

// call sends a JSON request; status 0 with an error means no answer.
func (c *apiClient) call(ctx context.Context, method, path string, in any, idem string, out any) (int, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return 0, err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if idem != "" {
		req.Header.Set("Idempotency-Key", idem)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err // the answer was cut off: as good as none
	}
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, &apiError{resp.StatusCode, strings.TrimSpace(string(data))}
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: decode %s: %w", method, path, data, err)
		}
	}
	return resp.StatusCode, nil
}

type collection struct {
	ID, Status, Address string
	TransactionID       string `json:"transaction_id"`
}

// deployCollection creates a collection through the API and waits for it.
func deployCollection(t *testing.T, ctx context.Context, c *apiClient) collection {
	t.Helper()
	var col collection
	if _, err := c.call(ctx, "POST", "/v1/collections", map[string]any{"chain_id": chainID, "name": "Fault", "symbol": "FLT"}, "", &col); err != nil {
		t.Fatal(err)
	}
	for col.Status != "deployed" {
		if col.Status == "failed" {
			t.Fatalf("collection failed to deploy: %+v", col)
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			t.Fatalf("collection still %s: %v", col.Status, err)
		}
		if _, err := c.call(ctx, "GET", "/v1/collections/"+col.ID, nil, "", &col); err != nil {
			t.Fatal(err)
		}
	}
	return col
}

func sleep(ctx context.Context, d time.Duration) error {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}

type mintView struct {
	ID            string  `json:"id"`
	Status        string  `json:"status"`
	TransactionID string  `json:"transaction_id"`
	TokenID       *string `json:"token_id"`
	Error         string  `json:"error"`
}

// mintLoad is n mints, each with its own Idempotency-Key, sent by workers
// concurrent clients to the servers in turn. A request that gets no answer
// (connection refused or cut, a 5xx) is sent again with the same key and
// body until it is answered; every answer is kept.
type mintLoad struct {
	t        *testing.T
	servers  []*apiClient
	col      string
	to       common.Address
	accepted atomic.Int64
	retries  atomic.Int64
	shift    int // mint i goes to servers[(i+shift)%len(servers)]

	mu      sync.Mutex
	answers map[string][]string // idempotency key → mint ids answered
	accept  []time.Duration     // accept latency of each request that was answered at once
}

func mintKey(i int) string { return fmt.Sprintf("fault-%04d", i) }

func mintBody(i int, to common.Address) map[string]any {
	return map[string]any{"to": to.Hex(), "metadata": map[string]any{"name": fmt.Sprintf("Fault #%d", i), "description": "fault test"}}
}

func newMintLoad(t *testing.T, col string, servers ...*apiClient) *mintLoad {
	key, _ := crypto.GenerateKey()
	return &mintLoad{t: t, servers: servers, col: col, to: crypto.PubkeyToAddress(key.PublicKey), answers: map[string][]string{}}
}

// run sends mints lo..hi-1 with workers clients; it returns when every one
// was answered with 202 (or fails the test on a 4xx).
func (l *mintLoad) run(ctx context.Context, lo, hi, workers int) {
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range jobs {
				l.one(ctx, i)
			}
		})
	}
	for i := lo; i < hi && ctx.Err() == nil; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
}

// runPaced is run with one mint started every interval.
func (l *mintLoad) runPaced(ctx context.Context, lo, hi, workers int, every time.Duration) {
	jobs := make(chan int, hi-lo)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range jobs {
				l.one(ctx, i)
			}
		})
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for i := lo; i < hi && ctx.Err() == nil; i++ {
		jobs <- i
		select {
		case <-tick.C:
		case <-ctx.Done():
		}
	}
	close(jobs)
	wg.Wait()
}

func (l *mintLoad) one(ctx context.Context, i int) {
	c := l.servers[(i+l.shift)%len(l.servers)]
	key := mintKey(i)
	for try := 0; ; try++ {
		var m mintView
		start := time.Now()
		code, err := c.call(ctx, "POST", "/v1/collections/"+l.col+"/mint", mintBody(i, l.to), key, &m)
		if err == nil {
			l.mu.Lock()
			l.answers[key] = append(l.answers[key], m.ID)
			if try == 0 {
				l.accept = append(l.accept, time.Since(start))
			}
			first := len(l.answers[key]) == 1
			l.mu.Unlock()
			if first {
				l.accepted.Add(1)
			}
			return
		}
		if code/100 == 4 {
			l.t.Errorf("mint %s answered %v", key, err)
			return
		}
		if ctx.Err() != nil {
			l.t.Errorf("mint %s never answered: %v", key, err)
			return
		}
		l.retries.Add(1)
		sleep(ctx, 100*time.Millisecond)
	}
}

// ids returns the one mint id of every key, failing if a key was answered
// with different mints.
func (l *mintLoad) ids() map[string]string {
	l.t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]string{}
	for key, ids := range l.answers {
		for _, id := range ids[1:] {
			if id != ids[0] {
				l.t.Errorf("Idempotency-Key %s answered with mints %s and %s", key, ids[0], id)
			}
		}
		out[key] = ids[0]
	}
	return out
}

// replayAll sends every key again and expects the same mint back.
func (l *mintLoad) replayAll(ctx context.Context, n, workers int) {
	l.run(ctx, 0, n, workers)
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := range n {
		if got := len(l.answers[mintKey(i)]); got < 2 {
			l.t.Errorf("key %s answered %d times after the replay", mintKey(i), got)
		}
	}
}

func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	for i := 1; i < len(s); i++ { // insertion sort is fine for ≤ a few thousand
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

// ---- the store and the chain: the invariants ----

func openStore(t *testing.T, cfg serverConfig) coffer.Store {
	t.Helper()
	st, err := store.Open(context.Background(), cfg.StoreDriver, cfg.storeDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// waitSettled waits until no transaction of the chain is queued, pending or
// mined (confirmations are 1, so mined becomes confirmed at once).
func waitSettled(t *testing.T, ctx context.Context, st coffer.Store) {
	t.Helper()
	for {
		open, err := st.TransactionsByStatus(ctx, chainID, []string{coffer.TxQueued, coffer.TxPending, coffer.TxMined}, 5)
		if err != nil {
			t.Fatal(err)
		}
		if len(open) == 0 {
			return
		}
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			var desc []string
			for _, tx := range open {
				desc = append(desc, fmt.Sprintf("%s %s nonce %v attempts %d", tx.ID, tx.Status, nonceStr(tx.Nonce), len(tx.Attempts)))
			}
			t.Fatalf("transactions still open: %s", strings.Join(desc, "; "))
		}
	}
}

func nonceStr(n *uint64) string {
	if n == nil {
		return "-"
	}
	return fmt.Sprint(*n)
}

// platformTxs lists every transaction of the platform wallet.
func platformTxs(t *testing.T, ctx context.Context, st coffer.Store) []*coffer.Transaction {
	t.Helper()
	from := platform
	var all []*coffer.Transaction
	cursor := ""
	for {
		page, next, err := st.Transactions(ctx, coffer.TxFilter{From: &from, Limit: 500, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		if next == "" {
			return all
		}
		cursor = next
	}
}

var transferTopic = crypto.Keccak256Hash([]byte("Transfer(address,address,uint256)"))

// verify checks, after everything settled: every mint of ids is confirmed
// with a token id, exactly one attempt of its transaction is mined and the
// record names it, the receipt's Transfer carries that token id; token ids
// are unique; the platform wallet's transactions use nonces 0..N-1 once each
// and are all confirmed, the node's nonce is N, and N is the deployment plus
// one transaction per mint; totalMinted() and the Transfer logs from the
// zero address agree with the mints.
func verify(t *testing.T, ctx context.Context, st coffer.Store, nodeURL string, col collection, ids map[string]string) {
	t.Helper()
	ec, err := ethclient.DialContext(ctx, nodeURL)
	if err != nil {
		t.Fatal(err)
	}
	defer ec.Close()
	contract := common.HexToAddress(col.Address)

	tokens := map[string]string{} // token id → mint
	txOf := map[string]string{}   // transaction → mint
	for key, id := range ids {
		m, err := st.Mint(ctx, id)
		if err != nil {
			t.Fatalf("mint %s of key %s: %v", id, key, err)
		}
		if m.Status != coffer.MintConfirmed || m.TokenID == nil {
			t.Errorf("mint %s (key %s) is %s, token %v, error %q", id, key, m.Status, m.TokenID, m.Error)
			continue
		}
		if other, dup := tokens[m.TokenID.String()]; dup {
			t.Errorf("token id %s minted by %s and %s", m.TokenID, other, id)
		}
		tokens[m.TokenID.String()] = id
		if other, dup := txOf[m.TxID]; dup {
			t.Errorf("transaction %s belongs to mints %s and %s", m.TxID, other, id)
		}
		txOf[m.TxID] = id
		tx, err := st.Transaction(ctx, m.TxID)
		if err != nil {
			t.Fatal(err)
		}
		rcpt := checkOneAttemptMined(t, ctx, ec, tx)
		if rcpt == nil {
			continue
		}
		var logged *big.Int
		for _, lg := range rcpt.Logs {
			if lg.Address == contract && len(lg.Topics) == 4 && lg.Topics[0] == transferTopic && lg.Topics[1] == (common.Hash{}) {
				logged = new(big.Int).SetBytes(lg.Topics[3].Bytes())
			}
		}
		if logged == nil || logged.Cmp(m.TokenID) != 0 {
			t.Errorf("mint %s says token %s; its receipt's Transfer says %v", id, m.TokenID, logged)
		}
	}

	// The platform wallet's nonces.
	txs := platformTxs(t, ctx, st)
	mintTxs := 0
	used := make([]string, len(txs))
	for _, tx := range txs {
		if tx.Kind == coffer.KindMint {
			mintTxs++
			if _, ok := txOf[tx.ID]; !ok {
				t.Errorf("mint transaction %s (%s) belongs to no accepted mint", tx.ID, tx.Status)
			}
		}
		if tx.Status != coffer.TxConfirmed {
			t.Errorf("platform transaction %s (%s) is %s: %s", tx.ID, tx.Kind, tx.Status, tx.Error)
		}
		if tx.Nonce == nil {
			t.Errorf("transaction %s has no nonce", tx.ID)
			continue
		}
		n := *tx.Nonce
		if n >= uint64(len(txs)) {
			t.Errorf("nonce %d of %s beyond 0..%d: a gap", n, tx.ID, len(txs)-1)
			continue
		}
		if used[n] != "" {
			t.Errorf("nonce %d used by %s and %s", n, used[n], tx.ID)
		}
		used[n] = tx.ID
	}
	if want := len(ids) + 1; len(txs) != want {
		t.Errorf("platform wallet has %d transactions in the store, want %d (a deployment and %d mints)", len(txs), want, len(ids))
	}
	if mintTxs != len(ids) {
		t.Errorf("%d mint transactions in the store for %d accepted mints", mintTxs, len(ids))
	}
	mined, err := ec.NonceAt(ctx, platform, nil)
	if err != nil {
		t.Fatal(err)
	}
	pending, err := ec.PendingNonceAt(ctx, platform)
	if err != nil {
		t.Fatal(err)
	}
	if mined != uint64(len(txs)) || pending != mined {
		t.Errorf("node's nonce of the platform wallet: mined %d, pending %d; the store has %d transactions", mined, pending, len(txs))
	}
	if next, err := st.NextNonce(ctx, chainID, platform); err != nil || next != uint64(len(txs)) {
		t.Errorf("store's next nonce %d (%v), want %d", next, err, len(txs))
	}

	// The chain: totalMinted() and the Transfer logs from the zero address.
	sel := crypto.Keccak256([]byte("totalMinted()"))[:4]
	out, err := ec.CallContract(ctx, ethereum.CallMsg{To: &contract, Data: sel}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if total := new(big.Int).SetBytes(out); total.Cmp(big.NewInt(int64(len(ids)))) != 0 {
		t.Errorf("totalMinted() = %s, want %d accepted mints", total, len(ids))
	}
	logs, err := ec.FilterLogs(ctx, ethereum.FilterQuery{FromBlock: big.NewInt(0), Addresses: []common.Address{contract},
		Topics: [][]common.Hash{{transferTopic}, {common.Hash{}}}})
	if err != nil {
		t.Fatal(err)
	}
	onChain := map[string]bool{}
	for _, lg := range logs {
		id := new(big.Int).SetBytes(lg.Topics[3].Bytes()).String()
		if onChain[id] {
			t.Errorf("token %s minted twice on chain", id)
		}
		onChain[id] = true
		if _, ok := tokens[id]; !ok {
			t.Errorf("token %s minted on chain (tx %s) belongs to no accepted mint", id, lg.TxHash)
		}
	}
	if len(logs) != len(ids) {
		t.Errorf("%d Transfer logs from the zero address, want %d", len(logs), len(ids))
	}
}

// checkOneAttemptMined asks the node for the receipt of every attempt of
// tx: exactly one must exist, and the record's hash must be it.
func checkOneAttemptMined(t *testing.T, ctx context.Context, ec *ethclient.Client, tx *coffer.Transaction) *types.Receipt {
	t.Helper()
	hashes := map[common.Hash]bool{}
	for _, a := range tx.Attempts {
		hashes[a.Hash] = true
	}
	if tx.Hash != nil {
		hashes[*tx.Hash] = true
	}
	var mined []*types.Receipt
	for h := range hashes {
		r, err := ec.TransactionReceipt(ctx, h)
		if errors.Is(err, ethereum.NotFound) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		mined = append(mined, r)
	}
	if len(mined) != 1 {
		t.Errorf("transaction %s: %d of its %d attempts mined, want exactly 1", tx.ID, len(mined), len(hashes))
		return nil
	}
	if tx.Hash == nil || *tx.Hash != mined[0].TxHash {
		t.Errorf("transaction %s records hash %v; the attempt mined is %s", tx.ID, tx.Hash, mined[0].TxHash)
	}
	if mined[0].Status != types.ReceiptStatusSuccessful {
		t.Errorf("transaction %s reverted", tx.ID)
	}
	return mined[0]
}
