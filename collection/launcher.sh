#!/bin/sh
# WANT_JSON
# The launcher of a hotstack.snapset module. The module's action (plugins/plugin_utils/launch.py)
# has put the module executable of this host's architecture in a cache on the host and names it
# in HOTSTACK_SNAPSET_EXECUTABLE; the executable reads the arguments file ($1) and finds the
# module by its _ansible_module_name.
if [ -z "${HOTSTACK_SNAPSET_EXECUTABLE:-}" ] || [ ! -x "$HOTSTACK_SNAPSET_EXECUTABLE" ]; then
  printf '%s\n' '{"failed": true, "msg": "hotstack.snapset modules run through their action plugin: call them by their FQCN (hotstack.snapset.<module>) from a playbook, not as a copied module file"}'
  exit 1
fi
exec "$HOTSTACK_SNAPSET_EXECUTABLE" "$1"
