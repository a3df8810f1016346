# password.sh - sourced by lib.sh: devcloud's password (admin, service users, DB, AMQP), never printed
# to a log. Chosen once per state folder and kept in $STATE/password (mode 600) and clouds.yaml:
#   1. DEVCLOUD_PASSWORD, when set (up.sh then sets it on the running cloud);
#   2. $STATE/password;
#   3. a state made before the password file existed keeps its password: the one in its clouds.yaml,
#      else the old default `devcloud` once anything was bootstrapped (so the running cloud is unchanged);
#   4. a fresh state (up.sh only): 24 random letters and digits, which no name or value contains, so
#      that masking the password in module results never hits one (the old default hid every
#      "devcloud" in names: "********.tiny"). Letters and digits only: it goes into URLs, SQL, JSON, sed.
#
# devcloud_password          print the password of $STATE, or nothing when the state has none yet
# devcloud_password create   the same, choosing and keeping one first (up.sh)

devcloud_password() {
  local file="$STATE/password" pass=
  if [ -n "${DEVCLOUD_PASSWORD:-}" ]; then
    pass=$DEVCLOUD_PASSWORD
  elif [ -s "$file" ]; then
    pass=$(<"$file")
  elif [ -s "$STATE/clouds.yaml" ]; then
    pass=$(awk '/^ *password:/ { sub(/^ *password: */, ""); print; exit }' "$STATE/clouds.yaml")
  elif [ -d "$STATE/mysql" ] || compgen -G "$STATE/marks/*" >/dev/null; then
    pass=devcloud
  elif [ "${1:-}" = create ]; then
    pass=$(python3 -c 'import secrets, string; a = string.ascii_letters + string.digits; print("".join(secrets.choice(a) for _ in range(24)))')
  fi
  if [ "${1:-}" = create ] && [ -n "$pass" ] && { [ ! -s "$file" ] || [ "$(<"$file")" != "$pass" ]; }; then
    mkdir -p "$STATE"
    (umask 077 && printf '%s\n' "$pass" > "$file.tmp") && mv "$file.tmp" "$file"
  fi
  printf '%s' "$pass"
}
