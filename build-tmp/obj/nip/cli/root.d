build-tmp/obj/nip/cli/root.o: nip/cli/root.c nip/cli/cli.h \
 nip/include/nip/util.h nip/include/nip/txn.h nip/include/nip/db.h \
 nip/include/nip/crypto.h nip/include/nip/limits.h \
 nip/include/nip/package.h nip/include/nip/nexfs.h
nip/cli/cli.h:
nip/include/nip/util.h:
nip/include/nip/txn.h:
nip/include/nip/db.h:
nip/include/nip/crypto.h:
nip/include/nip/limits.h:
nip/include/nip/package.h:
nip/include/nip/nexfs.h:
