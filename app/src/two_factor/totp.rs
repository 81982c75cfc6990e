//! The codes themselves (RFC 6238 through `totp-rs`: SHA-1, 6 digits,
//! 30-second steps, one step of clock skew either way), the enrolment QR
//! code (SVG, drawn on the server by `qrcode`), and recovery codes.

use qrcode::{render::svg, QrCode};
use rand::{rngs::OsRng, RngCore};
use totp_rs::{Algorithm, TOTP};

/// Seconds per code.
pub const STEP: u64 = 30;
/// How many recovery codes a member gets.
pub const RECOVERY_CODES: usize = 10;
/// The issuer shown in authenticator apps.
pub const ISSUER: &str = "eventurl";

/// 160 random bits, the size RFC 4226 recommends.
pub fn new_secret() -> Vec<u8> {
    let mut secret = vec![0u8; 20];
    OsRng.fill_bytes(&mut secret);
    secret
}

pub fn totp(secret: Vec<u8>, account: &str) -> anyhow::Result<TOTP> {
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        STEP,
        secret,
        Some(ISSUER.to_owned()),
        account.to_owned(),
    )
    .map_err(|e| anyhow::anyhow!("a TOTP secret: {e}"))
}

/// The time step whose code `code` is, within one step of `now` (Unix
/// seconds) either way; `None` if it is none of them.
pub fn matching_step(totp: &TOTP, code: &str, now: u64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let current = now / STEP;
    [current.saturating_sub(1), current, current + 1]
        .into_iter()
        .find(|step| {
            let expected = totp.generate(step * STEP);
            constant_time_eq(expected.as_bytes(), code.as_bytes())
        })
        .and_then(|step| i64::try_from(step).ok())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The `otpauth://` link as a QR code, an SVG document.
pub fn qr_svg(totp: &TOTP) -> anyhow::Result<String> {
    let code = QrCode::new(totp.get_url().as_bytes())?;
    Ok(code
        .render::<svg::Color>()
        .min_dimensions(200, 200)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build())
}

/// Ten codes like `k7m2-x9qp-4d`: 50 random bits each, in an alphabet
/// without look-alikes.
pub fn new_recovery_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut bytes = [0u8; 10];
            OsRng.fill_bytes(&mut bytes);
            let chars: Vec<char> = bytes
                .iter()
                .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
                .collect();
            format!(
                "{}-{}-{}",
                chars[..4].iter().collect::<String>(),
                chars[4..8].iter().collect::<String>(),
                chars[8..].iter().collect::<String>()
            )
        })
        .collect()
}

/// A recovery code as typed, as it is hashed: lower case, spaces and
/// hyphens wherever they were typed put back where the code has them.
pub fn normalize_recovery_code(input: &str) -> String {
    let bare: String = input
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_lowercase();
    if bare.len() == 10 {
        format!("{}-{}-{}", &bare[..4], &bare[4..8], &bare[8..])
    } else {
        bare
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_matches_its_own_step_and_one_either_side_only() {
        let totp = totp(new_secret(), "alice").unwrap();
        let now = 1_800_000_015;
        let step = (now / STEP) as i64;
        let code_at = |t: u64| totp.generate(t);
        assert_eq!(matching_step(&totp, &code_at(now), now), Some(step));
        assert_eq!(
            matching_step(&totp, &code_at(now - STEP), now),
            Some(step - 1)
        );
        assert_eq!(
            matching_step(&totp, &code_at(now + STEP), now),
            Some(step + 1)
        );
        assert_eq!(matching_step(&totp, &code_at(now - 2 * STEP), now), None);
        let spaced = format!("{} {}", &code_at(now)[..3], &code_at(now)[3..]);
        assert_eq!(matching_step(&totp, &spaced, now), Some(step));
        assert_eq!(matching_step(&totp, "12345", now), None);
        assert_eq!(matching_step(&totp, "abcdef", now), None);
    }

    #[test]
    fn recovery_codes_are_ten_distinct_and_read_back_as_typed() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let unique: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(unique.len(), RECOVERY_CODES);
        assert!(codes.iter().all(|c| c.len() == 12));
        assert_eq!(normalize_recovery_code(" K7M2-x9qp-4D "), "k7m2-x9qp-4d");
        assert_eq!(normalize_recovery_code("k7m2x9qp4d"), "k7m2-x9qp-4d");
        assert_eq!(normalize_recovery_code("k7m2 x9qp 4d"), "k7m2-x9qp-4d");
    }

    #[test]
    fn the_qr_code_is_an_svg_of_the_otpauth_link() {
        let totp = totp(new_secret(), "alice").unwrap();
        assert!(totp
            .get_url()
            .starts_with("otpauth://totp/eventurl:alice?secret="));
        let svg = qr_svg(&totp).unwrap();
        assert!(svg.contains("<svg") && svg.contains("</svg>"), "{svg}");
        assert!(
            !svg.contains("style="),
            "the page's CSP allows no inline style"
        );
    }
}
