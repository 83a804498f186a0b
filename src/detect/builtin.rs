//! The detector files compiled into the binary, and loading a user's directory of more.
//!
//! The embedded list is written out by hand (no build script); a test checks it against the
//! `detectors/` directory so that a new file cannot be forgotten.

use std::path::Path;

use super::rule::DetectorSource;
use crate::error::ConfigError;

/// The pseudo-directory embedded detector files are reported under.
pub(crate) const EMBEDDED_ROOT: &str = "<embedded>/detectors";

/// (file name, contents) of every file in `detectors/`.
pub(crate) const EMBEDDED: &[(&str, &str)] = &[
    ("chi_number.toml", include_str!("../../detectors/chi_number.toml")),
    ("credential.password.toml", include_str!("../../detectors/credential.password.toml")),
    ("credential.private_key.toml", include_str!("../../detectors/credential.private_key.toml")),
    ("credential.store.toml", include_str!("../../detectors/credential.store.toml")),
    ("credential.token.toml", include_str!("../../detectors/credential.token.toml")),
    ("criminal_offence.toml", include_str!("../../detectors/criminal_offence.toml")),
    ("date_of_birth.toml", include_str!("../../detectors/date_of_birth.toml")),
    ("document.contract.toml", include_str!("../../detectors/document.contract.toml")),
    ("document.disciplinary.toml", include_str!("../../detectors/document.disciplinary.toml")),
    ("document.exam_paper.toml", include_str!("../../detectors/document.exam_paper.toml")),
    ("email.toml", include_str!("../../detectors/email.toml")),
    ("iban.toml", include_str!("../../detectors/iban.toml")),
    ("marking.confidential.toml", include_str!("../../detectors/marking.confidential.toml")),
    ("marking.draft.toml", include_str!("../../detectors/marking.draft.toml")),
    ("marking.government.toml", include_str!("../../detectors/marking.government.toml")),
    ("marking.highly_confidential.toml", include_str!("../../detectors/marking.highly_confidential.toml")),
    ("marking.public.toml", include_str!("../../detectors/marking.public.toml")),
    ("nhs_number.toml", include_str!("../../detectors/nhs_number.toml")),
    ("payment_card.toml", include_str!("../../detectors/payment_card.toml")),
    ("special_category.biometric.toml", include_str!("../../detectors/special_category.biometric.toml")),
    ("special_category.ethnicity.toml", include_str!("../../detectors/special_category.ethnicity.toml")),
    ("special_category.genetic.toml", include_str!("../../detectors/special_category.genetic.toml")),
    ("special_category.health.toml", include_str!("../../detectors/special_category.health.toml")),
    (
        "special_category.political_opinion.toml",
        include_str!("../../detectors/special_category.political_opinion.toml"),
    ),
    ("special_category.religion.toml", include_str!("../../detectors/special_category.religion.toml")),
    (
        "special_category.sexual_orientation.toml",
        include_str!("../../detectors/special_category.sexual_orientation.toml"),
    ),
    ("special_category.trade_union.toml", include_str!("../../detectors/special_category.trade_union.toml")),
    ("student_staff_number.toml", include_str!("../../detectors/student_staff_number.toml")),
    ("uk_bank_account.toml", include_str!("../../detectors/uk_bank_account.toml")),
    ("uk_driving_licence.toml", include_str!("../../detectors/uk_driving_licence.toml")),
    ("uk_nino.toml", include_str!("../../detectors/uk_nino.toml")),
    ("uk_passport.toml", include_str!("../../detectors/uk_passport.toml")),
    ("uk_phone.toml", include_str!("../../detectors/uk_phone.toml")),
    ("uk_postcode.toml", include_str!("../../detectors/uk_postcode.toml")),
    ("uk_uln.toml", include_str!("../../detectors/uk_uln.toml")),
    ("uk_utr.toml", include_str!("../../detectors/uk_utr.toml")),
];

/// The ids of the embedded detectors: their file names without `.toml`, which each id must equal.
pub(crate) fn embedded_ids() -> impl Iterator<Item = &'static str> {
    EMBEDDED.iter().map(|(name, _)| name.strip_suffix(".toml").unwrap_or(name))
}

/// Parses the embedded detector files.
pub(crate) fn embedded_sources() -> Result<Vec<DetectorSource>, ConfigError> {
    EMBEDDED
        .iter()
        .map(|(name, text)| DetectorSource::parse(&Path::new(EMBEDDED_ROOT).join(name), (*text).to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_list_matches_the_detectors_directory() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("detectors");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".toml"))
            .collect();
        on_disk.sort();
        let embedded: Vec<String> = EMBEDDED.iter().map(|(n, _)| (*n).to_string()).collect();
        assert_eq!(on_disk, embedded, "detectors/ and EMBEDDED in src/detect/builtin.rs disagree");
    }
}
