/* Errors: a code (exit status by table), saved errno and one message. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "nip/util.h"

static const struct {
	const char *name;
	int status;
} table[] = {
#define NIP_X(code, name, status) {name, status},
	NIP_ERRORS(NIP_X)
#undef NIP_X
};

const char *nip_err_name(int code)
{
	if (code < 0 || code >= NIP_E_COUNT_)
		return "internal";
	return table[code].name;
}

int nip_err_exit_status(int code)
{
	if (code < 0 || code >= NIP_E_COUNT_)
		return 1;
	return table[code].status;
}

void nip_err_clear(struct nip_error *err)
{
	if (err) {
		err->code = NIP_E_OK;
		err->errnum = 0;
		err->msg[0] = '\0';
	}
}

static void vset(struct nip_error *err, int code, int errnum, const char *fmt, va_list ap)
{
	err->code = code;
	err->errnum = errnum;
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	if (errnum) {
		size_t n = strlen(err->msg);
		snprintf(err->msg + n, sizeof err->msg - n, ": %s", strerror(errnum));
	}
}

int nip_err(struct nip_error *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vset(err, code, 0, fmt, ap);
		va_end(ap);
	}
	return -1;
}

int nip_err_sys(struct nip_error *err, int code, int errnum, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vset(err, code, errnum, fmt, ap);
		va_end(ap);
	}
	return -1;
}

int nip_err_prefix(struct nip_error *err, const char *fmt, ...)
{
	char prefix[NIP_ERRMSG_MAX], old[NIP_ERRMSG_MAX];
	va_list ap;

	if (!err)
		return -1;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof old);
	/* Keep the prefix whole; the cause is cut if the line overflows. */
	{
		size_t n = strnlen(prefix, sizeof err->msg - 1);
		memcpy(err->msg, prefix, n);
		memcpy(err->msg + n, old, strnlen(old, sizeof err->msg - 1 - n));
		err->msg[n + strnlen(old, sizeof err->msg - 1 - n)] = '\0';
	}
	return -1;
}
