build-tmp/obj/nip/lib/crypto/raw.o: nip/lib/crypto/raw.c \
 nip/include/nip/crypto.h nip/include/nip/limits.h nip/include/nip/util.h
nip/include/nip/crypto.h:
nip/include/nip/limits.h:
nip/include/nip/util.h:
