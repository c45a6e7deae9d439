package s3

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/blob/blobtest"
)

const bucket = "coffer-test"

// request is what the fake server saw, before gofakes3 rewrote anything.
type request struct {
	Method, Host, Path, Auth string
}

type fake struct {
	srv     *httptest.Server
	backend *s3mem.Backend

	mu   sync.Mutex
	reqs []request
}

func (f *fake) requests() []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]request(nil), f.reqs...)
}

// newFake starts an in-memory S3 with the test bucket. With hostBucket it
// routes by the bucket in the Host header (virtual-hosted addressing).
func newFake(t *testing.T, hostBucket bool) *fake {
	t.Helper()
	f := &fake{backend: s3mem.New()}
	if err := f.backend.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	var opts []gofakes3.Option
	if hostBucket {
		opts = append(opts, gofakes3.WithHostBucket(true))
	}
	h := gofakes3.New(f.backend, opts...).Server()
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.reqs = append(f.reqs, request{r.Method, r.Host, r.URL.Path, r.Header.Get("Authorization")})
		f.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// dialServer is an HTTP client that connects every request to srv whatever
// host it names, standing in for DNS of <bucket>.localhost.
func dialServer(srv *httptest.Server) *http.Client {
	addr := srv.Listener.Addr().String()
	var d net.Dialer
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
		MaxIdleConnsPerHost: 16,
	}}
}

// isolateEnv keeps the developer's AWS settings out of the tests.
func isolateEnv(t *testing.T) {
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	for _, k := range []string{"AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID",
		"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"} {
		t.Setenv(k, "")
	}
}

func pathStyleConfig(f *fake) Config {
	return Config{
		Bucket:          bucket,
		Region:          "us-east-1",
		Endpoint:        f.srv.URL,
		PathStyle:       true,
		AccessKeyID:     "AKIDTEST",
		SecretAccessKey: "secret",
	}
}

func virtualHostConfig(f *fake) Config {
	u, _ := url.Parse(f.srv.URL)
	return Config{
		Bucket: bucket,
		Region: "us-east-1",
		// The SDK only builds <bucket>.<host> for a DNS name, never for an
		// IP, hence localhost; dialServer makes the name reach the server.
		Endpoint:        "http://localhost:" + u.Port(),
		AccessKeyID:     "AKIDTEST",
		SecretAccessKey: "secret",
		httpClient:      dialServer(f.srv),
	}
}

func mustNew(t *testing.T, cfg Config) *Store {
	t.Helper()
	s, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSuitePathStyle(t *testing.T) {
	isolateEnv(t)
	blobtest.Run(t, func(t *testing.T) coffer.Blob {
		f := newFake(t, false)
		s := mustNew(t, pathStyleConfig(f))
		t.Cleanup(func() {
			host := strings.TrimPrefix(f.srv.URL, "http://")
			for _, r := range f.requests() {
				if r.Host != host || !strings.HasPrefix(r.Path, "/"+bucket+"/") {
					t.Errorf("path-style request %s host %q path %q", r.Method, r.Host, r.Path)
				}
			}
		})
		return s
	})
}

func TestSuiteVirtualHosted(t *testing.T) {
	isolateEnv(t)
	blobtest.Run(t, func(t *testing.T) coffer.Blob {
		f := newFake(t, true)
		s := mustNew(t, virtualHostConfig(f))
		t.Cleanup(func() {
			host := bucket + ".localhost:" + strings.Split(f.srv.URL, ":")[2]
			for _, r := range f.requests() {
				if r.Host != host || strings.HasPrefix(r.Path, "/"+bucket) {
					t.Errorf("virtual-hosted request %s host %q path %q, want host %q", r.Method, r.Host, r.Path, host)
				}
			}
		})
		return s
	})
}

// TestAddressing pins down what each addressing style puts on the wire.
func TestAddressing(t *testing.T) {
	isolateEnv(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name       string
		hostBucket bool
		cfg        func(*fake) Config
		wantHost   func(*fake) string
		wantPath   string
	}{
		{"path-style", false, pathStyleConfig,
			func(f *fake) string { return strings.TrimPrefix(f.srv.URL, "http://") },
			"/" + bucket + "/media/x.png"},
		{"virtual-hosted", true, virtualHostConfig,
			func(f *fake) string { u, _ := url.Parse(f.srv.URL); return bucket + ".localhost:" + u.Port() },
			"/media/x.png"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, tc.hostBucket)
			s := mustNew(t, tc.cfg(f))
			if err := s.Put(ctx, "media/x.png", []byte("png"), "image/png"); err != nil {
				t.Fatal(err)
			}
			reqs := f.requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1: %+v", len(reqs), reqs)
			}
			r := reqs[0]
			if r.Method != http.MethodPut || r.Host != tc.wantHost(f) || r.Path != tc.wantPath {
				t.Errorf("request = %s host %q path %q, want PUT host %q path %q", r.Method, r.Host, r.Path, tc.wantHost(f), tc.wantPath)
			}
			if !strings.Contains(r.Auth, "Credential=AKIDTEST/") {
				t.Errorf("Authorization %q does not use the static credentials", r.Auth)
			}
			if _, err := f.backend.HeadObject(bucket, "media/x.png"); err != nil {
				t.Errorf("object not in the bucket: %v", err)
			}
		})
	}
}

func TestPrefix(t *testing.T) {
	isolateEnv(t)
	ctx := context.Background()
	for _, prefix := range []string{"tenant", "tenant/", "/tenant/"} {
		f := newFake(t, false)
		cfg := pathStyleConfig(f)
		cfg.Prefix = prefix
		s := mustNew(t, cfg)
		if err := s.Put(ctx, "metadata/1.json", []byte("{}"), "application/json"); err != nil {
			t.Fatal(err)
		}
		obj, err := f.backend.HeadObject(bucket, "tenant/metadata/1.json")
		if err != nil {
			t.Fatalf("prefix %q: object not under tenant/: %v", prefix, err)
		}
		if ct := obj.Metadata["Content-Type"]; ct != "application/json" {
			t.Errorf("prefix %q: stored Content-Type %q", prefix, ct)
		}
		if data, _, err := s.Get(ctx, "metadata/1.json"); err != nil || string(data) != "{}" {
			t.Errorf("prefix %q: Get = %q, %v", prefix, data, err)
		}
		// Another store without the prefix does not see it.
		plain := mustNew(t, pathStyleConfig(f))
		if _, _, err := plain.Get(ctx, "metadata/1.json"); !coffer.IsNotFound(err) {
			t.Errorf("prefix %q: unprefixed Get err = %v, want not found", prefix, err)
		}
	}
}

func TestDefaultCredentialChain(t *testing.T) {
	isolateEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDFROMENV")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "envsecret")
	t.Setenv("AWS_REGION", "eu-west-1")
	f := newFake(t, false)
	s := mustNew(t, Config{Bucket: bucket, Endpoint: f.srv.URL, PathStyle: true})
	if err := s.Put(context.Background(), "k", []byte("v"), ""); err != nil {
		t.Fatal(err)
	}
	auth := f.requests()[0].Auth
	if !strings.Contains(auth, "Credential=AKIDFROMENV/") || !strings.Contains(auth, "/eu-west-1/s3/") {
		t.Errorf("Authorization %q does not use the environment's credentials and region", auth)
	}
}

func TestMissingBucketIsNotNotFound(t *testing.T) {
	isolateEnv(t)
	f := newFake(t, false)
	cfg := pathStyleConfig(f)
	cfg.Bucket = "no-such-bucket"
	s := mustNew(t, cfg)
	_, _, err := s.Get(context.Background(), "k")
	if code := coffer.ErrorCode(err); code != coffer.EINTERNAL {
		t.Fatalf("Get from a missing bucket: err = %v (code %q), want %s", err, code, coffer.EINTERNAL)
	}
}

func TestTimeoutFromContext(t *testing.T) {
	isolateEnv(t)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	s := mustNew(t, Config{Bucket: bucket, Endpoint: srv.URL, PathStyle: true, AccessKeyID: "a", SecretAccessKey: "b"})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err := s.Get(ctx, "k")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Get took %v after a 200ms deadline", d)
	}
}

func TestServerErrorIsUnavailable(t *testing.T) {
	isolateEnv(t)
	t.Setenv("AWS_MAX_ATTEMPTS", "1") // no retry backoff in the test
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`<Error><Code>SlowDown</Code><Message>slow down</Message></Error>`))
	}))
	t.Cleanup(srv.Close)
	s := mustNew(t, Config{Bucket: bucket, Endpoint: srv.URL, PathStyle: true, AccessKeyID: "a", SecretAccessKey: "b"})
	if err := s.Put(context.Background(), "k", []byte("v"), ""); coffer.ErrorCode(err) != coffer.EUNAVAILABLE {
		t.Fatalf("Put err = %v, want %s", err, coffer.EUNAVAILABLE)
	}
	if _, _, err := s.Get(context.Background(), "k"); coffer.ErrorCode(err) != coffer.EUNAVAILABLE {
		t.Fatalf("Get err = %v, want %s", err, coffer.EUNAVAILABLE)
	}
}

func TestNewValidates(t *testing.T) {
	isolateEnv(t)
	ctx := context.Background()
	for name, cfg := range map[string]Config{
		"no bucket":          {Region: "us-east-1"},
		"half credentials":   {Bucket: bucket, Region: "us-east-1", AccessKeyID: "a"},
		"no region anywhere": {Bucket: bucket},
		"prefix too long":    {Bucket: bucket, Region: "us-east-1", Prefix: strings.Repeat("p", 600)},
	} {
		if _, err := New(ctx, cfg); coffer.ErrorCode(err) != coffer.EINVALID {
			t.Errorf("%s: err = %v, want %s", name, err, coffer.EINVALID)
		}
	}
	// A custom endpoint needs no region.
	if _, err := New(ctx, Config{Bucket: bucket, Endpoint: "http://localhost:9000"}); err != nil {
		t.Errorf("endpoint without region: %v", err)
	}
}
