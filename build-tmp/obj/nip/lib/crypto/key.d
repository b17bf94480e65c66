build-tmp/obj/nip/lib/crypto/key.o: nip/lib/crypto/key.c \
 nip/lib/crypto/minisign.h nip/include/nip/util.h \
 nip/include/nip/crypto.h nip/include/nip/limits.h
nip/lib/crypto/minisign.h:
nip/include/nip/util.h:
nip/include/nip/crypto.h:
nip/include/nip/limits.h:
