build-tmp/obj/nip/lib/db/generations.o: nip/lib/db/generations.c \
 nip/lib/db/internal.h nip/include/nip/db.h nip/include/nip/crypto.h \
 nip/include/nip/limits.h nip/include/nip/util.h \
 nip/include/nip/package.h
nip/lib/db/internal.h:
nip/include/nip/db.h:
nip/include/nip/crypto.h:
nip/include/nip/limits.h:
nip/include/nip/util.h:
nip/include/nip/package.h:
