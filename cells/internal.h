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
 * -1 for none), and the exec layer when execpromises needs one, passed as
 * BPF through fd, loaded by the launcher; the listener of whichever
 * notifies. */
int cell_seccomp_export(uint64_t promises, uint64_t execpromises, int fd, int cache_fd,
			struct nip_error *err);
int cell_seccomp_load(int fd, int notify, int *listener, struct nip_error *err);
/* Does execpromises need a second filter (narrower than the promises,
 * with exec among them)? */
int cell_exec_layer_needed(uint64_t promises, uint64_t execpromises);

/* execwatch.c: the exec layer's supervisor. A process is the pledged
 * program's own (a fork of it) or a program it started, told apart by
 * its image: the executable and the auxiliary vector the kernel wrote at
 * execve, which a fork copies and an execve renews. */
struct cell_image {
	dev_t dev;
	ino_t ino;
	size_t auxvlen;
	unsigned char auxv[1024]; /* the kernel writes under 500 bytes */
};
int cell_image_of(pid_t pid, struct cell_image *out);
/* Is the address space randomised (the system's setting and this
 * process's personality)? Without it the same executable started again
 * with arguments of the same length gets the same auxiliary vector: the
 * exec layer could not tell it from the program. */
int cell_aslr_on(void);
struct seccomp_notif;
struct cell_exec_watch {
	pid_t launcher;           /* whose first execve starts the program, or 0 */
	int launched;
	int layer;                /* the exec layer is loaded (else only execve is watched) */
	uint64_t execpromises;
	pid_t program;            /* where the program's image is read, once */
	int known;
	struct cell_image image;
	unsigned denied;          /* calls refused */
};
/* 1: the call continues, 0: EPERM. */
int cell_exec_decide(struct cell_exec_watch *w, const struct seccomp_notif *req);
/* Receives, decides and answers one notification; -1 when the listener
 * is of no more use. */
int cell_exec_answer(struct cell_exec_watch *w, int listener);

/* A descriptor over a unix socket (SCM_RIGHTS): 0 or -1; the received
 * descriptor or -1. */
int cell_send_fd(int sock, int fd);
int cell_recv_fd(int sock);

/* pid1.c: the cell's init. Never returns. */
void cell_pid1(const struct nip_cell_spec *s, int errfd, int reportfd, int bpffd, uid_t uid,
	       gid_t gid)
	__attribute__((noreturn));

#endif
