/* execpromises under seccomp. Linux keeps every filter across execve and
 * never lets one be removed, so a started program cannot be given a
 * filter of its own; instead the pledge filter (the promises) has a second
 * filter on top, the exec layer, granting the execpromises (always with
 * stdio, which the launcher needs to hand over the listener, and without
 * which no program can even exit) and sending everything else to a
 * supervisor. The kernel takes the strictest answer of the two: what the
 * promises refuse fails with EPERM whatever the layer says; what both
 * grant runs; only calls the promises grant and the execpromises do not
 * reach the supervisor, which lets them continue for the pledged
 * program's own processes and refuses them to every program started
 * since. A process belongs to the program while it runs the program's
 * image: the same executable and the same auxiliary vector, which the
 * kernel writes at each execve (it holds the random AT_RANDOM address),
 * which a fork copies and which no call in any promise can change. */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

int cell_aslr_on(void)
{
	char c = '0';
	int fd = open("/proc/sys/kernel/randomize_va_space", O_RDONLY | O_CLOEXEC);
	int persona = personality(0xffffffff);

	if (fd >= 0) {
		if (read(fd, &c, 1) != 1)
			c = '0';
		close(fd);
	}
	return c != '0' && persona != -1 && !(persona & ADDR_NO_RANDOMIZE);
}

/* /proc/PID/LEAF without stdio: nip_pledge's supervisor is forked from
 * a process that may have threads, where only async-signal-safe calls
 * are sure to work. */
static void proc_path(char *out, pid_t pid, const char *leaf)
{
	char digits[16];
	int n = 0;
	unsigned v = (unsigned)pid;

	do
		digits[n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < (int)sizeof digits);
	memcpy(out, "/proc/", 6);
	out += 6;
	while (n)
		*out++ = digits[--n];
	*out++ = '/';
	memcpy(out, leaf, strlen(leaf) + 1);
}

int cell_image_of(pid_t pid, struct cell_image *out)
{
	char path[48];
	struct stat st;
	size_t got = 0;
	ssize_t n;
	int fd;

	proc_path(path, pid, "exe");
	if (stat(path, &st) < 0)
		return -1;
	memset(out, 0, sizeof *out);
	out->dev = st.st_dev;
	out->ino = st.st_ino;
	proc_path(path, pid, "auxv");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	while (got < sizeof out->auxv &&
	       ((n = read(fd, out->auxv + got, sizeof out->auxv - got)) > 0 || (n < 0 && errno == EINTR)))
		got += n > 0 ? (size_t)n : 0;
	close(fd);
	/* Empty (a process being torn down) or larger than any kernel
	 * writes: no image anyone can be recognised by. */
	if (got == 0 || got == sizeof out->auxv)
		return -1;
	out->auxvlen = got;
	return 0;
}

static int same_image(const struct cell_image *a, const struct cell_image *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->auxvlen == b->auxvlen &&
	       memcmp(a->auxv, b->auxv, a->auxvlen) == 0;
}

static int is_exec(int nr)
{
	return nr == SYS_execve || nr == SYS_execveat;
}

int cell_exec_decide(struct cell_exec_watch *w, const struct seccomp_notif *req)
{
	struct cell_image img;

	if (w->launcher > 0 && !w->launched && (pid_t)req->pid == w->launcher && is_exec(req->data.nr)) {
		/* The launcher's own execve: the program itself starts. */
		w->launched = 1;
		return 1;
	}
	if (!w->layer)
		return 0; /* only execve is watched, and only the program starts */
	/* Every execve comes here, so the program cannot have left its
	 * image before this first look at it. */
	if (!w->known && cell_image_of(w->program, &w->image) == 0)
		w->known = 1;
	if (w->known && cell_image_of((pid_t)req->pid, &img) == 0 && same_image(&img, &w->image))
		return 1;
	/* A started program: execve only if execpromises hold exec. */
	return is_exec(req->data.nr) && (w->execpromises & NIP_PROMISE(EXEC));
}

int cell_exec_answer(struct cell_exec_watch *w, int listener)
{
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;
	int go;

	memset(&req, 0, sizeof req); /* the kernel insists */
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
		return errno == EINTR || errno == ENOENT ? 0 : -1; /* ENOENT: the caller died */
	go = cell_exec_decide(w, &req);
	/* The caller's pid was read from /proc while it waited: only a
	 * notification still pending proves the pid was not reused. */
	if (go && ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &req.id) < 0)
		return 0;
	memset(&resp, 0, sizeof resp);
	resp.id = req.id;
	if (go) {
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	} else {
		resp.error = -EPERM;
		w->denied++;
	}
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 && errno != ENOENT)
		return -1;
	return 0;
}

/* The listener travels from the process that loaded the filter to its
 * supervisor over a unix socket. */
int cell_send_fd(int sock, int fd)
{
	char buf[CMSG_SPACE(sizeof fd)] = {0}, byte = 0;
	struct iovec iov = {&byte, 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = buf,
			   .msg_controllen = sizeof buf};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof fd);
	memcpy(CMSG_DATA(c), &fd, sizeof fd);
	return sendmsg(sock, &m, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

int cell_recv_fd(int sock)
{
	char buf[CMSG_SPACE(sizeof(int))] = {0}, byte;
	struct iovec iov = {&byte, 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = buf,
			   .msg_controllen = sizeof buf};
	struct cmsghdr *c;
	int fd;

	if (recvmsg(sock, &m, MSG_CMSG_CLOEXEC) != 1 || !(c = CMSG_FIRSTHDR(&m)) ||
	    c->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof fd);
	return fd;
}
