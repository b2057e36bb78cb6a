#!/usr/bin/env bash
# Fails when POTFILES.in misses a file with translatable strings, or when any
# language in LINGUAS has an untranslated, fuzzy or malformed message against
# the current sources.
#
# Usage: po/check-translations.sh SOURCE_ROOT

set -euo pipefail

top=${1:?usage: check-translations.sh SOURCE_ROOT}
po=$top/po
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0

# 1. POTFILES.in lists exactly the files that hold translatable strings.
sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$po/POTFILES.in" >"$tmp/listed"
if ! sort -c "$tmp/listed" 2>/dev/null; then
  echo "POTFILES.in is not sorted"
  status=1
fi
(
  cd "$top"
  find src service -name '*.c' -print0 2>/dev/null |
    xargs -0r grep -lE '(^|[^A-Za-z0-9_])(N?_|C_|NC_|g_dngettext|ngettext)[[:space:]]*\(' || true
  find src -name '*.ui' -print0 2>/dev/null |
    xargs -0r grep -l 'translatable="yes"' || true
  ls data/*.desktop.in.in data/*.metainfo.xml.in.in
) | sort -u >"$tmp/found"
missing=$(comm -13 "$tmp/listed" "$tmp/found")
stale=$(comm -23 "$tmp/listed" "$tmp/found")
if [ -n "$missing" ]; then
  printf 'POTFILES.in misses files with translatable strings:\n%s\n' "$missing"
  status=1
fi
if [ -n "$stale" ]; then
  printf 'POTFILES.in lists files that are gone or hold no translatable string:\n%s\n' "$stale"
  status=1
fi

# 2. A template from the sources as they are now (the glib preset's keywords).
(
  cd "$top"
  xgettext --from-code=UTF-8 --add-comments --package-name=abstain \
    --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
    --keyword=g_dcgettext:2 --keyword=g_dngettext:2,3 --keyword=g_dpgettext2:2c,3 \
    --flag=N_:1:pass-c-format --flag=C_:2:pass-c-format --flag=NC_:2:pass-c-format \
    --flag=g_dngettext:2:pass-c-format --flag=g_strdup_printf:1:c-format \
    --flag=g_string_printf:2:c-format --flag=g_string_append_printf:2:c-format \
    --flag=g_error_new:3:c-format --flag=g_set_error:4:c-format \
    --flag=g_markup_printf_escaped:1:c-format --flag=g_log:3:c-format \
    --flag=g_print:1:c-format --flag=g_printerr:1:c-format \
    --flag=g_printf:1:c-format --flag=g_fprintf:2:c-format \
    --files-from="$tmp/listed" -o "$tmp/abstain.pot"
)

# 3. Every language complete against it.
while read -r lang; do
  lang=${lang%%#*}
  lang=$(echo "$lang" | tr -d '[:space:]')
  [ -n "$lang" ] || continue
  if [ ! -f "$po/$lang.po" ]; then
    echo "$lang: po/$lang.po is missing"
    status=1
    continue
  fi
  if ! msgfmt --check --output-file=/dev/null "$po/$lang.po"; then
    echo "$lang: msgfmt --check failed"
    status=1
  fi
  msgmerge --quiet --no-fuzzy-matching "$po/$lang.po" "$tmp/abstain.pot" -o "$tmp/$lang.po"
  untranslated=$(msgattrib --untranslated --no-obsolete "$tmp/$lang.po" | grep -c '^msgid ' || true)
  fuzzy=$(msgattrib --only-fuzzy --no-obsolete "$po/$lang.po" | grep -c '^msgid ' || true)
  # msgattrib prints the header entry too when it prints anything.
  [ "$untranslated" -gt 0 ] && untranslated=$((untranslated - 1))
  [ "$fuzzy" -gt 0 ] && fuzzy=$((fuzzy - 1))
  if [ "$untranslated" -gt 0 ] || [ "$fuzzy" -gt 0 ]; then
    echo "$lang: $untranslated untranslated, $fuzzy fuzzy message(s):"
    msgattrib --untranslated --no-obsolete "$tmp/$lang.po" | grep -A1 '^msgid ' | sed -n '3,40p'
    msgattrib --only-fuzzy --no-obsolete "$po/$lang.po" | grep -A1 '^msgid ' | sed -n '3,40p'
    status=1
  else
    echo "$lang: complete"
  fi
done <"$po/LINGUAS"

exit "$status"
