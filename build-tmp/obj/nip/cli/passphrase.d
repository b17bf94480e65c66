build-tmp/obj/nip/cli/passphrase.o: nip/cli/passphrase.c nip/cli/cli.h \
 nip/include/nip/util.h nip/include/nip/crypto.h nip/include/nip/limits.h
nip/cli/cli.h:
nip/include/nip/util.h:
nip/include/nip/crypto.h:
nip/include/nip/limits.h:
