//! Any bytes through every encryption header sniffer.
#![no_main]

use dlp_scan::extract::encryption;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = encryption::zip_entry(data);
    let _ = encryption::ooxml_encryption_info(data);
    let _ = encryption::odf_manifest(&String::from_utf8_lossy(data));
    let _ = encryption::openpgp(data);
    let _ = encryption::is_openpgp_message(data);
    let _ = encryption::luks(data);
});
