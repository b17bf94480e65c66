build-tmp/obj/cells/landlock.o: cells/landlock.c nip/include/nip/cell.h \
 nip/include/nip/util.h
nip/include/nip/cell.h:
nip/include/nip/util.h:
