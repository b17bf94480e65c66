build-tmp/obj/nip/lib/package/manifest.o: nip/lib/package/manifest.c \
 nip/lib/package/internal.h nip/include/nip/package.h \
 nip/include/nip/crypto.h nip/include/nip/limits.h nip/include/nip/util.h
nip/lib/package/internal.h:
nip/include/nip/package.h:
nip/include/nip/crypto.h:
nip/include/nip/limits.h:
nip/include/nip/util.h:
