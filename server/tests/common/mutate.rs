//! Random changes to the JSON of an op: any leaf (a field of the op, its
//! clock or its action) replaced by huge text, extreme numbers, dates at
//! the ends of chrono's range, ids of other users, cases and devices, or
//! removed, or joined by an unknown key. Used by the decoder fuzzing and by
//! the test of the server's judgement of mutated pushes.

// Each test crate that includes this uses only part of it.
#![allow(dead_code)]

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use proptest::prelude::*;
use serde_json::Value;

/// What a mutation puts in place of one leaf.
#[derive(Debug, Clone)]
pub enum NewValue {
    /// Text of this many characters.
    Long(usize),
    /// One of [`TEXTS`].
    Text(usize),
    /// One of the ids the caller knows (other users, cases, devices…),
    /// picked modulo their number.
    KnownId(usize),
    /// A fresh id.
    Id(u128),
    /// A signed number.
    Int(i64),
    /// An unsigned number.
    Unsigned(u64),
    /// A fraction.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// `null`.
    Null,
    /// The caller's "now" moved by this many minutes: milliseconds for a
    /// number, RFC 3339 for text.
    Now(i64),
    /// The key (or array item) is removed.
    Remove,
    /// An unknown key is added beside the leaf.
    Extra,
}

/// One mutation: which leaf (an index into every leaf of the JSON) and
/// what replaces it. Mostly a value of the leaf's own type (text for
/// text, a number for a number), so that the op still decodes and reaches
/// the server's judgement; sometimes anything at all.
#[derive(Debug, Clone)]
pub struct Mutation {
    /// The leaf.
    pub leaf: prop::sample::Index,
    /// The replacement of a text leaf.
    pub text: NewValue,
    /// The replacement of a number leaf.
    pub number: NewValue,
    /// The replacement of any other leaf, or of any leaf when `retype`.
    pub other: NewValue,
    /// Whether the leaf takes `other` whatever its type.
    pub retype: bool,
}

pub const TEXTS: &[&str] = &[
    "",
    " ",
    "staff",
    "manager",
    "admin",
    "quality",
    "gm",
    "registered",
    "assessed",
    "closed",
    "noise",
    "no-such-category",
    "PA-261130-01-0001",
    "PB-000101-ZZ-0001",
    "PA-991231-1-1",
    "X",
    "13912345678",
    "call me maybe",
    "+262142-12-31T23:59:59.999999999Z",
    "-262143-01-01T00:00:00Z",
    "+10000-01-01T00:00:00Z",
    "1970-01-01T00:00:00Z",
    "1999-12-31T23:59:59Z",
    "2000-01-01T00:00:00Z",
    "2100-12-31",
    "+262142-12-31",
    "-262143-01-01",
    "1999-12-31",
    "2026-02-30",
    "\u{0}",
    "💥\u{202e}",
    "public_area",
    "unit",
    "phone",
    "complaint",
    "00000000-0000-0000-0000-000000000000",
];

fn long() -> impl Strategy<Value = NewValue> {
    prop_oneof![
        Just(0usize),
        Just(50),
        Just(51),
        Just(120),
        Just(121),
        Just(4000),
        Just(4001),
        Just(40_000),
    ]
    .prop_map(NewValue::Long)
}

fn int() -> impl Strategy<Value = NewValue> {
    prop_oneof![
        Just(i64::MIN),
        Just(i64::MAX),
        Just(-1i64),
        Just(0),
        Just(1),
        Just(1 << 24),
        Just((1 << 24) + 1),
        Just(100_000_001),
        Just(8_210_266_876_799_999),
        any::<i64>(),
    ]
    .prop_map(NewValue::Int)
}

fn unsigned() -> impl Strategy<Value = NewValue> {
    prop_oneof![
        Just(u64::MAX),
        Just(u64::from(u32::MAX)),
        Just(u64::from(u32::MAX) + 1),
        any::<u64>(),
    ]
    .prop_map(NewValue::Unsigned)
}

fn now() -> impl Strategy<Value = NewValue> {
    prop_oneof![
        Just(-3 * 24 * 60i64),
        Just(-60),
        Just(0),
        Just(23 * 60),
        Just(25 * 60),
        Just(400 * 24 * 60),
        -(30 * 24 * 60i64)..(2 * 24 * 60),
    ]
    .prop_map(NewValue::Now)
}

/// A replacement for a text leaf.
pub fn text_value() -> impl Strategy<Value = NewValue> {
    prop_oneof![
        3 => long(),
        4 => (0..TEXTS.len()).prop_map(NewValue::Text),
        3 => (0usize..64).prop_map(NewValue::KnownId),
        1 => any::<u128>().prop_map(NewValue::Id),
        3 => now(),
    ]
}

/// A replacement for a number leaf.
pub fn number_value() -> impl Strategy<Value = NewValue> {
    prop_oneof![
        4 => int(),
        2 => unsigned(),
        3 => now(),
        1 => prop_oneof![Just(f64::MAX), Just(1e300), Just(-0.5), Just(0.5)].prop_map(NewValue::Float),
    ]
}

/// Any replacement value.
pub fn new_value() -> impl Strategy<Value = NewValue> {
    prop_oneof![
        3 => text_value(),
        3 => number_value(),
        1 => any::<bool>().prop_map(NewValue::Bool),
        1 => Just(NewValue::Null),
        1 => Just(NewValue::Remove),
        1 => Just(NewValue::Extra),
    ]
}

/// Up to `max` mutations (possibly none).
pub fn mutations(max: usize) -> impl Strategy<Value = Vec<Mutation>> {
    let one = (
        any::<prop::sample::Index>(),
        text_value(),
        number_value(),
        new_value(),
        proptest::bool::weighted(0.15),
    )
        .prop_map(|(leaf, text, number, other, retype)| Mutation {
            leaf,
            text,
            number,
            other,
            retype,
        });
    proptest::collection::vec(one, 0..=max)
}

#[derive(Debug, Clone)]
enum Seg {
    Key(String),
    Item(usize),
}

/// The paths of every scalar and every empty container in `v`.
fn leaves(v: &Value, path: &mut Vec<Seg>, out: &mut Vec<Vec<Seg>>) {
    match v {
        Value::Object(map) if !map.is_empty() => {
            for (k, child) in map {
                path.push(Seg::Key(k.clone()));
                leaves(child, path, out);
                path.pop();
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (i, child) in items.iter().enumerate() {
                path.push(Seg::Item(i));
                leaves(child, path, out);
                path.pop();
            }
        }
        _ => out.push(path.clone()),
    }
}

fn at_mut<'a>(v: &'a mut Value, path: &[Seg]) -> Option<&'a mut Value> {
    path.iter().try_fold(v, |v, seg| match seg {
        Seg::Key(k) => v.get_mut(k.as_str()),
        Seg::Item(i) => v.get_mut(*i),
    })
}

/// Applies `m` to `v`. `known` are ids worth trying (other users, cases,
/// properties, devices, op ids); `now` is the time [`NewValue::Now`] moves.
pub fn apply(v: &mut Value, m: &Mutation, known: &[String], now: DateTime<Utc>) {
    let mut all = Vec::new();
    leaves(v, &mut Vec::new(), &mut all);
    if all.is_empty() {
        return;
    }
    let path = m.leaf.get(&all).clone();
    let Some((last, parent_path)) = path.split_last() else {
        return;
    };
    let value = match at_mut(v, &path) {
        _ if m.retype => &m.other,
        Some(Value::String(_)) => &m.text,
        Some(Value::Number(_)) => &m.number,
        Some(Value::Bool(b)) => {
            let flipped = !*b;
            if let Some(leaf) = at_mut(v, &path) {
                *leaf = Value::Bool(flipped);
            }
            return;
        }
        _ => &m.other,
    };
    if matches!(value, NewValue::Remove | NewValue::Extra) {
        let Some(parent) = at_mut(v, parent_path) else {
            return;
        };
        match (value, parent, last) {
            (NewValue::Remove, Value::Object(map), Seg::Key(k)) => {
                map.remove(k);
            }
            (NewValue::Remove, Value::Array(items), Seg::Item(i)) => {
                items.remove(*i);
            }
            (NewValue::Extra, Value::Object(map), _) => {
                map.insert("unexpected".into(), Value::from(1));
            }
            _ => {}
        }
        return;
    }
    let Some(leaf) = at_mut(v, &path) else {
        return;
    };
    *leaf = match value {
        NewValue::Long(n) => Value::from("字".repeat(*n)),
        NewValue::Text(i) => Value::from(TEXTS[*i % TEXTS.len()]),
        NewValue::KnownId(i) if !known.is_empty() => Value::from(known[i % known.len()].clone()),
        NewValue::KnownId(i) => Value::from(uuid::Uuid::from_u128(*i as u128).to_string()),
        NewValue::Id(n) => Value::from(uuid::Uuid::from_u128(*n).to_string()),
        NewValue::Int(n) => Value::from(*n),
        NewValue::Unsigned(n) => Value::from(*n),
        NewValue::Float(f) => Value::from(*f),
        NewValue::Bool(b) => Value::from(*b),
        NewValue::Null => Value::Null,
        NewValue::Now(minutes) => {
            let t = now + Duration::minutes(*minutes);
            if leaf.is_number() {
                Value::from(t.timestamp_millis())
            } else {
                Value::from(t.to_rfc3339_opts(SecondsFormat::Millis, true))
            }
        }
        NewValue::Remove | NewValue::Extra => return,
    };
}

/// How many leaves `v` has (what [`replace_leaf`] counts).
pub fn leaf_count(v: &Value) -> usize {
    let mut all = Vec::new();
    leaves(v, &mut Vec::new(), &mut all);
    all.len()
}

/// Replaces leaf `i` of `v` (in the order [`apply`] counts them) with `new`;
/// returns the leaf's path, dotted, for messages.
pub fn replace_leaf(v: &mut Value, i: usize, new: Value) -> String {
    let mut all = Vec::new();
    leaves(v, &mut Vec::new(), &mut all);
    let Some(path) = all.get(i) else {
        return String::new();
    };
    if let Some(leaf) = at_mut(v, path) {
        *leaf = new;
    }
    path.iter()
        .map(|s| match s {
            Seg::Key(k) => k.clone(),
            Seg::Item(i) => i.to_string(),
        })
        .collect::<Vec<_>>()
        .join(".")
}
