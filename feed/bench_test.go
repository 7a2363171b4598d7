package feed_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"claudit/feed"
	"claudit/feed/sim"
)

// simPageBody builds a realistic full page: n activities from the
// simulator (every actor variant, hostile strings, big user agents), in the
// envelope the server sends.
func simPageBody(tb testing.TB, n int) []byte {
	tb.Helper()
	acts := sim.New(sim.Config{Seed: 42, Events: n, End: simEnd}).Activities()
	var b bytes.Buffer
	b.WriteString(`{"data":[`)
	count := 0
	for _, a := range acts {
		if count == n {
			break
		}
		if count > 0 {
			b.WriteByte(',')
		}
		b.Write(a.Raw)
		count++
	}
	b.WriteString(`],"has_more":true,"first_id":"c_first","last_id":"c_last"}`)
	if count != n {
		tb.Fatalf("simulator produced %d activities, want %d", count, n)
	}
	return b.Bytes()
}

// staticBody answers every request with the same 200 body, in memory.
type staticBody []byte

func (s staticBody) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader(s)), ContentLength: int64(len(s)), Request: r}, nil
}

// BenchmarkDecodePage measures reading and decoding one full page (5000
// activities) through ListPage with an in-memory transport: the client's
// whole per-page cost without the network.
func BenchmarkDecodePage(b *testing.B) {
	const n = feed.MaxLimit
	body := simPageBody(b, n)
	c, err := feed.New(feed.WithBaseURL("https://api.anthropic.com"), feed.WithHTTPClient(&http.Client{Transport: staticBody(body)}))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		p, err := c.ListPage(ctx, feed.PageParams{Limit: n})
		if err != nil {
			b.Fatal(err)
		}
		if len(p.Data) != n {
			b.Fatalf("decoded %d activities", len(p.Data))
		}
	}
	b.ReportMetric(float64(b.N*n)/time.Since(start).Seconds(), "events/s")
}

// BenchmarkClientSim drains 200,000 events in pages of 5000 from the
// simulator over real loopback HTTP.
func BenchmarkClientSim(b *testing.B) {
	if testing.Short() {
		b.Skip("builds a 200,000-event simulator")
	}
	const events = 200_000
	s, srv := loopbackSim(b, sim.Config{Seed: 1, Events: events, RateLimit: -1})
	total := len(s.Truth(time.Time{}, time.Time{}))
	c := loopbackClient(b, srv, sim.AdminKey)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		got := 0
		for p, err := range c.Older(ctx, feed.PageParams{Limit: feed.MaxLimit}) {
			if err != nil {
				b.Fatal(err)
			}
			got += len(p.Data)
		}
		if got != total {
			b.Fatalf("drained %d events, want %d", got, total)
		}
	}
	b.ReportMetric(float64(b.N*total)/time.Since(start).Seconds(), "events/s")
	b.ReportMetric(float64(total), "events/op")
}
