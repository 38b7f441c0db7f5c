package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/strata-proxy/strata/handover"
	"github.com/strata-proxy/strata/session"
)

// listen takes the listening sockets over from a running Strata (config
// key handover_socket), or binds them, and starts serving on them.
func (s *Strata) listen(ctx context.Context) error {
	mysqlLn, httpLn, err := s.takeOver(ctx)
	if err != nil {
		return err
	}
	tookOver := mysqlLn != nil
	if mysqlLn == nil {
		if mysqlLn, err = net.Listen("tcp", s.Config.Listen); err != nil {
			return fmt.Errorf("listening for clients on %s: %w", s.Config.Listen, err)
		}
		if httpLn, err = net.Listen("tcp", s.Config.AdminListen); err != nil {
			mysqlLn.Close()
			return fmt.Errorf("listening for the admin API on %s: %w", s.Config.AdminListen, err)
		}
	}
	var handoverLn *net.UnixListener
	if path := s.Config.HandoverSocket; path != "" {
		handoverLn, err = handover.Listen(path)
		switch {
		case err == nil:
		case tookOver:
			// The old process has stopped accepting: serve on, without
			// the next handover, rather than drop the sockets.
			s.Log.Error("handover: serving, but no later handover is possible", "err", err)
		default:
			mysqlLn.Close()
			httpLn.Close()
			return err
		}
	}
	if path := s.Config.ListenSocket; path != "" {
		if s.socketLn, err = listenSocket(path, tookOver); err != nil {
			mysqlLn.Close()
			httpLn.Close()
			if handoverLn != nil {
				handoverLn.Close()
			}
			return err
		}
	}
	s.mysqlAddr, s.adminAddr = mysqlLn.Addr().String(), httpLn.Addr().String()
	s.httpSrv = &http.Server{Handler: s.Admin.Handler(), ReadHeaderTimeout: 10 * time.Second}
	s.serve(mysqlLn, httpLn)
	if ln := s.socketLn; ln != nil {
		go func() {
			if err := s.Front.Serve(ln); err != nil {
				s.Log.Error("listen_socket: no longer accepting clients", "path", s.Config.ListenSocket, "err", err)
			}
		}()
	}
	if handoverLn != nil {
		s.handoverLn = handoverLn
		go s.serveHandovers(handoverLn)
	}
	s.Log.Info("strata listening", "mysql", s.mysqlAddr, "admin", s.adminAddr, "socket", s.Config.ListenSocket)
	return nil
}

// serve accepts clients and admin requests on the listeners. A listener
// that stops because it was handed over is not a failure (Done).
func (s *Strata) serve(mysqlLn, httpLn net.Listener) {
	s.lnMu.Lock()
	s.mysqlLn, s.httpLn = mysqlLn, httpLn
	s.lnMu.Unlock()
	go func() {
		err := s.Front.Serve(mysqlLn)
		if s.servesOn(mysqlLn) {
			s.done <- err
		}
	}()
	go func() {
		err := s.httpSrv.Serve(httpLn)
		if err != nil && !errors.Is(err, http.ErrServerClosed) && s.servesOn(mysqlLn) {
			s.done <- err
		}
	}()
}

// servesOn reports whether ln is still this process's client listener.
func (s *Strata) servesOn(ln net.Listener) bool {
	s.lnMu.Lock()
	defer s.lnMu.Unlock()
	return s.mysqlLn == ln
}

// MySQLAddr and AdminAddr are the bound addresses (useful with port 0).
func (s *Strata) MySQLAddr() string { return s.mysqlAddr }

// AdminAddr is the admin API's bound address.
func (s *Strata) AdminAddr() string { return s.adminAddr }

// HandedOver is closed once a new Strata process took the listening
// sockets; this one should then finish its clients (Shutdown) and exit.
func (s *Strata) HandedOver() <-chan struct{} { return s.handedOver }

// takeOver asks the Strata running on handover_socket for its listening
// sockets. It returns nil listeners when none runs there. A running
// Strata that listens elsewhere keeps its sockets and this one does not
// start: two Strata processes on one handover socket are a mistake.
func (s *Strata) takeOver(ctx context.Context) (mysqlLn, httpLn net.Listener, err error) {
	path := s.Config.HandoverSocket
	if path == "" {
		return nil, nil, nil
	}
	offer, err := handover.Request(ctx, path)
	if err != nil || offer == nil {
		return nil, nil, err
	}
	want := map[string]string{"mysql": s.Config.Listen, "admin": s.Config.AdminListen}
	got := map[string]net.Listener{}
	for _, sock := range offer.Sockets {
		if want[sock.Name] != sock.Address {
			why := fmt.Sprintf("the running Strata's %s socket listens on %s, this config on %s", sock.Name, sock.Address, want[sock.Name])
			closeListeners(got)
			offer.Refuse(why)
			return nil, nil, fmt.Errorf("taking over from the Strata on %s: %s; stop it first, or give this one another handover_socket", path, why)
		}
		ln, err := net.FileListener(sock.File)
		sock.File.Close()
		if err != nil {
			closeListeners(got)
			offer.Refuse(err.Error())
			return nil, nil, fmt.Errorf("taking over the %s socket: %w", sock.Name, err)
		}
		got[sock.Name] = ln
	}
	if got["mysql"] == nil || got["admin"] == nil {
		closeListeners(got)
		offer.Refuse("both sockets are needed")
		return nil, nil, fmt.Errorf("taking over from the Strata on %s: it did not pass both sockets", path)
	}
	if last, err := strconv.ParseUint(offer.Facts["last_id"], 10, 32); err == nil {
		// Clients passed on keep their connection ids: new ones come after.
		s.Env.Registry.SkipTo(uint32(last))
	}
	if err := offer.Accept(); err != nil {
		closeListeners(got)
		return nil, nil, fmt.Errorf("taking over from the Strata on %s: %w", path, err)
	}
	s.Log.Info("took over the listening sockets of the running Strata; it passes on its idle clients and finishes the others", "handover_socket", path)
	// Until the old process is done it may acknowledge writes that no
	// position read here holds (consistency: global).
	s.Env.Marks.Hold()
	go s.adoptClients(offer)
	return got["mysql"], got["admin"], nil
}

// adoptClients serves the clients the old process passes on, until it
// has no more.
func (s *Strata) adoptClients(offer *handover.Offer) {
	adopted := 0
	defer func() {
		s.Env.Marks.Release()
		s.Log.Info("handover: clients passed on by the old process", "count", adopted)
	}()
	for {
		data, f, err := offer.NextSession()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			s.Log.Warn("handover: receiving clients from the old process stopped", "err", err)
			return
		}
		var st session.State
		nc, ferr := net.FileConn(f)
		f.Close()
		if err := errors.Join(ferr, json.Unmarshal(data, &st)); err != nil {
			s.Log.Warn("handover: a client passed on could not be served; closed", "err", err)
			if nc != nil {
				nc.Close()
			}
			continue
		}
		s.Front.Adopt(nc, st)
		adopted++
	}
}

func closeListeners(lns map[string]net.Listener) {
	for _, ln := range lns {
		ln.Close()
	}
}

// serveHandovers answers takeover requests until one succeeds or the
// listener closes.
func (s *Strata) serveHandovers(ln *net.UnixListener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		h, err := handover.Accepted(c)
		if err != nil {
			s.Log.Warn("handover: refused a request", "err", err)
			c.Close()
			continue
		}
		if s.handOver(h) {
			return
		}
	}
}

// handOver passes the listening sockets to the process behind h. This
// process stops accepting first; clients that connect meanwhile wait in
// the sockets' queues for the new process. If the new process does not
// take them, this one accepts on them again. It reports whether the
// sockets were taken, or this process stopped serving handovers.
func (s *Strata) handOver(h *handover.Handler) bool {
	s.lnMu.Lock()
	if s.stopping {
		s.lnMu.Unlock()
		return true
	}
	mysqlLn, httpLn := s.mysqlLn, s.httpLn
	files, err := listenerFiles(mysqlLn, httpLn)
	if err != nil {
		s.lnMu.Unlock()
		s.Log.Error("handover: cannot pass the sockets", "err", err)
		return false
	}
	s.mysqlLn, s.httpLn = nil, nil
	s.handoverLn.Close() // the new process listens on the path next
	s.handoverLn = nil   // and the path is its own
	s.lnMu.Unlock()
	mysqlLn.Close()
	httpLn.Close()
	err = h.Send([]handover.Socket{
		{Name: "mysql", Address: s.Config.Listen, File: files[0]},
		{Name: "admin", Address: s.Config.AdminListen, File: files[1]},
	}, map[string]string{"last_id": strconv.FormatUint(uint64(s.Env.Registry.LastID()), 10)})
	if err == nil {
		closeFiles(files)
		s.Log.Info("handover: a new Strata took the listening sockets; passing it the idle clients, finishing the others")
		s.lnMu.Lock()
		s.passing = h
		s.lnMu.Unlock()
		s.Front.SetPassOn(func(st session.State, conn *os.File) error {
			data, err := json.Marshal(st)
			if err != nil {
				return err
			}
			return h.SendSession(data, conn)
		})
		// Health checks kept alive on this process would see it drain:
		// close them, so the next probe reaches the new one.
		s.httpSrv.SetKeepAlivesEnabled(false)
		close(s.handedOver)
		return true
	}
	s.Log.Warn("handover: failed; accepting clients again", "err", err)
	s.resume(files)
	return true
}

// resume serves again on the sockets a failed handover kept, and on a new
// handover listener.
func (s *Strata) resume(files []*os.File) {
	defer closeFiles(files)
	mysqlLn, err1 := net.FileListener(files[0])
	httpLn, err2 := net.FileListener(files[1])
	if err := errors.Join(err1, err2); err != nil {
		s.done <- fmt.Errorf("handover failed and the sockets could not be used again: %w", err)
		return
	}
	s.serve(mysqlLn, httpLn)
	ln, err := handover.Listen(s.Config.HandoverSocket)
	if err != nil {
		s.Log.Error("handover: no further handover possible", "err", err)
		return
	}
	s.lnMu.Lock()
	s.handoverLn = ln
	s.lnMu.Unlock()
	go s.serveHandovers(ln)
}

// listenerFiles duplicates the listeners' descriptors.
func listenerFiles(lns ...net.Listener) ([]*os.File, error) {
	var files []*os.File
	for _, ln := range lns {
		tl, ok := ln.(*net.TCPListener)
		if !ok {
			closeFiles(files)
			return nil, fmt.Errorf("%s is not a TCP listener", ln.Addr())
		}
		f, err := tl.File()
		if err != nil {
			closeFiles(files)
			return nil, err
		}
		files = append(files, f)
	}
	return files, nil
}

func closeFiles(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}

// donePassing tells the new process no more clients follow, once this
// one's Shutdown has ended every session.
func (s *Strata) donePassing() {
	s.lnMu.Lock()
	h := s.passing
	s.passing = nil
	s.lnMu.Unlock()
	if h != nil {
		s.Front.SetPassOn(nil)
		h.Close()
	}
}

// stopHandovers ends handovers: a stopping Strata keeps its sockets, and
// removes its handover socket file (unless a new process owns the path).
func (s *Strata) stopHandovers() {
	s.lnMu.Lock()
	defer s.lnMu.Unlock()
	s.stopping = true
	if s.handoverLn != nil {
		s.handoverLn.Close()
		_ = os.Remove(s.Config.HandoverSocket)
		s.handoverLn = nil
	}
}
