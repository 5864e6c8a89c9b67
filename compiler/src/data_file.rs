//! The bpf_conformance `.data` test format: `-- asm`, `-- raw`, `-- mem`, `-- result`,
//! `-- error` sections (and a few informational ones) after `#` comment lines.

use crate::asm::{assemble, AsmError};
use crate::ebpf;

/// A parsed `.data` file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DataFile {
    /// The `-- asm` text, if any.
    pub asm: Option<String>,
    /// The `-- raw` program bytes, if any.
    pub raw: Option<Vec<u8>>,
    /// The `-- mem` bytes (empty when absent).
    pub mem: Vec<u8>,
    /// The expected `r0`.
    pub result: Option<u64>,
    /// The expected error text.
    pub error: Option<String>,
    /// Section names this parser does not know (`-- c`, `-- no register offset`, ...).
    pub other_sections: Vec<String>,
}

/// Why a `.data` file could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataError(pub String);

impl std::fmt::Display for DataError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DataError {}

fn hex_bytes(text: &str) -> Result<Vec<u8>, DataError> {
    let mut out = Vec::new();
    for tok in text.split_whitespace() {
        let byte =
            u8::from_str_radix(tok, 16).map_err(|_| DataError(format!("bad hex byte `{tok}`")))?;
        out.push(byte);
    }
    Ok(out)
}

/// `-- raw` lines are either eight hex bytes or one `0x`-prefixed little-endian word.
fn raw_bytes(text: &str) -> Result<Vec<u8>, DataError> {
    let mut out = Vec::new();
    for line in text
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
    {
        if line.is_empty() {
            continue;
        }
        if let Some(hex) = line.strip_prefix("0x") {
            let w = u64::from_str_radix(hex, 16)
                .map_err(|_| DataError(format!("bad raw word `{line}`")))?;
            out.extend_from_slice(&w.to_le_bytes());
        } else {
            out.extend(hex_bytes(line)?);
        }
    }
    Ok(out)
}

fn parse_u64(text: &str) -> Result<u64, DataError> {
    let t = text.trim();
    let v = match t.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16),
        None => t.parse::<u64>(),
    };
    v.map_err(|_| DataError(format!("bad result `{t}`")))
}

impl DataFile {
    /// Parse the text of a `.data` file.
    ///
    /// # Errors
    /// When a `mem`, `raw` or `result` section is malformed.
    pub fn parse(text: &str) -> Result<DataFile, DataError> {
        let mut file = DataFile::default();
        let mut sections: Vec<(String, String)> = Vec::new();
        for line in text.lines() {
            if let Some(name) = line.strip_prefix("-- ") {
                sections.push((name.trim().to_string(), String::new()));
            } else if let Some((_, body)) = sections.last_mut() {
                body.push_str(line);
                body.push('\n');
            }
        }
        for (name, body) in sections {
            match name.as_str() {
                "asm" => file.asm = Some(body),
                "raw" => file.raw = Some(raw_bytes(&body)?),
                "mem" => file.mem = hex_bytes(&body)?,
                "result" => file.result = Some(parse_u64(&body)?),
                "error" => file.error = Some(body.trim().to_string()),
                _ => file.other_sections.push(name),
            }
        }
        Ok(file)
    }

    /// The program: the assembled `-- asm`, else the `-- raw` bytes.
    ///
    /// # Errors
    /// When the file has neither section, or the assembly is invalid.
    pub fn program(&self) -> Result<Vec<ebpf::Insn>, ProgramError> {
        match (&self.asm, &self.raw) {
            (Some(asm), _) => assemble(asm).map_err(ProgramError::Asm),
            (None, Some(raw)) => {
                let mut insns = vec![ebpf::Insn::default(); raw.len() / 8 + 1];
                crate::parse_insns(raw, &mut insns)
                    .map(<[_]>::to_vec)
                    .map_err(|e| ProgramError::Raw(e.to_string()))
            }
            (None, None) => Err(ProgramError::Missing),
        }
    }
}

/// Why a `.data` file yields no program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProgramError {
    /// The assembly does not assemble.
    Asm(AsmError),
    /// The raw bytes are not whole instructions.
    Raw(String),
    /// Neither `-- asm` nor `-- raw`.
    Missing,
}

impl std::fmt::Display for ProgramError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProgramError::Asm(e) => write!(f, "assembly error: {e}"),
            ProgramError::Raw(e) => write!(f, "raw program: {e}"),
            ProgramError::Missing => write!(f, "no -- asm or -- raw section"),
        }
    }
}

impl std::error::Error for ProgramError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections() {
        let f = DataFile::parse("# c\n-- asm\nexit\n-- mem\n00 ff\n-- raw\n0x0000000000000095\n-- result\n0x10\n-- c\nint x;\n")
            .expect("parses");
        assert_eq!(f.asm.as_deref(), Some("exit\n"));
        assert_eq!(f.mem, vec![0, 0xff]);
        assert_eq!(f.raw, Some(vec![0x95, 0, 0, 0, 0, 0, 0, 0]));
        assert_eq!(f.result, Some(16));
        assert_eq!(f.other_sections, vec!["c".to_string()]);
        assert!(DataFile::parse("-- mem\nzz\n").is_err());
    }
}
