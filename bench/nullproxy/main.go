// Command nullproxy is the benchmarks' baseline: a TCP relay that copies
// bytes between each client and one server without looking at them. It does
// the least any proxy must do (two extra socket hops per round trip), so
// sysbench through it shows how much of Strata's overhead is the hop itself
// on this machine and how much is Strata's own work.
//
//	nullproxy -listen 127.0.0.1:16034 -to 127.0.0.1:15307
//
// It only accepts loopback addresses and stops on SIGINT or SIGTERM.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:16034", "address to accept clients on")
	to := flag.String("to", "127.0.0.1:15307", "server to relay to")
	flag.Parse()
	for _, a := range []string{*listen, *to} {
		if err := loopback(a); err != nil {
			log.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() { <-sig; ln.Close() }()
	var wg sync.WaitGroup
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				break
			}
			log.Print(err)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			relay(c, *to)
		}()
	}
}

func relay(client net.Conn, to string) {
	defer client.Close()
	server, err := net.Dial("tcp", to)
	if err != nil {
		log.Print(err)
		return
	}
	defer server.Close()
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		// Plain read/write, as a proxy that parses its traffic must do (no
		// splice(2): io.Copy between two TCP conns would use it).
		buf := make([]byte, 64<<10)
		io.CopyBuffer(struct{ io.Writer }{dst}, struct{ io.Reader }{src}, buf)
		// Half-close so the other direction ends too.
		if tc, ok := dst.(*net.TCPConn); ok {
			tc.CloseWrite()
		}
		done <- struct{}{}
	}
	go pipe(server, client)
	go pipe(client, server)
	<-done
	client.Close()
	server.Close()
	<-done
}

func loopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("%s: only loopback addresses", addr)
	}
	return nil
}
