# shellcheck shell=bash
# The test image slimcheck/busybox:test, defined once for every engine: Debian's static /bin/busybox (busybox-static),
# a symbolic link per applet, /tmp and an /etc/passwd with root. Its root filesystem is written once to one tarball,
# which every engine imports, so all of them hold the same layer byte for byte.
# Sourced by provision-engine.sh and engines.sh; they install busybox-static, each its own way, before
# busybox_rootfs needs it.

if [ "$(id -u)" = 0 ]; then
  BUSYBOX_CACHE=/var/cache/slimcheck
else
  BUSYBOX_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/slimcheck
fi
BUSYBOX_ROOTFS=${SLIMCHECK_ROOTFS_CACHE:-$BUSYBOX_CACHE}/busybox-test.tar

# Writes the root filesystem to $BUSYBOX_ROOTFS unless it is there already; /bin/busybox must exist.
busybox_rootfs() {
  [ -s "$BUSYBOX_ROOTFS" ] && return 0
  local root tarball applet
  mkdir -p "$(dirname "$BUSYBOX_ROOTFS")" || return 1
  root=$(mktemp -d /tmp/slimcheck-busybox.XXXXXX) || return 1
  mkdir -p "$root/bin" "$root/tmp" "$root/etc"
  if ! cp /bin/busybox "$root/bin/busybox"; then
    rm -rf "$root"
    return 1
  fi
  for applet in $("$root/bin/busybox" --list); do
    [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
  done
  echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
  # Written beside the cache and renamed into it: a second script writing at the same time never sees half a tarball.
  tarball=$(mktemp "$BUSYBOX_ROOTFS.XXXXXX") || { rm -rf "$root"; return 1; }
  if ! tar -C "$root" -cf "$tarball" .; then
    rm -rf "$root" "$tarball"
    return 1
  fi
  rm -rf "$root"
  chmod 644 "$tarball"
  mv "$tarball" "$BUSYBOX_ROOTFS"
}

# busybox_import TAG DOCKER [ARG...]: imports $BUSYBOX_ROOTFS as TAG with the image's configuration, through the
# docker command DOCKER ARG... (say `timeout 120 docker -H unix:///run/slimcheck/x.sock`).
busybox_import() {
  local tag=$1
  shift
  "$@" import -c 'CMD ["sh"]' -c 'ENV PATH=/bin' "$BUSYBOX_ROOTFS" "$tag"
}
