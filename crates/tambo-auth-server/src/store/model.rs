//! Threads, messages and the scope that owns them, in the JSON shapes of the `/v1` API
//! (camelCase, RFC 3339 times).

use std::fmt;
use std::marker::PhantomData;

use serde::de::{MapAccess, Visitor, value::MapAccessDeserializer};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// A JSON object deserialized as `T`, and nothing else. serde's derived `Deserialize` for a
/// struct also takes a JSON array of its fields in order (`[null, null]` for `{name,
/// metadata}`, `["user", [...]]` for a message): a shape the `/v1` API does not document and no
/// client means, which the API fuzzing found accepted. Request bodies are read through it, and
/// their nested objects through the same rule (`objects`, a `deserialize_with` helper).
///
/// ```
/// use tambo_auth_server::store::{Object, ThreadUpdate};
///
/// let update: Object<ThreadUpdate> = serde_json::from_str(r#"{"name": "n"}"#).unwrap();
/// assert_eq!(update.0.name.as_deref(), Some("n"));
/// assert!(serde_json::from_str::<Object<ThreadUpdate>>("[null, null]").is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Object<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
            type Value = T;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map))
            }
        }
        deserializer
            .deserialize_map(ObjectVisitor(PhantomData))
            .map(Object)
    }
}

/// A JSON array of objects (see [`Object`]): `#[serde(deserialize_with = "objects")]`.
fn objects<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    let items = Vec::<Object<T>>::deserialize(deserializer)?;
    Ok(items.into_iter().map(|item| item.0).collect())
}

/// Whose data a call touches: the project and the user's context key, both from the verified
/// Tambo token, never from the request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Scope {
    /// The project (Tambo token `client_id`).
    pub project: String,
    /// The user's context key, `oauth:user:<issuer>[:<tenant>]:<sub>`.
    pub context_key: String,
}

impl Scope {
    /// The scope of one user of one project.
    pub fn new(project: impl Into<String>, context_key: impl Into<String>) -> Self {
        Scope {
            project: project.into(),
            context_key: context_key.into(),
        }
    }
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The end user.
    User,
    /// The model.
    Assistant,
    /// Instructions to the model.
    System,
}

impl Role {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::System => "system",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Role> {
        match s {
            "user" => Some(Role::User),
            "assistant" => Some(Role::Assistant),
            "system" => Some(Role::System),
            _ => None,
        }
    }
}

/// One part of a message: `{"type": "text", "text": …}` or `{"type": "resource", "resource": …}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ContentPart {
    /// Plain text.
    Text {
        /// The text.
        text: String,
    },
    /// A resource reference, kept as the client sent it.
    Resource {
        /// The resource object.
        resource: Value,
    },
}

/// The state of a thread's model run; this server runs no models, so it is always `idle`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum RunStatus {
    /// No run in progress.
    #[default]
    Idle,
}

/// A thread without its messages: `{id, createdAt, updatedAt, runStatus, name?, metadata?}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Thread {
    /// `thr_` followed by 26 random base32 characters.
    pub id: String,
    /// RFC 3339, UTC, microseconds.
    pub created_at: String,
    /// RFC 3339, UTC, microseconds; moves on rename, metadata change and new message.
    pub updated_at: String,
    /// Always `idle`.
    pub run_status: RunStatus,
    /// The thread's name, when one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The client's metadata, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
}

/// A thread with a page of its messages, oldest first (`GET /v1/threads/{id}`):
/// `{…thread, messages, hasMore, nextCursor?}`. The cursor continues at
/// `GET /v1/threads/{id}?cursor=…` or `GET /v1/threads/{id}/messages?cursor=…`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThreadWithMessages {
    /// The thread.
    #[serde(flatten)]
    pub thread: Thread,
    /// A page of its messages, oldest first.
    pub messages: Vec<Message>,
    /// Whether more messages follow this page.
    pub has_more: bool,
    /// The cursor of the next page of messages, present exactly when `has_more`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// A message: `{id, role, content, createdAt, metadata?}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// `msg_` followed by 26 random base32 characters.
    pub id: String,
    /// The thread it belongs to (not part of the JSON shape).
    #[serde(skip)]
    pub thread_id: String,
    /// Who wrote it.
    pub role: Role,
    /// Its parts.
    pub content: Vec<ContentPart>,
    /// RFC 3339, UTC, microseconds.
    pub created_at: String,
    /// The client's metadata, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
}

/// A thread to create (`POST /v1/threads`; a member it does not know is refused).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewThread {
    /// An optional name.
    #[serde(default)]
    pub name: Option<String>,
    /// Optional client metadata.
    #[serde(default)]
    pub metadata: Option<Value>,
    /// Messages stored with the thread, in this order, in the same transaction.
    #[serde(default, deserialize_with = "objects")]
    pub initial_messages: Vec<NewMessage>,
}

/// A message to add (`POST /v1/threads/{id}/messages`, or an initial message).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewMessage {
    /// Who wrote it.
    pub role: Role,
    /// Its parts.
    #[serde(deserialize_with = "objects")]
    pub content: Vec<ContentPart>,
    /// Optional client metadata.
    #[serde(default)]
    pub metadata: Option<Value>,
}

impl NewMessage {
    /// A message of one text part.
    pub fn text(role: Role, text: impl Into<String>) -> Self {
        NewMessage {
            role,
            content: vec![ContentPart::Text { text: text.into() }],
            metadata: None,
        }
    }
}

/// Changes to a thread (`PATCH /v1/threads/{id}`); a field left `None` keeps its value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThreadUpdate {
    /// The new name.
    #[serde(default)]
    pub name: Option<String>,
    /// The new metadata (replaces the old object as a whole).
    #[serde(default)]
    pub metadata: Option<Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn threads_and_messages_serialize_as_the_v1_api_shows_them() {
        let message = Message {
            id: "msg_1".into(),
            thread_id: "thr_1".into(),
            role: Role::Assistant,
            content: vec![
                ContentPart::Text { text: "hi".into() },
                ContentPart::Resource {
                    resource: json!({"uri": "file:///a"}),
                },
            ],
            created_at: "2026-05-01T12:00:00.000000Z".into(),
            metadata: None,
        };
        let thread = ThreadWithMessages {
            thread: Thread {
                id: "thr_1".into(),
                created_at: "2026-05-01T12:00:00.000000Z".into(),
                updated_at: "2026-05-01T12:00:01.000000Z".into(),
                run_status: RunStatus::Idle,
                name: None,
                metadata: Some(json!({"k": 1})),
            },
            messages: vec![message],
            has_more: false,
            next_cursor: None,
        };
        assert_eq!(
            serde_json::to_value(&thread).unwrap(),
            json!({
                "id": "thr_1",
                "createdAt": "2026-05-01T12:00:00.000000Z",
                "updatedAt": "2026-05-01T12:00:01.000000Z",
                "runStatus": "idle",
                "metadata": {"k": 1},
                "messages": [{
                    "id": "msg_1",
                    "role": "assistant",
                    "content": [
                        {"type": "text", "text": "hi"},
                        {"type": "resource", "resource": {"uri": "file:///a"}}
                    ],
                    "createdAt": "2026-05-01T12:00:00.000000Z"
                }],
                "hasMore": false
            })
        );
    }

    #[test]
    fn a_create_request_body_deserializes_into_a_new_thread() {
        let new: NewThread = serde_json::from_value(json!({
            "metadata": {"topic": "x"},
            "initialMessages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]
        }))
        .unwrap();
        assert_eq!(new.initial_messages, [NewMessage::text(Role::User, "hi")]);
        assert_eq!(new.metadata, Some(json!({"topic": "x"})));
    }

    #[test]
    fn request_bodies_and_their_parts_are_objects_never_arrays_of_their_fields() {
        let refused = [
            // Each is what serde's derive takes for a struct: its fields, in order.
            json!([null, null]),
            json!([null, null, []]),
            json!({"initialMessages": [["user", [{"type": "text", "text": "hi"}]]]}),
            json!({"initialMessages": [{"role": "user", "content": [["text", "hi"]]}]}),
        ];
        for body in refused {
            let error = serde_json::from_value::<Object<NewThread>>(body.clone())
                .expect_err(&body.to_string());
            assert!(
                error.to_string().contains("expected a JSON object"),
                "{error}"
            );
        }
        assert!(serde_json::from_value::<Object<ThreadUpdate>>(json!([null, null])).is_err());
        assert!(serde_json::from_value::<Object<NewMessage>>(json!(["user", [], null])).is_err());
        let message: Object<NewMessage> = serde_json::from_value(json!({
            "role": "user", "content": [{"type": "text", "text": "hi"}]
        }))
        .unwrap();
        assert_eq!(message.0, NewMessage::text(Role::User, "hi"));
    }
}
