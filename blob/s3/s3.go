// Package s3 is a coffer.Blob on Amazon S3 or any S3-compatible store
// (MinIO, Ceph RGW, Cloudflare R2, ...).
//
// The object for key k is stored as Prefix+k with k's content type as the
// object's Content-Type. Timeouts and cancellation come from the caller's
// context; the SDK's own retries apply within it.
package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/blob"
)

// Config says where the blobs live and how to reach them.
type Config struct {
	Bucket string
	// Prefix is prepended to every key, e.g. "coffer/" to share a bucket. A
	// missing trailing "/" is added; a leading "/" is dropped.
	Prefix string
	// Region is the bucket's region. Empty uses the AWS chain (AWS_REGION,
	// shared config) and, with a custom Endpoint, finally "us-east-1", which
	// S3-compatible stores generally accept.
	Region string
	// Endpoint is the base URL of an S3-compatible store, e.g.
	// "http://minio:9000". Empty means AWS S3.
	Endpoint string
	// PathStyle addresses objects as <endpoint>/<bucket>/<key> instead of
	// the virtual-hosted <bucket>.<endpoint host>/<key>. Most self-hosted
	// stores need it.
	PathStyle bool
	// AccessKeyID and SecretAccessKey are static credentials; when both are
	// empty the default AWS chain is used (environment, shared files, IAM role).
	AccessKeyID     string
	SecretAccessKey string

	// httpClient replaces the SDK's HTTP client; tests use it to route
	// virtual-hosted names to a local server.
	httpClient aws.HTTPClient
}

// Store keeps blobs in one bucket. It is safe for concurrent use.
type Store struct {
	client *awss3.Client
	bucket string
	prefix string
}

var _ coffer.Blob = (*Store)(nil)

// New returns a Store for cfg. It does not contact the bucket; ctx bounds
// loading the AWS configuration (which may query instance metadata).
func New(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Bucket == "" {
		return nil, coffer.Errorf(coffer.EINVALID, "s3 bucket is empty")
	}
	if (cfg.AccessKeyID == "") != (cfg.SecretAccessKey == "") {
		return nil, coffer.Errorf(coffer.EINVALID, "s3 access key id and secret access key must be given together")
	}
	prefix := strings.TrimLeft(cfg.Prefix, "/")
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	if len(prefix)+blob.MaxKeyLen > 1024 {
		return nil, coffer.Errorf(coffer.EINVALID, "s3 prefix is too long: keys would exceed S3's 1024 bytes")
	}

	var opts []func(*config.LoadOptions) error
	if cfg.Region != "" {
		opts = append(opts, config.WithRegion(cfg.Region))
	}
	if cfg.AccessKeyID != "" {
		opts = append(opts, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, "")))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("blob/s3: load aws config: %w", err)
	}
	if awsCfg.Region == "" {
		if cfg.Endpoint == "" {
			return nil, coffer.Errorf(coffer.EINVALID, "s3 region is not set (config or AWS_REGION)")
		}
		awsCfg.Region = "us-east-1"
	}

	client := awss3.NewFromConfig(awsCfg, func(o *awss3.Options) {
		o.UsePathStyle = cfg.PathStyle
		if cfg.httpClient != nil {
			o.HTTPClient = cfg.httpClient
		}
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
			// The SDK's default CRC trailers (aws-chunked uploads) are not
			// understood by many S3-compatible stores; send checksums only
			// where the API demands them.
			o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
			o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		}
	})
	return &Store{client: client, bucket: cfg.Bucket, prefix: prefix}, nil
}

// Put stores data under key, replacing any previous object. S3 makes the new
// object visible whole or not at all.
func (s *Store) Put(ctx context.Context, key string, data []byte, contentType string) error {
	if err := blob.ValidKey(key); err != nil {
		return err
	}
	ct, err := blob.ContentType(contentType)
	if err != nil {
		return err
	}
	_, err = s.client.PutObject(ctx, &awss3.PutObjectInput{
		Bucket:        aws.String(s.bucket),
		Key:           aws.String(s.prefix + key),
		Body:          bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))),
		ContentType:   aws.String(ct),
	})
	if err != nil {
		return s.wrap("put", key, err)
	}
	return nil
}

// Get returns the data and content type stored under key.
func (s *Store) Get(ctx context.Context, key string) ([]byte, string, error) {
	if err := blob.ValidKey(key); err != nil {
		return nil, "", err
	}
	out, err := s.client.GetObject(ctx, &awss3.GetObjectInput{
		Bucket: aws.String(s.bucket),
		Key:    aws.String(s.prefix + key),
	})
	if err != nil {
		return nil, "", s.wrap("get", key, err)
	}
	defer out.Body.Close()
	size := 0
	if out.ContentLength != nil && *out.ContentLength > 0 && *out.ContentLength < 1<<30 {
		size = int(*out.ContentLength)
	}
	buf := bytes.NewBuffer(make([]byte, 0, size+bytes.MinRead))
	if _, err := buf.ReadFrom(out.Body); err != nil {
		return nil, "", s.wrap("get", key, err)
	}
	if out.ContentLength != nil && int64(buf.Len()) != *out.ContentLength {
		return nil, "", fmt.Errorf("blob/s3: get %q: read %d bytes, want %d", key, buf.Len(), *out.ContentLength)
	}
	ct := aws.ToString(out.ContentType)
	if ct == "" {
		ct = blob.DefaultContentType
	}
	return buf.Bytes(), ct, nil
}

// Delete removes key; a missing key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := blob.ValidKey(key); err != nil {
		return err
	}
	_, err := s.client.DeleteObject(ctx, &awss3.DeleteObjectInput{
		Bucket: aws.String(s.bucket),
		Key:    aws.String(s.prefix + key),
	})
	if err != nil {
		// S3 answers 204 for a missing key, but not every compatible store does.
		if err := s.wrap("delete", key, err); !coffer.IsNotFound(err) {
			return err
		}
	}
	return nil
}

// wrap maps an SDK error to coffer's codes: a missing object is ENOTFOUND,
// throttling and server trouble EUNAVAILABLE; context errors stay findable
// with errors.Is. A missing bucket is a deployment mistake, so it stays
// internal rather than looking like a missing object.
func (s *Store) wrap(op, key string, err error) error {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "NoSuchKey", "NotFound":
			return coffer.Errorf(coffer.ENOTFOUND, "blob %q not found", key)
		case "NoSuchBucket":
			return fmt.Errorf("blob/s3: %s %q: bucket %q does not exist: %w", op, key, s.bucket, err)
		case "SlowDown", "RequestLimitExceeded", "ServiceUnavailable", "InternalError":
			return coffer.WrapError(coffer.EUNAVAILABLE, err, "blob store unavailable")
		}
	}
	var nsk *types.NoSuchKey
	if errors.As(err, &nsk) {
		return coffer.Errorf(coffer.ENOTFOUND, "blob %q not found", key)
	}
	var respErr *smithyhttp.ResponseError
	if errors.As(err, &respErr) {
		switch code := respErr.HTTPStatusCode(); {
		case code == http.StatusNotFound && (apiErr == nil || apiErr.ErrorCode() == ""):
			return coffer.Errorf(coffer.ENOTFOUND, "blob %q not found", key)
		case code >= 500 || code == http.StatusTooManyRequests:
			return coffer.WrapError(coffer.EUNAVAILABLE, err, "blob store unavailable")
		}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return coffer.WrapError(coffer.EUNAVAILABLE, err, "blob store connection broke")
	}
	return fmt.Errorf("blob/s3: %s %q: %w", op, key, err)
}
