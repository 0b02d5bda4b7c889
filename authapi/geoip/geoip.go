// Package geoip names where an IP address is, from a MaxMind-format
// database (GeoLite2-City, GeoIP2-City, GeoLite2-Country, DB-IP's lite
// databases): for authapi.Config.Locate, so that the account page says
// "Berlin, Germany" beside a session's address. It lives apart from
// authapi so that an app without a database does not compile the reader in.
package geoip

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/oschwald/maxminddb-golang/v2"
)

// DB is an open database. It is safe for concurrent use.
type DB struct {
	r *maxminddb.Reader
	// Language picks the names shown (a key of the database's "names"
	// maps). Default "en".
	Language string
}

// Open opens a MaxMind-format (.mmdb) file.
func Open(path string) (*DB, error) {
	r, err := maxminddb.Open(path)
	if err != nil {
		return nil, fmt.Errorf("geoip: opening %s: %w", path, err)
	}
	return &DB{r: r}, nil
}

// Close releases the database.
func (db *DB) Close() error { return db.r.Close() }

// record is the part of a City or Country record Locate reads.
type record struct {
	City struct {
		Names map[string]string `maxminddb:"names"`
	} `maxminddb:"city"`
	Subdivisions []struct {
		Names map[string]string `maxminddb:"names"`
	} `maxminddb:"subdivisions"`
	Country struct {
		Names map[string]string `maxminddb:"names"`
	} `maxminddb:"country"`
}

// Locate returns "City, Country" (or what of it the database knows) for an
// address, or "" for an address it does not know or cannot parse. Its
// signature is authapi.Config.Locate's.
func (db *DB) Locate(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return ""
	}
	var rec record
	if err := db.r.Lookup(addr.Unmap()).Decode(&rec); err != nil {
		return ""
	}
	lang := db.Language
	if lang == "" {
		lang = "en"
	}
	var parts []string
	if n := rec.City.Names[lang]; n != "" {
		parts = append(parts, n)
	} else if len(rec.Subdivisions) > 0 && rec.Subdivisions[0].Names[lang] != "" {
		parts = append(parts, rec.Subdivisions[0].Names[lang])
	}
	if n := rec.Country.Names[lang]; n != "" {
		parts = append(parts, n)
	}
	return strings.Join(parts, ", ")
}
