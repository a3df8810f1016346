#!/bin/bash
# devcloud's /usr/bin/qemu-system-x86_64 (installed by up.sh with dpkg-divert; the real binary is
# /usr/bin/qemu-system-x86_64.distrib). Under TCG, QEMU 7.2 sizes its translation-block cache at 1 GiB
# and a booted Linux guest fills ~500 MiB of it: ~800 MiB RSS per 512 MiB guest. Nova writes no
# <tcg><tb-cache> into the domain XML, so this rewrites libvirt's "-accel tcg" to "-accel tcg,tb-size=64"
# (64 MiB cache: ~300 MiB RSS per booted guest, boot ~10 % slower). Everything else passes unchanged.
# Undo: rm /usr/bin/qemu-system-x86_64 && dpkg-divert --local --rename --remove /usr/bin/qemu-system-x86_64
args=() prev=
for a in "$@"; do
  [ "$prev" = -accel ] && [ "$a" = tcg ] && a=tcg,tb-size=64
  args+=("$a"); prev=$a
done
exec /usr/bin/qemu-system-x86_64.distrib "${args[@]}"
