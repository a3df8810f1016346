#!/usr/bin/env bash
# guest/build.sh - build the devcloud controller guest image from Debian packages only:
# debootstrap (bookworm, minbase) → customise the tree → mkfs.ext4 -d (no loop device, no root
# filesystem tricks) → qemu-img convert to a compressed qcow2. The kernel and the initrd are kept
# beside it: Glance stores them as aki/ari images and Nova boots them directly (no bootloader, no
# partition table; root=/dev/vda).
#
#   guest/build.sh            print the cache folder holding vmlinuz, initrd.img, root.qcow2, KEY
#   env: DEVCLOUD_GUEST_CACHE (default ~/.cache/devcloud-guest)  DEVCLOUD_GUEST_MIRROR (default: the
#        first Debian URI of the host's apt sources)
#
# Cached by content: the key hashes this script, everything under files/, the debootstrap version, the
# suite and the mirror. A folder <cache>/<key> with a DONE mark is reused as it is (a second up.sh
# builds nothing); a new key builds into <cache>/<key>.tmp and renames it when complete.
set -euo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${DEVCLOUD_GUEST_CACHE:-$HOME/.cache/devcloud-guest}
SUITE=bookworm
mirror_of_host() {   # the Debian mirror apt already uses (deb822 or one-line sources), else the default
  local m
  m=$(cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null |
      awk '/^URIs:/ && $2 !~ /security/ {print $2; exit} /^deb / && $2 !~ /security/ {print $2; exit}')
  echo "${m:-http://deb.debian.org/debian}"
}
MIRROR=${DEVCLOUD_GUEST_MIRROR:-$(mirror_of_host)}
PKGS=linux-image-cloud-amd64,initramfs-tools,systemd-sysv,udev,kmod,dbus,openssh-server,iproute2,python3,sudo,netbase,e2fsprogs

KEY=$( { cat "$0"; (cd "$HERE/files" && find . -type f | sort | xargs sha256sum);
         dpkg-query -W -f='${Version}' debootstrap; echo "$SUITE $MIRROR $PKGS"; } | sha256sum | cut -c1-16)
OUT=$CACHE/$KEY
if [ -f "$OUT/DONE" ]; then echo "$OUT"; exit 0; fi

say() { printf '[guest-build +%3ss] %s\n' "$SECONDS" "$*" >&2; }
command -v debootstrap >/dev/null || { say "ERROR: debootstrap is not installed"; exit 1; }
TMP=$OUT.tmp; rm -rf "$TMP"; mkdir -p "$TMP"
ROOT=$TMP/rootfs
trap 'rm -rf "$TMP"' EXIT     # a failed build leaves nothing behind (the log is printed below)
LOG=$TMP/build.log
fail() { say "ERROR: $* (last lines of the build log follow)"; tail -n 30 "$LOG" >&2; exit 1; }

say "debootstrap $SUITE from $MIRROR (minbase + $PKGS)"
debootstrap --variant=minbase --include="$PKGS" "$SUITE" "$ROOT" "$MIRROR" >>"$LOG" 2>&1 || fail "debootstrap failed"
T_DEBOOTSTRAP=$SECONDS

say "customising the tree"
cp -r --preserve=mode "$HERE/files/." "$ROOT/"                # devcloud-init, its units, networkd, sshd and sudo settings
chmod 0755 "$ROOT/usr/local/sbin/devcloud-init" "$ROOT/usr/local/sbin/devcloud-ready"
chmod 0440 "$ROOT/etc/sudoers.d/devcloud"
echo devcloud-guest > "$ROOT/etc/hostname"
printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n' > "$ROOT/etc/hosts"
# no fstab entry for / (the kernel mounts /dev/vda rw): systemd then waits for no root device unit,
# which on a loaded host could time out and drop the boot into emergency mode
echo '# / is /dev/vda, mounted rw by the kernel (root=/dev/vda rw)' > "$ROOT/etc/fstab"
: > "$ROOT/etc/machine-id"; rm -f "$ROOT/var/lib/dbus/machine-id"   # made at first boot, one per guest
rm -f "$ROOT"/etc/ssh/ssh_host_*                                     # made at first boot (devcloud-init)
rm -f "$ROOT/etc/resolv.conf"; : > "$ROOT/etc/resolv.conf"          # no DNS: devcloud networks have none
echo 'root:devcloud' | chroot "$ROOT" chpasswd                       # serial console only (sshd: keys only)
chroot "$ROOT" useradd -m -s /bin/bash -G sudo zuul                  # Hotstack's controller user (ansible_ssh_user)
chroot "$ROOT" systemctl enable systemd-networkd devcloud-init.service devcloud-ready.service >>"$LOG" 2>&1
chroot "$ROOT" systemctl mask systemd-networkd-wait-online.service apt-daily.timer apt-daily-upgrade.timer \
  e2scrub_all.timer e2scrub_reap.service fstrim.timer >>"$LOG" 2>&1
# initrd with only what a virtio disk needs (15 MB → ~6 MB, and a faster boot)
sed -i 's/^MODULES=.*/MODULES=list/' "$ROOT/etc/initramfs-tools/initramfs.conf"
printf 'virtio_pci\nvirtio_blk\nvirtio_net\next4\n' >> "$ROOT/etc/initramfs-tools/modules"
chroot "$ROOT" update-initramfs -u -k all >>"$LOG" 2>&1 || fail "update-initramfs failed"
cp "$ROOT"/boot/vmlinuz-* "$TMP/vmlinuz"; cp "$ROOT"/boot/initrd.img-* "$TMP/initrd.img"
grep -E '^CONFIG_(ACPI_BUTTON|INPUT_EVDEV)=' "$ROOT"/boot/config-* >>"$LOG" || true
chroot "$ROOT" apt-get clean
rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/cache/apt/*.bin "$ROOT"/usr/share/doc/* "$ROOT"/usr/share/man/* \
       "$ROOT"/usr/share/info/* "$ROOT"/var/log/*.log "$ROOT"/boot/initrd.img-* "$ROOT"/boot/vmlinuz-*
find "$ROOT/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name 'C.*' -exec rm -rf {} +
T_CUSTOM=$SECONDS

say "mkfs.ext4 -d (1 GiB filesystem; devcloud-init grows it to the flavor's disk) and qemu-img convert"
truncate -s 1G "$TMP/root.img"
mkfs.ext4 -q -L root -d "$ROOT" "$TMP/root.img" >>"$LOG" 2>&1 || fail "mkfs.ext4 -d failed"
rm -rf "$ROOT"
qemu-img convert -c -O qcow2 "$TMP/root.img" "$TMP/root.qcow2" >>"$LOG" 2>&1 || fail "qemu-img convert failed"
rm -f "$TMP/root.img"
echo "$KEY" > "$TMP/KEY"
printf 'debootstrap %ss, customise %ss, image %ss, total %ss; qcow2 %s MiB\n' "$T_DEBOOTSTRAP" \
  $((T_CUSTOM - T_DEBOOTSTRAP)) $((SECONDS - T_CUSTOM)) "$SECONDS" $(( $(stat -c %s "$TMP/root.qcow2") / 1048576 )) > "$TMP/DONE"
trap - EXIT
rm -rf "$OUT"; mv "$TMP" "$OUT"
say "built $OUT: $(cat "$OUT/DONE")"
echo "$OUT"
