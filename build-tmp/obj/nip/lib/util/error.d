build-tmp/obj/nip/lib/util/error.o: nip/lib/util/error.c \
 nip/include/nip/util.h
nip/include/nip/util.h:
