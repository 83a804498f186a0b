//! The closed set of validators a detector file may name.
//!
//! A regex only finds candidates of the right shape; the validator decides whether a candidate is a
//! real identifier (checksum, structure, ranges) and whether it is a known documentation or test value
//! that must never be reported. Validators are pure functions of the matched bytes: no I/O, no
//! allocation beyond the normalised form, and they never fail: they return a [`Verdict`].
//!
//! What this module does not do: look at surrounding text (that is `detect::context`) or decide what
//! a file's category is (that is `classify`).

use serde::Deserialize;

/// The names a detector's `validator` key may take. Unknown names are a detector-file error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValidatorKind {
    /// No check beyond the regex.
    None,
    /// No check, compared by letters and digits in upper case: a phrase (an examination rubric
    /// line, a contract clause) or a number with no format of its own (a student number).
    Phrase,
    /// National Insurance number prefix and suffix rules.
    UkNino,
    /// NHS number (England, Wales, Isle of Man) or Northern Ireland H&C number: mod 11 and ranges.
    NhsNumber,
    /// Scottish CHI number: mod 11 and a real date of birth in the first six digits.
    ChiNumber,
    /// Unique Learner Number: weighted sum mod 11 equals 10.
    UkUln,
    /// Unique Taxpayer Reference: mod 11 check digit in first position.
    UkUtr,
    /// Payment card: IIN and length table, then Luhn.
    PaymentCard,
    /// IBAN: country length table and ISO 7064 mod 97-10.
    Iban,
    /// GB driving licence: surname block, encoded date of birth, initials.
    UkDrivingLicence,
    /// UK passport: 9-digit booklet number, or a machine-readable zone line with check digits.
    UkPassport,
    /// UK postcode: letter position rules (the regex does most of the work).
    UkPostcode,
    /// UK telephone number: number-plan lengths, Ofcom drama ranges suppressed.
    UkPhone,
    /// E-mail address: plausible domain, documentation domains suppressed.
    Email,
    /// A calendar date that is a plausible date of birth.
    DateOfBirth,
    /// Sort code and account number pair.
    UkBankAccount,
    /// A password value: placeholders and templates are not passwords.
    PasswordValue,
    /// A protective-marking line: natural language, not code or configuration.
    Marking,
}

/// What a validator says about one candidate. Scoring is staged (base, then validator, then context):
/// the validator can only keep, cap or fix the tier, and context lifts only a plain `Valid`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// A real identifier: the detector's base tier, or its context tier when context words are near.
    Valid,
    /// Real but weak (a reserved range, an administrative prefix, a role mailbox): `Low` whatever the
    /// context.
    Weak,
    /// Unambiguous on its own (a passport machine-readable line with good check digits): `High`.
    Strong,
    /// Not an identifier: impossible date, bad structure.
    Invalid,
    /// Well-formed for its kind, but its check digit is wrong: not an identifier. Counted, because
    /// a text where such numbers pass no more often than chance is a table of numbers (see the
    /// engine's `demote_chance_passes`).
    WrongCheckDigit,
    /// Well-formed but a published documentation, test or fictional value: never reported as a
    /// finding, only counted.
    Suppressed,
}

impl ValidatorKind {
    /// Judges a normalised candidate (see [`normalise`]); `raw` is the matched text as found, for the
    /// validators that care about its separators.
    pub fn check(self, raw: &[u8], normalised: &[u8]) -> Verdict {
        match self {
            ValidatorKind::None | ValidatorKind::Phrase => Verdict::Valid,
            ValidatorKind::UkNino => check_nino(raw, normalised),
            ValidatorKind::NhsNumber => check_nhs_number(raw, normalised),
            ValidatorKind::ChiNumber => check_chi_number(raw, normalised),
            ValidatorKind::UkUln => check_uln(normalised),
            ValidatorKind::UkUtr => check_utr(normalised),
            ValidatorKind::PaymentCard => check_payment_card(raw, normalised),
            ValidatorKind::Iban => check_iban(normalised),
            ValidatorKind::UkDrivingLicence => check_driving_licence(normalised),
            ValidatorKind::UkPassport => check_passport(normalised),
            ValidatorKind::UkPostcode => check_postcode(normalised),
            ValidatorKind::UkPhone => check_phone(normalised),
            ValidatorKind::Email => check_email(normalised),
            ValidatorKind::DateOfBirth => check_date_of_birth(raw),
            ValidatorKind::UkBankAccount => check_bank_account(raw),
            ValidatorKind::PasswordValue => check_password_value(normalised),
            ValidatorKind::Marking => check_marking(raw),
        }
    }

    /// How this validator's candidates are normalised before checking, fingerprinting and masking.
    pub fn normalisation(self) -> Normalisation {
        match self {
            ValidatorKind::Email => Normalisation::Lowercase,
            ValidatorKind::PasswordValue
            | ValidatorKind::None
            | ValidatorKind::DateOfBirth
            | ValidatorKind::Marking => Normalisation::AsFound,
            ValidatorKind::UkBankAccount => Normalisation::DigitsOnly,
            _ => Normalisation::AlphanumericUpper,
        }
    }
}

/// How a candidate is put into one canonical form, so that `AB 12 34 56 C` and `ab123456c` count as
/// one distinct value and get one fingerprint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Normalisation {
    /// Keep the bytes as matched.
    AsFound,
    /// ASCII lower case (e-mail addresses).
    Lowercase,
    /// Keep ASCII letters and digits only, upper-cased (identifiers printed with separators).
    AlphanumericUpper,
    /// Keep ASCII digits only.
    DigitsOnly,
}

/// Puts `raw` into the canonical form named by `how`.
pub fn normalise(raw: &[u8], how: Normalisation) -> Vec<u8> {
    match how {
        Normalisation::AsFound => raw.to_vec(),
        Normalisation::Lowercase => raw.to_ascii_lowercase(),
        Normalisation::AlphanumericUpper => {
            raw.iter().filter(|b| b.is_ascii_alphanumeric() || **b == b'<').map(u8::to_ascii_uppercase).collect()
        }
        Normalisation::DigitsOnly => raw.iter().copied().filter(u8::is_ascii_digit).collect(),
    }
}

fn digit_values(digits: &[u8]) -> Option<Vec<u32>> {
    digits.iter().map(|b| b.is_ascii_digit().then(|| u32::from(b - b'0'))).collect()
}

/// True when every run of separators between alphanumeric groups in `raw` is the same string
/// (`943 476 5919` and `9434765919` pass, `943-476 5919` does not). Cuts false positives from table
/// cells glued together.
pub fn separators_are_consistent(raw: &[u8]) -> bool {
    let mut first: Option<&[u8]> = None;
    let mut i = 0;
    while i < raw.len() {
        if raw[i].is_ascii_alphanumeric() {
            i += 1;
            continue;
        }
        let start = i;
        while i < raw.len() && !raw[i].is_ascii_alphanumeric() {
            i += 1;
        }
        let sep = &raw[start..i];
        match first {
            None => first = Some(sep),
            Some(f) if f != sep => return false,
            Some(_) => {}
        }
    }
    true
}

/// National Insurance number: prefix letter rules, excluded prefixes, suffix A–D, consistent
/// grouping. HMRC's own example prefix `QQ` fails the letter rules.
fn check_nino(raw: &[u8], n: &[u8]) -> Verdict {
    if n.len() != 9 {
        return Verdict::Invalid;
    }
    let (first, second) = (n[0], n[1]);
    if b"DFIQUV".contains(&first) || b"DFIOQUV".contains(&second) {
        return Verdict::Invalid;
    }
    let prefix = &n[..2];
    const EXCLUDED: [&[u8]; 7] = [b"BG", b"GB", b"KN", b"NK", b"NT", b"TN", b"ZZ"];
    if EXCLUDED.contains(&prefix) {
        return Verdict::Invalid;
    }
    if !n[2..8].iter().all(u8::is_ascii_digit) || !b"ABCD".contains(&n[8]) {
        return Verdict::Invalid;
    }
    // `AB 123456 C` is a common form-field grouping besides the uniform ones.
    let grouped_block = raw.len() == 11 && raw[2] == b' ' && raw[9] == b' ';
    if !grouped_block && !separators_are_consistent(raw) {
        return Verdict::Invalid;
    }
    // A real number is written in one case. Mixed case is prose or a hash (`As 503748d`); a
    // lower-case run with no spaces is more often a short hex hash (`bc899650c`) than a number.
    let has_lower = raw.iter().any(u8::is_ascii_lowercase);
    if has_lower && raw.iter().any(u8::is_ascii_uppercase) {
        return Verdict::Invalid;
    }
    let lower_case_run = has_lower && raw.iter().all(u8::is_ascii_alphanumeric);
    // Administrative and pseudo prefixes pass the letter rules but are not personal numbers.
    const ADMIN: [&[u8]; 6] = [b"CR", b"MW", b"NC", b"PP", b"PY", b"PZ"];
    if ADMIN.contains(&prefix) || lower_case_run {
        return Verdict::Weak;
    }
    Verdict::Valid
}

/// Weighted sum used by the NHS, CHI and ULN checks: `sum(d_i * (11 - i))` over the first `len` digits.
fn weighted_sum_mod11(d: &[u32], len: usize) -> u32 {
    d[..len].iter().enumerate().map(|(i, v)| v * (10 - i as u32)).sum::<u32>() % 11
}

/// The NHS/CHI/H&C mod-11 check: the check digit is `11 - (sum mod 11)`, 11 becomes 0, 10 is never issued.
pub fn nhs_mod11_is_valid(digits: &[u8]) -> bool {
    let Some(d) = digit_values(digits) else {
        return false;
    };
    if d.len() != 10 {
        return false;
    }
    let check = match 11 - weighted_sum_mod11(&d, 9) {
        11 => 0,
        10 => return false,
        c => c,
    };
    check == d[9]
}

/// NHS number (England, Wales, Isle of Man) or Northern Ireland H&C number. Ranges decide confidence:
/// 9xx are synthetic test patients (suppressed), 5xx and 86x–89x are never issued (low), CHI-range
/// numbers belong to the CHI detector.
fn check_nhs_number(raw: &[u8], n: &[u8]) -> Verdict {
    if n.len() != 10 || !separators_are_consistent(raw) {
        return Verdict::Invalid;
    }
    if !nhs_mod11_is_valid(n) {
        return Verdict::WrongCheckDigit;
    }
    let leading3: u32 = n[..3].iter().fold(0, |acc, b| acc * 10 + u32::from(b - b'0'));
    match n[0] {
        b'4' | b'6' | b'7' => Verdict::Valid,
        b'3' if leading3 >= 320 => Verdict::Valid,
        b'9' => Verdict::Suppressed,
        b'5' => Verdict::Weak,
        b'8' if leading3 >= 860 => Verdict::Weak,
        _ => Verdict::Invalid,
    }
}

/// Scottish CHI number: DDMMYY date of birth, serial, sex digit, mod-11 check.
fn check_chi_number(raw: &[u8], n: &[u8]) -> Verdict {
    if n.len() != 10 || !nhs_mod11_is_valid(n) || !separators_are_consistent(raw) {
        return Verdict::Invalid;
    }
    let Some(d) = digit_values(&n[..6]) else {
        return Verdict::Invalid;
    };
    let day = d[0] * 10 + d[1];
    let month = d[2] * 10 + d[3];
    let yy = d[4] * 10 + d[5];
    // Two-digit year: either century gives the same leap-year answer except for 1900 vs 2000; accept
    // 29 February in year 00.
    let year = if yy == 0 { 2000 } else { 1900 + yy };
    if is_real_date(year, month, day) {
        Verdict::Valid
    } else {
        Verdict::Invalid
    }
}

/// Unique Learner Number: 10 digits, first not 0, `sum(d_i * (11 - i)) mod 11 == 10` over all ten.
fn check_uln(n: &[u8]) -> Verdict {
    let Some(d) = digit_values(n) else {
        return Verdict::Invalid;
    };
    if d.len() != 10 || d[0] == 0 {
        return Verdict::Invalid;
    }
    let sum: u32 = d.iter().enumerate().map(|(i, v)| v * (10 - i as u32)).sum();
    if sum % 11 == 10 {
        Verdict::Valid
    } else {
        Verdict::Invalid
    }
}

/// Unique Taxpayer Reference: the first digit is a check over the other nine (trailing `K` stripped).
fn check_utr(n: &[u8]) -> Verdict {
    let n = n.strip_suffix(b"K").unwrap_or(n);
    let Some(d) = digit_values(n) else {
        return Verdict::Invalid;
    };
    if d.len() != 10 {
        return Verdict::Invalid;
    }
    const WEIGHTS: [u32; 9] = [6, 7, 8, 9, 10, 5, 4, 3, 2];
    let r = d[1..].iter().zip(WEIGHTS).map(|(v, w)| v * w).sum::<u32>() % 11;
    let expected = b"21987654321"[r as usize] - b'0';
    if u32::from(expected) == d[0] {
        Verdict::Valid
    } else {
        Verdict::Invalid
    }
}

/// The Luhn (mod 10) check over ASCII digits.
pub fn luhn_is_valid(digits: &[u8]) -> bool {
    let Some(d) = digit_values(digits) else {
        return false;
    };
    let sum: u32 = d
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &v)| {
            if i % 2 == 1 {
                let x = v * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                v
            }
        })
        .sum();
    !d.is_empty() && sum.is_multiple_of(10)
}

/// Card brands by issuer identification number prefix range and the lengths each allows.
/// (prefix low, prefix high, prefix digits, min length, max length)
const CARD_IIN_TABLE: &[(u32, u32, usize, usize, usize)] = &[
    (4, 4, 1, 13, 19),           // Visa: 13, 16 or 19 (checked below)
    (51, 55, 2, 16, 16),         // Mastercard
    (2221, 2720, 4, 16, 16),     // Mastercard 2-series
    (34, 34, 2, 15, 15),         // American Express
    (37, 37, 2, 15, 15),         // American Express
    (5018, 5018, 4, 12, 19),     // Maestro
    (5020, 5020, 4, 12, 19),     // Maestro
    (5038, 5038, 4, 12, 19),     // Maestro
    (5893, 5893, 4, 12, 19),     // Maestro
    (6304, 6304, 4, 12, 19),     // Maestro
    (6759, 6759, 4, 12, 19),     // Maestro UK
    (6761, 6763, 4, 12, 19),     // Maestro
    (676770, 676770, 6, 12, 19), // Maestro UK
    (676774, 676774, 6, 12, 19), // Maestro UK
    (6011, 6011, 4, 16, 19),     // Discover
    (644, 649, 3, 16, 19),       // Discover
    (65, 65, 2, 16, 19),         // Discover
    (3528, 3589, 4, 16, 19),     // JCB
    (36, 36, 2, 14, 19),         // Diners Club
    (300, 305, 3, 14, 19),       // Diners Club
    (3095, 3095, 4, 14, 19),     // Diners Club
    (38, 39, 2, 14, 19),         // Diners Club
    (62, 62, 2, 16, 19),         // UnionPay (covers Discover 622126–622925)
];

/// Published test card numbers that pass Luhn; they appear in documentation and test data.
const TEST_CARD_NUMBERS: &[&[u8]] = &[
    b"4111111111111111",
    b"4012888888881881",
    b"4222222222222",
    b"5555555555554444",
    b"5105105105105100",
    b"378282246310005",
    b"371449635398431",
    b"6011111111111117",
    b"3530111333300000",
    b"30569309025904",
    b"4242424242424242",
    b"4000056655665556",
    b"5200828282828210",
];

fn card_brand_allows(n: &[u8]) -> bool {
    let len = n.len();
    CARD_IIN_TABLE.iter().any(|&(low, high, digits, min, max)| {
        let Some(prefix) = n.get(..digits) else {
            return false;
        };
        let p: u32 = prefix.iter().fold(0, |acc, b| acc * 10 + u32::from(b - b'0'));
        let visa_length_ok = low != 4 || matches!(len, 13 | 16 | 19);
        (low..=high).contains(&p) && (min..=max).contains(&len) && visa_length_ok
    })
}

/// Payment card number: accepted groupings only (4-4-4-4(-3), 4-6-5, 4-6-4 or none), a known IIN
/// with a length it allows, then Luhn. Published test numbers are suppressed.
fn check_payment_card(raw: &[u8], n: &[u8]) -> Verdict {
    if !card_grouping_is_plausible(raw) || !card_brand_allows(n) {
        return Verdict::Invalid;
    }
    if !luhn_is_valid(n) {
        return Verdict::WrongCheckDigit;
    }
    if TEST_CARD_NUMBERS.contains(&n) || n.iter().skip(1).all(|&b| b == n[1]) {
        return Verdict::Suppressed;
    }
    if n.len() == 13 && gs1_check_digit_is_valid(n) {
        return Verdict::Weak;
    }
    Verdict::Valid
}

/// GS1 General Specifications §7.9: from the right, digits before the check digit are weighted
/// 3, 1, 3, ...; the check digit brings the sum to a multiple of 10 (EAN-13, GTIN, UPC).
fn gs1_check_digit_is_valid(digits: &[u8]) -> bool {
    let Some((&check, body)) = digits.split_last() else {
        return false;
    };
    let sum: u32 =
        body.iter().rev().enumerate().map(|(i, d)| u32::from(d - b'0') * if i % 2 == 0 { 3 } else { 1 }).sum();
    (10 - sum % 10) % 10 == u32::from(check - b'0')
}

fn card_grouping_is_plausible(raw: &[u8]) -> bool {
    if !separators_are_consistent(raw) {
        return false;
    }
    let groups: Vec<usize> = raw.split(|b| !b.is_ascii_digit()).filter(|g| !g.is_empty()).map(<[u8]>::len).collect();
    match groups.as_slice() {
        [_] => true,
        [4, 4, 4, 4] | [4, 4, 4, 4, 3] | [4, 6, 5] | [4, 6, 4] | [4, 4, 4, 1] | [4, 4, 4, 3] => true,
        g => g.len() >= 3 && g[..g.len() - 1].iter().all(|&x| x == 4) && g[g.len() - 1] <= 4,
    }
}

/// IBAN lengths by country for the countries UK staff most often hold accounts in; other countries
/// are accepted on the checksum alone with a length between 15 and 34.
const IBAN_LENGTHS: &[(&[u8; 2], usize)] = &[
    (b"GB", 22),
    (b"IE", 22),
    (b"DE", 22),
    (b"FR", 27),
    (b"ES", 24),
    (b"IT", 27),
    (b"NL", 18),
    (b"BE", 16),
    (b"PT", 25),
    (b"PL", 28),
    (b"CH", 21),
    (b"AT", 20),
    (b"SE", 24),
    (b"DK", 18),
    (b"NO", 15),
    (b"FI", 18),
    (b"GR", 27),
    (b"LU", 20),
    (b"GI", 23),
    (b"IM", 22),
    (b"JE", 22),
    (b"GG", 22),
];

/// ISO 7064 mod 97-10 over an IBAN in compact upper-case form.
pub fn iban_mod97_is_valid(n: &[u8]) -> bool {
    if n.len() < 15 || n.len() > 34 || !n.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    let rearranged = n[4..].iter().chain(&n[..4]);
    let mut rem: u32 = 0;
    for &b in rearranged {
        if b.is_ascii_digit() {
            rem = (rem * 10 + u32::from(b - b'0')) % 97;
        } else {
            let v = u32::from(b - b'A') + 10;
            rem = (rem * 100 + v) % 97;
        }
    }
    rem == 1
}

fn check_iban(n: &[u8]) -> Verdict {
    if n.len() < 4 || !n[..2].iter().all(u8::is_ascii_uppercase) {
        return Verdict::Invalid;
    }
    if let Some((_, len)) = IBAN_LENGTHS.iter().find(|(c, _)| c[..] == n[..2]) {
        if n.len() != *len {
            return Verdict::Invalid;
        }
    }
    if !iban_mod97_is_valid(n) {
        return Verdict::Invalid;
    }
    // The ISO 13616 example IBAN appears in every bank's documentation.
    if n == b"GB29NWBK60161331926819" || n == b"GB82WEST12345698765432" {
        return Verdict::Suppressed;
    }
    Verdict::Valid
}

fn is_leap_year(year: u32) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

/// True when `day`/`month`/`year` names a real calendar day.
pub fn is_real_date(year: u32, month: u32, day: u32) -> bool {
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days_in_month).contains(&day)
}

/// GB driving licence number (16 characters, optional 2-digit issue number).
fn check_driving_licence(n: &[u8]) -> Verdict {
    let n = if n.len() == 18 { &n[..16] } else { n };
    if n.len() != 16 {
        return Verdict::Invalid;
    }
    let surname = &n[..5];
    let letters = surname.iter().take_while(|b| b.is_ascii_uppercase()).count();
    if letters == 0 || !surname[letters..].iter().all(|&b| b == b'9') {
        return Verdict::Invalid;
    }
    let Some(d) = digit_values(&n[5..11]) else {
        return Verdict::Invalid;
    };
    let month_coded = d[1] * 10 + d[2];
    let month = if month_coded > 50 { month_coded - 50 } else { month_coded };
    let day = d[3] * 10 + d[4];
    // Only the year mod 100 is encoded; within 2000–2099 leap years are exactly those divisible by
    // 4, which is also right for every birth year a licence holder has (1900 excepted).
    let year = 2000 + d[0] * 10 + d[5];
    if !is_real_date(year, month, day) {
        return Verdict::Invalid;
    }
    let initials_ok = n[11].is_ascii_uppercase() && (n[12].is_ascii_uppercase() || n[12] == b'9');
    let tail_ok = n[13].is_ascii_alphanumeric() && n[14..].iter().all(u8::is_ascii_uppercase);
    if initials_ok && tail_ok {
        Verdict::Valid
    } else {
        Verdict::Invalid
    }
}

/// ICAO 9303 check digit: weights 7, 3, 1; digits as themselves, A–Z as 10–35, `<` as 0.
pub fn mrz_check_digit(field: &[u8]) -> Option<u8> {
    let mut sum: u32 = 0;
    for (i, &b) in field.iter().enumerate() {
        let v = match b {
            b'0'..=b'9' => u32::from(b - b'0'),
            b'A'..=b'Z' => u32::from(b - b'A') + 10,
            b'<' => 0,
            _ => return None,
        };
        sum += v * [7, 3, 1][i % 3];
    }
    Some((sum % 10) as u8)
}

fn mrz_field_is_valid(field: &[u8], check: u8) -> bool {
    let expected = if check == b'<' { Some(0) } else { check.checked_sub(b'0') };
    mrz_check_digit(field).is_some() && mrz_check_digit(field) == expected
}

/// UK passport: a 9-digit booklet number (context decides), or a TD3 machine-readable line 2 whose
/// number, birth date, expiry and composite check digits all agree (high confidence on its own).
fn check_passport(n: &[u8]) -> Verdict {
    if n.len() == 9 {
        let all_same = n.iter().all(|&b| b == n[0]);
        return if n.iter().all(u8::is_ascii_digit) && !all_same { Verdict::Valid } else { Verdict::Invalid };
    }
    if n.len() != 44 {
        return Verdict::Invalid;
    }
    let fields_ok = mrz_field_is_valid(&n[0..9], n[9])
        && mrz_field_is_valid(&n[13..19], n[19])
        && mrz_field_is_valid(&n[21..27], n[27])
        && (n[42] == b'<' || mrz_field_is_valid(&n[28..42], n[42]));
    let composite: Vec<u8> = [&n[0..10], &n[13..20], &n[21..43]].concat();
    if fields_ok && mrz_field_is_valid(&composite, n[43]) {
        Verdict::Strong
    } else {
        Verdict::Invalid
    }
}

/// UK postcode: inward letters exclude C, I, K, M, O, V; the regex enforces the outward rules.
fn check_postcode(n: &[u8]) -> Verdict {
    if n.len() < 5 || n.len() > 7 {
        return Verdict::Invalid;
    }
    let inward = &n[n.len() - 3..];
    if !inward[0].is_ascii_digit() || inward[1..].iter().any(|b| b"CIKMOV".contains(b)) {
        return Verdict::Invalid;
    }
    Verdict::Valid
}

/// Ofcom numbers reserved for drama: (national-format prefix, digits that follow to make the block).
const OFCOM_DRAMA_PREFIXES: &[&[u8]] = &[
    b"07700900",
    b"01632960",
    b"02079460",
    b"01134960",
    b"01144960",
    b"01154960",
    b"01164960",
    b"01174960",
    b"01184960",
    b"01214960",
    b"01314960",
    b"01414960",
    b"01514960",
    b"01614960",
    b"01914960",
    b"02890180",
    b"02920180",
    b"08081570",
    b"09098790",
    b"03069990",
];

/// UK telephone number in national or international form. The national significant number must
/// have the length the plan gives its prefix; drama numbers are suppressed.
fn check_phone(n: &[u8]) -> Verdict {
    let national: Vec<u8> = if let Some(rest) = n.strip_prefix(b"0044") {
        [b"0".as_slice(), rest.strip_prefix(b"0").unwrap_or(rest)].concat()
    } else if let Some(rest) = n.strip_prefix(b"44") {
        // `+44` lost its plus sign in normalisation; `(0)` after it may remain as a 0.
        [b"0".as_slice(), rest.strip_prefix(b"0").unwrap_or(rest)].concat()
    } else {
        n.to_vec()
    };
    if national.first() != Some(&b'0') || !national.iter().all(u8::is_ascii_digit) {
        return Verdict::Invalid;
    }
    let length_ok = match national.get(1) {
        Some(b'1') => matches!(national.len(), 10 | 11),
        Some(b'2' | b'3' | b'7' | b'9') => national.len() == 11,
        Some(b'8') => matches!(national.len(), 10 | 11),
        _ => false,
    };
    if !length_ok {
        return Verdict::Invalid;
    }
    if OFCOM_DRAMA_PREFIXES.iter().any(|p| national.starts_with(p)) {
        return Verdict::Suppressed;
    }
    Verdict::Valid
}

/// Documentation and reserved domains (RFC 2606, RFC 6761) and addresses nobody reads.
fn email_domain_is_reserved(domain: &[u8]) -> bool {
    const RESERVED: &[&[u8]] = &[b"example.com", b"example.org", b"example.net", b"example"];
    const RESERVED_TLDS: &[&[u8]] = &[b".test", b".invalid", b".example", b".localhost", b".local"];
    RESERVED.iter().any(|d| domain == *d || domain.ends_with(&[b".", *d].concat()))
        || RESERVED_TLDS.iter().any(|t| domain.ends_with(t))
}

/// E-mail address: one `@`, a dotted domain with an alphabetic top-level label; reserved documentation
/// domains are suppressed and role mailboxes are low confidence.
fn check_email(n: &[u8]) -> Verdict {
    let Some(at) = n.iter().position(|&b| b == b'@') else {
        return Verdict::Invalid;
    };
    let (local, domain) = (&n[..at], &n[at + 1..]);
    if local.is_empty() || local.len() > 64 || domain.len() > 253 {
        return Verdict::Invalid;
    }
    let Some(tld) = domain.rsplit(|&b| b == b'.').next() else {
        return Verdict::Invalid;
    };
    // File names such as `icon@2x.png` look like addresses; real top-level domains are not file types.
    const FILE_SUFFIXES: &[&[u8]] = &[b"png", b"jpg", b"jpeg", b"gif", b"svg", b"webp", b"js", b"css"];
    if tld.len() < 2 || !tld.iter().all(u8::is_ascii_alphabetic) || FILE_SUFFIXES.contains(&tld) {
        return Verdict::Invalid;
    }
    if email_domain_is_reserved(domain) {
        return Verdict::Suppressed;
    }
    // SSH algorithm and extension names are `name@domain` (RFC 4251 section 6):
    // `chacha20-poly1305@openssh.com`, `curve25519-sha256@libssh.org`, `no-touch-required@openssh.com`
    // fill ssh_config(5) and sshd logs; they name no one. A developer's own mailbox there has no hyphen.
    let lower_domain = domain.to_ascii_lowercase();
    if [b"openssh.com".as_slice(), b"libssh.org"].contains(&lower_domain.as_slice()) && local.contains(&b'-') {
        return Verdict::Invalid;
    }
    const ROLE_MAILBOXES: &[&[u8]] = &[
        b"noreply",
        b"no-reply",
        b"donotreply",
        b"admissions",
        b"enquiries",
        b"info",
        b"support",
        b"helpdesk",
        b"servicedesk",
        b"postmaster",
        b"webmaster",
        b"admin",
        b"office",
        b"reception",
    ];
    if ROLE_MAILBOXES.contains(&local) {
        return Verdict::Weak;
    }
    Verdict::Valid
}

const MONTH_NAMES: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

/// Splits a date as people and spreadsheets write it into (day, month, year): day-first numeric
/// dates (`15/03/1985`, `3-3-85`), ISO and other year-first dates (`1985-03-03`, `1985/03/03`),
/// written months (`3rd of March 2001`, `03-Mar-1985`, `3 Mar 85`) and month-first ones (`March 3,
/// 1985`). A numeric date whose middle number cannot be a month but whose first can (`5/25/1989`)
/// is read month first, as a US form writes it; an ambiguous one (`05/03/1989`) is read day first,
/// as UK documents write it.
fn parse_uk_date(raw: &[u8]) -> Option<(u32, u32, u32)> {
    let text = std::str::from_utf8(raw).ok()?.to_ascii_lowercase();
    let parts: Vec<&str> =
        text.split(|c: char| !c.is_ascii_alphanumeric()).filter(|p| !p.is_empty() && *p != "of").collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    let number = |s: &str| -> Option<u32> { s.trim_end_matches(|c: char| c.is_ascii_alphabetic()).parse().ok() };
    let month_name = |s: &str| MONTH_NAMES.iter().position(|m| s.starts_with(m)).map(|i| i as u32 + 1);
    let month_of = |s: &str| s.parse::<u32>().ok().or_else(|| month_name(s));
    if a.len() == 4 {
        return Some((number(c)?, month_of(b)?, number(a)?));
    }
    let (day, month) = match month_name(a) {
        Some(month) => (number(b)?, month),
        None => (number(a)?, month_of(b)?),
    };
    let (day, month) = if month > 12 && day <= 12 { (month, day) } else { (day, month) };
    Some((day, month, full_year(c)?))
}

/// A year as written: four digits, or two (00–29 this century, the rest the last, as a date of
/// birth needs).
fn full_year(s: &str) -> Option<u32> {
    let year: u32 = s.parse().ok()?;
    match s.len() {
        4 => Some(year),
        2 => Some(year + if year < 30 { 2000 } else { 1900 }),
        _ => None,
    }
}

/// A real calendar date with a year that makes a living person's birth date (1900–2026).
fn check_date_of_birth(raw: &[u8]) -> Verdict {
    match parse_uk_date(raw) {
        Some((day, month, year)) if (1900..=2026).contains(&year) && is_real_date(year, month, day) => Verdict::Valid,
        _ => Verdict::Invalid,
    }
}

/// Sort code (6 digits, consistent separators) paired with an 8-digit account number. Modulus
/// checking needs Pay.UK's tables, which are not shipped; structure only.
fn check_bank_account(raw: &[u8]) -> Verdict {
    let digits: Vec<u8> = raw.iter().copied().filter(u8::is_ascii_digit).collect();
    if digits.len() != 14 {
        return Verdict::Invalid;
    }
    let all_same = digits.iter().all(|&b| b == digits[0]);
    let sequential = digits.windows(2).all(|w| w[1] == w[0] + 1 || (w[0] == b'9' && w[1] == b'0'));
    if all_same || sequential {
        return Verdict::Invalid;
    }
    Verdict::Valid
}

/// A password value: not a placeholder, template, mask, path, code or the word "password" itself.
/// A single word in one case, or capitalised ("compat", "release.", "Added"), is as likely prose
/// ("passwd: compat systemd", "GNUTLS_PKCS_NULL_PASSWORD: Added") as a weak password: reported, at
/// low confidence.
fn check_password_value(n: &[u8]) -> Verdict {
    // The next field's label caught as the value (`s#password: cvs#password: [empty]#`, a sed
    // command in a change log): it ends as a label does.
    let lower_whole = n.to_ascii_lowercase();
    if lower_whole.ends_with(b":")
        && [&b"password"[..], b"passwd"].iter().any(|k| lower_whole.windows(k.len()).any(|w| w == *k))
    {
        return Verdict::Invalid;
    }
    // What follows the value in its serialisation is not part of it: a JSON string's escaped line
    // break (`proxy_pass: CLOUDSDK_PROXY_PASSWORD\n- proxy_rdns: ...`), a query string's next
    // parameter (`password=password&from_page=/`).
    let mut n = cut_before_next_field(n);
    // A closing quote of a manual's typography (`‘--password=PASSWORD’`), or a sentence's or a code
    // line's end (`if password is None:`), is not part of the value.
    while let Some(shorter) = [":", ".", "’", "”", "»"].iter().find_map(|end| n.strip_suffix(end.as_bytes())) {
        n = shorter;
    }
    let lower = n.to_ascii_lowercase();
    const PLACEHOLDERS: &[&[u8]] = &[
        b"password",
        b"changeme",
        b"change_me",
        b"secret",
        b"example",
        b"required",
        b"optional",
        b"none",
        b"null",
        b"nil",
        b"true",
        b"false",
        b"empty",
        b"redacted",
        b"hidden",
        b"yourpassword",
        b"your_password",
        b"mypassword",
        b"placeholder",
        b"undefined",
        b"string",
    ];
    let is_template = lower.starts_with(b"${")
        || lower.starts_with(b"{{")
        || lower.starts_with(b"<")
        || lower.starts_with(b"$(")
        || lower.strip_prefix(b"$").is_some_and(is_identifier)
        // A special variable of Perl or the shell (`die "... $pwd: $!\\n"`, `$?`, `$@`).
        || lower.strip_prefix(b"$").is_some_and(|rest| rest.first().is_some_and(|b| b"!@?$&*#_0123456789".contains(b)))
        || lower.starts_with(b"%")
        || lower.starts_with(b":")
        || has_troff_escape(&lower);
    let is_mask = lower.iter().all(|b| matches!(b, b'*' | b'x' | b'.' | b'#' | b'-' | b'_' | b'?' | b':'));
    // Code that reads a password from somewhere else: `self.password`, `PASSWORD_FILE`,
    // `getenv("PWD")`, `form[...]`, `load()`. A password may hold the word or a bracket
    // (`Password2024!`, `Xk9{q}Lm2#vT`); a name or a call does not hold them that way.
    let name_part = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.');
    let names_a_password = lower.windows(8).any(|w| w == b"password")
        && lower.iter().all(name_part)
        && (lower.contains(&b'_') || lower.contains(&b'.') || lower.iter().all(u8::is_ascii_alphabetic));
    let braced = |b: Option<&u8>| b.is_some_and(|b| matches!(b, b'{' | b'}'));
    let is_call_or_index = lower.iter().any(|b| matches!(b, b'(' | b')' | b'[' | b']'))
        || braced(lower.first())
        || braced(lower.last())
        || lower.windows(2).any(|w| matches!(w, b"->" | b"::" | b"<<" | b">>"));
    // The next field's key (`password= scmVersion=` in a list of options).
    let is_next_key = lower.strip_suffix(b"=").is_some_and(|k| k.iter().all(|b| b.is_ascii_alphabetic() || *b == b'_'));
    let is_reference = names_a_password || is_call_or_index || is_next_key || is_qualified_name(n);
    // A path or a shell command (`PWD=/home/ab`, "PWD=`pwd`", "PASS: gdb.ada/assign.exp").
    let is_path_or_command = lower.starts_with(b"/")
        || lower.starts_with(b"`")
        || lower.starts_with(b"~/")
        || lower.starts_with(b"./")
        || lower.windows(3).any(|w| w == b"://")
        || (lower.contains(&b'/') && lower.contains(&b'.'))
        // A resource name (`projects/12345/secrets/my-secret/versions/1`): a secret's address.
        || lower.iter().filter(|&&b| b == b'/').count() >= 3;
    // A field list (`name:passwd:uid:gid`, `/etc/passwd:eli:x:2098`) or a date (`pin : 2014-12-18`).
    let is_structure = lower.iter().filter(|&&b| b == b':').count() >= 2 || looks_like_date(&lower);
    // A constant's value in code: `SUBSINFO_PASSWORD = 0x40,`, `KF_REDIRECT_PIN = 0x80`.
    let is_code_literal = lower
        .strip_prefix(b"0x")
        .is_some_and(|hex| !hex.is_empty() && hex.iter().all(|b| b.is_ascii_hexdigit() || matches!(b, b'u' | b'l')));
    let is_excluded = is_template
        || is_mask
        || is_reference
        || is_path_or_command
        || is_structure
        || is_code_literal
        || is_declared_type(n);
    if DOCUMENTATION_PASSWORDS.contains(&lower.as_slice()) {
        return Verdict::Suppressed;
    }
    if PLACEHOLDERS.contains(&lower.as_slice()) || is_excluded {
        return Verdict::Invalid;
    }
    // A word of letters alone in mixed case (`OpenPGP`, `iPhone`) is as likely a name as a password,
    // and a value with no ASCII letter or digit (an emoji in a table of them, `"safety_pin": "🧷"`) as
    // likely a symbol: reported, at low confidence.
    let letters_only = n.iter().all(u8::is_ascii_alphabetic);
    let no_ascii_word = !n.iter().any(u8::is_ascii_alphanumeric) && !n.is_ascii();
    if (is_one_plain_word(n) && !is_passphrase_of_words(n)) || letters_only || no_ascii_word || is_choice_of_words(n) {
        return Verdict::Weak;
    }
    Verdict::Valid
}

/// `value` up to a JSON-escaped line break (`\n`, `\r`) or a query string's next `&key=`.
fn cut_before_next_field(value: &[u8]) -> &[u8] {
    let escaped_break = value.windows(2).position(|w| w == b"\\n" || w == b"\\r");
    let next_parameter = value.iter().enumerate().position(|(i, &b)| {
        b == b'&' && {
            let rest = &value[i + 1..];
            let key = rest.iter().take_while(|b| b.is_ascii_alphanumeric() || **b == b'_').count();
            key > 0 && rest.get(key) == Some(&b'=')
        }
    });
    let end = [escaped_break, next_parameter].into_iter().flatten().min().unwrap_or(value.len());
    &value[..end]
}

/// Settings a manual offers for an option (`ask_password = on/off`, "passcode is
/// supported/enabled/disabled"): two or more lower-case words joined by `/` or `|`.
fn is_choice_of_words(n: &[u8]) -> bool {
    let mut parts = n.split(|&b| b == b'/' || b == b'|');
    parts.clone().count() >= 2 && parts.all(|w| !w.is_empty() && w.iter().all(u8::is_ascii_lowercase))
}

/// Passwords that manuals and tutorials print as examples (`--root-password=password123`,
/// git-credential(1)'s `secr3t`, SQLAlchemy's `scott:tiger`, Java's `changeit`, Python's urllib
/// `geheim$parole`): well-formed,
/// nobody's secret, counted as suppressed.
const DOCUMENTATION_PASSWORDS: [&[u8]; 23] = [
    b"password1",
    b"password123",
    b"passw0rd",
    b"p4ssw0rd",
    b"p@ssw0rd",
    b"p@ssword",
    b"pa55word",
    b"secr3t",
    b"s3cr3t",
    b"s3cret",
    b"hunter2",
    b"qwerty",
    b"123456",
    b"12345678",
    b"abc123",
    b"test123",
    b"admin123",
    b"pass123",
    b"mypass",
    b"foobar",
    b"tiger",
    b"changeit",
    b"geheim$parole",
];

/// The type of a field or parameter named for a password in code, not its value: a raw pointer
/// or a reference (`password: *mut u8` in libc, `password: &str`), a generic type
/// (`password: Option<String>`), or a name reserved to the implementation or made by a binding
/// generator (`log_passwd: __u32` in Linux headers, `IFLA_DPLL_PIN: _bindgen_ty_4` in
/// linux-raw-sys; C11 §7.1.3 reserves names starting with `_` for the implementation).
fn is_declared_type(value: &[u8]) -> bool {
    let pointer = value.starts_with(b"*mut") || value.starts_with(b"*const");
    let reference = value.strip_prefix(b"&").is_some_and(|rest| {
        let rest = rest.strip_prefix(b"'").unwrap_or(rest);
        is_identifier(rest)
    });
    let generic = value
        .strip_suffix(b">")
        .and_then(|v| v.iter().position(|&b| b == b'<').map(|i| &v[..i]))
        .is_some_and(|name| name.first().is_some_and(u8::is_ascii_alphabetic) && is_identifier(name));
    let reserved = value.first() == Some(&b'_') && is_identifier(value) && !value.iter().any(u8::is_ascii_uppercase);
    pointer || reference || generic || reserved
}

/// Letters, digits and `_`: a variable's name (`$DB_PASS`, `PASSWORD_FILE`).
fn is_identifier(value: &[u8]) -> bool {
    !value.is_empty() && value.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
}

/// Three or more lower-case words of three or more letters joined by one hyphen, dot or space
/// (`coffee-train-fish`): the NCSC's "three random words" passphrase, not a one-word setting.
fn is_passphrase_of_words(value: &[u8]) -> bool {
    let Some(&joiner) = value.iter().find(|b| matches!(b, b'-' | b'.' | b' ')) else {
        return false;
    };
    let words: Vec<&[u8]> = value.split(|&b| b == joiner).collect();
    words.len() >= 3 && words.iter().all(|w| w.len() >= 3 && w.iter().all(u8::is_ascii_lowercase))
}

/// A marking line as people write it (Government Security Classifications, Cabinet Office 2024:
/// the marking, then an optional descriptor or caveat), not a line of code or configuration that
/// happens to start with a marking word: `SECRET: true`, `RESTRICTED (`, `CONFIDENTIAL = {`.
fn check_marking(raw: &[u8]) -> Verdict {
    let trailing_cells = |b: &u8| matches!(b, b',' | b';' | b'|' | b'\t' | b' ' | b'\r' | b'*' | b'_');
    let end = raw.iter().rposition(|b| !trailing_cells(b)).map_or(0, |i| i + 1);
    let line = &raw[..end];
    const CODE: [&[u8]; 12] = [b"=", b";", b"{", b"}", b"<", b"`", b"$", b"//", b"/*", b"::", b"->", b"\\"];
    let has_code = CODE.iter().any(|c| line.windows(c.len()).any(|w| w == *c));
    let opens_a_block = line.last().is_some_and(|b| matches!(b, b'(' | b'[' | b':' | b','));
    let setting = line.iter().position(|&b| b == b':').is_some_and(|i| is_config_scalar(&line[i + 1..]));
    if has_code || opens_a_block || setting {
        return Verdict::Invalid;
    }
    Verdict::Valid
}

/// A configuration value (`true`, `no`, `3`, `~`): `SECRET: true` is a setting, not a caveat.
fn is_config_scalar(value: &[u8]) -> bool {
    let v = value.trim_ascii().to_ascii_lowercase();
    const SCALARS: [&[u8]; 8] = [b"true", b"false", b"yes", b"no", b"null", b"none", b"~", b"on"];
    SCALARS.contains(&v.as_slice()) || (!v.is_empty() && v.iter().all(|b| b.is_ascii_digit() || *b == b'.'))
}

/// Manual-page markup (`\\fIBOOL\\fR`, `FILE\\fP`, `\\-\\-flag`): a man page's syntax, not a value.
fn has_troff_escape(value: &[u8]) -> bool {
    value.windows(2).any(|w| w[0] == b'\\' && matches!(w[1], b'f' | b'e' | b'-' | b'&' | b'(' | b'*'))
}

/// Letters in one case, or capitalised, with hyphens or underscores: `compat`, `FILE`, `Added`,
/// `elevated-privileges`.
fn is_one_plain_word(word: &[u8]) -> bool {
    let joiner = |b: &u8| matches!(b, b'-' | b'_');
    let all = |test: fn(&u8) -> bool| word.iter().all(|b| joiner(b) || test(b));
    let capitalised = word.first().is_some_and(u8::is_ascii_uppercase)
        && word[1..].iter().all(|b| joiner(b) || b.is_ascii_lowercase());
    !word.is_empty() && (all(u8::is_ascii_lowercase) || all(u8::is_ascii_uppercase) || capitalised)
}

/// A name reached through an object or scope in code (`self.pwd`, `_ffi.NULL`, `a:dict.istemp`,
/// `g:netrw_passwd`, `GID:user_list`): identifiers joined by `.` or `:`, one of them a snake_case
/// name, a one-letter scope or a usual receiver. `Summer.Time2` stays a password.
fn is_qualified_name(value: &[u8]) -> bool {
    const RECEIVERS: [&[u8]; 12] = [
        b"self",
        b"this",
        b"cls",
        b"ctx",
        b"os",
        b"env",
        b"args",
        b"opts",
        b"options",
        b"config",
        b"settings",
        b"params",
    ];
    let parts = || value.split(|&b| b == b'.' || b == b':');
    let identifier = |p: &[u8]| {
        p.first().is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
            && p.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
    };
    let code_like = |p: &[u8]| p.contains(&b'_') || p.len() == 1 || RECEIVERS.contains(&p);
    parts().nth(1).is_some() && parts().all(identifier) && parts().any(code_like)
}

/// A date at the start of a value (`2014-12-18`, `12/03/2024 10:15`): a "Password last set"
/// column or `pin : 2014-12-18`, not a secret.
fn looks_like_date(v: &[u8]) -> bool {
    let text = std::str::from_utf8(v).unwrap_or_default();
    let mut parts = text.splitn(3, ['-', '/', '.']);
    let (Some(a), Some(b), Some(c)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let digits = |s: &str, lengths: std::ops::RangeInclusive<usize>| {
        lengths.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    let year_or_day = c.get(..4).filter(|y| digits(y, 4..=4)).or_else(|| c.get(..2).filter(|d| digits(d, 2..=2)));
    digits(a, 1..=4) && digits(b, 1..=2) && year_or_day.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a validator over a table of (input, expected verdict) pairs and reports every mismatch
    /// by row number, never by value.
    fn check_table(kind: ValidatorKind, rows: &[(&str, Verdict)]) {
        let failures: Vec<String> = rows
            .iter()
            .enumerate()
            .filter_map(|(i, (raw, expected))| {
                let n = normalise(raw.as_bytes(), kind.normalisation());
                let got = kind.check(raw.as_bytes(), &n);
                (got != *expected).then(|| format!("row {i}: expected {expected:?}, got {got:?}"))
            })
            .collect();
        assert!(failures.is_empty(), "{kind:?}: {}", failures.join("; "));
    }

    const VALID: Verdict = Verdict::Valid;
    const LOW: Verdict = Verdict::Weak;
    const HIGH: Verdict = Verdict::Strong;
    use Verdict::{Invalid as BAD, Suppressed as SUPPRESSED, WrongCheckDigit as CHECK};

    #[test]
    fn nino_table() {
        check_table(
            ValidatorKind::UkNino,
            &[
                ("AB123456C", VALID),
                ("AB 12 34 56 C", VALID),
                ("ab123456c", LOW),
                ("ab 12 34 56 c", VALID),
                ("As 503748d", BAD),
                ("Bc899650C", BAD),
                ("AB-12-34-56-C", VALID),
                ("JG 10 39 42 A", VALID),
                ("CE 99 00 11 D", VALID),
                ("OA123456B", VALID),
                ("AB 123456 C", VALID),
                ("MW123456A", LOW),
                ("CR123456B", LOW),
                ("QQ123456C", BAD),
                ("DA123456A", BAD),
                ("AD123456A", BAD),
                ("BO123456A", BAD),
                ("GB123456A", BAD),
                ("BG123456A", BAD),
                ("NK123456A", BAD),
                ("TN123456A", BAD),
                ("ZZ 12 34 56 C", BAD),
                ("ZZ123456T", BAD),
                ("AB123456E", BAD),
                ("AB12345C", BAD),
                ("AB1234567C", BAD),
                ("PP999999P", BAD),
                ("AB 12-34 56 C", BAD),
            ],
        );
    }

    #[test]
    fn nhs_number_table() {
        check_table(
            ValidatorKind::NhsNumber,
            &[
                ("4176749369", VALID),
                ("453 686 1564", VALID),
                ("649-850-2940", VALID),
                ("7284981547", VALID),
                ("3342395605", VALID),
                ("3842414560", VALID),
                ("943 476 5919", SUPPRESSED),
                ("9990699372", SUPPRESSED),
                ("4502725103", CHECK),
                ("4859198590", CHECK),
                ("485 777 3456", CHECK),
                ("987 654 4321", CHECK),
                ("453-686 1564", BAD),
                ("1503858308", BAD),
            ],
        );
    }

    #[test]
    fn chi_table() {
        check_table(
            ValidatorKind::ChiNumber,
            &[
                ("1503858308", VALID),
                ("2902002130", VALID),
                ("3102851231", BAD),
                ("0113851235", BAD),
                ("4176749369", BAD),
            ],
        );
    }

    #[test]
    fn uln_and_utr_tables() {
        check_table(
            ValidatorKind::UkUln,
            &[("4433370974", VALID), ("9281278226", VALID), ("9276308686", VALID), ("9276308687", BAD)],
        );
        check_table(
            ValidatorKind::UkUtr,
            &[
                ("6684984357", VALID),
                ("8250239986", VALID),
                ("9263494691", VALID),
                ("1955839661", VALID),
                ("3282497350", VALID),
                ("1955839661K", VALID),
                ("2955839661", BAD),
            ],
        );
    }

    #[test]
    fn payment_card_table() {
        check_table(
            ValidatorKind::PaymentCard,
            &[
                ("4845758649937749", VALID),
                ("4759591243297", VALID),
                ("4001234500423", LOW),
                ("4381536307963782604", VALID),
                ("5307444394175896", VALID),
                ("2221204758120239", VALID),
                ("2720905784019783", VALID),
                ("342789671580905", VALID),
                ("6759583889754573", VALID),
                ("676770744942069053", VALID),
                ("501868846699", VALID),
                ("6011724348287136", VALID),
                ("3530008611475993", VALID),
                ("36006413549267", VALID),
                ("6245591842861636921", VALID),
                ("4845 7586 4993 7749", VALID),
                ("3427 896715 80905", VALID),
                ("4111111111111112", CHECK),
                ("1234567812345670", BAD),
                ("4845-7586 4993 7749", BAD),
                ("48457 58649 93774 9", BAD),
                ("4111111111111111", SUPPRESSED),
                ("5555555555554444", SUPPRESSED),
                ("378282246310005", SUPPRESSED),
            ],
        );
    }

    #[test]
    fn iban_table() {
        check_table(
            ValidatorKind::Iban,
            &[
                ("GB60BARC20000055779911", VALID),
                ("GB15 MIDL 4005 1512 3456 78", VALID),
                ("GB29 NWBK 6016 1331 9268 19", SUPPRESSED),
                ("GB82WEST12345698765433", BAD),
                ("GB29NWBK6016133192681", BAD),
            ],
        );
    }

    #[test]
    fn driving_licence_table() {
        check_table(
            ValidatorKind::UkDrivingLicence,
            &[
                ("MORGA753116SM9IJ", VALID),
                ("MORGA 753116 SM9IJ 35", VALID),
                ("SMITH801150JD9AB", VALID),
                ("SMITH862310JD9AB", VALID),
                ("LEE99702231A99XY", VALID),
                ("MCK99610087RB9LT", VALID),
                ("SMITH801150J99AB", VALID),
                ("SMITH813150JD9AB", BAD),
                ("SMITH802320JD9AB", BAD),
                ("9SMIT801150JD9AB", BAD),
                ("99999801150JD9AB", BAD),
                ("SM1TH801150JD9AB", BAD),
                ("SMITH8011501D9AB", BAD),
            ],
        );
    }

    #[test]
    fn passport_table() {
        check_table(
            ValidatorKind::UkPassport,
            &[
                ("925076473", VALID),
                ("9250764733GBR8503150F3001019<<<<<<<<<<<<<<<4", HIGH),
                ("9250764734GBR8503150F3001019<<<<<<<<<<<<<<<4", BAD),
                ("111111111", BAD),
            ],
        );
    }

    #[test]
    fn postcode_table() {
        check_table(
            ValidatorKind::UkPostcode,
            &[
                ("SW1A 1AA", VALID),
                ("M1 1AE", VALID),
                ("GIR 0AA", VALID),
                ("SW1A 1CA", BAD),
                ("SW1A 1AM", BAD),
                ("EC1A 1OB", BAD),
            ],
        );
    }

    #[test]
    fn phone_table() {
        check_table(
            ValidatorKind::UkPhone,
            &[
                ("01509 222222", VALID),
                ("+44 1509 222222", VALID),
                ("+44 (0)7911 123456", VALID),
                ("07911-123-456", VALID),
                ("0044 20 7123 4567", VALID),
                ("07700 900123", SUPPRESSED),
                ("+44 7700 900123", SUPPRESSED),
                ("020 7946 0123", SUPPRESSED),
                ("0113 496 0000", SUPPRESSED),
                ("01632 960123", SUPPRESSED),
                ("028 9018 0123", SUPPRESSED),
                ("020 1234 567", BAD),
                ("0612345678", BAD),
            ],
        );
    }

    #[test]
    fn email_table() {
        check_table(
            ValidatorKind::Email,
            &[
                ("j.bloggs@lboro.ac.uk", VALID),
                ("Someone.Else+tag@gmail.com", VALID),
                ("admissions@lboro.ac.uk", LOW),
                ("jane.doe@example.com", SUPPRESSED),
                ("s1234567@example.org", SUPPRESSED),
                ("user@host.test", SUPPRESSED),
                ("icon@2x.png", BAD),
                ("chacha20-poly1305@openssh.com", BAD),
                ("curve25519-sha256@libssh.org", BAD),
                ("djm@openssh.com", VALID),
            ],
        );
    }

    #[test]
    fn date_of_birth_table() {
        check_table(
            ValidatorKind::DateOfBirth,
            &[
                ("15/03/1985", VALID),
                ("3rd March 2001", VALID),
                ("2001-03-03", VALID),
                ("29/02/2000", VALID),
                ("3 Mar 01", VALID),
                ("03-Mar-1985", VALID),
                ("3-Mar-85", VALID),
                ("March 3, 1985", VALID),
                ("3rd of March 1985", VALID),
                ("1985/03/03", VALID),
                ("5/25/1989", VALID),
                ("19-Jul-84", VALID),
                ("25/25/1989", BAD),
                ("30-Feb-85", BAD),
                ("Feb 30, 1985", BAD),
                ("31/02/1990", BAD),
                ("15/13/1985", BAD),
                ("29/02/1999", BAD),
                ("15/03/1850", BAD),
            ],
        );
    }

    #[test]
    fn bank_account_and_password_tables() {
        check_table(
            ValidatorKind::UkBankAccount,
            &[("20-00-00 55779911", VALID), ("00-00-00 00000000", BAD), ("12-34-56 78901234", BAD)],
        );
        check_table(
            ValidatorKind::PasswordValue,
            &[
                ("Tr0ub4dor&3", VALID),
                ("hunter22", VALID),
                ("********", BAD),
                ("${DB_PASSWORD}", BAD),
                ("<password>", BAD),
                ("changeme", BAD),
                ("/Users/ab", BAD),
                ("`pwd`", BAD),
                ("compat", LOW),
                ("option.", LOW),
                ("letmein", LOW),
                ("Letmein1", VALID),
                ("elevated-privileges", LOW),
                ("FILE", LOW),
                ("UID:GID:user_list", BAD),
                ("2014-12-18", BAD),
                ("12/03/2024", BAD),
                ("3.4.2021", BAD),
                ("gdb.ada/assign_1.exp", BAD),
                ("Pa55/word!", VALID),
                ("Added", LOW),
                ("True", BAD),
                (":****", BAD),
                ("self.pwd", BAD),
                ("_ffi.NULL", BAD),
                ("a:dict.istemp", BAD),
                ("g:netrw_passwd", BAD),
                ("base_dn:flags", BAD),
                ("\\fR\\fIBOOL\\fR", BAD),
                ("Summer.Time2", VALID),
                ("DATEI\\fP", BAD),
                (":starttls", BAD),
                ("%s:%s", BAD),
                ("Welcome2024!", VALID),
                ("Password2024!", VALID),
                ("Xk9{q}Lm2#vT", VALID),
                ("on/off", LOW),
                ("projects/12345/secrets/my-sasl-secret/versions/1", BAD),
                ("CLOUDSDK_PROXY_PASSWORD\\n-", BAD),
                ("password&from_page=/", BAD),
                ("Kx7&harbour", VALID),
                ("supported/enabled/disabled", LOW),
                ("cvs#password:", BAD),
                ("Pa55/word2", VALID),
                ("$unsh1ne!Day42", VALID),
                ("coffee-train-fish", VALID),
                ("MySecret#2026", VALID),
                ("$DB_PASS", BAD),
                ("$(cat", BAD),
                ("PASSWORD_FILE", BAD),
                ("getenv(", BAD),
                ("passwordfield", BAD),
                ("form[", BAD),
                ("fallback_getpass(prompt", BAD),
                ("handler.password", BAD),
                ("*mut", BAD),
                ("*const", BAD),
                ("&str", BAD),
                ("&CFString", BAD),
                ("Option<String>", BAD),
                ("Option<&CFString>", BAD),
                ("__u32", BAD),
                ("_bindgen_ty_4", BAD),
                ("_Secret99", VALID),
                ("Pass<word>9", VALID),
                ("$ftp->pwd", BAD),
                ("scmVersion=", BAD),
                ("password123", SUPPRESSED),
                ("secr3t", SUPPRESSED),
                ("None:", BAD),
                ("$pwd:", BAD),
                ("1<<8", BAD),
                ("0x40", BAD),
                ("0x81000300", BAD),
                ("0x10000UL", BAD),
                ("PASSWORD’", BAD),
                ("STRING’.", BAD),
                ("USER’.", LOW),
                ("$!\\n", BAD),
                ("OpenPGP", LOW),
                ("🧷", LOW),
                ("geheim$parole", SUPPRESSED),
                ("0xford-Tram-42", VALID),
            ],
        );
    }

    #[test]
    fn marking_table() {
        check_table(
            ValidatorKind::Marking,
            &[
                ("HIGHLY CONFIDENTIAL", VALID),
                ("Highly Confidential - Executive Board only", VALID),
                ("OFFICIAL-SENSITIVE: PERSONAL", VALID),
                ("HIGHLY CONFIDENTIAL – patient-level data, REC 25/NW/0112,,,", VALID),
                ("Confidential (Personnel)", VALID),
                ("SECRET: true", BAD),
                ("RESTRICTED: 3", BAD),
                ("SECRET (", BAD),
                ("CONFIDENTIAL = {", BAD),
                ("RESTRICTED // legacy level", BAD),
                ("PROTECT -> level 2", BAD),
            ],
        );
    }

    #[test]
    fn separators_must_agree() {
        assert!(separators_are_consistent(b"943 476 5919"));
        assert!(separators_are_consistent(b"9434765919"));
        assert!(!separators_are_consistent(b"943-476 5919"));
    }
}
