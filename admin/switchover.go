package admin

import (
	"context"
	"net/http"
	"time"

	"github.com/strata-proxy/strata/switchover"
)

// SwitchoverView answers POST /api/clusters/{cluster}/switchover.
type SwitchoverView struct {
	*switchover.Report
	// ConfigSaved is the file the new primary was written to; when it
	// could not be, ConfigNotSaved says why (a reload would otherwise
	// bring the old primary back as Strata's primary).
	ConfigSaved    string `json:"config_saved,omitempty"`
	ConfigNotSaved string `json:"config_not_saved,omitempty"`
}

// switchoverRequest is the optional JSON body.
type switchoverRequest struct {
	To      string `json:"to"`
	Timeout string `json:"timeout"`
	Force   bool   `json:"force"`
}

func (s *Server) switchover(w http.ResponseWriter, r *http.Request) {
	if s.Switchover == nil {
		writeError(w, http.StatusNotImplemented, "switchover is not available in this Strata")
		return
	}
	var body switchoverRequest
	if !decodeBody(w, r, &body, true, `{"to": "10.0.0.5:3306", "timeout": "10s", "force": false}`) {
		return
	}
	req := switchover.Request{Cluster: r.PathValue("cluster"), To: body.To, Force: body.Force}
	if body.Timeout != "" {
		d, err := time.ParseDuration(body.Timeout)
		if err != nil || d <= 0 {
			writeError(w, http.StatusBadRequest, "timeout "+body.Timeout+" is not a positive duration such as 10s")
			return
		}
		req.Timeout = d
	}
	// A client that hangs up must not leave the servers half switched:
	// the switchover bounds itself (its timeout), not the request.
	rep, err := s.Switchover.Run(context.WithoutCancel(r.Context()), req)
	s.primaryChanged(w, r, "switchover", rep, err)
}

// primaryChanged answers a switchover or failover: the error, or the
// report with the config file saved so a reload keeps the new primary.
func (s *Server) primaryChanged(w http.ResponseWriter, r *http.Request, kind string, rep *switchover.Report, err error) {
	if err != nil {
		writeChangeError(w, err)
		return
	}
	v := SwitchoverView{Report: rep, ConfigNotSaved: errNoConfigFile.Error()}
	if s.Control != nil {
		if saved, _, err := s.SaveTopology(false); err != nil {
			v.ConfigNotSaved = err.Error()
		} else {
			v.ConfigSaved, v.ConfigNotSaved = saved.Path, ""
		}
	}
	if s.Monitor != nil {
		s.Monitor.CheckNow()
	}
	s.logChange(r, "admin: "+kind, "cluster", rep.Cluster, "from", rep.OldPrimary, "to", rep.NewPrimary, "gtid", rep.GTID)
	writeJSON(w, http.StatusOK, v)
}

// failover answers POST /api/clusters/{cluster}/failover: a failover asked
// for by an operator (the primary must be down), as auto_failover does.
func (s *Server) failover(w http.ResponseWriter, r *http.Request) {
	if s.Switchover == nil {
		writeError(w, http.StatusNotImplemented, "failover is not available in this Strata")
		return
	}
	rep, err := s.Switchover.Failover(context.WithoutCancel(r.Context()), r.PathValue("cluster"))
	s.primaryChanged(w, r, "failover", rep, err)
}

// switchovers answers GET /api/switchovers: every switchover and failover
// since Strata started, done or refused, newest first.
func (s *Server) switchovers(w http.ResponseWriter, r *http.Request) {
	if s.Switchover == nil {
		writeJSON(w, http.StatusOK, []switchover.Event{})
		return
	}
	writeJSON(w, http.StatusOK, s.Switchover.History())
}

// RejoinView answers POST /api/servers/{address}/rejoin.
type RejoinView struct {
	*switchover.Report
	Server MemberView `json:"server"`
}

// rejoin answers POST /api/servers/{address}/rejoin: a replica that left
// (a failed-over primary, a drained replica) replicates from its primary
// again and returns to routing, unless it holds errant transactions.
func (s *Server) rejoin(w http.ResponseWriter, r *http.Request) {
	if s.Switchover == nil {
		writeError(w, http.StatusNotImplemented, "rejoin is not available in this Strata")
		return
	}
	addr := r.PathValue("address")
	rep, err := s.Switchover.Rejoin(context.WithoutCancel(r.Context()), addr)
	if err != nil {
		writeChangeError(w, err)
		return
	}
	if s.Monitor != nil {
		s.Monitor.CheckNow()
	}
	s.logChange(r, "admin: rejoin", "server", addr, "primary", rep.NewPrimary, "gtid", rep.GTID)
	writeJSON(w, http.StatusOK, RejoinView{Report: rep, Server: s.serverAfter(addr).Server})
}
