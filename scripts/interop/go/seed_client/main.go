// Command seed_client is the Go reference client for interim interop tests.
//
// Usage:
//
//	seed_client [flags] URL
//
// It sends GET URL over HTTP/1.1 and watches interim responses with
// httptrace.ClientTrace.Got1xxResponse. In the default text mode it prints,
// exactly as the seed program does, for every 103:
//
//	hinted [values of header 1]
//	...
//
// for every other interim status:
//
//	informational CODE map[Canonical-Name:[values] ...]
//
// and for the final response:
//
//	final STATUS
//	final [values of header 1]
//	...
//
// The headers printed default to the seed's xxx,aaa,ccc,sss (-headers). With
// -json it prints one JSON document instead:
//
//	{"informational":[{"status":103,"headers":{"name":["value"]}}],
//	 "status":200,"headers":{"name":["value"]},"body":"..."}
//
// with lower-case header names and values in wire order. The exit code is 0
// when a final response arrived (whatever its status) and 1 otherwise, after
// printing "do error ...". Note that Go 1.19's Transport refuses more than 5
// interim responses per request ("too many 1xx informational responses").
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"os"
	"strings"
	"time"
)

// interim is one 1xx response as recorded for -json.
type interim struct {
	Status  int                 `json:"status"`
	Headers map[string][]string `json:"headers"`
}

// report is the -json document.
type report struct {
	Informational []interim           `json:"informational"`
	Status        int                 `json:"status"`
	Headers       map[string][]string `json:"headers"`
	Body          string              `json:"body"`
}

func main() {
	unixPath := flag.String("unix", "", "dial this unix socket instead of the URL's host")
	insecure := flag.Bool("insecure", false, "skip TLS certificate verification")
	caCert := flag.String("cacert", "", "trust the CA certificates in this PEM file")
	headerList := flag.String("headers", "xxx,aaa,ccc,sss", "comma-separated header names to print, in order")
	jsonMode := flag.Bool("json", false, "print one JSON document instead of the seed's lines")
	timeout := flag.Duration("timeout", 30*time.Second, "give up on the whole exchange after this long")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: seed_client [flags] URL")
		flag.PrintDefaults()
		os.Exit(2)
	}
	url := flag.Arg(0)
	names := splitNames(*headerList)

	transport, err := newTransport(*unixPath, *insecure, *caCert)
	if err != nil {
		fmt.Println("do error", err)
		os.Exit(1)
	}
	defer transport.CloseIdleConnections()

	var interims []interim
	trace := &httptrace.ClientTrace{
		Got1xxResponse: func(code int, header textproto.MIMEHeader) error {
			if *jsonMode {
				interims = append(interims, interim{Status: code, Headers: lowerCased(header)})
				return nil
			}
			if code == http.StatusEarlyHints {
				for _, name := range names {
					fmt.Println("hinted", header.Values(name))
				}
				return nil
			}
			// fmt prints maps with sorted keys, so this line is deterministic.
			fmt.Println("informational", code, map[string][]string(header))
			return nil
		},
	}

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), http.MethodGet, url, nil)
	if err != nil {
		fmt.Println("do error", err)
		os.Exit(1)
	}
	res, err := (&http.Client{Transport: transport}).Do(req)
	if err != nil {
		fmt.Println("do error", err)
		os.Exit(1)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		fmt.Println("do error", err)
		os.Exit(1)
	}

	if *jsonMode {
		if interims == nil {
			interims = []interim{}
		}
		encoder := json.NewEncoder(os.Stdout)
		// Keep "<" and ">" of link headers readable; the output is not HTML.
		encoder.SetEscapeHTML(false)
		err := encoder.Encode(report{
			Informational: interims,
			Status:        res.StatusCode,
			Headers:       lowerCased(textproto.MIMEHeader(res.Header)),
			Body:          string(body),
		})
		if err != nil {
			fmt.Println("do error", err)
			os.Exit(1)
		}
		return
	}
	fmt.Println("final", res.Status)
	for _, name := range names {
		fmt.Println("final", res.Header.Values(name))
	}
}

// newTransport builds an HTTP/1.1-only transport, optionally dialing a unix
// socket and with the requested TLS trust.
func newTransport(unixPath string, insecure bool, caCert string) (*http.Transport, error) {
	tlsConfig := &tls.Config{InsecureSkipVerify: insecure}
	if caCert != "" {
		pem, err := os.ReadFile(caCert)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s: no PEM certificates found", caCert)
		}
		tlsConfig.RootCAs = pool
	}
	transport := &http.Transport{
		TLSClientConfig:       tlsConfig,
		ResponseHeaderTimeout: 0, // the -timeout context bounds the exchange
		// An empty, non-nil map disables HTTP/2: interim responses are tested
		// on HTTP/1.1.
		TLSNextProto:       map[string]func(string, *tls.Conn) http.RoundTripper{},
		DisableCompression: true,
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	if unixPath != "" {
		transport.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, "unix", unixPath)
		}
	} else {
		transport.DialContext = dialer.DialContext
	}
	return transport, nil
}

func splitNames(list string) []string {
	var names []string
	for _, name := range strings.Split(list, ",") {
		if name = strings.TrimSpace(name); name != "" {
			names = append(names, name)
		}
	}
	return names
}

// lowerCased copies a header map with lower-case names, as fetch Headers
// show them; values keep their wire order.
func lowerCased(header textproto.MIMEHeader) map[string][]string {
	out := make(map[string][]string, len(header))
	for name, values := range header {
		key := strings.ToLower(name)
		out[key] = append(out[key], values...)
	}
	return out
}
