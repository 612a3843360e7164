//! Single-use backup codes, for signing in when the authenticator app is lost.
//!
//! A code is 10 characters of Crockford's base32 alphabet, shown as `XXXXX-XXXXX`: easy to
//! read off paper and type, with no I, L, O or U to confuse. That is 50 bits of entropy,
//! plenty against online guessing (which the lockout policy bounds), but far below the
//! 112 bits (NIST's minimum security strength) at which a fast hash such as the SHA3-256 used
//! for session tokens would be safe against someone holding a copy of the database: 2^50
//! SHA3 evaluations take about a day on one GPU. So codes are stored like passwords, as
//! salted Argon2id hashes at OWASP's parameters, where the same search would take millennia.
//! Longer codes would avoid that cost, but 23 characters is too many to type reliably.
//!
//! Because every hash has its own salt, a presented code cannot be looked up: [`find_match`]
//! tries each stored hash in turn, at up to ten Argon2 evaluations per attempt. The store
//! removes the matched hash under a row lock, which is what makes each code single-use.

use crate::identity::ValidationError;
use crate::password::{HashingError, Password, PasswordHash, PasswordHasher};
use crate::secret::Secret;
use rand::CryptoRng;
use zeroize::Zeroizing;

/// How many codes a user is given at a time.
pub const CODE_COUNT: usize = 10;

/// Characters in a code, not counting the separator shown in the middle.
pub const CODE_CHARS: usize = 10;

/// Crockford's base32 alphabet: digits and upper-case letters without I, L, O and U.
pub const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// One backup code, held in canonical form: [`CODE_CHARS`] upper-case characters of
/// [`ALPHABET`] with no separator. `Debug` is redacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupCode(Secret);

impl BackupCode {
    /// A fresh code with 50 bits from `rng`.
    pub fn generate(rng: &mut impl CryptoRng) -> Self {
        let mut bytes = Zeroizing::new([0u8; CODE_CHARS]);
        rng.fill_bytes(bytes.as_mut_slice());
        // 32 divides 256, so keeping the low five bits of a uniform byte is uniform over the
        // alphabet; no rejection sampling is needed.
        let code: String = bytes
            .iter()
            .map(|byte| char::from(ALPHABET[usize::from(byte & 0x1f)]))
            .collect();
        Self(Secret::new(code))
    }

    /// A code as typed by the user. Case, spaces and hyphens are ignored, and the letters
    /// Crockford's alphabet leaves out for looking like digits are read as those digits
    /// (I and L as 1, O as 0), so a code copied with any of those slips still works.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let invalid = || {
            ValidationError::new(
                "backupCode",
                "A backup code has 10 letters and digits, like ABCDE-12345.",
            )
        };
        let mut code = Zeroizing::new(String::with_capacity(CODE_CHARS));
        for c in raw.chars() {
            if c == '-' || c.is_whitespace() {
                continue;
            }
            let c = match c.to_ascii_uppercase() {
                'I' | 'L' => '1',
                'O' => '0',
                c => c,
            };
            if !u8::try_from(c).is_ok_and(|b| ALPHABET.contains(&b)) {
                return Err(invalid());
            }
            code.push(c);
        }
        if code.len() != CODE_CHARS {
            return Err(invalid());
        }
        Ok(Self(Secret::new(code.as_str())))
    }

    /// The canonical form, which is what gets hashed.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }

    /// The form shown to the user, split in two groups of five so it can be read aloud and
    /// typed without losing one's place.
    pub fn grouped(&self) -> Secret {
        let code = self.0.expose();
        let (first, second) = code.split_at(CODE_CHARS / 2);
        Secret::new(format!("{first}-{second}"))
    }

    /// Hashes the code with Argon2id at OWASP's parameters and a fresh salt from `rng`.
    pub fn hash(&self, rng: &mut impl CryptoRng) -> Result<PasswordHash, HashingError> {
        self.hash_with(&PasswordHasher::default(), rng)
    }

    /// Hashes the code with `hasher`, so codes follow whatever cost the deployment uses for
    /// passwords.
    pub fn hash_with(
        &self,
        hasher: &PasswordHasher,
        rng: &mut impl CryptoRng,
    ) -> Result<PasswordHash, HashingError> {
        hasher.hash(&self.as_password()?, rng)
    }

    fn as_password(&self) -> Result<Password, HashingError> {
        // A canonical code is never empty nor over-long, so this cannot fail; the error is
        // mapped rather than unwrapped to keep panics out of the domain.
        Password::for_sign_in(self.0.expose().to_owned())
            .map_err(|e| HashingError::Hashing(e.to_string()))
    }
}

/// A full set of [`CODE_COUNT`] distinct codes.
pub fn generate_set(rng: &mut impl CryptoRng) -> Vec<BackupCode> {
    let mut codes: Vec<BackupCode> = Vec::with_capacity(CODE_COUNT);
    while codes.len() < CODE_COUNT {
        let code = BackupCode::generate(rng);
        // A repeat among ten 50-bit codes is about a one in 10^13 event, but the user is promised
        // ten different codes, so a repeat is simply drawn again.
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    codes
}

/// The index in `stored_hashes` of the hash that `code` matches, if any. Each entry is an
/// Argon2 PHC string as produced by [`BackupCode::hash`]; entries that do not parse never
/// match. The search stops at the first match: by then the outcome is decided, and the
/// position of a code in the list tells an attacker nothing.
pub fn find_match(code: &BackupCode, stored_hashes: &[String]) -> Option<usize> {
    let password = code.as_password().ok()?;
    // Verification reads the cost from each stored hash, so the hasher's own cost is unused.
    let hasher = PasswordHasher::default();
    stored_hashes.iter().position(|stored| {
        hasher.verify(&password, Some(&PasswordHash::from_stored(stored.clone())))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::password::Argon2Cost;
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;
    use rstest::rstest;

    fn rng() -> StdRng {
        StdRng::seed_from_u64(5)
    }

    /// Argon2 at OWASP's cost takes tens of milliseconds per hash; most tests only need the
    /// matching logic, which is the same at the lowest cost Argon2 allows.
    fn cheap_hasher() -> PasswordHasher {
        PasswordHasher::with_cost(Argon2Cost {
            memory_kib: 8,
            iterations: 1,
            parallelism: 1,
        })
        .unwrap()
    }

    fn hash_all(codes: &[BackupCode]) -> Vec<String> {
        let hasher = cheap_hasher();
        let mut rng = rng();
        codes
            .iter()
            .map(|code| {
                code.hash_with(&hasher, &mut rng)
                    .unwrap()
                    .as_str()
                    .to_owned()
            })
            .collect()
    }

    fn code(raw: &str) -> BackupCode {
        BackupCode::parse(raw).unwrap()
    }

    #[test]
    fn a_set_is_ten_distinct_codes_in_the_alphabet() {
        let codes = generate_set(&mut rng());
        assert_eq!(codes.len(), CODE_COUNT);
        for (i, a) in codes.iter().enumerate() {
            assert_eq!(a.expose().len(), CODE_CHARS);
            assert!(a.expose().bytes().all(|b| ALPHABET.contains(&b)));
            for b in &codes[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn codes_are_shown_in_two_groups_of_five() {
        for code in generate_set(&mut rng()) {
            let grouped = code.grouped();
            let shown = grouped.expose();
            assert_eq!(shown.len(), 11, "{shown}");
            assert_eq!(&shown[5..6], "-", "{shown}");
            assert_eq!(shown.replace('-', ""), code.expose());
            assert_eq!(BackupCode::parse(shown).unwrap(), code);
        }
    }

    #[test]
    fn generation_uses_the_whole_alphabet() {
        // 2,000 uniform draws miss a given letter with probability (31/32)^2000, about e^-63;
        // a generator stuck on part of the alphabet would fail at once.
        let mut rng = rng();
        let mut seen = [false; 32];
        for _ in 0..200 {
            for b in BackupCode::generate(&mut rng).expose().bytes() {
                if let Some(i) = ALPHABET.iter().position(|&a| a == b) {
                    seen[i] = true;
                }
            }
        }
        assert!(seen.iter().all(|&s| s), "{seen:?}");
    }

    #[rstest]
    #[case::canonical("ABCDE12345", Some("ABCDE12345"))]
    #[case::grouped("ABCDE-12345", Some("ABCDE12345"))]
    #[case::lower_case("abcde-12345", Some("ABCDE12345"))]
    #[case::spaces("  abcde 12345 ", Some("ABCDE12345"))]
    #[case::tab_and_extra_hyphens("ab-cde\t12-345", Some("ABCDE12345"))]
    #[case::i_and_l_read_as_one("ABCDE-IlLi5", Some("ABCDE11115"))]
    #[case::o_read_as_zero("oOXYZ-12345", Some("00XYZ12345"))]
    #[case::u_is_not_in_the_alphabet("ABCDE-1234U", None)]
    #[case::punctuation("ABCDE.12345", None)]
    #[case::too_short("ABCDE-1234", None)]
    #[case::too_long("ABCDE-123456", None)]
    #[case::empty("", None)]
    #[case::only_separators(" - - ", None)]
    #[case::non_ascii_dash("ABCDE\u{2013}12345", None)]
    #[case::fullwidth_letter("ＡBCDE-12345", None)]
    fn input_is_normalised(#[case] raw: &str, #[case] expected: Option<&str>) {
        assert_eq!(
            BackupCode::parse(raw).ok().as_ref().map(BackupCode::expose),
            expected
        );
    }

    #[test]
    fn parse_errors_name_the_field() {
        assert_eq!(BackupCode::parse("nope").unwrap_err().field, "backupCode");
    }

    #[test]
    fn each_code_matches_its_own_hash_and_no_other() {
        let codes = generate_set(&mut rng());
        let hashes = hash_all(&codes);
        for (i, code) in codes.iter().enumerate() {
            assert_eq!(find_match(code, &hashes), Some(i));
            let mut others = hashes.clone();
            others.remove(i);
            assert_eq!(find_match(code, &others), None);
        }
        let never_issued = BackupCode::generate(&mut StdRng::seed_from_u64(99));
        assert!(!codes.contains(&never_issued));
        assert_eq!(find_match(&never_issued, &hashes), None);
    }

    #[test]
    fn a_used_code_no_longer_matches_and_the_rest_still_do() {
        let codes = generate_set(&mut rng());
        let mut hashes = hash_all(&codes);
        let used = &codes[3];
        let at = find_match(used, &hashes).unwrap();
        hashes.remove(at);
        assert_eq!(find_match(used, &hashes), None);
        for code in codes.iter().filter(|c| *c != used) {
            assert!(find_match(code, &hashes).is_some());
        }
    }

    #[test]
    fn typed_variants_match_the_stored_code() {
        let issued = code("0A1B2-C3D4E");
        let hashes = hash_all(std::slice::from_ref(&issued));
        for typed in ["0a1b2c3d4e", "oa1b2 c3d4e", "OAlB2-C3D4E"] {
            assert_eq!(find_match(&code(typed), &hashes), Some(0), "{typed}");
        }
    }

    #[test]
    fn unparseable_stored_entries_never_match() {
        let issued = code("ABCDE-12345");
        let mut hashes = vec!["garbage".to_owned(), String::new()];
        hashes.extend(hash_all(std::slice::from_ref(&issued)));
        assert_eq!(find_match(&issued, &hashes), Some(2));
        assert_eq!(find_match(&issued, &[]), None);
    }

    #[test]
    fn codes_are_stored_as_argon2id_at_owasp_parameters() {
        let issued = code("ABCDE-12345");
        let hash = issued.hash(&mut rng()).unwrap();
        assert!(hash.as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(!hash.as_str().contains(issued.expose()));
        let stored = vec![hash.as_str().to_owned()];
        assert_eq!(find_match(&issued, &stored), Some(0));
    }

    #[test]
    fn debug_output_hides_the_code() {
        let issued = code("ABCDE-12345");
        let debug = format!("{issued:?}");
        assert!(!debug.contains("ABCDE"), "{debug}");
        assert_eq!(format!("{:?}", issued.grouped()), "[redacted]");
    }

    proptest! {
        #[test]
        fn any_shown_code_parses_back_however_it_is_retyped(
            seed in any::<u64>(),
            lower in any::<bool>(),
            separator in prop::sample::select(vec!["-", " ", "", " - "]),
        ) {
            let issued = BackupCode::generate(&mut StdRng::seed_from_u64(seed));
            let grouped = issued.grouped();
            let mut typed = grouped.expose().replace('-', separator);
            if lower {
                typed = typed.to_lowercase();
            }
            prop_assert_eq!(BackupCode::parse(&typed).unwrap(), issued);
        }
    }
}
