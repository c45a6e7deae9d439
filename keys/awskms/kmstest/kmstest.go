// Package kmstest is an in-process stand-in for AWS KMS that speaks the real
// wire protocol (AWS JSON 1.1 over HTTP: POST /, X-Amz-Target:
// TrentService.<Op>, base64 blobs, {"__type": ..., "message": ...} errors), so
// tests drive it with the real aws-sdk-go-v2 KMS client. It holds real keys:
// secp256k1 and P-256 signing keys return real DER SubjectPublicKeyInfo and
// DER ECDSA signatures (secp256k1 signatures come back with a high s about
// half of the time, as real KMS ones do), and symmetric keys really encrypt
// with AES-256-GCM bound to the encryption context.
//
// Supported operations: CreateKey, DescribeKey, GetPublicKey, Sign,
// CreateAlias, ListAliases, TagResource, ListResourceTags, DisableKey,
// EnableKey, Encrypt, Decrypt and GenerateDataKey. Faults are injected with
// FailNext; calls are counted per operation.
//
// It checks that every request carries a SigV4 Authorization header scoped to
// the "kms" service, but does not verify the signature itself.
package kmstest

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/ethereum/go-ethereum/crypto"
)

const (
	// Region is the region the server's ARNs name and Client configures.
	Region = "us-east-1"
	// Account is the account id in the server's ARNs.
	Account = "111122223333"
)

// Server is a fake KMS endpoint. Create it with NewServer and Close it when done.
type Server struct {
	*httptest.Server

	mu      sync.Mutex
	keys    map[string]*key   // by key id (a UUID)
	aliases map[string]string // alias name ("alias/...") -> key id
	calls   map[string]int
	faults  []fault
	// MutateSignature, when set, rewrites every DER signature Sign returns
	// (to test that clients reject bad ones). Set it before use.
	MutateSignature func(der []byte) []byte
}

type fault struct {
	op   string // "" matches every operation
	code string
	left int
}

type key struct {
	id, arn     string
	spec, usage string
	enabled     bool
	created     time.Time
	description string
	tags        map[string]string
	k1          *ecdsa.PrivateKey // secp256k1 (go-ethereum)
	p256        *ecdsa.PrivateKey
	sym         []byte
}

// NewServer starts a server on a loopback port.
func NewServer() *Server {
	s := &Server{
		keys:    make(map[string]*key),
		aliases: make(map[string]string),
		calls:   make(map[string]int),
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	return s
}

// Client returns a real aws-sdk-go-v2 KMS client pointed at s with static
// credentials. optFns adjust its options (retries, for example).
func (s *Server) Client(optFns ...func(*kms.Options)) *kms.Client {
	opts := kms.Options{
		Region:       Region,
		BaseEndpoint: aws.String(s.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDKMSTEST", "kmstest-secret", ""),
		HTTPClient:   s.Server.Client(),
	}
	return kms.New(opts, optFns...)
}

// DropConnection, given to FailNext as the code, makes the server close the
// connection without answering: a transport error for the client.
const DropConnection = "kmstest:drop-connection"

// FailNext makes the next n calls of op ("" for any operation) fail with the
// AWS error code, for example "ThrottlingException" or "KMSInternalException"
// (sent with HTTP 500, as KMS does; everything else with 400), or with
// DropConnection.
func (s *Server) FailNext(op, code string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, fault{op: op, code: code, left: n})
}

// Calls returns how many requests for op the server has received, failed ones
// included.
func (s *Server) Calls(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[op]
}

// SetEnabled enables or disables a key (any identifier KMS accepts), like the
// EnableKey and DisableKey operations.
func (s *Server) SetEnabled(keyID string, enabled bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, err := s.lookup(keyID)
	if err != nil {
		return err
	}
	k.enabled = enabled
	return nil
}

// Tags returns a copy of the tags of a key.
func (s *Server) Tags(keyID string) (map[string]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, err := s.lookup(keyID)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(k.tags))
	for n, v := range k.tags {
		out[n] = v
	}
	return out, nil
}

// KeyCount returns how many keys exist.
func (s *Server) KeyCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.keys)
}

// apiError is an AWS JSON error.
type apiError struct {
	status int
	code   string
	msg    string
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

func errf(code, format string, args ...any) *apiError {
	st := http.StatusBadRequest
	switch code {
	case "KMSInternalException", "KeyUnavailableException":
		st = http.StatusInternalServerError
	case "DependencyTimeoutException":
		st = http.StatusServiceUnavailable
	}
	return &apiError{status: st, code: code, msg: fmt.Sprintf(format, args...)}
}

var credentialRE = regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=[^/,\s]+/\d{8}/[a-z0-9-]+/([a-z0-9-]+)/aws4_request, ?SignedHeaders=[a-z0-9;-]+, ?Signature=[0-9a-f]{64}$`)

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	op, body, aerr := s.checkRequest(r)
	if aerr == nil {
		s.mu.Lock()
		s.calls[op]++
		aerr = s.takeFault(op)
		s.mu.Unlock()
	}
	var out any
	if aerr == nil {
		out, aerr = s.dispatch(op, body)
	}
	if aerr != nil && aerr.code == DropConnection {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Requestid", newUUID())
	if aerr != nil {
		w.WriteHeader(aerr.status)
		json.NewEncoder(w).Encode(map[string]string{"__type": aerr.code, "message": aerr.msg})
		return
	}
	json.NewEncoder(w).Encode(out)
}

func (s *Server) checkRequest(r *http.Request) (op string, body []byte, aerr *apiError) {
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		return "", nil, errf("UnknownOperationException", "want POST /")
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		return "", nil, errf("SerializationException", "content type %q, want application/x-amz-json-1.1", ct)
	}
	target := r.Header.Get("X-Amz-Target")
	op, ok := strings.CutPrefix(target, "TrentService.")
	if !ok || op == "" {
		return "", nil, errf("UnknownOperationException", "bad X-Amz-Target %q", target)
	}
	auth := r.Header.Get("Authorization")
	m := credentialRE.FindStringSubmatch(auth)
	if m == nil {
		return "", nil, errf("MissingAuthenticationTokenException", "request is not signed with SigV4")
	}
	if m[1] != "kms" {
		return "", nil, errf("InvalidSignatureException", "credential scope names service %q, want kms", m[1])
	}
	if r.Header.Get("X-Amz-Date") == "" {
		return "", nil, errf("IncompleteSignatureException", "no X-Amz-Date")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return "", nil, errf("SerializationException", "read body: %v", err)
	}
	return op, body, nil
}

func (s *Server) takeFault(op string) *apiError {
	for i := range s.faults {
		f := &s.faults[i]
		if f.left > 0 && (f.op == "" || f.op == op) {
			f.left--
			return errf(f.code, "injected fault")
		}
	}
	return nil
}

func (s *Server) dispatch(op string, body []byte) (any, *apiError) {
	dec := func(v any) *apiError {
		d := json.NewDecoder(bytes.NewReader(body))
		d.DisallowUnknownFields()
		if err := d.Decode(v); err != nil {
			return errf("SerializationException", "%s: %v", op, err)
		}
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch op {
	case "CreateKey":
		var in createKeyIn
		if e := dec(&in); e != nil {
			return nil, e
		}
		return s.createKey(&in)
	case "DescribeKey":
		var in keyIDIn
		if e := dec(&in); e != nil {
			return nil, e
		}
		k, e := s.lookup(in.KeyID)
		if e != nil {
			return nil, e
		}
		return map[string]any{"KeyMetadata": k.metadata()}, nil
	case "GetPublicKey":
		var in keyIDIn
		if e := dec(&in); e != nil {
			return nil, e
		}
		return s.getPublicKey(in.KeyID)
	case "Sign":
		var in signIn
		if e := dec(&in); e != nil {
			return nil, e
		}
		return s.sign(&in)
	case "CreateAlias":
		var in struct{ AliasName, TargetKeyId string }
		if e := dec(&in); e != nil {
			return nil, e
		}
		return s.createAlias(in.AliasName, in.TargetKeyId)
	case "ListAliases":
		var in struct {
			KeyId  string
			Limit  int
			Marker string
		}
		if e := dec(&in); e != nil {
			return nil, e
		}
		return s.listAliases(in.KeyId)
	case "TagResource":
		var in struct {
			KeyId string
			Tags  []tag
		}
		if e := dec(&in); e != nil {
			return nil, e
		}
		k, e := s.lookup(in.KeyId)
		if e != nil {
			return nil, e
		}
		for _, t := range in.Tags {
			k.tags[t.TagKey] = t.TagValue
		}
		return struct{}{}, nil
	case "ListResourceTags":
		var in struct {
			KeyId  string
			Limit  int
			Marker string
		}
		if e := dec(&in); e != nil {
			return nil, e
		}
		k, e := s.lookup(in.KeyId)
		if e != nil {
			return nil, e
		}
		return map[string]any{"Tags": sortedTags(k.tags), "Truncated": false}, nil
	case "DisableKey", "EnableKey":
		var in keyIDIn
		if e := dec(&in); e != nil {
			return nil, e
		}
		k, e := s.lookup(in.KeyID)
		if e != nil {
			return nil, e
		}
		k.enabled = op == "EnableKey"
		return struct{}{}, nil
	case "Encrypt":
		var in encryptIn
		if e := dec(&in); e != nil {
			return nil, e
		}
		return s.encrypt(&in)
	case "Decrypt":
		var in decryptIn
		if e := dec(&in); e != nil {
			return nil, e
		}
		return s.decrypt(&in)
	case "GenerateDataKey":
		var in generateDataKeyIn
		if e := dec(&in); e != nil {
			return nil, e
		}
		return s.generateDataKey(&in)
	}
	return nil, errf("UnknownOperationException", "kmstest does not implement %s", op)
}

type tag struct{ TagKey, TagValue string }

type keyIDIn struct {
	KeyID       string `json:"KeyId"`
	GrantTokens []string
}

type createKeyIn struct {
	KeySpec               string
	KeyUsage              string
	CustomerMasterKeySpec string
	Description           string
	Tags                  []tag
	Origin                string
	MultiRegion           bool
	Policy                string

	BypassPolicyLockoutSafetyCheck bool
}

type signIn struct {
	KeyID            string `json:"KeyId"`
	Message          []byte
	MessageType      string
	SigningAlgorithm string
	GrantTokens      []string
	DryRun           bool
}

type encryptIn struct {
	KeyID               string `json:"KeyId"`
	Plaintext           []byte
	EncryptionContext   map[string]string
	EncryptionAlgorithm string
	GrantTokens         []string
	DryRun              bool
}

type decryptIn struct {
	KeyID               string `json:"KeyId"`
	CiphertextBlob      []byte
	EncryptionContext   map[string]string
	EncryptionAlgorithm string
	GrantTokens         []string
	DryRun              bool
}

type generateDataKeyIn struct {
	KeyID             string `json:"KeyId"`
	KeySpec           string
	NumberOfBytes     int
	EncryptionContext map[string]string
	GrantTokens       []string
	DryRun            bool
}

func (s *Server) createKey(in *createKeyIn) (any, *apiError) {
	spec := in.KeySpec
	if spec == "" {
		spec = in.CustomerMasterKeySpec
	}
	if spec == "" {
		spec = "SYMMETRIC_DEFAULT"
	}
	usage := in.KeyUsage
	if usage == "" {
		usage = "ENCRYPT_DECRYPT"
	}
	id := newUUID()
	k := &key{
		id:          id,
		arn:         fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", Region, Account, id),
		spec:        spec,
		usage:       usage,
		enabled:     true,
		created:     time.Now(),
		description: in.Description,
		tags:        make(map[string]string),
	}
	var err error
	switch {
	case spec == "ECC_SECG_P256K1" && usage == "SIGN_VERIFY":
		k.k1, err = crypto.GenerateKey()
	case spec == "ECC_NIST_P256" && usage == "SIGN_VERIFY":
		k.p256, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case spec == "SYMMETRIC_DEFAULT" && usage == "ENCRYPT_DECRYPT":
		k.sym = make([]byte, 32)
		_, err = rand.Read(k.sym)
	default:
		return nil, errf("ValidationException", "kmstest does not support KeySpec %s with KeyUsage %s", spec, usage)
	}
	if err != nil {
		return nil, errf("KMSInternalException", "generate key: %v", err)
	}
	for _, t := range in.Tags {
		k.tags[t.TagKey] = t.TagValue
	}
	s.keys[id] = k
	return map[string]any{"KeyMetadata": k.metadata()}, nil
}

func (k *key) metadata() map[string]any {
	state := "Enabled"
	if !k.enabled {
		state = "Disabled"
	}
	m := map[string]any{
		"AWSAccountId":          Account,
		"KeyId":                 k.id,
		"Arn":                   k.arn,
		"CreationDate":          float64(k.created.UnixMilli()) / 1000,
		"Enabled":               k.enabled,
		"Description":           k.description,
		"KeyUsage":              k.usage,
		"KeyState":              state,
		"Origin":                "AWS_KMS",
		"KeyManager":            "CUSTOMER",
		"KeySpec":               k.spec,
		"CustomerMasterKeySpec": k.spec,
		"MultiRegion":           false,
	}
	if k.usage == "SIGN_VERIFY" {
		m["SigningAlgorithms"] = []string{"ECDSA_SHA_256"}
	} else {
		m["EncryptionAlgorithms"] = []string{"SYMMETRIC_DEFAULT"}
	}
	return m
}

// lookup resolves a key id, key ARN, alias name or alias ARN.
func (s *Server) lookup(id string) (*key, *apiError) {
	if id == "" {
		return nil, errf("ValidationException", "KeyId is required")
	}
	name := id
	if strings.HasPrefix(id, "arn:") {
		parts := strings.SplitN(id, ":", 6)
		if len(parts) != 6 || parts[2] != "kms" {
			return nil, errf("InvalidArnException", "malformed ARN %q", id)
		}
		name = parts[5] // key/<id> or alias/<name>
		if kid, ok := strings.CutPrefix(name, "key/"); ok {
			if k := s.keys[kid]; k != nil && k.arn == id {
				return k, nil
			}
			return nil, errf("NotFoundException", "Key '%s' does not exist", id)
		}
	}
	if strings.HasPrefix(name, "alias/") {
		kid, ok := s.aliases[name]
		if !ok {
			return nil, errf("NotFoundException", "Alias '%s' is not found.", id)
		}
		return s.keys[kid], nil
	}
	if k := s.keys[name]; k != nil {
		return k, nil
	}
	return nil, errf("NotFoundException", "Key '%s' does not exist", id)
}

// usable is lookup plus the checks every cryptographic operation makes.
func (s *Server) usable(id string, wantSign bool) (*key, *apiError) {
	k, e := s.lookup(id)
	if e != nil {
		return nil, e
	}
	if !k.enabled {
		return nil, errf("DisabledException", "%s is disabled.", k.arn)
	}
	if wantSign != (k.usage == "SIGN_VERIFY") {
		return nil, errf("InvalidKeyUsageException", "%s key usage is %s", k.arn, k.usage)
	}
	return k, nil
}

var (
	oidECPublicKey = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidSecp256k1   = asn1.ObjectIdentifier{1, 3, 132, 0, 10}
)

// SPKISecp256k1 returns the DER SubjectPublicKeyInfo KMS returns for a
// secp256k1 key: SEQUENCE { SEQUENCE { id-ecPublicKey, secp256k1 }, BIT STRING point }.
func SPKISecp256k1(pub *ecdsa.PublicKey) []byte {
	type algorithm struct {
		Algorithm, Curve asn1.ObjectIdentifier
	}
	type spki struct {
		Algorithm algorithm
		PublicKey asn1.BitString
	}
	point := crypto.FromECDSAPub(pub)
	der, err := asn1.Marshal(spki{
		Algorithm: algorithm{oidECPublicKey, oidSecp256k1},
		PublicKey: asn1.BitString{Bytes: point, BitLength: 8 * len(point)},
	})
	if err != nil {
		panic(err)
	}
	return der
}

func (s *Server) getPublicKey(id string) (any, *apiError) {
	// Like KMS, GetPublicKey needs the key enabled.
	k, e := s.usable(id, true)
	if e != nil {
		return nil, e
	}
	var der []byte
	switch {
	case k.k1 != nil:
		der = SPKISecp256k1(&k.k1.PublicKey)
	case k.p256 != nil:
		var err error
		if der, err = x509.MarshalPKIXPublicKey(&k.p256.PublicKey); err != nil {
			return nil, errf("KMSInternalException", "%v", err)
		}
	}
	return map[string]any{
		"KeyId":                 k.arn,
		"PublicKey":             der,
		"KeySpec":               k.spec,
		"CustomerMasterKeySpec": k.spec,
		"KeyUsage":              k.usage,
		"SigningAlgorithms":     []string{"ECDSA_SHA_256"},
	}, nil
}

var secp256k1N = crypto.S256().Params().N

func (s *Server) sign(in *signIn) (any, *apiError) {
	k, e := s.usable(in.KeyID, true)
	if e != nil {
		return nil, e
	}
	if in.SigningAlgorithm != "ECDSA_SHA_256" {
		return nil, errf("InvalidKeyUsageException", "signing algorithm %q is not valid for %s", in.SigningAlgorithm, k.arn)
	}
	var digest []byte
	switch in.MessageType {
	case "RAW", "":
		if len(in.Message) == 0 || len(in.Message) > 4096 {
			return nil, errf("ValidationException", "Message must be 1 to 4096 bytes")
		}
		sum := sha256.Sum256(in.Message)
		digest = sum[:]
	case "DIGEST":
		if len(in.Message) != 32 {
			return nil, errf("ValidationException", "Digest is invalid length for algorithm ECDSA_SHA_256.")
		}
		digest = in.Message
	default:
		return nil, errf("ValidationException", "bad MessageType %q", in.MessageType)
	}
	var der []byte
	switch {
	case k.k1 != nil:
		sig, err := crypto.Sign(digest, k.k1)
		if err != nil {
			return nil, errf("KMSInternalException", "sign: %v", err)
		}
		r := new(big.Int).SetBytes(sig[:32])
		sv := new(big.Int).SetBytes(sig[32:64])
		// crypto.Sign returns low s; KMS does not normalise, so hand out
		// the other, equally valid, s half of the time.
		var coin [1]byte
		rand.Read(coin[:])
		if coin[0]&1 == 1 {
			sv.Sub(secp256k1N, sv)
		}
		der = DERSignature(r, sv)
	case k.p256 != nil:
		var err error
		if der, err = ecdsa.SignASN1(rand.Reader, k.p256, digest); err != nil {
			return nil, errf("KMSInternalException", "sign: %v", err)
		}
	}
	if s.MutateSignature != nil {
		der = s.MutateSignature(der)
	}
	return map[string]any{"KeyId": k.arn, "Signature": der, "SigningAlgorithm": "ECDSA_SHA_256"}, nil
}

// DERSignature encodes (r, s) as a DER ECDSA-Sig-Value.
func DERSignature(r, s *big.Int) []byte {
	der, err := asn1.Marshal(struct{ R, S *big.Int }{r, s})
	if err != nil {
		panic(err)
	}
	return der
}

var aliasRE = regexp.MustCompile(`^alias/[a-zA-Z0-9/_-]{1,250}$`)

func (s *Server) createAlias(name, target string) (any, *apiError) {
	if !aliasRE.MatchString(name) || strings.HasPrefix(name, "alias/aws/") {
		return nil, errf("InvalidAliasNameException", "alias name %q is not valid", name)
	}
	if _, taken := s.aliases[name]; taken {
		return nil, errf("AlreadyExistsException", "An alias with the name arn:aws:kms:%s:%s:%s already exists", Region, Account, name)
	}
	if strings.HasPrefix(target, "alias/") || strings.Contains(target, ":alias/") {
		return nil, errf("ValidationException", "TargetKeyId must be a key id or key ARN")
	}
	k, e := s.lookup(target)
	if e != nil {
		return nil, e
	}
	s.aliases[name] = k.id
	return struct{}{}, nil
}

func (s *Server) listAliases(keyID string) (any, *apiError) {
	var only string
	if keyID != "" {
		k, e := s.lookup(keyID)
		if e != nil {
			return nil, e
		}
		only = k.id
	}
	names := make([]string, 0, len(s.aliases))
	for n, kid := range s.aliases {
		if only == "" || kid == only {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	list := make([]map[string]any, 0, len(names))
	for _, n := range names {
		list = append(list, map[string]any{
			"AliasName":   n,
			"AliasArn":    fmt.Sprintf("arn:aws:kms:%s:%s:%s", Region, Account, n),
			"TargetKeyId": s.aliases[n],
		})
	}
	return map[string]any{"Aliases": list, "Truncated": false}, nil
}

// Ciphertext blobs are keyID (36 bytes) || nonce || AES-GCM ciphertext, with
// the canonical encryption context as additional data.
func contextAAD(ec map[string]string) []byte {
	names := make([]string, 0, len(ec))
	for n := range ec {
		names = append(names, n)
	}
	sort.Strings(names)
	var b bytes.Buffer
	for _, n := range names {
		fmt.Fprintf(&b, "%d:%s%d:%s", len(n), n, len(ec[n]), ec[n])
	}
	return b.Bytes()
}

func (k *key) aead() cipher.AEAD {
	block, err := aes.NewCipher(k.sym)
	if err != nil {
		panic(err)
	}
	g, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return g
}

func (k *key) seal(plain []byte, ec map[string]string) []byte {
	g := k.aead()
	out := append([]byte(k.id), make([]byte, g.NonceSize())...)
	rand.Read(out[len(k.id):])
	return g.Seal(out, out[len(k.id):], plain, contextAAD(ec))
}

func (s *Server) encrypt(in *encryptIn) (any, *apiError) {
	k, e := s.usable(in.KeyID, false)
	if e != nil {
		return nil, e
	}
	if len(in.Plaintext) == 0 || len(in.Plaintext) > 4096 {
		return nil, errf("ValidationException", "Plaintext must be 1 to 4096 bytes")
	}
	return map[string]any{"KeyId": k.arn, "CiphertextBlob": k.seal(in.Plaintext, in.EncryptionContext), "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"}, nil
}

func (s *Server) decrypt(in *decryptIn) (any, *apiError) {
	blob := in.CiphertextBlob
	if len(blob) < 36+12+16 {
		return nil, errf("InvalidCiphertextException", "")
	}
	k := s.keys[string(blob[:36])]
	if k == nil {
		return nil, errf("InvalidCiphertextException", "")
	}
	if in.KeyID != "" {
		want, e := s.lookup(in.KeyID)
		if e != nil {
			return nil, e
		}
		if want != k {
			return nil, errf("IncorrectKeyException", "The key ID in the request does not identify a CMK that can perform this operation.")
		}
	}
	if !k.enabled {
		return nil, errf("DisabledException", "%s is disabled.", k.arn)
	}
	g := k.aead()
	plain, err := g.Open(nil, blob[36:36+g.NonceSize()], blob[36+g.NonceSize():], contextAAD(in.EncryptionContext))
	if err != nil {
		return nil, errf("InvalidCiphertextException", "")
	}
	return map[string]any{"KeyId": k.arn, "Plaintext": plain, "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"}, nil
}

func (s *Server) generateDataKey(in *generateDataKeyIn) (any, *apiError) {
	k, e := s.usable(in.KeyID, false)
	if e != nil {
		return nil, e
	}
	n := in.NumberOfBytes
	switch {
	case in.KeySpec == "AES_256" && n == 0:
		n = 32
	case in.KeySpec == "AES_128" && n == 0:
		n = 16
	case in.KeySpec == "" && n >= 1 && n <= 1024:
	default:
		return nil, errf("ValidationException", "give KeySpec or NumberOfBytes (1-1024)")
	}
	plain := make([]byte, n)
	rand.Read(plain)
	return map[string]any{"KeyId": k.arn, "Plaintext": plain, "CiphertextBlob": k.seal(plain, in.EncryptionContext)}, nil
}

func sortedTags(tags map[string]string) []tag {
	out := make([]tag, 0, len(tags))
	for n, v := range tags {
		out = append(out, tag{n, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].TagKey < out[j].TagKey })
	return out
}

func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
