package config

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// EnvConfigFile names the config file when no path is given.
const EnvConfigFile = "COFFER_CONFIG"

// Load returns Default() overlaid with the YAML file at path (or at
// $COFFER_CONFIG when path is ""; no file when both are empty) and then with
// COFFER_* variables read through env (nil means os.Getenv). It does not call
// Resolve. Unknown keys and ill-typed values are errors naming key and line.
func Load(path string, env func(string) string) (Config, error) {
	if env == nil {
		env = os.Getenv
	}
	cfg := Default()
	if path == "" {
		path = env(EnvConfigFile)
	}
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("config: %w", err)
		}
		if err := cfg.decodeYAML(path, data); err != nil {
			return cfg, err
		}
	}
	if err := cfg.ApplyEnv(env); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// decodeYAML overlays the document in data onto c.
func (c *Config) decodeYAML(name string, data []byte) error {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // empty file
		}
		return fmt.Errorf("config %s: %w", name, err)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return nil
		}
		root = root.Content[0]
	}
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil
	}
	if err := c.walk(name, root, reflect.TypeOf(*c), ""); err != nil {
		return err
	}
	// Every key and leaf was checked by walk; this decode is expected to pass.
	if err := root.Decode(c); err != nil {
		return fmt.Errorf("config %s: %w", name, err)
	}
	return nil
}

var durationType = reflect.TypeOf(time.Duration(0))

// walk checks n against type t: unknown keys and values that do not decode
// into their field are reported with file, line and dotted key. It records
// the file position of every key in c.src.
func (c *Config) walk(file string, n *yaml.Node, t reflect.Type, path string) error {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	pos := fmt.Sprintf("%s:%d", file, n.Line)
	if path != "" {
		c.note(path, pos)
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil // leaves the field as is
	}
	switch {
	case t.Kind() == reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return fmt.Errorf("config %s: %s: expected a mapping", pos, orRoot(path))
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			key := join(path, k.Value)
			f, ok := fieldByTag(t, k.Value)
			if !ok {
				return fmt.Errorf("config %s:%d: unknown key %q", file, k.Line, key)
			}
			if err := c.walk(file, v, f.Type, key); err != nil {
				return err
			}
		}
		return nil
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct:
		if n.Kind != yaml.SequenceNode {
			return fmt.Errorf("config %s: %s: expected a list", pos, path)
		}
		for i, e := range n.Content {
			if err := c.walk(file, e, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		return nil
	}
	// Leaf: decode alone to name the key in type errors.
	v := reflect.New(t)
	if t == durationType && n.Kind == yaml.ScalarNode {
		if _, err := time.ParseDuration(n.Value); err != nil {
			return fmt.Errorf("config %s: %s: invalid duration %q (use e.g. 15s, 5m, 720h)", pos, path, n.Value)
		}
	}
	if err := n.Decode(v.Interface()); err != nil {
		msg := err.Error()
		if te := (*yaml.TypeError)(nil); errors.As(err, &te) && len(te.Errors) > 0 {
			msg = te.Errors[0]
			if _, after, ok := strings.Cut(msg, ": "); ok && strings.HasPrefix(msg, "line ") {
				msg = after
			}
		}
		return fmt.Errorf("config %s: %s: %s", pos, path, msg)
	}
	return nil
}

func orRoot(path string) string {
	if path == "" {
		return "top level"
	}
	return path
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func fieldByTag(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); tag != "" && tag == key {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// fieldPtr returns a pointer to the field at the dotted key (no list indices).
func fieldPtr(c *Config, key string) (any, bool) {
	v := reflect.ValueOf(c).Elem()
	for _, part := range strings.Split(key, ".") {
		if v.Kind() != reflect.Struct {
			return nil, false
		}
		f, ok := fieldByTag(v.Type(), part)
		if !ok {
			return nil, false
		}
		v = v.FieldByIndex(f.Index)
	}
	return v.Addr().Interface(), true
}

func (c *Config) note(key, source string) {
	if c.src == nil {
		c.src = map[string]string{}
	}
	c.src[key] = source
}

// setting binds a config key to its env var and (optionally) flag.
type setting struct {
	key, env, flag, usage string
	secret                bool                            // never a flag
	apply                 func(c *Config, v string) error // custom setter
}

// settings is every key settable from the environment; the order is the
// order in which env vars and flags are applied.
var settings = []setting{
	{key: "data_dir", env: "COFFER_DATA_DIR", flag: "data-dir", usage: "directory for local state (database, blobs, keys, dev chain)"},
	{key: "log.level", env: "COFFER_LOG_LEVEL", flag: "log-level", usage: "log level: debug|info|warn|error"},
	{key: "log.format", env: "COFFER_LOG_FORMAT", flag: "log-format", usage: "log format: text|json"},

	{key: "http.addr", env: "COFFER_HTTP_ADDR", flag: "http-addr", usage: "API listen address host:port"},
	{key: "http.public_url", env: "COFFER_PUBLIC_URL", flag: "public-url", usage: "externally visible base URL (default http://<http-addr>)"},
	{key: "http.max_body_bytes", env: "COFFER_HTTP_MAX_BODY_BYTES"},
	{key: "http.max_upload_bytes", env: "COFFER_HTTP_MAX_UPLOAD_BYTES"},
	{key: "http.read_timeout", env: "COFFER_HTTP_READ_TIMEOUT"},
	{key: "http.write_timeout", env: "COFFER_HTTP_WRITE_TIMEOUT"},
	{key: "http.shutdown_timeout", env: "COFFER_HTTP_SHUTDOWN_TIMEOUT"},
	{key: "http.cors_origins", env: "COFFER_HTTP_CORS_ORIGINS"},

	{key: "store.driver", env: "COFFER_STORE_DRIVER", flag: "store-driver", usage: "database driver: sqlite|postgres"},
	{key: "store.dsn", env: "COFFER_STORE_DSN", flag: "store-dsn", usage: "database DSN (default <data-dir>/coffer.db for sqlite)"},

	{key: "blob.driver", env: "COFFER_BLOB_DRIVER", flag: "blob-driver", usage: "blob driver: fs|s3"},
	{key: "blob.dir", env: "COFFER_BLOB_DIR", flag: "blob-dir", usage: "blob directory for the fs driver (default <data-dir>/blobs)"},
	{key: "blob.s3.bucket", env: "COFFER_S3_BUCKET"},
	{key: "blob.s3.prefix", env: "COFFER_S3_PREFIX"},
	{key: "blob.s3.region", env: "COFFER_S3_REGION"},
	{key: "blob.s3.endpoint", env: "COFFER_S3_ENDPOINT"},
	{key: "blob.s3.path_style", env: "COFFER_S3_PATH_STYLE"},
	{key: "blob.s3.access_key_id", env: "COFFER_S3_ACCESS_KEY_ID"},
	{key: "blob.s3.secret_access_key", env: "COFFER_S3_SECRET_ACCESS_KEY", secret: true},

	{key: "keys.backend", env: "COFFER_KEYS_BACKEND", flag: "keys-backend", usage: "key backend for new wallets: local|awskms|pkcs11"},
	{key: "keys.master_key_file", env: "COFFER_MASTER_KEY_FILE", flag: "master-key-file", usage: "master key file of the local backend (default <data-dir>/master.key)"},
	{key: "keys.master_key_env", env: "COFFER_MASTER_KEY_ENV"},
	{key: "keys.master_kms_key", env: "COFFER_MASTER_KMS_KEY"},
	{key: "keys.master_passphrase_env", env: "COFFER_MASTER_PASSPHRASE_ENV"},
	{key: "keys.allow_export", env: "COFFER_KEYS_ALLOW_EXPORT"},
	{key: "keys.awskms.region", env: "COFFER_AWSKMS_REGION"},
	{key: "keys.awskms.endpoint", env: "COFFER_AWSKMS_ENDPOINT"},
	{key: "keys.awskms.alias_prefix", env: "COFFER_AWSKMS_ALIAS_PREFIX"},
	{key: "keys.pkcs11.module", env: "COFFER_PKCS11_MODULE"},
	{key: "keys.pkcs11.token_label", env: "COFFER_PKCS11_TOKEN_LABEL"},
	{key: "keys.pkcs11.pin", env: "COFFER_PKCS11_PIN", secret: true},
	{key: "keys.pkcs11.pin_env", env: "COFFER_PKCS11_PIN_ENV"},

	{key: "signer.listen", env: "COFFER_SIGNER_LISTEN", flag: "signer-listen", usage: "where `coffer signer` listens: unix:///path/to.sock or tcp://host:port (default unix://<data-dir>/signer.sock)"},
	{key: "signer.remote", env: "COFFER_SIGNER_REMOTE", flag: "signer-remote", usage: "sign through the `coffer signer` at unix:///path/to.sock or https://host:port (no key material in this process)"},
	{key: "signer.timeout", env: "COFFER_SIGNER_TIMEOUT"},
	{key: "signer.tls.cert", env: "COFFER_SIGNER_TLS_CERT"},
	{key: "signer.tls.key", env: "COFFER_SIGNER_TLS_KEY"},
	{key: "signer.tls.ca", env: "COFFER_SIGNER_TLS_CA"},
	{key: "signer.tls.client_ca", env: "COFFER_SIGNER_TLS_CLIENT_CA"},

	{key: "chains[0].id", env: "COFFER_CHAIN_ID", flag: "chain-id", usage: "run against this single chain id (with --rpc-urls)", apply: applyChainID},
	{key: "chains[0].rpc_urls", env: "COFFER_RPC_URLS", flag: "rpc-urls", usage: "comma-separated JSON-RPC URLs of the single chain", apply: applyRPCURLs},

	{key: "platform.private_key_file", env: "COFFER_PLATFORM_KEY_FILE", flag: "platform-key-file", usage: "file holding the platform wallet's hex private key"},
	{key: "platform.private_key_env", env: "COFFER_PLATFORM_KEY_ENV"},

	{key: "dev.rpc_addr", env: "COFFER_RPC_ADDR", flag: "rpc-addr", usage: "dev chain JSON-RPC listen address (HTTP and WebSocket)"},
	{key: "dev.chain_id", env: "COFFER_DEV_CHAIN_ID", flag: "dev-chain-id", usage: "dev chain id"},
	{key: "dev.block_period", env: "COFFER_DEV_BLOCK_PERIOD", flag: "block-period", usage: "dev chain block period (0 = mine on each transaction)"},
	{key: "dev.fresh", env: "COFFER_DEV_FRESH", flag: "fresh", usage: "start the dev chain and database afresh"},
	{key: "dev.persist", env: "COFFER_DEV_PERSIST", flag: "persist", usage: "keep the dev chain on disk"},
	{key: "dev.events_allow_private_targets", env: "COFFER_DEV_EVENTS_ALLOW_PRIVATE_TARGETS"},
	{key: "dev.chain_dir", env: "COFFER_DEV_CHAIN_DIR"},

	{key: "auth.issuer", env: "COFFER_AUTH_ISSUER"},
	{key: "auth.access_ttl", env: "COFFER_AUTH_ACCESS_TTL"},
	{key: "auth.refresh_ttl", env: "COFFER_AUTH_REFRESH_TTL"},
	{key: "auth.nonce_ttl", env: "COFFER_AUTH_NONCE_TTL"},
	{key: "auth.skew", env: "COFFER_AUTH_SKEW"},
	{key: "auth.signing_key_file", env: "COFFER_AUTH_SIGNING_KEY_FILE"},
	{key: "auth.siwe.domain", env: "COFFER_SIWE_DOMAIN"},
	{key: "auth.siwe.scheme", env: "COFFER_SIWE_SCHEME"},
	{key: "auth.siwe.uri", env: "COFFER_SIWE_URI"},
	{key: "auth.bootstrap_admin_key", env: "COFFER_BOOTSTRAP_ADMIN_KEY", secret: true},

	{key: "nft.allow_mint_to_others", env: "COFFER_NFT_ALLOW_MINT_TO_OTHERS"},
	{key: "nft.max_metadata_bytes", env: "COFFER_NFT_MAX_METADATA_BYTES"},
	{key: "nft.voucher_ttl", env: "COFFER_NFT_VOUCHER_TTL"},

	{key: "events.allow_private_targets", env: "COFFER_EVENTS_ALLOW_PRIVATE_TARGETS"},
	{key: "events.timeout", env: "COFFER_EVENTS_TIMEOUT"},
	{key: "events.max_age", env: "COFFER_EVENTS_MAX_AGE"},
	{key: "events.retry_initial", env: "COFFER_EVENTS_RETRY_INITIAL"},
	{key: "events.retry_max", env: "COFFER_EVENTS_RETRY_MAX"},
	{key: "events.poll_interval", env: "COFFER_EVENTS_POLL_INTERVAL"},
	{key: "events.retention", env: "COFFER_EVENTS_RETENTION"},
	{key: "events.concurrency", env: "COFFER_EVENTS_CONCURRENCY"},
	{key: "events.heartbeat", env: "COFFER_EVENTS_HEARTBEAT"},

	{key: "policy.chain_ids", env: "COFFER_POLICY_CHAIN_IDS"},
	{key: "policy.to", env: "COFFER_POLICY_TO"},
	{key: "policy.max_value_per_tx", env: "COFFER_POLICY_MAX_VALUE_PER_TX"},
	{key: "policy.max_value_per_day", env: "COFFER_POLICY_MAX_VALUE_PER_DAY"},
	{key: "policy.raw_hash", env: "COFFER_POLICY_RAW_HASH"},

	{key: "rpc.rate_limit", env: "COFFER_RPC_RATE_LIMIT"},
	{key: "rpc.guest_rate_limit", env: "COFFER_RPC_GUEST_RATE_LIMIT"},
	{key: "rpc.max_batch", env: "COFFER_RPC_MAX_BATCH"},
	{key: "rpc.max_body_bytes", env: "COFFER_RPC_MAX_BODY_BYTES"},
	{key: "rpc.max_log_blocks", env: "COFFER_RPC_MAX_LOG_BLOCKS"},
	{key: "rpc.send_wait", env: "COFFER_RPC_SEND_WAIT"},
	{key: "rpc.guest_methods", env: "COFFER_RPC_GUEST_METHODS"},
	{key: "rpc.user_methods", env: "COFFER_RPC_USER_METHODS"},
	{key: "rpc.admin_methods", env: "COFFER_RPC_ADMIN_METHODS"},
	{key: "proxy.max_request_bytes", env: "COFFER_PROXY_MAX_REQUEST_BYTES"},
}

func init() {
	var c Config
	for _, s := range settings {
		if s.apply == nil {
			if _, ok := fieldPtr(&c, s.key); !ok {
				panic("config: setting for unknown key " + s.key)
			}
		}
		if s.secret && s.flag != "" {
			panic("config: secret " + s.key + " must not be a flag")
		}
	}
}

func lookupKey(key string) *setting {
	for i := range settings {
		if settings[i].key == key {
			return &settings[i]
		}
	}
	return nil
}

// set parses v into the setting's field.
func (s *setting) set(c *Config, v string) error {
	if s.apply != nil {
		return s.apply(c, v)
	}
	p, _ := fieldPtr(c, s.key)
	switch p := p.(type) {
	case *string:
		*p = v
	case *bool:
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("invalid boolean %q", v)
		}
		*p = b
	case *time.Duration:
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("invalid duration %q (use e.g. 15s, 5m, 720h)", v)
		}
		*p = d
	case *int64:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("invalid integer %q", v)
		}
		*p = n
	case *uint64:
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return fmt.Errorf("invalid unsigned integer %q", v)
		}
		*p = n
	case *[]string:
		*p = splitList(v)
	case *[]uint64:
		var ns []uint64
		for _, f := range splitList(v) {
			n, err := strconv.ParseUint(f, 10, 64)
			if err != nil {
				return fmt.Errorf("invalid unsigned integer %q in list", f)
			}
			ns = append(ns, n)
		}
		*p = ns
	default:
		return fmt.Errorf("unsupported type %T", p)
	}
	return nil
}

// get formats the setting's current value (for flag help).
func (s *setting) get(c *Config) string {
	if s.apply != nil {
		return ""
	}
	p, _ := fieldPtr(c, s.key)
	switch p := p.(type) {
	case *string:
		return *p
	case *[]string:
		return strings.Join(*p, ",")
	case *bool:
		return strconv.FormatBool(*p)
	case *time.Duration, *int64, *uint64:
		return fmt.Sprint(reflect.ValueOf(p).Elem().Interface())
	}
	return ""
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// applyChainID makes Chains exactly one chain with id v, keeping the settings
// of a configured chain with the same id.
func applyChainID(c *Config, v string) error {
	id, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return fmt.Errorf("invalid chain id %q", v)
	}
	ch, old := Chain{ID: id}, -1
	for i := range c.Chains {
		if c.Chains[i].ID == id {
			ch, old = c.Chains[i], i
			break
		}
	}
	c.Chains = []Chain{ch}
	// Keep file positions of the kept chain, renumbered to index 0.
	from, kept := fmt.Sprintf("chains[%d]", old), map[string]string{}
	for k, src := range c.src {
		if !strings.HasPrefix(k, "chains[") {
			continue
		}
		delete(c.src, k)
		if rest, ok := strings.CutPrefix(k, from); ok && (rest == "" || rest[0] == '.') {
			kept["chains[0]"+rest] = src
		}
	}
	for k, src := range kept {
		c.note(k, src)
	}
	return nil
}

// applyRPCURLs sets the RPC URLs of the single configured chain.
func applyRPCURLs(c *Config, v string) error {
	switch len(c.Chains) {
	case 0:
		c.Chains = []Chain{{}}
	case 1:
	default:
		return fmt.Errorf("%d chains are configured; also set the chain id to pick one", len(c.Chains))
	}
	c.Chains[0].RPCURLs = splitList(v)
	return nil
}

// ApplyEnv overlays every non-empty COFFER_* variable read through env.
func (c *Config) ApplyEnv(env func(string) string) error {
	if env == nil {
		env = os.Getenv
	}
	for i := range settings {
		s := &settings[i]
		v := env(s.env)
		if v == "" {
			continue
		}
		if err := s.set(c, v); err != nil {
			return fmt.Errorf("config: %s (%s): %w", s.key, s.env, err)
		}
		c.note(s.key, s.env)
	}
	return nil
}

// flagValue is the flag.Value of a setting; it stages values in the Config
// given to RegisterFlags and remembers the raw text for ApplyFlags.
type flagValue struct {
	s   *setting
	c   *Config
	raw string
}

func (f *flagValue) String() string {
	if f == nil || f.s == nil || f.c == nil {
		return ""
	}
	if f.s.apply != nil {
		return f.raw
	}
	return f.s.get(f.c)
}

func (f *flagValue) Set(v string) error {
	if f.s.apply == nil { // custom settings are checked when applied
		if err := f.s.set(f.c, v); err != nil {
			return err
		}
	}
	f.raw = v
	return nil
}

func (f *flagValue) IsBoolFlag() bool {
	if f == nil || f.s == nil || f.c == nil || f.s.apply != nil {
		return false
	}
	p, _ := fieldPtr(f.c, f.s.key)
	_, ok := p.(*bool)
	return ok
}

// RegisterFlags defines --config and the common flags on fs. The flags write
// into c (whose current values are the help defaults); use FromArgs or
// ApplyFlags to lay them over a loaded config.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.String("config", "", "path to the YAML config file (env "+EnvConfigFile+")")
	for i := range settings {
		s := &settings[i]
		if s.flag == "" {
			continue
		}
		fs.Var(&flagValue{s: s, c: c}, s.flag, s.usage+" (env "+s.env+")")
	}
}

// ApplyFlags overlays onto c only the flags that were set on the command line.
func (c *Config) ApplyFlags(fs *flag.FlagSet) error {
	set := map[string]string{}
	fs.Visit(func(f *flag.Flag) {
		if fv, ok := f.Value.(*flagValue); ok {
			set[f.Name] = fv.raw
		} else {
			set[f.Name] = f.Value.String()
		}
	})
	for i := range settings {
		s := &settings[i]
		v, ok := set[s.flag]
		if s.flag == "" || !ok {
			continue
		}
		if err := s.set(c, v); err != nil {
			return fmt.Errorf("config: %s (--%s): %w", s.key, s.flag, err)
		}
		c.note(s.key, "--"+s.flag)
	}
	return nil
}

// FromArgs parses args with fs (on which RegisterFlags was called), loads the
// file named by --config or $COFFER_CONFIG, applies env and then the flags
// that were set, and resolves the result: flag > env > file > default.
func FromArgs(fs *flag.FlagSet, args []string, env func(string) string) (Config, error) {
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	path := ""
	if f := fs.Lookup("config"); f != nil {
		path = f.Value.String()
	}
	cfg, err := Load(path, env)
	if err != nil {
		return cfg, err
	}
	if err := cfg.ApplyFlags(fs); err != nil {
		return cfg, err
	}
	return cfg, cfg.Resolve()
}
