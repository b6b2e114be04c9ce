use crate::helpers::*;

// ---------------------------------------------------------------------------------------------
// Files that cannot be read

fn file_error(text: &[u8]) -> FileError {
    match read(text) {
        Ok(r) => panic!("read: {:?}", r.counts()),
        Err(e) => {
            assert!(!e.to_string().contains('\n'), "{e}");
            e
        }
    }
}

#[test]
fn a_truncated_file_is_a_syntax_error_with_its_line() {
    let text = example_text("v1.5/paquet.json");
    let cut = &text[..text.find("\"Ville de Millau\"").unwrap()];
    let line = cut.lines().count() as u64;
    match file_error(cut.as_bytes()) {
        FileError::Syntax {
            line: l, message, ..
        } => {
            assert_eq!(l, line);
            assert!(message.contains("tronqué"), "{message}");
        }
        e => panic!("{e}"),
    }
    // The records before the break were handed over.
    let mut seen = 0;
    let result = read_decp(cut.as_bytes(), cpv(), |_| seen += 1);
    assert!(result.is_err());
    assert_eq!(seen, 1);

    let xml = example_text("v2.0/xml/Marche.xml");
    let cut = &xml[..xml.find("<procedure>").unwrap()];
    match file_error(cut.as_bytes()) {
        FileError::Syntax { line, message, .. } => {
            assert_eq!(line, cut.lines().count() as u64);
            assert!(message.contains("tronqué"), "{message}");
        }
        e => panic!("{e}"),
    }

    let broken = "{\"marches\": [\n  {\"id\": \"1\",}\n]}";
    match file_error(broken.as_bytes()) {
        FileError::Syntax { line, column, .. } => assert_eq!((line, column), (2, 14)),
        e => panic!("{e}"),
    }
    let mismatched = "<marches>\n<marche>\n<id>1</objet>\n</marche></marches>";
    match file_error(mismatched.as_bytes()) {
        FileError::Syntax { line, message, .. } => {
            assert_eq!(line, 3);
            assert!(message.contains("</objet>"), "{message}");
        }
        e => panic!("{e}"),
    }
}

#[test]
fn json_or_xml_that_is_not_decp_is_refused() {
    for text in [
        r#"{"type": "FeatureCollection", "features": []}"#,
        r#"{"marches": "aucun"}"#,
        r#"{"marches": {"lots": []}}"#,
        r#"[{"id": "1"}]"#,
        "<?xml version=\"1.0\"?>\n<html><body/></html>",
    ] {
        assert!(
            matches!(file_error(text.as_bytes()), FileError::NotDecp { .. }),
            "{text}"
        );
    }
    let e = file_error(br#"{"rows": [1, 2]}"#);
    assert!(e.to_string().contains("marches"), "{e}");
}

#[test]
fn garbage_and_empty_files_are_refused() {
    for text in [
        &b"PK\x03\x04\x14\x00\x06\x00"[..],
        b"id;acheteur;montant\n1;2;3",
        b"\xff\xfe{",
    ] {
        let e = file_error(text);
        assert!(matches!(e, FileError::NotJsonOrXml { .. }), "{e}");
        assert!(e.to_string().contains("ni du JSON ni du XML"), "{e}");
    }
    assert!(matches!(file_error(b""), FileError::Empty));
    assert!(matches!(file_error(b"  \n\t\n"), FileError::Empty));
}

#[test]
fn a_byte_order_mark_and_leading_blank_lines_are_skipped_and_counted() {
    let mut text = b"\xEF\xBB\xBF\n\n".to_vec();
    text.extend_from_slice(br#"{"marches": [}"#);
    match file_error(&text) {
        FileError::Syntax { line, .. } => assert_eq!(line, 3),
        e => panic!("{e}"),
    }
    let mut ok = b"\xEF\xBB\xBF  ".to_vec();
    ok.extend_from_slice(v1_marche(&[]).as_bytes());
    assert_eq!(
        read(&ok[..]).unwrap().counts(),
        (DecpFormat::V1Json, 1, 1, 0)
    );
}
