build-tmp/obj/cells/explain.o: cells/explain.c nip/include/nip/cell.h \
 nip/include/nip/util.h
nip/include/nip/cell.h:
nip/include/nip/util.h:
