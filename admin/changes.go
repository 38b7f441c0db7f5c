package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/topology"
)

// ChangeView is the body of a successful server change.
type ChangeView struct {
	Server       MemberView `json:"server"`
	PreviousPool string     `json:"previous_pool,omitempty"`
	// Warnings point at consequences worth a second look, such as a pool
	// left without a routable member.
	Warnings []string `json:"warnings,omitempty"`
}

// decodeBody reads a JSON object into v. An empty body is accepted when
// allowEmpty; unknown fields are refused so typos do not pass silently.
func decodeBody(w http.ResponseWriter, r *http.Request, v any, allowEmpty bool, example string) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	switch {
	case errors.Is(err, io.EOF) && allowEmpty:
		return true
	case errors.Is(err, io.EOF):
		writeError(w, http.StatusBadRequest, "the request body is empty: send a JSON object such as "+example)
		return false
	case err != nil:
		writeError(w, http.StatusBadRequest, "bad request body ("+err.Error()+"): send a JSON object such as "+example)
		return false
	case dec.More():
		writeError(w, http.StatusBadRequest, "bad request body: more than one JSON value; send one object such as "+example)
		return false
	}
	return true
}

// writeChangeError maps topology change errors to status codes.
func writeChangeError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, topology.ErrNotFound):
		writeError(w, http.StatusNotFound, err.Error())
	case errors.Is(err, topology.ErrConflict):
		writeError(w, http.StatusConflict, err.Error())
	case errors.Is(err, topology.ErrInvalid):
		writeError(w, http.StatusBadRequest, err.Error())
	default:
		writeError(w, http.StatusInternalServerError, err.Error())
	}
}

// serverAfter describes addr in the snapshot published by a change.
func (s *Server) serverAfter(addr string, pools ...string) ChangeView {
	snap := s.Topology.Load()
	srv := snap.Server(addr)
	v := ChangeView{Server: s.member(srv)}
	cl := snap.Cluster(srv.Cluster)
	v.Warnings = poolWarnings(cl, pools...)
	return v
}

// poolWarnings notes the pools left without a routable member.
func poolWarnings(cl *topology.Cluster, pools ...string) []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range pools {
		if p == "" || seen[p] {
			continue
		}
		seen[p] = true
		if len(cl.Members(p)) == 0 {
			out = append(out, emptyPoolNote(cl, p))
		}
	}
	return out
}

func (s *Server) logChange(r *http.Request, msg string, args ...any) {
	if s.Log != nil {
		s.Log.Info(msg, append(args, "remote", r.RemoteAddr)...)
	}
}

func (s *Server) movePool(w http.ResponseWriter, r *http.Request) {
	addr := r.PathValue("address")
	var body struct {
		Pool *string `json:"pool"`
	}
	if !decodeBody(w, r, &body, false, `{"pool": "batch"}`) {
		return
	}
	if body.Pool == nil {
		writeError(w, http.StatusBadRequest, `"pool" is required, e.g. {"pool": "batch"}`)
		return
	}
	var prev string
	if srv := s.Topology.Load().Server(addr); srv != nil {
		prev = srv.Pool
	}
	if err := s.Topology.MoveServer(addr, *body.Pool); err != nil {
		writeChangeError(w, err)
		return
	}
	v := s.serverAfter(addr, prev)
	if prev != *body.Pool {
		v.PreviousPool = prev
		s.logChange(r, "admin: replica moved", "server", addr, "from", prev, "to", *body.Pool)
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) drain(w http.ResponseWriter, r *http.Request) {
	addr := r.PathValue("address")
	var body struct {
		Drain *bool `json:"drain"`
	}
	if !decodeBody(w, r, &body, true, `{"drain": true}`) {
		return
	}
	drain := body.Drain == nil || *body.Drain
	if err := s.Topology.Drain(addr, drain); err != nil {
		writeChangeError(w, err)
		return
	}
	v := s.serverAfter(addr)
	if drain {
		v.Warnings = poolWarnings(s.Topology.Load().Cluster(v.Server.Cluster), v.Server.Pool)
	}
	s.logChange(r, "admin: replica drain", "server", addr, "drain", drain)
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) weight(w http.ResponseWriter, r *http.Request) {
	addr := r.PathValue("address")
	var body struct {
		Weight *int `json:"weight"`
	}
	if !decodeBody(w, r, &body, false, `{"weight": 3}`) {
		return
	}
	if body.Weight == nil {
		writeError(w, http.StatusBadRequest, `"weight" is required, e.g. {"weight": 3}`)
		return
	}
	if err := s.Topology.SetWeight(addr, *body.Weight); err != nil {
		writeChangeError(w, err)
		return
	}
	s.logChange(r, "admin: replica weight", "server", addr, "weight", *body.Weight)
	writeJSON(w, http.StatusOK, s.serverAfter(addr))
}

func (s *Server) addReplica(w http.ResponseWriter, r *http.Request) {
	cluster := r.PathValue("cluster")
	var body config.Replica
	if !decodeBody(w, r, &jsonReplica{&body}, false, `{"address": "10.0.0.5:3306", "pool": "batch", "weight": 1, "zone": "a"}`) {
		return
	}
	if err := s.Topology.AddReplica(cluster, body); err != nil {
		writeChangeError(w, err)
		return
	}
	if s.Monitor != nil {
		s.Monitor.CheckNow()
	}
	s.logChange(r, "admin: replica added", "server", body.Address, "cluster", cluster)
	writeJSON(w, http.StatusCreated, s.serverAfter(body.Address))
}

// jsonReplica decodes config.Replica from the JSON names the API uses.
type jsonReplica struct{ r *config.Replica }

func (j *jsonReplica) UnmarshalJSON(data []byte) error {
	var v struct {
		Address string `json:"address"`
		Pool    string `json:"pool"`
		Weight  int    `json:"weight"`
		Zone    string `json:"zone"`
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return err
	}
	*j.r = config.Replica{Address: v.Address, Pool: v.Pool, Weight: v.Weight, Zone: v.Zone}
	return nil
}

func (s *Server) removeReplica(w http.ResponseWriter, r *http.Request) {
	addr := r.PathValue("address")
	before := s.Topology.Load().Server(addr)
	if err := s.Topology.RemoveReplica(addr); err != nil {
		writeChangeError(w, err)
		return
	}
	v := ChangeView{Server: s.member(before)}
	v.Server.Routable = false
	if s.Pools != nil {
		// Statements running on it finish; its idle connections go now.
		s.Pools.For(addr).CloseIdle()
	}
	if cl := s.Topology.Load().Cluster(before.Cluster); cl != nil {
		v.Warnings = poolWarnings(cl, before.Pool)
	}
	s.logChange(r, "admin: replica removed", "server", addr, "cluster", before.Cluster)
	writeJSON(w, http.StatusOK, v)
}

// ReloadView is the body of a successful POST /api/reload.
type ReloadView struct {
	Path          string   `json:"path"`
	Version       uint64   `json:"version"`
	Changes       []string `json:"changes"`
	RestartNeeded []string `json:"restart_needed"`
}

func (s *Server) reload(w http.ResponseWriter, r *http.Request) {
	if s.Control == nil {
		writeError(w, http.StatusNotImplemented, "reload is not available in this Strata")
		return
	}
	s.fileMu.Lock()
	defer s.fileMu.Unlock()
	if cur := s.Control.CurrentConfig(); cur == nil || cur.Path == "" {
		writeError(w, http.StatusConflict, errNoConfigFile.Error()+": there is no file to reload")
		return
	}
	changes, restart, err := s.Control.ReloadFile()
	if err != nil {
		status := http.StatusUnprocessableEntity // the file is there but not a valid config
		if isFileError(err) {
			status = http.StatusInternalServerError
		}
		writeError(w, status, "config not reloaded; Strata keeps running with the previous one: "+err.Error())
		return
	}
	if changes == nil {
		changes = []string{}
	}
	if restart == nil {
		restart = []string{}
	}
	if s.Monitor != nil {
		s.Monitor.CheckNow()
	}
	writeJSON(w, http.StatusOK, ReloadView{Path: s.Control.CurrentConfig().Path, Version: s.Topology.Load().Version, Changes: changes, RestartNeeded: restart})
}

var errNoConfigFile = errors.New("strata was started without a config file")

func isFileError(err error) bool {
	var pe *fs.PathError
	return errors.As(err, &pe)
}

// SaveView is the body of a successful POST /api/config/save.
type SaveView struct {
	Path   string `json:"path"`
	Backup string `json:"backup"`
	// NotSaved lists runtime state the config file cannot hold.
	NotSaved []string `json:"not_saved,omitempty"`
}

func (s *Server) saveConfig(w http.ResponseWriter, r *http.Request) {
	if s.Control == nil {
		writeError(w, http.StatusNotImplemented, "saving the config is not available in this Strata")
		return
	}
	force, _ := strconv.ParseBool(r.URL.Query().Get("force"))
	v, status, err := s.SaveTopology(force)
	if err != nil {
		writeError(w, status, err.Error())
		return
	}
	s.logChange(r, "admin: running topology saved to the config file", "path", v.Path, "backup", v.Backup)
	writeJSON(w, http.StatusOK, v)
}

// SaveTopology writes the running topology into the config file; without
// force it refuses when the file changed since Strata loaded it. The
// status goes with a non-nil error.
func (s *Server) SaveTopology(force bool) (SaveView, int, error) {
	s.fileMu.Lock()
	defer s.fileMu.Unlock()
	cur := s.Control.CurrentConfig()
	if cur == nil || cur.Path == "" {
		return SaveView{}, http.StatusConflict, errors.New(errNoConfigFile.Error() + ": there is no file to save to")
	}
	if !force {
		onDisk, err := config.Load(cur.Path)
		if err != nil {
			return SaveView{}, http.StatusConflict, fmt.Errorf("the config file cannot be used as it is (%v); fix it, or force the save (?force=true; strata config save -force) to write the running topology into it anyway", err)
		}
		if !sameConfig(onDisk, cur) {
			return SaveView{}, http.StatusConflict, errors.New("the config file changed since Strata loaded it: reload it first (strata reload), or force the save (?force=true; strata config save -force) to overwrite its clusters with the running topology")
		}
	}
	snap := s.Topology.Load()
	backup, err := config.WriteTopology(cur.Path, snap.ToConfig(cur))
	if err != nil {
		return SaveView{}, http.StatusInternalServerError, errors.New("config not saved: " + err.Error())
	}
	saved, err := config.Load(cur.Path)
	if err != nil {
		return SaveView{}, http.StatusInternalServerError, fmt.Errorf("config saved (previous file in %s) but it does not load back: %v", backup, err)
	}
	s.Control.ConfigSaved(saved)
	v := SaveView{Path: cur.Path, Backup: backup}
	for _, srv := range snap.Servers() {
		if srv.Drained {
			v.NotSaved = append(v.NotSaved, fmt.Sprintf("%s is drained: drains are not part of the config and end at the next restart", srv.Addr))
		}
	}
	return v, 0, nil
}

// sameConfig compares two loaded configs, ignoring where they came from.
func sameConfig(a, b *config.Config) bool {
	x, y := a.Clone(), b.Clone()
	x.Path, y.Path = "", ""
	return reflect.DeepEqual(x, y)
}
