build-tmp/obj/nip/lib/package/relation.o: nip/lib/package/relation.c \
 nip/include/nip/limits.h nip/include/nip/package.h \
 nip/include/nip/crypto.h nip/include/nip/util.h
nip/include/nip/limits.h:
nip/include/nip/package.h:
nip/include/nip/crypto.h:
nip/include/nip/util.h:
