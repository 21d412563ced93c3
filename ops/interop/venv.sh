#!/usr/bin/env bash
# Makes .venv-test/ (python3 -m venv) with the independent writers the interoperability tests
# compare against (ops/interop/requirements.txt, from PyPI) and prints its python's path.
# Re-installs only when requirements.txt changed. Without python3 + venv it prints nothing and
# warns; with CI=true that is an error (a skipped interoperability test must not pass CI).
set -euo pipefail
cd "$(dirname "$0")/../.."

venv=.venv-test
requirements=ops/interop/requirements.txt
stamp="$venv/.requirements.sha256"
wanted=$(sha256sum "$requirements" | cut -d' ' -f1)

fail() {
  echo "ops/interop/venv.sh: $*" >&2
  if [ "${CI:-}" = "true" ]; then exit 1; fi
  echo "ops/interop/venv.sh: the interoperability tests will be skipped" >&2
  exit 0
}

if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  command -v python3 >/dev/null || fail "python3 is not installed (apt-get install python3 python3-venv)"
  rm -rf "$venv"
  python3 -m venv "$venv" >&2 || fail "python3 -m venv failed (apt-get install python3-venv)"
  echo "installing the interoperability test packages into $venv (a few minutes, once)" >&2
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$requirements" >&2 \
    || { rm -rf "$venv"; fail "pip install -r $requirements failed (is PyPI reachable?)"; }
  echo "$wanted" > "$stamp"
fi
echo "$PWD/$venv/bin/python"
