//! Destinations of output bytes that must be closed explicitly.
//!
//! A compressed, encrypted or XLSX output ends with bytes that only a final call can write (the
//! gzip trailer, the authenticated last chunk, the workbook's ZIP directory). Dropping such a
//! writer would lose those bytes or hide their error, so every destination is a [`Sink`] and the
//! driver calls [`Sink::finish`] once, after the last byte.

use std::io::{self, Write};

/// A byte destination that is closed by [`Sink::finish`].
pub trait Sink: Write + Send {
    /// Writes whatever must follow the last byte, flushes, and closes the destination.
    ///
    /// # Errors
    /// The first write or flush error of the destination.
    fn finish(self: Box<Self>) -> io::Result<()>;
}

impl<W: Write + Send> Sink for io::BufWriter<W> {
    fn finish(mut self: Box<Self>) -> io::Result<()> {
        self.flush()
    }
}

impl Sink for Vec<u8> {
    fn finish(self: Box<Self>) -> io::Result<()> {
        Ok(())
    }
}

/// A borrowed writer is flushed but not closed, because its owner closes it.
impl<W: Write + Send + ?Sized> Sink for &mut W {
    fn finish(self: Box<Self>) -> io::Result<()> {
        (*self).flush()
    }
}

impl<S: Sink + ?Sized> Sink for Box<S> {
    fn finish(self: Box<Self>) -> io::Result<()> {
        (*self).finish()
    }
}
