package signer

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// ServerTLS is the signer's side of mutual TLS: its certificate, and the CA
// that must have signed every client's (the API processes') certificate.
func ServerTLS(certFile, keyFile, clientCAFile string) (*tls.Config, error) {
	if certFile == "" || keyFile == "" || clientCAFile == "" {
		return nil, errors.New("signer: mutual TLS needs signer.tls.cert, signer.tls.key and signer.tls.client_ca")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("signer: signer.tls.cert/key: %w", err)
	}
	pool, err := loadPool(clientCAFile, "signer.tls.client_ca")
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
	}, nil
}

// ClientTLS is the API's side: the CA that signed the signer's certificate
// (empty: the system roots) and the client certificate it presents.
func ClientTLS(caFile, certFile, keyFile string) (*tls.Config, error) {
	if certFile == "" || keyFile == "" {
		return nil, errors.New("signer: mutual TLS needs a client certificate: signer.tls.cert and signer.tls.key")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("signer: signer.tls.cert/key: %w", err)
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{cert}}
	if caFile != "" {
		if cfg.RootCAs, err = loadPool(caFile, "signer.tls.ca"); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

func loadPool(file, key string) (*x509.CertPool, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("signer: %s: %w", key, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("signer: %s: %s holds no PEM certificate", key, file)
	}
	return pool, nil
}
