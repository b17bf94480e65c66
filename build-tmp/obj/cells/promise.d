build-tmp/obj/cells/promise.o: cells/promise.c nip/include/nip/cell.h \
 nip/include/nip/util.h nip/include/nip/limits.h
nip/include/nip/cell.h:
nip/include/nip/util.h:
nip/include/nip/limits.h:
