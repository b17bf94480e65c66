build-tmp/obj/nip/cli/main.o: nip/cli/main.c nip/cli/cli.h \
 nip/include/nip/util.h nip/include/nip/crypto.h nip/include/nip/limits.h
nip/cli/cli.h:
nip/include/nip/util.h:
nip/include/nip/crypto.h:
nip/include/nip/limits.h:
