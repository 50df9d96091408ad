//! Web Key Directory names (draft-koch-openpgp-webkey-service): where a key for an address
//! is published, `/.well-known/openpgpkey/hu/` + the z-base-32 encoded SHA-1 of the
//! lower-cased local part.

use sha1::{Digest as _, Sha1};

/// z-base-32 (RFC 6189 section 5.1.6): 5 bits a character, no padding.
fn zbase32() -> data_encoding::Encoding {
    let mut spec = data_encoding::Specification::new();
    spec.symbols.push_str("ybndrfg8ejkmcpqxot1uwisza345h769");
    spec.encoding().expect("a valid alphabet of 32 symbols")
}

/// The hashed name of a local part (`Joe.Doe` of `Joe.Doe@example.org`): 32 characters.
/// Only ASCII letters are lower-cased, as the draft says.
pub fn hashed_local_part(local_part: &str) -> String {
    let lower = local_part.to_ascii_lowercase();
    zbase32().encode(&Sha1::digest(lower.as_bytes()))
}

/// The local part and domain of an address, if it has both.
pub fn split_address(address: &str) -> Option<(&str, &str)> {
    let (local, domain) = address.rsplit_once('@')?;
    (!local.is_empty() && !domain.is_empty()).then_some((local, domain))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_drafts_example_hashes_as_published() {
        // draft-koch-openpgp-webkey-service, section 3.1: "Joe.Doe@Example.ORG".
        assert_eq!(
            hashed_local_part("Joe.Doe"),
            "iy9q119eutrkn8s1mk4r39qejnbu3n5q"
        );
        assert_eq!(
            split_address("Joe.Doe@Example.ORG"),
            Some(("Joe.Doe", "Example.ORG"))
        );
        assert_eq!(split_address("nobody"), None);
    }
}
