//! The derives behind `kfql::Record` and `kfql::Enum`: a kfql schema and
//! typed field access generated from a struct, so that each field is
//! declared once. Use them through kfql (`kfql::Record`, feature `derive`);
//! the generated code names the crate as `::kfql`.
//!
//! Field types are not read from the syntax: each goes through the
//! `kfql::FieldKind` trait, so an unsupported type is a trait error that
//! points at the field, and a user can make a newtype a field by
//! implementing that trait.

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2, TokenTree};
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Attribute, Data, DeriveInput, Fields, Ident, LitStr, parse_macro_input};

/// How many leaf kinds kfql's typed evaluation tells apart. kfql checks at
/// compile time that it counts the same (`kfql::__private::KINDS`): a leaf's
/// code is `slot × KINDS + kind`, one jump-table index per leaf.
const KINDS: usize = 12;

/// `#[derive(kfql::Record)]`: see `kfql::Record` for the attributes.
#[proc_macro_derive(Record, attributes(kfql))]
pub fn derive_record(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    record(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// `#[derive(kfql::Enum)]`: see `kfql::Enum`.
#[proc_macro_derive(Enum, attributes(kfql))]
pub fn derive_enum(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    enumeration(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// One field of the schema, as the attributes describe it.
struct FieldSpec {
    ident: Ident,
    ty: syn::Type,
    name: String,
    name_span: Span,
    key: bool,
    default_sort: bool,
    queryable: bool,
    sortable: bool,
    object: bool,
    hint: Option<LitStr>,
    fallback: Option<LitStr>,
    with: Option<Ident>,
}

fn record(input: &DeriveInput) -> syn::Result<TokenStream2> {
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new(
            input.ident.span(),
            "#[derive(kfql::Record)] needs a struct with named fields",
        ));
    };
    let Fields::Named(named) = &data.fields else {
        // A unit struct has no field tokens to point at.
        let at = match data.fields {
            Fields::Unit => input.ident.span(),
            _ => data.fields.span(),
        };
        return Err(syn::Error::new(
            at,
            "#[derive(kfql::Record)] needs named fields: a field's name is its query name",
        ));
    };
    let mut schema_name = input.ident.to_string();
    let mut rename_all = serde_value(&input.attrs, "rename_all");
    kfql_attrs(&input.attrs, |key, value| match key.as_str() {
        "name" => {
            schema_name = value.required(&key)?.value();
            Ok(())
        }
        "rename_all" => {
            rename_all = Some(value.required(&key)?);
            Ok(())
        }
        _ => Err(unknown(&key, &value, "name, rename_all")),
    })?;

    let mut fields = Vec::new();
    for f in &named.named {
        let ident = f.ident.clone().expect("named fields have names");
        let mut spec = FieldSpec {
            // `r#type` is named `type`, as serde names it.
            name: ident.unraw().to_string(),
            name_span: ident.span(),
            ident,
            ty: f.ty.clone(),
            key: false,
            default_sort: false,
            queryable: true,
            sortable: true,
            object: false,
            hint: None,
            fallback: None,
            with: None,
        };
        let mut renamed = serde_value(&f.attrs, "rename");
        let mut skip = false;
        kfql_attrs(&f.attrs, |key, value| {
            match key.as_str() {
                "rename" => renamed = Some(value.required(&key)?),
                "key" => spec.key = value.flag(&key)?,
                "default_sort" => spec.default_sort = value.flag(&key)?,
                "not_queryable" => spec.queryable = !value.flag(&key)?,
                "not_sortable" => spec.sortable = !value.flag(&key)?,
                "skip" => skip = value.flag(&key)?,
                "object" => spec.object = value.flag(&key)?,
                "hint" => spec.hint = Some(value.required(&key)?),
                "fallback" => spec.fallback = Some(value.required(&key)?),
                "with" => {
                    let lit = value.required(&key)?;
                    spec.with = Some(lit.parse().map_err(|_| {
                        syn::Error::new(
                            lit.span(),
                            format!(
                                "`with` names a method of the struct, such as \
                                 with = \"effective_owner\"; `{}` is not a method name",
                                lit.value()
                            ),
                        )
                    })?);
                }
                _ => {
                    return Err(unknown(
                        &key,
                        &value,
                        "rename, key, default_sort, not_queryable, not_sortable, skip, object, \
                         hint, fallback, with",
                    ));
                }
            }
            Ok(())
        })?;
        if skip {
            continue;
        }
        match renamed {
            Some(lit) => {
                spec.name = lit.value();
                spec.name_span = lit.span();
            }
            None => {
                if let Some(rule) = &rename_all {
                    spec.name = rename(&spec.name, rule, Renamed::Field)?;
                }
            }
        }
        if spec.object {
            spec.queryable = false;
            spec.sortable = false;
        }
        fields.push(spec);
    }
    check(&fields, input.ident.span())?;

    let name = &input.ident;
    let (ig, tg, wc) = input.generics.split_for_impl();
    // The expression that reads field `f` of `receiver` (`self`, or the
    // record in a batch loop).
    let value_of = |f: &FieldSpec, receiver: TokenStream2| -> TokenStream2 {
        let (ident, ty) = (&f.ident, &f.ty);
        if f.object {
            quote! { ::kfql::FieldValue::Invalid }
        } else if let Some(method) = &f.with {
            quote_spanned! {method.span()=>
                ::kfql::__private::IntoFieldValue::into_value(#receiver.#method())
            }
        } else {
            quote_spanned! {ty.span()=> <#ty as ::kfql::FieldKind>::value(&#receiver.#ident) }
        }
    };
    let slots: Vec<usize> = (0..fields.len()).collect();
    let values: Vec<TokenStream2> = fields.iter().map(|f| value_of(f, quote!(self))).collect();
    let names: Vec<&String> = fields.iter().map(|f| &f.name).collect();
    let builder = fields.iter().map(|f| {
        let name = &f.name;
        let ty = &f.ty;
        let field_type = if f.object {
            quote! { ::kfql::FieldType::Object }
        } else {
            quote_spanned! {ty.span()=> <#ty as ::kfql::FieldKind>::field_type() }
        };
        let mut t = quote! { .field(#name, #field_type) };
        if !f.object && !f.queryable {
            t.extend(quote! { .not_queryable() });
        }
        if !f.object && !f.sortable {
            t.extend(quote! { .not_sortable() });
        }
        if let Some(h) = &f.hint {
            t.extend(quote! { .hint(#h) });
        }
        if let Some(p) = &f.fallback {
            t.extend(quote! { .fallback(#p) });
        }
        t
    });
    let key = fields.iter().find(|f| f.key).map(|f| {
        let n = &f.name;
        quote! { .key(#n) }
    });
    let default_sort = fields.iter().find(|f| f.default_sort).map(|f| {
        let n = &f.name;
        quote! { .default_sort(#n) }
    });
    // One arm per (queryable field, leaf kind): the kind is a constant in
    // each arm, so the comparison inlines against this field's own type.
    // The batch form has the same arms, each a loop over a chunk of
    // records with the field read inlined.
    let mut arms = Vec::new();
    let mut batch_arms = Vec::new();
    for (slot, f) in fields.iter().enumerate() {
        if !f.queryable {
            continue;
        }
        let of_r = value_of(f, quote!(r));
        for kind in 0..KINDS {
            let code = (slot * KINDS + kind) as u32;
            let kind = kind as u8;
            let value = &values[slot];
            arms.push(quote! {
                #code => ::kfql::__private::leaf::<#kind>(#value, leaf),
            });
            batch_arms.push(quote! {
                #code => ::kfql::__private::select::<#kind, Self, T>(
                    records, leaf, selection, |r: &Self| #of_r,
                ),
            });
        }
    }
    let schema_name = &schema_name;
    Ok(quote! {
        const _: () = ::std::assert!(
            ::kfql::__private::KINDS == #KINDS,
            "kfql and kfql-derive disagree: use the kfql-derive of the same release as kfql"
        );

        impl #ig ::kfql::Record for #name #tg #wc {
            #[inline(always)]
            fn value(&self, field: &::kfql::Field) -> ::kfql::FieldValue<'_> {
                match field.index() {
                    #( #slots => #values, )*
                    _ => ::kfql::FieldValue::Invalid,
                }
            }
        }

        impl #ig ::kfql::TypedRecord for #name #tg #wc {
            fn schema() -> ::kfql::Schema {
                static SCHEMA: ::std::sync::OnceLock<::kfql::Schema> = ::std::sync::OnceLock::new();
                SCHEMA
                    .get_or_init(|| {
                        ::kfql::Schema::builder(#schema_name)
                            #( #builder )*
                            #key
                            #default_sort
                            .build()
                            // Names, keywords, duplicates and the key were
                            // checked when the derive ran.
                            .expect("#[derive(kfql::Record)] checked the schema")
                    })
                    .clone()
            }

            #[inline(never)]
            fn eval_leaf(&self, code: u32, leaf: &::kfql::__private::Leaf) -> bool {
                match code {
                    #( #arms )*
                    _ => false,
                }
            }

            #[inline(never)]
            fn select_leaf<T: ::std::borrow::Borrow<Self>>(
                records: &[T],
                code: u32,
                leaf: &::kfql::__private::Leaf,
                selection: &mut ::kfql::__private::Selection,
            ) {
                match code {
                    #( #batch_arms )*
                    _ => selection.clear(),
                }
            }

            fn slot_of(name: &str) -> ::std::option::Option<usize> {
                match name {
                    #( #names => ::std::option::Option::Some(#slots), )*
                    _ => ::std::option::Option::None,
                }
            }
        }
    })
}

/// What the derive can check of the schema, so that building it at run
/// time cannot fail: the rules of `Schema::build`, with spans.
fn check(fields: &[FieldSpec], whole: Span) -> syn::Result<()> {
    for (i, f) in fields.iter().enumerate() {
        let n = &f.name;
        let valid = n.starts_with(|c: char| c.is_ascii_alphabetic())
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
        if !valid {
            return Err(syn::Error::new(
                f.name_span,
                format!(
                    "`{n}` is not a kfql field name: a letter, then letters, digits, `_` or `.`"
                ),
            ));
        }
        if ["and", "or", "not", "null"].contains(&n.to_ascii_lowercase().as_str()) {
            return Err(syn::Error::new(
                f.name_span,
                format!("`{n}` is a keyword of the query language; rename the field"),
            ));
        }
        if fields[..i].iter().any(|g| g.name.eq_ignore_ascii_case(n)) {
            return Err(syn::Error::new(
                f.name_span,
                format!("a field named `{n}` (ignoring case) is declared twice"),
            ));
        }
        if (f.key || f.default_sort) && !f.sortable {
            let role = if f.key {
                "the key (#[kfql(key)]), which breaks ties in every sort"
            } else {
                "the default sort field (#[kfql(default_sort)])"
            };
            let why = if f.object {
                "an object has no order"
            } else {
                "it is #[kfql(not_sortable)]"
            };
            return Err(syn::Error::new(
                f.ident.span(),
                format!("`{n}` cannot be {role}: {why}"),
            ));
        }
    }
    for (attr, what) in [("key", "key"), ("default_sort", "default sort field")] {
        let marked: Vec<&FieldSpec> = fields
            .iter()
            .filter(|f| if attr == "key" { f.key } else { f.default_sort })
            .collect();
        if let [first, second, ..] = marked[..] {
            return Err(syn::Error::new(
                second.ident.span(),
                format!(
                    "only one field can be the {what} (#[kfql({attr})]); `{}` already is",
                    first.ident
                ),
            ));
        }
    }
    if fields.is_empty() {
        return Err(syn::Error::new(
            whole,
            "a kfql record needs at least one field",
        ));
    }
    Ok(())
}

fn enumeration(input: &DeriveInput) -> syn::Result<TokenStream2> {
    let Data::Enum(data) = &input.data else {
        return Err(syn::Error::new(
            input.ident.span(),
            "#[derive(kfql::Enum)] needs an enum of unit variants",
        ));
    };
    let rename_all = serde_value(&input.attrs, "rename_all");
    let mut rename_all_kfql = None;
    kfql_attrs(&input.attrs, |key, value| match key.as_str() {
        "rename_all" => {
            rename_all_kfql = Some(value.required(&key)?);
            Ok(())
        }
        _ => Err(unknown(&key, &value, "rename_all")),
    })?;
    let rename_all = rename_all_kfql.or(rename_all);
    let mut idents = Vec::new();
    let mut names = Vec::new();
    for v in &data.variants {
        if !matches!(v.fields, Fields::Unit) {
            return Err(syn::Error::new(
                v.ident.span(),
                format!(
                    "variant `{}` carries data: #[derive(kfql::Enum)] variants are names only",
                    v.ident
                ),
            ));
        }
        let mut renamed = serde_value(&v.attrs, "rename");
        kfql_attrs(&v.attrs, |key, value| match key.as_str() {
            "rename" => {
                renamed = Some(value.required(&key)?);
                Ok(())
            }
            _ => Err(unknown(&key, &value, "rename")),
        })?;
        let (name, span) = match (renamed, &rename_all) {
            (Some(lit), _) => (lit.value(), lit.span()),
            (None, Some(rule)) => (
                rename(&v.ident.unraw().to_string(), rule, Renamed::Variant)?,
                v.ident.span(),
            ),
            (None, None) => (v.ident.unraw().to_string(), v.ident.span()),
        };
        if let Some(i) = names
            .iter()
            .position(|n: &String| n.eq_ignore_ascii_case(&name))
        {
            return Err(syn::Error::new(
                span,
                format!(
                    "variant `{}` is named `{name}`, as `{}` is (names ignore case)",
                    v.ident, idents[i]
                ),
            ));
        }
        idents.push(v.ident.clone());
        names.push(name);
    }
    if names.is_empty() {
        return Err(syn::Error::new(
            input.ident.span(),
            "an enum field needs at least one name",
        ));
    }
    let name = &input.ident;
    let (ig, tg, wc) = input.generics.split_for_impl();
    let index: Vec<usize> = (0..idents.len()).collect();
    Ok(quote! {
        impl #ig ::kfql::Enum for #name #tg #wc {
            const NAMES: &'static [&'static str] = &[#( #names ),*];

            #[inline(always)]
            fn index(&self) -> usize {
                match self {
                    #( #name::#idents => #index, )*
                }
            }

            fn from_index(index: usize) -> ::std::option::Option<Self> {
                match index {
                    #( #index => ::std::option::Option::Some(#name::#idents), )*
                    _ => ::std::option::Option::None,
                }
            }
        }

        impl #ig ::kfql::FieldKind for #name #tg #wc {
            fn field_type() -> ::kfql::FieldType {
                ::kfql::FieldType::enumeration(<Self as ::kfql::Enum>::NAMES.iter().copied())
            }

            #[inline(always)]
            fn value(&self) -> ::kfql::FieldValue<'_> {
                ::kfql::FieldValue::Enum(<Self as ::kfql::Enum>::index(self))
            }
        }
    })
}

/// The value after `key =` in a `#[kfql(…)]` list, if any, and the span
/// of the key.
struct Value(Option<Given>, Span);

/// What follows `key =`: a string, or something else (at its span).
enum Given {
    Str(LitStr),
    Other(Span),
}

impl Value {
    fn required(self, key: &str) -> syn::Result<LitStr> {
        match self.0 {
            Some(Given::Str(lit)) => Ok(lit),
            Some(Given::Other(span)) => Err(syn::Error::new(
                span,
                format!("`{key}` takes a string in quotes: {key} = \"…\""),
            )),
            None => Err(syn::Error::new(
                self.1,
                format!("`{key}` takes a string: {key} = \"…\""),
            )),
        }
    }

    fn flag(self, key: &str) -> syn::Result<bool> {
        match self.0 {
            None => Ok(true),
            Some(Given::Str(v)) => Err(syn::Error::new(
                v.span(),
                format!("`{key}` takes no value: #[kfql({key})]"),
            )),
            Some(Given::Other(span)) => Err(syn::Error::new(
                span,
                format!("`{key}` takes no value: #[kfql({key})]"),
            )),
        }
    }
}

fn unknown(key: &str, value: &Value, known: &str) -> syn::Error {
    syn::Error::new(
        value.1,
        format!("unknown kfql attribute `{key}`; known here: {known}"),
    )
}

/// Every `key` or `key = "value"` of the `#[kfql(…)]` attributes.
fn kfql_attrs(
    attrs: &[Attribute],
    mut each: impl FnMut(String, Value) -> syn::Result<()>,
) -> syn::Result<()> {
    for attr in attrs.iter().filter(|a| a.path().is_ident("kfql")) {
        attr.parse_nested_meta(|meta| {
            let key = meta
                .path
                .get_ident()
                .map(Ident::to_string)
                .unwrap_or_default();
            let span = meta.path.span();
            let value = if meta.input.peek(syn::Token![=]) {
                let input = meta.value()?;
                if input.peek(LitStr) {
                    Some(Given::Str(input.parse()?))
                } else {
                    // Read up to the next `,` so that the error is about
                    // the attribute, not about the tokens.
                    let span = input.span();
                    while !input.is_empty() && !input.peek(syn::Token![,]) {
                        input.parse::<TokenTree>()?;
                    }
                    Some(Given::Other(span))
                }
            } else {
                None
            };
            each(key, Value(value, span))
        })?;
    }
    Ok(())
}

/// The string of `key = "…"` at the top level of a `#[serde(…)]`
/// attribute. Serde's other keys, whatever their syntax, are passed over
/// without being parsed.
fn serde_value(attrs: &[Attribute], key: &str) -> Option<LitStr> {
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let Ok(list) = attr.meta.require_list() else {
            continue;
        };
        let tokens: Vec<TokenTree> = list.tokens.clone().into_iter().collect();
        for item in tokens.split(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == ',')) {
            if let [
                TokenTree::Ident(k),
                TokenTree::Punct(eq),
                TokenTree::Literal(lit),
            ] = item
                && k == key
                && eq.as_char() == '='
                && let Ok(s) = syn::parse2::<LitStr>(TokenTree::Literal(lit.clone()).into())
            {
                return Some(s);
            }
        }
    }
    None
}

/// What a `rename_all` rule applies to: serde renames fields (snake_case
/// in Rust) and variants (PascalCase) by different rules.
#[derive(Clone, Copy, PartialEq)]
enum Renamed {
    Field,
    Variant,
}

/// A Rust name under serde's `rename_all` rules, exactly as serde applies
/// them (`serde_derive`'s `RenameRule::apply_to_field` and
/// `apply_to_variant`), so that a record's kfql names are its JSON keys.
fn rename(name: &str, rule: &LitStr, what: Renamed) -> syn::Result<String> {
    // serde's PascalCase of a field: capitalize after each `_`, drop the `_`.
    let pascal_field = |name: &str| {
        let mut out = String::new();
        let mut capital = true;
        for c in name.chars() {
            if c == '_' {
                capital = true;
            } else if capital {
                out.push(c.to_ascii_uppercase());
                capital = false;
            } else {
                out.push(c);
            }
        }
        out
    };
    // serde's snake_case of a variant: `_` before each upper-case letter.
    let snake_variant = |name: &str| {
        let mut out = String::new();
        for (i, c) in name.char_indices() {
            if i > 0 && c.is_uppercase() {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        }
        out
    };
    let lower_first = |s: String| {
        let mut c = s.chars();
        match c.next() {
            Some(f) => f.to_ascii_lowercase().to_string() + c.as_str(),
            None => s,
        }
    };
    let rule_name = rule.value();
    Ok(match (rule_name.as_str(), what) {
        ("lowercase", _) => name.to_ascii_lowercase(),
        ("UPPERCASE" | "SCREAMING_SNAKE_CASE", Renamed::Field) => name.to_ascii_uppercase(),
        ("snake_case", Renamed::Field) => name.to_owned(),
        ("PascalCase", Renamed::Field) => pascal_field(name),
        ("camelCase", Renamed::Field) => lower_first(pascal_field(name)),
        ("UPPERCASE", Renamed::Variant) => name.to_ascii_uppercase(),
        ("PascalCase", Renamed::Variant) => name.to_owned(),
        ("camelCase", Renamed::Variant) => lower_first(name.to_owned()),
        ("snake_case", Renamed::Variant) => snake_variant(name),
        ("SCREAMING_SNAKE_CASE", Renamed::Variant) => snake_variant(name).to_ascii_uppercase(),
        // An enum's names are values, not field names: any text will do.
        ("kebab-case", Renamed::Variant) => snake_variant(name).replace('_', "-"),
        ("SCREAMING-KEBAB-CASE", Renamed::Variant) => {
            snake_variant(name).to_ascii_uppercase().replace('_', "-")
        }
        (other, Renamed::Field) if ["kebab-case", "SCREAMING-KEBAB-CASE"].contains(&other) => {
            return Err(syn::Error::new(
                rule.span(),
                format!(
                    "rename_all = \"{other}\" gives field names with `-`, which a query \
                     cannot name; use PascalCase, camelCase, snake_case, \
                     SCREAMING_SNAKE_CASE, lowercase or UPPERCASE"
                ),
            ));
        }
        (other, _) => {
            let kebab = match what {
                Renamed::Field => "",
                Renamed::Variant => ", kebab-case, SCREAMING-KEBAB-CASE",
            };
            return Err(syn::Error::new(
                rule.span(),
                format!(
                    "rename_all = \"{other}\" is not a rule; use PascalCase, camelCase, \
                     snake_case, SCREAMING_SNAKE_CASE, lowercase, UPPERCASE{kebab}"
                ),
            ));
        }
    })
}
