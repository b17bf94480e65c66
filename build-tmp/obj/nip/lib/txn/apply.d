build-tmp/obj/nip/lib/txn/apply.o: nip/lib/txn/apply.c \
 nip/lib/txn/txn_internal.h nip/include/nip/solve.h \
 nip/include/nip/package.h nip/include/nip/crypto.h \
 nip/include/nip/limits.h nip/include/nip/util.h nip/include/nip/txn.h \
 nip/include/nip/db.h nip/include/nip/nexfs.h
nip/lib/txn/txn_internal.h:
nip/include/nip/solve.h:
nip/include/nip/package.h:
nip/include/nip/crypto.h:
nip/include/nip/limits.h:
nip/include/nip/util.h:
nip/include/nip/txn.h:
nip/include/nip/db.h:
nip/include/nip/nexfs.h:
