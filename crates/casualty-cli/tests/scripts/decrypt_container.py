#!/usr/bin/env python3
"""Decrypt a casualty encrypted container, as a reference independent of the Rust code.

The format is described in docs/encryption.md. The script needs only the `cryptography`
package, version 44.0.0 or later for Argon2id (validators/requirements.txt pins it):

    decrypt_container.py INPUT OUTPUT --password-file FILE
    decrypt_container.py INPUT OUTPUT --password-env VAR

OUTPUT must not exist. The plaintext is written to a temporary file beside OUTPUT and renamed
to OUTPUT only after the final chunk has been authenticated, so a rejected file leaves nothing.

Exit status: 0 when decrypted, 1 for a read or write failure, 2 when the container is rejected
(wrong password, damaged or truncated file, bad arguments), 3 when `cryptography` is missing.
"""

import argparse
import os
import struct
import sys
import tempfile

try:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
except ImportError as error:
    print(
        f"decrypt_container: error: the Python package cryptography (44.0.0 or later) is missing ({error}); "
        "install it with: python3 -m pip install -r validators/requirements.txt",
        file=sys.stderr,
    )
    sys.exit(3)

MAGIC = b"CASUALTY-ENC"
VERSION = 1
HEADER_LEN = 68
HEADER_FIELDS_LEN = 52
TAG_LEN = 16
KEY_LEN = 32
MARKER_INTERMEDIATE = 0x00
MARKER_FINAL = 0x01
HEADER_TAG_FLAG = 0x02

# Accepted ranges, checked before Argon2 runs, so a hostile header cannot demand unbounded memory.
CHUNK_SIZE_RANGE = (1024, 1024 * 1024)
MEMORY_KIB_MAX = 2 * 1024 * 1024
ITERATIONS_RANGE = (1, 16)
PARALLELISM_RANGE = (1, 16)


class Rejected(Exception):
    """The container is invalid, damaged, or the password is wrong."""


def check_range(field, value, low, high):
    if not low <= value <= high:
        raise Rejected(f"{field} is {value}, outside the accepted range {low} to {high}")


def read_exact(stream, size, what):
    """Read `size` bytes, or raise Rejected naming `what` when the input ends first."""
    data = stream.read(size)
    if len(data) < size:
        raise Rejected(f"the file is truncated: it ends inside {what}")
    return data


def open_header(stream, password):
    """Read and authenticate the header; return (aesgcm, header bytes, chunk size, nonce prefix)."""
    magic = stream.read(len(MAGIC))
    if magic != MAGIC:
        raise Rejected("not a casualty encrypted file: it does not start with the bytes `CASUALTY-ENC`")
    version = read_exact(stream, 1, "the header")[0]
    if version != VERSION:
        raise Rejected(f"unsupported encrypted file version {version}; this script reads version {VERSION}")
    header = magic + bytes([version]) + read_exact(stream, HEADER_LEN - len(MAGIC) - 1, "the header")

    chunk_size, memory_kib, iterations, parallelism = struct.unpack(">IIII", header[13:29])
    salt = header[29:45]
    nonce_prefix = header[45:52]
    check_range("chunk size in bytes", chunk_size, *CHUNK_SIZE_RANGE)
    check_range("Argon2 parallelism (lanes)", parallelism, *PARALLELISM_RANGE)
    check_range("Argon2 iterations", iterations, *ITERATIONS_RANGE)
    check_range("Argon2 memory in KiB", memory_kib, 8 * parallelism, MEMORY_KIB_MAX)

    kdf = Argon2id(salt=salt, length=KEY_LEN, iterations=iterations, lanes=parallelism, memory_cost=memory_kib)
    aesgcm = AESGCM(kdf.derive(password))
    header_tag_nonce = nonce_prefix + b"\x00\x00\x00\x00" + bytes([HEADER_TAG_FLAG])
    try:
        aesgcm.decrypt(header_tag_nonce, header[HEADER_FIELDS_LEN:], header[:HEADER_FIELDS_LEN])
    except InvalidTag:
        raise Rejected("wrong password, or the header is corrupted: the header failed authentication") from None
    return aesgcm, header, chunk_size, nonce_prefix


def decrypt(stream, output, password):
    """Decrypt the container from `stream`, writing authenticated plaintext to `output`."""
    aesgcm, header, chunk_size, nonce_prefix = open_header(stream, password)
    index = 0
    while True:
        marker = stream.read(1)
        if not marker:
            raise Rejected(f"the file is truncated: it ends at chunk {index} without the final chunk")
        if marker[0] == MARKER_INTERMEDIATE:
            if index >= 0xFFFFFFFF:
                raise Rejected("too many chunks: a file holds at most 2^32 chunks")
            sealed = read_exact(stream, chunk_size + TAG_LEN, f"chunk {index}")
            final = False
        elif marker[0] == MARKER_FINAL:
            (length,) = struct.unpack(">I", read_exact(stream, 4, f"chunk {index}"))
            if length > chunk_size:
                raise Rejected(f"the final chunk {index} declares {length} bytes, more than the chunk size of {chunk_size} bytes")
            sealed = read_exact(stream, length + TAG_LEN, f"chunk {index}")
            final = True
        else:
            raise Rejected(f"chunk {index} starts with the invalid marker byte {marker[0]:#04x}; expected 0x00 or 0x01")

        # STREAM nonce: 7-byte prefix, 32-bit big-endian chunk index, final flag.
        nonce = nonce_prefix + struct.pack(">I", index) + bytes([1 if final else 0])
        try:
            plaintext = aesgcm.decrypt(nonce, sealed, header)
        except InvalidTag:
            raise Rejected(f"chunk {index} failed authentication: the file is corrupted or was tampered with") from None
        if final:
            if stream.read(1):
                raise Rejected("data after the final chunk: the file has extra bytes appended")
            output.write(plaintext)
            return
        output.write(plaintext)
        index += 1


def read_password(args):
    if args.password_file is not None:
        with open(args.password_file, "rb") as file:
            line = file.read().split(b"\n", 1)[0]
        if line.endswith(b"\r"):
            line = line[:-1]
        return line
    value = os.environ.get(args.password_env)
    if value is None:
        raise Rejected(f"the environment variable {args.password_env} is not set")
    return value.encode("utf-8")


def main():
    parser = argparse.ArgumentParser(description="Decrypt a casualty encrypted container.")
    parser.add_argument("input", help="encrypted file")
    parser.add_argument("output", help="decrypted file to create; it must not exist")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--password-file", metavar="FILE", help="file whose first line is the password")
    source.add_argument("--password-env", metavar="VAR", help="environment variable that contains the password")
    args = parser.parse_args()

    directory = os.path.dirname(os.path.abspath(args.output))
    temporary_path = None
    try:
        if os.path.lexists(args.output):
            raise Rejected(f"{args.output} already exists; remove it or choose another output path")
        password = read_password(args)
        if not password:
            raise Rejected("the password is empty")
        with open(args.input, "rb") as stream:
            descriptor, temporary_path = tempfile.mkstemp(prefix=".decrypt.", suffix=".partial", dir=directory)
            with os.fdopen(descriptor, "wb") as output:
                decrypt(stream, output, password)
                output.flush()
                os.fsync(output.fileno())
        # os.link fails when the output appeared meanwhile, where os.replace would overwrite it.
        os.link(temporary_path, args.output)
    except Rejected as error:
        print(f"decrypt_container: error: {error}", file=sys.stderr)
        return 2
    except FileExistsError:
        print(f"decrypt_container: error: {args.output} already exists", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"decrypt_container: error: {error}", file=sys.stderr)
        return 1
    finally:
        if temporary_path is not None and os.path.exists(temporary_path):
            os.unlink(temporary_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
