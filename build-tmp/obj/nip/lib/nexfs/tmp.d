build-tmp/obj/nip/lib/nexfs/tmp.o: nip/lib/nexfs/tmp.c \
 nip/lib/nexfs/internal.h nip/include/nip/nexfs.h \
 nip/include/nip/package.h nip/include/nip/crypto.h \
 nip/include/nip/limits.h nip/include/nip/util.h
nip/lib/nexfs/internal.h:
nip/include/nip/nexfs.h:
nip/include/nip/package.h:
nip/include/nip/crypto.h:
nip/include/nip/limits.h:
nip/include/nip/util.h:
