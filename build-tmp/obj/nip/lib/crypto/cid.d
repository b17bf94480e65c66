build-tmp/obj/nip/lib/crypto/cid.o: nip/lib/crypto/cid.c \
 nip/include/nip/crypto.h nip/include/nip/limits.h nip/include/nip/util.h
nip/include/nip/crypto.h:
nip/include/nip/limits.h:
nip/include/nip/util.h:
