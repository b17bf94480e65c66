/* Private to libnipcell: the steps of starting a cell. */
#ifndef NIP_CELLS_INTERNAL_H
#define NIP_CELLS_INTERNAL_H

#include <sys/types.h>

#include "nip/cell.h"

/* What PID 1 of a cell (or its launcher) sends the outer nip when it
 * cannot start the program; a clean EOF means the program runs. */
struct cell_failure {
	int status; /* 125, 126 or 127 */
	struct nip_error err;
};

/* Sources opened before the file system view changes, so that every host
 * path is resolved as nip sees it. */
struct cell_sources {
	int top;          /* the directory whose top level becomes "/" */
	int host;         /* top is the host's "/": only its code dirs are bound */
	int state;        /* the cell's state, or -1 */
	int *bind;        /* one per spec bind */
};

/* mounts.c: in the new mount namespace, builds the cell's root and
 * pivots into it. */
int cell_open_sources(const struct nip_cell_spec *s, struct cell_sources *src,
		      struct nip_error *err);
void cell_close_sources(const struct nip_cell_spec *s, struct cell_sources *src);
int cell_build_root(const struct nip_cell_spec *s, const struct cell_sources *src,
		    struct nip_error *err);

/* seccomp.c: the pledge filter (execve notified) built by the outer nip
 * while PID 1 builds the root (or read from the cache directory cache_fd,
 * -1 for none), passed as BPF through fd, loaded by the launcher; the
 * listener when notify. */
int cell_seccomp_export(uint64_t promises, int fd, int cache_fd, struct nip_error *err);
int cell_seccomp_load(int fd, int notify, int *listener, struct nip_error *err);

/* pid1.c: the cell's init. Never returns. */
void cell_pid1(const struct nip_cell_spec *s, int errfd, int reportfd, int bpffd, uid_t uid,
	       gid_t gid)
	__attribute__((noreturn));

#endif
