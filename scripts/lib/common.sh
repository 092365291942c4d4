# Shared by scripts/demo and scripts/test: locating the repository and installing the Debian
# packages a step needs. Sourced, not run.

joule_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
joule_jobs=$(nproc 2>/dev/null || echo 2)

# joule_require_packages PACKAGE...: installs what is missing with apt-get when running as root;
# otherwise prints the exact command to run and stops.
joule_require_packages() {
  local missing=()
  local package
  for package in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$package")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "joule: missing Debian packages. Install them with:" >&2
    echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
  echo "joule: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; then
    apt-get update >/dev/null
    apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

joule_build_packages=(cmake make g++ git libxsimd-dev zlib1g-dev)
joule_test_packages=(clang libclang-rt-14-dev catch2 libbenchmark-dev nlohmann-json3-dev libcli11-dev
  python3-torch python3-torchvision python3-numpy libxnnpack-dev libpthreadpool-dev libeigen3-dev
  gcc-arm-none-eabi libstdc++-arm-none-eabi-newlib libnewlib-arm-none-eabi qemu-system-arm
  g++-aarch64-linux-gnu g++-riscv64-linux-gnu qemu-user
  clang-format time pkg-config debhelper dpkg-dev dataset-fashion-mnist)
