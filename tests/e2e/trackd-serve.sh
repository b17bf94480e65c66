#!/bin/sh
# trackd serving a track, and nginx serving the same directory with the
# server block from README.md, on loopback: nip adds, refreshes and
# installs through each; both send the same Cache-Control and Content-Type
# per file; nginx hands POST /publish to trackd and nothing else.
top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/e2e/lib.sh
. "$top/tests/e2e/lib.sh"
TRACKD=${TRACKD:-$(dirname "$NIP")/trackd}

export SOURCE_DATE_EPOCH=1700000000
for k in root online pub; do "$NIP" key generate "$T/$k.key" >/dev/null; done
mkdir -p "$T/s/usr/bin"
printf '#!/bin/sh\necho hello 1.0-1\n' >"$T/s/usr/bin/hello"
chmod 755 "$T/s/usr/bin/hello"
"$NIP" pack --key "$T/pub.key" --name hello --version 1.0-1 -o "$T/hello.nip" "$T/s" >/dev/null
check "track init" "$NIP" track init "$T/track" --root-key "$T/root.key" \
	--online-key "$T/online.key.pub" --publisher "$T/pub.key.pub" --name stable
check "publish into the directory" "$NIP" publish --track "$T/track" --online-key "$T/online.key" \
	"$T/hello.nip"
mkdir -p "$T/track/.trackd"
echo secret >"$T/track/.trackd/secret"


check "trackd --help" "$TRACKD" --help
cp "$T/.out" "$T/trackd-help"
grep -oE -- '--[a-z][a-z-]*' "$T/trackd-help" | sort -u >"$T/opts"
while read -r opt; do
	if sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' "$top/doc/trackd.8" | grep -Eq -- "(^|[^a-z-])$opt([^a-z-]|\$)"; then
		pass "trackd.8 documents $opt"
	else
		fail "trackd.8 does not mention $opt (printed by trackd --help)"
	fi
done <"$T/opts"
same "trackd --version" "$("$TRACKD" --version)" "trackd $(sed -n 's/^VERSION := //p' "$top/GNUmakefile")"

"$TRACKD" --track "$T/track" --listen 127.0.0.1:0 --online-key "$T/online.key" >"$T/td.log" 2>&1 &
pids="$pids $!"
tport=$(wait_port "$T/td.log")
if [ -z "$tport" ]; then
	fail "trackd starts"
	cat "$T/td.log"
	done_testing
	exit 1
fi
tu=http://127.0.0.1:$tport

# install_from NAME URL: a fresh root pins, refreshes and installs hello.
install_from() {
	r=$T/r-$1
	check "$1: track add" "$NIP" --root "$r" track add stable "$2" --pubkey "$T/root.key.pub"
	check "$1: refresh" "$NIP" --root "$r" refresh
	check "$1: install hello" "$NIP" --root "$r" install hello
	same "$1: hello runs" "$("$r/cells/system/current/usr/bin/hello" 2>&1)" "hello 1.0-1"
}
install_from trackd "$tu"

if ! command -v nginx >/dev/null 2>&1; then
	echo "# nginx is not installed (apt-get install nginx): the nginx half is not run"
	fail "nginx is installed"
	done_testing
	exit 1
fi
nport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$T/ngx/logs"
# The README's server block, with this test's paths and ports.
# shellcheck disable=SC2016 # the backquotes are literal
sed -n '/^```nginx$/,/^```$/p' "$top/README.md" | sed -e '1d' -e '$d' \
	-e "s|listen 80;|listen 127.0.0.1:$nport;|" -e "s|/srv/track|$T/track|" \
	-e "s|127.0.0.1:8443|127.0.0.1:$tport|" >"$T/server.conf"
check "README.md has an nginx server block" grep -q "proxy_pass http://127.0.0.1:$tport" "$T/server.conf"
user=""
[ "$(id -u)" = 0 ] && user="user root;" # workers must read the test's private directory
cat >"$T/nginx.conf" <<NGX
$user
daemon off;
worker_processes 1;
pid $T/ngx/nginx.pid;
error_log $T/ngx/error.log;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $T/ngx/body;
    proxy_temp_path $T/ngx/proxy;
    fastcgi_temp_path $T/ngx/fastcgi;
    uwsgi_temp_path $T/ngx/uwsgi;
    scgi_temp_path $T/ngx/scgi;
    include $T/server.conf;
}
NGX
nginx -t -q -e "$T/ngx/error.log" -p "$T/ngx" -c "$T/nginx.conf" >"$T/ngx.t" 2>&1
same "nginx accepts the configuration" "$?" 0
sed 's/^/# /' "$T/ngx.t"
nginx -e "$T/ngx/error.log" -p "$T/ngx" -c "$T/nginx.conf" >"$T/ngx.log" 2>&1 &
pids="$pids $!"
nu=http://127.0.0.1:$nport
for _ in $(seq 50); do
	curl -s -o /dev/null "$nu/metadata/root.json" && break
	sleep 0.1
done
install_from nginx "$nu"

# headers URL FILE: status, Cache-Control and Content-Type of a GET.
headers() {
	curl -s -o /dev/null -D - "$1" | tr -d '\r' |
		sed -n -e '1s/^HTTP\/1.1 \([0-9]*\).*/status \1/p' -e 's/^\(Cache-Control\|Content-Type\|Content-Length\): /\1 /Ip' |
		sort >"$2"
}
pkg=$(cd "$T/track" && ls targets/pkgs/*.nip)
idx=$(cd "$T/track" && find targets/index -type f | head -n 1)
for f in metadata/timestamp.json metadata/root.json metadata/1.root.json metadata/1.snapshot.json \
	"$idx" "$pkg"; do
	headers "$tu/$f" "$T/h-trackd"
	headers "$nu/$f" "$T/h-nginx"
	if cmp -s "$T/h-trackd" "$T/h-nginx"; then
		pass "$f: trackd and nginx agree ($(tr '\n' ' ' <"$T/h-trackd"))"
	else
		fail "$f: trackd and nginx differ"
		diff "$T/h-trackd" "$T/h-nginx" | sed 's/^/# /'
	fi
done

same "a dot-file: 404 from trackd" "$(curl -s -o /dev/null -w '%{http_code}' "$tu/.trackd/secret")" 404
same "a dot-file: 404 from nginx" "$(curl -s -o /dev/null -w '%{http_code}' "$nu/.trackd/secret")" 404

# Through nginx, a publish reaches trackd and comes back as trackd said it.
curl -s -o "$T/pub-direct" -w '%{http_code}\n' -X POST --data-binary @"$T/hello.nip" "$tu/publish" >"$T/st-direct"
curl -s -o "$T/pub-proxied" -w '%{http_code}\n' -X POST --data-binary @"$T/hello.nip" "$nu/publish" >"$T/st-proxied"
same "POST /publish through nginx: trackd's status" "$(cat "$T/st-proxied")" "$(cat "$T/st-direct")"
check "... and trackd's JSON body" cmp "$T/pub-direct" "$T/pub-proxied"
check "... which is JSON with an error or a result" json "$T/pub-proxied" "isinstance(d, dict)"
same "GET /publish through nginx is refused" \
	"$(curl -s -o /dev/null -w '%{http_code}' "$nu/publish")" 403
for _ in $(seq 30); do grep -q 'method=POST' "$T/td.log" && break; sleep 0.1; done
check "trackd logged the proxied publish" grep -q 'method=POST path=/publish' "$T/td.log"

done_testing
