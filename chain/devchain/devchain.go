// Package devchain runs an in-process go-ethereum development chain: the
// embedded default behind `coffer dev` and the end-to-end tests. It serves
// JSON-RPC over HTTP and WebSocket on one address and mines a block as soon as
// transactions arrive (or every BlockPeriod).
package devchain

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/txpool"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/eth"
	"github.com/ethereum/go-ethereum/eth/catalyst"
	"github.com/ethereum/go-ethereum/eth/ethconfig"
	"github.com/ethereum/go-ethereum/eth/filters"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/event"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rpc"
)

// Config describes a dev chain.
type Config struct {
	ChainID uint64
	// Addr is host:port for JSON-RPC over HTTP and WebSocket; "" serves no
	// network endpoint (in-process clients only), port 0 picks a free one.
	Addr string
	// Dir keeps the chain on disk across restarts; "" keeps it in memory.
	Dir string
	// BlockPeriod 0 mines when a transaction arrives; otherwise every period
	// (whole seconds, as go-ethereum's simulated beacon counts them).
	BlockPeriod time.Duration
	// Alloc prefunds accounts at genesis (the platform wallet).
	Alloc map[common.Address]*big.Int
	// GasLimit per block; 0 means go-ethereum's default.
	GasLimit uint64
	// Manual mines only on Commit (tests: transactions stay pending until
	// the test says so). BlockPeriod is ignored.
	Manual bool
	Logger *slog.Logger
}

// Chain is a running dev chain.
type Chain struct {
	cfg     Config
	stack   *node.Node
	eth     *eth.Ethereum
	filters *filters.FilterSystem // eth_getLogs's, shared with Direct
	beacon  *catalyst.SimulatedBeacon
	url     string
	wsURL   string
	genesis common.Hash
	// Fresh is true when the chain was created by this start (no prior state).
	Fresh bool

	stopMining chan struct{}  // closed by Close (mineOnArrival)
	stopOnce   sync.Once      // Close may be called twice
	mining     sync.WaitGroup // mineOnArrival's goroutines
}

// ErrGenesisMismatch means Dir holds a chain with a different genesis than
// Config asks for; the caller decides whether to wipe it.
var ErrGenesisMismatch = errors.New("devchain: stored chain has a different genesis")

// Start boots the chain.
func Start(cfg Config) (*Chain, error) {
	if cfg.ChainID == 0 {
		cfg.ChainID = 1337
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	nodeConf := node.DefaultConfig
	nodeConf.Name = "coffer-devchain"
	nodeConf.DataDir = cfg.Dir
	nodeConf.P2P = p2p.Config{NoDiscovery: true, MaxPeers: 0, ListenAddr: ""}
	nodeConf.HTTPHost, nodeConf.WSHost = "", ""
	nodeConf.IPCPath = ""
	nodeConf.AuthPort = 0
	nodeConf.UseLightweightKDF = true
	if cfg.Addr != "" {
		host, portStr, err := net.SplitHostPort(cfg.Addr)
		if err != nil {
			return nil, fmt.Errorf("devchain: rpc address %q: %w", cfg.Addr, err)
		}
		port, err := strconv.Atoi(portStr)
		if err != nil {
			return nil, fmt.Errorf("devchain: rpc port %q: %w", portStr, err)
		}
		if port == 0 {
			if port, err = freePort(host); err != nil {
				return nil, err
			}
		}
		modules := []string{"eth", "net", "web3", "txpool", "debug", "dev"}
		nodeConf.HTTPHost, nodeConf.HTTPPort = host, port
		nodeConf.WSHost, nodeConf.WSPort = host, port
		nodeConf.HTTPModules, nodeConf.WSModules = modules, modules
		nodeConf.HTTPVirtualHosts = []string{"*"}
		nodeConf.HTTPCors = []string{"*"}
		nodeConf.WSOrigins = []string{"*"}
	}

	chainConfig := *params.AllDevChainProtocolChanges
	chainConfig.ChainID = new(big.Int).SetUint64(cfg.ChainID)
	gasLimit := cfg.GasLimit
	if gasLimit == 0 {
		gasLimit = ethconfig.Defaults.Miner.GasCeil
	}
	genesis := core.DeveloperGenesisBlock(gasLimit, nil)
	genesis.Config = &chainConfig
	alloc := maps.Clone(genesis.Alloc)
	for addr, bal := range cfg.Alloc {
		alloc[addr] = types.Account{Balance: new(big.Int).Set(bal)}
	}
	genesis.Alloc = alloc

	ethConf := ethconfig.Defaults
	ethConf.NetworkId = cfg.ChainID
	ethConf.Genesis = genesis
	ethConf.SyncMode = ethconfig.FullSync
	ethConf.Miner.GasCeil = gasLimit
	ethConf.TxPool.NoLocals = true
	ethConf.TxPool.AccountSlots = 8192
	ethConf.TxPool.GlobalSlots = 65536
	ethConf.TxPool.AccountQueue = 4096
	ethConf.TxPool.GlobalQueue = 16384
	ethConf.TxPool.Lifetime = time.Hour
	ethConf.RPCGasCap = 100_000_000
	ethConf.RPCTxFeeCap = 0 // dev chain: no fee cap on eth_sendRawTransaction
	// No log index: go-ethereum then answers eth_getLogs from the blocks'
	// bloom filters and receipts, which for a dev chain's short history and
	// the indexer's ranges at the head is as fast, and rendering the index
	// after every block cost about 7 % of the CPU of a mint (bench mint).
	ethConf.LogNoHistory = true
	if cfg.Dir != "" {
		// Flush state every block so a hard kill never rewinds the chain
		// behind what coffer's database has already seen.
		ethConf.NoPruning = true
		ethConf.StateScheme = rawdb.HashScheme
	}

	fresh := cfg.Dir == "" || !exists(filepath.Join(cfg.Dir, nodeConf.Name, "chaindata"))
	stack, err := node.New(&nodeConf)
	if err != nil {
		return nil, fmt.Errorf("devchain: node: %w", err)
	}
	backend, err := eth.New(stack, &ethConf)
	if err != nil {
		stack.Close()
		var mismatch *core.GenesisMismatchError
		if errors.As(err, &mismatch) {
			return nil, fmt.Errorf("%w: %v", ErrGenesisMismatch, err)
		}
		return nil, fmt.Errorf("devchain: eth: %w", err)
	}
	filterSystem := filters.NewFilterSystem(backend.APIBackend, filters.Config{})
	stack.RegisterAPIs([]rpc.API{{Namespace: "eth", Service: filters.NewFilterAPI(filterSystem)}})

	period := uint64(cfg.BlockPeriod / time.Second)
	if cfg.BlockPeriod > 0 && period == 0 {
		period = 1
	}
	if cfg.Manual {
		period = 0 // and with no mine-on-arrival loop (below), nothing mines by itself
	}
	beacon, err := catalyst.NewSimulatedBeacon(period, common.Address{}, backend)
	if err != nil {
		stack.Close()
		return nil, fmt.Errorf("devchain: beacon: %w", err)
	}
	stack.RegisterLifecycle(beacon)
	c := &Chain{
		cfg: cfg, stack: stack, eth: backend, filters: filterSystem, beacon: beacon,
		genesis:    backend.BlockChain().Genesis().Hash(),
		Fresh:      fresh,
		stopMining: make(chan struct{}),
	}
	// Period 0 mines on arrival. The pool is subscribed to here, before
	// anything can send: go-ethereum's own loop for it (with the "dev" API,
	// RegisterSimulatedBeaconAPIs) subscribes from a goroutine of its own,
	// and a first transaction sent before that waited, unmined, for the next.
	var newTxs chan core.NewTxsEvent
	var sub event.Subscription
	if period == 0 && !cfg.Manual {
		newTxs = make(chan core.NewTxsEvent)
		sub = backend.TxPool().SubscribeTransactions(newTxs, true)
	}
	if err := stack.Start(); err != nil {
		if sub != nil {
			sub.Unsubscribe()
		}
		stack.Close()
		return nil, fmt.Errorf("devchain: start: %w", err)
	}
	if sub != nil {
		c.mineOnArrival(sub, newTxs)
	}
	c.url, c.wsURL = stack.HTTPEndpoint(), stack.WSEndpoint()
	if cfg.Addr == "" {
		c.url, c.wsURL = "", ""
	}
	log.Info("dev chain started", "chain_id", cfg.ChainID, "rpc", c.url, "head", backend.BlockChain().CurrentBlock().Number, "dir", cfg.Dir, "fresh", fresh)
	return c, nil
}

// RemoveData deletes a stored chain so the next Start begins at genesis.
func RemoveData(dir string) error {
	return os.RemoveAll(filepath.Join(dir, "coffer-devchain"))
}

// URL is the HTTP JSON-RPC endpoint ("" when served in-process only).
func (c *Chain) URL() string { return c.url }

// WSURL is the WebSocket JSON-RPC endpoint.
func (c *Chain) WSURL() string { return c.wsURL }

// ChainID returns the chain id.
func (c *Chain) ChainID() uint64 { return c.cfg.ChainID }

// Genesis returns the genesis block hash.
func (c *Chain) Genesis() common.Hash { return c.genesis }

// Client returns an in-process client (no network round trip).
func (c *Chain) Client() *ethclient.Client { return ethclient.NewClient(c.stack.Attach()) }

// RPC returns an in-process RPC client.
func (c *Chain) RPC() *rpc.Client { return c.stack.Attach() }

// Commit mines a block now, whatever the pool holds (for tests).
func (c *Chain) Commit() common.Hash { return c.beacon.Commit() }

// Executable reports whether the pool holds the transaction with hash h as
// executable: the next block takes it (for tests that commit blocks; the
// pool promotes what it receives in the background).
func (c *Chain) Executable(h common.Hash) bool {
	return c.eth.TxPool().Status(h) == txpool.TxStatusPending
}

// Rewind makes the block with hash parent the head: the blocks after it
// leave the canonical chain and their transactions return to the pool (a
// reorg, for tests). The pool must hold no pending transaction.
func (c *Chain) Rewind(parent common.Hash) error { return c.beacon.Fork(parent) }

// BlockHash returns the canonical hash at number.
func (c *Chain) BlockHash(number uint64) common.Hash {
	return c.eth.BlockChain().GetCanonicalHash(number)
}

// Close stops the chain, flushing it to disk when it is persistent.
func (c *Chain) Close() error {
	c.stopOnce.Do(func() { close(c.stopMining) })
	c.mining.Wait() // a block being sealed is finished first
	return c.stack.Close()
}

// mineOnArrival seals blocks while the pool holds executable transactions,
// starting whenever sub reports new ones (and once now, for any the pool
// already holds). One goroutine takes the pool's events, which must never
// wait on a block being sealed (the pool sends them synchronously); another
// seals.
func (c *Chain) mineOnArrival(sub event.Subscription, newTxs <-chan core.NewTxsEvent) {
	seal := make(chan struct{}, 1)
	c.mining.Go(func() {
		defer sub.Unsubscribe()
		for {
			select {
			case <-c.stopMining:
				return
			case <-sub.Err():
				return
			case <-newTxs:
				select {
				case seal <- struct{}{}:
				default: // a seal is due already and will see these
				}
			}
		}
	})
	c.mining.Go(func() {
		pool := c.eth.TxPool()
		executable := func() bool { n, _ := pool.Stats(); return n > 0 }
		stopped := func() bool {
			select {
			case <-c.stopMining:
				return true
			default:
				return false
			}
		}
		// What the pool held before the subscription.
		pool.Sync()
		for executable() && !stopped() {
			c.beacon.Commit()
		}
		// As go-ethereum's loop does: on arrival seal at once, let the
		// pool finish its reorganisation, then seal again while it has
		// more. A transaction the miner never takes (a tip below what it
		// asks) keeps this sealing blocks, as there.
		for {
			select {
			case <-c.stopMining:
				return
			case <-seal:
			}
			c.beacon.Commit()
			pool.Sync()
			for executable() && !stopped() {
				c.beacon.Commit()
			}
		}
	})
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func freePort(host string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, fmt.Errorf("devchain: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
