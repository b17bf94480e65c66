/* The listening socket, made by trackd itself rather than by MHD so that
 * it is bound (a port below 1024 needs root) before the privilege drop,
 * and so that an IPv6 literal binds IPv6 only. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server.h"

/* Connections the kernel queues before MHD accepts them. */
#define LISTEN_BACKLOG 1024

/* Splits "HOST:PORT" / "[V6]:PORT" into host and port strings. */
static int split(const char *spec, char *host, size_t hostlen, const char **port,
		 struct nip_error *err)
{
	const char *colon, *h = spec;
	size_t n;

	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');
		if (!close || close[1] != ':')
			return nip_err(err, NIP_E_USAGE, "--listen '%s': expected [ADDRESS]:PORT",
				       spec);
		h = spec + 1;
		n = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(spec, ':');
		if (!colon || strchr(spec, ':') != colon)
			return nip_err(err, NIP_E_USAGE,
				       "--listen '%s': expected HOST:PORT (an IPv6 address in brackets)",
				       spec);
		n = (size_t)(colon - spec);
	}
	if (n == 0 || n >= hostlen)
		return nip_err(err, NIP_E_USAGE, "--listen '%s': no host", spec);
	memcpy(host, h, n);
	host[n] = '\0';
	*port = colon + 1;
	int64_t p;
	if (nip_parse_i64(*port, 0, 65535, &p) < 0)
		return nip_err(err, NIP_E_USAGE, "--listen '%s': port is not a number in 0..65535",
			       spec);
	return 0;
}

int trackd_listen(const char *spec, int *out, char *addr, size_t addrlen, unsigned *port,
		  struct nip_error *err)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *res = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	const char *portstr = NULL;
	char host[256];
	int fd = -1, one = 1, rc, e;

	if (split(spec, host, sizeof host, &portstr, err) < 0)
		return -1;
	rc = getaddrinfo(host, portstr, &hints, &res);
	if (rc != 0)
		return nip_err(err, NIP_E_USAGE, "--listen '%s': %s", spec, gai_strerror(rc));
	/* The first address only: a name that resolves to several would
	 * otherwise listen on some of them depending on what is up. */
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		e = errno;
		freeaddrinfo(res);
		return nip_err_sys(err, NIP_E_IO, e, "--listen '%s': socket", spec);
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (res->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	if (bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, LISTEN_BACKLOG) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
		e = errno;
		freeaddrinfo(res);
		close(fd);
		return nip_err_sys(err, NIP_E_IO, e, "--listen '%s'", spec);
	}
	freeaddrinfo(res);
	if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &a->sin6_addr, addr, (socklen_t)addrlen);
		*port = ntohs(a->sin6_port);
	} else {
		const struct sockaddr_in *a = (const struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &a->sin_addr, addr, (socklen_t)addrlen);
		*port = ntohs(a->sin_port);
	}
	*out = fd;
	return 0;
}
