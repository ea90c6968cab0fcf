package fetch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Image signatures, padded so that sniffing sees a plausible file.
var (
	pngBytes  = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), make([]byte, 32)...)
	jpegBytes = append([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), make([]byte, 32)...)
	gifBytes  = append([]byte("GIF89a\x01\x00\x01\x00"), make([]byte, 32)...)
	webpBytes = append([]byte("RIFF\x24\x00\x00\x00WEBPVP8 "), make([]byte, 32)...)
)

// fakeResolver answers from a table and never asks a real DNS server, so
// that no test traffic leaves the machine.
type fakeResolver struct {
	mu    sync.Mutex
	hosts map[string][]netip.Addr
	calls int
}

func (r *fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	addrs, ok := r.hosts[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return addrs, nil
}

func addrs(s ...string) []netip.Addr {
	out := make([]netip.Addr, len(s))
	for i, a := range s {
		out[i] = netip.MustParseAddr(a)
	}
	return out
}

// loopbackOrPublic lets tests reach httptest servers; everything else
// follows the default policy.
func loopbackOrPublic(a netip.Addr) bool { return a.IsLoopback() || PublicAddr(a) }

// testFetcher is a Fetcher whose resolver is r and whose dialer refuses,
// and reports, any address other than loopback: a test that would send a
// packet elsewhere fails instead.
type testFetcher struct {
	*Fetcher
	dialled atomic.Int32
}

func newTestFetcher(t *testing.T, cfg Config, r *fakeResolver) *testFetcher {
	t.Helper()
	if cfg.Resolver == nil {
		cfg.Resolver = r
	}
	tf := &testFetcher{Fetcher: New(cfg)}
	dial := tf.dial
	tf.dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		tf.dialled.Add(1)
		ap, err := netip.ParseAddrPort(addr)
		if err != nil || !ap.Addr().IsLoopback() {
			t.Errorf("dialled %q: only checked loopback addresses may be dialled in tests", addr)
			return nil, errors.New("test dialer: refused")
		}
		return dial(ctx, network, addr)
	}
	return tf
}

// server starts an httptest server and returns it with its port.
func server(t *testing.T, h http.Handler) (*httptest.Server, string) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return srv, port
}

func serveBytes(b []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(b)
	}
}

// wantErr checks that err is an *Error whose cause is target.
func wantErr(t *testing.T, err, target error) {
	t.Helper()
	var fe *Error
	if !errors.As(err, &fe) {
		t.Fatalf("got error %T %v, want *fetch.Error", err, err)
	}
	if !errors.Is(err, target) {
		t.Errorf("got error %q (cause %v), want cause %v", err, fe.Err, target)
	}
}

func TestFetchImageTypes(t *testing.T) {
	tests := []struct {
		name string
		body []byte
		want string
	}{
		{"png", pngBytes, "image/png"},
		{"jpeg", jpegBytes, "image/jpeg"},
		{"gif", gifBytes, "image/gif"},
		{"webp", webpBytes, "image/webp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, port := server(t, serveBytes(tt.body))
			r := &fakeResolver{hosts: map[string][]netip.Addr{"images.test": addrs("127.0.0.1")}}
			f := newTestFetcher(t, Config{AllowHosts: []string{"images.test"}, AllowAddr: loopbackOrPublic}, r)
			img, err := f.Fetch(context.Background(), "http://images.test:"+port+"/a")
			if err != nil {
				t.Fatal(err)
			}
			if img.MediaType != tt.want || !bytes.Equal(img.Data, tt.body) {
				t.Errorf("got %s (%d bytes), want %s (%d bytes)", img.MediaType, len(img.Data), tt.want, len(tt.body))
			}
		})
	}
}

// TestFetchDialsCheckedAddress: the connection goes to the address that
// was checked, never to the name, so a resolver asked again (DNS
// rebinding) has no say.
func TestFetchDialsCheckedAddress(t *testing.T) {
	_, port := server(t, serveBytes(pngBytes))
	r := &fakeResolver{hosts: map[string][]netip.Addr{"images.test": addrs("127.0.0.1")}}
	f := newTestFetcher(t, Config{AllowHosts: []string{"*.test"}, AllowAddr: loopbackOrPublic}, r)
	var got []string
	dial := f.dial
	f.dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		got = append(got, addr)
		return dial(ctx, network, addr)
	}
	if _, err := f.Fetch(context.Background(), "http://images.test:"+port+"/a"); err != nil {
		t.Fatal(err)
	}
	if want := "127.0.0.1:" + port; len(got) != 1 || got[0] != want {
		t.Errorf("dialled %q, want [%q]", got, want)
	}
	if r.calls != 1 {
		t.Errorf("got %d lookups, want 1", r.calls)
	}
}

func TestFetchHostNotAllowed(t *testing.T) {
	var hits atomic.Int32
	_, port := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	tests := []struct {
		name  string
		hosts []string
		url   string
	}{
		{"no allow-list", nil, "http://images.test:" + port + "/a"},
		{"other host", []string{"cdn.example.com"}, "http://images.test:" + port + "/a"},
		{"subdomain pattern excludes the apex", []string{"*.images.test"}, "http://images.test:" + port + "/a"},
		{"suffix is not a subdomain", []string{"*.test"}, "http://images.test.evil:" + port + "/a"},
		{"scheme", []string{"*"}, "file:///etc/passwd"},
		{"ftp", []string{"*"}, "ftp://images.test/a.png"},
	}
	r := &fakeResolver{hosts: map[string][]netip.Addr{"images.test": addrs("127.0.0.1"), "images.test.evil": addrs("127.0.0.1")}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newTestFetcher(t, Config{AllowHosts: tt.hosts, AllowAddr: loopbackOrPublic}, r)
			_, err := f.Fetch(context.Background(), tt.url)
			if err == nil {
				t.Fatal("got no error, want a refusal")
			}
			if !errors.Is(err, ErrHostNotAllowed) && !errors.Is(err, ErrRequest) {
				t.Errorf("got %v, want ErrHostNotAllowed or ErrRequest", err)
			}
			if n := f.dialled.Load(); n != 0 {
				t.Errorf("dialled %d times, want 0", n)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("server got %d requests, want 0", n)
	}
}

func TestFetchHostPatterns(t *testing.T) {
	f := New(Config{AllowHosts: []string{"*.Example.com", "img?.cdn.test", "[bad"}})
	tests := []struct {
		host string
		want bool
	}{
		{"a.example.com", true},
		{"A.B.EXAMPLE.COM", true},
		{"a.example.com.", true},
		{"example.com", false},
		{"img1.cdn.test", true},
		{"img12.cdn.test", false},
		{"[bad", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := f.hostAllowed(tt.host); got != tt.want {
			t.Errorf("hostAllowed(%q) = %v, want %v", tt.host, got, tt.want)
		}
	}
}

// TestFetchPrivateAddresses: a host (allowed by name) that resolves to an
// internal address, or an internal IP literal, is refused before any
// connection is attempted.
func TestFetchPrivateAddresses(t *testing.T) {
	for _, a := range []string{
		"10.1.2.3", "172.16.5.4", "192.168.0.10", "169.254.169.254", "127.0.0.1",
		"0.0.0.0", "100.64.1.1", "224.0.0.1", "::1", "fc00::1", "fd00:ec2::254", "fe80::1",
		"::ffff:10.0.0.1", "::ffff:169.254.169.254", "::",
	} {
		t.Run(a, func(t *testing.T) {
			r := &fakeResolver{hosts: map[string][]netip.Addr{"internal.test": addrs(a)}}
			// The default address policy, so loopback is refused too.
			f := newTestFetcher(t, Config{AllowHosts: []string{"*"}}, r)
			for _, u := range []string{"http://internal.test/a.png", "http://" + net.JoinHostPort(a, "80") + "/a.png"} {
				_, err := f.Fetch(context.Background(), u)
				wantErr(t, err, ErrAddressNotAllowed)
				if strings.Contains(err.Error(), netip.MustParseAddr(a).Unmap().String()) && !strings.Contains(u, a) {
					t.Errorf("error %q names the resolved address", err)
				}
			}
			if n := f.dialled.Load(); n != 0 {
				t.Errorf("dialled %d times, want 0", n)
			}
		})
	}
}

// TestFetchMixedAnswer: one internal address among public ones refuses the
// host: the dialer would otherwise pick whichever it likes.
func TestFetchMixedAnswer(t *testing.T) {
	_, port := server(t, serveBytes(pngBytes))
	r := &fakeResolver{hosts: map[string][]netip.Addr{"images.test": addrs("127.0.0.1", "10.0.0.7")}}
	f := newTestFetcher(t, Config{AllowHosts: []string{"images.test"}, AllowAddr: loopbackOrPublic}, r)
	_, err := f.Fetch(context.Background(), "http://images.test:"+port+"/a")
	wantErr(t, err, ErrAddressNotAllowed)
	if n := f.dialled.Load(); n != 0 {
		t.Errorf("dialled %d times, want 0", n)
	}
}

// TestFetchControlChecksDialledAddress: the dialer's Control hook refuses
// an address the policy refuses, whatever led to it.
func TestFetchControlChecksDialledAddress(t *testing.T) {
	f := New(Config{})
	for _, a := range []string{"10.0.0.1:80", "[::1]:443", "169.254.169.254:80", "[::ffff:127.0.0.1]:80"} {
		if err := f.control("tcp", a, nil); !errors.Is(err, ErrAddressNotAllowed) {
			t.Errorf("control(%s) = %v, want ErrAddressNotAllowed", a, err)
		}
	}
	if err := f.control("tcp", "8.8.8.8:443", nil); err != nil {
		t.Errorf("control(8.8.8.8:443) = %v, want nil", err)
	}
}

func TestFetchRedirects(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/img", serveBytes(pngBytes))
	redirect := func(to string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, to, http.StatusFound) }
	}
	mux.Handle("/to-metadata", redirect("http://metadata.test/latest/meta-data/"))
	mux.Handle("/to-metadata-ip", redirect("http://169.254.169.254/latest/meta-data/"))
	mux.Handle("/to-private-v6", redirect("http://[fd00::1]/"))
	mux.Handle("/to-other-host", redirect("http://elsewhere.example/a.png"))
	mux.Handle("/to-file", redirect("file:///etc/passwd"))
	var loops atomic.Int32
	mux.HandleFunc("/loop/{n}", func(w http.ResponseWriter, r *http.Request) {
		loops.Add(1)
		http.Redirect(w, r, "/loop/"+r.PathValue("n")+"x", http.StatusFound)
	})
	mux.Handle("/hop2", redirect("/hop1"))
	mux.Handle("/hop1", redirect("/img"))
	_, port := server(t, mux)
	base := "http://images.test:" + port
	r := &fakeResolver{hosts: map[string][]netip.Addr{
		"images.test":       addrs("127.0.0.1"),
		"metadata.test":     addrs("169.254.169.254"),
		"elsewhere.example": addrs("127.0.0.1"),
	}}
	tests := []struct {
		name string
		path string
		want error // nil: success
	}{
		{"within the limit", "/hop2", nil},
		{"to a name of a link-local address", "/to-metadata", ErrAddressNotAllowed},
		{"to a link-local literal", "/to-metadata-ip", ErrAddressNotAllowed},
		{"to a private IPv6 literal", "/to-private-v6", ErrAddressNotAllowed},
		{"to a host off the allow-list", "/to-other-host", ErrHostNotAllowed},
		{"to a file URL", "/to-file", ErrRequest},
		{"too many", "/loop/x", ErrRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newTestFetcher(t, Config{
				AllowHosts:   []string{"*.test", "169.254.169.254", "fd00::1"},
				MaxRedirects: 2,
				AllowAddr:    loopbackOrPublic,
			}, r)
			img, err := f.Fetch(context.Background(), base+tt.path)
			if tt.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				if img.MediaType != "image/png" {
					t.Errorf("got %s, want image/png", img.MediaType)
				}
				return
			}
			wantErr(t, err, tt.want)
		})
	}
	// The first request and two redirects: three hits, no fourth.
	if n := loops.Load(); n != 3 {
		t.Errorf("the redirect loop was requested %d times, want 3", n)
	}
}

func TestFetchNoRedirects(t *testing.T) {
	_, port := server(t, http.RedirectHandler("/img", http.StatusFound))
	r := &fakeResolver{hosts: map[string][]netip.Addr{"images.test": addrs("127.0.0.1")}}
	f := newTestFetcher(t, Config{AllowHosts: []string{"images.test"}, MaxRedirects: -1, AllowAddr: loopbackOrPublic}, r)
	_, err := f.Fetch(context.Background(), "http://images.test:"+port+"/a")
	wantErr(t, err, ErrRequest)
}

func TestFetchTooLarge(t *testing.T) {
	big := append(bytes.Clone(pngBytes), make([]byte, 2048)...)
	tests := []struct {
		name string
		h    http.HandlerFunc
	}{
		{"content length", serveBytes(big)},
		{"chunked", func(w http.ResponseWriter, _ *http.Request) {
			// Flushing before the end sends no Content-Length, so the cap
			// must hold while reading.
			for chunk := range slices.Chunk(big, 256) {
				_, _ = w.Write(chunk)
				w.(http.Flusher).Flush()
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, port := server(t, tt.h)
			r := &fakeResolver{hosts: map[string][]netip.Addr{"images.test": addrs("127.0.0.1")}}
			f := newTestFetcher(t, Config{AllowHosts: []string{"images.test"}, MaxBytes: 1024, AllowAddr: loopbackOrPublic}, r)
			_, err := f.Fetch(context.Background(), "http://images.test:"+port+"/a")
			wantErr(t, err, ErrTooLarge)
		})
	}
	t.Run("exactly the cap", func(t *testing.T) {
		_, port := server(t, serveBytes(big[:1024]))
		r := &fakeResolver{hosts: map[string][]netip.Addr{"images.test": addrs("127.0.0.1")}}
		f := newTestFetcher(t, Config{AllowHosts: []string{"images.test"}, MaxBytes: 1024, AllowAddr: loopbackOrPublic}, r)
		img, err := f.Fetch(context.Background(), "http://images.test:"+port+"/a")
		if err != nil {
			t.Fatal(err)
		}
		if len(img.Data) != 1024 {
			t.Errorf("got %d bytes, want 1024", len(img.Data))
		}
	})
}

// TestFetchTimeout: a server that never finishes is cut at the deadline.
// The handlers block until the client goes away, so the test waits on
// nothing but the fetcher's own timeout.
func TestFetchTimeout(t *testing.T) {
	tests := []struct {
		name string
		h    http.HandlerFunc
	}{
		{"no headers", func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }},
		{"slow body", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write(pngBytes[:8])
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, port := server(t, tt.h)
			r := &fakeResolver{hosts: map[string][]netip.Addr{"images.test": addrs("127.0.0.1")}}
			f := newTestFetcher(t, Config{AllowHosts: []string{"images.test"}, Timeout: 50 * time.Millisecond, AllowAddr: loopbackOrPublic}, r)
			_, err := f.Fetch(context.Background(), "http://images.test:"+port+"/a")
			var fe *Error
			if !errors.As(err, &fe) || !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("got %v, want an *Error caused by the deadline", err)
			}
			if !strings.Contains(fe.Message, "longer than 50ms") {
				t.Errorf("got message %q, want it to name the timeout", fe.Message)
			}
		})
	}
}

func TestFetchRefusedContent(t *testing.T) {
	tests := []struct {
		name   string
		h      http.HandlerFunc
		target error
	}{
		{"html served as png", serveBytes([]byte("<!DOCTYPE html><html><body>hi</body></html>")), ErrType},
		{"svg", serveBytes([]byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>`)), ErrType},
		{"pdf", serveBytes([]byte("%PDF-1.7\n")), ErrType},
		{"empty", serveBytes(nil), ErrType},
		{"not found", func(w http.ResponseWriter, _ *http.Request) { http.NotFound(w, nil) }, ErrRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, port := server(t, tt.h)
			r := &fakeResolver{hosts: map[string][]netip.Addr{"images.test": addrs("127.0.0.1")}}
			f := newTestFetcher(t, Config{AllowHosts: []string{"images.test"}, AllowAddr: loopbackOrPublic}, r)
			_, err := f.Fetch(context.Background(), "http://images.test:"+port+"/a")
			wantErr(t, err, tt.target)
		})
	}
}

func TestFetchUnresolvable(t *testing.T) {
	f := newTestFetcher(t, Config{AllowHosts: []string{"*"}}, &fakeResolver{})
	_, err := f.Fetch(context.Background(), "http://nowhere.test/a.png")
	var fe *Error
	if !errors.As(err, &fe) || !strings.Contains(fe.Message, "could not be resolved") {
		t.Fatalf("got %v, want an *Error saying the host could not be resolved", err)
	}
}

func TestFetchCanceled(t *testing.T) {
	_, port := server(t, serveBytes(pngBytes))
	r := &fakeResolver{hosts: map[string][]netip.Addr{"images.test": addrs("127.0.0.1")}}
	f := newTestFetcher(t, Config{AllowHosts: []string{"images.test"}, AllowAddr: loopbackOrPublic}, r)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := f.Fetch(ctx, fmt.Sprintf("http://images.test:%s/a", port))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}
