#!/usr/bin/env bash
# Builds, once per machine, a Debian 13 root with Dovecot 2.4 (dovecot-imapd, dovecot-auth-lua, lua-cjson) for the
# Dovecot 2.4 interop tests, which run it with chroot on free loopback ports. The root is cached in
# $AUTHSTUDIO_DEBIAN13_ROOT (default /var/cache/authstudio/debian13-dovecot); a finished root has .authstudio-ready.
# The Debian mirror is the one this machine's apt uses (its sources), so nothing here names a host.
set -euo pipefail
root="${AUTHSTUDIO_DEBIAN13_ROOT:-/var/cache/authstudio/debian13-dovecot}"
if [ -e "$root/.authstudio-ready" ]; then
  echo "ci: Debian 13 root for Dovecot 2.4 cached at $root ($(chroot "$root" dovecot --version 2>/dev/null || echo '?'))"
  exit 0
fi
command -v debootstrap >/dev/null 2>&1 || { export DEBIAN_FRONTEND=noninteractive; apt-get install -y -qq debootstrap >/dev/null; }
mirror="$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | grep -v security | head -1)"
[ -n "$mirror" ] || mirror="$(awk '$1=="deb" && $3 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null)"
[ -n "$mirror" ] || { echo "ci: no Debian mirror found in this machine's apt sources" >&2; exit 1; }
echo "ci: building a Debian 13 root for Dovecot 2.4 in $root (once per machine)"
rm -rf "$root.partial"
mkdir -p "$(dirname "$root")"
debootstrap --variant=minbase --include=dovecot-imapd,dovecot-auth-lua,lua-cjson,ca-certificates trixie "$root.partial" "$mirror" >"$root.partial.log" 2>&1 \
  || { echo "ci: debootstrap failed, last lines:" >&2; tail -20 "$root.partial.log" >&2; exit 1; }
# the services the packages' postinst would start are never run inside the root; the tests start dovecot themselves
chroot "$root.partial" dovecot --version
touch "$root.partial/.authstudio-ready"
rm -rf "$root"
mv "$root.partial" "$root"
rm -f "$root.partial.log"
echo "ci: Debian 13 root ready: Dovecot $(chroot "$root" dovecot --version)"
