package fetch

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"syscall"
)

// reserved are the special-purpose ranges that IsPrivate, IsLoopback and
// friends do not cover but that must not be reachable either: shared
// carrier-grade NAT space (some clouds put metadata services there),
// "this network", protocol and documentation ranges, and the IPv6
// transition prefixes that embed an IPv4 address (NAT64, 6to4, Teredo),
// through which an internal IPv4 host could be reached. From the IANA
// IPv4 and IPv6 Special-Purpose Address Registries.
var reserved = [...]netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("192.88.99.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("::/96"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("100::/64"),
	netip.MustParsePrefix("2001::/23"),
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("2002::/16"),
	netip.MustParsePrefix("fec0::/10"),
}

// PublicAddr reports whether a is a public unicast address: not loopback,
// private (10/8, 172.16/12, 192.168/16, fc00::/7), link-local (169.254/16,
// where cloud metadata services answer, and fe80::/10), multicast,
// unspecified or otherwise reserved. IPv4-mapped IPv6 addresses are judged
// by their IPv4 address.
func PublicAddr(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || !a.IsGlobalUnicast() || a.IsPrivate() {
		return false
	}
	for _, p := range reserved {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// dialContext resolves the host of addr, refuses it if any of its
// addresses is not allowed, and connects to the checked addresses
// themselves, so that the name is not resolved a second time: a DNS
// answer that changes between the check and the connection (DNS
// rebinding) cannot slip a private address in. Redirects go through here
// too, so they are checked the same way.
func (f *Fetcher) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	addrs, err := f.resolve(ctx, host)
	if err != nil {
		return nil, &Error{Message: fmt.Sprintf("the host %q could not be resolved", host), Err: err}
	}
	for _, a := range addrs {
		if !f.allowAddr(a.Unmap()) {
			return nil, addrError(host, a)
		}
	}
	var last error
	for _, a := range addrs {
		conn, err := f.dial(ctx, network, net.JoinHostPort(a.Unmap().String(), port))
		if err == nil {
			return conn, nil
		}
		last = err
	}
	return nil, &Error{Message: fmt.Sprintf("could not connect to %q", host), Err: last}
}

// resolve returns the addresses of host: itself for an IP literal.
func (f *Fetcher) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return []netip.Addr{a}, nil
	}
	addrs, err := f.resolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, err
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("no address for %s", host)
	}
	return addrs, nil
}

// control is the dialer's last check, on the address the socket is about
// to connect to, whatever led there.
func (f *Fetcher) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return err
	}
	if !f.allowAddr(ap.Addr().Unmap()) {
		return addrError(ap.Addr().String(), ap.Addr())
	}
	return nil
}

// addrError refuses host because it resolved to a. The message does not
// name a: the client who sent the URL has no business learning what the
// gateway's resolver answers for internal names.
func addrError(host string, a netip.Addr) *Error {
	return &Error{
		Message: fmt.Sprintf("the host %q resolves to a private, loopback, link-local or otherwise reserved address", host),
		Err:     fmt.Errorf("%w: %s", ErrAddressNotAllowed, a),
	}
}
