#!/usr/bin/env python3
# Checks the Flatpak manifest: it parses, its id and command match the build,
# it builds this tree with meson, and it grants nothing beyond what Abstain
# needs (network, ipc, wayland, fallback-x11, dri). The keyring is reached
# through the Secret portal, so no bus name and no filesystem is granted.
#
# Usage: check-manifest.py MANIFEST APP_ID COMMAND

import json
import sys

ALLOWED = {
    "--share=network",
    "--share=ipc",
    "--socket=wayland",
    "--socket=fallback-x11",
    "--device=dri",
}


def main():
    path, app_id, command = sys.argv[1:4]
    errors = []
    try:
        with open(path, encoding="utf-8") as f:
            manifest = json.load(f)
    except (OSError, ValueError) as e:
        print(f"{path}: does not parse: {e}")
        return 1
    if not isinstance(manifest, dict):
        print(f"{path}: the manifest is not a JSON object")
        return 1

    if manifest.get("id", manifest.get("app-id")) != app_id:
        errors.append(f"id is {manifest.get('id')!r}, the build's is {app_id!r}")
    if manifest.get("command") != command:
        errors.append(f"command is {manifest.get('command')!r}, the build installs {command!r}")
    if manifest.get("runtime") != "org.gnome.Platform" or manifest.get("sdk") != "org.gnome.Sdk":
        errors.append("runtime and sdk must be org.gnome.Platform and org.gnome.Sdk")
    if str(manifest.get("runtime-version")) != "47":
        errors.append(f"runtime-version is {manifest.get('runtime-version')!r}, expected '47'")

    finish = manifest.get("finish-args", [])
    if not isinstance(finish, list) or not all(isinstance(a, str) for a in finish):
        errors.append("finish-args must be a list of strings")
        finish = []
    extra = sorted(set(finish) - ALLOWED)
    missing = sorted(ALLOWED - set(finish))
    if extra:
        errors.append("grants more than needed: " + ", ".join(extra))
    if missing:
        errors.append("lacks: " + ", ".join(missing))

    modules = manifest.get("modules", [])
    app_modules = [m for m in modules if isinstance(m, dict) and m.get("name") == "abstain"]
    if len(app_modules) != 1:
        errors.append("exactly one module named 'abstain' must build the app")
    else:
        module = app_modules[0]
        if module.get("buildsystem") != "meson":
            errors.append("the abstain module must build with meson")
        sources = module.get("sources", [])
        if not any(isinstance(s, dict) and s.get("type") == "dir" and s.get("path") == ".."
                   for s in sources):
            errors.append("the abstain module must build the local directory (type dir, path ..)")

    for e in errors:
        print(f"{path}: {e}")
    if not errors:
        print(f"{path}: ok")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
