package fetch

import (
	"net/netip"
	"testing"
)

func TestPublicAddr(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		{"8.8.8.8", true},
		{"93.184.216.34", true},
		{"2606:4700:4700::1111", true},
		{"::ffff:8.8.8.8", true},

		{"10.1.2.3", false},
		{"172.16.0.1", false},
		{"172.31.255.254", false},
		{"192.168.1.1", false},
		{"127.0.0.1", false},
		{"127.9.9.9", false},
		{"169.254.169.254", false}, // cloud metadata
		{"0.0.0.0", false},
		{"0.1.2.3", false},
		{"100.64.0.1", false},      // carrier-grade NAT
		{"100.100.100.200", false}, // a metadata service in CGNAT space
		{"192.0.0.1", false},
		{"198.18.0.1", false},
		{"224.0.0.1", false},
		{"239.255.255.250", false},
		{"240.0.0.1", false},
		{"255.255.255.255", false},
		{"::", false},
		{"::1", false},
		{"::10.0.0.1", false}, // IPv4-compatible
		{"::ffff:10.0.0.1", false},
		{"::ffff:127.0.0.1", false},
		{"::ffff:169.254.169.254", false},
		{"fc00::1", false},
		{"fd00:ec2::254", false}, // EC2 metadata over IPv6
		{"fe80::1", false},
		{"fec0::1", false},
		{"ff02::1", false},
		{"64:ff9b::a00:1", false}, // NAT64 of 10.0.0.1
		{"2002:a00:1::1", false},  // 6to4 of 10.0.0.1
		{"2001::1", false},        // Teredo
		{"2001:db8::1", false},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			if got := PublicAddr(netip.MustParseAddr(tt.addr)); got != tt.want {
				t.Errorf("PublicAddr(%s) = %v, want %v", tt.addr, got, tt.want)
			}
		})
	}
	if PublicAddr(netip.Addr{}) {
		t.Error("PublicAddr(zero Addr) = true, want false")
	}
}
