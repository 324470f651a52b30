package proxy

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// upgradeKey is the context key of an upgrade request's *upgrade.
type upgradeKey struct{}

// upgrade records that the API switched protocols (101) for a request.
type upgrade struct{ upgraded atomic.Bool }

// isUpgrade reports whether r asks to switch protocols, as a WebSocket
// handshake does.
func isUpgrade(r *http.Request) bool {
	if r.Header.Get("Upgrade") == "" {
		return false
	}
	for _, v := range r.Header.Values("Connection") {
		for tok := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), "upgrade") {
				return true
			}
		}
	}
	return false
}

// serveUpgrade forwards an upgrade request. When the API switches
// protocols, ReverseProxy copies the two connections inside ServeHTTP
// until either ends or r's context does: so a [Server] waits for it at
// shutdown, and cuts it at the deadline. Its end is logged.
func (p *Proxy) serveUpgrade(w http.ResponseWriter, r *http.Request) {
	up := &upgrade{}
	r = r.WithContext(context.WithValue(r.Context(), upgradeKey{}, up))
	start := time.Now()
	p.rp.ServeHTTP(w, r)
	if !up.upgraded.Load() {
		return
	}
	p.stats.upgraded.Add(1)
	if p.cfg.Logger != nil {
		p.cfg.Logger.LogAttrs(context.Background(), slog.LevelInfo, "loginauth proxy: upgraded connection ended",
			slog.String("path", r.URL.Path),
			slog.String("protocol", r.Header.Get("Upgrade")),
			slog.Duration("duration", time.Since(start)),
			slog.Bool("cut", r.Context().Err() != nil),
		)
	}
}
