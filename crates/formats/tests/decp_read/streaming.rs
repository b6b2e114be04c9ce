use crate::helpers::*;

// ---------------------------------------------------------------------------------------------
// Streaming

/// A reader that serves `head`, then fails.
struct FailingAfter<'a> {
    head: &'a [u8],
}

impl Read for FailingAfter<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.head.is_empty() {
            return Err(io::Error::other("disque débranché"));
        }
        let n = self.head.len().min(buf.len());
        buf[..n].copy_from_slice(&self.head[..n]);
        self.head = &self.head[n..];
        Ok(n)
    }
}

#[test]
fn records_are_handed_over_as_they_are_read() {
    // Nothing past the first records exists yet when they reach the callback: the reader
    // does not wait for the end of the file.
    let json = example_text("v1.5/paquet.json");
    let head = &json[..json.find("\"Ville de Millau\"").unwrap()];
    let mut seen = Vec::new();
    let result = read_decp(
        BufReader::with_capacity(
            16,
            FailingAfter {
                head: head.as_bytes(),
            },
        ),
        cpv(),
        |r| seen.push(r.map(|c| c.id)),
    );
    assert!(matches!(result, Err(FileError::Io(_))), "{result:?}");
    assert_eq!(seen, [Ok("2010345211200".to_owned())]);

    let xml = example_text("v1.5/paquet.xml");
    let head = &xml[..xml.find("<id>2010345213500</id>").unwrap()];
    let mut seen = 0;
    let result = read_decp(
        BufReader::with_capacity(
            16,
            FailingAfter {
                head: head.as_bytes(),
            },
        ),
        cpv(),
        |_| seen += 1,
    );
    assert!(matches!(result, Err(FileError::Io(_))), "{result:?}");
    assert_eq!(seen, 3);
}

#[test]
fn the_callback_can_stop_the_reading() {
    for file in ["v1.5/paquet.xml", "v2.0/json/marches_concessions.json"] {
        let text = example_text(file);
        let mut seen = 0;
        let stats = read_decp_until(text.as_bytes(), cpv(), |_| {
            seen += 1;
            if seen == 2 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap();
        assert_eq!((stats.read, stats.stopped, seen), (2, true, 2), "{file}");
    }
}
