"""The sans-IO WebSocket frame parser/builder and C masking: RFC 6455 examples, a pure-Python masking
reference, and differential property tests against wsproto's frame parser on the same bytes."""

import os
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from wsproto.frame_protocol import FrameProtocol, Opcode, ParseFailed

from fastorder.transport.ws import (
    OP_BINARY,
    OP_CLOSE,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    WSError,
    WSFrameParser,
    build_frame,
    mask_bytes,
    parse_close,
)


def py_mask(data: bytes, key: bytes) -> bytes:
    return bytes(b ^ key[i % 4] for i, b in enumerate(data))


# RFC 6455 section 5.7
RFC_UNMASKED_HELLO = bytes([0x81, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F])
RFC_MASKED_HELLO = bytes([0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58])
RFC_FRAGMENTED = bytes([0x01, 0x03, 0x48, 0x65, 0x6C, 0x80, 0x02, 0x6C, 0x6F])
RFC_PING = bytes([0x89, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F])


def test_rfc_examples():
    assert build_frame(OP_TEXT, b"Hello", mask=False) == RFC_UNMASKED_HELLO
    assert build_frame(OP_TEXT, b"Hello", mask_key=bytes([0x37, 0xFA, 0x21, 0x3D])) == RFC_MASKED_HELLO
    assert WSFrameParser().feed(RFC_UNMASKED_HELLO) == [(OP_TEXT, b"Hello")]
    assert WSFrameParser(expect_masked=True).feed(RFC_MASKED_HELLO) == [(OP_TEXT, b"Hello")]
    assert WSFrameParser().feed(RFC_FRAGMENTED) == [(OP_TEXT, b"Hello")]
    assert WSFrameParser().feed(RFC_PING) == [(OP_PING, b"Hello")]
    assert build_frame(OP_BINARY, b"\0" * 256, mask=False)[:4] == bytes([0x82, 0x7E, 0x01, 0x00])
    assert build_frame(OP_BINARY, b"\0" * 65536, mask=False)[:10] == bytes([0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0])


@given(st.binary(max_size=2000), st.binary(min_size=4, max_size=4))
def test_c_masking_matches_reference(data, key):
    assert mask_bytes(data, key) == py_mask(data, key)
    assert mask_bytes(bytearray(data), key) == py_mask(data, key)


def test_masking_unaligned_views():
    data = os.urandom(300)
    key = b"\x01\x02\x03\x04"
    for off in range(9):
        assert mask_bytes(memoryview(data)[off:], key) == py_mask(data[off:], key)


def test_mask_keys_vary():
    keys = {build_frame(OP_TEXT, b"x")[2:6] for _ in range(200)}
    assert len(keys) > 190


def test_control_between_fragments_and_split_everywhere():
    stream = (build_frame(OP_TEXT, b"Hel", fin=False, mask=False) + build_frame(OP_PING, b"p1", mask=False)
              + build_frame(0, b"lo ", fin=False, mask=False) + build_frame(OP_PONG, b"", mask=False)
              + build_frame(0, "wörld".encode(), mask=False)
              + build_frame(OP_BINARY, b"\xff" * 70000, mask=False)
              + build_frame(OP_CLOSE, struct.pack("!H", 1000) + b"bye", mask=False))
    expected = [(OP_PING, b"p1"), (OP_PONG, b""), (OP_TEXT, "Hello wörld".encode()), (OP_BINARY, b"\xff" * 70000),
                (OP_CLOSE, b"\x03\xe8bye")]
    assert WSFrameParser().feed(stream) == expected
    for cut in list(range(0, 40)) + [100, 1000, 69999, 70050, len(stream) - 3]:
        p = WSFrameParser()
        assert p.feed(stream[:cut]) + p.feed(stream[cut:]) == expected, cut


BAD = [
    (bytes([0x91, 0x00]), 1002),                              # RSV1 without an extension
    (bytes([0x83, 0x00]), 1002),                              # reserved data opcode
    (bytes([0x8B, 0x00]), 1002),                              # reserved control opcode
    (bytes([0x09, 0x00]), 1002),                              # fragmented ping
    (bytes([0x89, 0x7E, 0x00, 0x7E]) + b"x" * 126, 1002),     # control frame > 125
    (bytes([0x80, 0x01, 0x61]), 1002),                        # continuation with nothing to continue
    (bytes([0x01, 0x01, 0x61, 0x81, 0x01, 0x61]), 1002),      # new message inside a fragmented one
    (bytes([0x81, 0x7E, 0x00, 0x05]) + b"hello", 1002),       # non-minimal 16-bit length
    (bytes([0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0, 5]) + b"hello", 1002),  # non-minimal 64-bit length
    (bytes([0x82, 0x7F, 0x80, 0, 0, 0, 0, 1, 0, 0]), 1002),   # 64-bit length with the top bit set
    (bytes([0x81, 0x82, 1, 2, 3, 4, 0, 0]), 1002),            # masked frame from a server
    (bytes([0x81, 0x02, 0xC3, 0x28]), 1007),                  # invalid UTF-8 text
    (bytes([0x88, 0x01, 0x03]), 1002),                        # 1-byte close payload
    (bytes([0x88, 0x02, 0x03, 0xED]), 1002),                  # close code 1005 on the wire
    (bytes([0x88, 0x02, 0x03, 0xE7]), 1002),                  # close code 999
    (bytes([0x88, 0x04, 0x03, 0xE8, 0xC3, 0x28]), 1007),      # close reason not UTF-8
]


@pytest.mark.parametrize("data,code", BAD)
def test_protocol_errors(data, code):
    p = WSFrameParser()
    with pytest.raises(WSError) as ei:
        p.feed(data)
    assert ei.value.code == code
    with pytest.raises(WSError):
        p.feed(build_frame(OP_TEXT, b"ok", mask=False))  # a failed stream stays failed


def test_max_size_refused_at_the_header():
    p = WSFrameParser(max_size=1000)
    with pytest.raises(WSError) as ei:
        p.feed(bytes([0x82, 0x7F, 0, 0, 0, 0, 0x7F, 0, 0, 0]))  # a 2 GiB frame: refused before buffering
    assert ei.value.code == 1009
    p = WSFrameParser(max_size=1000)
    p.feed(build_frame(OP_BINARY, b"x" * 600, fin=False, mask=False))
    with pytest.raises(WSError) as ei:
        p.feed(build_frame(0, b"x" * 600, mask=False))  # the sum of the fragments counts
    assert ei.value.code == 1009


def test_parse_close():
    assert parse_close(b"") == (1005, "")
    assert parse_close(b"\x03\xe8ok") == (1000, "ok")


# ---- differential against wsproto ---------------------------------------------------------------------


def wsproto_events(data: bytes, chunks):
    """wsproto's client-side view of server frames, reassembled into the same (opcode, payload) events."""
    fp = FrameProtocol(client=True, extensions=[])
    out, cur, cur_op = [], [], None
    pos = 0
    try:
        for c in list(chunks) + [len(data)]:
            fp.receive_bytes(data[pos:pos + c] if c != len(data) else data[pos:])
            pos = min(pos + c, len(data)) if c != len(data) else len(data)
            for f in fp.received_frames():
                if f.opcode in (Opcode.PING, Opcode.PONG):
                    out.append((int(f.opcode), bytes(f.payload)))
                elif f.opcode == Opcode.CLOSE:
                    code, reason = f.payload
                    out.append((OP_CLOSE, b"" if code == 1005 else struct.pack("!H", code) + reason.encode()))
                else:
                    if f.opcode != Opcode.CONTINUATION:
                        cur_op = int(f.opcode)
                    cur.append(f.payload.encode() if isinstance(f.payload, str) else bytes(f.payload))
                    if f.message_finished:
                        out.append((cur_op, b"".join(cur)))
                        cur = []
    except ParseFailed as e:
        return out, int(e.code)
    return out, None


def fo_events(data: bytes, chunks):
    p = WSFrameParser(max_size=1 << 40)
    out, pos = [], 0
    try:
        for c in chunks:
            out += p.feed(data[pos:pos + c])
            pos += c
        out += p.feed(data[pos:])
    except WSError as e:
        return out + e.events, e.code
    return out, None


_frame = st.one_of(
    st.tuples(st.just(OP_TEXT), st.text(max_size=50).map(str.encode), st.booleans()),
    st.tuples(st.just(OP_BINARY), st.binary(max_size=300), st.booleans()),
    st.tuples(st.just(0), st.binary(max_size=50), st.booleans()),
    st.tuples(st.sampled_from([OP_PING, OP_PONG]), st.binary(max_size=125), st.just(True)),
    st.tuples(st.just(OP_CLOSE), st.sampled_from([b"", b"\x03\xe8", b"\x03\xe8bye", b"\x0f\xa1x", b"\x03\xedz",
                                                  b"\x03\xe9\xc3\x28", b"\x07\xd0"]), st.just(True)),
    st.tuples(st.integers(0, 15), st.binary(max_size=130), st.booleans()),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_frame, max_size=8), st.lists(st.integers(0, 30), max_size=10), st.data())
def test_differential_vs_wsproto(frames, chunks, data):
    stream = b""
    for op, payload, fin in frames:
        raw = bytearray(build_frame(op, payload, fin=fin, mask=False))
        if data.draw(st.integers(0, 9)) == 0:  # now and then corrupt a header byte
            raw[data.draw(st.integers(0, 1))] ^= 1 << data.draw(st.integers(0, 7))
        stream += bytes(raw)
    ours, our_err = fo_events(stream, chunks)
    theirs, their_err = wsproto_events(stream, chunks)
    if our_err is None and their_err is None:
        assert ours == theirs
    elif our_err is not None and their_err is not None:
        # Both refuse the stream.  wsproto checks UTF-8 per fragment, we per message, so wsproto may stop
        # a few events earlier; what we delivered before the error must be what it delivered (or more).
        assert our_err == their_err or {our_err, their_err} <= {1002, 1007}
        assert ours[:len(theirs)] == theirs[:len(ours)]
    elif our_err is None:
        # An unfinished fragmented text message whose first fragments are invalid UTF-8: wsproto fails at
        # once, we at the final fragment, which never came.
        assert their_err == 1007, (stream, ours, theirs, our_err, their_err)
        assert ours[:len(theirs)] == theirs  # we may have delivered control frames that came after it
    else:
        # We check frame sequencing (continuation without a message, new message inside one) at the
        # header, wsproto once the payload is in; on truncated input only we have seen the error yet.
        assert our_err == 1002 and their_err is None, (stream, ours, theirs, our_err, their_err)
        assert ours == theirs
        with pytest.raises(WSError):
            WSFrameParser(max_size=1 << 40).feed(stream + b"\0" * 200)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_never_crash(blob):
    p = WSFrameParser(max_size=4096)
    try:
        p.feed(blob)
    except WSError:
        pass
