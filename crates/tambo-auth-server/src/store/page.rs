//! Keyset pagination: page requests, pages and the opaque cursors that link them.
//!
//! A cursor names the last row of a page by `(created_at, id)`; the next page starts strictly
//! after it in the list's order. Rows inserted meanwhile never shift a page boundary, so a walk
//! through the pages has no duplicates and no gaps among the rows that existed when it began.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use super::StoreError;
use super::clock::looks_like_id;

/// The page size when a request names none.
pub const DEFAULT_LIMIT: u32 = 20;
/// The largest page size a request may ask for.
pub const MAX_LIMIT: u32 = 100;
/// The messages `GET /v1/threads/{id}` returns when the request names no `limit`.
pub const THREAD_MESSAGES_LIMIT: u32 = MAX_LIMIT;

/// Which page of a list to read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageRequest {
    /// The `next_cursor` of the previous page; `None` for the first page.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Page size, `1..=100`; default 20.
    #[serde(default)]
    pub limit: Option<u32>,
}

impl PageRequest {
    /// The first page, of `limit` items.
    pub fn first(limit: u32) -> Self {
        PageRequest {
            cursor: None,
            limit: Some(limit),
        }
    }

    /// The page after `cursor`, of `limit` items.
    pub fn after(cursor: impl Into<String>, limit: u32) -> Self {
        PageRequest {
            cursor: Some(cursor.into()),
            limit: Some(limit),
        }
    }

    pub(crate) fn resolve(&self, kind: CursorKind) -> Result<(Option<Position>, u32), StoreError> {
        self.resolve_or(kind, DEFAULT_LIMIT)
    }

    /// [`resolve`](Self::resolve) with another default page size.
    pub(crate) fn resolve_or(
        &self,
        kind: CursorKind,
        default_limit: u32,
    ) -> Result<(Option<Position>, u32), StoreError> {
        let limit = self.limit.unwrap_or(default_limit);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(StoreError::InvalidLimit(limit));
        }
        let position = self
            .cursor
            .as_deref()
            .map(|c| Position::decode(kind, c))
            .transpose()?;
        Ok((position, limit))
    }
}

/// The order of a message list. Threads are always listed newest first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    /// Oldest first (the default).
    #[default]
    Asc,
    /// Newest first.
    Desc,
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items, in the list's order.
    pub items: Vec<T>,
    /// Whether items follow this page.
    pub has_more: bool,
    /// The cursor for the next page, present exactly when `has_more`.
    pub next_cursor: Option<String>,
}

/// What a cursor points into, so a thread cursor is refused by a message list and vice versa.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CursorKind {
    Threads,
    Messages,
}

impl CursorKind {
    fn tag(self) -> &'static str {
        match self {
            CursorKind::Threads => "t",
            CursorKind::Messages => "m",
        }
    }
}

/// A row's place in a list: `(created_at, id)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Position {
    pub(crate) created_at: i64,
    pub(crate) id: String,
}

impl Position {
    pub(crate) fn encode(&self, kind: CursorKind) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}.{}.{}", kind.tag(), self.created_at, self.id))
    }

    fn decode(kind: CursorKind, cursor: &str) -> Result<Position, StoreError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(cursor)
            .map_err(|_| StoreError::InvalidCursor)?;
        let text = String::from_utf8(bytes).map_err(|_| StoreError::InvalidCursor)?;
        let mut parts = text.splitn(3, '.');
        let (Some(tag), Some(created_at), Some(id)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(StoreError::InvalidCursor);
        };
        let created_at = created_at
            .parse::<i64>()
            .map_err(|_| StoreError::InvalidCursor)?;
        if tag != kind.tag() || created_at < 0 || !looks_like_id(id) {
            return Err(StoreError::InvalidCursor);
        }
        Ok(Position {
            created_at,
            id: id.to_owned(),
        })
    }
}

/// Turns `limit + 1` fetched rows into a page: the extra row only says that more follow.
pub(crate) fn paginate<R, T>(
    mut rows: Vec<R>,
    limit: u32,
    kind: CursorKind,
    position: impl Fn(&R) -> Position,
    item: impl Fn(R) -> Result<T, StoreError>,
) -> Result<Page<T>, StoreError> {
    let limit = limit as usize;
    let has_more = rows.len() > limit;
    rows.truncate(limit);
    let next_cursor = if has_more {
        rows.last().map(|r| position(r).encode(kind))
    } else {
        None
    };
    let items = rows.into_iter().map(item).collect::<Result<_, _>>()?;
    Ok(Page {
        items,
        has_more,
        next_cursor,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "thr_0123456789abcdefghjkmnpqrs";

    /// The position of the row `ID` created at `created_at`.
    fn at(created_at: i64) -> Position {
        Position {
            created_at,
            id: ID.into(),
        }
    }

    #[test]
    fn cursors_round_trip() {
        let p = at(1_777_636_800_123_456);
        let cursor = p.encode(CursorKind::Threads);
        let request = PageRequest::after(cursor, 5);
        assert_eq!(request.resolve(CursorKind::Threads).unwrap(), (Some(p), 5));
    }

    #[test]
    fn a_cursor_for_another_list_or_tampered_with_is_refused() {
        let thread_cursor = at(1).encode(CursorKind::Threads);
        for bad in [
            PageRequest::after(thread_cursor.clone(), 5).resolve(CursorKind::Messages),
            PageRequest::after("not base64!", 5).resolve(CursorKind::Threads),
            PageRequest::after(URL_SAFE_NO_PAD.encode("t.x.y"), 5).resolve(CursorKind::Threads),
            PageRequest::after(URL_SAFE_NO_PAD.encode("t.-1.thr_x"), 5)
                .resolve(CursorKind::Threads),
            PageRequest::after(format!("{thread_cursor}="), 5).resolve(CursorKind::Threads),
            PageRequest::after("", 5).resolve(CursorKind::Threads),
        ] {
            assert!(matches!(bad, Err(StoreError::InvalidCursor)), "{bad:?}");
        }
    }

    #[test]
    fn limits_default_to_20_and_stay_within_1_to_100() {
        let default = PageRequest::default().resolve(CursorKind::Threads).unwrap();
        assert_eq!(default, (None, 20));
        for limit in [0, 101, u32::MAX] {
            assert!(matches!(
                PageRequest::first(limit).resolve(CursorKind::Threads),
                Err(StoreError::InvalidLimit(l)) if l == limit
            ));
        }
        assert!(PageRequest::first(100).resolve(CursorKind::Threads).is_ok());
    }
}
