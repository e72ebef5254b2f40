#!/usr/bin/env bash
# Install what the demo needs on a fresh Debian machine; with --test, also what the tests need.
#   bash scripts/setup.sh          # pip requirements + the Fashion-MNIST package
#   bash scripts/setup.sh --test   # + Debian's chromium for the browser tests, pytest & co.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(dataset-fashion-mnist)
requirements=requirements.txt
if [[ "${1:-}" == "--test" ]]; then
  apt_packages+=(chromium fonts-dejavu-core fonts-wqy-microhei libcairo2)  # a CJK font: the 简体中文 page's screenshots
  requirements=requirements-dev.txt
fi

missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "apt-get install ${missing[*]}"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "warning: please install the Debian packages: ${missing[*]}" >&2
  fi
fi

python -m pip install -q --disable-pip-version-check -r "$requirements"
