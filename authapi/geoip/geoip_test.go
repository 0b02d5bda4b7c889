package geoip_test

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/latchauth/latch/authapi/geoip"
	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// writeDB writes a small City-shaped database: 203.0.113.0/24 in Berlin,
// 198.51.100.0/24 with a country only.
func writeDB(t *testing.T) string {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "GeoLite2-City", RecordSize: 24, IncludeReservedNetworks: true})
	if err != nil {
		t.Fatal(err)
	}
	names := func(en string) mmdbtype.Map {
		return mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String(en)}}
	}
	for cidr, rec := range map[string]mmdbtype.Map{
		"203.0.113.0/24":  {"city": names("Berlin"), "country": names("Germany")},
		"198.51.100.0/24": {"country": names("France")},
	} {
		_, network, err := net.ParseCIDR(cidr)
		if err != nil {
			t.Fatal(err)
		}
		if err := tree.Insert(network, rec); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "city.mmdb")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := tree.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLocate(t *testing.T) {
	db, err := geoip.Open(writeDB(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for ip, want := range map[string]string{
		"203.0.113.7":        "Berlin, Germany",
		"::ffff:203.0.113.7": "Berlin, Germany",
		"198.51.100.1":       "France",
		"192.0.2.1":          "",
		"not an address":     "",
		"2001:db8::1":        "",
	} {
		if got := db.Locate(ip); got != want {
			t.Errorf("Locate(%q) = %q, want %q", ip, got, want)
		}
	}
	if _, err := geoip.Open(filepath.Join(t.TempDir(), "missing.mmdb")); err == nil {
		t.Error("Open of a missing file succeeded")
	}
}
