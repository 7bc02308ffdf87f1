//! Template bundles: a gzip-compressed tar archive (`tar -zcvf`) holding `schema/schema.yaml`
//! and `infrastructure/manifest.yaml` + `infrastructure/cloudformation.yaml` for an
//! environment template (AWS's Proton user guide, "Wrap up template files"). A small ustar
//! reader (with GNU long names and pax `path` records) is enough for what `tar` and Python's
//! `tarfile` write; the sizes are bounded so a bundle cannot exhaust memory.

use std::collections::BTreeMap;
use std::io::Read;

/// Most bytes a bundle may unpack to (chosen; AWS documents no limit).
pub const MAX_UNPACKED: u64 = 16 * 1024 * 1024;

const BLOCK: usize = 512;

/// Unpacks a `.tar.gz` into its regular files (path → bytes), paths without a leading `./`.
pub fn unpack(gz: &[u8]) -> Result<BTreeMap<String, Vec<u8>>, String> {
    let mut tar = Vec::new();
    flate2::read::GzDecoder::new(gz)
        .take(MAX_UNPACKED + 1)
        .read_to_end(&mut tar)
        .map_err(|e| format!("the template bundle is not a gzip-compressed tar archive: {e}"))?;
    if tar.len() as u64 > MAX_UNPACKED {
        return Err(format!("the template bundle unpacks to more than {MAX_UNPACKED} bytes"));
    }
    read_tar(&tar)
}

fn field(header: &[u8], start: usize, len: usize) -> &[u8] {
    let f = header.get(start..start + len).unwrap_or_default();
    let end = f.iter().position(|b| *b == 0).unwrap_or(f.len());
    f.get(..end).unwrap_or_default()
}

fn octal(header: &[u8], start: usize, len: usize) -> Result<usize, String> {
    let raw = field(header, start, len);
    let text = std::str::from_utf8(raw).map_err(|_| "bad tar header".to_owned())?.trim();
    if text.is_empty() {
        return Ok(0);
    }
    usize::from_str_radix(text, 8).map_err(|_| format!("bad tar size field `{text}`"))
}

fn normalize(path: &str) -> String {
    path.trim_start_matches("./").to_owned()
}

/// The `path` record of a pax extended header (`LEN key=value\n` records), if any.
fn pax_path(data: &[u8]) -> Option<String> {
    let mut rest = std::str::from_utf8(data).ok()?;
    while !rest.is_empty() {
        let (len_text, _) = rest.split_once(' ')?;
        let len: usize = len_text.parse().ok()?;
        let record = rest.get(..len)?;
        let body = record.get(len_text.len() + 1..)?.trim_end_matches('\n');
        if let Some(v) = body.strip_prefix("path=") {
            return Some(v.to_owned());
        }
        rest = rest.get(len..)?;
    }
    None
}

/// Reads a tar archive's regular files.
pub fn read_tar(tar: &[u8]) -> Result<BTreeMap<String, Vec<u8>>, String> {
    let mut files = BTreeMap::new();
    let mut pos = 0;
    let mut next_name: Option<String> = None;
    while let Some(header) = tar.get(pos..pos + BLOCK) {
        if header.iter().all(|b| *b == 0) {
            break;
        }
        let size = octal(header, 124, 12)?;
        let kind = header.get(156).copied().unwrap_or(b'0');
        let data_start = pos + BLOCK;
        let data = tar
            .get(data_start..data_start + size)
            .ok_or_else(|| "the tar archive is truncated".to_owned())?;
        let mut name = String::from_utf8_lossy(field(header, 0, 100)).into_owned();
        if field(header, 257, 5) == b"ustar" {
            let prefix = String::from_utf8_lossy(field(header, 345, 155)).into_owned();
            if !prefix.is_empty() {
                name = format!("{prefix}/{name}");
            }
        }
        match kind {
            b'L' => {
                next_name = Some(String::from_utf8_lossy(field(data, 0, data.len())).into_owned())
            }
            b'x' => next_name = pax_path(data).or(next_name),
            b'0' | 0 | b'7' => {
                let name = next_name.take().unwrap_or(name);
                files.insert(normalize(&name), data.to_vec());
            }
            _ => next_name = None,
        }
        pos = data_start + size.div_ceil(BLOCK) * BLOCK;
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(name: &str, size: usize, kind: u8) -> Vec<u8> {
        let mut h = vec![0u8; BLOCK];
        h[..name.len()].copy_from_slice(name.as_bytes());
        let s = format!("{size:011o}");
        h[124..135].copy_from_slice(s.as_bytes());
        h[156] = kind;
        h[257..262].copy_from_slice(b"ustar");
        h
    }

    fn entry(out: &mut Vec<u8>, name: &str, data: &[u8], kind: u8) {
        out.extend(header(name, data.len(), kind));
        out.extend(data);
        out.resize(out.len().div_ceil(BLOCK) * BLOCK, 0);
    }

    #[test]
    fn reads_files_long_names_and_pax_paths_and_skips_directories() {
        let mut tar = Vec::new();
        entry(&mut tar, "./schema/", b"", b'5');
        entry(&mut tar, "./schema/schema.yaml", b"schema: {}\n", b'0');
        entry(&mut tar, "././@LongLink", b"infrastructure/cloudformation.yaml\0", b'L');
        entry(&mut tar, "short", b"Resources: {}\n", b'0');
        let record = "path=infrastructure/manifest.yaml\n";
        let pax = format!("{} {record}", record.len() + 3);
        entry(&mut tar, "PaxHeader", pax.as_bytes(), b'x');
        entry(&mut tar, "cut", b"infrastructure: {}\n", b'0');
        tar.extend([0u8; 1024]);
        let files = read_tar(&tar).unwrap();
        assert_eq!(files.len(), 3);
        assert_eq!(files["schema/schema.yaml"], b"schema: {}\n");
        assert_eq!(files["infrastructure/cloudformation.yaml"], b"Resources: {}\n");
        assert_eq!(files["infrastructure/manifest.yaml"], b"infrastructure: {}\n");
    }

    #[test]
    fn a_truncated_archive_or_non_gzip_bytes_are_refused() {
        let mut tar = Vec::new();
        entry(&mut tar, "a", b"0123456789", b'0');
        tar.truncate(BLOCK + 4);
        assert!(read_tar(&tar).is_err());
        assert!(unpack(b"not gzip").is_err());
    }
}
