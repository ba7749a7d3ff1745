// Command seed_server is the Go reference server for interim interop tests.
//
// It binds, prints exactly one line to stdout, either
//
//	listening http://127.0.0.1:PORT
//	listening https://127.0.0.1:PORT   (with -cert and -key)
//	listening unix:PATH                (with -unix)
//
// and then serves these routes:
//
//	/seed, /       the seed handler: 103 with xxx, aaa, sss; delay; 200 adding ccc and sss
//	/hints         ?n=N (default 1) interim responses of status ?code=C (default 103),
//	               each with a link and x-hint-index header, ?delay=MS apart; then 200 "done"
//	/plain         200 "plain" (benchmark baseline)
//	/hint          one 103 with a link header, then 200 "hint" (benchmark)
//	/pod           103 with x-pod-name and x-pod-namespace from $POD_NAME and
//	               $POD_NAMESPACE; delay; 200
//
// Every route that waits accepts ?delay=MS to override -delay. The process
// exits on SIGINT, SIGTERM, and when stdin reaches EOF, so a test that spawned
// it cannot leak it (disable the stdin watch with -watch-stdin=false).
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

// maxHints bounds /hints?n= so a typo cannot make the server write forever.
const maxHints = 1000

// maxDelay bounds ?delay= for the same reason.
const maxDelay = time.Minute

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "TCP address to listen on")
	unixPath := flag.String("unix", "", "listen on this unix socket path instead of TCP")
	delay := flag.Duration("delay", 200*time.Millisecond, "default wait between the interim and the final response (the seed uses 2s)")
	certFile := flag.String("cert", "", "TLS certificate file (PEM); needs -key")
	keyFile := flag.String("key", "", "TLS private key file (PEM); needs -cert")
	offerH2 := flag.Bool("h2", false, "with -cert/-key, also offer HTTP/2 through ALPN")
	watchStdin := flag.Bool("watch-stdin", true, "exit when stdin reaches EOF")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("seed_server: ")

	if (*certFile == "") != (*keyFile == "") {
		log.Fatal("-cert and -key must be given together")
	}
	useTLS := *certFile != ""

	listener, announced, err := listen(*addr, *unixPath, useTLS)
	if err != nil {
		log.Fatal(err)
	}

	server := &http.Server{
		Handler:           newMux(*delay),
		ReadHeaderTimeout: 10 * time.Second,
		// An empty, non-nil map turns HTTP/2 off: the interop tests are about
		// HTTP/1.1 interim responses, and ALPN must not pick h2 behind our back.
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
	}

	if *offerH2 {
		// nil lets ServeTLS configure HTTP/2 (ALPN h2, then http/1.1).
		server.TLSNextProto = nil
	}

	done := make(chan struct{})
	go func() {
		var serveErr error
		if useTLS {
			serveErr = server.ServeTLS(listener, *certFile, *keyFile)
		} else {
			serveErr = server.Serve(listener)
		}
		if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
			log.Print(serveErr)
		}
		close(done)
	}()

	// Announce only after Serve has the listener; the port is already bound, so
	// a client that connects right after reading this line is queued, not refused.
	fmt.Println("listening " + announced)

	stop := make(chan string, 3)
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	go func() { stop <- (<-signals).String() }()
	if *watchStdin {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			stop <- "stdin closed"
		}()
	}
	go func() {
		<-done
		stop <- "server stopped"
	}()

	<-stop
	// Handlers may be sleeping between a 103 and the final response; give them
	// a moment, then cut the connections so exit is bounded.
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if err := server.Shutdown(ctx); err != nil {
		_ = server.Close()
	}
	// Closing the unix listener also unlinks its socket file.
	<-done
}

// listen binds TCP or a unix socket and returns the listener together with
// the address to announce on stdout.
func listen(addr, unixPath string, useTLS bool) (net.Listener, string, error) {
	if unixPath != "" {
		if err := removeStaleSocket(unixPath); err != nil {
			return nil, "", err
		}
		listener, err := net.Listen("unix", unixPath)
		if err != nil {
			return nil, "", err
		}
		return listener, "unix:" + unixPath, nil
	}
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", err
	}
	scheme := "http"
	if useTLS {
		scheme = "https"
	}
	return listener, scheme + "://" + listener.Addr().String(), nil
}

// removeStaleSocket deletes a socket file left by a killed server, but never
// a regular file that happens to have the same name.
func removeStaleSocket(path string) error {
	info, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if info.Mode()&os.ModeSocket == 0 {
		return fmt.Errorf("%s exists and is not a socket", path)
	}
	return os.Remove(path)
}

func newMux(defaultDelay time.Duration) *http.ServeMux {
	mux := http.NewServeMux()
	seed := func(w http.ResponseWriter, r *http.Request) { serveSeed(w, r, defaultDelay) }
	mux.HandleFunc("/seed", seed)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		// "/" is ServeMux's catch-all; only the root itself is the seed.
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		seed(w, r)
	})
	mux.HandleFunc("/hints", func(w http.ResponseWriter, r *http.Request) { serveHints(w, r, defaultDelay) })
	mux.HandleFunc("/plain", servePlain)
	mux.HandleFunc("/hint", serveHint)
	mux.HandleFunc("/pod", func(w http.ResponseWriter, r *http.Request) { servePod(w, r, defaultDelay) })
	return mux
}

// serveSeed does what the seed's handler does. Go keeps the header map
// between WriteHeader calls (RFC 8297 section 2 lets a final response omit or
// change hinted fields), so the final response still carries aaa and sss.
func serveSeed(w http.ResponseWriter, r *http.Request, defaultDelay time.Duration) {
	delay, ok := delayParam(w, r, defaultDelay)
	if !ok {
		return
	}
	w.Header().Set("xxx", "yyy")
	w.Header().Set("aaa", "bbb")
	w.Header().Set("sss", "ttt")
	w.WriteHeader(http.StatusEarlyHints)

	if !sleep(r.Context(), delay) {
		return
	}
	w.Header().Set("xxx", "zzz")
	w.Header().Set("ccc", "ddd")
	w.Header().Add("sss", "uuu")
	w.WriteHeader(http.StatusOK)
}

// serveHints sends n interim responses and then a 200 with body "done".
func serveHints(w http.ResponseWriter, r *http.Request, defaultDelay time.Duration) {
	delay, ok := delayParam(w, r, defaultDelay)
	if !ok {
		return
	}
	n, ok := intParam(w, r, "n", 1, 0, maxHints)
	if !ok {
		return
	}
	code, ok := intParam(w, r, "code", http.StatusEarlyHints, 100, 199)
	if !ok {
		return
	}
	if code == http.StatusSwitchingProtocols {
		// 101 ends HTTP/1.1 on the connection; it is not an interim response here.
		http.Error(w, "code 101 is not an interim response", http.StatusBadRequest)
		return
	}
	for i := 0; i < n; i++ {
		w.Header().Set("link", fmt.Sprintf("</style-%d.css>; rel=preload; as=style", i))
		w.Header().Set("x-hint-index", strconv.Itoa(i))
		w.WriteHeader(code)
		if !sleep(r.Context(), delay) {
			return
		}
	}
	// The hints describe the interim responses only; keep the final one clean
	// so a test can tell the two apart.
	w.Header().Del("link")
	w.Header().Del("x-hint-index")
	writeText(w, http.StatusOK, "done")
}

func servePlain(w http.ResponseWriter, _ *http.Request) {
	writeText(w, http.StatusOK, "plain")
}

func serveHint(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("link", "</style.css>; rel=preload; as=style")
	w.WriteHeader(http.StatusEarlyHints)
	w.Header().Del("link")
	writeText(w, http.StatusOK, "hint")
}

// servePod is the motivating case: tell the caller which pod to read logs
// from at once, then answer when the work is done.
func servePod(w http.ResponseWriter, r *http.Request, defaultDelay time.Duration) {
	delay, ok := delayParam(w, r, defaultDelay)
	if !ok {
		return
	}
	w.Header().Set("x-pod-name", envOr("POD_NAME", "daemon-0"))
	w.Header().Set("x-pod-namespace", envOr("POD_NAMESPACE", "default"))
	w.WriteHeader(http.StatusEarlyHints)
	if !sleep(r.Context(), delay) {
		return
	}
	writeText(w, http.StatusOK, "pod done")
}

func writeText(w http.ResponseWriter, code int, body string) {
	w.Header().Set("content-type", "text/plain; charset=utf-8")
	w.Header().Set("content-length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	_, _ = io.WriteString(w, body)
}

// sleep waits for d, or reports false when the client went away first.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// delayParam reads ?delay=MS, falling back to the -delay flag.
func delayParam(w http.ResponseWriter, r *http.Request, fallback time.Duration) (time.Duration, bool) {
	ms, ok := intParam(w, r, "delay", int(fallback/time.Millisecond), 0, int(maxDelay/time.Millisecond))
	if !ok {
		return 0, false
	}
	if r.URL.Query().Get("delay") == "" {
		return fallback, true
	}
	return time.Duration(ms) * time.Millisecond, true
}

// intParam reads an integer query parameter in [min, max]; on bad input it
// answers 400 with the reason and reports false.
func intParam(w http.ResponseWriter, r *http.Request, name string, fallback, min, max int) (int, bool) {
	raw := r.URL.Query().Get(name)
	if raw == "" {
		return fallback, true
	}
	value, err := strconv.Atoi(raw)
	if err != nil || value < min || value > max {
		http.Error(w, fmt.Sprintf("query parameter %s=%q must be an integer in [%d, %d]", name, raw, min, max), http.StatusBadRequest)
		return 0, false
	}
	return value, true
}

func envOr(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}
