build-tmp/obj/nip/lib/db/error.o: nip/lib/db/error.c \
 nip/lib/db/internal.h nip/include/nip/db.h nip/include/nip/crypto.h \
 nip/include/nip/limits.h nip/include/nip/util.h \
 nip/include/nip/package.h
nip/lib/db/internal.h:
nip/include/nip/db.h:
nip/include/nip/crypto.h:
nip/include/nip/limits.h:
nip/include/nip/util.h:
nip/include/nip/package.h:
