#!/usr/bin/env bash
# scripts/check_format on a scratch repository: an unformatted line a change adds is reported
# (exit 1), old unformatted lines it does not touch are not, a formatted change passes (exit 0),
# a closing inline-namespace comment is not a violation, and on a clone of main the last commit is
# the change. Usage: check_format_test.sh SOURCE_DIR WORK
set -euo pipefail
source_dir=$1
work=$2
rm -rf "$work"
mkdir -p "$work/repo/scripts"
cd "$work/repo"
cp "$source_dir/.clang-format" .
cp "$source_dir/scripts/check_format" scripts/
git init -q -b main
git config user.email test@example.invalid
git config user.name test
printf 'int  old_unformatted ( ) ;\n' >old.cpp
printf 'int formatted();\n' >new.cpp
git add . && git commit -q -m base

fail() {
  echo "check_format_test: $*" >&2
  exit 1
}

git checkout -q -b change
printf 'int formatted();\nint  added_badly ( ) ;\n' >new.cpp
git commit -q -am "a badly formatted line"
if output=$(scripts/check_format 2>&1); then fail "an unformatted added line passed: $output"; fi
grep -q "new.cpp:2" <<<"$output" || fail "the report does not name new.cpp:2: $output"
grep -q "old.cpp" <<<"$output" && fail "an untouched old line was reported: $output"

printf 'int formatted();\nint added_well();\n' >new.cpp
output=$(scripts/check_format 2>&1) || fail "a formatted uncommitted edit failed: $output"
printf 'int  untracked ( ) ;\n' >untracked.cpp
if output=$(scripts/check_format 2>&1); then fail "an unformatted untracked file passed: $output"; fi
rm untracked.cpp
git commit -q -am "formatted"
output=$(scripts/check_format 2>&1) || fail "a formatted change failed: $output"

# A new header closing an inline nested namespace, as every library header does: clang-format 14's
# --dry-run flags the closing comment with nothing to change; the check must not.
printf 'namespace a::inline b {\nint f();\n}  // namespace a::inline b\n' >inline_namespace.hpp
git add inline_namespace.hpp
output=$(scripts/check_format 2>&1) || fail "a formatted inline nested namespace failed: $output"
git commit -q -m "inline namespace"

# On main itself (nothing ahead of it), the last commit is the change.
git checkout -q main
printf 'int formatted();\nint  on_main ( ) ;\n' >new.cpp
git commit -q -am "unformatted on main"
if output=$(scripts/check_format 2>&1); then fail "the last commit on main was not checked: $output"; fi
echo "check_format_test: every check passed"
