// Package awskms is the key backend that keeps each wallet's secp256k1 key in
// AWS KMS as an asymmetric ECC_SECG_P256K1 / SIGN_VERIFY key: the private key
// never leaves KMS, coffer only asks it to sign 32-byte digests.
//
// A key's coffer.KeyRecord has an opaque ID ("ak_" + 32 hex digits), the
// key's address and public key, and the full key ARN (UTF-8) in Material;
// WrappedKey and MasterID stay empty. KMS signatures (DER, s not normalised,
// no recovery id) are parsed strictly, folded to low s and given V by
// recovery, and every one is checked against the public key before it is
// returned.
//
// In KMS, each key created by CreateKey carries the tags coffer:created-by
// and coffer:address and the alias alias/<AliasPrefix><0xaddress in lower
// case>. Keys made elsewhere can be brought in with Adopt.
package awskms

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/keys"
	"github.com/ethereum/go-ethereum/common"
)

// Tag keys set on keys coffer creates.
const (
	TagAddress   = "coffer:address"
	TagCreatedBy = "coffer:created-by"
)

// Defaults for Config.
const (
	DefaultAliasPrefix = "coffer/"
	DefaultCreatedBy   = "coffer"
	DefaultMaxAttempts = 5
	DefaultBaseDelay   = 100 * time.Millisecond
	DefaultMaxBackoff  = 5 * time.Second
)

// Config configures a Backend.
type Config struct {
	// Region is the AWS region of the keys ("" uses the SDK's default
	// chain: AWS_REGION, the shared config file, ...).
	Region string
	// Endpoint overrides the KMS endpoint URL (a VPC endpoint, a FIPS
	// endpoint, a test server). Empty uses the region's default.
	Endpoint string
	// AliasPrefix goes between "alias/" and the address in the alias of
	// each new key; DefaultAliasPrefix when empty. Letters, digits, '/',
	// '_' and '-' only.
	AliasPrefix string
	// CreatedBy is the value of the coffer:created-by tag; DefaultCreatedBy
	// when empty. Use it to tell deployments sharing an account apart.
	CreatedBy string
	// Client, when set, is used instead of one built from the default AWS
	// configuration (Region and Endpoint are then ignored). Tests point it
	// at kmstest.
	Client *kms.Client

	// Retries: at most MaxAttempts attempts per call (the first included),
	// waiting a random time in [0, min(MaxBackoff, BaseDelay·2^attempt))
	// between them ("full jitter"). Zero values take the defaults. The
	// backend applies this retryer to every call it makes, whatever the
	// client's own settings.
	MaxAttempts int
	BaseDelay   time.Duration
	MaxBackoff  time.Duration
}

// Backend is the AWS KMS key backend. It is safe for concurrent use.
type Backend struct {
	client      *kms.Client
	ks          coffer.KeyStore
	aliasPrefix string
	createdBy   string
	// retryer retries throttling, KMS internal errors and transport
	// errors; createRetryer only throttling, because a CreateKey that
	// failed in transit may have made a key all the same.
	retryer, createRetryer aws.Retryer

	mu   sync.RWMutex
	pubs map[string][]byte // key ARN -> public key from KMS; KMS keys never change
	arns map[string]string // record ID -> key ARN, once checked against KMS
}

var _ coffer.KeyBackend = (*Backend)(nil)

var aliasPrefixRE = regexp.MustCompile(`^[a-zA-Z0-9/_-]{0,200}$`)

// New returns a backend that keeps keys in AWS KMS and their records in ks.
// Without cfg.Client it loads the default AWS configuration (environment,
// shared files, instance/task role) for credentials.
func New(ctx context.Context, cfg Config, ks coffer.KeyStore) (*Backend, error) {
	if ks == nil {
		return nil, errors.New("awskms: no key store")
	}
	prefix := cfg.AliasPrefix
	if prefix == "" {
		prefix = DefaultAliasPrefix
	}
	if !aliasPrefixRE.MatchString(prefix) || strings.HasPrefix(prefix, "aws/") {
		return nil, fmt.Errorf("awskms: alias prefix %q: use letters, digits, '/', '_' and '-' (and not aws/)", prefix)
	}
	createdBy := cfg.CreatedBy
	if createdBy == "" {
		createdBy = DefaultCreatedBy
	}
	client := cfg.Client
	if client == nil {
		var err error
		if client, err = NewClient(ctx, cfg.Region, cfg.Endpoint); err != nil {
			return nil, err
		}
	}
	b := &Backend{
		client:      client,
		ks:          ks,
		aliasPrefix: prefix,
		createdBy:   createdBy,
		pubs:        make(map[string][]byte),
		arns:        make(map[string]string),
	}
	b.retryer, b.createRetryer = newRetryers(cfg)
	return b, nil
}

// Error codes worth another attempt besides the SDK's defaults (throttling,
// HTTP 5xx, connection errors): KMS's own transient failures.
var transientCodes = map[string]struct{}{
	"KMSInternalException":       {},
	"DependencyTimeoutException": {},
	"KeyUnavailableException":    {},
}

func newRetryers(cfg Config) (all, throttleOnly aws.Retryer) {
	attempts, base, maxDelay := cfg.MaxAttempts, cfg.BaseDelay, cfg.MaxBackoff
	if attempts <= 0 {
		attempts = DefaultMaxAttempts
	}
	if base <= 0 {
		base = DefaultBaseDelay
	}
	if maxDelay <= 0 {
		maxDelay = DefaultMaxBackoff
	}
	backoff := fullJitter{base: base, max: maxDelay}
	// One token bucket for both: when KMS is struggling, retries of every
	// kind back off together instead of piling on (the SDK's standard
	// client-side retry quota).
	limiter := ratelimit.NewTokenRateLimit(retry.DefaultRetryRateTokens)
	all = retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = attempts
		o.MaxBackoff = maxDelay
		o.Backoff = backoff
		o.RateLimiter = limiter
		o.Retryables = append(o.Retryables, retry.RetryableErrorCode{Codes: transientCodes})
	})
	throttleOnly = retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = attempts
		o.MaxBackoff = maxDelay
		o.Backoff = backoff
		o.RateLimiter = limiter
		o.Retryables = []retry.IsErrorRetryable{
			retry.NoRetryCanceledError{},
			retry.RetryableErrorCode{Codes: retry.DefaultThrottleErrorCodes},
		}
	})
	return all, throttleOnly
}

// fullJitter is exponential backoff with full jitter.
type fullJitter struct{ base, max time.Duration }

func (j fullJitter) BackoffDelay(attempt int, _ error) (time.Duration, error) {
	ceil := j.max
	if attempt < 30 {
		if d := j.base << attempt; d > 0 && d < ceil {
			ceil = d
		}
	}
	return time.Duration(mrand.Int64N(int64(ceil) + 1)), nil
}

func (b *Backend) withRetryer(r aws.Retryer) func(*kms.Options) {
	return func(o *kms.Options) { o.Retryer = r }
}

// Name is coffer.BackendAWSKMS.
func (b *Backend) Name() string { return coffer.BackendAWSKMS }

// CreateKey creates an ECC_SECG_P256K1 signing key in KMS, tags it with its
// address, gives it an alias and stores its record. If a step after the KMS
// key exists fails, the error names the key's ARN: the key is not lost and
// can be brought in with Adopt (or scheduled for deletion).
func (b *Backend) CreateKey(ctx context.Context) (*coffer.KeyRecord, error) {
	out, err := b.client.CreateKey(ctx, &kms.CreateKeyInput{
		KeySpec:     types.KeySpecEccSecgP256k1,
		KeyUsage:    types.KeyUsageTypeSignVerify,
		Description: aws.String("coffer wallet key (Ethereum secp256k1)"),
		Tags:        []types.Tag{{TagKey: aws.String(TagCreatedBy), TagValue: aws.String(b.createdBy)}},
	}, b.withRetryer(b.createRetryer))
	if err != nil {
		return nil, kmsError("CreateKey", "", err)
	}
	if out.KeyMetadata == nil || aws.ToString(out.KeyMetadata.Arn) == "" {
		return nil, errors.New("awskms: CreateKey returned no key ARN")
	}
	arn := aws.ToString(out.KeyMetadata.Arn)
	rec, err := b.finishCreate(ctx, arn)
	if err != nil {
		return nil, fmt.Errorf("%w (KMS key %s was created; adopt it or schedule its deletion)", err, arn)
	}
	return rec, nil
}

// keyAddress reads the public key of arn and its Ethereum address.
func (b *Backend) keyAddress(ctx context.Context, arn string) ([]byte, common.Address, error) {
	pub, err := b.publicKey(ctx, arn)
	if err != nil {
		return nil, common.Address{}, err
	}
	addr, err := keys.PubkeyAddress(pub)
	if err != nil {
		return nil, common.Address{}, fmt.Errorf("awskms: key %s: %w", arn, err)
	}
	return pub, addr, nil
}

func (b *Backend) finishCreate(ctx context.Context, arn string) (*coffer.KeyRecord, error) {
	pub, addr, err := b.keyAddress(ctx, arn)
	if err != nil {
		return nil, err
	}
	lower := strings.ToLower(addr.Hex())
	if _, err := b.client.TagResource(ctx, &kms.TagResourceInput{
		KeyId: aws.String(arn),
		Tags:  []types.Tag{{TagKey: aws.String(TagAddress), TagValue: aws.String(lower)}},
	}, b.withRetryer(b.retryer)); err != nil {
		return nil, kmsError("TagResource", arn, err)
	}
	if err := b.createAlias(ctx, "alias/"+b.aliasPrefix+lower, arn); err != nil {
		return nil, err
	}
	return b.store(ctx, arn, addr, pub)
}

// createAlias is idempotent: a retried CreateAlias whose first attempt got
// through finds the alias already pointing at the key, which is success.
func (b *Backend) createAlias(ctx context.Context, alias, arn string) error {
	_, err := b.client.CreateAlias(ctx, &kms.CreateAliasInput{
		AliasName:   aws.String(alias),
		TargetKeyId: aws.String(arn),
	}, b.withRetryer(b.retryer))
	var exists *types.AlreadyExistsException
	if errors.As(err, &exists) {
		d, derr := b.client.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(alias)}, b.withRetryer(b.retryer))
		if derr == nil && d.KeyMetadata != nil && aws.ToString(d.KeyMetadata.Arn) == arn {
			return nil
		}
		return coffer.WrapError(coffer.ECONFLICT, err, "AWS KMS alias %s already names another key", alias)
	}
	if err != nil {
		return kmsError("CreateAlias", arn, err)
	}
	return nil
}

func (b *Backend) store(ctx context.Context, arn string, addr common.Address, pub []byte) (*coffer.KeyRecord, error) {
	id, err := newKeyID()
	if err != nil {
		return nil, err
	}
	rec := &coffer.KeyRecord{
		ID:        id,
		Backend:   coffer.BackendAWSKMS,
		Address:   addr,
		PublicKey: bytes.Clone(pub),
		Material:  []byte(arn),
		CreatedAt: time.Now().UTC(),
	}
	if err := b.ks.PutKey(ctx, rec); err != nil {
		return nil, fmt.Errorf("awskms: store key record: %w", err)
	}
	b.mu.Lock()
	b.arns[id] = arn
	b.mu.Unlock()
	return rec, nil
}

// Adopt brings an existing KMS key under coffer: keyID is anything KMS
// accepts (key id, key ARN, alias name or alias ARN). The key must be an
// enabled ECC_SECG_P256K1 SIGN_VERIFY key offering ECDSA_SHA_256. The record
// names the key by ARN, so a later change of an alias does not move it. The
// key itself is not modified (no tags or alias are added), so only
// kms:DescribeKey and kms:GetPublicKey are needed. Adopting a key that
// already has a record is ECONFLICT.
func (b *Backend) Adopt(ctx context.Context, keyID string) (*coffer.KeyRecord, error) {
	if keyID == "" {
		return nil, coffer.Errorf(coffer.EINVALID, "no AWS KMS key id")
	}
	d, err := b.client.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(keyID)}, b.withRetryer(b.retryer))
	if err != nil {
		return nil, kmsError("DescribeKey", keyID, err)
	}
	m := d.KeyMetadata
	if m == nil || aws.ToString(m.Arn) == "" {
		return nil, errors.New("awskms: DescribeKey returned no key metadata")
	}
	arn := aws.ToString(m.Arn)
	switch {
	case m.KeySpec != types.KeySpecEccSecgP256k1:
		return nil, coffer.Errorf(coffer.EINVALID, "AWS KMS key %s has key spec %s, want %s", arn, m.KeySpec, types.KeySpecEccSecgP256k1)
	case m.KeyUsage != types.KeyUsageTypeSignVerify:
		return nil, coffer.Errorf(coffer.EINVALID, "AWS KMS key %s has key usage %s, want %s", arn, m.KeyUsage, types.KeyUsageTypeSignVerify)
	case !m.Enabled || m.KeyState != types.KeyStateEnabled:
		return nil, coffer.Errorf(coffer.EFORBIDDEN, "AWS KMS key %s is %s, not enabled", arn, m.KeyState)
	case !hasAlgorithm(m.SigningAlgorithms, types.SigningAlgorithmSpecEcdsaSha256):
		return nil, coffer.Errorf(coffer.EINVALID, "AWS KMS key %s does not offer %s", arn, types.SigningAlgorithmSpecEcdsaSha256)
	}
	pub, addr, err := b.keyAddress(ctx, arn)
	if err != nil {
		return nil, err
	}
	recs, err := b.ks.Keys(ctx, coffer.BackendAWSKMS)
	if err != nil {
		return nil, fmt.Errorf("awskms: list key records: %w", err)
	}
	for _, r := range recs {
		if string(r.Material) == arn || r.Address == addr {
			return nil, coffer.Errorf(coffer.ECONFLICT, "AWS KMS key %s is already record %s", arn, r.ID)
		}
	}
	return b.store(ctx, arn, addr, pub)
}

func hasAlgorithm(algs []types.SigningAlgorithmSpec, want types.SigningAlgorithmSpec) bool {
	for _, a := range algs {
		if a == want {
			return true
		}
	}
	return false
}

// PublicKey returns the 65-byte uncompressed public key of keyID, as KMS
// reports it, after checking it against the record.
func (b *Backend) PublicKey(ctx context.Context, keyID string) ([]byte, error) {
	_, pub, err := b.resolve(ctx, keyID)
	if err != nil {
		return nil, err
	}
	return bytes.Clone(pub), nil
}

// SignDigest asks KMS to sign digest (MessageType DIGEST, ECDSA_SHA_256),
// then parses the DER signature strictly, folds s into the lower half, finds
// V by recovery and checks the result against the key.
func (b *Backend) SignDigest(ctx context.Context, keyID string, digest [32]byte) ([]byte, error) {
	arn, pub, err := b.resolve(ctx, keyID)
	if err != nil {
		return nil, err
	}
	out, err := b.client.Sign(ctx, &kms.SignInput{
		KeyId:            aws.String(arn),
		Message:          digest[:],
		MessageType:      types.MessageTypeDigest,
		SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256,
	}, b.withRetryer(b.retryer))
	if err != nil {
		return nil, kmsError("Sign", arn, err)
	}
	if got := aws.ToString(out.KeyId); got != "" && got != arn {
		return nil, fmt.Errorf("awskms: key %s: Sign answered for key %s", arn, got)
	}
	r, s, err := ParseDERSignature(out.Signature)
	if err != nil {
		// The signature itself is not logged: only its length.
		return nil, fmt.Errorf("awskms: key %s: KMS returned a malformed signature (%d bytes): %w", arn, len(out.Signature), err)
	}
	sig, err := keys.FromRS(digest, r, s, pub)
	if err != nil {
		return nil, fmt.Errorf("awskms: key %s: signature check failed: %w", arn, err)
	}
	return sig, nil
}

// resolve maps a record ID to its key ARN and public key. The first time, it
// checks that the key KMS holds under that ARN is the one the record names.
func (b *Backend) resolve(ctx context.Context, keyID string) (arn string, pub []byte, err error) {
	b.mu.RLock()
	arn, ok := b.arns[keyID]
	if ok {
		pub = b.pubs[arn]
	}
	b.mu.RUnlock()
	if ok && pub != nil {
		return arn, pub, nil
	}
	rec, err := b.ks.Key(ctx, keyID)
	if err != nil {
		if coffer.IsNotFound(err) {
			return "", nil, coffer.Errorf(coffer.ENOTFOUND, "key %q not found", keyID)
		}
		return "", nil, fmt.Errorf("awskms: load key %s: %w", keyID, err)
	}
	if rec.Backend != coffer.BackendAWSKMS {
		return "", nil, coffer.Errorf(coffer.ENOTFOUND, "key %q is not an AWS KMS key", keyID)
	}
	arn = string(rec.Material)
	if !strings.HasPrefix(arn, "arn:") {
		return "", nil, fmt.Errorf("awskms: key %s: record holds no key ARN", keyID)
	}
	pub, err = b.publicKey(ctx, arn)
	if err != nil {
		return "", nil, err
	}
	if !bytes.Equal(pub, rec.PublicKey) {
		return "", nil, fmt.Errorf("awskms: key %s: KMS key %s does not match the record's public key", keyID, arn)
	}
	if addr, err := keys.PubkeyAddress(pub); err != nil || addr != rec.Address {
		return "", nil, fmt.Errorf("awskms: key %s: KMS key %s does not match the record's address", keyID, arn)
	}
	b.mu.Lock()
	b.arns[keyID] = arn
	b.mu.Unlock()
	return arn, pub, nil
}

// publicKey fetches and strictly parses the public key of arn, once.
func (b *Backend) publicKey(ctx context.Context, arn string) ([]byte, error) {
	b.mu.RLock()
	pub := b.pubs[arn]
	b.mu.RUnlock()
	if pub != nil {
		return pub, nil
	}
	out, err := b.client.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: aws.String(arn)}, b.withRetryer(b.retryer))
	if err != nil {
		return nil, kmsError("GetPublicKey", arn, err)
	}
	if out.KeySpec != types.KeySpecEccSecgP256k1 || out.KeyUsage != types.KeyUsageTypeSignVerify {
		return nil, coffer.Errorf(coffer.EINVALID, "AWS KMS key %s is %s/%s, want %s/%s", arn, out.KeySpec, out.KeyUsage, types.KeySpecEccSecgP256k1, types.KeyUsageTypeSignVerify)
	}
	pub, err = ParseSPKI(out.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("awskms: key %s: %w", arn, err)
	}
	b.mu.Lock()
	b.pubs[arn] = pub
	b.mu.Unlock()
	return pub, nil
}

// kmsError turns an SDK error into a coffer error: what an operator can act
// on gets a code and a clear message, the SDK error stays as the cause.
func kmsError(op, key string, err error) error {
	what := "AWS KMS key " + key
	if key == "" {
		what = "AWS KMS"
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return coffer.WrapError(coffer.EUNAVAILABLE, err, "%s: %s interrupted", what, op)
	}
	var (
		notFound  *types.NotFoundException
		disabled  *types.DisabledException
		badState  *types.KMSInvalidStateException
		badUsage  *types.InvalidKeyUsageException
		quota     *ratelimit.QuotaExceededError
		sendErr   *smithyhttp.RequestSendError
		maxed     *retry.MaxAttemptsError
		transient *types.KMSInternalException
		apiErr    smithy.APIError
	)
	switch {
	case errors.As(err, &notFound):
		return coffer.WrapError(coffer.ENOTFOUND, err, "%s not found", what)
	case errors.As(err, &disabled):
		return coffer.WrapError(coffer.EFORBIDDEN, err, "%s is disabled: enable it in AWS KMS to use it", what)
	case errors.As(err, &badState):
		return coffer.WrapError(coffer.EFORBIDDEN, err, "%s cannot be used in its current state (pending deletion or import?)", what)
	case errors.As(err, &badUsage):
		return coffer.WrapError(coffer.EINVALID, err, "%s is not a signing key for ECDSA_SHA_256", what)
	case errors.As(err, &apiErr) && apiErr.ErrorCode() == "AccessDeniedException":
		return coffer.WrapError(coffer.EFORBIDDEN, err, "coffer's AWS identity may not call kms:%s on %s", op, what)
	case errors.As(err, &quota), errors.As(err, &sendErr), errors.As(err, &maxed), errors.As(err, &transient):
		return coffer.WrapError(coffer.EUNAVAILABLE, err, "%s: %s unavailable, try again later", what, op)
	case errors.As(err, &apiErr):
		if _, ok := retry.DefaultThrottleErrorCodes[apiErr.ErrorCode()]; ok {
			return coffer.WrapError(coffer.EUNAVAILABLE, err, "%s: %s throttled, try again later", what, op)
		}
		if _, ok := transientCodes[apiErr.ErrorCode()]; ok {
			return coffer.WrapError(coffer.EUNAVAILABLE, err, "%s: %s unavailable, try again later", what, op)
		}
	}
	return fmt.Errorf("awskms: %s %s: %w", op, key, err)
}

func newKeyID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return "ak_" + hex.EncodeToString(b[:]), nil
}

// NewClient returns a KMS client for region ("" = the SDK's default chain)
// and an optional endpoint override, with the default credential chain.
func NewClient(ctx context.Context, region, endpoint string) (*kms.Client, error) {
	var opts []func(*config.LoadOptions) error
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("awskms: load AWS configuration: %w", err)
	}
	return kms.NewFromConfig(awsCfg, func(o *kms.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	}), nil
}
