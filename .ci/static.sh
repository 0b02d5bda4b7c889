#!/usr/bin/env bash
# Static checks: staticcheck and govulncheck at pinned versions, installed
# with `go install` into a temporary GOBIN, run on ./...
#
# staticcheck findings fail the script. govulncheck needs the Go
# vulnerability database (https://vuln.go.dev, GOVULNDB=file:///path to a
# local copy, or the one .ci/vulndb.sh builds, used when present): findings
# fail the script; a database that cannot be reached is reported loudly,
# as a check NOT done, and fails the script only with
# STATIC_REQUIRE_VULNDB=1 (machines without that network access would
# otherwise never pass).
set -uo pipefail
cd "$(dirname "$0")/.."

STATICCHECK_VERSION=v0.8.2 # staticcheck 2026.2.2, the newest release; needs Go 1.26
GOVULNCHECK_VERSION=v1.9.0
# The vulnerability database: GOVULNDB if set; else ../shared/vulndb, the
# snapshot every developer machine and CI has beside the clone; else the
# local copy that .ci/vulndb.sh builds from a golang/vulndb snapshot
# (VULNDB_DIR, outside the repository) when there is one; else
# https://vuln.go.dev.
SHARED_VULNDB="$(pwd -P)/../shared/vulndb"
VULNDB_DIR=${VULNDB_DIR:-/work/.vulndb}
if [ -z "${GOVULNDB:-}" ] && [ -f "$SHARED_VULNDB/index/modules.json" ]; then
	GOVULNDB=file://$(cd "$SHARED_VULNDB" && pwd -P)
elif [ -z "${GOVULNDB:-}" ] && [ -f "$VULNDB_DIR/index/modules.json" ]; then
	GOVULNDB=file://$(cd "$VULNDB_DIR" && pwd -P)
fi
GOVULNDB=${GOVULNDB:-https://vuln.go.dev}

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT

echo "static: installing staticcheck@$STATICCHECK_VERSION and govulncheck@$GOVULNCHECK_VERSION into $bin"
for pkg in "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION" "golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK_VERSION"; do
	if ! GOBIN="$bin" go install "$pkg"; then
		echo "static: go install $pkg failed" >&2
		exit 1
	fi
done
"$bin/staticcheck" -version

status=0

echo "static: staticcheck ./..."
if "$bin/staticcheck" ./...; then
	echo "static: staticcheck: no findings"
else
	echo "static: staticcheck: FINDINGS (above)" >&2
	status=1
fi

echo "static: govulncheck ./... (database $GOVULNDB)"
if [[ $GOVULNDB == file://* ]]; then
	# A local copy is only as good as its snapshot: say how old it is.
	dbdir=${GOVULNDB#file://}
	newest=$(sed -nE 's/.*"modified":"([^"]*)".*/\1/p' "$dbdir/index/db.json" 2>/dev/null)
	age=""
	if [ -n "$newest" ] && s=$(date -d "$newest" +%s 2>/dev/null); then
		age=" ($(( ($(date +%s) - s) / 86400 )) days ago)"
	fi
	echo "static: LOCAL vulnerability database: newest entry modified ${newest:-unknown}$age;" \
		"reports published since then are not checked"
fi
out=$(mktemp)
"$bin/govulncheck" -db "$GOVULNDB" ./... >"$out" 2>&1
rc=$?
cat "$out"
if [ $rc -eq 0 ]; then
	echo "static: govulncheck: no vulnerabilities reached"
elif [ $rc -eq 3 ]; then
	echo "static: govulncheck: VULNERABILITIES (above)" >&2
	status=1
elif grep -qE 'fetching vulnerabilities|no such host|dial tcp|connection refused|i/o timeout|TLS handshake|server response' "$out"; then
	echo "static: ******************************************************************" >&2
	echo "static: govulncheck could NOT reach the vulnerability database $GOVULNDB:" >&2
	echo "static: NO vulnerability check was done. Run this where it is reachable," >&2
	echo "static: or point GOVULNDB at a local copy (file:///path), or build one" >&2
	echo "static: in $VULNDB_DIR from a golang/vulndb snapshot with .ci/vulndb.sh." >&2
	echo "static: ******************************************************************" >&2
	if [ "${STATIC_REQUIRE_VULNDB:-0}" = 1 ]; then
		status=1
	fi
else
	echo "static: govulncheck failed (exit $rc, above)" >&2
	status=1
fi
rm -f "$out"

exit $status
