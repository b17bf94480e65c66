/* nip's executable: a front end that links libc, libnipcell and
 * libseccomp only. It serves `nip run` and `nip --version` itself and
 * loads the rest of nip (libnip-cli.so: the command line and libnip with
 * libcrypto, SQLite, libsolv, libsodium, Jansson, zstd) for everything
 * else, so the dynamic linker does not map and relocate seven libraries
 * that a cell's start never uses (DESIGN.md, Rules: start fast). */
#ifndef NIP_FRONT_H
#define NIP_FRONT_H

#include "../cli/cli.h"

/* The handle of libnip-cli.so, loaded from beside the executable
 * ($ORIGIN/../lib/nip/, in the build tree and once installed); NULL with
 * err set. */
void *front_load(struct nip_error *err);

#endif
