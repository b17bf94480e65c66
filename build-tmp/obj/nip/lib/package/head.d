build-tmp/obj/nip/lib/package/head.o: nip/lib/package/head.c \
 nip/lib/package/internal.h nip/include/nip/package.h \
 nip/include/nip/crypto.h nip/include/nip/limits.h nip/include/nip/util.h
nip/lib/package/internal.h:
nip/include/nip/package.h:
nip/include/nip/crypto.h:
nip/include/nip/limits.h:
nip/include/nip/util.h:
