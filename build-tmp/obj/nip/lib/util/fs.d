build-tmp/obj/nip/lib/util/fs.o: nip/lib/util/fs.c nip/include/nip/util.h
nip/include/nip/util.h:
