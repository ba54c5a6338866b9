#!/usr/bin/env bash
# Fails when a tracked C++ file is not formatted per .clang-format.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
mapfile -t files < <(git ls-files '*.h' '*.cc' '*.cpp' '*.hpp')
if ((${#files[@]} == 0)); then exit 0; fi
if ! clang-format --dry-run -Werror "${files[@]}" 2>/tmp/vigil-format.log; then
  grep -o '^[^:]*:[0-9]*:[0-9]*' /tmp/vigil-format.log | cut -d: -f1 | sort -u | sed 's/^/not formatted: /' >&2
  echo "check_format: run 'clang-format -i' on the files above" >&2
  exit 1
fi
echo "check_format: ${#files[@]} files formatted"
