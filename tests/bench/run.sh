#!/bin/sh
# make bench: every benchmark, one after the other (never two at once).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
for b in "$here"/bench_*.sh; do sh "$b"; done
