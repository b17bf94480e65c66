#!/usr/bin/env python3
"""Hostile .nip packages for tests/attacks/package.sh.

Each case starts from the package that nipformat.py makes of a staged tree
(the same bytes `nip pack` writes) and changes exactly one thing, so that
nip's refusal can only be about that thing. Signatures come from minisign
itself (`minisign -S` with a key made by `minisign -G -W`): python has no
Ed25519, and a validly signed hostile manifest is what reaches the checks
behind the signature. A change to the payload frame is signed too (its
hash is in the trusted comment) unless the case is about that binding.

usage: hostile.py --tree DIR --key SEC --pub PUB --epoch N --name N
                  --version V --arch A --nip REF.nip --out OUTDIR [CASE...]
Writes OUTDIR/CASE.nip for every case (or those named), printing each name.
REF.nip is what `nip pack` made of DIR with the same key, epoch and names.
"""
import argparse
import base64
import copy
import hashlib
import json
import os
import re
import struct
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nipformat import (BLOCK, GiB, RAW_BLOCK, RAW_HEADER, Pkg, block_header,  # noqa: E402
                       frames, pad, pax_record, path_key, raw_blocks, tar_header,
                       ustar, walk, zstd, zstd_stream)


# ---- helpers for cases ------------------------------------------------------

def find(files, path):
    for i, f in enumerate(files):
        if f['path'] == path:
            return i
    raise KeyError(path)


def insert_sorted(files, f):
    files.append(f)
    files.sort(key=lambda x: path_key(x['path']))


def flip(buf, at):
    b = bytearray(buf)
    b[at] ^= 0x01
    return bytes(b)


def new_file(path, data, mode=0o644):
    return {'path': path, 'type': 'file', 'mode': mode, 'data': data}


# Each case: name -> function(ctx) returning the .nip bytes. The baseline tree
# (made by package.sh) holds: bin/ bin/tool (0755) etc/ etc/conf etc/conf2
# (hard link to etc/conf) share/ share/doc -> ../etc (symlink) share/long/
# <130-byte name> and share/long/link (symlink, 120-byte target).
CASES = {}


def case(fn):
    CASES[fn.__name__.replace('_', '-')] = fn
    return fn


@case
def baseline(ctx):
    return Pkg(ctx).build()


# -- raw damage to the package nip made (the zstd layer catches it) ----------

def ref_frames(ctx):
    fr = frames(ctx.ref)
    assert len(fr) == 2, fr
    return fr


@case
def trunc_head(ctx):
    (h0, h1), _ = ref_frames(ctx)
    return ctx.ref[:(h0 + h1) // 2]


@case
def trunc_head_header(ctx):
    return ctx.ref[:3]


@case
def trunc_boundary(ctx):
    (_, h1), _ = ref_frames(ctx)
    return ctx.ref[:h1]


@case
def trunc_payload(ctx):
    _, (p0, p1) = ref_frames(ctx)
    return ctx.ref[:(p0 + p1) // 2]


@case
def trunc_last_byte(ctx):
    return ctx.ref[:-1]


@case
def empty_file(ctx):
    return b''


@case
def flip_head_raw(ctx):
    (h0, h1), _ = ref_frames(ctx)
    return flip(ctx.ref, (h0 + h1) // 2)


@case
def flip_payload_raw(ctx):
    _, (p0, p1) = ref_frames(ctx)
    return flip(ctx.ref, (p0 + p1) // 2)


@case
def flip_last_byte(ctx):
    return flip(ctx.ref, len(ctx.ref) - 1)


@case
def trailing_garbage(ctx):
    return ctx.ref + b'garbage\n'


@case
def trailing_zeros(ctx):
    return ctx.ref + b'\0' * 512


@case
def third_frame(ctx):
    return ctx.ref + zstd(b'\0' * 1024)


@case
def third_frame_empty(ctx):
    # A valid, checksummed frame that decompresses to nothing: still bytes
    # after the end of the archive, and not those the signature binds.
    return ctx.ref + zstd(b'')


@case
def third_frame_empty_signed(ctx):
    # The same empty frame, but inside what the trusted comment binds (its
    # hash covers everything after the head frame): only the rule of
    # exactly two frames stops it.
    p = Pkg(ctx)
    p.payload_frame = lambda payload: zstd(payload) + zstd(b'')
    return p.build()


def skippable(data=b'hidden payload'):
    return struct.pack('<II', 0x184D2A50, len(data)) + data


@case
def skippable_between(ctx):
    (_, h1), _ = ref_frames(ctx)
    return ctx.ref[:h1] + skippable() + ctx.ref[h1:]


@case
def skippable_end(ctx):
    return ctx.ref + skippable()


@case
def skippable_first(ctx):
    return skippable() + ctx.ref


# -- the zstd layer, re-encoded: valid frames of a shape nip does not allow ---
# The head frame has one encoding, raw blocks of 128 KiB (nipformat.raw_frame);
# each case here is another valid zstd encoding of the very same head.

def raw_header(fhd):
    """The raw head frame's header with another descriptor byte."""
    return RAW_HEADER[:4] + bytes([fhd]) + RAW_HEADER[5:]


def head_frame(ctx, frame):
    p = Pkg(ctx)
    p.head_frame = frame
    return p.build()


@case
def head_compressed(ctx):
    # The head compressed, with a checksum, as the payload frame is.
    return head_frame(ctx, zstd)


@case
def nocheck_head(ctx):
    # The head compressed without a checksum (what a raw head also lacks).
    return head_frame(ctx, lambda head: zstd(head, '--no-check'))


@case
def head_checksum(ctx):
    # Raw blocks, but Content_Checksum_flag set and the XXH64 appended: the
    # same checksum the zstd command writes for the same content.
    return head_frame(ctx, lambda head: raw_header(0x04) + raw_blocks(head) + zstd(head)[-4:])


@case
def head_split(ctx):
    # Two raw blocks (1 KiB, then the rest) instead of one.
    return head_frame(ctx, lambda head: RAW_HEADER + raw_blocks(head, 1024))


@case
def head_empty_last(ctx):
    # The one raw block not flagged last, then an empty last block.
    return head_frame(ctx, lambda head: RAW_HEADER + block_header(len(head), False) + head
                      + block_header(0, True))


@case
def head_rle(ctx):
    # The zero padding that ends .NIPSIG as an RLE block (type 1).
    def frame(head):
        body = head.rstrip(b'\0')
        assert len(head) - len(body) > 1
        return (RAW_HEADER + block_header(len(body), False) + body
                + block_header(len(head) - len(body), True, 1) + b'\0')
    return head_frame(ctx, frame)


@case
def head_content_size(ctx):
    # Frame_Content_Size present (4 bytes): the same frame, a longer header.
    return head_frame(ctx, lambda head: raw_header(0x80) + struct.pack('<I', len(head))
                      + raw_blocks(head))


@case
def head_window(ctx):
    # Window_Descriptor 0x40 (256 KiB) instead of 0x38.
    return head_frame(ctx, lambda head: RAW_HEADER[:5] + b'\x40' + raw_blocks(head))


def deep(p):
    """2048 nested directories: a 4095-byte path, legal; ~4 MiB of manifest,
    so a head frame of 33 raw blocks."""
    path = ''
    for i in range(2048):
        path += ('/' if path else '') + 'd'
        p.files.append({'path': path, 'type': 'dir', 'mode': 0o755})
    p.files.sort(key=lambda x: path_key(x['path']))
    return p


@case
def m_deep(ctx):
    # The reader's directory stack must hold the path, and the head frame
    # is many blocks.
    return deep(Pkg(ctx)).build()


@case
def head_whole_blocks(ctx):
    # A head tar of exactly two 128 KiB blocks: the second is full and
    # flagged last, and no empty block follows. Directories z/NNNNN (43
    # bytes of manifest each) fill .NIPINFO to 2 * 128 KiB less three
    # 512-byte blocks (its header, .NIPSIG's header and data).
    p = Pkg(ctx)
    target = 2 * RAW_BLOCK - 3 * BLOCK
    p.files.append({'path': 'z', 'type': 'dir', 'mode': 0o755})
    n = (target - BLOCK // 2 - len(p.manifest())) // 43
    p.files += [{'path': 'z/%05d' % i, 'type': 'dir', 'mode': 0o755} for i in range(n)]
    assert target - BLOCK < len(p.manifest()) <= target

    def hook(head):
        assert len(head) == 2 * RAW_BLOCK
        return head
    p.head_hook = hook
    return p.build()


@case
def head_64k_blocks(ctx):
    # m-deep's head in raw blocks of 64 KiB instead of 128 KiB.
    p = deep(Pkg(ctx))
    p.head_frame = lambda head: RAW_HEADER + raw_blocks(head, 64 << 10)
    return p.build()


@case
def nocheck_payload(ctx):
    p = Pkg(ctx)
    p.payload_flags = ['--no-check']
    return p.build()


@case
def big_window(ctx):
    p = Pkg(ctx)
    p.payload_flags = ['--zstd=wlog=28']
    return p.build()


@case
def dict_frame(ctx):
    # The payload frame's header claims a dictionary (id 7): its descriptor
    # gets a one-byte dictionary id; nothing else changes (it is signed so).
    p = Pkg(ctx)

    def frame(payload):
        f = bytearray(zstd(payload))
        single = (f[4] >> 5) & 1
        f[4] |= 1
        at = 5 + (0 if single else 1)
        return bytes(f[:at]) + b'\x07' + bytes(f[at:])
    p.payload_frame = frame
    return p.build()


@case
def one_frame(ctx):
    # Head and payload in a single frame: every byte still decompresses to
    # the same tar, but the format is two frames.
    p = Pkg(ctx)
    p.frames_hook = lambda fr: [zstd(subprocess.run(
        ['zstd', '-dcq'], input=fr[0] + fr[1], stdout=subprocess.PIPE, check=True).stdout)]
    return p.build()


@case
def split_payload(ctx):
    # The payload frame cut into two frames (each checksummed) at a member,
    # both bound by the signature.
    p = Pkg(ctx)
    p.payload_frame = lambda payload: zstd(payload[:BLOCK]) + zstd(payload[BLOCK:])
    return p.build()


# -- the payload frame's compressed bytes, bound by the trusted comment --------

def benign_flip(frame):
    """(offset, bit) of the first bit of frame's compressed blocks (past
    the frame header and first block header, before the checksum) whose flip
    still decompresses to the same bytes, checksum included: entropy-coded
    data has such bits (unused table entries, stream padding)."""
    fhd = frame[4]
    single = (fhd >> 5) & 1
    start = 5 + (0 if single else 1) + (0, 1, 2, 4)[fhd & 3] \
        + ((1 if single else 0), 2, 4, 8)[fhd >> 6] + 3
    want = subprocess.run(['zstd', '-dcq'], input=frame, stdout=subprocess.PIPE,
                          check=True).stdout
    for at in range(start, len(frame) - 4):
        for bit in range(8):
            b = bytearray(frame)
            b[at] ^= 1 << bit
            r = subprocess.run(['zstd', '-dcq'], input=bytes(b), stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL)
            if r.returncode == 0 and r.stdout == want:
                return at, bit
    sys.exit('hostile.py: no bit of the payload frame flips harmlessly')


def flipped_payload(ctx, signed):
    p = Pkg(ctx)
    zst = p.payload_zst()
    at, bit = benign_flip(zst)
    b = bytearray(zst)
    b[at] ^= 1 << bit
    if signed:
        p.payload_frame = lambda payload: bytes(b)
    else:
        p.frames_hook = lambda fr: [fr[0], bytes(b)]
    return p.build()


@case
def payload_flip_benign(ctx):
    # A bit of compressed data flipped that decompresses to the same tar
    # (so every member, hash and checksum still matches): only the hash of
    # the compressed bytes in the trusted comment can tell.
    return flipped_payload(ctx, False)


@case
def payload_flip_benign_signed(ctx):
    # The same flipped frame, signed as it is: valid, so the refusal above
    # is about the binding alone.
    return flipped_payload(ctx, True)


def trusted(ctx, fn):
    p = Pkg(ctx)
    p.trusted_hook = fn
    return p.build()


@case
def tc_no_zst(ctx):
    # The trusted comment without its zst-sha256 field (nip's first format).
    return trusted(ctx, lambda tc: tc[:tc.index(' zst-sha256=')])


@case
def tc_zst_size(ctx):
    # A zst-size field after the hash, with the right size (an earlier
    # draft of the format): one comment, one spelling.
    return trusted(ctx, lambda tc: tc + ' zst-size=%d' % len(Pkg(ctx).payload_zst()))


@case
def tc_zst_sha_wrong(ctx):
    # The hash of the payload frame's decompressed bytes instead.
    def fn(tc):
        h = hashlib.sha256(Pkg(ctx).payload()).hexdigest()
        return re.sub('zst-sha256=[0-9a-f]{64}', 'zst-sha256=' + h, tc)
    return trusted(ctx, fn)


@case
def tc_zst_sha_short(ctx):
    return trusted(ctx, lambda tc: tc[:-1])


@case
def tc_zst_upper_hex(ctx):
    return trusted(ctx, lambda tc: re.sub('zst-sha256=([0-9a-f]{64})',
                                          lambda m: 'zst-sha256=' + m.group(1).upper(), tc))


# -- re-compressed damage: the zstd layer is fine, nip's own checks must act --

@case
def flip_manifest(ctx):
    p = Pkg(ctx)
    # the "1" of "format":1 becomes "0": still JSON, still canonical.
    p.info_hook = lambda info: info.replace(b'"format":1', b'"format":0')
    p.sign_info = Pkg(ctx).manifest()
    return p.build()


@case
def flip_signature(ctx):
    p = Pkg(ctx)

    def hook(sig):
        lines = sig.split(b'\n')
        b = bytearray(base64.b64decode(lines[1]))
        b[20] ^= 1  # inside the Ed25519 signature
        lines[1] = base64.b64encode(bytes(b))
        return b'\n'.join(lines)
    p.sig_hook = hook
    return p.build()


@case
def flip_global_sig(ctx):
    p = Pkg(ctx)

    def hook(sig):
        lines = sig.split(b'\n')
        b = bytearray(base64.b64decode(lines[3]))
        b[5] ^= 1
        lines[3] = base64.b64encode(bytes(b))
        return b'\n'.join(lines)
    p.sig_hook = hook
    return p.build()


@case
def flip_payload(ctx):
    p = Pkg(ctx)

    def hook(members):
        for m in members:
            if m['name'] == b'etc/conf':
                m['data'] = flip(m['data'], 0)
        return members
    p.members_hook = hook
    return p.build()


@case
def flip_padding(ctx):
    p = Pkg(ctx)

    def hook(members):
        for m in members:
            if m['name'] == b'etc/conf':
                m['raw'] = Pkg.member_bytes(m)[:-1] + b'\1'
        return members
    p.members_hook = hook
    return p.build()


@case
def flip_end_block(ctx):
    p = Pkg(ctx)
    p.end_blocks = b'\0' * 1023 + b'\1'
    return p.build()


@case
def short_end(ctx):
    p = Pkg(ctx)
    p.end_blocks = b'\0' * 512
    return p.build()


@case
def extra_end(ctx):
    p = Pkg(ctx)
    p.end_blocks = b'\0' * 1536
    return p.build()


# -- signatures ---------------------------------------------------------------

@case
def swapped_sig(ctx):
    # A valid signature by the same key, over another package's manifest.
    other = Pkg(ctx)
    other.meta['version'] = '9.9'
    p = Pkg(ctx)
    p.sig_hook = lambda sig: other.sign(other.manifest(), other.payload_zst())
    return p.build()


@case
def wrong_trusted_comment(ctx):
    return trusted(ctx, lambda tc: ' '.join(['nip', 'package', ctx.name, '9.9', ctx.arch,
                                             'b' + 'a' * 58] + tc.split(' ')[6:]))


@case
def wrong_untrusted_comment(ctx):
    p = Pkg(ctx)
    p.untrusted = 'signature from minisign secret key'
    return p.build()


@case
def legacy_sig(ctx):
    p = Pkg(ctx)
    p.sign_flags = ['-l']
    return p.build()


@case
def builder_key_mismatch(ctx):
    p = Pkg(ctx)
    p.builder_key = '0123456789ABCDEF'
    return p.build()


@case
def sig_extra_line(ctx):
    p = Pkg(ctx)
    p.sig_hook = lambda sig: sig + b'extra line\n'
    return p.build()


@case
def sig_no_final_newline(ctx):
    # The same four lines, the last without its newline: another encoding.
    p = Pkg(ctx)
    p.sig_hook = lambda sig: sig.rstrip(b'\n')
    return p.build()


@case
def unsigned(ctx):
    p = Pkg(ctx)
    p.sig_hook = lambda sig: b''
    return p.build()


# -- metadata headers ----------------------------------------------------------

@case
def head_mtime(ctx):
    p = Pkg(ctx)

    def hook(head):
        b = bytearray(head)
        b[0:BLOCK] = ustar(b'.NIPINFO', '0', 0o644, int(head[124:135], 8), ctx.epoch + 1)
        return bytes(b)
    p.head_hook = hook
    return p.build()


@case
def head_order(ctx):
    # .NIPSIG before .NIPINFO
    p = Pkg(ctx)

    def hook(head):
        n = BLOCK + int(head[124:135], 8)
        n += len(pad(n))
        return head[n:] + head[:n]
    p.head_hook = hook
    return p.build()


@case
def head_typeflag(ctx):
    # .NIPINFO as a contiguous file ('7'): tar extracts it as a regular file.
    p = Pkg(ctx)

    def hook(head):
        return ustar(b'.NIPINFO', '7', 0o644, int(head[124:135], 8), ctx.epoch) + head[BLOCK:]
    p.head_hook = hook
    return p.build()


@case
def head_size_base256(ctx):
    # .NIPINFO's size in GNU base-256 form: the same number, another spelling.
    p = Pkg(ctx)

    def hook(head):
        b = bytearray(head[:BLOCK])
        b[124:136] = b'\x80' + int(head[124:135], 8).to_bytes(11, 'big')
        b[148:156] = b' ' * 8
        b[148:156] = b'%06o\0 ' % sum(b)
        return bytes(b) + head[BLOCK:]
    p.head_hook = hook
    return p.build()


@case
def head_extra_member(ctx):
    # A third member in the head frame, after .NIPSIG: tar extracts it.
    p = Pkg(ctx)
    p.head_hook = lambda head: head + tar_header(b'evil', '0', 0o755, 3, ctx.epoch) + b'x\n\n' + pad(3)
    return p.build()


@case
def sig_crlf(ctx):
    p = Pkg(ctx)
    p.sig_hook = lambda sig: sig.replace(b'\n', b'\r\n')
    return p.build()


@case
def manifest_too_big(ctx):
    # A .NIPINFO header claiming 100 MiB, over the 64 MiB cap.
    p = Pkg(ctx)
    p.head_hook = lambda head: ustar(b'.NIPINFO', '0', 0o644, 100 << 20, ctx.epoch) + head[BLOCK:]
    return p.build()


# -- members against the manifest ----------------------------------------------

def one_member(ctx, path, **changes):
    p = Pkg(ctx)

    def hook(members):
        for m in members:
            if m['name'] == path.encode():
                m.update(changes)
        return members
    p.members_hook = hook
    return p.build()


@case
def hdr_mtime(ctx):
    return one_member(ctx, 'etc/conf', mtime=ctx.epoch + 1)


@case
def hdr_uid(ctx):
    return one_member(ctx, 'etc/conf', uid=1000)


@case
def hdr_mode(ctx):
    return one_member(ctx, 'etc/conf', mode=0o4755)


@case
def hdr_nul_name(ctx):
    # NUL then more bytes in the ustar name field: readers stop at the NUL.
    return one_member(ctx, 'etc/conf', name=b'etc/conf\0../../../../tmp/x')


@case
def hdr_dotdot(ctx):
    return one_member(ctx, 'etc/conf', name=b'../etc/conf')


@case
def hdr_extra_pax(ctx):
    # A pax record nip never writes (GNU tar would apply it).
    return one_member(ctx, 'etc/conf', extra_pax=pax_record(b'uid', b'1000'))


@case
def hdr_pax_path(ctx):
    # A pax path record renaming a short-named member (tar would obey it).
    return one_member(ctx, 'etc/conf', extra_pax=pax_record(b'path', b'../../../tmp/evil'))


LONG = 'share/long/' + 'n' * 130


@case
def hdr_pax_long(ctx):
    # The long name's pax path record pointing elsewhere.
    p = Pkg(ctx)

    def hook(members):
        for m in members:
            if m['name'] == LONG.encode():
                h = tar_header(b'../../../../tmp/' + b'n' * 130, m['type'], m['mode'],
                               m['size'], m['mtime'])
                m['raw'] = h + m['data'] + pad(len(m['data']))
        return members
    p.members_hook = hook
    return p.build()


@case
def hdr_gnu_longname(ctx):
    # The long name as a GNU ././@LongLink 'L' record instead of pax.
    p = Pkg(ctx)

    def hook(members):
        for m in members:
            if m['name'] == LONG.encode():
                n = m['name'] + b'\0'
                h = ustar(b'././@LongLink', 'L', 0o644, len(n), m['mtime']) + n + pad(len(n))
                h += ustar(m['name'], m['type'], m['mode'], m['size'], m['mtime'])
                m['raw'] = h + m['data'] + pad(len(m['data']))
        return members
    p.members_hook = hook
    return p.build()


@case
def hdr_symlink_target(ctx):
    return one_member(ctx, 'share/doc', link=b'../../etc')


@case
def member_extra_end(ctx):
    p = Pkg(ctx)
    p.members_hook = lambda ms: ms + [dict(ms[find(p.files, 'etc/conf')], name=b'zzz')]
    return p.build()


@case
def member_extra_middle(ctx):
    p = Pkg(ctx)

    def hook(ms):
        i = find(p.files, 'etc/conf')
        return ms[:i] + [dict(ms[i], name=b'etc/evil')] + ms[i:]
    p.members_hook = hook
    return p.build()


@case
def member_missing(ctx):
    p = Pkg(ctx)
    p.members_hook = lambda ms: [m for m in ms if m['name'] != b'etc/conf']
    return p.build()


@case
def member_missing_last(ctx):
    p = Pkg(ctx)
    p.members_hook = lambda ms: ms[:-1]
    return p.build()


@case
def member_dup(ctx):
    p = Pkg(ctx)

    def hook(ms):
        i = find(p.files, 'etc/conf')
        return ms[:i + 1] + [ms[i]] + ms[i + 1:]
    p.members_hook = hook
    return p.build()


@case
def member_order(ctx):
    p = Pkg(ctx)

    def hook(ms):
        i = find(p.files, 'etc/conf')
        j = find(p.files, 'etc/conf2')
        ms[i], ms[j] = ms[j], ms[i]
        return ms
    p.members_hook = hook
    return p.build()


# -- signed manifests that nip must refuse ------------------------------------

def with_files(ctx, change, policy=None):
    p = Pkg(ctx)
    change(p.files)
    if policy is not None:
        p.meta['policy'] = policy
    return p.build()


@case
def m_dotdot(ctx):
    return with_files(ctx, lambda fs: insert_sorted(fs, new_file('etc/../evil', b'x')))


@case
def m_dotdot_lead(ctx):
    return with_files(ctx, lambda fs: fs.insert(0, new_file('../evil', b'x')))


@case
def m_absolute(ctx):
    return with_files(ctx, lambda fs: fs.insert(0, new_file('/etc/evil', b'x')))


@case
def m_empty_component(ctx):
    return with_files(ctx, lambda fs: insert_sorted(fs, new_file('etc//evil', b'x')))


@case
def m_long_path(ctx):
    # 17 components of 250 bytes: 4266 bytes, over PATH_MAX; every parent listed.
    def change(fs):
        path = ''
        for i in range(17):
            path += ('/' if path else '') + chr(ord('a') + i) * 250
            fs.append({'path': path, 'type': 'dir', 'mode': 0o755})
        fs.append(new_file(path + '/f', b'x'))
        fs.sort(key=lambda x: path_key(x['path']))
    return with_files(ctx, change)


@case
def m_long_component(ctx):
    return with_files(ctx, lambda fs: insert_sorted(fs, new_file('etc/' + 'x' * 256, b'x')))


@case
def m_control_char(ctx):
    return with_files(ctx, lambda fs: insert_sorted(fs, new_file('etc/a\x1b[2Jb', b'x')))


@case
def m_c1_path(ctx):
    # U+009B, the C1 control CSI (UTF-8 c2 9b): "CSI 31m" turns a terminal
    # that honours C1 controls red.
    return with_files(ctx, lambda fs: insert_sorted(fs, new_file('etc/a\x9b31mb', b'x')))


@case
def m_c1_setuid(ctx):
    # The same path with a setuid bit no policy allows: an error names it.
    return with_files(ctx, lambda fs: insert_sorted(fs, new_file('etc/a\x9b31mb', b'x', 0o4755)))


@case
def m_newline_path(ctx):
    return with_files(ctx, lambda fs: insert_sorted(fs, new_file('etc/a\nnip: error: forged', b'x')))


@case
def m_ctl_target(ctx):
    return with_files(ctx, lambda fs: insert_sorted(fs, link('etc/evil', 'conf\x1b[2J')))


@case
def m_ctl_field(ctx):
    return manifest_edit(ctx, lambda m: dict(m, **{'x\x1b[2J': 1}))


@case
def m_ctl_name(ctx):
    p = Pkg(ctx)
    p.meta['name'] = 'evil\x1b[2J'
    return p.build()


@case
def m_ctl_relation(ctx):
    p = Pkg(ctx)
    p.relations['depends'] = ['libc\x1b[2J']
    return p.build()


@case
def m_dot(ctx):
    return with_files(ctx, lambda fs: fs.insert(0, {'path': '.', 'type': 'dir', 'mode': 0o755}))


@case
def m_trailing_slash(ctx):
    return with_files(ctx, lambda fs: insert_sorted(fs, new_file('etc/evil/', b'x')))


@case
def m_mode_big(ctx):
    return with_files(ctx, set_mode('etc/conf', 0o10644))


@case
def m_symlink_dotdot_top(ctx):
    return with_files(ctx, lambda fs: fs.insert(0, link('a', '..')))


@case
def m_hardlink_mode(ctx):
    # etc/conf2 links to etc/conf (0644) but claims 0755.
    return with_files(ctx, set_mode('etc/conf2', 0o755))


@case
def m_hardlink_chain(ctx):
    # a hard link to a hard link (etc/conf2), not to the file itself
    return with_files(ctx, lambda fs: insert_sorted(fs, link('etc/conf3', 'etc/conf2', 'hardlink')))


@case
def m_long_ctl(ctx):
    # A 4000-byte path whose fault (an escape byte) is at its end: the
    # message must still say what is wrong.
    def change(fs):
        path = '/'.join(chr(ord('a') + i) * 249 for i in range(16))
        fs.append(new_file(path + '/x\x1b', b'x'))
        fs.sort(key=lambda x: path_key(x['path']))
    return with_files(ctx, change)


@case
def m_reserved(ctx):
    return with_files(ctx, lambda fs: fs.insert(0, new_file('.NIPINFO', b'{}')))


@case
def m_no_parent(ctx):
    return with_files(ctx, lambda fs: insert_sorted(fs, new_file('nodir/evil', b'x')))


@case
def m_through_symlink(ctx):
    # share/doc is a symlink to ../etc: a member below it would be written
    # through the link.
    return with_files(ctx, lambda fs: insert_sorted(fs, new_file('share/doc/evil', b'x')))


@case
def m_dup(ctx):
    def change(fs):
        i = find(fs, 'etc/conf')
        fs.insert(i + 1, copy.deepcopy(fs[i]))
    return with_files(ctx, change)


@case
def m_order(ctx):
    def change(fs):
        i, j = find(fs, 'share/doc'), find(fs, 'share/long')
        fs[i], fs[j] = fs[j], fs[i]
    return with_files(ctx, change)


@case
def m_nul_path(ctx):
    return with_files(ctx, lambda fs: insert_sorted(fs, new_file('etc/a\0b', b'x')))


def link(path, target, typ='symlink'):
    return {'path': path, 'type': typ, 'mode': 0o777 if typ == 'symlink' else 0o644,
            'target': target}


@case
def m_symlink_up(ctx):
    return with_files(ctx, lambda fs: insert_sorted(fs, link('etc/evil', '../../etc/passwd')))


@case
def m_symlink_abs(ctx):
    return with_files(ctx, lambda fs: insert_sorted(fs, link('etc/evil', '/etc/passwd')))


@case
def m_symlink_mid_dotdot(ctx):
    return with_files(ctx, lambda fs: insert_sorted(fs, link('etc/evil', 'x/../../../etc/passwd')))


@case
def m_symlink_mode(ctx):
    def change(fs):
        l = link('etc/evil', 'conf')
        l['mode'] = 0o755
        insert_sorted(fs, l)
    return with_files(ctx, change)


@case
def m_hardlink_outside(ctx):
    return with_files(ctx, lambda fs: insert_sorted(fs, link('etc/evil', '/etc/passwd', 'hardlink')))


@case
def m_hardlink_dotdot(ctx):
    return with_files(ctx, lambda fs: insert_sorted(fs, link('etc/evil', '../etc/passwd', 'hardlink')))


@case
def m_hardlink_later(ctx):
    # bin/evil links to etc/conf, which comes later in the archive
    return with_files(ctx, lambda fs: insert_sorted(fs, link('bin/evil', 'etc/conf', 'hardlink')))


@case
def m_hardlink_to_dir(ctx):
    return with_files(ctx, lambda fs: insert_sorted(fs, link('etc/evil', 'bin', 'hardlink')))


def device(path, typ, rdev=None):
    f = {'path': path, 'type': typ, 'mode': 0o666}
    if rdev:
        f['rdev'] = rdev
    return f


@case
def m_char_device(ctx):
    return with_files(ctx, lambda fs: insert_sorted(fs, device('etc/mem', 'char', [1, 1])))


@case
def m_block_device(ctx):
    return with_files(ctx, lambda fs: insert_sorted(fs, device('etc/sda', 'block', [8, 0])))


@case
def m_fifo(ctx):
    return with_files(ctx, lambda fs: insert_sorted(fs, device('etc/pipe', 'fifo')))


@case
def m_char_device_allowed(ctx):
    return with_files(ctx, lambda fs: insert_sorted(fs, device('etc/null', 'char', [1, 3])),
                      'allow device /etc/null\n')


def set_mode(path, mode):
    def change(fs):
        fs[find(fs, path)]['mode'] = mode
    return change


@case
def m_setuid(ctx):
    return with_files(ctx, set_mode('bin/tool', 0o4755))


@case
def m_setuid_allowed(ctx):
    return with_files(ctx, set_mode('bin/tool', 0o4755), 'allow setuid /bin/tool\n')


@case
def m_setuid_other_path(ctx):
    return with_files(ctx, set_mode('bin/tool', 0o4755), 'allow setuid /bin/toolx\n')


@case
def m_setgid(ctx):
    return with_files(ctx, set_mode('bin/tool', 0o2755), 'allow setuid /bin/tool\n')


@case
def m_sticky_file(ctx):
    return with_files(ctx, set_mode('etc/conf', 0o1644))


@case
def m_hardlink_setuid(ctx):
    # The policy allows bin/tool; a hard link elsewhere must not carry it.
    def change(fs):
        fs[find(fs, 'bin/tool')]['mode'] = 0o4755
        insert_sorted(fs, dict(link('bin/zz', 'bin/tool', 'hardlink'), mode=0o4755))
    return with_files(ctx, change, 'allow setuid /bin/tool\n')


@case
def m_size_lie(ctx):
    # The manifest says 1 byte more than the member holds.
    def change(fs):
        f = fs[find(fs, 'etc/conf')]
        f['size'] = len(f['data']) + 1
    return with_files(ctx, change)


@case
def m_hash_lie(ctx):
    def change(fs):
        f = fs[find(fs, 'etc/conf')]
        f['sha256'] = hashlib.sha256(f['data'] + b'!').hexdigest()
    return with_files(ctx, change)


def manifest_edit(ctx, fn):
    p = Pkg(ctx)
    p.manifest_hook = fn
    return p.build()


@case
def m_unknown_field(ctx):
    return manifest_edit(ctx, lambda m: dict(m, zzz_extra=1))


@case
def m_unknown_file_field(ctx):
    def fn(m):
        m['files'][0]['owner'] = 'root'
        return m
    return manifest_edit(ctx, fn)


@case
def m_missing_field(ctx):
    def fn(m):
        del m['license']
        return m
    return manifest_edit(ctx, fn)


@case
def m_string_mode(ctx):
    def fn(m):
        m['files'][0]['mode'] = '0755'
        return m
    return manifest_edit(ctx, fn)


@case
def m_float_size(ctx):
    def fn(m):
        for f in m['files']:
            if f['type'] == 'file':
                f['size'] = float(f['size'])
                break
        return m
    return manifest_edit(ctx, fn)


@case
def m_format2(ctx):
    return manifest_edit(ctx, lambda m: dict(m, format=2))


@case
def m_bad_root(ctx):
    return manifest_edit(ctx, lambda m: dict(m, payload_root='0' * 64))


@case
def m_upper_hash(ctx):
    def fn(m):
        for f in m['files']:
            if f['type'] == 'file':
                f['sha256'] = f['sha256'].upper()
                break
        return m
    return manifest_edit(ctx, fn)


@case
def m_duplicate_key(ctx):
    p = Pkg(ctx)
    p.info_hook = lambda info: info.replace(b'"name":', b'"name":"evil","name":', 1)
    return p.build()


@case
def m_space(ctx):
    p = Pkg(ctx)
    p.info_hook = lambda info: info.replace(b'","', b'", "', 1)
    return p.build()


@case
def m_trailing_newline(ctx):
    p = Pkg(ctx)
    p.info_hook = lambda info: info + b'\n'
    return p.build()


@case
def m_unsorted_keys(ctx):
    p = Pkg(ctx)

    def hook(info):
        m = json.loads(info)
        return json.dumps(dict(reversed(list(m.items()))),
                          separators=(',', ':'), ensure_ascii=False).encode()
    p.info_hook = hook
    return p.build()


@case
def m_escaped_slash(ctx):
    p = Pkg(ctx)
    p.info_hook = lambda info: info.replace(b'bin/tool', b'bin\\/tool', 1)
    return p.build()


@case
def m_unicode_escape(ctx):
    # The first letter of the arch written as \u00XX: the same JSON value,
    # another encoding.
    p = Pkg(ctx)
    c = ctx.arch[0]
    p.info_hook = lambda info: info.replace(b'"arch":"' + c.encode(),
                                            b'"arch":"\\u%04x' % ord(c), 1)
    return p.build()


@case
def m_not_json(ctx):
    p = Pkg(ctx)
    p.info_hook = lambda info: info[:-1]
    return p.build()


@case
def m_relation_noncanonical(ctx):
    p = Pkg(ctx)
    p.relations['depends'] = ['libc>=2.36']
    return p.build()


@case
def m_relation_bad(ctx):
    p = Pkg(ctx)
    p.relations['depends'] = ['libc >>>= 2']
    return p.build()


@case
def m_relation_unsorted(ctx):
    p = Pkg(ctx)
    p.relations['depends'] = ['zlib', 'libc']
    return p.build()


@case
def m_bad_name(ctx):
    p = Pkg(ctx)
    p.meta['name'] = 'Evil/../x'
    return p.build()


def bomb(ctx, size):
    """A manifest listing etc/zero of `size` bytes; the payload frame holds
    the members before it, its header, then 256 MiB of zeros (about 8 KiB
    compressed) and no end: a reader must stop long before."""
    p = Pkg(ctx)
    insert_sorted(p.files, {'path': 'etc/zero', 'type': 'file', 'mode': 0o644,
                            'size': size, 'sha256': '00' * 32})

    def frame(payload):
        members = p.members()
        before = b''.join(Pkg.member_bytes(m) for m in members[:find(p.files, 'etc/zero')])
        return zstd_stream(before + tar_header(b'etc/zero', '0', 0o644, size, ctx.epoch),
                           256 << 20)
    p.payload_frame = frame
    return p.build()


@case
def m_bomb_100g(ctx):
    # Over the 64 GiB payload cap: refused when the manifest is read.
    return bomb(ctx, 100 * GiB)


@case
def m_bomb_60g(ctx):
    # Under the cap, so the manifest passes: the compression ratio cap must
    # stop the read after its 16 MiB grace.
    return bomb(ctx, 60 * GiB)


@case
def head_bomb(ctx):
    # Before any signature: a .NIPINFO of 60 MiB (under its 64 MiB cap) of
    # zeros, ~2 KiB compressed. Only the ratio cap stops it early.
    p = Pkg(ctx)
    size = 60 << 20

    def hook(fr):
        return [zstd_stream(ustar(b'.NIPINFO', '0', 0o644, size, ctx.epoch), size), fr[1]]
    p.frames_hook = hook
    return p.build()


@case
def m_too_many_files_total(ctx):
    # Two 40 GiB files: each under the cap, their sum over it.
    p = Pkg(ctx)
    for n in ('etc/z1', 'etc/z2'):
        insert_sorted(p.files, {'path': n, 'type': 'file', 'mode': 0o644,
                                'size': 40 * GiB, 'sha256': '00' * 32})
    return p.build()


# ---- main -------------------------------------------------------------------

class Ctx:
    pass


def main():
    ap = argparse.ArgumentParser()
    for a in ('tree', 'key', 'pub', 'name', 'version', 'arch', 'nip', 'out'):
        ap.add_argument('--' + a, required=True)
    ap.add_argument('--epoch', type=int, required=True)
    ap.add_argument('cases', nargs='*')
    args = ap.parse_args()
    ctx = Ctx()
    ctx.__dict__.update(vars(args))
    ctx.files = walk(args.tree)
    with open(args.pub) as fh:
        kid = base64.b64decode(fh.read().splitlines()[1])[2:10]
    ctx.keyid = '%016X' % int.from_bytes(kid, 'little')
    with open(args.nip, 'rb') as fh:
        ctx.ref = fh.read()
    os.makedirs(args.out, exist_ok=True)
    for name in args.cases or CASES:
        data = CASES[name](ctx)
        with open(os.path.join(args.out, name + '.nip'), 'wb') as fh:
            fh.write(data)
        print(name)


if __name__ == '__main__':
    main()
