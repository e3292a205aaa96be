package server

import (
	"fmt"
	"net/http"
	"sync"
	"time"
)

// hub fans rebuild numbers out to the open event streams.
type hub struct {
	mu      sync.Mutex
	clients map[chan uint64]struct{}
}

// subscribe returns a channel that receives the number of each rebuild. It
// holds only the latest: a slow client skips to it.
func (h *hub) subscribe() chan uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.clients == nil {
		h.clients = make(map[chan uint64]struct{})
	}
	c := make(chan uint64, 1)
	h.clients[c] = struct{}{}
	return c
}

func (h *hub) unsubscribe(c chan uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.clients, c)
}

func (h *hub) publish(gen uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.clients {
		select {
		case <-c: // drop the older number
		default:
		}
		c <- gen
	}
}

// keepAlive is how often an idle event stream gets a comment line, so that
// proxies and browsers do not time it out.
const keepAlive = 25 * time.Second

// events serves the reload event stream: a "hello" event with the current
// rebuild number on connecting, then a "reload" event with the number of
// each rebuild. It ends when the client goes away or the server shuts down.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming not supported", http.StatusInternalServerError)
		return
	}
	c := s.hub.subscribe()
	defer s.hub.unsubscribe(c)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	// retry: a restarted server is found again quickly.
	fmt.Fprintf(w, "retry: 500\nevent: hello\ndata: %d\n\n", s.cur.Load().gen)
	flusher.Flush()
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.stop:
			return
		case gen := <-c:
			fmt.Fprintf(w, "event: reload\ndata: %d\n\n", gen)
			flusher.Flush()
		case <-tick.C:
			fmt.Fprint(w, ": keep-alive\n\n")
			flusher.Flush()
		}
	}
}
