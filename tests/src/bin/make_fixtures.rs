//! Writes the roster fixtures under `tests/fixtures/rosters/`: messy rosters of the kinds
//! conferral meets (LMS exports, event and webinar tools, HR systems, hand-made sheets, six
//! languages), each with its group and a README naming the problems planted in it.
//!
//! `cargo run -p conferral-tests --bin make_fixtures` (XLS needs `CONFERRAL_TOOLS_PYTHON`, a
//! Python with xlwt, as `make test` sets up). The output is deterministic; the committed files
//! are what the snapshot tests read.

use std::path::Path;

use chrono::NaiveDate;
use conferral_tests::{Cell, CsvStyle, Encoding};

const BOOTCAMP: &str = r#"{"name": "Data Science Bootcamp 2026",
 "attributes": [
   {"key": "grade", "label": "Grade", "type": "enum", "values": ["Pass", "Merit", "Distinction"], "aliases": ["result"]},
   {"key": "hours", "label": "Course Hours", "type": "number", "required": true},
   {"key": "cohort_start", "label": "Cohort Start", "type": "date", "date_format": "DD/MM/YYYY"}]}
"#;

const EVENT: &str = r#"{"name": "Open Data Summit 2026",
 "attributes": [
   {"key": "ticket", "label": "Ticket Type", "type": "enum", "values": ["General Admission", "Speaker", "Workshop"]}]}
"#;

struct Fixture {
    name: &'static str,
    file: &'static str,
    bytes: Vec<u8>,
    group: &'static str,
    options: Option<&'static str>,
    readme: &'static str,
}

fn text(s: &str) -> Cell {
    Cell::Text(s.to_owned())
}

fn date(y: i32, m: u32, d: u32) -> Cell {
    Cell::Date(NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default())
}

fn utf16le_bom(s: &str) -> Vec<u8> {
    [
        vec![0xFF, 0xFE],
        s.encode_utf16().flat_map(u16::to_le_bytes).collect(),
    ]
    .concat()
}

fn cp1252(s: &str) -> Vec<u8> {
    encoding_rs::WINDOWS_1252.encode(s).0.into_owned()
}

fn rows(lines: &[&[Cell]]) -> Vec<Vec<Cell>> {
    lines.iter().map(|l| l.to_vec()).collect()
}

#[expect(
    clippy::vec_init_then_push,
    reason = "fixtures are listed one by one, some after the rows they share"
)]
fn fixtures() -> Result<Vec<Fixture>, String> {
    let mut out = Vec::new();

    out.push(Fixture {
        name: "moodle_grades_semicolon_bom",
        file: "roster.csv",
        bytes: [b"\xEF\xBB\xBF".as_slice(), concat!(
            "First name;Last name;Email address;ID number;Institution;Department;Course total (Real);Course Hours;Last downloaded from this course\r\n",
            "Ana;López;ana.lopez@example.org;000123;Universidad de Sevilla;Ingeniería;87,50;40;1771234567\r\n",
            "Bo;Chen;bo.chen@example;000124;NUS;Computing;91,00;40;1771234567\r\n",
            "Chiara;Rossi;chiara.rossi@example.org;000125;Politecnico;DEIB;78,25;40;1771234567\r\n",
            "Dmitri;Ivanov;Ana.Lopez@Example.org;000126;MSU;CMC;65,00;40;1771234567\r\n",
            "Elif;Yılmaz;elif.yilmaz@example.org;000127;METU;CENG;;40;1771234567\r\n",
        ).as_bytes()].concat(),
        group: BOOTCAMP,
        options: None,
        readme: "Moodle grade export: UTF-8 with a byte order mark, `;` and CRLF, decimal commas.\n\
                 Problems: C3 `bo.chen@example` has no top-level domain; C2 and C5 are the same address in different case.\n\
                 Institution, Department, ID number, Course total and the download stamp stay unmapped.\n",
    });

    out.push(Fixture {
        name: "canvas_gradebook_points_possible",
        file: "roster.csv",
        bytes: concat!(
            "Student,ID,SIS User ID,SIS Login ID,Section,Course Hours,Final Score\n",
            "    Points Possible,,,,,,100.00\n",
            "\"López, Ana\",1201,S1201,ana.lopez@uni.example.edu,DS-101 A,40,92.5\n",
            "\"Chen, Bo\",1202,S1202,bo.chen@uni.example.edu,DS-101 A,40,88\n",
            "\"Rossi, Chiara\",1203,S1203,chiara.rossi@uni.example.edu,DS-101 B,forty,79\n",
            "\"Ivanov, Dmitri\",1204,S1204,dmitri.ivanov@uni.example.edu,DS-101 B,40,95\n",
        ).as_bytes().to_vec(),
        group: BOOTCAMP,
        options: None,
        readme: "Canvas gradebook export: a \"Points Possible\" row under the header (row 2, skipped), names as \"Last, First\",\n\
                 the addresses in \"SIS Login ID\" (matched by content).\n\
                 Problems: F5 `forty` is not a number.\n",
    });

    out.push(Fixture {
        name: "eventbrite_attendees_cp1252",
        file: "roster.csv",
        bytes: cp1252(concat!(
            "Order #,Order Date,First Name,Last Name,Email,Ticket Type,Buyer Email,Attendee Status\r\n",
            "1187001,11/03/2026 14:05,Zoë,Müller,zoe.mueller@example.de,General Admission,zoe.mueller@example.de,Attending\r\n",
            "1187002,11/03/2026 14:09,François,Dubois,f.dubois@example.fr,Speaker,assistant@example.fr,Attending\r\n",
            "1187003,11/04/2026 09:12,Inés,Nuñez,ines.nunez@example.es,VIP,ines.nunez@example.es,Attending\r\n",
            "1187004,11/04/2026 09:30,Søren,Kierkegård,,Workshop,soren@example.dk,Attending\r\n",
        )),
        group: EVENT,
        options: None,
        readme: "Eventbrite attendee export saved by Excel on Windows: Windows-1252, not UTF-8 (reported), US dates with times.\n\
                 Buyer Email, Order #, Order Date and Attendee Status stay unmapped.\n\
                 Problems: F4 `VIP` is not a ticket type; E5 is empty (email required).\n",
    });

    out.push(Fixture {
        name: "webinar_utf16_tab",
        file: "roster.txt",
        bytes: utf16le_bom(concat!(
            "User Name (Original Name)\tAttendee Email\tJoin Time\tLeave Time\tTime in Session (minutes)\tRegistration date\tEmail consent\r\n",
            "Ana López\tana.lopez@example.org\t03/11/2026 09:58:12 AM\t03/11/2026 11:02:40 AM\t64\t02/20/2026\tYes\r\n",
            "Bo Chen (he/him)\tbo.chen@example.org\t03/11/2026 10:01:05 AM\t03/11/2026 11:00:00 AM\t59\t02/21/2026\tNo\r\n",
            "Chiara Rossi\tchiara.rossi@example\t03/11/2026 10:03:44 AM\t03/11/2026 10:40:10 AM\t37\t02/21/2026\tYes\r\n",
        )),
        group: r#"{"name": "Webinar: Data Privacy Basics", "attributes": []}
"#,
        options: None,
        readme: "Zoom-style webinar attendee report: UTF-16LE with a byte order mark, tab-delimited, a .txt name.\n\
                 Registration date and Email consent must stay unmapped even though they look close.\n\
                 Problems: B4 `chiara.rossi@example` has no top-level domain.\n",
    });

    out.push(Fixture {
        name: "hr_export_german",
        file: "roster.csv",
        bytes: concat!(
            "Personalnummer;Vorname;Nachname;E-Mail-Adresse;Ausstellungsdatum;Gültig bis;Stunden;Vorgesetzter E-Mail\n",
            "000123;Jürgen;Groß;juergen.gross@firma.example;15.03.2026;15.03.2028;16;chefin@firma.example\n",
            "000124;Anneliese;Bäcker;a.baecker@firma.example;15.03.2026;15.03.2025;16;chefin@firma.example\n",
            "000125;Mehmet;Öztürk;mehmet.oeztuerk@firma.example;31.02.2026;;12;chef@firma.example\n",
            "000126;Karl-Heinz;Schmidt;k.schmidt@firma.example;16.03.2026;16.03.2028;8;chef@firma.example\n",
        ).as_bytes().to_vec(),
        group: r#"{"name": "Arbeitsschutz-Unterweisung 2026",
 "attributes": [
   {"key": "hours", "label": "Course Hours", "type": "number", "required": true, "aliases": ["Stunden"]},
   {"key": "employee_id", "label": "Employee ID", "type": "text", "aliases": ["Personalnummer"]}]}
"#,
        options: None,
        readme: "German HR export: `;`, UTF-8 without a byte order mark, dates as DD.MM.YYYY, personnel numbers with leading zeros (kept as text).\n\
                 Vorgesetzter E-Mail (the manager's address) stays unmapped.\n\
                 Problems: F3 expires (2025-03-15) before it is issued; E4 `31.02.2026` is not a date.\n",
    });

    out.push(Fixture {
        name: "zoom_meeting_participants",
        file: "roster.csv",
        bytes: concat!(
            "Meeting ID,Topic,Start Time,End Time,User Email,Duration (Minutes),Participants\n",
            "812 3456 7890,Data Science Bootcamp – Session 4,03/01/2026 09:00:00 AM,03/01/2026 12:02:00 PM,host.trainer@example.org,182,4\n",
            "\n",
            "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest\n",
            "Ana Lopez,ana.lopez@example.org,03/01/2026 08:58:12 AM,03/01/2026 12:01:40 PM,184,No\n",
            "Bo Chen,bo.chen@example.org,03/01/2026 09:03:55 AM,03/01/2026 12:00:02 PM,177,No\n",
            "Cy Diaz (Cy's iPad),cy.diaz@example.org,03/01/2026 09:10:00 AM,03/01/2026 11:30:00 AM,140,Yes\n",
            "Di Eng,di.eng@example,03/01/2026 09:00:30 AM,03/01/2026 12:02:00 PM,182,No\n",
        )
        .as_bytes()
        .to_vec(),
        group: r#"{"name": "Data Science Bootcamp", "attributes": []}
"#,
        options: None,
        readme: "Zoom meeting report: a summary table (meeting id, topic, the host's `User Email`) on rows 1-2, a blank row, then the participants on row 4.\n\
                 The participants table is read (several_tables names both); the host is no recipient.\n\
                 Problems: B8 `di.eng@example` has no top-level domain.\n",
    });

    out.push(Fixture {
        name: "gotowebinar_attendee_report",
        file: "roster.csv",
        bytes: concat!(
            "Attendee Report:\n",
            "Report Generated:\n",
            "\"Mar 02, 2026 10:15 AM CET\"\n",
            "Webinar Name,Webinar ID,Actual Start Date/Time,Actual Duration (minutes),# Registered,# Attended\n",
            "Intro to Accessible Design,123-456-789,\"Mar 01, 2026 09:00 AM CET\",62,5,4\n",
            "Host Details\n",
            "Attended,Interest Rating,Last Name,First Name,Email Address,Join Time,Leave Time,Time in Session\n",
            "Yes,,Host,Helen,helen.host@example.org,\"Mar 01, 2026 08:45 AM CET\",\"Mar 01, 2026 10:05 AM CET\",1 hour 20 minutes\n",
            "Panelist Details\n",
            "Attended,Last Name,First Name,Email Address,Join Time,Leave Time,Time in Session\n",
            "Yes,Panel,Pia,pia.panel@example.org,\"Mar 01, 2026 08:50 AM CET\",\"Mar 01, 2026 10:02 AM CET\",1 hour 12 minutes\n",
            "Attendee Details\n",
            "Attended,Interest Rating,Last Name,First Name,Email Address,Registration Time,Join Time,Leave Time,Time in Session,Country/Region\n",
            "Yes,4,Lopez,Ana,ana.lopez@example.org,\"Feb 20, 2026 11:00 AM CET\",\"Mar 01, 2026 08:59 AM CET\",\"Mar 01, 2026 10:02 AM CET\",1 hour 3 minutes,Spain\n",
            "Yes,5,Chen,Bo,bo.chen@example.org,\"Feb 21, 2026 09:30 AM CET\",\"Mar 01, 2026 09:01 AM CET\",\"Mar 01, 2026 10:02 AM CET\",1 hour 1 minute,Canada\n",
            "No,,Diaz,Cy,cy.diaz@example.org,\"Feb 22, 2026 10:00 AM CET\",,,,Mexico\n",
            "Yes,3,Eng,Di,di.eng@example.org,\"Feb 23, 2026 08:00 AM CET\",\"Mar 01, 2026 09:10 AM CET\",\"Mar 01, 2026 09:50 AM CET\",40 minutes,Singapore\n",
        )
        .as_bytes()
        .to_vec(),
        group: r#"{"name": "Intro to Accessible Design", "attributes": []}
"#,
        options: None,
        readme: "GoToWebinar attendee report: title lines, a webinar summary, then Host Details (header on row 7), Panelist Details (row 10) and Attendee Details (row 13), each under a one-cell title.\n\
                 The attendee table is read: four rows, names from Last Name and First Name. `Attended` (Yes/No) is not the name.\n",
    });

    out.push(Fixture {
        name: "teams_attendance_utf16",
        file: "roster.csv",
        bytes: [
            vec![0xFF, 0xFE],
            concat!(
            "1. Summary\n",
            "Meeting title\tWeekly data clinic\n",
            "Attended participants\t3\n",
            "Start time\t3/1/26, 9:00:00 AM\n",
            "End time\t3/1/26, 10:00:00 AM\n",
            "\n",
            "2. Participants\n",
            "Name\tFirst Join\tLast Leave\tIn-Meeting Duration\tEmail\tParticipant ID (UPN)\tRole\n",
            "Ana Lopez\t3/1/26, 9:00:10 AM\t3/1/26, 9:59:50 AM\t59m 40s\tana.lopez@example.org\tana.lopez@example.org\tOrganizer\n",
            "Bo Chen\t3/1/26, 9:01:00 AM\t3/1/26, 9:58:00 AM\t52m 20s\tbo.chen@example.org\tbo.chen@example.org\tAttendee\n",
            "Cy Diaz\t3/1/26, 9:05:00 AM\t3/1/26, 9:40:00 AM\t35m\tcy.diaz@example.org\tcy.diaz@example.org\tAttendee\n",
            "\n",
            "3. In-Meeting Activities\n",
            "Name\tJoin Time\tLeave Time\tDuration\tEmail\tRole\n",
            "Ana Lopez\t3/1/26, 9:00:10 AM\t3/1/26, 9:59:50 AM\t59m 40s\tana.lopez@example.org\tOrganizer\n",
            "Bo Chen\t3/1/26, 9:01:00 AM\t3/1/26, 9:30:00 AM\t29m\tbo.chen@example.org\tAttendee\n",
            "Bo Chen\t3/1/26, 9:35:00 AM\t3/1/26, 9:58:00 AM\t23m 20s\tbo.chen@example.org\tAttendee\n",
            "Cy Diaz\t3/1/26, 9:05:00 AM\t3/1/26, 9:40:00 AM\t35m\tcy.diaz@example.org\tAttendee\n",
            )
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect(),
        ]
        .concat(),
        group: r#"{"name": "Weekly data clinic", "attributes": []}
"#,
        options: None,
        readme: "Microsoft Teams attendance report: UTF-16LE with a byte order mark, tab-separated, dates with commas inside (`3/1/26, 9:00:00 AM`).\n\
                 1. Summary (key and value rows), 2. Participants (header on row 8, three people), 3. In-Meeting Activities (header on row 14, Bo twice).\n\
                 The participants table is read, so nobody is a duplicate; the activities are named in several_tables.\n",
    });

    out.push(Fixture {
        name: "named_columns_of_bad_values",
        file: "roster.csv",
        bytes: concat!(
            "Name,email,issued_on\n",
            "Ana Lopez,ana at example.org,2026-13-45\n",
            "Bo Chen,bo(at)example.org,31/02/2026\n",
            "Cy Diaz,cy@example.org,not yet\n",
            "Di Eng,di.example.org,2026-03-01\n",
        )
        .as_bytes()
        .to_vec(),
        group: r#"{"name": "Named Columns", "attributes": []}
"#,
        options: None,
        readme: "Headers that name their attributes exactly (`email`, `issued_on`) over columns whose values are mostly broken.\n\
                 Both columns stay mapped however bad their values: B and C get a column_type_mismatch warning each.\n\
                 Problems: B2 `ana at example.org`, B3 `bo(at)example.org` and B5 `di.example.org` are no addresses;\n\
                 C2 `2026-13-45`, C3 `31/02/2026` and C4 `not yet` are no dates. Only row 4's address and row 5's date are good, so no row is valid.\n",
    });

    out.push(Fixture {
        name: "french_courriel",
        file: "roster.csv",
        bytes: concat!(
            "Nom complet;Courriel;Date de délivrance;Date d'expiration;Résultat\n",
            "Élodie Lefèvre;elodie.lefevre@exemple.fr;25/03/2026;25/03/2029;Distinction\n",
            "Théo Martin;theo.martin@exemple.fr;05/04/2026;05/04/2029;Pass\n",
            "Chloé Bernard;chloe.bernard@exemple;05/04/2026;05/04/2029;Merit\n",
        ).as_bytes().to_vec(),
        group: r#"{"name": "Formation Sécurité des Données",
 "attributes": [
   {"key": "grade", "label": "Grade", "type": "enum", "values": ["Pass", "Merit", "Distinction"], "aliases": ["Résultat"]}]}
"#,
        options: None,
        readme: "French roster: `;`, day-first dates; 25/03/2026 decides the order of the whole column, so 05/04/2026 is 5 April.\n\
                 Problems: B4 `chloe.bernard@exemple` has no top-level domain.\n",
    });

    out.push(Fixture {
        name: "spanish_fecha_emision_ambiguous",
        file: "roster.csv",
        bytes: concat!(
            "Nombre,Apellidos,Correo electrónico,Fecha de emisión,Fecha de vencimiento\n",
            "Lucía,García Pérez,lucia.garcia@ejemplo.es,03/04/2026,2028-04-03\n",
            "Javier,Fernández,javier.fernandez@ejemplo.es,05/04/2026,2028-04-05\n",
            "Ana,Martínez Ruiz,ana.martinez@ejemplo.es,07/04/2026,\n",
        ).as_bytes().to_vec(),
        group: r#"{"name": "Curso de Análisis de Datos", "attributes": []}
"#,
        options: None,
        readme: "Spanish roster with first name and surnames in two columns. Every issue date has a day and a month of at most 12,\n\
                 so day-first and month-first both read: column D is flagged (ambiguous_date_order), not guessed, and its rows are not valid.\n",
    });

    out.push(Fixture {
        name: "portuguese_certificado",
        file: "roster.csv",
        bytes: concat!(
            "Nome;Sobrenome;E-mail;Data de emissão;Validade;Carga horária\n",
            "João;Silva;joao.silva@exemplo.com.br;14/03/2026;14/03/2028;20\n",
            "Maria;Conceição;maria.conceicao@exemplo.com.br;14/03/2026;14/03/2028;20\n",
            "Pedro;Álvares;pedro@exemplo.com.br;14/03/2026;14/03/2028;vinte\n",
        )
        .as_bytes()
        .to_vec(),
        group: r#"{"name": "Certificado de Participação",
 "attributes": [
   {"key": "hours", "label": "Course Hours", "type": "number", "aliases": ["Carga horária"]}]}
"#,
        options: None,
        readme: "Portuguese roster (first name, surname), day-first dates decided by 14/03.\n\
                 Problems: F4 `vinte` is not a number.\n",
    });

    out.push(Fixture {
        name: "dutch_deelnemers",
        file: "roster.csv",
        bytes: concat!(
            "Voornaam,Achternaam,E-mailadres,Uitgiftedatum,Geldig tot\n",
            "Sanne,de Vries,sanne.devries@voorbeeld.nl,2026-03-20,2027-03-20\n",
            "Daan,van den Berg,daan@voorbeeld.nl,2026-03-20,2027-03-20\n",
            "Daan,van den Berg,daan@voorbeeld.nl,2026-03-20,2027-03-20\n",
        ).as_bytes().to_vec(),
        group: r#"{"name": "Cursus Projectmanagement", "attributes": []}
"#,
        options: None,
        readme: "Dutch roster with ISO dates. Problems: rows 3 and 4 are the same recipient (duplicate_recipient on C3 and C4).\n",
    });

    let title = rows(&[
        &[
            text("Certificate list – Spring 2026"),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
        ],
        &[],
        &[text(
            "Fill in one line per participant. Dates as dates, please.",
        )],
        &[
            text("Participant"),
            text("E-mail"),
            text("Issue Date"),
            text("Score"),
            text("Employee ID"),
            text("Course Hours"),
        ],
        &[
            text("Ana López"),
            text("ana@example.org"),
            date(2026, 3, 2),
            Cell::Number(88.0),
            text("004213"),
            Cell::Number(40.0),
        ],
        &[
            text("Bo Chen"),
            text("bo@example.org"),
            date(2026, 3, 2),
            Cell::Number(91.5),
            text("1.23457E+11"),
            Cell::Number(40.0),
        ],
        &[
            text("Chiara Rossi"),
            text("chiara@example.org"),
            text("next Monday"),
            Cell::Number(79.0),
            text("004215"),
            Cell::Number(40.0),
        ],
        &[],
        &[
            text("Dmitri Ivanov"),
            text("dmitri@example.org"),
            date(2026, 3, 3),
            Cell::Number(95.0),
            text("004216"),
            Cell::Empty,
        ],
    ]);
    out.push(Fixture {
        name: "handmade_title_rows_xlsx",
        file: "roster.xlsx",
        bytes: handmade_xlsx(&title)?,
        group: r#"{"name": "Data Science Bootcamp 2026",
 "attributes": [
   {"key": "score", "label": "Score", "type": "number"},
   {"key": "hours", "label": "Course Hours", "type": "number", "required": true},
   {"key": "employee_id", "label": "Employee ID", "type": "text"}]}
"#,
        options: None,
        readme: "Hand-made XLSX: a merged title (A1:F1), a blank row and a note above the header on row 4; real date cells;\n\
                 Score holds formulas with cached values; a blank row inside the data (row 8, skipped).\n\
                 Problems: C7 `next Monday` is not a date; E6 `1.23457E+11` looks like an ID damaged by scientific notation (warning);\n\
                 F9 is empty (Course Hours is required).\n",
    });

    out.push(Fixture {
        name: "pipe_delimited_multiline_notes",
        file: "roster.csv",
        bytes: concat!(
            "Name|Email|Course Hours|Notes\n",
            "Ana López|ana@example.org|40|\"Passed | with merit\"\n",
            "Bo Chen|bo@example.org|40|\"Line one\nline two\"\n",
            "Chiara Rossi|chiara@example.org|abc|\n",
        ).as_bytes().to_vec(),
        group: BOOTCAMP,
        options: None,
        readme: "`|`-delimited, LF endings, quoted values holding the delimiter and a line break (row 3 spans two lines but is one row).\n\
                 Problems: C4 `abc` is not a number.\n",
    });

    out.push(Fixture {
        name: "single_column_emails",
        file: "roster.csv",
        bytes: "email\nana@example.org\n  bo@example.org  \njürgen@bücher.de\nnot-an-email\nchiara@EXAMPLE.org\n".as_bytes().to_vec(),
        group: r#"{"name": "Newsletter badge", "attributes": []}
"#,
        options: None,
        readme: "A single column of addresses (no delimiter to find): surrounding spaces are trimmed, the IDN domain bücher.de is accepted.\n\
                 Problems: no name column (unmapped_required_attribute, so no row is valid); A5 `not-an-email`.\n",
    });

    out.push(Fixture {
        name: "ragged_rows",
        file: "roster.csv",
        bytes: "Name,Email,Course Hours\nAna,ana@example.org,40\nBo,bo@example.org\nChiara,chiara@example.org,40,extra,values\n".as_bytes().to_vec(),
        group: BOOTCAMP,
        options: None,
        readme: "Rows with fewer (row 3) and more (row 4) fields than the header: ragged_row warnings; C3's missing hours are an error.\n",
    });

    let mut unterminated =
        String::from("Name,Email,Course Hours\nAna,ana@example.org,40\nBo,\"bo@example.org,40\n");
    for i in 0..40 {
        unterminated.push_str(&format!("Person {i},person{i}@example.org,40\n"));
    }
    out.push(Fixture {
        name: "unterminated_quote",
        file: "roster.csv",
        bytes: unterminated.into_bytes(),
        group: BOOTCAMP,
        options: None,
        readme: "A quote opens in B3 and never closes: the rest of the file becomes one value. The email rules catch it (B3).\n",
    });

    out.push(Fixture {
        name: "control_chars_and_injection",
        file: "roster.csv",
        bytes: concat!(
            "Name,Email,Course Hours\n",
            "\"=HYPERLINK(\"\"http://evil.example\"\",\"\"click\"\")\",eve@example.org,40\n",
            "\"Tab\there\",tab@example.org,40\n",
            "Bell\u{7}Name,bell@example.org,40\n",
            "\"+1 Mallory\",\"mallory@example.org\r\nBcc: everyone@example.org\",40\n",
            "@SUM(1+1),sum@example.org,40\n",
        ).as_bytes().to_vec(),
        group: BOOTCAMP,
        options: None,
        readme: "Formula-like names (kept as text, escaped in error reports) and control characters.\n\
                 Problems: A3 tab and A4 bell in names (control_characters); B5 an address with a line break and a second header.\n",
    });

    out.push(Fixture {
        name: "mapping_and_header_override",
        file: "roster.csv",
        bytes: "Export 2026-03-01\nWho,Contact,Hrs,Internal\nAna López,ana@example.org,40,x\nBo Chen,bo@example.org,38,y\n".as_bytes().to_vec(),
        group: BOOTCAMP,
        options: Some(r#"{"header_row": 2, "mapping": {"columns": [{"column": "A", "attribute": "name"}, {"column": "B", "attribute": "email"}, {"column": "C", "attribute": "hours"}, {"column": "D", "attribute": null}]}}
"#),
        readme: "Headers no matcher would trust, confirmed by the user's mapping; the header row set explicitly. No problems.\n",
    });

    let legacy = rows(&[
        &[text("Completions – exported from the HR system")],
        &[
            text("Name"),
            text("Email"),
            text("Completed On"),
            text("Valid Until"),
            text("Course Hours"),
        ],
        &[
            text("Ana López"),
            text("ana@example.org"),
            date(2026, 3, 2),
            date(2028, 3, 2),
            Cell::Number(40.0),
        ],
        &[
            text("Bo Chen"),
            text("bo@example"),
            date(2026, 3, 2),
            date(2028, 3, 2),
            Cell::Number(40.0),
        ],
        &[
            text("Chiara Rossi"),
            text("chiara@example.org"),
            date(2026, 3, 4),
            date(2026, 1, 1),
            Cell::Number(36.5),
        ],
    ]);
    out.push(Fixture {
        name: "xls_legacy_second_sheet",
        file: "roster.xls",
        bytes: conferral_tests::xls_sheets(&[("Instructions", vec![]), ("Completions", legacy.clone())])?,
        group: BOOTCAMP,
        options: None,
        readme: "Excel 97-2003 workbook (written with xlwt): an empty first sheet, the data on the second, a title row, date cells.\n\
                 Problems: B4 `bo@example`; D5 expires before it is issued.\n",
    });
    out.push(Fixture {
        name: "ods_second_sheet",
        file: "roster.ods",
        bytes: conferral_tests::ods_sheets(&[("Instructions", vec![]), ("Completions", legacy)]).ok_or("ods")?,
        group: BOOTCAMP,
        options: None,
        readme: "OpenDocument spreadsheet: an empty first sheet, the data on the second, a title row, date cells.\n\
                 Problems: B4 `bo@example`; D5 expires before it is issued.\n",
    });

    let simple = rows(&[
        &[text("Name"), text("Email"), text("Course Hours")],
        &[
            text("Ana López"),
            text("ana@example.org"),
            Cell::Number(40.0),
        ],
    ]);
    out.push(Fixture {
        name: "xlsx_named_csv",
        file: "roster.csv",
        bytes: conferral_tests::xlsx_conferral(&simple).ok_or("xlsx")?,
        group: BOOTCAMP,
        options: None,
        readme: "An XLSX file saved with a .csv name: read as XLSX by its content, with a format_mismatch warning.\n",
    });
    out.push(Fixture {
        name: "csv_named_xlsx",
        file: "roster.xlsx",
        bytes: "Name,Email,Course Hours\nAna López,ana@example.org,40\n"
            .as_bytes()
            .to_vec(),
        group: BOOTCAMP,
        options: None,
        readme: "A CSV saved with an .xlsx name: read as CSV, with a format_mismatch warning.\n",
    });
    out.push(Fixture {
        name: "html_named_xls",
        file: "roster.xls",
        bytes: b"<html><head><meta charset=\"utf-8\"></head><body><table><tr><td>Name</td><td>Email</td></tr><tr><td>Ana</td><td>ana@example.org</td></tr></table></body></html>".to_vec(),
        group: BOOTCAMP,
        options: None,
        readme: "A web page saved as .xls by an export tool: refused with a clear error (unsupported_format) telling how to convert it.\n",
    });
    out.push(Fixture {
        name: "pdf_named_csv",
        file: "roster.csv",
        bytes: b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n".to_vec(),
        group: BOOTCAMP,
        options: None,
        readme: "A PDF (a certificate, say) chosen where the roster belongs, under a .csv name. Its text-only body has no control bytes, so before the format was told by its leading `%PDF-` it was read as a CSV of nonsense; now it is refused with a clear error (unsupported_format) that says it is a PDF document, not a roster.\n",
    });

    let style = CsvStyle {
        encoding: Encoding::Utf8,
        delimiter: b',',
        crlf: true,
    };
    let us = rows(&[
        &[
            text("Full Name"),
            text("Email Address"),
            text("Issue Date"),
            text("Expiration Date"),
        ],
        &[
            text("Ana Lopez"),
            text("ana@example.org"),
            text("03/13/2026"),
            text("03/13/2028"),
        ],
        &[
            text("Bo Chen"),
            text("bo@example.org"),
            text("04/02/2026"),
            text("04/02/2028"),
        ],
    ]);
    out.push(Fixture {
        name: "us_month_first_dates",
        file: "roster.csv",
        bytes: conferral_tests::csv(&us, style, &|_, d| d.to_string()).ok_or("csv")?,
        group: r#"{"name": "Compliance Training", "attributes": []}
"#,
        options: None,
        readme: "US roster: 03/13/2026 can only be month-first, which decides each date column, so 04/02/2026 is 2 April. No problems.\n",
    });

    out.push(Fixture {
        name: "suggested_fixes",
        file: "roster.csv",
        bytes: "First Name,Last Name,Email,Course Hours,Result,Cohort Start\n\
                Ana,López,ana@gmial.com,12,merit,13/04/2026\n\
                Bo Chen,,bo@example.org,10,Pass,14/04/2026\n\
                Chiara , Rossi,chiara@hotmail.con,8,DISTINCTION,15/04/2026\n\
                Dev,Patel,dev@example.org,10,Pass,04/16/2026\n\
                Ana,López,ana@gmial.com,12,merit,13/04/2026\n\
                Eve,Moreau,eve@proton.me,5,Pass,03/04/2026\n\
                Fay,Okafor,fay@gmial,5,Pass,13/05/2026\n"
            .as_bytes()
            .to_vec(),
        group: BOOTCAMP,
        options: None,
        readme: "A roster with one of each suggested fix (issue 18) and the cases that must get none.\n\
                 Fixes: swap_day_month F5 (`04/16/2026` under DD/MM/YYYY, the column otherwise day-first), split_name A3/B3 (`Bo Chen`), \
                 collapse_blanks A4 and B4, email_domain_typo C2, C4 and C6 (`gmial.com`, `hotmail.con`), enum_case E2, E4 and E6 (`merit`, `DISTINCTION`), \
                 drop_duplicate_rows row 6 (row 2 again).\n\
                 No fix: C7 `eve@proton.me` is a valid unusual domain; C8 `fay@gmial` is no address (invalid_email); F7 `03/04/2026` reads either way and stays.\n",
    });

    // The same rows as CSV and as XLSX: the `'` that error reports and cleaned records put
    // before a formula-like value was dropped silently from CSV cells and kept in workbook
    // cells (issue 13). Both folders must give the same values and findings.
    let marked = rows(&[
        &[
            text("Name"),
            text("Email"),
            text("Course Hours"),
            text("Note"),
        ],
        &[
            text("Ana López"),
            text("ana@example.org"),
            Cell::Number(40.0),
            text("'=SUM(A1)"),
        ],
        &[
            text("'+1 Mallory"),
            text("mallory@example.org"),
            Cell::Number(40.0),
            text("plain"),
        ],
        &[
            text("Chiara Rossi"),
            text("chiara@example.org"),
            Cell::Number(38.0),
            text("'quoted, not a marker"),
        ],
        &[
            text("Dmitri Ivanov"),
            text("dmitri@example.org"),
            Cell::Number(40.0),
            text("''=x"),
        ],
        &[
            text("Elif Yılmaz"),
            text("elif@example.org"),
            Cell::Number(36.0),
            text("'=HYPERLINK(\"http://evil.example\",\"click\")"),
        ],
        &[
            text("Femi Adeyemi"),
            text("femi@example.org"),
            Cell::Number(40.0),
            text("'-"),
        ],
        &[
            text("Gu Mei"),
            text("gu@example.org"),
            Cell::Number(40.0),
            text("' @home"),
        ],
    ]);
    let marker_group = r#"{"name": "Spreadsheet Safety 2026",
 "attributes": [
   {"key": "hours", "label": "Course Hours", "type": "number", "required": true},
   {"key": "note", "label": "Note", "type": "text"}]}
"#;
    let marker_readme = "The `'` that error reports and cleaned records write before a formula-like value, in cells of Name and Note;\n\
                 the same rows are in `text_marker_apostrophe_csv` and `text_marker_apostrophe_xlsx`, and read the same.\n\
                 The mark is removed and named: one text_marker_removed warning for column A (A3) and one for column D\n\
                 (5 cells: D2, D5, D6 and 2 more). D4 `'quoted, not a marker` keeps its `'` (no formula follows); D5 `''=x` reads `'=x`.\n\
                 No problems otherwise: every row is valid.\n";
    out.push(Fixture {
        name: "text_marker_apostrophe_csv",
        file: "roster.csv",
        bytes: conferral_tests::csv(&marked, style, &|_, d| d.to_string()).ok_or("csv")?,
        group: marker_group,
        options: None,
        readme: marker_readme,
    });
    out.push(Fixture {
        name: "text_marker_apostrophe_xlsx",
        file: "roster.xlsx",
        bytes: conferral_tests::xlsx_conferral(&marked).ok_or("xlsx")?,
        group: marker_group,
        options: None,
        readme: marker_readme,
    });
    Ok(out)
}

/// The hand-made workbook: a merged title and formulas with cached values, which only
/// rust_xlsxwriter (of the writers here) can produce.
fn handmade_xlsx(rows: &[Vec<Cell>]) -> Result<Vec<u8>, String> {
    use chrono::Datelike;
    use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};
    let mut workbook = Workbook::new();
    let props = rust_xlsxwriter::DocProperties::new()
        .set_creation_datetime(&ExcelDateTime::from_ymd(2026, 3, 1).map_err(|e| e.to_string())?);
    workbook.set_properties(&props);
    let sheet = workbook.add_worksheet();
    sheet.set_name("Spring 2026").map_err(|e| e.to_string())?;
    let date_format = Format::new().set_num_format("dd/mm/yyyy");
    let bold = Format::new().set_bold();
    for (r, row) in rows.iter().enumerate() {
        let r = u32::try_from(r).map_err(|e| e.to_string())?;
        for (c, cell) in row.iter().enumerate() {
            let c = u16::try_from(c).map_err(|e| e.to_string())?;
            match cell {
                Cell::Empty => {}
                Cell::Text(t) => {
                    sheet.write_string(r, c, t).map_err(|e| e.to_string())?;
                }
                Cell::Number(n) if c == 3 && r > 3 => {
                    // Score = half of a hidden double score, cached as the value.
                    let formula = Formula::new(format!("={}/2", n * 2.0)).set_result(n.to_string());
                    sheet
                        .write_formula(r, c, formula)
                        .map_err(|e| e.to_string())?;
                }
                Cell::Number(n) => {
                    sheet.write_number(r, c, *n).map_err(|e| e.to_string())?;
                }
                Cell::Date(d) => {
                    let dt = ExcelDateTime::from_ymd(
                        u16::try_from(d.year()).map_err(|e| e.to_string())?,
                        d.month() as u8,
                        d.day() as u8,
                    )
                    .map_err(|e| e.to_string())?;
                    sheet
                        .write_datetime_with_format(r, c, &dt, &date_format)
                        .map_err(|e| e.to_string())?;
                }
            }
        }
    }
    sheet
        .merge_range(0, 0, 0, 5, "Certificate list – Spring 2026", &bold)
        .map_err(|e| e.to_string())?;
    workbook.save_to_buffer().map_err(|e| e.to_string())
}

fn main() -> Result<(), String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rosters");
    for f in fixtures()? {
        let dir = root.join(f.name);
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        std::fs::write(dir.join(f.file), &f.bytes).map_err(|e| e.to_string())?;
        std::fs::write(dir.join("group.json"), f.group).map_err(|e| e.to_string())?;
        if let Some(options) = f.options {
            std::fs::write(dir.join("options.json"), options).map_err(|e| e.to_string())?;
        }
        std::fs::write(
            dir.join("README.md"),
            format!("# {}\n\n{}", f.name, f.readme),
        )
        .map_err(|e| e.to_string())?;
        println!("wrote {}", dir.display());
    }
    Ok(())
}
