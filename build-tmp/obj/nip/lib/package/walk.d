build-tmp/obj/nip/lib/package/walk.o: nip/lib/package/walk.c \
 nip/lib/package/walk.h nip/include/nip/package.h \
 nip/include/nip/crypto.h nip/include/nip/limits.h nip/include/nip/util.h
nip/lib/package/walk.h:
nip/include/nip/package.h:
nip/include/nip/crypto.h:
nip/include/nip/limits.h:
nip/include/nip/util.h:
