//! An append-only audit log whose entries are chained by SHA-256, so that changing, removing or
//! reordering an entry is detectable by anyone who holds the entries.
//!
//! Each entry records who did what and when, with the state before and after as the caller's
//! canonical text (for example JSON written the same way every time). Its `hash` covers its own
//! fields and the previous entry's hash; the first entry links to [`GENESIS_HASH`].
//!
//! # The hashed bytes
//! `hash` is the lowercase hexadecimal SHA-256 of, in this order, separated by the byte 0x1F
//! (unit separator):
//!
//! 1. `prev_hash`: 64 lowercase hexadecimal characters;
//! 2. `seq`: in decimal ASCII, no sign, no leading zero (the first entry is 1);
//! 3. `at`: RFC 3339 in UTC with exactly six fractional digits and `Z`, e.g.
//!    `2027-03-01T09:30:00.000000Z` (entries hold microseconds, PostgreSQL's precision, so a
//!    round trip through the database changes nothing);
//! 4. `actor`, 5. `action`, 6. `before`, 7. `after`: their UTF-8 bytes, where the byte 0x1B is
//!    written 0x1B 0x1B and the byte 0x1F is written 0x1B 0x1F (text without these control
//!    characters, such as JSON, is written as it is; the escape keeps a separator inside a field
//!    from being mistaken for the end of the field).
//!
//! 8. `record`, in entries of format 2 (every entry written since that format): what the
//!    entry is about as its log stores it, `TYPE/ID@ORGANISATION` (`groupement/12@3`), so that
//!    no column of an entry escapes its hash. Entries of format 1, written before, hash the
//!    first seven fields only; once an entry of format 2 is in the log, an entry of format 1
//!    after it is a break (a format cannot be lowered to leave a column out).
//!
//! No separator before the first field or after the last. To re-verify an entry by hand:
//! `printf '%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s' "$prev" "$seq" "$at" "$actor" "$action"
//! "$before" "$after" "$record" | sha256sum` (format 1: without the last `\x1f%s`).
//!
//! # What the chain proves
//! [`verify_chain`] finds the first entry that was altered, removed, reordered or relinked.
//! SHA-256 takes no key, so whoever can write the whole log can also rewrite every hash after
//! the entry they change, and can drop the last entries: the chain makes that detectable only
//! against a copy of a recent hash kept elsewhere (the head hash given to members, printed in a
//! report, or published). Pure: the time is passed in, nothing is read or written.

use std::fmt;

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The `seq` of the first entry.
pub const FIRST_SEQ: u64 = 1;

/// The hash format of the entries written now: the seven fields and the record (see the
/// module documentation); 1 is the format of the entries written before, without the record.
pub const HASH_FORMAT: u8 = 2;

const SEPARATOR: u8 = 0x1f;
const ESCAPE: u8 = 0x1b;

/// One entry of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// 1 for the first entry, then one more for each.
    pub seq: u64,
    pub at: DateTime<Utc>,
    /// Who acted: a user, a token, "système".
    pub actor: String,
    /// What was done: an action code such as "start_consultation".
    pub action: String,
    /// The state before and after, as the caller's canonical text.
    pub before: String,
    pub after: String,
    /// What the entry is about, `TYPE/ID@ORGANISATION`; hashed from format 2 on.
    pub record: String,
    /// 1 or 2: which fields `hash` covers (see the module documentation).
    pub format: u8,
    /// The previous entry's hash, or [`GENESIS_HASH`].
    pub prev_hash: String,
    /// SHA-256 of this entry's fields and `prev_hash`; see the module documentation.
    pub hash: String,
}

impl AuditEntry {
    /// The entry that follows `prev` (or the first one), with its hash, about no record in
    /// particular. `at` is kept to the microsecond.
    pub fn new(
        prev: Option<&AuditEntry>,
        at: DateTime<Utc>,
        actor: impl Into<String>,
        action: impl Into<String>,
        before: impl Into<String>,
        after: impl Into<String>,
    ) -> AuditEntry {
        AuditEntry::about(prev, String::new(), at, actor, action, before, after)
    }

    /// The entry that follows `prev` about `record` (`TYPE/ID@ORGANISATION`, see
    /// [`record_text`]), in the current [`HASH_FORMAT`].
    pub fn about(
        prev: Option<&AuditEntry>,
        record: String,
        at: DateTime<Utc>,
        actor: impl Into<String>,
        action: impl Into<String>,
        before: impl Into<String>,
        after: impl Into<String>,
    ) -> AuditEntry {
        let mut entry = AuditEntry {
            seq: prev.map_or(FIRST_SEQ, |p| p.seq + 1),
            at: at.trunc_subsecs(6),
            actor: actor.into(),
            action: action.into(),
            before: before.into(),
            after: after.into(),
            record,
            format: HASH_FORMAT,
            prev_hash: prev.map_or_else(|| GENESIS_HASH.to_owned(), |p| p.hash.clone()),
            hash: String::new(),
        };
        entry.hash = entry.compute_hash();
        entry
    }

    /// The exact bytes that are hashed (see the module documentation).
    pub fn hashed_bytes(&self) -> Vec<u8> {
        let seq = self.seq.to_string();
        let at = canonical_time(self.at);
        let all: [&str; 8] = [
            &self.prev_hash,
            &seq,
            &at,
            &self.actor,
            &self.action,
            &self.before,
            &self.after,
            &self.record,
        ];
        let fields = if self.format >= 2 {
            &all[..]
        } else {
            &all[..7]
        };
        let mut bytes = Vec::with_capacity(fields.iter().map(|f| f.len() + 1).sum());
        for (i, field) in fields.iter().enumerate() {
            if i > 0 {
                bytes.push(SEPARATOR);
            }
            for &b in field.as_bytes() {
                if b == SEPARATOR || b == ESCAPE {
                    bytes.push(ESCAPE);
                }
                bytes.push(b);
            }
        }
        bytes
    }

    /// The hash this entry should carry, recomputed from its fields.
    pub fn compute_hash(&self) -> String {
        hex::encode(Sha256::digest(self.hashed_bytes()))
    }
}

/// What an entry is about, as hashed: `groupement/12@3` (record type, its id, the id of the
/// organisation whose record it is).
pub fn record_text(record_type: &str, record_id: i64, organisation_id: i64) -> String {
    format!("{record_type}/{record_id}@{organisation_id}")
}

/// `at` as hashed: RFC 3339, UTC, microseconds, `Z`.
pub fn canonical_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Where and why a chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("journal d'audit altéré à l'entrée n° {seq} : {reason}")]
pub struct ChainBreak {
    /// The `seq` of the entry where the break was found, as stored.
    pub seq: u64,
    pub reason: BreakReason,
}

/// Why a chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BreakReason {
    /// Entries are missing before this one (removed, or the log does not start at the first).
    #[error("entrée(s) manquante(s) : n° {expected} attendue, n° {found} trouvée")]
    Missing { expected: u64, found: u64 },
    /// The entry is not where its number says: entries were moved or repeated.
    #[error("entrées dans le désordre : n° {found} trouvée à la place de n° {expected}")]
    OutOfOrder { expected: u64, found: u64 },
    /// The entry does not link to the previous entry's hash.
    #[error(
        "lien rompu : elle désigne l'empreinte {found} au lieu de {expected}, celle de l'entrée \
         précédente"
    )]
    WrongPrevLink { expected: String, found: String },
    /// The entry's content no longer matches its hash.
    #[error("contenu modifié : empreinte enregistrée {stored}, recalculée {computed}")]
    Altered { stored: String, computed: String },
    /// The entry's hash format is unknown, or lower than an earlier entry's.
    #[error("format d'empreinte {found} inattendu : attendu de {lowest} à {HASH_FORMAT}")]
    Format { found: u8, lowest: u8 },
}

/// Checks a whole log, from its first entry: numbering, links and hashes. The first break
/// found is returned. An empty log is intact.
pub fn verify_chain(entries: &[AuditEntry]) -> Result<(), ChainBreak> {
    verify_from(None, entries)
}

/// Checks the entries that follow `anchor` (an entry already verified, or whose hash is known
/// from elsewhere), or a whole log when `anchor` is `None`.
pub fn verify_from(anchor: Option<&AuditEntry>, entries: &[AuditEntry]) -> Result<(), ChainBreak> {
    let first_seq = anchor.map_or(FIRST_SEQ, |a| a.seq + 1);
    let mut expected_prev = anchor.map_or_else(|| GENESIS_HASH.to_owned(), |a| a.hash.clone());
    let mut lowest_format = anchor.map_or(1, |a| a.format);
    for (i, entry) in entries.iter().enumerate() {
        let expected_seq = first_seq + i as u64;
        let broken = |reason| ChainBreak {
            seq: entry.seq,
            reason,
        };
        if entry.seq != expected_seq {
            let moved =
                entry.seq < expected_seq || entries[i + 1..].iter().any(|e| e.seq == expected_seq);
            return Err(broken(if moved {
                BreakReason::OutOfOrder {
                    expected: expected_seq,
                    found: entry.seq,
                }
            } else {
                BreakReason::Missing {
                    expected: expected_seq,
                    found: entry.seq,
                }
            }));
        }
        if !(lowest_format..=HASH_FORMAT).contains(&entry.format) {
            return Err(broken(BreakReason::Format {
                found: entry.format,
                lowest: lowest_format,
            }));
        }
        lowest_format = entry.format;
        if entry.prev_hash != expected_prev {
            return Err(broken(BreakReason::WrongPrevLink {
                expected: expected_prev,
                found: entry.prev_hash.clone(),
            }));
        }
        let computed = entry.compute_hash();
        if entry.hash != computed {
            return Err(broken(BreakReason::Altered {
                stored: entry.hash.clone(),
                computed,
            }));
        }
        expected_prev = entry.hash.clone();
    }
    Ok(())
}

/// A copy of the log's head kept outside the database: how many entries the log had and the
/// hash of the last one. Against it, a log cut at its end (the last entries dropped) or
/// rewritten from an entry the anchor covers is detected, which the chain alone cannot show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditAnchor {
    pub entries: u64,
    /// The hash of entry `entries`; [`GENESIS_HASH`] for an empty log.
    pub head_hash: String,
}

/// Why a log does not hold an anchor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnchorMismatch {
    #[error(
        "journal d'audit tronqué : l'ancre compte {anchored} entrée(s), le journal n'en a plus que {found}"
    )]
    Truncated { anchored: u64, found: u64 },
    #[error(
        "journal d'audit réécrit : l'entrée n° {seq} a l'empreinte {found}, l'ancre garde {anchored}"
    )]
    Rewritten {
        seq: u64,
        anchored: String,
        found: String,
    },
}

impl AuditAnchor {
    /// The anchor of a verified log: its number of entries and its last hash.
    pub fn of(entries: &[AuditEntry]) -> AuditAnchor {
        AuditAnchor {
            entries: entries.len() as u64,
            head_hash: entries
                .last()
                .map_or_else(|| GENESIS_HASH.to_owned(), |e| e.hash.clone()),
        }
    }

    /// Whether `entries`, a whole log already verified by [`verify_chain`], still holds this
    /// anchor: at least as many entries, and the same hash at the anchored one (the chain then
    /// vouches for every entry before it).
    pub fn check(&self, entries: &[AuditEntry]) -> Result<(), AnchorMismatch> {
        let found = entries.len() as u64;
        if found < self.entries {
            return Err(AnchorMismatch::Truncated {
                anchored: self.entries,
                found,
            });
        }
        let hash = match self.entries {
            0 => GENESIS_HASH,
            n => entries[(n - 1) as usize].hash.as_str(),
        };
        if hash != self.head_hash {
            return Err(AnchorMismatch::Rewritten {
                seq: self.entries,
                anchored: self.head_hash.clone(),
                found: hash.to_owned(),
            });
        }
        Ok(())
    }
}

impl fmt::Display for AuditEntry {
    /// "n° 3, 01/03/2027 09:30:00 UTC, Mme Martin : join".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "n° {}, {} UTC, {} : {}",
            self.seq,
            self.at.format("%d/%m/%Y %H:%M:%S"),
            self.actor,
            self.action
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_record_is_hashed_and_the_format_cannot_be_lowered() {
        let first = AuditEntry::about(
            None,
            record_text("groupement", 12, 3),
            at(0),
            "a",
            "open",
            "",
            "",
        );
        assert_eq!(first.format, HASH_FORMAT);
        assert_eq!(first.record, "groupement/12@3");
        // Another record, or another organisation: another hash.
        let mut moved = first.clone();
        moved.record = record_text("groupement", 13, 3);
        assert_ne!(moved.compute_hash(), first.hash);
        assert!(matches!(
            verify_chain(&[moved]).unwrap_err().reason,
            BreakReason::Altered { .. }
        ));
        // An entry of format 1 hashes the seven fields only; it may open a log written before
        // format 2, never follow an entry of format 2.
        let mut old = AuditEntry::new(None, at(0), "a", "open", "", "");
        old.format = 1;
        old.record = "groupement/1@1".into();
        old.hash = old.compute_hash();
        old.record = "groupement/99@99".into();
        assert_eq!(verify_chain(std::slice::from_ref(&old)), Ok(()));
        let next = AuditEntry::about(
            Some(&old),
            "groupement/1@1".into(),
            at(1),
            "b",
            "join",
            "",
            "",
        );
        assert_eq!(verify_chain(&[old.clone(), next.clone()]), Ok(()));
        let mut lowered = AuditEntry::new(Some(&next), at(2), "c", "sign", "", "");
        lowered.format = 1;
        lowered.hash = lowered.compute_hash();
        assert_eq!(
            verify_chain(&[old, next, lowered]).unwrap_err().reason,
            BreakReason::Format {
                found: 1,
                lowest: 2
            }
        );
    }

    #[test]
    fn an_anchor_detects_a_log_cut_at_its_end_or_rewritten() {
        let log = chain();
        let anchor = AuditAnchor::of(&log[..3]);
        assert_eq!(anchor.check(&log), Ok(()), "later entries are fine");
        assert_eq!(anchor.check(&log[..3]), Ok(()));
        // The last entries dropped: the chain of what is left is intact, the anchor is not.
        assert_eq!(verify_chain(&log[..2]), Ok(()));
        assert_eq!(
            anchor.check(&log[..2]),
            Err(AnchorMismatch::Truncated {
                anchored: 3,
                found: 2
            })
        );
        // Rewritten from entry 2 on, every hash recomputed: the chain holds, the anchor not.
        let mut forged = log[..1].to_vec();
        for e in &log[1..] {
            let next = AuditEntry::new(forged.last(), e.at, "faussaire", &e.action, "", "");
            forged.push(next);
        }
        assert_eq!(verify_chain(&forged), Ok(()));
        assert!(matches!(
            anchor.check(&forged),
            Err(AnchorMismatch::Rewritten { seq: 3, .. })
        ));
        assert_eq!(AuditAnchor::of(&[]).check(&[]), Ok(()));
        assert_eq!(AuditAnchor::of(&[]).check(&log), Ok(()));
    }

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 3, 1, 9, minute, 0)
            .single()
            .expect("valid time")
    }

    /// Four entries, as a groupement's log would hold them.
    fn chain() -> Vec<AuditEntry> {
        let mut entries: Vec<AuditEntry> = Vec::new();
        for (i, (actor, action)) in [
            ("coordinateur@metro.fr", "open"),
            ("acheteur@echirolles.fr", "join"),
            ("acheteur@fontaine.fr", "join"),
            ("coordinateur@metro.fr", "start_consultation"),
        ]
        .into_iter()
        .enumerate()
        {
            let before = format!("{{\"version\":{i}}}");
            let after = format!("{{\"version\":{}}}", i + 1);
            let entry = AuditEntry::new(
                entries.last(),
                at(u32::try_from(i).expect("small")),
                actor,
                action,
                before,
                after,
            );
            entries.push(entry);
        }
        entries
    }

    fn break_of(entries: &[AuditEntry]) -> ChainBreak {
        verify_chain(entries).expect_err("the chain should be broken")
    }

    #[test]
    fn a_fresh_chain_verifies() {
        let entries = chain();
        assert_eq!(entries[0].seq, 1);
        assert_eq!(entries[0].prev_hash, GENESIS_HASH);
        assert_eq!(entries[3].seq, 4);
        assert_eq!(entries[1].prev_hash, entries[0].hash);
        assert!(entries.iter().all(|e| e.hash.len() == 64));
        assert_eq!(verify_chain(&entries), Ok(()));
        assert_eq!(verify_chain(&[]), Ok(()));
        assert_eq!(verify_from(Some(&entries[1]), &entries[2..]), Ok(()));
    }

    #[test]
    fn the_hash_is_reproducible_from_the_documented_layout() {
        let entry = AuditEntry::about(
            None,
            record_text("groupement", 12, 3),
            at(30),
            "Mme Martin",
            "join",
            "{}",
            "{\"a\":1}",
        );
        let seven = [
            GENESIS_HASH,
            "1",
            "2027-03-01T09:30:00.000000Z",
            "Mme Martin",
            "join",
            "{}",
            "{\"a\":1}",
        ];
        let mut eight = seven.to_vec();
        eight.push("groupement/12@3");
        assert_eq!(entry.hashed_bytes(), eight.join("\u{1f}").into_bytes());
        // Computed independently: printf '%s\x1f…' … | sha256sum
        assert_eq!(
            entry.hash,
            "822e6079c742a4c4569e25bfb3b8862ad41e16216fe7c4d7f785d7a66c318ec7"
        );
        // Format 1, as entries were written before: the seven fields only.
        let mut old = entry.clone();
        old.format = 1;
        assert_eq!(old.hashed_bytes(), seven.join("\u{1f}").into_bytes());
        assert_eq!(
            old.compute_hash(),
            "bd42af8a2b1bd0548487e75c0cddd41a9b8c8fdc7f3a88501c18bef84431ae32"
        );
    }

    #[test]
    fn time_is_kept_to_the_microsecond() {
        let precise = at(0) + chrono::Duration::nanoseconds(123_456_789);
        let entry = AuditEntry::new(None, precise, "a", "b", "", "");
        assert_eq!(canonical_time(entry.at), "2027-03-01T09:00:00.123456Z");
        assert_eq!(entry.at.timestamp_subsec_nanos(), 123_456_000);
        assert_eq!(verify_chain(&[entry]), Ok(()));
    }

    #[test]
    fn a_separator_inside_a_field_cannot_shift_content_between_fields() {
        let a = AuditEntry::new(None, at(0), "x\u{1f}y", "z", "", "");
        let b = AuditEntry::new(None, at(0), "x", "y\u{1f}z", "", "");
        assert_ne!(a.hash, b.hash);
        let c = AuditEntry::new(None, at(0), "x\u{1b}", "y", "", "");
        let d = AuditEntry::new(None, at(0), "x", "\u{1b}y", "", "");
        assert_ne!(c.hash, d.hash);
    }

    #[test]
    fn every_altered_field_is_detected() {
        type Alteration = (&'static str, fn(&mut AuditEntry));
        let alterations: [Alteration; 7] = [
            ("actor", |e| e.actor = "intrus".into()),
            ("action", |e| e.action = "decline".into()),
            ("before", |e| e.before = "{\"version\":9}".into()),
            ("after", |e| e.after.push(' ')),
            ("at", |e| e.at += chrono::Duration::seconds(1)),
            ("hash", |e| e.hash = "f".repeat(64)),
            ("at, by one microsecond", |e| {
                e.at += chrono::Duration::microseconds(1)
            }),
        ];
        for (field, alter) in alterations {
            let mut entries = chain();
            alter(&mut entries[1]);
            let broken = break_of(&entries);
            assert_eq!(broken.seq, 2, "{field}");
            assert!(
                matches!(broken.reason, BreakReason::Altered { .. }),
                "{field}: {broken}"
            );
        }
    }

    #[test]
    fn a_removed_entry_is_detected() {
        let mut entries = chain();
        entries.remove(2);
        let broken = break_of(&entries);
        assert_eq!(
            broken,
            ChainBreak {
                seq: 4,
                reason: BreakReason::Missing {
                    expected: 3,
                    found: 4
                }
            }
        );
        assert_eq!(
            broken.to_string(),
            "journal d'audit altéré à l'entrée n° 4 : entrée(s) manquante(s) : n° 3 attendue, n° 4 trouvée"
        );
        // The first one too.
        let mut entries = chain();
        entries.remove(0);
        assert_eq!(
            break_of(&entries).reason,
            BreakReason::Missing {
                expected: 1,
                found: 2
            }
        );
    }

    #[test]
    fn a_reordered_entry_is_detected() {
        let mut entries = chain();
        entries.swap(1, 2);
        let broken = break_of(&entries);
        assert_eq!(broken.seq, 3);
        assert_eq!(
            broken.reason,
            BreakReason::OutOfOrder {
                expected: 2,
                found: 3
            }
        );
        // A repeated entry as well.
        let mut entries = chain();
        let copy = entries[1].clone();
        entries.insert(2, copy);
        assert_eq!(
            break_of(&entries).reason,
            BreakReason::OutOfOrder {
                expected: 3,
                found: 2
            }
        );
    }

    #[test]
    fn renumbering_after_a_removal_breaks_the_link() {
        // Remove entry 2 and renumber entries 3 and 4 (rehashing them): entry 3, now "2", still
        // links to the removed entry.
        let mut entries = chain();
        entries.remove(1);
        for e in &mut entries[1..] {
            e.seq -= 1;
            e.hash = e.compute_hash();
        }
        let broken = break_of(&entries);
        assert_eq!(broken.seq, 2);
        assert!(
            matches!(broken.reason, BreakReason::WrongPrevLink { .. }),
            "{broken}"
        );
    }

    #[test]
    fn a_wrong_previous_link_is_detected_even_when_the_entry_is_rehashed() {
        let mut entries = chain();
        entries[2].prev_hash = entries[0].hash.clone();
        entries[2].hash = entries[2].compute_hash();
        let broken = break_of(&entries);
        assert_eq!(broken.seq, 3);
        assert_eq!(
            broken.reason,
            BreakReason::WrongPrevLink {
                expected: entries[1].hash.clone(),
                found: entries[0].hash.clone(),
            }
        );
        // A first entry that does not start from the genesis hash.
        let mut entries = chain();
        entries[0].prev_hash = "1".repeat(64);
        entries[0].hash = entries[0].compute_hash();
        assert!(matches!(
            break_of(&entries).reason,
            BreakReason::WrongPrevLink { .. }
        ));
    }

    #[test]
    fn a_full_rewrite_verifies_but_changes_the_head_hash() {
        // What the chain cannot see alone: rewriting an entry and every hash after it. A head
        // hash kept elsewhere tells.
        let original = chain();
        let mut rewritten: Vec<AuditEntry> = Vec::new();
        for (i, e) in original.iter().enumerate() {
            let actor = if i == 1 { "intrus" } else { e.actor.as_str() };
            rewritten.push(AuditEntry::new(
                rewritten.last(),
                e.at,
                actor,
                e.action.clone(),
                e.before.clone(),
                e.after.clone(),
            ));
        }
        assert_eq!(verify_chain(&rewritten), Ok(()));
        assert_ne!(
            rewritten.last().map(|e| &e.hash),
            original.last().map(|e| &e.hash)
        );
    }
}
