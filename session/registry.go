package session

import (
	"sync"
	"sync/atomic"
)

// Registry hands out Strata's own connection ids and finds sessions by id,
// so KILL uses the ids clients see rather than any one backend's thread ids.
type Registry struct {
	next     atomic.Uint32
	mu       sync.RWMutex
	sessions map[uint32]*Session
}

// NewRegistry creates an empty registry.
func NewRegistry() *Registry { return &Registry{sessions: map[uint32]*Session{}} }

// NextID returns a new connection id (never 0).
func (r *Registry) NextID() uint32 {
	for {
		if id := r.next.Add(1); id != 0 {
			return id
		}
	}
}

func (r *Registry) add(s *Session) {
	r.mu.Lock()
	r.sessions[s.ID] = s
	r.mu.Unlock()
}

func (r *Registry) remove(id uint32) {
	r.mu.Lock()
	delete(r.sessions, id)
	r.mu.Unlock()
}

// Get returns the session with the id, or nil.
func (r *Registry) Get(id uint32) *Session {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.sessions[id]
}

// Len is the number of open sessions.
func (r *Registry) Len() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.sessions)
}

// Info is a session as the admin API lists it.
type Info struct {
	ID     uint32 `json:"id"`
	User   string `json:"user"`
	Client string `json:"client"`
}

// List describes every open session.
func (r *Registry) List() []Info {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]Info, 0, len(r.sessions))
	for _, s := range r.sessions {
		out = append(out, Info{ID: s.ID, User: s.UserName(), Client: s.ClientAddr})
	}
	return out
}
