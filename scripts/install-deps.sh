#!/usr/bin/env bash
# Installs what Strata's tests, demo and benchmarks need on Debian 12:
# MariaDB server and client, PHP with pdo_mysql and Laravel's Eloquent,
# sysbench, Python's PyMySQL and mysqlclient with Django, Perl's
# DBD::MariaDB, Ruby's mysql2 with ActiveRecord, Java with MariaDB
# Connector/J, Node.js with npm and the Node.js drivers of test/node,
# WordPress's PHP files (Debian's package, unpacked into .deps/wordpress)
# (and make and CA certificates, which a minimal image may lack). Go is
# expected in /usr/local/go.
#
# Idempotent: it checks for the programs first and touches apt only when
# something is missing. Runs unattended (CI has no stdin).
set -euo pipefail
export PATH="/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin${PATH:+:$PATH}"
export DEBIAN_FRONTEND=noninteractive

have() { command -v "$1" >/dev/null 2>&1; }

# has_pdo_mysql: PHP lists pdo_mysql among its modules. The list is read
# whole first: piped into grep -q, php could be killed by SIGPIPE after
# the match, and under pipefail a found module would read as missing.
has_pdo_mysql() {
	local modules
	modules=$(php -m 2>/dev/null) || return 1
	grep -qi '^pdo_mysql$' <<<"$modules"
}

missing=()
need() { # need PACKAGE: add it once
	local p
	for p in "${missing[@]}"; do [ "$p" = "$1" ] && return 0; done
	missing+=("$1")
}

have mariadbd || need mariadb-server
have mariadb-install-db || need mariadb-server
have mariadb || need mariadb-client
have php || need php-cli
if ! have php || ! has_pdo_mysql; then need php-mysql; fi
have sysbench || need sysbench
# Python's two MySQL drivers (test/python), in Debian's own interpreter.
/usr/bin/python3 -c 'import pymysql' >/dev/null 2>&1 || need python3-pymysql
/usr/bin/python3 -c 'import MySQLdb' >/dev/null 2>&1 || need python3-mysqldb
/usr/bin/python3 -c 'import django' >/dev/null 2>&1 || need python3-django
# Laravel's Eloquent with its paginator, on PHP's PDO (test/php).
[ -s /usr/share/php/Illuminate/Database/autoload.php ] || need php-illuminate-database
[ -s /usr/share/php/Illuminate/Pagination/autoload.php ] || need php-illuminate-pagination
# Perl's DBI with DBD::MariaDB (test/perl).
perl -MDBD::MariaDB -e 1 >/dev/null 2>&1 || need libdbd-mariadb-perl
# Ruby's mysql2 and Rails' ActiveRecord (test/ruby).
if ! ruby -e 'require "mysql2"; require "active_record"' >/dev/null 2>&1; then
	need ruby-mysql2
	need ruby-activerecord
fi
# Java with MariaDB Connector/J (test/java).
have java || need default-jre-headless
[ -s /usr/share/java/mariadb-java-client.jar ] || need libmariadb-java
have node || need nodejs
have npm || need npm
have make || need make
[ -s /etc/ssl/certs/ca-certificates.crt ] || need ca-certificates

# The Node.js drivers the integration tests run (test/node), at the versions
# of its package-lock.json; npm ci runs again only when that file changed.
node_drivers() {
	local dir
	dir="$(dirname "${BASH_SOURCE[0]}")/../test/node"
	if cmp -s "$dir/package-lock.json" "$dir/node_modules/.strata-installed-lock"; then
		return 0
	fi
	echo "deps: npm ci in test/node"
	if ! (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error); then
		echo "deps: npm ci in test/node failed" >&2
		exit 1
	fi
	cp "$dir/package-lock.json" "$dir/node_modules/.strata-installed-lock"
}

# WordPress, Debian's package unpacked into .deps/wordpress for
# test/wordpress_test.go: only its PHP files are needed, not the web server
# and PHP modules its package depends on, so it is downloaded, not installed.
wordpress_tree() {
	local dir tmp
	dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.deps/wordpress"
	[ -s "$dir/wp-settings.php" ] && return 0
	echo "deps: unpacking Debian's wordpress package into $dir"
	tmp="$(mktemp -d /tmp/strata-wordpress.XXXXXX)"
	chmod 755 "$tmp" # apt-get download runs as _apt where it can
	if ! (cd "$tmp" && apt-get -q download wordpress >/dev/null 2>&1); then
		apt-get -q -o DPkg::Lock::Timeout=600 update >/dev/null 2>&1 || true
		if ! (cd "$tmp" && apt-get -q download wordpress >/dev/null 2>&1); then
			echo "deps: apt-get download wordpress failed" >&2
			rm -rf "$tmp"
			exit 1
		fi
	fi
	dpkg-deb -x "$tmp"/wordpress_*.deb "$tmp/root"
	mkdir -p "$(dirname "$dir")"
	rm -rf "$dir"
	mv "$tmp/root/usr/share/wordpress" "$dir"
	rm -rf "$tmp"
}

if [ "${#missing[@]}" -eq 0 ]; then
	node_drivers
	wordpress_tree
	echo "deps: mariadbd, mariadb, php (pdo_mysql, Eloquent), sysbench, python3 (pymysql, MySQLdb, django), perl (DBD::MariaDB), ruby (mysql2, ActiveRecord), java (Connector/J), node (and its drivers): all present"
	exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
	if have sudo; then sudo=(sudo -n); else
		echo "deps: missing ${missing[*]}; run this script as root" >&2
		exit 1
	fi
fi

log="$(mktemp /tmp/strata-deps.XXXXXX.log)"
policy=/usr/sbin/policy-rc.d
cleanup() {
	if [ -n "${made_policy:-}" ]; then "${sudo[@]}" rm -f "$policy"; fi
}
trap cleanup EXIT
# Keep the packages from starting the system MariaDB service: the tests run
# their own servers, and a service start can fail in containers without init.
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
	"${sudo[@]}" chmod 755 "$policy"
	made_policy=1
fi

echo "deps: installing ${missing[*]} (log: $log)"
apt_opts=(-q -y -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
if ! { "${sudo[@]}" apt-get "${apt_opts[@]}" update &&
	"${sudo[@]}" apt-get "${apt_opts[@]}" install --no-install-recommends "${missing[@]}"; } >"$log" 2>&1 </dev/null; then
	echo "deps: apt-get failed; end of $log:" >&2
	tail -n 40 "$log" >&2
	exit 1
fi

# Check the result rather than trusting the package names.
failed=0
for bin in mariadbd mariadb-install-db mariadb php sysbench make node npm java; do
	have "$bin" || { echo "deps: $bin still missing after install" >&2; failed=1; }
done
has_pdo_mysql || { echo "deps: php has no pdo_mysql after install" >&2; failed=1; }
[ -s /usr/share/java/mariadb-java-client.jar ] || { echo "deps: no Connector/J jar after install" >&2; failed=1; }
[ "$failed" -eq 0 ] || exit 1
rm -f "$log"
echo "deps: installed ${missing[*]}"
node_drivers
wordpress_tree
