//! Just enough DER and PEM to move keys between the shapes the crypto libraries want.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// Splits one DER element off the front of `input`: `(tag, contents, rest)`.
fn read_tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, input) = input.split_first()?;
    let (&first, input) = input.split_first()?;
    let (len, input) = if first < 0x80 {
        (usize::from(first), input)
    } else {
        let octets = usize::from(first & 0x7f);
        if octets == 0 || octets > 4 || input.len() < octets {
            return None;
        }
        let (len_bytes, input) = input.split_at(octets);
        let len = len_bytes
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, input)
    };
    if input.len() < len {
        return None;
    }
    let (contents, rest) = input.split_at(len);
    Some((tag, contents, rest))
}

/// The PKCS#1 `RSAPrivateKey` inside a PKCS#8 `PrivateKeyInfo` (RFC 5208 §5).
///
/// jsonwebtoken's aws-lc backend parses RSA signing keys as PKCS#1 only, while aws-lc-rs
/// exports PKCS#8 only, so the testkit unwraps the octet string itself.
pub(crate) fn pkcs1_from_pkcs8(pkcs8: &[u8]) -> Option<Vec<u8>> {
    const SEQUENCE: u8 = 0x30;
    const INTEGER: u8 = 0x02;
    const OCTET_STRING: u8 = 0x04;
    let (tag, info, _) = read_tlv(pkcs8)?;
    if tag != SEQUENCE {
        return None;
    }
    let (tag, _version, info) = read_tlv(info)?;
    if tag != INTEGER {
        return None;
    }
    let (tag, _algorithm, info) = read_tlv(info)?;
    if tag != SEQUENCE {
        return None;
    }
    let (tag, private_key, _) = read_tlv(info)?;
    (tag == OCTET_STRING).then(|| private_key.to_vec())
}

/// RFC 7468 textual encoding: base64 in 64-column lines between BEGIN/END labels.
pub(crate) fn pem(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        // Base64 output is ASCII, so every chunk is valid UTF-8.
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_form_lengths_are_read() {
        let mut der = vec![0x04, 0x82, 0x01, 0x00];
        der.extend(std::iter::repeat_n(7u8, 256));
        let (tag, contents, rest) = read_tlv(&der).expect("valid element");
        assert_eq!((tag, contents.len(), rest.len()), (0x04, 256, 0));
    }

    #[test]
    fn truncated_elements_are_refused() {
        assert!(read_tlv(&[0x30, 0x05, 0x00]).is_none());
        assert!(read_tlv(&[0x30, 0x82, 0x01]).is_none());
        assert!(pkcs1_from_pkcs8(b"not der").is_none());
    }

    #[test]
    fn pem_wraps_at_64_columns() {
        let text = pem("PUBLIC KEY", &[0u8; 100]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "-----BEGIN PUBLIC KEY-----");
        assert_eq!(lines[1].len(), 64);
        assert_eq!(lines.last().copied(), Some("-----END PUBLIC KEY-----"));
    }
}
