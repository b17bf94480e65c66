build-tmp/obj/nip/lib/package/reader.o: nip/lib/package/reader.c \
 nip/lib/package/internal.h nip/include/nip/package.h \
 nip/include/nip/crypto.h nip/include/nip/limits.h nip/include/nip/util.h
nip/lib/package/internal.h:
nip/include/nip/package.h:
nip/include/nip/crypto.h:
nip/include/nip/limits.h:
nip/include/nip/util.h:
