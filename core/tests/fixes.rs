//! Suggested fixes: each fix's code, cells and values as an analysis suggests them, the
//! cases where nothing may be suggested, and what applying them gives.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "a test fails by panicking"
)]

use conferral::fixes::{FixChange, FixCode, LISTED_CHANGES, Roster, RosterRow, apply};
use conferral::output::OutputFormat;
use conferral::{AnalyzeOptions, Code, Fix, Group, Report, analyze, fix};

fn group(attributes: serde_json::Value) -> Group {
    serde_json::from_value(serde_json::json!({"name": "g", "attributes": attributes}))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn plain() -> Group {
    group(serde_json::json!([]))
}

fn report(csv: &str, group: &Group) -> Report {
    analyze(csv.as_bytes(), group, &AnalyzeOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn of(report: &Report, code: FixCode) -> Vec<&Fix> {
    report.fixes.iter().filter(|f| f.code == code).collect()
}

/// The one fix of `code`, panicking if there is not exactly one.
fn one(report: &Report, code: FixCode) -> &Fix {
    match of(report, code).as_slice() {
        [fix] => fix,
        other => panic!("{} {code:?} fixes: {:#?}", other.len(), report.fixes),
    }
}

/// Each change as `cell: before -> after`.
fn changes(fix: &Fix) -> Vec<String> {
    fix.changes
        .iter()
        .map(|c| {
            format!(
                "{}: {} -> {}",
                c.cell.as_deref().unwrap_or("-"),
                c.before.as_deref().unwrap_or("-"),
                c.after.as_deref().unwrap_or("-")
            )
        })
        .collect()
}

fn codes_of(report: &Report) -> Vec<&'static str> {
    report.findings.iter().map(|f| f.code.as_str()).collect()
}

/// The roster with `codes` applied, written as CSV and analysed again.
fn fixed_and_again(csv: &str, group: &Group, codes: &[FixCode]) -> (Vec<u8>, Report) {
    let fixed = fix(csv.as_bytes(), group, &AnalyzeOptions::default(), codes)
        .unwrap_or_else(|e| panic!("{e}"));
    let bytes = OutputFormat::Csv
        .roster(&fixed.roster)
        .unwrap_or_else(|e| panic!("{e}"));
    let again =
        analyze(&bytes, group, &AnalyzeOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    (bytes, again)
}

#[test]
fn a_mixed_date_column_gets_its_few_other_order_dates_swapped() {
    let csv = "Name,Email,Issued On\n\
               Ana,a@x.org,13/04/2026\n\
               Bo,b@x.org,14/04/2026\n\
               Cy,c@x.org,15/04/2026\n\
               Di,d@x.org,04/16/2026\n\
               Ed,e@x.org,03/04/2026\n";
    let before = report(csv, &plain());
    assert!(codes_of(&before).contains(&"ambiguous_date_order"));
    let swap = one(&before, FixCode::SwapDayMonth);
    assert_eq!(
        (
            swap.attribute.as_deref(),
            swap.column.as_deref(),
            swap.count
        ),
        (Some("issued_on"), Some("C"), 1)
    );
    assert_eq!(changes(swap), ["C5: 04/16/2026 -> 16/04/2026"]);
    assert!(
        swap.message.contains("written day-first"),
        "{}",
        swap.message
    );
    assert!(
        swap.message.contains("`04/16/2026` in C5"),
        "{}",
        swap.message
    );
    let (_, again) = fixed_and_again(csv, &plain(), &[FixCode::SwapDayMonth]);
    assert!(!codes_of(&again).contains(&"ambiguous_date_order"));
    assert!(of(&again, FixCode::SwapDayMonth).is_empty());
    assert_eq!(again.summary.invalid, 0);
}

#[test]
fn no_swap_is_suggested_on_ambiguous_evidence() {
    // Two day-first dates against one month-first: not three to one.
    let close = "Name,Email,Issued On\nAna,a@x.org,13/04/2026\nBo,b@x.org,14/04/2026\nDi,d@x.org,04/16/2026\n";
    // Every date reads either way.
    let either = "Name,Email,Issued On\nAna,a@x.org,03/04/2026\nBo,b@x.org,05/06/2026\n";
    // One order throughout: nothing to swap.
    let clean = "Name,Email,Issued On\nAna,a@x.org,13/04/2026\nBo,b@x.org,03/04/2026\n";
    for csv in [close, either, clean] {
        let r = report(csv, &plain());
        assert!(
            of(&r, FixCode::SwapDayMonth).is_empty(),
            "{csv}: {:#?}",
            r.fixes
        );
    }
}

fn dated() -> Group {
    group(serde_json::json!([
        {"key": "cohort", "label": "Cohort Start", "type": "date", "date_format": "DD/MM/YYYY"}
    ]))
}

#[test]
fn a_column_written_month_first_against_the_groups_format_is_swapped_whole() {
    let csv = "Name,Email,Cohort Start\n\
               Ana,a@x.org,04/13/2026\n\
               Bo,b@x.org,03/04/2026\n\
               Cy,c@x.org,05/05/2026\n\
               Di,d@x.org,2026-06-01\n";
    let before = report(csv, &dated());
    let invalid: Vec<_> = before
        .findings
        .iter()
        .filter(|f| f.code == Code::InvalidDate)
        .map(|f| f.cell.as_deref())
        .collect();
    assert_eq!(invalid, [Some("C2")]);
    let swap = one(&before, FixCode::SwapDayMonth);
    // The date that reads either way is swapped too: DD/MM/YYYY would read it as 3 April.
    assert_eq!(
        changes(swap),
        [
            "C2: 04/13/2026 -> 13/04/2026",
            "C3: 03/04/2026 -> 04/03/2026"
        ]
    );
    assert!(
        swap.message
            .contains("written month-first although the group's date_format is DD/MM/YYYY"),
        "{}",
        swap.message
    );
    let (_, again) = fixed_and_again(csv, &dated(), &[FixCode::SwapDayMonth]);
    assert!(again.findings.is_empty(), "{:#?}", again.findings);
    assert!(again.fixes.is_empty(), "{:#?}", again.fixes);
}

#[test]
fn a_few_month_first_dates_under_a_day_first_format_are_swapped_alone() {
    let csv = "Name,Email,Cohort Start\n\
               Ana,a@x.org,13/04/2026\n\
               Bo,b@x.org,14/04/2026\n\
               Cy,c@x.org,15/04/2026\n\
               Di,d@x.org,04/16/2026\n\
               Ed,e@x.org,03/04/2026\n";
    let swap = report(csv, &dated()).fixes;
    assert_eq!(swap.len(), 1, "{swap:#?}");
    assert_eq!(changes(&swap[0]), ["C5: 04/16/2026 -> 16/04/2026"]);
    // A year-first format has no day/month order to restore.
    let iso = group(serde_json::json!([
        {"key": "cohort", "label": "Cohort Start", "type": "date", "date_format": "YYYY-MM-DD"}
    ]));
    assert!(report(csv, &iso).fixes.is_empty());
}

#[test]
fn a_full_name_in_one_name_cell_is_split_and_a_missing_name_joined() {
    let split = "First Name,Last Name,Email\n\
                 Ana López,,a@x.org\n\
                 ,van Dijk,b@x.org\n\
                 ,Jan van der Berg,c@x.org\n\
                 Madonna,,d@x.org\n\
                 Cy,Chen,e@x.org\n";
    let r = report(split, &plain());
    let fix = one(&r, FixCode::SplitName);
    // `van Dijk` is a family name alone, `Madonna` may be a whole name: neither is split.
    assert_eq!(
        (fix.attribute.as_deref(), fix.column.as_deref(), fix.count),
        (Some("name"), None, 4)
    );
    assert_eq!(
        changes(fix),
        [
            "A2: Ana López -> Ana",
            "B2:  -> López",
            "A4:  -> Jan",
            "B4: Jan van der Berg -> van der Berg",
        ]
    );
    assert!(fix.message.starts_with("2 row(s)"), "{}", fix.message);
    assert!(
        fix.message
            .ends_with("`Ana López` in A2 becomes `Ana` and `` in B2 becomes `López`"),
        "{}",
        fix.message
    );
    let join = "Name,First Name,Last Name,Email\n\
                ,Ana,López,a@x.org\n\
                Bo Chen,Bo,Chen,b@x.org\n\
                ,Cy,,c@x.org\n";
    let r = report(join, &plain());
    let fix = one(&r, FixCode::JoinName);
    assert_eq!((fix.column.as_deref(), fix.count), (Some("A"), 1));
    assert_eq!(changes(fix), ["A2:  -> Ana López"]);
    let (_, again) = fixed_and_again(join, &plain(), &[FixCode::JoinName]);
    let missing: Vec<_> = again
        .findings
        .iter()
        .filter(|f| f.code == Code::MissingRequiredValue)
        .map(|f| f.cell.as_deref())
        .collect();
    assert_eq!(missing, [Some("A4")]);
}

#[test]
fn blanks_are_collapsed_in_matched_columns_only() {
    let csv = "Name,Email,Notes\n Ana   López ,a@x.org ,  keep  this \nBo\tChen,b@x.org,x\n";
    let r = report(csv, &plain());
    let fixes = of(&r, FixCode::CollapseBlanks);
    let found: Vec<(Option<&str>, Vec<String>)> = fixes
        .iter()
        .map(|f| (f.column.as_deref(), changes(f)))
        .collect();
    assert_eq!(
        found,
        [
            (
                Some("A"),
                vec![
                    "A2:  Ana   López  -> Ana López".to_owned(),
                    "A3: Bo\tChen -> Bo Chen".to_owned()
                ]
            ),
            (Some("B"), vec!["B2: a@x.org  -> a@x.org".to_owned()]),
        ]
    );
    // The tab was a control character in a name; the fixed roster has none.
    assert!(codes_of(&r).contains(&"control_characters"));
    let (bytes, again) = fixed_and_again(csv, &plain(), &[FixCode::CollapseBlanks]);
    assert!(
        again
            .findings
            .iter()
            .all(|f| f.code == Code::UnmappedColumn),
        "{:#?}",
        again.findings
    );
    assert!(String::from_utf8_lossy(&bytes).contains("  keep  this "));
}

#[test]
fn misspelt_email_domains_are_corrected_and_nothing_else() {
    let csv = "Name,Email\n\
               Ana,ana@gmial.com\n\
               Bo,bo@Example.CON\n\
               Cy,cy@proton.me\n\
               Di,di@mail.company\n\
               Ed,ed@gmial\n\
               Fa,fa@hotmial.con\n";
    let r = report(csv, &plain());
    let fix = one(&r, FixCode::EmailDomainTypo);
    assert_eq!(
        (fix.attribute.as_deref(), fix.column.as_deref()),
        (Some("email"), Some("B"))
    );
    assert_eq!(
        changes(fix),
        [
            "B2: ana@gmial.com -> ana@gmail.com",
            "B3: bo@Example.CON -> bo@example.com",
            "B7: fa@hotmial.con -> fa@hotmail.com",
        ]
    );
    // `ed@gmial` is not an address at all: its finding stays, no fix guesses.
    assert!(
        r.findings
            .iter()
            .any(|f| f.code == Code::InvalidEmail && f.cell.as_deref() == Some("B6"))
    );
}

#[test]
fn enum_values_are_written_as_the_group_spells_them() {
    let g = group(serde_json::json!([
        {"key": "grade", "label": "Grade", "type": "enum", "values": ["Pass", "Merit", "Distinción"]}
    ]));
    let csv = "Name,Email,Grade\nAna,a@x.org,merit\nBo,b@x.org,Merit\nCy,c@x.org,DISTINCION\nDi,d@x.org, Pass \nEd,e@x.org,great\n";
    let r = report(csv, &g);
    let fix = one(&r, FixCode::EnumCase);
    assert_eq!(
        (fix.attribute.as_deref(), fix.column.as_deref()),
        (Some("grade"), Some("C"))
    );
    // ` Pass ` is only blanks (collapse_blanks); `great` is no accepted value at all.
    assert_eq!(
        changes(fix),
        ["C2: merit -> Merit", "C4: DISTINCION -> Distinción"]
    );
    assert_eq!(
        changes(one(&r, FixCode::CollapseBlanks)),
        ["C5:  Pass  -> Pass"]
    );
}

#[test]
fn only_rows_repeated_cell_for_cell_are_dropped() {
    let csv = "Name,Email,Notes\n\
               Ana,a@x.org,x\n\
               Bo,b@x.org,y\n\
               Ana,a@x.org,x\n\
               Ana,A@x.org,x\n\
               Bo,b@x.org,z\n\
               Ana,a@x.org,x,\n";
    let r = report(csv, &plain());
    let fix = one(&r, FixCode::DropDuplicateRows);
    assert_eq!(
        (fix.attribute.as_deref(), fix.column.as_deref(), fix.count),
        (None, None, 2)
    );
    assert_eq!(
        fix.changes,
        [FixChange::drop_row(4, 2), FixChange::drop_row(7, 2)]
    );
    assert!(
        fix.message.contains("row 4 is row 2 again"),
        "{}",
        fix.message
    );
    // A file with a quote anywhere is read record by record, not line by line: the same rows
    // repeat (a quoted `x` is the cell `x`).
    let quoted = csv
        .replacen("Bo,b@x.org,y", "\"Bo\",b@x.org,y", 1)
        .replace(",x\n", ",\"x\"\n");
    assert_ne!(quoted, csv);
    assert_eq!(report(&quoted, &plain()).fixes, r.fixes);
    let (_, again) = fixed_and_again(csv, &plain(), &[FixCode::DropDuplicateRows]);
    assert_eq!(again.summary.rows, 4);
}

#[test]
fn applying_every_fix_leaves_fewer_findings_and_nothing_to_suggest() {
    let g = group(serde_json::json!([
        {"key": "grade", "label": "Grade", "type": "enum", "values": ["Pass", "Merit"]}
    ]));
    let csv = "Name,Email,Grade,Issued On\n\
               Ana  López,ana@gmial.com,merit,13/04/2026\n\
               Bo Chen,bo@example.org,Pass,14/04/2026\n\
               Cy Diaz,cy@example.org,Pass,15/04/2026\n\
               Di Eng,di@example.org,Pass,04/16/2026\n\
               Bo Chen,bo@example.org,Pass,14/04/2026\n";
    let before = report(csv, &g);
    let suggested: Vec<FixCode> = before.fixes.iter().map(|f| f.code).collect();
    assert_eq!(
        suggested,
        [
            FixCode::SwapDayMonth,
            FixCode::CollapseBlanks,
            FixCode::EmailDomainTypo,
            FixCode::EnumCase,
            FixCode::DropDuplicateRows
        ]
    );
    let (bytes, again) = fixed_and_again(csv, &g, &FixCode::ALL);
    assert!(again.findings.len() < before.findings.len());
    assert!(again.findings.is_empty(), "{:#?}", again.findings);
    assert!(again.fixes.is_empty(), "{:#?}", again.fixes);
    let text = String::from_utf8_lossy(&bytes).into_owned();
    assert_eq!(
        text,
        "\u{feff}Name,Email,Grade,Issued On\r\n\
         Ana López,ana@gmail.com,Merit,13/04/2026\r\n\
         Bo Chen,bo@example.org,Pass,14/04/2026\r\n\
         Cy Diaz,cy@example.org,Pass,15/04/2026\r\n\
         Di Eng,di@example.org,Pass,16/04/2026\r\n"
    );
    // Choosing nothing gives the roster back as it read.
    let (untouched, _) = fixed_and_again(csv, &g, &[]);
    assert!(String::from_utf8_lossy(&untouched).contains("Ana  López,ana@gmial.com,merit"));
}

#[test]
fn a_report_lists_the_first_changes_and_fixing_applies_them_all() {
    let rows = LISTED_CHANGES + 5;
    let mut csv = String::from("Name,Email\n");
    for i in 0..rows {
        csv.push_str(&format!("Person {i} ,p{i}@example.org\n"));
    }
    let r = report(&csv, &plain());
    let blanks = one(&r, FixCode::CollapseBlanks);
    assert_eq!(
        (blanks.count, blanks.changes.len()),
        (rows as u64, LISTED_CHANGES)
    );
    assert_eq!(
        blanks.changes.last().and_then(|c| c.cell.as_deref()),
        Some(format!("A{}", LISTED_CHANGES + 1).as_str())
    );
    // The listed changes alone are not applied in part.
    let roster = Roster::default();
    let refused = apply(&roster, &r.fixes, &[FixCode::CollapseBlanks]).unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("lists 1000 of its 1005 changes"),
        "{refused}"
    );
    let (_, again) = fixed_and_again(&csv, &plain(), &[FixCode::CollapseBlanks]);
    assert!(again.fixes.is_empty(), "{:#?}", again.fixes);
    // The report that comes with the fixed roster is the analysis's, lists and all.
    let fixed = fix(
        csv.as_bytes(),
        &plain(),
        &AnalyzeOptions::default(),
        &FixCode::ALL,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(fixed.report, r);
}

#[test]
fn fixes_are_applied_only_to_the_roster_they_were_suggested_for() {
    let roster = Roster {
        header: vec!["Name".into()],
        rows: vec![RosterRow {
            row: 2,
            cells: vec!["Ana".into()],
        }],
    };
    let fix = |change: FixChange| Fix {
        code: FixCode::EnumCase,
        attribute: None,
        column: None,
        message: String::new(),
        count: 1,
        changes: vec![change],
    };
    let other_value = fix(FixChange::cell("A", 2, "Bo", "Bob"));
    let other_row = fix(FixChange::cell("A", 9, "Ana", "Anna"));
    for wrong in [other_value, other_row] {
        let refused = apply(&roster, &[wrong], &[FixCode::EnumCase]).unwrap_err();
        assert!(
            refused
                .to_string()
                .contains("not suggested for this roster"),
            "{refused}"
        );
    }
    // A fix not chosen is not looked at.
    let unchosen = fix(FixChange::cell("A", 9, "x", "y"));
    assert_eq!(
        apply(&roster, &[unchosen], &[FixCode::JoinName]).ok(),
        Some(roster.clone())
    );
    // A change past the row's last cell widens the row.
    let wider = fix(FixChange::cell("C", 2, "", "x"));
    let applied = apply(&roster, &[wider], &[FixCode::EnumCase]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(applied.rows[0].cells, ["Ana", "", "x"]);
}

#[test]
fn codes_serialize_as_their_names() {
    for code in FixCode::ALL {
        assert_eq!(
            serde_json::to_value(code).unwrap_or_default(),
            serde_json::Value::from(code.as_str())
        );
        assert_eq!(FixCode::from_name(code.as_str()), Some(code));
    }
    let refused = FixCode::parse_list("enum_case,typo").unwrap_err();
    assert!(
        refused.to_string().contains("`typo` is not a fix"),
        "{refused}"
    );
    assert_eq!(refused.kind(), conferral::ErrorKind::InvalidValue);
}

#[test]
fn a_workbook_gives_the_fixes_a_csv_gives() {
    use conferral::output::xlsx_writer::{self, XlsxSheet, XlsxValue};
    let csv = "Name,Email,Issued On\nAna  Lopez,ana@gmial.com,13/04/2026\nBo,bo@x.org,14/04/2026\nCy,cy@x.org,15/04/2026\nDi,di@x.org,04/16/2026\nBo,bo@x.org,14/04/2026\n";
    let rows: Vec<Vec<XlsxValue>> = csv
        .lines()
        .map(|l| {
            l.split(',')
                .map(|c| XlsxValue::Text(c.to_owned()))
                .collect()
        })
        .collect();
    let xlsx = xlsx_writer::write(&[XlsxSheet {
        name: "Roster".to_owned(),
        rows,
        ..XlsxSheet::default()
    }])
    .unwrap_or_else(|e| panic!("{e}"));
    let from_xlsx =
        analyze(&xlsx, &plain(), &AnalyzeOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(from_xlsx.fixes, report(csv, &plain()).fixes);
    assert_eq!(from_xlsx.fixes.len(), 4);
    let fixed = fix(&xlsx, &plain(), &AnalyzeOptions::default(), &FixCode::ALL)
        .unwrap_or_else(|e| panic!("{e}"));
    let from_csv = fix(
        csv.as_bytes(),
        &plain(),
        &AnalyzeOptions::default(),
        &FixCode::ALL,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(fixed.roster, from_csv.roster);
}
