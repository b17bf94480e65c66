build-tmp/obj/nip/lib/crypto/sha256.o: nip/lib/crypto/sha256.c \
 nip/include/nip/crypto.h nip/include/nip/limits.h nip/include/nip/util.h
nip/include/nip/crypto.h:
nip/include/nip/limits.h:
nip/include/nip/util.h:
