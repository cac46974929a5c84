#!/usr/bin/env bash
# Installs the z3 and cvc5 command-line solvers that the SMT-LIB oracle tests
# (crates/keyhole-logic/tests/smtlib_oracle.rs) run, then prints their versions. Idempotent:
# does nothing but print versions when both already work.
#
# Both come from Debian (bookworm: z3 4.8.12, cvc5 1.0.3). PyPI was tried too: `pip install
# z3-solver` ships a working `z3` CLI (5.4.0) but it times out on some trivially satisfiable
# string queries that Debian's z3 answers in milliseconds, and `pip install cvc5` ships only the
# Python bindings, no `cvc5` binary. Set KEYHOLE_Z3 / KEYHOLE_CVC5 to use other binaries.
set -euo pipefail

works() { command -v "$1" >/dev/null 2>&1 && "$1" --version >/dev/null 2>&1; }

if ! works z3 || ! works cvc5; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends z3 cvc5
fi

z3 --version
cvc5 --version | head -n 1
