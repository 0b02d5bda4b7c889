#!/usr/bin/env bash
# Build a local Go vulnerability database for govulncheck (-db file:///…)
# from a git snapshot of github.com/golang/vulndb, for machines that cannot
# reach https://vuln.go.dev. The snapshot's data/osv/GO-*.json are the
# entries vuln.go.dev serves; this lays them out as the v1 database
# (https://go.dev/security/vuln/database#api):
#
#   index/db.json       {"modified": newest entry's modified}
#   index/modules.json  [{"path", "vulns": [{"id", "modified"}]}], by path
#   ID/GO-….json        the OSV entries, with the times vuln.go.dev gives
#
# The modules index leaves out the optional "fixed" hint, so govulncheck
# reads every entry of a module the build uses and decides from the
# entry's own ranges (slower by a few files, never a missed report).
#
# The database is built OUTSIDE the repository (default /work/.vulndb) and
# must never be committed. Usage:
#   VULNDB_SNAPSHOT=/path/to/vulndb.git VULNDB_DIR=/work/.vulndb .ci/vulndb.sh
# VULNDB_SNAPSHOT is a git directory (bare or not) of golang/vulndb.
set -euo pipefail

VULNDB_SNAPSHOT=${VULNDB_SNAPSHOT:-/work/.mirror/golang+vulndb/repo}
VULNDB_DIR=${VULNDB_DIR:-/work/.vulndb}

if ! git --git-dir="$VULNDB_SNAPSHOT" rev-parse --verify -q HEAD:data/osv >/dev/null 2>&1; then
	echo "vulndb: no golang/vulndb snapshot with data/osv at $VULNDB_SNAPSHOT" >&2
	exit 1
fi
command -v jq >/dev/null || { echo "vulndb: needs jq" >&2; exit 1; }

repo=$(cd "$(dirname "$0")/.." && pwd -P)
mkdir -p "$(dirname "$VULNDB_DIR")"
out=$(cd "$(dirname "$VULNDB_DIR")" && pwd -P)/$(basename "$VULNDB_DIR")
case "$out/" in
"$repo"/*) echo "vulndb: $out is inside the repository; build it outside" >&2; exit 1 ;;
esac

tmp=$(mktemp -d "$out.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/ID" "$tmp/index"

# The entries as stored have zero "modified" and "published" times: the
# database generator sets them from git history (modified: the newest
# commit touching the file; published: the oldest, unless the entry has
# one). Do the same, in one pass over the log.
TZ=UTC git --git-dir="$VULNDB_SNAPSHOT" log --format='C %cd' --date=format-local:%Y-%m-%dT%H:%M:%SZ --name-only HEAD -- data/osv |
	awk '/^C /{d=$2; next}
		/^data\/osv\/GO-.*\.json$/{n=substr($0,10); sub(/\.json$/,"",n); if(!(n in newest)) newest[n]=d; oldest[n]=d}
		END{printf "{"; sep=""; for(n in newest){printf "%s\"%s\":[\"%s\",\"%s\"]", sep, n, newest[n], oldest[n]; sep=","}; print "}"}' >"$tmp/dates.json"

mkdir -p "$tmp/osv"
git --git-dir="$VULNDB_SNAPSHOT" archive --format=tar HEAD:data/osv |
	tar -x -C "$tmp/osv" --wildcards 'GO-*.json'
n=$(find "$tmp/osv" -name 'GO-*.json' | wc -l)
if [ "$n" -eq 0 ]; then
	echo "vulndb: the snapshot has no data/osv/GO-*.json" >&2
	exit 1
fi

# One line per entry, "ID JSON", with the times set; a file name that is
# not its entry's id is an error, as govulncheck would make it.
find "$tmp/osv" -name 'GO-*.json' -print0 | xargs -0 jq -r --slurpfile dates "$tmp/dates.json" '
	(input_filename | split("/") | last) as $f
	| if $f != (.id + ".json") then error("\($f) holds entry \(.id)") else . end
	| $dates[0][.id] as $d
	| if $d == null then error("no commit dates for \(.id)") else . end
	| .modified = $d[0]
	| if (.published // "0001-01-01T00:00:00Z") | startswith("0001-") then .published = $d[1] else . end
	| .id + " " + tojson' >"$tmp/entries.txt"
if [ "$(wc -l <"$tmp/entries.txt")" -ne "$n" ]; then
	echo "vulndb: read $(wc -l <"$tmp/entries.txt") of $n entries" >&2
	exit 1
fi
awk -v dir="$tmp/ID" '{f = dir "/" $1 ".json"; print substr($0, length($1) + 2) > f; close(f)}' "$tmp/entries.txt"

# The indexes. OSV names the module in affected[].package.name.
jq -c '{id, modified, paths: [.affected[]?.package.name] | unique}' "$tmp"/ID/GO-*.json |
	jq -s '
		{db: {modified: (map(.modified) | max)},
		 modules: (map(.id as $id | .modified as $m | .paths[] | {path: ., id: $id, modified: $m})
		           | group_by(.path)
		           | map({path: .[0].path, vulns: (map({id, modified}) | sort_by(.id))}))}' >"$tmp/all.json"
jq -c .db "$tmp/all.json" >"$tmp/index/db.json"
jq -c .modules "$tmp/all.json" >"$tmp/index/modules.json"
rm -r "$tmp/all.json" "$tmp/entries.txt" "$tmp/dates.json" "$tmp/osv"

commit=$(git --git-dir="$VULNDB_SNAPSHOT" log -1 --format='%H %cI' HEAD)
jq -n --arg c "$commit" --arg s "$VULNDB_SNAPSHOT" '{snapshot: $s, commit: ($c | split(" ")[0]), committed: ($c | split(" ")[1])}' >"$tmp/SOURCE.json"

rm -rf "$out.old"
[ -e "$out" ] && mv "$out" "$out.old"
mv "$tmp" "$out"
rm -rf "$out.old"
trap - EXIT
echo "vulndb: $n entries in $out, newest modified $(jq -r .modified "$out/index/db.json") (snapshot commit $commit)"
