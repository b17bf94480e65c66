build-tmp/obj/nip/cli/cmd_pack.o: nip/cli/cmd_pack.c nip/cli/cli.h \
 nip/include/nip/util.h nip/include/nip/package.h \
 nip/include/nip/crypto.h nip/include/nip/limits.h
nip/cli/cli.h:
nip/include/nip/util.h:
nip/include/nip/package.h:
nip/include/nip/crypto.h:
nip/include/nip/limits.h:
