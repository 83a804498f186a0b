#!/usr/bin/env python3
"""Builds the labelled policy corpus: a staff laptop's home folder with the same kinds of file in
every kind of place, and truth.json saying, for every file, the category it belongs in and the rules
it breaks, according to the university's policy (README "Categories" and "Rules").

The truth comes from what each file is, decided here when it is written: its content (who it is
about, what it is marked), where it sits (a local folder, the managed OneDrive, an unmanaged cloud
folder, a USB stick) and whether it is encrypted. Hard negatives are included on purpose: policy
texts about special categories, sector statistics, invalid look-alike numbers and published
documentation examples, public documents, and well-encrypted archives.

Usage: make-policy-corpus.py OUT_DIR     (writes OUT_DIR/home, OUT_DIR/usb, OUT_DIR/config.toml,
                                           OUT_DIR/truth.json; uses only the committed fixtures)
"""
import json
import os
import shutil
import sys
import time

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
out = os.path.abspath(sys.argv[1])
home, usb = os.path.join(out, "home", "alice"), os.path.join(out, "usb", "KINGSTON")

# Where files go: (folder, location kind).
PLACES = [
    (os.path.join(home, "Documents"), "local"),
    (os.path.join(home, "Desktop", "Dropbox export"), "local"),
    (os.path.join(home, "OneDrive - Loughborough University"), "managed_cloud"),
    (os.path.join(home, "Dropbox"), "unmanaged_cloud"),
    (os.path.join(home, "Library", "CloudStorage", "GoogleDrive-alice@gmail.com", "My Drive"), "unmanaged_cloud"),
    (os.path.join(home, "OneDrive"), "unmanaged_cloud"),
    (os.path.join(home, "SpiderOak Hive"), "unmanaged_cloud"),
    (usb, "removable"),
]

NAMES = ["Ann Smith", "Bob Jones", "Carol White", "David Patel", "Emma Khan", "Farah Ali", "George Brown",
         "Hannah Evans", "Ivan Nowak", "Julia Chen", "Kwame Okafor", "Li Wei"]
NINOS = ["AB123456C", "JG103942A", "CE990011D", "OA123456B", "SL402917B", "HW123987A", "KT554433C",
         "RE204813D", "WP778812A", "YZ301122B", "MA445566C", "LB909090D"]


def nhs_numbers(n):
    """Synthetic NHS numbers (England range 4xx, valid mod-11 check digit)."""
    found, body = [], 401023200
    while len(found) < n:
        body += 7
        digits = [int(c) for c in str(body)]
        check = 11 - sum(d * (10 - i) for i, d in enumerate(digits)) % 11
        if check == 11:
            check = 0
        if check != 10:
            found.append(f"{body}{check}")
    return found


NHS = nhs_numbers(12)

# Each template: name, category, content kind flags, and the text (or a fixture to copy).
#   cat: public | not_sensitive | confidential | highly_confidential
#   enc: None, "strong" or "weak"; credential: holds a password; marked_hc: carries an HC marking.
TEMPLATES = []


def template(name, category, text=None, fixture=None, enc=None, credential=False, marked_hc=False, old=False):
    TEMPLATES.append(dict(name=name, category=category, text=text, fixture=fixture, enc=enc,
                          credential=credential, marked_hc=marked_hc, old=old))


def rows(header, make, n=6):
    return header + "\n" + "\n".join(make(i) for i in range(n)) + "\n"


template("staff-list.csv", "confidential",
         rows("Name,Email,NI number", lambda i: f"{NAMES[i]},{NAMES[i].split()[0].lower()}.{NAMES[i].split()[1].lower()}@lboro.ac.uk,{NINOS[i]}"))
template("patients.csv", "highly_confidential",
         rows("Name,NHS Number,Diagnosis", lambda i: f"{NAMES[i]},{NHS[i]},diagnosed with {['diabetes', 'epilepsy', 'depression', 'asthma', 'cancer', 'HIV'][i]}"))
template("ethnicity-monitoring.csv", "confidential",
         rows("Name,Email,Ethnicity", lambda i: f"{NAMES[i]},{NAMES[i].split()[0].lower()}@lboro.ac.uk,{['Pakistani', 'White British', 'Black African', 'Indian', 'Chinese', 'Bangladeshi'][i]}"))
template("contacts.csv", "confidential",
         rows("Name,Email", lambda i: f"{NAMES[i]},{NAMES[i].split()[0].lower()}.{i}@gmail.com", n=12))
template("board-paper.txt", "highly_confidential", "HIGHLY CONFIDENTIAL\nRestructuring options for the Faculty.\n", marked_hc=True)
template("briefing.txt", "highly_confidential", "OFFICIAL-SENSITIVE\nProject briefing for the Ministry.\n", marked_hc=True)
template("strategy-draft.txt", "confidential", "DRAFT\nUniversity strategy 2030, for comment.\n")
template("disciplinary.txt", "confidential", "CONFIDENTIAL\nNotes of the hearing held on 3 May.\n")
template("open-day.txt", "public", "PUBLIC\nOpen day programme: talks, tours and lunch.\n")
template("wellbeing-policy.txt", "not_sensitive",
         "Wellbeing policy\nWe support staff living with depression, anxiety disorder, diabetes or cancer,\n"
         "and make reasonable adjustments for disability. Contact HR for details.\n")
template("equality-report.txt", "not_sensitive",
         "Equality report 2024\nStaff by ethnicity: White British 71%, Indian 6%, Pakistani 4%, Chinese 3%.\n"
         "Religion or belief: Christian 38%, Muslim 7%, no religion 41%. Trade union membership rose.\n")
template("look-alikes.txt", "not_sensitive",
         "Examples only: NI number QQ 12 34 56 C (HMRC example), NHS number 485 777 3456 (website example),\n"
         "order 4502725103, part code ZZ123456T, card 4111 1111 1111 1111, phone 07700 900123.\n")
template("newsletter.txt", "not_sensitive", "Staff newsletter\nThe library opens late on Thursdays. Tel 01509 222222.\n")
template("passwords.txt", "confidential", "VPN password: Tr0ub4dor&3\nWifi password: hunter2hunter2\n", credential=True)
template("MA1001-exam-paper.txt", "confidential",
         "LOUGHBOROUGH UNIVERSITY\nSEMESTER 1 EXAMINATIONS 2026/27\nMA1001 Linear Algebra\n"
         "Time allowed: 2 hours\nAnswer ALL questions. Approved calculators may be used.\n"
         "Do not turn over this page until instructed by the invigilator.\n\n1. (a) Find the rank of A.\n")
template("MA1001-past-paper-2019.txt", "not_sensitive",
         "Past exam papers: MA1001 Linear Algebra, May 2019\nTime allowed: 2 hours\n"
         "Answer ALL questions.\n\n1. (a) Find the rank of A.\n")
template("module-handbook.txt", "not_sensitive",
         "MA1001 module handbook\nAssessment: coursework 30%, and a two-hour examination in January.\n"
         "In the exam you answer all four questions; revision lectures run in week 11.\n")
template("disciplinary-outcome.txt", "confidential",
         "Dear Dr Patel,\nI am writing to confirm the outcome of the disciplinary hearing held on 3 March 2026.\n"
         "The panel found the allegation of gross misconduct not proven, and you will receive a final\n"
         "written warning. You have the right of appeal within ten working days.\n")
template("disciplinary-procedure.txt", "not_sensitive",
         "Disciplinary procedure for staff\nA disciplinary hearing may lead to a first written warning, a final\n"
         "written warning or, for gross misconduct, dismissal. Employees have the right of appeal.\n")
template("appraisal-2026.txt", "confidential",
         "Annual appraisal 2026\nAppraisee: Emma Khan\nReviewer: George Brown\nDate of meeting: 4 June 2026\n"
         "Review of the year: teaching scores fell; a performance improvement plan is agreed.\n"
         "Objectives for the coming year: publish two papers.\n")
template("data-sharing-agreement.txt", "confidential",
         "THIS AGREEMENT is made on 1 September 2026 between (1) Acme Analytics Ltd and (2) the University.\n"
         "The Receiving Party shall keep the Disclosing Party's information secret.\n"
         "Signed for and on behalf of Acme Analytics Ltd: ...........\n")
template("contracts-guidance.txt", "not_sensitive",
         "Contracts Office guidance\nBefore you sign a non-disclosure agreement, ask us who may sign for the\n"
         "University. Standard terms are governed by the laws of England.\n")
template("senate-reserved.txt", "confidential",
         "Senate, 12 March 2026\nRESERVED BUSINESS\nPaper S/26/14: proposed programme closures.\n")
template("MA1001-marks.csv", "confidential",
         rows("Student ID,Name,Module,Mark", lambda i: f"{21012345 + 97 * i},{NAMES[i]},MA1001,{40 + 7 * i}"))
template("marks.ods", "confidential", fixture="marks.ods")
template("id-card-notice.txt", "not_sensitive",
         "Lost your student ID card? The library desk replaces it for GBP 10.\n"
         "Registered charity number 1234567; company registration number 01234567.\n")
template("exam-paper.docx", "confidential", fixture="exam-paper.docx")
template("exam-paper.pdf", "confidential", fixture="exam-paper.pdf")
template("letter.docx", "confidential", fixture="letter.docx")
template("staff.xlsx", "confidential", fixture="staff.xlsx")
template("case-review.pptx", "confidential", fixture="slides.pptx")
template("reference.pdf", "confidential", fixture="letter.pdf")
template("export.zip", "confidential", fixture="export.zip")
template("backup-aes256.zip", "not_sensitive", fixture="zip-aes256.zip", enc="strong")
template("backup-zipcrypto.zip", "not_sensitive", fixture="zipcrypto.zip", enc="weak")
template("old-staff-list.csv", "confidential",
         rows("Name,Email,NI number", lambda i: f"{NAMES[i + 6]},{NAMES[i + 6].split()[0].lower()}@lboro.ac.uk,{NINOS[i + 6]}"), old=True)


def rules_for(t, kind, root_has_encrypted):
    """The rules a file breaks, from the policy: by category, place and encryption."""
    rules = set()
    cat = t["category"]
    confidential = cat in ("confidential", "highly_confidential")
    encrypted = t["enc"] is not None
    if cat == "highly_confidential" and not t["marked_hc"]:
        rules.add("unlabelled_highly_confidential")
    if kind == "unmanaged_cloud":
        if cat == "highly_confidential":
            # One alert per problem: it carries the unencrypted fact.
            rules.add("highly_confidential_in_unmanaged_cloud")
        elif confidential and not encrypted:
            rules.add("unencrypted_confidential_in_unmanaged_cloud")
        if confidential and t["old"]:
            rules.add("stale_confidential_in_unmanaged_cloud")
    if kind == "removable" and confidential and not encrypted:
        rules.add("unencrypted_confidential_on_removable")
    if kind in ("unmanaged_cloud", "removable"):
        if t["enc"] == "weak":
            rules.add("weak_encryption")
        if t["credential"]:
            rules.add("credential_exposed")
            if root_has_encrypted:
                rules.add("key_stored_with_data")
    return sorted(rules)


def main():
    if os.path.exists(out):
        shutil.rmtree(out)
    truth = {}
    two_years_ago = time.time() - 2 * 365 * 86400
    for folder, kind in PLACES:
        os.makedirs(folder, exist_ok=True)
        root_has_encrypted = any(t["enc"] for t in TEMPLATES)
        for t in TEMPLATES:
            path = os.path.join(folder, t["name"])
            if t["fixture"]:
                shutil.copy(os.path.join(FIXTURES, t["fixture"]), path)
            else:
                with open(path, "w", encoding="utf-8") as f:
                    f.write(t["text"])
            if t["old"]:
                os.utime(path, (two_years_ago, two_years_ago))
            truth[path] = {"category": t["category"], "location": kind,
                           "rules": rules_for(t, kind, root_has_encrypted)}
    with open(os.path.join(out, "config.toml"), "w") as f:
        f.write('managed_onedrive_tenants = ["Loughborough University"]\n\n'
                f'[[locations]]\npath = "{usb}"\nkind = "removable"\nprovider = "usb"\n')
    with open(os.path.join(out, "truth.json"), "w") as f:
        json.dump(truth, f, indent=1, sort_keys=True)
    print(f"{len(truth)} files")


if __name__ == "__main__":
    main()
