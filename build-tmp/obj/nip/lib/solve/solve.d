build-tmp/obj/nip/lib/solve/solve.o: nip/lib/solve/solve.c \
 nip/include/nip/solve.h nip/include/nip/package.h \
 nip/include/nip/crypto.h nip/include/nip/limits.h nip/include/nip/util.h
nip/include/nip/solve.h:
nip/include/nip/package.h:
nip/include/nip/crypto.h:
nip/include/nip/limits.h:
nip/include/nip/util.h:
