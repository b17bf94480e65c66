build-tmp/obj/nip/lib/util/dl.o: nip/lib/util/dl.c nip/include/nip/util.h
nip/include/nip/util.h:
