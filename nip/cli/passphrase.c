/* Passphrases for encrypted minisign keys: a file, $NIP_PASSPHRASE_FILE, or
 * a prompt on the controlling terminal with echo off. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"
#include "nip/crypto.h"

static int prompt(const char *what, char *out, size_t outsz, struct nip_error *err)
{
	struct termios old, quiet;
	size_t n = 0;
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY), rc = -1;

	if (fd < 0)
		return nip_err(err, NIP_E_USAGE,
			       "%s is encrypted and there is no terminal to ask on: give --passphrase-file or set NIP_PASSPHRASE_FILE",
			       what);
	if (tcgetattr(fd, &old) < 0) {
		nip_err_sys(err, NIP_E_IO, errno, "terminal");
		goto out;
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	(void)!write(fd, "Passphrase for ", 15);
	(void)!write(fd, what, strlen(what));
	(void)!write(fd, ": ", 2);
	tcsetattr(fd, TCSAFLUSH, &quiet);
	while (n + 1 < outsz) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || c == '\n')
			break;
		out[n++] = c;
	}
	out[n] = '\0';
	tcsetattr(fd, TCSAFLUSH, &old);
	(void)!write(fd, "\n", 1);
	rc = n ? 0 : nip_err(err, NIP_E_USAGE, "empty passphrase");
out:
	close(fd);
	return rc;
}

int cli_passphrase(const char *file, const char *what, char *out, size_t outsz,
		   struct nip_error *err)
{
	const char *env = getenv("NIP_PASSPHRASE_FILE");
	if (!file && env && *env)
		file = env;
	if (file)
		return nip_passphrase_read_file(file, out, outsz, err);
	return prompt(what, out, outsz, err);
}

int cli_load_seckey(const char *path, const char *passfile, struct nip_seckey *out,
		    struct nip_error *err)
{
	char pass[NIP_PASSPHRASE_MAX + 1];
	int rc;

	/* An encrypted key refuses a NULL passphrase with NIP_E_USAGE before
	 * any scrypt runs; only then is there something to ask for. */
	if (nip_seckey_load(AT_FDCWD, path, NULL, out, err) == 0)
		return 0;
	if (err->code != NIP_E_USAGE)
		return -1;
	if (cli_passphrase(passfile, path, pass, sizeof pass, err) < 0)
		return -1;
	rc = nip_seckey_load(AT_FDCWD, path, pass, out, err);
	sodium_memzero(pass, sizeof pass);
	return rc;
}
