#!/usr/bin/env bash
# Makes the committed document, archive and encryption fixtures in tests/data/fixtures/ with real
# writers, so the tests (and CI) need none of these tools. Run it again after changing it:
#
#   apt-get install libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui \
#       zip p7zip-full qpdf gnupg age cryptsetup-bin xz-utils bzip2 zstd rar
#   pip install msoffcrypto-tool
#   tests/data/make-fixtures.sh
#
# Every planted value is synthetic (passes its checksum, belongs to nobody). What each fixture must
# give is asserted in tests/documents.rs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out="$here/fixtures"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -rf "$out"
mkdir -p "$out"
cd "$work"

# --- sources --------------------------------------------------------------------------------------
cat > staff.csv <<'EOF'
Name,NHS Number,NI number,Email
Ann Smith,453 686 1564,AB 12 34 56 C,ann.smith@lboro.ac.uk
Bob Jones,649-850-2940,JG103942A,bob.jones@gmail.com
Carol White,4176749369,CE 99 00 11 D,carol.white@yahoo.co.uk
EOF
cat > letter.html <<'EOF'
<html><head><title>Reference letter</title></head><body>
<h1>Reference</h1>
<p>Dear colleague, the employee NI number is CE 99 00 11 D and her passport number is 925076473.</p>
<table><tr><td>Sort code</td><td>20-00-00</td></tr><tr><td>Account number</td><td>55779911</td></tr></table>
</body></html>
EOF
# A module's marks, as a spreadsheet: student numbers with no national format, known by their column.
cat > marks.csv <<'EOF'
Student ID,Name,Module,Mark
21012345,Ann Smith,MA1001,67
21012399,Bob Jones,MA1001,54
21013001,Carol White,MA1001,71
EOF
# An examination paper's front page, as departments write them (no protective marking).
cat > exam-paper.html <<'EOF'
<html><head><title>MA2002 examination</title></head><body>
<p><b>LOUGHBOROUGH UNIVERSITY</b></p>
<p>Semester 2 Examinations 2026/27</p>
<h2>MA2002 Differential Equations</h2>
<table><tr><td>Time allowed</td><td>2 hours 30 minutes</td></tr><tr><td>Candidate number</td><td></td></tr></table>
<p>Answer FOUR of the six questions. All questions carry equal marks.</p>
<p>Do not turn over this page until instructed to do so by the invigilator.</p>
<p>1. Solve y'' + 4y = sin(2x).</p>
</body></html>
EOF
# A flat OpenDocument presentation: LibreOffice writes the pptx and odp from it.
cat > slides.fodp <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0" office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.presentation">
 <office:body><office:presentation>
  <draw:page draw:name="page1">
   <draw:frame svg:x="2cm" svg:y="2cm" svg:width="20cm" svg:height="3cm"><draw:text-box><text:p>Case review</text:p></draw:text-box></draw:frame>
   <draw:frame svg:x="2cm" svg:y="6cm" svg:width="20cm" svg:height="6cm"><draw:text-box><text:p>Patient NHS number 453 686 1564</text:p><text:p>Contact: ann.smith@lboro.ac.uk</text:p></draw:text-box></draw:frame>
  </draw:page>
 </office:presentation></office:body>
</office:document>
EOF

# A staff record as Word 97 writes it: the NI number in the page header, a sensitivity label in the
# custom properties (the PowerPoint 97 version is made by tests/documents.rs: its thumbnail is large).
cat > staff-record.fodt <<'FODT'
<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/" office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.text">
 <office:meta>
  <dc:title>Staff record</dc:title>
  <meta:keyword>HR casework</meta:keyword>
  <meta:user-defined meta:name="MSIP_Label_3f2a9c1e-0b7d-4e55-9a61-2c8d5e7f1a04_Name">Confidential</meta:user-defined>
 </office:meta>
 <office:master-styles>
  <style:master-page style:name="Standard"><style:header><text:p>NI number CE 99 00 11 D</text:p></style:header></style:master-page>
 </office:master-styles>
 <office:body><office:text>
  <text:p>Staff record for Dana Green.</text:p>
  <text:p>Contact: dana.green@lboro.ac.uk</text:p>
  <text:p>Date of birth: 12/07/1985</text:p>
 </office:text></office:body>
</office:document>
FODT

soffice() { command soffice --headless "$@" >/dev/null 2>&1; }
soffice --convert-to xlsx staff.csv
soffice --convert-to ods staff.csv
soffice --convert-to xls staff.csv
soffice --writer --convert-to docx letter.html
soffice --writer --convert-to odt letter.html
soffice --writer --convert-to doc letter.html
soffice --convert-to doc staff-record.fodt
soffice --writer --convert-to pdf letter.html
soffice --writer --convert-to rtf letter.html
soffice --convert-to ods marks.csv
soffice --writer --convert-to docx exam-paper.html
soffice --writer --convert-to pdf exam-paper.html
soffice --convert-to pptx slides.fodp
soffice --convert-to odp slides.fodp
cp marks.ods exam-paper.docx exam-paper.pdf staff.xlsx staff.ods letter.docx letter.odt letter.pdf letter.doc staff-record.doc letter.rtf letter.html staff.xls slides.pptx slides.odp "$out/"

# --- e-mail (Python's email and mailbox modules write the MIME) -------------------------------------
python3 - "$out" <<'PY'
import mailbox, sys
from email.message import EmailMessage
out = sys.argv[1]
m = EmailMessage()
m["From"] = "HR Office <hr@lboro.ac.uk>"
m["To"] = "Line Manager <manager@lboro.ac.uk>"
m["Subject"] = "Payroll change"
m.set_content("Please update the record: NI number CE 99 00 11 D, start date 1 March.\n", cte="quoted-printable")
m.add_attachment(open("staff.xlsx", "rb").read(), maintype="application",
                 subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet", filename="staff.xlsx")
open(f"{out}/message.eml", "wb").write(bytes(m))
box = mailbox.mbox(f"{out}/mailbox.mbox")
for i, nhs in enumerate(["453 686 1564", "649-850-2940", "4176749369"]):
    msg = EmailMessage()
    msg["From"] = "clinic@nhs.example.net"
    msg["To"] = "tutor@lboro.ac.uk"
    msg["Subject"] = f"Student appointment {i + 1}"
    msg.set_content(f"Patient NHS number {nhs} attended today.\n", cte="base64")
    box.add(msg)
box.flush()
PY

# --- a table on a slide: student numbers known only by their column's header ---------------------
python3 - <<'PY'
rows = [("Student Number", "Name", "Mark")] + [
    (str(n), f"Student {i}", "39")
    for i, n in enumerate([22354994, 24070438, 20396213, 27501654, 23091263, 22023199], 1)
]
cells = "".join(
    "<table:table-row>" + "".join(f"<table:table-cell><text:p>{c}</text:p></table:table-cell>" for c in r)
    + "</table:table-row>" for r in rows)
ns = " ".join(f'xmlns:{p}="urn:oasis:names:tc:opendocument:xmlns:{u}"' for p, u in [
    ("office", "office:1.0"), ("draw", "drawing:1.0"), ("text", "text:1.0"), ("table", "table:1.0"),
    ("svg", "svg-compatible:1.0"), ("presentation", "presentation:1.0")])
open("resit-table.fodp", "w").write(f'''<?xml version="1.0" encoding="UTF-8"?>
<office:document {ns} office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.presentation">
<office:body><office:presentation><draw:page draw:name="page1">
<draw:frame svg:x="1cm" svg:y="1cm" svg:width="20cm" svg:height="2cm"><draw:text-box><text:p>Resit list</text:p></draw:text-box></draw:frame>
<draw:frame svg:x="1cm" svg:y="4cm" svg:width="20cm" svg:height="10cm"><table:table>
<table:table-column/><table:table-column/><table:table-column/>{cells}</table:table></draw:frame>
</draw:page></office:presentation></office:body></office:document>''')
PY
soffice --headless --convert-to pptx resit-table.fodp
cp resit-table.pptx "$out/"

# --- scans: pictures of pages with no text layer ---------------------------------------------------
# A 620 x 880 grey page (a scan at about 75 dpi), as LibreOffice Draw makes it a PDF and Writer
# embeds it in a Word document (from HTML with the picture inline).
python3 - <<'PY'
import base64, struct, zlib
w, h = 620, 880
raw = b"".join(b"\x00" + bytes(255 if (x // 20 + y // 20) % 2 else 200 for x in range(w)) for y in range(h))
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) \
    + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
open("scan.png", "wb").write(png)
inline = base64.b64encode(png).decode()
open("scan-in-word.html", "w").write(f'<html><body><p><img src="data:image/png;base64,{inline}" width="600" height="850"></p></body></html>')
PY
soffice --headless --convert-to pdf scan.png
soffice --headless --writer --convert-to 'docx:MS Word 2007 XML' scan-in-word.html
cp scan.pdf scan-in-word.docx "$out/"

# --- archives -------------------------------------------------------------------------------------
mkdir -p tree/2023
cp staff.xlsx tree/2023/staff.xlsx
cp letter.docx tree/letter.docx
(cd tree && zip -qr ../export.zip .)
mkdir -p outer/archive
cp export.zip outer/archive/export.zip
(cd outer && zip -qr ../nested.zip .)
cp export.zip nested.zip "$out/"
tar -C tree -czf "$out/export.tar.gz" .
# The other compressions staff meet: tarballs and single files in xz, bzip2 and Zstandard.
tar -C tree -cJf "$out/export.tar.xz" .
tar -C tree -cjf "$out/export.tar.bz2" .
tar -C tree --zstd -cf "$out/export.tar.zst" .
xz -c staff.csv > "$out/staff.csv.xz"
bzip2 -c staff.csv > "$out/staff.csv.bz2"
zstd -q -c staff.csv > "$out/staff.csv.zst"
(cd tree && 7z a -bd -bso0 ../plain.7z . >/dev/null)
cp plain.7z "$out/"

# --- every compression method 7-Zip writes, and names as Windows writes them ------------------------
# staff.csv alone, with each method 7-Zip offers in .zip (as Windows and WinZip read them) and in
# .7z; two halves of it in one solid Deflate64 block and in two blocks.
for method in Deflate64 BZip2 LZMA PPMd; do
  7z a -bd -bso0 -tzip -mm=$method "$out/zip-$(echo $method | tr A-Z a-z).zip" staff.csv >/dev/null
done
for method in LZMA LZMA2 BZip2 Deflate PPMd Deflate64; do
  7z a -bd -bso0 -t7z -m0=$method "$out/7z-$(echo $method | tr A-Z a-z).7z" staff.csv >/dev/null
done
mkdir halves && head -2 staff.csv > halves/A_staff.csv && sed -n '1p;4p' staff.csv > halves/C_staff.csv
(cd halves && 7z a -bd -bso0 -t7z -m0=Deflate64 -ms=on "$out/7z-deflate64-solid.7z" A_staff.csv C_staff.csv >/dev/null)
(cd halves && 7z a -bd -bso0 -t7z -m0=Deflate64 -ms=off "$out/7z-deflate64-blocks.7z" A_staff.csv C_staff.csv >/dev/null)
# RAR 5 by RARLab's rar (Debian non-free; RAR 7 no longer writes RAR 4): plain, solid, with
# encrypted content and with encrypted names.
rar a -idq "$out/rar5.rar" staff.csv
(cd halves && rar a -idq -s "$out/rar5-solid.rar" A_staff.csv C_staff.csv)
rar a -idq -p"fixture-password" "$out/rar5-aes256.rar" staff.csv
rar a -idq -hp"fixture-password" "$out/rar5-aes256-names.rar" staff.csv
# 32 MiB of zeros, a few kilobytes packed: stopped by the expansion ratio, declared sizes first.
head -c 33554432 /dev/zero > zeros.bin
rar a -idq "$out/rar5-zeros.rar" zeros.bin
7z a -bd -bso0 "$out/7z-zeros.7z" zeros.bin >/dev/null
# RAR 4 written by WinRAR, from the test data of the unrar crate (MIT OR Apache-2.0; `cargo info
# unrar@0.5.8` puts it in the registry): compressed, encrypted, and the first volume of a set whose
# last member goes on in the next.
unrar_data=$(ls -d ~/.cargo/registry/src/*/unrar-0.5.8/data | head -1)
cp "$unrar_data/version.rar" "$out/rar4-winrar.rar"
cp "$unrar_data/crypted.rar" "$out/rar4-winrar-encrypted.rar"
cp "$unrar_data/archive.part1.rar" "$out/rar4-winrar-volume1.rar"
# BCJ2, the x86 branch filter 7-Zip puts before LZMA for executables, with its four streams.
7z a -bd -bso0 -t7z -m0=BCJ2 -m1=LZMA "$out/7z-bcj2.7z" staff.csv >/dev/null
# Windows' "Compressed (zipped) folder" writes non-ASCII names in the OEM code page without the
# UTF-8 flag; 7-Zip does the same under the C locale with -mcu=off. The middle member's name is
# "B_Zoë.txt" in CP437 (ë = 0x89).
mkdir cp437 && head -2 staff.csv > cp437/A_staff.csv && sed -n '1p;3p' staff.csv > "cp437/$(printf 'B_Zo\x89.txt')" \
  && sed -n '1p;4p' staff.csv > cp437/C_staff.csv
(cd cp437 && LC_ALL=C 7z a -bd -bso0 -tzip -mcu=off "$out/zip-cp437-names.zip" A_staff.csv B_Zo* C_staff.csv >/dev/null)

# --- encryption -----------------------------------------------------------------------------------
# The password is stored beside the fixtures on purpose: nothing here is secret.
pw=fixture-password
(cd tree && zip -qr -P "$pw" "$out/zipcrypto.zip" .)
for bits in 128 192 256; do
  (cd tree && 7z a -bd -bso0 -tzip -p"$pw" -mem=AES$bits "$out/zip-aes$bits.zip" . >/dev/null)
done
(cd tree && 7z a -bd -bso0 -p"$pw" "$out/7z-aes256.7z" . >/dev/null)
(cd tree && 7z a -bd -bso0 -p"$pw" -mhe=on "$out/7z-aes256-names.7z" . >/dev/null)
# Only part encrypted: the AES-256 members, then staff.csv added in clear (7-Zip's "add to archive"
# without a password).
(cd tree && 7z a -bd -bso0 -tzip -p"$pw" -mem=AES256 "$out/zip-aes256-partly.zip" . >/dev/null)
7z a -bd -bso0 -tzip "$out/zip-aes256-partly.zip" staff.csv >/dev/null
qpdf --allow-weak-crypto --encrypt "$pw" "$pw-owner" 40 -- letter.pdf "$out/pdf-rc4-40.pdf"
qpdf --allow-weak-crypto --encrypt "$pw" "$pw-owner" 128 --use-aes=n -- letter.pdf "$out/pdf-rc4-128.pdf"
qpdf --encrypt "$pw" "$pw-owner" 128 --use-aes=y -- letter.pdf "$out/pdf-aes128.pdf"
qpdf --encrypt "$pw" "$pw-owner" 256 -- letter.pdf "$out/pdf-aes256.pdf"
qpdf --encrypt "" "$pw-owner" 256 -- letter.pdf "$out/pdf-owner-only.pdf"
export GNUPGHOME="$work/gnupg"
mkdir -m 700 "$GNUPGHOME"
for algo in AES256 CAST5; do
  gpg --batch --quiet --pinentry-mode loopback --passphrase "$pw" --symmetric --cipher-algo "$algo" \
    -o "$out/gpg-$algo.gpg" staff.csv
done
age-keygen -o age.key 2>/dev/null
age -r "$(age-keygen -y age.key)" -o "$out/staff.csv.age" staff.csv
msoffcrypto-tool -e -p "$pw" letter.docx "$out/letter-encrypted.docx"
# A LUKS2 volume keeps its header in the first 16 KiB; the rest is left out to keep the fixture small.
truncate -s 32M luks.img
echo -n "$pw" | cryptsetup luksFormat --batch-mode --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
  --key-file - luks.img
head -c 65536 luks.img > "$out/volume.luks"
ls -l "$out"
