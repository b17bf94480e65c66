build-tmp/obj/nip/lib/nexfs/walk.o: nip/lib/nexfs/walk.c \
 nip/lib/nexfs/internal.h nip/include/nip/nexfs.h \
 nip/include/nip/package.h nip/include/nip/crypto.h \
 nip/include/nip/limits.h nip/include/nip/util.h
nip/lib/nexfs/internal.h:
nip/include/nip/nexfs.h:
nip/include/nip/package.h:
nip/include/nip/crypto.h:
nip/include/nip/limits.h:
nip/include/nip/util.h:
