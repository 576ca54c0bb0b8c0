//! Password-based, streaming, authenticated encryption of output files (AES-256-GCM).
//!
//! A container is a 68-byte header followed by chunk records. The key is derived from the
//! password by Argon2id with a fresh random salt, and the Argon2 parameters are stored in the
//! header. The plaintext is cut into fixed-size chunks, each sealed by AES-256-GCM under the STREAM
//! construction: the nonce is a random per-file prefix, the chunk index and a final-chunk flag. The
//! whole header is the associated data of every chunk. A reader therefore detects a wrong password,
//! a changed header, modified, reordered, dropped or duplicated chunks, a missing final chunk and
//! bytes after it. `docs/encryption.md` describes the format byte by byte for other implementations.
//!
//! [`EncryptWriter`] encrypts while the output is written, holding one chunk in memory.
//! [`decrypt`] streams the other way, and [`decrypt_file`] publishes the plaintext only after the
//! final chunk has been authenticated.

use std::fmt;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

// aead 0.6, which aes-gcm 0.11 builds on, moved its `stream` module into the `aead-stream` crate.
use aead_stream::{DecryptorBE32, EncryptorBE32};
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::Aes256Gcm;
use zeroize::Zeroizing;

use crate::sink::Sink;

/// The first 12 bytes of every container, ASCII `CASUALTY-ENC`.
pub const MAGIC: [u8; 12] = *b"CASUALTY-ENC";
/// The container version that this module writes and reads.
pub const VERSION: u8 = 1;
/// Length of the header in bytes, including its authentication tag.
pub const HEADER_LEN: usize = 68;
/// Length of the Argon2 salt in bytes (128 bits, as RFC 9106 recommends).
pub const SALT_LEN: usize = 16;
/// Length of the random per-file nonce prefix: 12-byte GCM nonce less the 4-byte chunk index and
/// the 1-byte final flag.
pub const NONCE_PREFIX_LEN: usize = 7;
/// Length of an AES-GCM authentication tag in bytes.
pub const TAG_LEN: usize = 16;
/// Plaintext bytes per chunk unless [`EncryptWriterBuilder::chunk_size`] sets another size.
pub const DEFAULT_CHUNK_SIZE: u32 = 64 * 1024;
/// Smallest accepted chunk size in bytes.
pub const MIN_CHUNK_SIZE: u32 = 1024;
/// Largest accepted chunk size in bytes. A reader keeps one chunk in memory, so this bounds the
/// memory that a hostile header can request.
pub const MAX_CHUNK_SIZE: u32 = 1024 * 1024;

/// Marker byte of a chunk record that more records follow.
const MARKER_INTERMEDIATE: u8 = 0x00;
/// Marker byte of the final chunk record, which also stores its plaintext length.
const MARKER_FINAL: u8 = 0x01;
/// Last nonce byte of the header tag. STREAM chunk nonces end in 0x00 or 0x01, so the header tag
/// never shares a nonce with a chunk.
const HEADER_TAG_FLAG: u8 = 0x02;
/// Length of the header fields that the header tag covers (everything before the tag).
const HEADER_FIELDS_LEN: usize = HEADER_LEN - TAG_LEN;
/// Length of the derived AES-256 key in bytes.
const KEY_LEN: usize = 32;

/// Argon2id cost parameters, stored in the header of every container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Params {
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
}

impl Argon2Params {
    /// RFC 9106, section 4, second recommended option: 64 MiB of memory, 3 passes, 4 lanes. The
    /// first option needs 2 GiB, more than an exercise laptop can be expected to spare.
    pub const DEFAULT: Argon2Params = Argon2Params { memory_kib: 64 * 1024, iterations: 3, parallelism: 4 };
    /// Largest accepted memory cost in KiB (2 GiB, the memory of RFC 9106's first recommended
    /// option). A reader rejects larger values before it allocates anything.
    pub const MAX_MEMORY_KIB: u32 = 2 * 1024 * 1024;
    /// Largest accepted number of passes over the memory.
    pub const MAX_ITERATIONS: u32 = 16;
    /// Largest accepted number of lanes.
    pub const MAX_PARALLELISM: u32 = 16;
    /// Argon2's minimum memory per lane in KiB.
    const MIN_MEMORY_KIB_PER_LANE: u32 = 8;

    /// Checks and returns a parameter set.
    ///
    /// # Errors
    /// [`EncryptionError::ParameterOutOfRange`] unless parallelism is 1 to 16, iterations 1 to
    /// 16, and memory from 8 KiB per lane to 2 GiB.
    pub fn new(memory_kib: u32, iterations: u32, parallelism: u32) -> Result<Argon2Params, EncryptionError> {
        check_range("Argon2 parallelism (lanes)", parallelism, 1, Self::MAX_PARALLELISM)?;
        check_range("Argon2 iterations", iterations, 1, Self::MAX_ITERATIONS)?;
        let min_memory = Self::MIN_MEMORY_KIB_PER_LANE * parallelism;
        check_range("Argon2 memory in KiB", memory_kib, min_memory, Self::MAX_MEMORY_KIB)?;
        Ok(Argon2Params { memory_kib, iterations, parallelism })
    }

    /// Memory cost in KiB.
    pub fn memory_kib(&self) -> u32 {
        self.memory_kib
    }

    /// Number of passes over the memory.
    pub fn iterations(&self) -> u32 {
        self.iterations
    }

    /// Number of lanes.
    pub fn parallelism(&self) -> u32 {
        self.parallelism
    }
}

impl Default for Argon2Params {
    fn default() -> Self {
        Argon2Params::DEFAULT
    }
}

/// Errors of encrypting and decrypting containers.
#[derive(Debug, thiserror::Error)]
pub enum EncryptionError {
    /// The input does not start with [`MAGIC`].
    #[error("not a casualty encrypted file: it does not start with the bytes `CASUALTY-ENC`")]
    NotEncrypted,
    /// The container has a version that this build cannot read.
    #[error("unsupported encrypted file version {found}; this version of casualty reads version {VERSION}")]
    UnsupportedVersion {
        /// The version byte of the file.
        found: u8,
    },
    /// The input ends inside the header.
    #[error("the file is truncated: it ends inside the {HEADER_LEN}-byte header")]
    TruncatedHeader,
    /// A header field or builder setting is outside the accepted range.
    #[error("{field} is {value}, outside the accepted range {min} to {max}")]
    ParameterOutOfRange {
        /// The field, for example `Argon2 memory in KiB`.
        field: &'static str,
        /// The value found.
        value: u32,
        /// Smallest accepted value.
        min: u32,
        /// Largest accepted value.
        max: u32,
    },
    /// The header tag does not match the key derived from the password.
    #[error("wrong password, or the header is corrupted: the header failed authentication")]
    WrongPassword,
    /// A chunk's ciphertext does not match its tag at its position in the stream.
    #[error("chunk {index} failed authentication: the file is corrupted or was tampered with (a chunk modified, reordered, dropped or duplicated)")]
    ChunkAuthentication {
        /// Index of the chunk, from 0.
        index: u64,
    },
    /// A chunk record starts with a byte other than 0x00 or 0x01.
    #[error("chunk {index} starts with the invalid marker byte {marker:#04x}; expected 0x00 (more chunks follow) or 0x01 (final chunk)")]
    InvalidChunkMarker {
        /// Index of the chunk, from 0.
        index: u64,
        /// The byte found.
        marker: u8,
    },
    /// The final chunk declares more plaintext than a chunk holds.
    #[error("the final chunk {index} declares {length} bytes, more than the chunk size of {chunk_size} bytes")]
    FinalChunkTooLong {
        /// Index of the chunk, from 0.
        index: u64,
        /// The declared plaintext length.
        length: u32,
        /// The chunk size of the header.
        chunk_size: u32,
    },
    /// The input ends before the final chunk.
    #[error("the file is truncated: it ends at chunk {index} without the final chunk")]
    Truncated {
        /// Index of the chunk that is missing or incomplete, from 0.
        index: u64,
    },
    /// Bytes follow the final chunk.
    #[error("data after the final chunk: the file has extra bytes appended")]
    TrailingData,
    /// The stream has more chunks than the 32-bit chunk index can number.
    #[error("too many chunks: a file holds at most 2^32 chunks")]
    TooManyChunks,
    /// The password is empty.
    #[error("the password is empty")]
    EmptyPassword,
    /// The input file could not be opened.
    #[error("failed to open {path}")]
    OpenInput {
        /// The input path.
        path: PathBuf,
        /// Cause.
        #[source]
        source: io::Error,
    },
    /// Reading the input failed.
    #[error("failed to read the encrypted input")]
    Read(#[source] io::Error),
    /// Writing the output failed.
    #[error("failed to write the output")]
    Write(#[source] io::Error),
    /// The destination of [`decrypt_file`] already exists.
    #[error("{path} already exists; remove it or choose another output path")]
    OutputExists {
        /// The destination.
        path: PathBuf,
    },
    /// Argon2 rejected its input. This is a defect, because the parameters are checked first.
    #[error("Argon2 key derivation failed")]
    KeyDerivation(#[source] argon2::Error),
    /// The operating system's random number generator failed.
    #[error("failed to get random bytes from the operating system")]
    Random(#[source] getrandom::Error),
}

fn check_range(field: &'static str, value: u32, min: u32, max: u32) -> Result<(), EncryptionError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(EncryptionError::ParameterOutOfRange { field, value, min, max })
    }
}

fn check_chunk_size(chunk_size: u32) -> Result<(), EncryptionError> {
    check_range("chunk size in bytes", chunk_size, MIN_CHUNK_SIZE, MAX_CHUNK_SIZE)
}

/// The header fields before the tag.
struct Header {
    chunk_size: u32,
    params: Argon2Params,
    salt: [u8; SALT_LEN],
    nonce_prefix: [u8; NONCE_PREFIX_LEN],
}

impl Header {
    /// Encodes the fields (bytes 0 to 51 of the container).
    fn encode_fields(&self) -> [u8; HEADER_FIELDS_LEN] {
        let mut fields = [0u8; HEADER_FIELDS_LEN];
        fields[0..12].copy_from_slice(&MAGIC);
        fields[12] = VERSION;
        fields[13..17].copy_from_slice(&self.chunk_size.to_be_bytes());
        fields[17..21].copy_from_slice(&self.params.memory_kib.to_be_bytes());
        fields[21..25].copy_from_slice(&self.params.iterations.to_be_bytes());
        fields[25..29].copy_from_slice(&self.params.parallelism.to_be_bytes());
        fields[29..45].copy_from_slice(&self.salt);
        fields[45..52].copy_from_slice(&self.nonce_prefix);
        fields
    }

    /// Decodes and checks the fields after magic and version, before any key derivation, so a
    /// hostile header cannot make the reader allocate more than the accepted maximums.
    fn decode_fields(fields: &[u8; HEADER_FIELDS_LEN]) -> Result<Header, EncryptionError> {
        let read_u32 = |offset: usize| u32::from_be_bytes([fields[offset], fields[offset + 1], fields[offset + 2], fields[offset + 3]]);
        let chunk_size = read_u32(13);
        check_chunk_size(chunk_size)?;
        let params = Argon2Params::new(read_u32(17), read_u32(21), read_u32(25))?;
        let mut salt = [0u8; SALT_LEN];
        salt.copy_from_slice(&fields[29..45]);
        let mut nonce_prefix = [0u8; NONCE_PREFIX_LEN];
        nonce_prefix.copy_from_slice(&fields[45..52]);
        Ok(Header { chunk_size, params, salt, nonce_prefix })
    }
}

/// Derives the AES-256 key from the password with Argon2id (version 0x13, no secret, no
/// associated data).
fn derive_cipher(password: &[u8], salt: &[u8; SALT_LEN], params: Argon2Params) -> Result<Aes256Gcm, EncryptionError> {
    let argon2_params =
        argon2::Params::new(params.memory_kib, params.iterations, params.parallelism, Some(KEY_LEN)).map_err(EncryptionError::KeyDerivation)?;
    let argon2 = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, argon2_params);
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    argon2.hash_password_into(password, salt, key.as_mut()).map_err(EncryptionError::KeyDerivation)?;
    let key_bytes: &[u8; KEY_LEN] = &key;
    Ok(Aes256Gcm::new(key_bytes.into()))
}

/// Builds the GCM nonce of the header tag: the prefix, four zero bytes and 0x02.
fn header_tag_nonce(prefix: &[u8; NONCE_PREFIX_LEN]) -> aes_gcm::aead::Nonce<Aes256Gcm> {
    let mut nonce = [0u8; 12];
    nonce[..NONCE_PREFIX_LEN].copy_from_slice(prefix);
    nonce[11] = HEADER_TAG_FLAG;
    nonce.into()
}

/// Computes the header tag: the GCM tag of an empty plaintext with the header fields as
/// associated data. It lets a reader tell a wrong password from a damaged chunk.
fn header_tag(cipher: &Aes256Gcm, header: &Header, fields: &[u8; HEADER_FIELDS_LEN]) -> [u8; TAG_LEN] {
    let nonce = header_tag_nonce(&header.nonce_prefix);
    // aes-gcm 0.11 fails only for a message over 2^36 - 32 bytes or associated data over 2^61 - 1.
    let sealed = cipher.encrypt(&nonce, Payload { msg: &[], aad: fields }).expect("AES-GCM seals an empty message");
    let mut tag = [0u8; TAG_LEN];
    tag.copy_from_slice(&sealed);
    tag
}

/// Settings of a new [`EncryptWriter`]: the Argon2 parameters and the chunk size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncryptWriterBuilder {
    params: Argon2Params,
    chunk_size: u32,
}

impl Default for EncryptWriterBuilder {
    fn default() -> Self {
        EncryptWriterBuilder { params: Argon2Params::DEFAULT, chunk_size: DEFAULT_CHUNK_SIZE }
    }
}

impl EncryptWriterBuilder {
    /// Returns the defaults: [`Argon2Params::DEFAULT`] and [`DEFAULT_CHUNK_SIZE`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the Argon2id parameters. Files for transport should keep the default, and tests use
    /// cheap parameters to run fast.
    #[must_use]
    pub fn argon2_params(mut self, params: Argon2Params) -> Self {
        self.params = params;
        self
    }

    /// Sets the plaintext bytes per chunk, checked by [`EncryptWriterBuilder::build`].
    #[must_use]
    pub fn chunk_size(mut self, bytes: u32) -> Self {
        self.chunk_size = bytes;
        self
    }

    /// Derives the key, writes the header to `inner` and returns the writer.
    ///
    /// Argon2 runs here, so this takes a fraction of a second with the default parameters.
    ///
    /// # Errors
    /// [`EncryptionError::EmptyPassword`], [`EncryptionError::ParameterOutOfRange`] for a chunk
    /// size outside [`MIN_CHUNK_SIZE`] to [`MAX_CHUNK_SIZE`], [`EncryptionError::Random`], or
    /// [`EncryptionError::Write`] when writing the header fails.
    pub fn build<W: Write>(&self, mut inner: W, password: &[u8]) -> Result<EncryptWriter<W>, EncryptionError> {
        if password.is_empty() {
            return Err(EncryptionError::EmptyPassword);
        }
        check_chunk_size(self.chunk_size)?;
        let params = Argon2Params::new(self.params.memory_kib, self.params.iterations, self.params.parallelism)?;

        let mut random = [0u8; SALT_LEN + NONCE_PREFIX_LEN];
        getrandom::fill(&mut random).map_err(EncryptionError::Random)?;
        let mut salt = [0u8; SALT_LEN];
        salt.copy_from_slice(&random[..SALT_LEN]);
        let mut nonce_prefix = [0u8; NONCE_PREFIX_LEN];
        nonce_prefix.copy_from_slice(&random[SALT_LEN..]);
        let header = Header { chunk_size: self.chunk_size, params, salt, nonce_prefix };

        let cipher = derive_cipher(password, &header.salt, params)?;
        let fields = header.encode_fields();
        let tag = header_tag(&cipher, &header, &fields);
        let mut header_bytes = [0u8; HEADER_LEN];
        header_bytes[..HEADER_FIELDS_LEN].copy_from_slice(&fields);
        header_bytes[HEADER_FIELDS_LEN..].copy_from_slice(&tag);
        inner.write_all(&header_bytes).map_err(EncryptionError::Write)?;

        let chunk_size = self.chunk_size as usize;
        Ok(EncryptWriter {
            inner,
            encryptor: Some(EncryptorBE32::from_aead(cipher, &nonce_prefix.into())),
            header: header_bytes,
            buffer: Vec::with_capacity(chunk_size + TAG_LEN),
            chunk_size,
            failed: false,
        })
    }
}

/// A writer that encrypts everything written to it into a container on `inner`.
///
/// The header is written when the writer is built. A chunk is written once it is full and more
/// plaintext follows, so the last chunk is always held back for the final record.
/// [`EncryptWriter::finish_into_inner`] or [`Sink::finish`] writes the final chunk. A writer
/// dropped without either leaves a container without a final chunk, which every reader rejects
/// as truncated. Memory use is one chunk plus its tag, whatever the size of the output.
pub struct EncryptWriter<W: Write> {
    inner: W,
    /// `None` once the final chunk is written.
    encryptor: Option<EncryptorBE32<Aes256Gcm>>,
    /// The whole header, the associated data of every chunk.
    header: [u8; HEADER_LEN],
    /// Plaintext of the current chunk, replaced by its ciphertext and tag while it is written.
    buffer: Vec<u8>,
    chunk_size: usize,
    /// Set when writing to `inner` failed, because the stream position is then unknown.
    failed: bool,
}

impl<W: Write> fmt::Debug for EncryptWriter<W> {
    /// Shows the state without the cipher, which contains the key schedule.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("EncryptWriter")
            .field("chunk_size", &self.chunk_size)
            .field("buffered", &self.buffer.len())
            .field("finished", &self.encryptor.is_none())
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

impl<W: Write> EncryptWriter<W> {
    /// Builds a writer with the default Argon2 parameters and chunk size.
    ///
    /// # Errors
    /// As [`EncryptWriterBuilder::build`].
    pub fn new(inner: W, password: &[u8]) -> Result<EncryptWriter<W>, EncryptionError> {
        EncryptWriterBuilder::new().build(inner, password)
    }

    /// Returns a builder, to choose the Argon2 parameters or the chunk size.
    pub fn builder() -> EncryptWriterBuilder {
        EncryptWriterBuilder::new()
    }

    /// Writes the final chunk, flushes `inner` and returns it without closing it.
    ///
    /// # Errors
    /// The first write or flush error of `inner`, or an error if an earlier write failed.
    pub fn finish_into_inner(mut self) -> io::Result<W> {
        self.check_usable()?;
        let Some(encryptor) = self.encryptor.take() else {
            return Err(io::Error::other("the encrypted stream is already finished"));
        };
        // The buffer never contains more than `chunk_size` bytes, which is at most 1 MiB.
        let length = self.buffer.len() as u32;
        encryptor.encrypt_last_in_place(&self.header, &mut self.buffer).map_err(|_| io::Error::other(EncryptionError::TooManyChunks))?;
        self.inner.write_all(&[MARKER_FINAL])?;
        self.inner.write_all(&length.to_be_bytes())?;
        self.inner.write_all(&self.buffer)?;
        self.inner.flush()?;
        Ok(self.inner)
    }

    fn check_usable(&self) -> io::Result<()> {
        if self.failed {
            return Err(io::Error::other("an earlier write to the encrypted output failed, so the stream cannot continue"));
        }
        Ok(())
    }

    /// Encrypts the full buffer as a chunk that is not the last and writes its record.
    fn write_intermediate_chunk(&mut self) -> io::Result<()> {
        let Some(encryptor) = self.encryptor.as_mut() else {
            return Err(io::Error::other("the encrypted stream is already finished"));
        };
        // The encryptor rejects a chunk index past 2^32 - 2, so the final chunk always has one.
        encryptor.encrypt_next_in_place(&self.header, &mut self.buffer).map_err(|_| io::Error::other(EncryptionError::TooManyChunks))?;
        let result = self.inner.write_all(&[MARKER_INTERMEDIATE]).and_then(|()| self.inner.write_all(&self.buffer));
        self.buffer.clear();
        if result.is_err() {
            self.failed = true;
        }
        result
    }
}

impl<W: Write> Write for EncryptWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if data.is_empty() {
            return Ok(0);
        }
        self.check_usable()?;
        // A full chunk is written only now that more plaintext follows it.
        if self.buffer.len() == self.chunk_size {
            self.write_intermediate_chunk()?;
        }
        let taken = data.len().min(self.chunk_size - self.buffer.len());
        self.buffer.extend_from_slice(&data[..taken]);
        Ok(taken)
    }

    /// Flushes `inner`. Plaintext of an unfinished chunk stays buffered, because writing it now
    /// would end the chunk early.
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<W: Sink> Sink for EncryptWriter<W> {
    /// Writes the final chunk, then finishes the inner sink.
    fn finish(self: Box<Self>) -> io::Result<()> {
        let inner = (*self).finish_into_inner()?;
        Box::new(inner).finish()
    }
}

/// Reads until `buffer` is full or the input ends, and returns the number of bytes read.
fn read_up_to<R: Read>(input: &mut R, buffer: &mut [u8]) -> Result<usize, EncryptionError> {
    let mut filled = 0;
    while filled < buffer.len() {
        match input.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(EncryptionError::Read(error)),
        }
    }
    Ok(filled)
}

/// Reads exactly `buffer.len()` bytes of chunk `index`, or fails with
/// [`EncryptionError::Truncated`].
fn read_chunk_bytes<R: Read>(input: &mut R, buffer: &mut [u8], index: u64) -> Result<(), EncryptionError> {
    if read_up_to(input, buffer)? < buffer.len() {
        return Err(EncryptionError::Truncated { index });
    }
    Ok(())
}

/// Reads and authenticates the header, and returns the chunk decryptor, the header bytes and the
/// chunk size.
fn open_header<R: Read>(input: &mut R, password: &[u8]) -> Result<(DecryptorBE32<Aes256Gcm>, [u8; HEADER_LEN], usize), EncryptionError> {
    let mut header_bytes = [0u8; HEADER_LEN];
    let magic_read = read_up_to(input, &mut header_bytes[..MAGIC.len()])?;
    if magic_read < MAGIC.len() || header_bytes[..MAGIC.len()] != MAGIC {
        return Err(EncryptionError::NotEncrypted);
    }
    if read_up_to(input, &mut header_bytes[MAGIC.len()..=MAGIC.len()])? == 0 {
        return Err(EncryptionError::TruncatedHeader);
    }
    let version = header_bytes[MAGIC.len()];
    if version != VERSION {
        return Err(EncryptionError::UnsupportedVersion { found: version });
    }
    if read_up_to(input, &mut header_bytes[MAGIC.len() + 1..])? < HEADER_LEN - MAGIC.len() - 1 {
        return Err(EncryptionError::TruncatedHeader);
    }

    let mut fields = [0u8; HEADER_FIELDS_LEN];
    fields.copy_from_slice(&header_bytes[..HEADER_FIELDS_LEN]);
    let header = Header::decode_fields(&fields)?;
    let cipher = derive_cipher(password, &header.salt, header.params)?;
    let nonce = header_tag_nonce(&header.nonce_prefix);
    let tag = &header_bytes[HEADER_FIELDS_LEN..];
    // Decrypting the tag of an empty plaintext checks it in constant time.
    cipher.decrypt(&nonce, Payload { msg: tag, aad: &fields }).map_err(|_| EncryptionError::WrongPassword)?;

    let decryptor = DecryptorBE32::from_aead(cipher, &header.nonce_prefix.into());
    Ok((decryptor, header_bytes, header.chunk_size as usize))
}

/// Decrypts a container from `input` to `output` and returns the number of plaintext bytes.
///
/// Each chunk is written to `output` as soon as it is authenticated, so on an error `output` may
/// already contain the plaintext of the chunks before the failing one. Callers must discard it;
/// [`decrypt_file`] does. Memory use is one chunk, at most [`MAX_CHUNK_SIZE`] plus the Argon2
/// memory, at most [`Argon2Params::MAX_MEMORY_KIB`].
///
/// # Errors
/// Every [`EncryptionError`] variant about the container's content: not a container, unsupported
/// version, parameters out of range, wrong password, a chunk that fails authentication, a
/// truncated file, data after the final chunk. [`EncryptionError::Read`] and
/// [`EncryptionError::Write`] for I/O failures.
pub fn decrypt<R: Read, W: Write>(mut input: R, mut output: W, password: &[u8]) -> Result<u64, EncryptionError> {
    if password.is_empty() {
        return Err(EncryptionError::EmptyPassword);
    }
    let (mut decryptor, header, chunk_size) = open_header(&mut input, password)?;
    let mut buffer: Vec<u8> = Vec::with_capacity(chunk_size + TAG_LEN);
    let mut written: u64 = 0;
    let mut index: u64 = 0;
    loop {
        let mut marker = [0u8; 1];
        if read_up_to(&mut input, &mut marker)? == 0 {
            return Err(EncryptionError::Truncated { index });
        }
        match marker[0] {
            MARKER_INTERMEDIATE => {
                // The decryptor rejects this index too, but as a failed tag, which would be
                // misleading.
                if index >= u64::from(u32::MAX) {
                    return Err(EncryptionError::TooManyChunks);
                }
                buffer.resize(chunk_size + TAG_LEN, 0);
                read_chunk_bytes(&mut input, &mut buffer, index)?;
                decryptor.decrypt_next_in_place(&header, &mut buffer).map_err(|_| EncryptionError::ChunkAuthentication { index })?;
                output.write_all(&buffer).map_err(EncryptionError::Write)?;
                written += buffer.len() as u64;
            }
            MARKER_FINAL => {
                let mut length_bytes = [0u8; 4];
                read_chunk_bytes(&mut input, &mut length_bytes, index)?;
                let length = u32::from_be_bytes(length_bytes);
                if length as usize > chunk_size {
                    return Err(EncryptionError::FinalChunkTooLong { index, length, chunk_size: chunk_size as u32 });
                }
                buffer.resize(length as usize + TAG_LEN, 0);
                read_chunk_bytes(&mut input, &mut buffer, index)?;
                decryptor.decrypt_last_in_place(&header, &mut buffer).map_err(|_| EncryptionError::ChunkAuthentication { index })?;
                if read_up_to(&mut input, &mut marker)? != 0 {
                    return Err(EncryptionError::TrailingData);
                }
                output.write_all(&buffer).map_err(EncryptionError::Write)?;
                output.flush().map_err(EncryptionError::Write)?;
                return Ok(written + buffer.len() as u64);
            }
            other => return Err(EncryptionError::InvalidChunkMarker { index, marker: other }),
        }
        index += 1;
    }
}

/// Decrypts the file `input` into the new file `output` and returns the number of plaintext
/// bytes.
///
/// The plaintext goes to a temporary file beside `output`, which is synced and renamed to `output`
/// only after the final chunk is authenticated and no data follows it. On any error the temporary
/// file is removed, so no plaintext is left behind. An existing `output` is never replaced. The
/// file is readable by its owner only (mode 0600 on Unix), as the decrypted data was meant to be
/// protected.
///
/// # Errors
/// [`EncryptionError::OutputExists`] when `output` exists, before or after decrypting;
/// [`EncryptionError::OpenInput`]; and the errors of [`decrypt`].
pub fn decrypt_file(input: &Path, output: &Path, password: &[u8]) -> Result<u64, EncryptionError> {
    if std::fs::symlink_metadata(output).is_ok() {
        return Err(EncryptionError::OutputExists { path: output.to_path_buf() });
    }
    let file = std::fs::File::open(input).map_err(|source| EncryptionError::OpenInput { path: input.to_path_buf(), source })?;

    let directory = match output.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = output.file_name().map_or_else(|| "decrypted".into(), |name| name.to_string_lossy().into_owned());
    let temporary =
        tempfile::Builder::new().prefix(&format!(".{file_name}.")).suffix(".partial").tempfile_in(&directory).map_err(EncryptionError::Write)?;

    let mut writer = BufWriter::with_capacity(1 << 20, temporary.as_file());
    let bytes = decrypt(BufReader::with_capacity(1 << 16, file), &mut writer, password)?;
    writer.flush().map_err(EncryptionError::Write)?;
    drop(writer);
    temporary.as_file().sync_all().map_err(EncryptionError::Write)?;
    // persist_noclobber fails instead of replacing a file created at `output` meanwhile.
    temporary.persist_noclobber(output).map_err(|error| {
        if error.error.kind() == io::ErrorKind::AlreadyExists {
            EncryptionError::OutputExists { path: output.to_path_buf() }
        } else {
            EncryptionError::Write(error.error)
        }
    })?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const PASSWORD: &[u8] = b"correct horse battery";
    const CHUNK: usize = DEFAULT_CHUNK_SIZE as usize;

    /// Returns a builder with the cheapest parameters Argon2 accepts, so each derivation takes
    /// microseconds.
    fn cheap() -> EncryptWriterBuilder {
        EncryptWriter::<Vec<u8>>::builder().argon2_params(Argon2Params::new(8, 1, 1).expect("valid parameters"))
    }

    /// Deterministic non-repeating bytes, so swapped or dropped chunks change the plaintext.
    fn sample(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i.wrapping_mul(31) ^ (i >> 8)) as u8).collect()
    }

    fn encrypt_with(builder: EncryptWriterBuilder, plaintext: &[u8]) -> Vec<u8> {
        let mut writer = builder.build(Vec::new(), PASSWORD).expect("the writer is built");
        writer.write_all(plaintext).expect("writing to a vector succeeds");
        writer.finish_into_inner().expect("finishing succeeds")
    }

    fn encrypt(plaintext: &[u8]) -> Vec<u8> {
        encrypt_with(cheap(), plaintext)
    }

    fn decrypt_bytes(container: &[u8], password: &[u8]) -> Result<Vec<u8>, EncryptionError> {
        let mut plaintext = Vec::new();
        let bytes = decrypt(container, &mut plaintext, password)?;
        assert_eq!(bytes, plaintext.len() as u64, "the returned byte count matches the output");
        Ok(plaintext)
    }

    /// Byte range of chunk record `index` in a container with full chunks of `chunk` bytes; only
    /// for records that are not final.
    fn record(index: usize, chunk: usize) -> std::ops::Range<usize> {
        let start = HEADER_LEN + index * (1 + chunk + TAG_LEN);
        start..start + 1 + chunk + TAG_LEN
    }

    #[test]
    fn round_trip_at_chunk_edges() {
        for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 3 * CHUNK + 17] {
            let plaintext = sample(len);
            let container = encrypt(&plaintext);
            let decrypted = decrypt_bytes(&container, PASSWORD).unwrap_or_else(|e| panic!("{len} bytes: {e}"));
            assert!(decrypted == plaintext, "{len} bytes do not round-trip");
        }
    }

    #[test]
    fn container_size_follows_layout() {
        for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 17] {
            // Every chunk but the last is full, and the last contains 1 to CHUNK bytes (0 only for
            // empty plaintext).
            let intermediate = if len == 0 { 0 } else { (len - 1) / CHUNK };
            let final_len = len - intermediate * CHUNK;
            let expected = HEADER_LEN + intermediate * (1 + CHUNK + TAG_LEN) + 1 + 4 + final_len + TAG_LEN;
            assert_eq!(encrypt(&sample(len)).len(), expected, "container size for {len} bytes");
        }
    }

    #[test]
    fn header_fields_are_big_endian() {
        let params = Argon2Params::new(64, 2, 3).expect("valid parameters");
        let container = encrypt_with(EncryptWriterBuilder::new().argon2_params(params).chunk_size(4096), b"x");
        assert_eq!(&container[0..12], b"CASUALTY-ENC");
        assert_eq!(container[12], 1, "version");
        assert_eq!(&container[13..17], &[0, 0, 0x10, 0], "chunk size 4096");
        assert_eq!(&container[17..21], &[0, 0, 0, 64], "memory in KiB");
        assert_eq!(&container[21..25], &[0, 0, 0, 2], "iterations");
        assert_eq!(&container[25..29], &[0, 0, 0, 3], "parallelism");
        assert_eq!(container[HEADER_LEN], MARKER_FINAL, "one final chunk");
        assert_eq!(&container[HEADER_LEN + 1..HEADER_LEN + 5], &[0, 0, 0, 1], "final plaintext length");
    }

    #[test]
    fn default_parameters_round_trip() {
        let plaintext = sample(1000);
        let mut writer = EncryptWriter::new(Vec::new(), PASSWORD).expect("the writer is built");
        writer.write_all(&plaintext).expect("writing succeeds");
        let container = writer.finish_into_inner().expect("finishing succeeds");
        assert_eq!(&container[17..29], &[0, 1, 0, 0, 0, 0, 0, 3, 0, 0, 0, 4], "RFC 9106 second recommended option");
        assert!(decrypt_bytes(&container, PASSWORD).expect("decrypts") == plaintext);
    }

    #[test]
    fn encryptions_of_same_data_differ() {
        let plaintext = sample(CHUNK + 5);
        let first = encrypt(&plaintext);
        let second = encrypt(&plaintext);
        assert_ne!(first[29..45], second[29..45], "salts differ");
        assert_ne!(first[45..52], second[45..52], "nonce prefixes differ");
        assert_ne!(first[HEADER_LEN..], second[HEADER_LEN..], "ciphertexts differ");
        assert!(decrypt_bytes(&first, PASSWORD).expect("first decrypts") == plaintext);
        assert!(decrypt_bytes(&second, PASSWORD).expect("second decrypts") == plaintext);
    }

    #[test]
    fn small_writes_match_one_write() {
        let plaintext = sample(3 * 1024 + 100);
        let builder = cheap().chunk_size(1024);
        let mut writer = builder.build(Vec::new(), PASSWORD).expect("the writer is built");
        for piece in plaintext.chunks(7) {
            writer.write_all(piece).expect("writing succeeds");
        }
        writer.flush().expect("flushing succeeds");
        let container = writer.finish_into_inner().expect("finishing succeeds");
        assert!(decrypt_bytes(&container, PASSWORD).expect("decrypts") == plaintext);
    }

    #[test]
    fn sink_finish_writes_final_chunk() {
        let directory = tempfile::tempdir().expect("a temporary directory");
        let path = directory.path().join("out.enc");
        let file = std::fs::File::create(&path).expect("the file is created");
        let inner: Box<dyn Sink> = Box::new(BufWriter::new(file));
        let mut sink: Box<dyn Sink> = Box::new(cheap().build(inner, PASSWORD).expect("the writer is built"));
        sink.write_all(b"through the Sink trait").expect("writing succeeds");
        sink.finish().expect("finishing succeeds");
        let container = std::fs::read(&path).expect("the file is readable");
        assert_eq!(decrypt_bytes(&container, PASSWORD).expect("decrypts"), b"through the Sink trait");
    }

    #[test]
    fn dropped_writer_reads_as_truncated() {
        let mut container = Vec::new();
        {
            let mut writer = cheap().build(&mut container, PASSWORD).expect("the writer is built");
            writer.write_all(&sample(CHUNK + 1)).expect("writing succeeds");
        }
        assert!(matches!(decrypt_bytes(&container, PASSWORD), Err(EncryptionError::Truncated { index: 1 })));
    }

    #[test]
    fn wrong_password_rejected() {
        let container = encrypt(&sample(100));
        let result = decrypt_bytes(&container, b"another password");
        assert!(matches!(result, Err(EncryptionError::WrongPassword)), "{result:?}");
    }

    #[test]
    fn truncation_rejected() {
        let container = encrypt(&sample(3 * CHUNK + 17));
        let cases = [
            ("empty file", 0),
            ("inside the magic", 5),
            ("inside the header", HEADER_LEN - 1),
            ("after the header", HEADER_LEN),
            ("at a chunk boundary", record(1, CHUNK).end),
            ("inside a chunk", record(1, CHUNK).end - 10),
            ("inside the final chunk", container.len() - 1),
        ];
        for (case, len) in cases {
            let result = decrypt_bytes(&container[..len], PASSWORD);
            let expected = match case {
                "empty file" | "inside the magic" => matches!(result, Err(EncryptionError::NotEncrypted)),
                "inside the header" => matches!(result, Err(EncryptionError::TruncatedHeader)),
                "after the header" => matches!(result, Err(EncryptionError::Truncated { index: 0 })),
                "at a chunk boundary" => matches!(result, Err(EncryptionError::Truncated { index: 2 })),
                "inside a chunk" => matches!(result, Err(EncryptionError::Truncated { index: 1 })),
                _ => matches!(result, Err(EncryptionError::Truncated { index: 3 })),
            };
            assert!(expected, "truncated {case}: {result:?}");
        }
    }

    #[test]
    fn empty_plaintext_without_final_chunk_rejected() {
        let container = encrypt(b"");
        let result = decrypt_bytes(&container[..HEADER_LEN], PASSWORD);
        assert!(matches!(result, Err(EncryptionError::Truncated { index: 0 })), "{result:?}");
    }

    #[test]
    fn reordered_dropped_duplicated_chunks_rejected() {
        let container = encrypt(&sample(3 * CHUNK + 17));
        let (first, second) = (record(0, CHUNK), record(1, CHUNK));

        let mut swapped = container[..HEADER_LEN].to_vec();
        swapped.extend_from_slice(&container[second.clone()]);
        swapped.extend_from_slice(&container[first.clone()]);
        swapped.extend_from_slice(&container[second.end..]);
        let result = decrypt_bytes(&swapped, PASSWORD);
        assert!(matches!(result, Err(EncryptionError::ChunkAuthentication { index: 0 })), "swapped: {result:?}");

        let mut dropped = container[..second.start].to_vec();
        dropped.extend_from_slice(&container[second.end..]);
        let result = decrypt_bytes(&dropped, PASSWORD);
        assert!(matches!(result, Err(EncryptionError::ChunkAuthentication { index: 1 })), "dropped: {result:?}");

        let mut duplicated = container[..second.end].to_vec();
        duplicated.extend_from_slice(&container[second.clone()]);
        duplicated.extend_from_slice(&container[second.end..]);
        let result = decrypt_bytes(&duplicated, PASSWORD);
        assert!(matches!(result, Err(EncryptionError::ChunkAuthentication { index: 2 })), "duplicated: {result:?}");
    }

    #[test]
    fn final_chunk_moved_or_replaced_rejected() {
        // Two files under one password: the final chunk of one cannot end the other.
        let container = encrypt(&sample(CHUNK + 10));
        let other = encrypt(&sample(CHUNK + 10));
        let final_start = record(0, CHUNK).end;
        let mut spliced = container[..final_start].to_vec();
        spliced.extend_from_slice(&other[final_start..]);
        let result = decrypt_bytes(&spliced, PASSWORD);
        assert!(matches!(result, Err(EncryptionError::ChunkAuthentication { index: 1 })), "spliced: {result:?}");

        // The final chunk cannot be cut off and the intermediate one relabelled as final.
        let mut relabelled = container[..final_start].to_vec();
        relabelled[HEADER_LEN] = MARKER_FINAL;
        let result = decrypt_bytes(&relabelled, PASSWORD);
        assert!(result.is_err(), "relabelled: {result:?}");
    }

    #[test]
    fn appended_data_rejected() {
        for len in [0, 10, CHUNK, CHUNK + 10] {
            let mut container = encrypt(&sample(len));
            container.push(0);
            let result = decrypt_bytes(&container, PASSWORD);
            assert!(matches!(result, Err(EncryptionError::TrailingData)), "{len} bytes: {result:?}");
        }
    }

    #[test]
    fn header_tampering_rejected() {
        let container = encrypt(&sample(2 * CHUNK));
        for position in 0..HEADER_LEN {
            for bit in [0x01u8, 0x80] {
                let mut tampered = container.clone();
                tampered[position] ^= bit;
                let result = decrypt_bytes(&tampered, PASSWORD);
                let expected = match position {
                    0..=11 => matches!(result, Err(EncryptionError::NotEncrypted)),
                    12 => matches!(result, Err(EncryptionError::UnsupportedVersion { .. })),
                    13..=28 => matches!(result, Err(EncryptionError::ParameterOutOfRange { .. } | EncryptionError::WrongPassword)),
                    _ => matches!(result, Err(EncryptionError::WrongPassword)),
                };
                assert!(expected, "bit {bit:#x} of header byte {position}: {result:?}");
            }
        }
    }

    #[test]
    fn chunk_bit_flips_rejected() {
        let container = encrypt(&sample(CHUNK + 10));
        let final_start = record(0, CHUNK).end;
        let cases = [
            ("intermediate ciphertext", HEADER_LEN + 1, 0),
            ("intermediate tag", final_start - 1, 0),
            ("final ciphertext", final_start + 5, 1),
            ("final tag", container.len() - 1, 1),
        ];
        for (case, position, index) in cases {
            let mut tampered = container.clone();
            tampered[position] ^= 0x04;
            let result = decrypt_bytes(&tampered, PASSWORD);
            assert!(
                matches!(result, Err(EncryptionError::ChunkAuthentication { index: i }) if i == index),
                "{case}: {result:?}"
            );
        }

        let mut bad_marker = container.clone();
        bad_marker[HEADER_LEN] = 0x02;
        let result = decrypt_bytes(&bad_marker, PASSWORD);
        assert!(matches!(result, Err(EncryptionError::InvalidChunkMarker { index: 0, marker: 2 })), "{result:?}");

        let mut long_final = container.clone();
        long_final[final_start + 1] = 0xff;
        let result = decrypt_bytes(&long_final, PASSWORD);
        assert!(matches!(result, Err(EncryptionError::FinalChunkTooLong { index: 1, .. })), "{result:?}");
    }

    #[test]
    fn hostile_parameters_rejected_before_derivation() {
        let container = encrypt(b"payload");
        // 100 GiB of memory, which must be rejected without being allocated.
        let cases: [(usize, u32); 5] =
            [(17, 100 * 1024 * 1024), (21, 0), (21, 1000), (25, 0), (25, 1 << 20)];
        for (offset, value) in cases {
            let mut tampered = container.clone();
            tampered[offset..offset + 4].copy_from_slice(&value.to_be_bytes());
            let result = decrypt_bytes(&tampered, PASSWORD);
            assert!(matches!(result, Err(EncryptionError::ParameterOutOfRange { .. })), "value {value} at byte {offset}: {result:?}");
        }
        for chunk_size in [0, MIN_CHUNK_SIZE - 1, MAX_CHUNK_SIZE + 1, u32::MAX] {
            let mut tampered = container.clone();
            tampered[13..17].copy_from_slice(&chunk_size.to_be_bytes());
            let result = decrypt_bytes(&tampered, PASSWORD);
            assert!(
                matches!(result, Err(EncryptionError::ParameterOutOfRange { field: "chunk size in bytes", .. })),
                "chunk size {chunk_size}: {result:?}"
            );
        }
    }

    #[test]
    fn unsupported_version_named() {
        let mut container = encrypt(b"payload");
        container[12] = 2;
        let error = decrypt_bytes(&container, PASSWORD).expect_err("version 2 is rejected");
        assert_eq!(error.to_string(), "unsupported encrypted file version 2; this version of casualty reads version 1");
    }

    #[test]
    fn builder_rejects_invalid_settings() {
        assert!(matches!(Argon2Params::new(8, 1, 2), Err(EncryptionError::ParameterOutOfRange { field: "Argon2 memory in KiB", .. })));
        assert!(matches!(Argon2Params::new(Argon2Params::MAX_MEMORY_KIB + 1, 1, 1), Err(EncryptionError::ParameterOutOfRange { .. })));
        assert!(matches!(Argon2Params::new(64, 0, 1), Err(EncryptionError::ParameterOutOfRange { .. })));
        assert!(matches!(Argon2Params::new(64, 1, 0), Err(EncryptionError::ParameterOutOfRange { .. })));
        assert!(Argon2Params::new(Argon2Params::DEFAULT.memory_kib, 3, 4).is_ok(), "the default is in range");
        for chunk_size in [MIN_CHUNK_SIZE - 1, MAX_CHUNK_SIZE + 1] {
            let result = cheap().chunk_size(chunk_size).build(Vec::new(), PASSWORD);
            assert!(matches!(result, Err(EncryptionError::ParameterOutOfRange { .. })), "chunk size {chunk_size}");
        }
        assert!(matches!(cheap().build(Vec::new(), b""), Err(EncryptionError::EmptyPassword)));
    }

    #[test]
    fn decrypt_file_publishes_only_authenticated_plaintext() {
        let directory = tempfile::tempdir().expect("a temporary directory");
        let input = directory.path().join("data.enc");
        let output = directory.path().join("data");
        let plaintext = sample(2 * CHUNK + 3);
        let container = encrypt(&plaintext);

        // A tampered final chunk fails after two chunks were already decrypted.
        let mut tampered = container.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        std::fs::write(&input, &tampered).expect("the input is written");
        let result = decrypt_file(&input, &output, PASSWORD);
        assert!(matches!(result, Err(EncryptionError::ChunkAuthentication { index: 2 })), "{result:?}");
        let names: Vec<_> = std::fs::read_dir(directory.path()).expect("listable").map(|e| e.expect("entry").file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("data.enc")], "no output and no temporary file remain");

        let result = decrypt_file(&input, &output, b"wrong password");
        assert!(matches!(result, Err(EncryptionError::WrongPassword)), "{result:?}");
        assert!(!output.exists(), "a wrong password creates no output");

        std::fs::write(&input, &container).expect("the input is written");
        let bytes = decrypt_file(&input, &output, PASSWORD).expect("decrypts");
        assert_eq!(bytes, plaintext.len() as u64);
        assert!(std::fs::read(&output).expect("the output exists") == plaintext);

        let result = decrypt_file(&input, &output, PASSWORD);
        assert!(matches!(result, Err(EncryptionError::OutputExists { .. })), "{result:?}");
        assert!(std::fs::read(&output).expect("the output still exists") == plaintext, "the existing output is untouched");

        let missing = directory.path().join("missing.enc");
        let result = decrypt_file(&missing, &directory.path().join("other"), PASSWORD);
        assert!(matches!(result, Err(EncryptionError::OpenInput { .. })), "{result:?}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn round_trip_any_data_and_write_sizes(
            plaintext in proptest::collection::vec(any::<u8>(), 0..6000),
            piece in 1usize..3000,
        ) {
            let mut writer = cheap().chunk_size(1024).build(Vec::new(), PASSWORD).expect("the writer is built");
            for part in plaintext.chunks(piece) {
                writer.write_all(part).expect("writing succeeds");
            }
            let container = writer.finish_into_inner().expect("finishing succeeds");
            prop_assert_eq!(decrypt_bytes(&container, PASSWORD).expect("decrypts"), plaintext);
        }

        #[test]
        fn any_changed_byte_rejected(position in 0usize..10_000, flip in 1u8..=255) {
            let container = encrypt_with(cheap().chunk_size(1024), &sample(4000));
            let mut tampered = container.clone();
            let position = position % tampered.len();
            tampered[position] ^= flip;
            prop_assert!(decrypt_bytes(&tampered, PASSWORD).is_err(), "byte {} changed by {:#x} was accepted", position, flip);
        }

        #[test]
        fn arbitrary_bytes_after_magic_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut input = MAGIC.to_vec();
            input.push(VERSION);
            input.extend_from_slice(&tail);
            prop_assert!(decrypt_bytes(&input, PASSWORD).is_err());
        }
    }
}
