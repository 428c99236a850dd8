//! Reading and writing NumPy `.npy` files (format versions 1.0, 2.0 and 3.0).
//!
//! Input files are treated as hostile: every header value is validated, and
//! nothing is allocated from a header value until the shape, the element size
//! and the number of data bytes actually present have been checked against
//! each other. Output is written the way `np.save` writes it: format 1.0
//! (2.0 only when the header does not fit), little-endian, C order, with the
//! data starting at a multiple of 64 bytes.

use std::ffi::OsString;
use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

const MAGIC: &[u8; 6] = b"\x93NUMPY";
/// numpy aligns the start of the data to this many bytes.
const ARRAY_ALIGN: usize = 64;
/// numpy pads the header so the leading dimension can grow to this many
/// digits in place; copied so our output matches `np.save` byte for byte.
const GROWTH_AXIS_MAX_DIGITS: usize = 21;
/// Bound on tuple/list nesting in a header, so hostile input cannot exhaust
/// the stack. numpy's own (structured) descrs nest only a few levels deep.
const MAX_NESTING: usize = 32;
const SUPPORTED: &str = "float16, float32, float64, int32 or int64";

/// Element type stored in a .npy file that wgpool understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NpyType {
    /// IEEE 754 half precision (`<f2`).
    F16,
    /// IEEE 754 single precision (`<f4`).
    F32,
    /// IEEE 754 double precision (`<f8`).
    F64,
    /// 32-bit signed integer (`<i4`).
    I32,
    /// 64-bit signed integer (`<i8`).
    I64,
}

impl NpyType {
    /// The numpy name of the type, e.g. `"float32"`.
    pub fn name(&self) -> &'static str {
        match self {
            NpyType::F16 => "float16",
            NpyType::F32 => "float32",
            NpyType::F64 => "float64",
            NpyType::I32 => "int32",
            NpyType::I64 => "int64",
        }
    }

    /// Size of one element in bytes.
    pub fn item_size(&self) -> usize {
        match self {
            NpyType::F16 => 2,
            NpyType::F32 | NpyType::I32 => 4,
            NpyType::F64 | NpyType::I64 => 8,
        }
    }

    /// The little-endian numpy `descr` string, e.g. `"<f4"`.
    fn descr(self) -> &'static str {
        match self {
            NpyType::F16 => "<f2",
            NpyType::F32 => "<f4",
            NpyType::F64 => "<f8",
            NpyType::I32 => "<i4",
            NpyType::I64 => "<i8",
        }
    }
}

/// Array data, converted to native endianness and C (row-major) order.
#[derive(Debug, Clone, PartialEq)]
pub enum NpyData {
    /// Half-precision floats as raw IEEE 754 bit patterns.
    F16(Vec<u16>),
    /// Single-precision floats.
    F32(Vec<f32>),
    /// Double-precision floats.
    F64(Vec<f64>),
    /// 32-bit signed integers.
    I32(Vec<i32>),
    /// 64-bit signed integers.
    I64(Vec<i64>),
}

impl NpyData {
    /// The element type of the data.
    pub fn dtype(&self) -> NpyType {
        match self {
            NpyData::F16(_) => NpyType::F16,
            NpyData::F32(_) => NpyType::F32,
            NpyData::F64(_) => NpyType::F64,
            NpyData::I32(_) => NpyType::I32,
            NpyData::I64(_) => NpyType::I64,
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            NpyData::F16(v) => v.len(),
            NpyData::F32(v) => v.len(),
            NpyData::F64(v) => v.len(),
            NpyData::I32(v) => v.len(),
            NpyData::I64(v) => v.len(),
        }
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A decoded array.
#[derive(Debug, Clone, PartialEq)]
pub struct NpyArray {
    /// Dimensions, outermost first; empty for a scalar.
    pub shape: Vec<usize>,
    /// Elements in C (row-major) order; exactly the product of `shape`.
    pub data: NpyData,
}

impl NpyArray {
    /// The element type of the array.
    pub fn dtype(&self) -> NpyType {
        self.data.dtype()
    }

    /// Number of elements (the product of `shape`; 1 for a scalar).
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether the array has no elements (some dimension is zero).
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

/// Errors, each saying what was wrong and what was expected.
#[derive(Debug)]
#[non_exhaustive]
pub enum NpyError {
    /// Reading or writing a file failed.
    Io {
        /// The file that was being read or written.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The file is malformed (bad magic, truncated, bad header, wrong data
    /// length, ...), or the shape given for writing does not match the data.
    Format(String),
    /// The file is well-formed but holds an element type wgpool cannot use.
    UnsupportedDtype(String),
}

impl fmt::Display for NpyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NpyError::Io { path, source } => {
                write!(f, "cannot read/write {}: {source}", path.display())
            }
            NpyError::Format(msg) | NpyError::UnsupportedDtype(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for NpyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            NpyError::Io { source, .. } => Some(source),
            NpyError::Format(_) | NpyError::UnsupportedDtype(_) => None,
        }
    }
}

fn format_err(msg: impl Into<String>) -> NpyError {
    NpyError::Format(msg.into())
}

/// Shortens untrusted text for error messages.
fn snippet(text: &str) -> String {
    const MAX_CHARS: usize = 80;
    let mut short: String = text.chars().take(MAX_CHARS).collect();
    if short.len() < text.len() {
        short.push_str("...");
    }
    short
}

/// Decodes the contents of a `.npy` file.
pub fn parse(bytes: &[u8]) -> Result<NpyArray, NpyError> {
    let (header_text, data) = split_header(bytes)?;
    let header = parse_header(&header_text)?;
    let (dtype, big_endian) = parse_descr(&header.descr)?;

    let too_big = || {
        format_err(format!(
            "shape {} of {} elements does not fit in memory",
            header.shape_text,
            dtype.name()
        ))
    };
    let count = header
        .shape
        .iter()
        .try_fold(1usize, |acc, &dim| acc.checked_mul(dim))
        .ok_or_else(too_big)?;
    let expected = count.checked_mul(dtype.item_size()).ok_or_else(too_big)?;
    if data.len() < expected {
        return Err(format_err(format!(
            "truncated: expected {expected} data bytes, found {}",
            data.len()
        )));
    }
    if data.len() > expected {
        return Err(format_err(format!(
            "expected {expected} data bytes for shape {} of {}, found {} \
             (trailing data after the array)",
            header.shape_text,
            dtype.name(),
            data.len()
        )));
    }

    // A Fortran-ordered array of fewer than two dimensions is already in C order.
    let fortran_shape =
        (header.fortran_order && header.shape.len() > 1).then_some(&header.shape[..]);
    let data = decode(dtype, data, big_endian, fortran_shape);
    Ok(NpyArray {
        shape: header.shape,
        data,
    })
}

/// Reads and decodes a `.npy` file.
pub fn read(path: &Path) -> Result<NpyArray, NpyError> {
    let bytes = fs::read(path).map_err(|source| NpyError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&bytes).map_err(|err| match err {
        NpyError::Format(msg) => NpyError::Format(format!("{}: {msg}", path.display())),
        NpyError::UnsupportedDtype(msg) => {
            NpyError::UnsupportedDtype(format!("{}: {msg}", path.display()))
        }
        other => other,
    })
}

/// Checks the magic and version and splits the file into header text and data.
fn split_header(bytes: &[u8]) -> Result<(String, &[u8]), NpyError> {
    let short_preamble = || {
        format_err(format!(
            "truncated: file is only {} bytes, too short for a .npy preamble",
            bytes.len()
        ))
    };
    if !bytes.starts_with(MAGIC) {
        if MAGIC.starts_with(bytes) {
            return Err(short_preamble());
        }
        let found = &bytes[..bytes.len().min(MAGIC.len())];
        return Err(format_err(format!(
            "not a .npy file: expected magic \"\\x93NUMPY\", found \"{}\"",
            found.escape_ascii()
        )));
    }
    let (major, minor) = match bytes.get(6..8) {
        Some(&[major, minor]) => (major, minor),
        _ => return Err(short_preamble()),
    };
    // Version 1.0 stores the header length as a u16, 2.0 and 3.0 as a u32.
    let (header_len, rest) = match (major, minor) {
        (1, 0) => match bytes.get(8..10) {
            Some(&[a, b]) => (u64::from(u16::from_le_bytes([a, b])), &bytes[10..]),
            _ => return Err(short_preamble()),
        },
        (2 | 3, 0) => match bytes.get(8..12) {
            Some(&[a, b, c, d]) => (u64::from(u32::from_le_bytes([a, b, c, d])), &bytes[12..]),
            _ => return Err(short_preamble()),
        },
        _ => {
            return Err(format_err(format!(
                "unsupported .npy format version {major}.{minor} (expected 1.0, 2.0 or 3.0)"
            )))
        }
    };
    let header = usize::try_from(header_len)
        .ok()
        .and_then(|len| rest.get(..len))
        .ok_or_else(|| {
            format_err(format!(
                "truncated: header claims {header_len} bytes, only {} present",
                rest.len()
            ))
        })?;
    let text = if major == 3 {
        std::str::from_utf8(header)
            .map_err(|_| format_err("format 3.0 header is not valid UTF-8"))?
            .to_owned()
    } else {
        // Versions 1.0 and 2.0 use latin-1, which maps bytes 1:1 to chars.
        header.iter().copied().map(char::from).collect()
    };
    Ok((text, &rest[header.len()..]))
}

/// The validated contents of the header dict.
struct Header {
    descr: Descr,
    fortran_order: bool,
    shape: Vec<usize>,
    /// The shape as written in the file, for error messages.
    shape_text: String,
}

/// The `descr` value: a simple type string, or a structured dtype (a list).
enum Descr {
    Simple(String),
    Structured(String),
}

fn parse_header(text: &str) -> Result<Header, NpyError> {
    let mut descr = None;
    let mut fortran_order = None;
    let mut shape = None;
    for (key, value, raw) in Parser::new(text).dict()? {
        let slot_taken = match key.as_str() {
            "descr" => descr.replace((value, raw)).is_some(),
            "fortran_order" => fortran_order.replace((value, raw)).is_some(),
            "shape" => shape.replace((value, raw)).is_some(),
            _ => {
                return Err(format_err(format!(
                "unknown key '{}' in .npy header (expected 'descr', 'fortran_order' and 'shape')",
                snippet(&key)
            )))
            }
        };
        if slot_taken {
            return Err(format_err(format!("duplicate key '{key}' in .npy header")));
        }
    }
    let missing = |key: &str| format_err(format!("missing key '{key}' in .npy header"));
    let (descr, descr_raw) = descr.ok_or_else(|| missing("descr"))?;
    let (fortran_order, fortran_raw) = fortran_order.ok_or_else(|| missing("fortran_order"))?;
    let (shape, shape_raw) = shape.ok_or_else(|| missing("shape"))?;

    let descr = match descr {
        Value::Str(s) => Descr::Simple(s),
        Value::List => Descr::Structured(descr_raw.to_owned()),
        _ => {
            return Err(format_err(format!(
                "'descr' must be a string, found {}",
                snippet(descr_raw)
            )))
        }
    };
    let Value::Bool(fortran_order) = fortran_order else {
        return Err(format_err(format!(
            "'fortran_order' must be True or False, found {}",
            snippet(fortran_raw)
        )));
    };
    let Value::Tuple(dims) = shape else {
        return Err(format_err(format!(
            "'shape' must be a tuple of integers, found {}",
            snippet(shape_raw)
        )));
    };
    let shape = dims
        .iter()
        .map(|dim| parse_dim(dim, shape_raw))
        .collect::<Result<_, _>>()?;
    Ok(Header {
        descr,
        fortran_order,
        shape,
        shape_text: snippet(shape_raw),
    })
}

fn parse_dim(dim: &Value, shape_raw: &str) -> Result<usize, NpyError> {
    let &Value::Int { negative, digits } = dim else {
        return Err(format_err(format!(
            "'shape' must contain only non-negative integers, found {}",
            snippet(shape_raw)
        )));
    };
    if negative && digits.bytes().any(|b| b != b'0') {
        return Err(format_err(format!(
            "negative dimension -{} in shape {}",
            snippet(digits),
            snippet(shape_raw)
        )));
    }
    // `digits` holds only ASCII digits, so parsing can fail only by overflow.
    digits.parse().map_err(|_| {
        format_err(format!(
            "dimension {} in shape {} is too large",
            snippet(digits),
            snippet(shape_raw)
        ))
    })
}

/// Maps a descr to a supported type and whether its bytes are big-endian.
fn parse_descr(descr: &Descr) -> Result<(NpyType, bool), NpyError> {
    let unsupported = |what: &str| {
        NpyError::UnsupportedDtype(format!(
            "dtype {} is not supported (expected {SUPPORTED})",
            snippet(what)
        ))
    };
    let descr = match descr {
        Descr::Simple(s) => s,
        Descr::Structured(raw) => return Err(unsupported(&format!("structured {raw}"))),
    };
    let quoted = || unsupported(&format!("'{descr}'"));
    let big_endian = match descr.as_bytes().first() {
        Some(b'<') => false,
        Some(b'>') => true,
        Some(b'=') => cfg!(target_endian = "big"),
        // '|' (byte order irrelevant) only applies to 1-byte types; none is supported.
        _ => return Err(quoted()),
    };
    let dtype = match &descr[1..] {
        "f2" => NpyType::F16,
        "f4" => NpyType::F32,
        "f8" => NpyType::F64,
        "i4" => NpyType::I32,
        "i8" => NpyType::I64,
        _ => return Err(quoted()),
    };
    Ok((dtype, big_endian))
}

/// A Python literal in the header; only the forms numpy headers use.
enum Value<'a> {
    Str(String),
    Int {
        negative: bool,
        digits: &'a str,
    },
    Bool(bool),
    None,
    Tuple(Vec<Value<'a>>),
    /// A list; only structured descrs use one, and its items are never needed.
    List,
}

/// Parser for the header's Python dict literal. Positions are byte offsets;
/// every token it matches is ASCII, so slicing at them is always valid.
struct Parser<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn new(src: &'a str) -> Self {
        Parser { src, pos: 0 }
    }

    fn error(&self, expected: &str) -> NpyError {
        let found = match self.src[self.pos..].chars().next() {
            Some(c) => format!("{c:?}"),
            None => "end of header".to_owned(),
        };
        format_err(format!(
            "bad .npy header: expected {expected} at byte {}, found {found} in {:?}",
            self.pos,
            snippet(self.src)
        ))
    }

    fn peek(&self) -> Option<u8> {
        self.src.as_bytes().get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.pos += 1;
        }
    }

    /// Skips whitespace, then consumes `byte` if it is next.
    fn eat(&mut self, byte: u8) -> bool {
        self.skip_whitespace();
        let found = self.peek() == Some(byte);
        if found {
            self.pos += 1;
        }
        found
    }

    /// Consumes bytes while `pred` holds and returns them.
    fn take_while(&mut self, pred: impl Fn(u8) -> bool) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(&pred) {
            self.pos += 1;
        }
        &self.src[start..self.pos]
    }

    /// The whole header: one dict, then only whitespace. Yields each entry's
    /// key, value and the value's source text.
    fn dict(mut self) -> Result<Vec<(String, Value<'a>, &'a str)>, NpyError> {
        if !self.eat(b'{') {
            return Err(self.error("'{'"));
        }
        let mut entries = Vec::new();
        loop {
            if self.eat(b'}') {
                break;
            }
            self.skip_whitespace();
            let key = match self.peek() {
                Some(quote @ (b'\'' | b'"')) => self.string(quote)?,
                _ => return Err(self.error("a quoted key or '}'")),
            };
            if !self.eat(b':') {
                return Err(self.error("':'"));
            }
            self.skip_whitespace();
            let start = self.pos;
            let value = self.value(0)?;
            entries.push((key, value, &self.src[start..self.pos]));
            if self.eat(b'}') {
                break;
            }
            if !self.eat(b',') {
                return Err(self.error("',' or '}'"));
            }
        }
        self.skip_whitespace();
        if self.pos < self.src.len() {
            return Err(self.error("only whitespace after the header dict"));
        }
        Ok(entries)
    }

    fn value(&mut self, depth: usize) -> Result<Value<'a>, NpyError> {
        self.skip_whitespace();
        match self.peek() {
            Some(quote @ (b'\'' | b'"')) => self.string(quote).map(Value::Str),
            Some(open @ (b'(' | b'[')) => {
                if depth >= MAX_NESTING {
                    return Err(self.error("less deeply nested values"));
                }
                self.pos += 1;
                let close = if open == b'(' { b')' } else { b']' };
                let (mut items, trailing_comma) = self.sequence(close, depth + 1)?;
                Ok(match open {
                    b'[' => Value::List,
                    // As in Python, `(x)` is just `x`; a 1-tuple needs a comma.
                    _ if items.len() == 1 && !trailing_comma => items.remove(0),
                    _ => Value::Tuple(items),
                })
            }
            Some(b'-') => {
                self.pos += 1;
                self.int(true)
            }
            Some(b'0'..=b'9') => self.int(false),
            Some(b) if b.is_ascii_alphabetic() || b == b'_' => {
                let start = self.pos;
                match self.take_while(|b| b.is_ascii_alphanumeric() || b == b'_') {
                    "True" => Ok(Value::Bool(true)),
                    "False" => Ok(Value::Bool(false)),
                    "None" => Ok(Value::None),
                    _ => {
                        self.pos = start;
                        Err(self
                            .error("a value (True, False, None, a number, string, tuple or list)"))
                    }
                }
            }
            _ => Err(self.error("a value")),
        }
    }

    /// Comma-separated values up to `close` (the opening bracket is already
    /// consumed). Also reports whether the last item was followed by a comma.
    fn sequence(&mut self, close: u8, depth: usize) -> Result<(Vec<Value<'a>>, bool), NpyError> {
        let mut items = Vec::new();
        let mut trailing_comma = false;
        while !self.eat(close) {
            items.push(self.value(depth)?);
            trailing_comma = self.eat(b',');
            if !trailing_comma {
                if self.eat(close) {
                    break;
                }
                return Err(self.error(&format!("',' or '{}'", char::from(close))));
            }
        }
        Ok((items, trailing_comma))
    }

    fn int(&mut self, negative: bool) -> Result<Value<'a>, NpyError> {
        let digits = self.take_while(|b| b.is_ascii_digit());
        if digits.is_empty() {
            return Err(self.error("a digit"));
        }
        Ok(Value::Int { negative, digits })
    }

    /// A string without escape sequences (numpy never writes any).
    fn string(&mut self, quote: u8) -> Result<String, NpyError> {
        self.pos += 1;
        let body = self.take_while(|b| b != quote && b != b'\\' && b != b'\n');
        if self.peek() != Some(quote) {
            return Err(self.error("the closing quote of a string without escapes"));
        }
        self.pos += 1;
        Ok(body.to_owned())
    }
}

/// Converts checked data bytes (a whole number of elements) to native values
/// in C order.
fn decode(
    dtype: NpyType,
    bytes: &[u8],
    big_endian: bool,
    fortran_shape: Option<&[usize]>,
) -> NpyData {
    match dtype {
        NpyType::F16 => NpyData::F16(convert(
            bytes,
            big_endian,
            fortran_shape,
            u16::from_le_bytes,
        )),
        NpyType::F32 => NpyData::F32(convert(
            bytes,
            big_endian,
            fortran_shape,
            f32::from_le_bytes,
        )),
        NpyType::F64 => NpyData::F64(convert(
            bytes,
            big_endian,
            fortran_shape,
            f64::from_le_bytes,
        )),
        NpyType::I32 => NpyData::I32(convert(
            bytes,
            big_endian,
            fortran_shape,
            i32::from_le_bytes,
        )),
        NpyType::I64 => NpyData::I64(convert(
            bytes,
            big_endian,
            fortran_shape,
            i64::from_le_bytes,
        )),
    }
}

fn convert<T: Copy, const N: usize>(
    bytes: &[u8],
    big_endian: bool,
    fortran_shape: Option<&[usize]>,
    from_le_bytes: fn([u8; N]) -> T,
) -> Vec<T> {
    let values: Vec<T> = bytes
        .chunks_exact(N)
        .map(|chunk| {
            let mut raw = [0; N];
            raw.copy_from_slice(chunk);
            if big_endian {
                raw.reverse();
            }
            from_le_bytes(raw)
        })
        .collect();
    match fortran_shape {
        Some(shape) => fortran_to_c(&values, shape),
        None => values,
    }
}

/// Reorders column-major `src` (first axis fastest) into row-major order.
/// `src.len()` must equal the product of `shape`.
fn fortran_to_c<T: Copy>(src: &[T], shape: &[usize]) -> Vec<T> {
    if src.is_empty() {
        return Vec::new();
    }
    // No product overflows: the full product is `src.len()`.
    let mut strides = Vec::with_capacity(shape.len());
    let mut stride = 1;
    for &dim in shape {
        strides.push(stride);
        stride *= dim;
    }
    // Walk the C-order index (last axis fastest), tracking the source offset.
    let mut index = vec![0; shape.len()];
    let mut offset = 0;
    let mut out = Vec::with_capacity(src.len());
    for _ in 0..src.len() {
        out.push(src[offset]);
        for axis in (0..shape.len()).rev() {
            index[axis] += 1;
            offset += strides[axis];
            if index[axis] < shape[axis] {
                break;
            }
            index[axis] = 0;
            offset -= strides[axis] * shape[axis];
        }
    }
    out
}

/// Serialise (format 1.0, little-endian, C order; header padded so data
/// starts at a multiple of 64 bytes, ending in '\n', as numpy writes it).
///
/// Like numpy, falls back to format 2.0 if the header is too long for 1.0.
/// Returns a [`NpyError::Format`] error if the product of `shape` is not the
/// number of elements in `data`.
pub fn to_bytes(shape: &[usize], data: &NpyData) -> Result<Vec<u8>, NpyError> {
    match shape
        .iter()
        .try_fold(1usize, |acc, &dim| acc.checked_mul(dim))
    {
        Some(count) if count == data.len() => {}
        Some(count) => {
            return Err(format_err(format!(
                "shape {shape:?} holds {count} elements but the data has {}",
                data.len()
            )))
        }
        None => {
            return Err(format_err(format!(
                "shape {shape:?} has too many elements for the {} data elements",
                data.len()
            )))
        }
    }

    let dtype = data.dtype();
    let mut out = header_bytes(shape, dtype)?;
    out.reserve(data.len() * dtype.item_size());
    match data {
        NpyData::F16(v) => encode(&mut out, v, u16::to_le_bytes),
        NpyData::F32(v) => encode(&mut out, v, f32::to_le_bytes),
        NpyData::F64(v) => encode(&mut out, v, f64::to_le_bytes),
        NpyData::I32(v) => encode(&mut out, v, i32::to_le_bytes),
        NpyData::I64(v) => encode(&mut out, v, i64::to_le_bytes),
    }
    Ok(out)
}

fn encode<T: Copy, const N: usize>(out: &mut Vec<u8>, values: &[T], to_le_bytes: fn(T) -> [u8; N]) {
    for &value in values {
        out.extend_from_slice(&to_le_bytes(value));
    }
}

/// Magic, version, header length and padded header, exactly as numpy's
/// `_write_array_header` produces them for a C-ordered array.
fn header_bytes(shape: &[usize], dtype: NpyType) -> Result<Vec<u8>, NpyError> {
    let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
    let shape_repr = match dims.as_slice() {
        [dim] => format!("({dim},)"),
        _ => format!("({})", dims.join(", ")),
    };
    let mut header = format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': {shape_repr}, }}",
        dtype.descr()
    );
    if let Some(first) = dims.first() {
        let growth = GROWTH_AXIS_MAX_DIGITS.saturating_sub(first.len());
        header.extend(std::iter::repeat_n(' ', growth));
    }

    // The header text is followed by padding spaces and '\n'; version 1.0
    // stores that total length as a u16, version 2.0 as a u32.
    let padded_len = |prefix_len: usize| {
        let unpadded = header.len() + 1;
        unpadded + ARRAY_ALIGN - (prefix_len + unpadded) % ARRAY_ALIGN
    };
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    let total = if let Ok(len) = u16::try_from(padded_len(10)) {
        out.extend_from_slice(&[1, 0]);
        out.extend_from_slice(&len.to_le_bytes());
        padded_len(10)
    } else if let Ok(len) = u32::try_from(padded_len(12)) {
        out.extend_from_slice(&[2, 0]);
        out.extend_from_slice(&len.to_le_bytes());
        padded_len(12)
    } else {
        return Err(format_err(format!(
            "the header for a {}-dimensional array is too large for the .npy format",
            shape.len()
        )));
    };
    out.extend_from_slice(header.as_bytes());
    out.resize(out.len() + total - header.len() - 1, b' ');
    out.push(b'\n');
    Ok(out)
}

/// Distinguishes temporary files of concurrent writes within one process.
static WRITE_COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Write atomically: write to a temporary file in the same directory (e.g.
/// ".{name}.tmp-{pid}"), fsync is optional, then rename over `path`. On any
/// error remove the temporary file; `path` is never left partially written.
///
/// The data is serialised with [`to_bytes`] before any file is touched, so a
/// shape/data mismatch creates nothing.
pub fn write(path: &Path, shape: &[usize], data: &NpyData) -> Result<(), NpyError> {
    let bytes = to_bytes(shape, data)?;
    let io_error = |source| NpyError::Io {
        path: path.to_path_buf(),
        source,
    };
    let name = path.file_name().ok_or_else(|| {
        io_error(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the path does not name a file",
        ))
    })?;
    let mut tmp_name = OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(
        ".tmp-{}-{}",
        std::process::id(),
        WRITE_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let tmp = path.with_file_name(tmp_name);

    let result = write_synced(&tmp, &bytes).and_then(|()| fs::rename(&tmp, path));
    if let Err(source) = result {
        // Best effort: the temporary file may not even have been created.
        let _ = fs::remove_file(&tmp);
        return Err(io_error(source));
    }
    Ok(())
}

fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = fs::File::create(path)?;
    file.write_all(bytes)?;
    // Make sure the data is on disk before the rename makes it visible.
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUPPORTED_MSG: &str = "(expected float16, float32, float64, int32 or int64)";

    /// A file with the given version and raw header text, unpadded.
    fn npy(version: u8, header: &str, data: &[u8]) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&[version, 0]);
        if version == 1 {
            out.extend_from_slice(&u16::try_from(header.len()).unwrap().to_le_bytes());
        } else {
            out.extend_from_slice(&u32::try_from(header.len()).unwrap().to_le_bytes());
        }
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(data);
        out
    }

    fn header(descr: &str, fortran: bool, shape: &str) -> String {
        let fortran = if fortran { "True" } else { "False" };
        format!("{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shape}, }}\n")
    }

    fn le_bytes_f32(values: &[f32]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    fn le_bytes_i32(values: &[i32]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    fn assert_format_err(result: Result<NpyArray, NpyError>, context: &str) {
        match result {
            Err(NpyError::Format(_)) => {}
            other => panic!("{context}: expected a Format error, got {other:?}"),
        }
    }

    /// `np.save(f, np.arange(6, dtype='<f4').reshape(2, 3))`, as numpy 2.4 writes it.
    fn numpy_arange_2x3_f32() -> Vec<u8> {
        let mut expected = b"\x93NUMPY\x01\x00\x76\x00".to_vec();
        expected.extend_from_slice(b"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }");
        expected.extend_from_slice(&[b' '; 58]);
        expected.push(b'\n');
        assert_eq!(expected.len(), 128);
        expected.extend_from_slice(&le_bytes_f32(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]));
        expected
    }

    fn sample_data(dtype: NpyType, n: usize) -> NpyData {
        // Distinct values that exercise sign and fractional bits.
        let seq = (0..n).map(|i| i32::try_from(i).unwrap() * 7 - 20);
        match dtype {
            NpyType::F16 => {
                NpyData::F16((0..n).map(|i| 0x3c00 ^ u16::try_from(i).unwrap()).collect())
            }
            NpyType::F32 => NpyData::F32(seq.map(|v| v as f32 * 0.375).collect()),
            NpyType::F64 => NpyData::F64(seq.map(|v| f64::from(v) * -1.0e-3).collect()),
            NpyType::I32 => NpyData::I32(seq.map(|v| v * 1_000_003).collect()),
            NpyType::I64 => NpyData::I64(seq.map(|v| i64::from(v) << 40).collect()),
        }
    }

    const ALL_DTYPES: [NpyType; 5] = [
        NpyType::F16,
        NpyType::F32,
        NpyType::F64,
        NpyType::I32,
        NpyType::I64,
    ];

    #[test]
    fn round_trips_every_dtype_and_shape() {
        let shapes: [&[usize]; 4] = [&[], &[0], &[3], &[2, 3, 4]];
        for dtype in ALL_DTYPES {
            for shape in shapes {
                let n = shape.iter().product();
                let data = sample_data(dtype, n);
                let bytes = to_bytes(shape, &data).unwrap();
                assert_eq!(
                    bytes.len() % ARRAY_ALIGN,
                    (n * dtype.item_size()) % ARRAY_ALIGN
                );
                let array = parse(&bytes).unwrap();
                assert_eq!(array.shape, shape, "{dtype:?} {shape:?}");
                assert_eq!(array.data, data, "{dtype:?} {shape:?}");
                assert_eq!(array.dtype(), dtype);
                assert_eq!(array.len(), n);
                assert_eq!(array.is_empty(), n == 0);
            }
        }
    }

    #[test]
    fn to_bytes_matches_numpy_byte_for_byte() {
        let data = NpyData::F32(vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(to_bytes(&[2, 3], &data).unwrap(), numpy_arange_2x3_f32());
    }

    #[test]
    fn header_layout_matches_numpy() {
        // (shape, dtype, header length field, header text) from numpy 2.4's np.save.
        let scalar = "{'descr': '<f4', 'fortran_order': False, 'shape': (), }";
        let vector = "{'descr': '<i8', 'fortran_order': False, 'shape': (5,), }";
        let cases: [(&[usize], NpyType, usize, &str); 2] = [
            (&[], NpyType::F32, 0x76, scalar),
            (&[5], NpyType::I64, 0x76, vector),
        ];
        for (shape, dtype, len, text) in cases {
            let bytes = header_bytes(shape, dtype).unwrap();
            let mut expected = b"\x93NUMPY\x01\x00".to_vec();
            expected.extend_from_slice(&u16::try_from(len).unwrap().to_le_bytes());
            expected.extend_from_slice(text.as_bytes());
            expected.resize(10 + len - 1, b' ');
            expected.push(b'\n');
            assert_eq!(bytes, expected, "{shape:?}");
        }
        // 40 dimensions: numpy's header length field is 246 (256 bytes in all).
        let bytes = header_bytes(&[1; 40], NpyType::F16).unwrap();
        assert_eq!((bytes.len(), &bytes[8..10]), (256, &[246, 0][..]));
        // Headers too long for a u16 length move to version 2.0, like numpy.
        let shape = [1; 30_000];
        let bytes = to_bytes(&shape, &NpyData::F32(vec![2.5])).unwrap();
        assert_eq!(&bytes[6..8], &[2, 0]);
        assert_eq!((bytes.len() - 4) % ARRAY_ALIGN, 0);
        assert_eq!(parse(&bytes).unwrap().shape, shape);
    }

    #[test]
    fn parses_numpy_output() {
        let array = parse(&numpy_arange_2x3_f32()).unwrap();
        assert_eq!(array.shape, vec![2, 3]);
        assert_eq!(array.data, NpyData::F32(vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0]));
    }

    #[test]
    fn reads_big_endian_and_native_input() {
        let cases = [
            (
                ">f2",
                vec![0x3c, 0x00, 0xc0, 0x00],
                NpyData::F16(vec![0x3c00, 0xc000]),
            ),
            (
                ">f4",
                vec![0x3f, 0x80, 0, 0, 0xc0, 0, 0, 0],
                NpyData::F32(vec![1.0, -2.0]),
            ),
            (
                ">f8",
                [0.5f64.to_be_bytes(), (-3.25f64).to_be_bytes()].concat(),
                NpyData::F64(vec![0.5, -3.25]),
            ),
            (
                ">i4",
                vec![0, 0, 1, 2, 0xff, 0xff, 0xff, 0xfe],
                NpyData::I32(vec![0x102, -2]),
            ),
            (
                ">i8",
                [(1i64 << 40).to_be_bytes(), (-5i64).to_be_bytes()].concat(),
                NpyData::I64(vec![1 << 40, -5]),
            ),
            (
                "=i4",
                [7i32.to_ne_bytes(), (-8i32).to_ne_bytes()].concat(),
                NpyData::I32(vec![7, -8]),
            ),
            (
                "=f4",
                [1.5f32.to_ne_bytes(), 2.5f32.to_ne_bytes()].concat(),
                NpyData::F32(vec![1.5, 2.5]),
            ),
        ];
        for (descr, data, expected) in cases {
            let array = parse(&npy(1, &header(descr, false, "(2,)"), &data)).unwrap();
            assert_eq!(array.data, expected, "{descr}");
        }
    }

    #[test]
    fn reads_fortran_order_2d() {
        // np.asfortranarray(np.arange(6, dtype='<i4').reshape(2, 3)): memory holds columns.
        let data = le_bytes_i32(&[0, 3, 1, 4, 2, 5]);
        let array = parse(&npy(1, &header("<i4", true, "(2, 3)"), &data)).unwrap();
        assert_eq!(array.shape, vec![2, 3]);
        assert_eq!(array.data, NpyData::I32(vec![0, 1, 2, 3, 4, 5]));
    }

    #[test]
    fn reads_fortran_order_3d() {
        // Element (i, j, k) of a C-ordered arange(24).reshape(2, 3, 4) is 12i + 4j + k;
        // column-major memory varies i fastest, then j, then k.
        let mut column_major = Vec::new();
        for k in 0..4 {
            for j in 0..3 {
                for i in 0..2 {
                    column_major.push(12.0 * i as f32 + 4.0 * j as f32 + k as f32);
                }
            }
        }
        let bytes = npy(
            1,
            &header("<f4", true, "(2, 3, 4)"),
            &le_bytes_f32(&column_major),
        );
        let array = parse(&bytes).unwrap();
        assert_eq!(array.shape, vec![2, 3, 4]);
        assert_eq!(
            array.data,
            NpyData::F32((0..24).map(|v| v as f32).collect())
        );

        // 1-d and empty Fortran arrays need no reordering.
        let array = parse(&npy(
            1,
            &header("<i4", true, "(3,)"),
            &le_bytes_i32(&[4, 5, 6]),
        ))
        .unwrap();
        assert_eq!(array.data, NpyData::I32(vec![4, 5, 6]));
        let array = parse(&npy(1, &header("<i4", true, "(0, 3)"), &[])).unwrap();
        assert_eq!(
            (array.shape, array.data),
            (vec![0, 3], NpyData::I32(vec![]))
        );
    }

    #[test]
    fn reads_versions_2_and_3() {
        let data = le_bytes_f32(&[1.0, 2.0, 3.0]);
        for version in [2, 3] {
            let array = parse(&npy(version, &header("<f4", false, "(3,)"), &data)).unwrap();
            assert_eq!(array.shape, vec![3]);
            assert_eq!(array.data, NpyData::F32(vec![1.0, 2.0, 3.0]));
        }
        // Version 3.0 headers are UTF-8 (1.0 and 2.0 are latin-1); non-ASCII
        // text appears only in strings, such as structured field names.
        let text = "{'descr': [('\u{e9}', '<f4')], 'fortran_order': False, 'shape': (3,), }";
        match parse(&npy(3, text, &data)) {
            Err(NpyError::UnsupportedDtype(msg)) => assert!(msg.contains('\u{e9}'), "{msg}"),
            other => panic!("expected UnsupportedDtype, got {other:?}"),
        }
        let mut latin1 = npy(1, &text.replace('\u{e9}', "?"), &data);
        let at = latin1.iter().position(|&b| b == b'?').unwrap();
        latin1[at] = 0xe9;
        match parse(&latin1) {
            Err(NpyError::UnsupportedDtype(msg)) => assert!(msg.contains('\u{e9}'), "{msg}"),
            other => panic!("expected UnsupportedDtype, got {other:?}"),
        }
        let mut bad_utf8 = npy(3, &header("<f4", false, "(3,)"), &data);
        bad_utf8[13] = 0xff;
        assert_format_err(parse(&bad_utf8), "invalid UTF-8");
    }

    #[test]
    fn tolerates_header_variations() {
        let data = le_bytes_f32(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let headers = [
            "{\"shape\":(2,3),\"fortran_order\":False,\"descr\":\"<f4\"}",
            "{ 'descr' : '<f4' ,\n\t'fortran_order' : False , 'shape' : ( 2 , 3 , ) , }  \n",
            "{'fortran_order': False, 'shape': (2, 3), 'descr': '<f4'}",
        ];
        for text in headers {
            let array = parse(&npy(1, text, &data)).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(array.shape, vec![2, 3], "{text}");
        }
        let scalar = parse(&npy(1, &header("<f4", false, "()"), &data[..4])).unwrap();
        assert_eq!(
            (scalar.shape, scalar.data),
            (vec![], NpyData::F32(vec![1.0]))
        );
        // A parenthesised dimension is just an int, so this is not a tuple.
        assert_format_err(parse(&npy(1, &header("<f4", false, "(6)"), &data)), "(6)");
    }

    #[test]
    fn rejects_truncation_at_every_offset() {
        let files = [
            numpy_arange_2x3_f32(),
            npy(2, &header("<i8", false, "(2,)"), &[0; 16]),
            to_bytes(&[], &NpyData::F64(vec![1.0])).unwrap(),
        ];
        for file in files {
            assert!(parse(&file).is_ok());
            for cut in 0..file.len() {
                assert_format_err(parse(&file[..cut]), &format!("cut at {cut}"));
            }
        }
    }

    #[test]
    fn truncated_data_error_says_what_was_expected() {
        let file = numpy_arange_2x3_f32();
        let err = parse(&file[..file.len() - 5]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "truncated: expected 24 data bytes, found 19"
        );
    }

    #[test]
    fn rejects_trailing_data() {
        let mut file = numpy_arange_2x3_f32();
        file.push(0);
        assert_format_err(parse(&file), "one extra byte");
        let file = npy(1, &header("<f4", false, "(0,)"), &[0; 4]);
        assert_format_err(parse(&file), "data for an empty array");
    }

    #[test]
    fn rejects_huge_shapes_without_allocating() {
        let shapes = [
            "(4611686018427387904, 4611686018427387904)",
            "(1000000000000000000000000000000,)",
            "(18446744073709551616,)",
            "(4611686018427387904,)",
            "(2305843009213693952,)",
            "(0, 1000000000000000000000000000000)",
            // Products that wrap around to exactly the 8 bytes present.
            "(4611686018427387906,)",
            "(9223372036854775809, 2)",
        ];
        for shape in shapes {
            let file = npy(1, &header("<f4", false, shape), &[0; 8]);
            assert_format_err(parse(&file), shape);
        }
    }

    #[test]
    fn rejects_bad_headers() {
        let ok = "'descr': '<f4', 'fortran_order': False, 'shape': (2,)";
        let bad = [
            "{'fortran_order': False, 'shape': (2,)}".to_owned(),
            "{'descr': '<f4', 'shape': (2,)}".to_owned(),
            "{'descr': '<f4', 'fortran_order': False}".to_owned(),
            format!("{{{ok}, 'extra': 1}}"),
            format!("{{{ok}, 'shape': (2,)}}"),
            format!("{{{ok}, 'descr': '<f4'}}"),
            header("<f4", false, "(-2,)"),
            header("<f4", false, "(1, -2)"),
            header("<f4", false, "(2.0,)"),
            header("<f4", false, "(1e3,)"),
            header("<f4", false, "('2',)"),
            header("<f4", false, "(None,)"),
            header("<f4", false, "(True, 2)"),
            header("<f4", false, "[2]"),
            header("<f4", false, "2"),
            header("<f4", false, "(2,,)"),
            header("<f4", false, "(,)"),
            header("<f4", false, "(2"),
            "{'descr': '<f4', 'fortran_order': true, 'shape': (2,)}".to_owned(),
            "{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}".to_owned(),
            "{'descr': '<f4', 'fortran_order': 'False', 'shape': (2,)}".to_owned(),
            "{'descr': '<f4', 'fortran_order': None, 'shape': (2,)}".to_owned(),
            "{'descr': 4, 'fortran_order': False, 'shape': (2,)}".to_owned(),
            "{'descr': '<f4, 'fortran_order': False, 'shape': (2,)}".to_owned(),
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)".to_owned(),
            format!("{{{ok}}} trailing"),
            format!("{{{ok}}}{{}}"),
            format!("{{{ok} 'x': 1}}"),
            format!("{{descr: '<f4', {ok}}}"),
            format!("[{ok}]"),
            String::new(),
            "{".to_owned(),
            format!(
                "{{'descr': {}'<f4'{}, 'fortran_order': False, 'shape': (2,)}}",
                "(".repeat(5000),
                ")".repeat(5000)
            ),
        ];
        for text in &bad {
            assert_format_err(parse(&npy(1, text, &[0; 8])), text);
        }
        let err = parse(&npy(1, &header("<f4", false, "(-2,)"), &[0; 8])).unwrap_err();
        assert_eq!(err.to_string(), "negative dimension -2 in shape (-2,)");
    }

    #[test]
    fn rejects_bad_magic_and_versions() {
        let good = numpy_arange_2x3_f32();
        let mut files = Vec::new();
        for (i, byte) in [(0, b'x'), (1, b'n'), (5, b'\0'), (6, 0), (6, 4), (7, 1)] {
            let mut file = good.clone();
            file[i] = byte;
            files.push(file);
        }
        files.push(b"PK\x03\x04 not numpy".to_vec());
        files.push(b"x".to_vec());
        for file in files {
            assert_format_err(parse(&file), &format!("{:?}", &file[..8.min(file.len())]));
        }
        let err = parse(b"GIF89a....").unwrap_err().to_string();
        assert!(
            err.contains("expected magic") && err.contains("GIF89a"),
            "{err}"
        );
    }

    #[test]
    fn rejects_unsupported_dtypes() {
        let descrs = [
            "<c8", "|b1", "<u4", "|O", "|f4", "<f16", "float32", "", "<", "|u1", ">c16", "<M8[ns]",
        ];
        for descr in descrs {
            match parse(&npy(1, &header(descr, false, "(1,)"), &[0; 8])) {
                Err(NpyError::UnsupportedDtype(_)) => {}
                other => panic!("{descr}: expected UnsupportedDtype, got {other:?}"),
            }
        }
        let structured = [
            "[('a', '<f4')]",
            "[('a', '<f4'), ('b', '<i8', (2,))]",
            "[('x', [('y', '<f4')])]",
        ];
        for descr in structured {
            let text = format!("{{'descr': {descr}, 'fortran_order': False, 'shape': (1,), }}");
            match parse(&npy(1, &text, &[0; 4])) {
                Err(NpyError::UnsupportedDtype(msg)) => assert!(msg.contains(descr), "{msg}"),
                other => panic!("{descr}: expected UnsupportedDtype, got {other:?}"),
            }
        }
        let err = parse(&npy(1, &header("<c8", false, "(1,)"), &[0; 8])).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("dtype '<c8' is not supported {SUPPORTED_MSG}")
        );
    }

    #[test]
    fn corrupting_any_byte_never_panics() {
        let good = numpy_arange_2x3_f32();
        for i in 0..good.len() {
            for byte in 0..=u8::MAX {
                let mut file = good.clone();
                file[i] = byte;
                // Either result is fine; only a panic would fail the test.
                let _ = parse(&file);
            }
        }
    }

    #[test]
    fn to_bytes_rejects_shape_mismatch() {
        let data = NpyData::I32(vec![1, 2, 3]);
        for shape in [&[2, 2][..], &[], &[0], &[usize::MAX, 2], &[4]] {
            assert!(
                matches!(to_bytes(shape, &data), Err(NpyError::Format(_))),
                "{shape:?}"
            );
        }
        let empty = NpyData::F32(vec![]);
        assert!(matches!(to_bytes(&[], &empty), Err(NpyError::Format(_))));
        assert!(to_bytes(&[usize::MAX, 0], &empty).is_ok());
    }

    /// A fresh, empty directory for one test.
    fn scratch_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("wgpool-npy-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn dir_entries(dir: &Path) -> Vec<OsString> {
        let mut names: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn write_then_read_leaves_no_temp_file() {
        let dir = scratch_dir("write");
        let path = dir.join("out.npy");
        let data = sample_data(NpyType::F64, 6);
        write(&path, &[3, 2], &data).unwrap();
        // Overwriting an existing file also goes through a renamed temp file.
        write(&path, &[2, 3], &data).unwrap();
        assert_eq!(dir_entries(&dir), vec![OsString::from("out.npy")]);
        let array = read(&path).unwrap();
        assert_eq!((array.shape, array.data), (vec![2, 3], data));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn write_with_mismatch_creates_nothing() {
        let dir = scratch_dir("mismatch");
        let path = dir.join("out.npy");
        let err = write(&path, &[2, 2], &NpyData::F32(vec![1.0])).unwrap_err();
        assert!(matches!(err, NpyError::Format(_)), "{err:?}");
        assert!(dir_entries(&dir).is_empty());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn write_failure_keeps_old_file_and_removes_temp() {
        let dir = scratch_dir("failure");
        let path = dir.join("out.npy");
        write(&path, &[1], &NpyData::I64(vec![9])).unwrap();
        // A directory in the way makes the rename fail after the temp file is written.
        let blocked = dir.join("blocked.npy");
        fs::create_dir(&blocked).unwrap();
        fs::write(blocked.join("keep"), b"x").unwrap();
        let err = write(&blocked, &[1], &NpyData::I64(vec![1])).unwrap_err();
        assert!(matches!(err, NpyError::Io { .. }), "{err:?}");
        let expected: Vec<OsString> = vec!["blocked.npy".into(), "out.npy".into()];
        assert_eq!(dir_entries(&dir), expected);
        assert_eq!(read(&path).unwrap().data, NpyData::I64(vec![9]));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn write_to_missing_directory_is_io_error() {
        let path = std::env::temp_dir()
            .join(format!("wgpool-npy-missing-{}", std::process::id()))
            .join("out.npy");
        match write(&path, &[1], &NpyData::F32(vec![1.0])) {
            Err(NpyError::Io { path: p, source }) => {
                assert_eq!(p, path);
                assert_eq!(source.kind(), io::ErrorKind::NotFound);
            }
            other => panic!("expected an Io error, got {other:?}"),
        }
    }

    #[test]
    fn read_errors_name_the_file() {
        let dir = scratch_dir("read");
        let missing = dir.join("missing.npy");
        let err = read(&missing).unwrap_err();
        assert!(matches!(err, NpyError::Io { .. }), "{err:?}");
        assert!(err.to_string().contains("missing.npy"), "{err}");
        assert!(std::error::Error::source(&err).is_some());

        let garbage = dir.join("garbage.npy");
        fs::write(&garbage, b"hello").unwrap();
        let err = read(&garbage).unwrap_err();
        assert!(
            matches!(&err, NpyError::Format(m) if m.contains("garbage.npy")),
            "{err:?}"
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn dtype_names() {
        let names: Vec<_> = ALL_DTYPES.iter().map(NpyType::name).collect();
        assert_eq!(names, ["float16", "float32", "float64", "int32", "int64"]);
    }

    #[test]
    fn parses_conformance_cases() {
        let from_manifest = option_env!("CARGO_MANIFEST_DIR")
            .map(|dir| Path::new(dir).join("../shared/conformance/cases"))
            .filter(|dir| dir.is_dir());
        let Some(cases) = from_manifest.or_else(|| {
            Some(PathBuf::from("/work/shared/conformance/cases")).filter(|dir| dir.is_dir())
        }) else {
            eprintln!("no conformance cases found; skipping");
            return;
        };
        let mut parsed = 0;
        for case in fs::read_dir(&cases).unwrap() {
            let case = case.unwrap().path();
            if !case.is_dir() {
                continue;
            }
            for file in fs::read_dir(&case).unwrap() {
                let file = file.unwrap().path();
                if file.extension().is_some_and(|ext| ext == "npy") {
                    let array = read(&file).unwrap_or_else(|e| panic!("{e}"));
                    assert_eq!(
                        array.len(),
                        array.shape.iter().product::<usize>(),
                        "{}",
                        file.display()
                    );
                    let again = parse(&to_bytes(&array.shape, &array.data).unwrap()).unwrap();
                    assert_eq!(again.shape, array.shape, "{}", file.display());
                    parsed += 1;
                }
            }
        }
        assert!(parsed > 0, "no .npy files under {}", cases.display());
    }
}
