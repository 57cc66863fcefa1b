//! Every write the server acknowledged, per user, and the read-back at the end that finds any
//! of them missing.
//!
//! Each user belongs to one client task, which makes its calls one at a time, so the last
//! acknowledged rename is the name the thread must have. A write the server never answered
//! (no status) may or may not have happened: its thread is marked uncertain, and the read-back
//! then only requires the acknowledged writes to be there, in order.

use std::collections::{BTreeSet, HashMap};
use std::time::Instant;

/// One user of the soak, owned by one client task.
pub(crate) struct User {
    pub(crate) sub: String,
    /// The current Tambo token and when it was issued. Never printed.
    pub(crate) token: Option<(String, Instant)>,
    pub(crate) threads: Vec<ThreadRecord>,
    /// Threads whose deletion was acknowledged.
    pub(crate) deleted: Vec<String>,
    /// A create that was never answered: the thread list may hold one more thread.
    pub(crate) unanswered_creates: u32,
    /// Messages written so far, to make each text unique.
    pub(crate) written: u64,
}

/// A thread as its owner's acknowledged writes say it is.
pub(crate) struct ThreadRecord {
    pub(crate) id: String,
    pub(crate) name: Option<String>,
    /// The texts of its messages, in the order they were acknowledged.
    pub(crate) messages: Vec<String>,
    /// The ids of the messages whose answer carried one (`POST …/messages`).
    pub(crate) message_ids: Vec<(String, String)>,
    /// A write to it was never answered.
    pub(crate) uncertain: bool,
}

impl User {
    pub(crate) fn new(sub: String) -> Self {
        User {
            sub,
            token: None,
            threads: Vec::new(),
            deleted: Vec::new(),
            unanswered_creates: 0,
            written: 0,
        }
    }

    /// A text no other message of the run has.
    pub(crate) fn next_text(&mut self) -> String {
        self.written += 1;
        format!("{} message {}", self.sub, self.written)
    }
}

/// What the read-back found.
#[derive(Debug, Default)]
pub(crate) struct Verified {
    /// Acknowledged writes: thread creations, messages (initial ones included), renames and
    /// deletions.
    pub(crate) acknowledged: u64,
    /// Of those, the ones read back.
    pub(crate) verified: u64,
    /// Writes whose outcome is unknown (never answered).
    pub(crate) unanswered: u64,
    /// What was missing or wrong, without tokens.
    pub(crate) problems: Vec<String>,
}

impl Verified {
    pub(crate) fn add(&mut self, other: Verified) {
        self.acknowledged += other.acknowledged;
        self.verified += other.verified;
        self.unanswered += other.unanswered;
        self.problems.extend(other.problems);
    }
}

/// Compares a user's acknowledged writes with what the server holds: `listed`, every thread
/// id of the user's list; `read`, each live thread's name and message texts in order;
/// `deleted_found`, the deleted threads the server still answers.
pub(crate) fn compare(
    user: &User,
    listed: &BTreeSet<String>,
    read: &HashMap<String, (Option<String>, Vec<String>)>,
    deleted_found: &[String],
) -> Verified {
    let mut out = Verified {
        unanswered: u64::from(user.unanswered_creates)
            + user.threads.iter().filter(|t| t.uncertain).count() as u64,
        ..Verified::default()
    };
    for thread in &user.threads {
        // The creation, each message, and the last rename (earlier ones are overwritten).
        let writes = 1 + thread.messages.len() as u64 + u64::from(thread.name.is_some());
        out.acknowledged += writes;
        if !listed.contains(&thread.id) {
            out.problems
                .push(format!("{}: thread {} is not listed", user.sub, thread.id));
        }
        let Some((name, texts)) = read.get(&thread.id) else {
            out.problems.push(format!(
                "{}: thread {} does not read back",
                user.sub, thread.id
            ));
            continue;
        };
        let mut ok = 1;
        if thread.name.is_some() {
            if name == &thread.name || thread.uncertain {
                ok += 1;
            } else {
                out.problems.push(format!(
                    "{}: thread {} is named {name:?}, the last acknowledged rename said {:?}",
                    user.sub, thread.id, thread.name
                ));
            }
        }
        let found = in_order(&thread.messages, texts);
        ok += found as u64;
        if found < thread.messages.len() {
            out.problems.push(format!(
                "{}: thread {} holds {} of its {} acknowledged messages in order",
                user.sub,
                thread.id,
                found,
                thread.messages.len()
            ));
        } else if texts.len() != thread.messages.len() && !thread.uncertain {
            out.problems.push(format!(
                "{}: thread {} holds {} messages, {} were acknowledged and none left unanswered",
                user.sub,
                thread.id,
                texts.len(),
                thread.messages.len()
            ));
        }
        out.verified += ok;
    }
    out.acknowledged += user.deleted.len() as u64;
    for id in &user.deleted {
        if deleted_found.contains(id) || listed.contains(id) {
            out.problems.push(format!(
                "{}: thread {id} was deleted and reads back",
                user.sub
            ));
        } else {
            out.verified += 1;
        }
    }
    let live = user.threads.len() + user.unanswered_creates as usize;
    let expected: BTreeSet<&str> = user.threads.iter().map(|t| t.id.as_str()).collect();
    let extra = listed
        .iter()
        .filter(|id| !expected.contains(id.as_str()))
        .count();
    if listed.len() > live || extra > user.unanswered_creates as usize {
        out.problems.push(format!(
            "{}: {} threads listed, {} acknowledged and {} left unanswered",
            user.sub,
            listed.len(),
            user.threads.len(),
            user.unanswered_creates
        ));
    }
    out
}

/// How many of `acknowledged` appear in `read` in the same order (a subsequence).
fn in_order(acknowledged: &[String], read: &[String]) -> usize {
    let mut found = 0;
    let mut rest = read.iter();
    for text in acknowledged {
        if rest.any(|r| r == text) {
            found += 1;
        } else {
            break;
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user_with(messages: &[&str]) -> User {
        let mut user = User::new("u".into());
        user.threads.push(ThreadRecord {
            id: "thr_a".into(),
            name: Some("n".into()),
            messages: messages.iter().map(|m| (*m).to_owned()).collect(),
            message_ids: Vec::new(),
            uncertain: false,
        });
        user.deleted.push("thr_gone".into());
        user
    }

    fn read_of(name: &str, texts: &[&str]) -> HashMap<String, (Option<String>, Vec<String>)> {
        HashMap::from([(
            "thr_a".to_owned(),
            (
                Some(name.to_owned()),
                texts.iter().map(|t| (*t).to_owned()).collect(),
            ),
        )])
    }

    #[test]
    fn every_acknowledged_write_read_back_verifies() {
        let user = user_with(&["a", "b"]);
        let listed = BTreeSet::from(["thr_a".to_owned()]);
        let out = compare(&user, &listed, &read_of("n", &["a", "b"]), &[]);
        assert!(out.problems.is_empty(), "{:?}", out.problems);
        assert_eq!((out.acknowledged, out.verified), (5, 5));
    }

    #[test]
    fn a_missing_message_a_stale_name_and_a_resurrected_thread_are_problems() {
        let user = user_with(&["a", "b"]);
        let listed = BTreeSet::from(["thr_a".to_owned()]);
        let out = compare(
            &user,
            &listed,
            &read_of("old", &["a"]),
            &["thr_gone".into()],
        );
        assert_eq!(out.problems.len(), 3, "{:?}", out.problems);
        assert_eq!(out.verified, 2);
    }

    #[test]
    fn messages_out_of_order_are_not_all_found() {
        assert_eq!(
            in_order(&["a".into(), "b".into()], &["b".into(), "a".into()]),
            1
        );
        assert_eq!(
            in_order(
                &["a".into(), "b".into()],
                &["a".into(), "x".into(), "b".into()]
            ),
            2
        );
    }
}
