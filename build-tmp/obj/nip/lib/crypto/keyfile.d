build-tmp/obj/nip/lib/crypto/keyfile.o: nip/lib/crypto/keyfile.c \
 nip/include/nip/crypto.h nip/include/nip/limits.h nip/include/nip/util.h
nip/include/nip/crypto.h:
nip/include/nip/limits.h:
nip/include/nip/util.h:
