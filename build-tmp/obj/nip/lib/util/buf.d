build-tmp/obj/nip/lib/util/buf.o: nip/lib/util/buf.c \
 nip/include/nip/util.h
nip/include/nip/util.h:
