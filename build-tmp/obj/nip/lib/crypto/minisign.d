build-tmp/obj/nip/lib/crypto/minisign.o: nip/lib/crypto/minisign.c \
 nip/lib/crypto/minisign.h nip/include/nip/util.h \
 nip/include/nip/limits.h
nip/lib/crypto/minisign.h:
nip/include/nip/util.h:
nip/include/nip/limits.h:
