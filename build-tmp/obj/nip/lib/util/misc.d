build-tmp/obj/nip/lib/util/misc.o: nip/lib/util/misc.c \
 nip/include/nip/util.h
nip/include/nip/util.h:
