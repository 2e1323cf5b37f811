//! Counting the fields a reader does not know, at no cost for the ones it does.
//!
//! A derived `Deserialize` skips a key it does not know by reading its value as `IgnoredAny`, which ends in the
//! deserializer's `deserialize_ignored_any`. [`Counting`] wraps a deserializer, and everything nested in it (the
//! values of maps and sequences, options, enums), so that this one call is counted; every other call is passed
//! straight through. Keys are not copied and no path is built: parsing a line costs what plain `serde_json` costs.
//! (`serde_ignored` builds each field's path, a `String` per key, which was a fifth of `summary`'s time.)
//!
//! Like any wrapper, it does not see into values serde buffers first (internally tagged enums): unknown fields there
//! are skipped without being counted.

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
};
use std::cell::Cell;
use std::fmt;

/// Deserializes a `T` from `de`, returning it with the number of fields it skipped as unknown.
pub fn deserialize<'de, D: Deserializer<'de>, T: de::Deserialize<'de>>(
    de: D,
) -> Result<(T, u32), D::Error> {
    let count = Cell::new(0);
    let value = T::deserialize(Counting {
        inner: de,
        count: &count,
    })?;
    Ok((value, count.get()))
}

/// A deserializer (or a seed, a visitor, an access) whose skipped values are counted in `count`.
struct Counting<'c, X> {
    inner: X,
    count: &'c Cell<u32>,
}

impl<'c, X> Counting<'c, X> {
    fn wrap<Y>(&self, inner: Y) -> Counting<'c, Y> {
        Counting {
            inner,
            count: self.count,
        }
    }
}

macro_rules! forward_deserialize {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
            let v = self.wrap(visitor);
            self.inner.$method(v)
        }
    )*};
}

impl<'de, 'c, D: Deserializer<'de>> Deserializer<'de> for Counting<'c, D> {
    type Error = D::Error;

    forward_deserialize! {
        deserialize_any deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128
        deserialize_f32 deserialize_f64 deserialize_char deserialize_str deserialize_string deserialize_bytes
        deserialize_byte_buf deserialize_option deserialize_unit deserialize_seq deserialize_map
        deserialize_identifier
    }

    /// The one call that matters: a derived struct skipping a key it does not know.
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.count.set(self.count.get().saturating_add(1));
        self.inner.deserialize_ignored_any(visitor)
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        let v = self.wrap(visitor);
        self.inner.deserialize_unit_struct(name, v)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        let v = self.wrap(visitor);
        self.inner.deserialize_newtype_struct(name, v)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        let v = self.wrap(visitor);
        self.inner.deserialize_tuple(len, v)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        let v = self.wrap(visitor);
        self.inner.deserialize_tuple_struct(name, len, v)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        let v = self.wrap(visitor);
        self.inner.deserialize_struct(name, fields, v)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        let v = self.wrap(visitor);
        self.inner.deserialize_enum(name, variants, v)
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

macro_rules! forward_visit {
    ($($method:ident: $ty:ty)*) => {$(
        fn $method<E: de::Error>(self, v: $ty) -> Result<Self::Value, E> {
            self.inner.$method(v)
        }
    )*};
}

impl<'de, 'c, V: Visitor<'de>> Visitor<'de> for Counting<'c, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.expecting(f)
    }

    forward_visit! {
        visit_bool: bool visit_i8: i8 visit_i16: i16 visit_i32: i32 visit_i64: i64 visit_i128: i128
        visit_u8: u8 visit_u16: u16 visit_u32: u32 visit_u64: u64 visit_u128: u128 visit_f32: f32 visit_f64: f64
        visit_char: char visit_str: &str visit_borrowed_str: &'de str visit_string: String visit_bytes: &[u8]
        visit_borrowed_bytes: &'de [u8] visit_byte_buf: Vec<u8>
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.inner.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.inner.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        let d = self.wrap(d);
        self.inner.visit_some(d)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        let d = self.wrap(d);
        self.inner.visit_newtype_struct(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let seq = self.wrap(seq);
        self.inner.visit_seq(seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let map = self.wrap(map);
        self.inner.visit_map(map)
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
        let data = self.wrap(data);
        self.inner.visit_enum(data)
    }
}

/// Seeds: the value read through them is wrapped.
impl<'de, 'c, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Counting<'c, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        let d = self.wrap(d);
        self.inner.deserialize(d)
    }
}

impl<'de, 'c, A: SeqAccess<'de>> SeqAccess<'de> for Counting<'c, A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        let seed = self.wrap(seed);
        self.inner.next_element_seed(seed)
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

impl<'de, 'c, A: MapAccess<'de>> MapAccess<'de> for Counting<'c, A> {
    type Error = A::Error;

    /// Keys pass untouched: they are never skipped values.
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.inner.next_key_seed(seed)
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        let seed = self.wrap(seed);
        self.inner.next_value_seed(seed)
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

impl<'de, 'c, A: EnumAccess<'de>> EnumAccess<'de> for Counting<'c, A> {
    type Error = A::Error;
    type Variant = Counting<'c, A::Variant>;

    fn variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<(T::Value, Self::Variant), A::Error> {
        let count = self.count;
        let (value, variant) = self.inner.variant_seed(seed)?;
        Ok((
            value,
            Counting {
                inner: variant,
                count,
            },
        ))
    }
}

impl<'de, 'c, A: VariantAccess<'de>> VariantAccess<'de> for Counting<'c, A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.inner.unit_variant()
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, A::Error> {
        let seed = self.wrap(seed);
        self.inner.newtype_variant_seed(seed)
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        let v = self.wrap(visitor);
        self.inner.tuple_variant(len, v)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        let v = self.wrap(visitor);
        self.inner.struct_variant(fields, v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Inner {
        a: u32,
        #[serde(default)]
        b: Option<Vec<Inner>>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Outer {
        x: Inner,
        list: Vec<Inner>,
        opt: Option<Inner>,
    }

    fn count(json: &str) -> u32 {
        let mut de = serde_json::Deserializer::from_str(json);
        let (_, n): (Outer, u32) = deserialize(&mut de).expect("valid");
        n
    }

    #[test]
    fn counts_unknown_fields_at_every_depth_and_nothing_else() {
        let known = r#"{"x":{"a":1},"list":[{"a":2,"b":[{"a":3}]}],"opt":{"a":4}}"#;
        assert_eq!(count(known), 0);
        let unknown = r#"{"x":{"a":1,"new":{"deep":[1,2]}},"list":[{"a":2,"b":[{"a":3,"z":null}]}],
            "opt":{"a":4,"q":"s"},"top":1}"#;
        assert_eq!(
            count(unknown),
            4,
            "one per unknown key, whatever its value holds"
        );
        let mut de = serde_json::Deserializer::from_str(known);
        let (v, _): (Outer, u32) = deserialize(&mut de).expect("valid");
        assert_eq!(v.list[0].b.as_ref().map(Vec::len), Some(1));
    }
}
