// Command hint_latency is the Go pair of the hint-latency benchmark
// (scripts/bench.ts): the time from a net/http handler's WriteHeader(103) to
// the client's httptrace Got1xxResponse, in microseconds.
//
//	hint_latency server            listen on 127.0.0.1:0, print "listening PORT";
//	                               /latency: 103 with x-sent-at (wall clock, ms), then 200
//	hint_latency client URL        read "run N" / "clock" / "quit" lines on stdin and
//	                               answer each with one JSON line, like latency_driver.ts
//
// Both processes read the system's wall clock (time.Now), which is the same
// clock the JavaScript side reads through performance.timeOrigin + now().
// The standard library only; Go 1.19.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"time"
)

func wallClockMs() float64 {
	return float64(time.Now().UnixNano()) / 1e6
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: hint_latency server | client URL")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "server":
		serve()
	case "client":
		if len(os.Args) < 3 {
			fmt.Fprintln(os.Stderr, "usage: hint_latency client URL")
			os.Exit(2)
		}
		client(os.Args[2])
	default:
		fmt.Fprintln(os.Stderr, "usage: hint_latency server | client URL")
		os.Exit(2)
	}
}

func serve() {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/latency", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("link", "</style.css>; rel=preload; as=style")
		w.Header().Set("x-sent-at", strconv.FormatFloat(wallClockMs(), 'f', 4, 64))
		// Go 1.19 writes and flushes a 1xx at once.
		w.WriteHeader(http.StatusEarlyHints)
		w.Header().Del("x-sent-at")
		w.Header().Del("link")
		w.Header().Set("content-type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, "latency")
	})
	mux.HandleFunc("/plain", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "plain")
	})
	fmt.Printf("pid %d\nlistening %d\n", os.Getpid(), listener.Addr().(*net.TCPAddr).Port)
	// Exit when the parent closes stdin, so a crashed benchmark leaves nothing behind.
	go func() {
		io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	server := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	if err := server.Serve(listener); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func client(url string) {
	transport := &http.Transport{MaxIdleConnsPerHost: 1}
	httpClient := &http.Client{Transport: transport, Timeout: 10 * time.Second}
	probe := func() (float64, error) {
		latency := -1.0
		trace := &httptrace.ClientTrace{
			Got1xxResponse: func(code int, header textproto.MIMEHeader) error {
				received := wallClockMs()
				sent, err := strconv.ParseFloat(header.Get("x-sent-at"), 64)
				if err == nil {
					latency = (received - sent) * 1000
				}
				return nil
			},
		}
		ctx := httptrace.WithClientTrace(context.Background(), trace)
		request, err := http.NewRequestWithContext(ctx, "GET", url, nil)
		if err != nil {
			return 0, err
		}
		response, err := httpClient.Do(request)
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, response.Body)
		response.Body.Close()
		return latency, nil
	}
	scanner := bufio.NewScanner(os.Stdin)
	out := json.NewEncoder(os.Stdout)
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		if len(fields) == 0 {
			continue
		}
		switch fields[0] {
		case "run":
			n, _ := strconv.Atoi(fields[1])
			samples := make([]float64, 0, n)
			for i := 0; i < n; i++ {
				latency, err := probe()
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(1)
				}
				samples = append(samples, float64(int(latency*10))/10)
			}
			out.Encode(map[string][]float64{"samples": samples})
		case "clock":
			out.Encode(map[string]float64{"clockSkewUs": 0})
		default:
			return
		}
	}
}
