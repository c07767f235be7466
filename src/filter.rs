//! The compiled form of a query: what [`Query::compile`](crate::Query::compile)
//! produces and the evaluator, the SQL builder and the typed binding read.
//! Resolved and typed (field slots, typed operands, folded needles, day
//! ranges as nanosecond intervals), with no spans: errors were all raised
//! while compiling.

use chrono::{DateTime, Utc};

use crate::schema::Schema;
use crate::text::Needle;
use crate::value::Nanos;

/// A compiled query: resolved against a schema and a context, ready to run
/// over any number of records. Cheap to share across threads.
#[derive(Clone, Debug)]
pub struct Filter {
    pub(crate) schema: Schema,
    pub(crate) root: Node,
    /// For a deeply nested filter, the same tree as a jump program, which
    /// evaluation walks without recursing (see [`Program`]).
    pub(crate) deep: Option<Program<(usize, Test)>>,
}

#[derive(Clone, Debug)]
pub(crate) enum Node {
    /// The empty query.
    All,
    And(Box<[Node]>),
    Or(Box<[Node]>),
    Test(usize, Test),
}

/// One comparison, typed. `negate` turns `-eq` into `-ne` and `-contains`
/// into `-notcontains`: both still require a non-null value.
#[derive(Clone, Debug)]
pub(crate) enum Test {
    IsNull,
    NotNull,
    Text {
        how: TextOp,
        needle: Needle,
        negate: bool,
    },
    /// Integers and instants: the stored value lies in `[lo, hi)`. For
    /// instants `at` holds the same bounds as chrono values, so a stored
    /// instant is compared as it is, without converting it to nanoseconds.
    Range {
        lo: Nanos,
        hi: Nanos,
        negate: bool,
        time: bool,
        at: Option<(DateTime<Utc>, DateTime<Utc>)>,
    },
    /// An OR of `-eq` tests on one enum field, folded at compile time: the
    /// value's index is one of the set bits.
    EnumSet {
        mask: u128,
    },
    Guid {
        value: u128,
        negate: bool,
    },
    Bool {
        value: bool,
        negate: bool,
    },
    Enum {
        index: usize,
        negate: bool,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TextOp {
    /// Equality ignoring trailing spaces (the needle is already trimmed).
    Equals,
    Contains,
    StartsWith,
    EndsWith,
}

/// Past this depth a filter is evaluated through its [`Program`]: one call
/// per level of the tree walk would need more stack than a small thread
/// has (a debug build's frames are large), and queries this deep are rare
/// enough that the tree walk's speed does not matter for them.
pub(crate) const DEEP: usize = 32;

impl Filter {
    pub(crate) fn new(schema: Schema, root: Node) -> Filter {
        let deep = needs_program(&root).then(|| Program::new(&root, &|slot, t| (slot, t.clone())));
        Filter { schema, root, deep }
    }

    /// The schema the filter was compiled against.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// Records that both filters match: how a service narrows a user's
    /// query (`/Workflow/Instances/My`) without splicing text into it, so
    /// the user's errors still point at the user's text. `None` when the
    /// two were compiled against different schemas.
    #[cfg(feature = "server")]
    pub(crate) fn and(self, other: Filter) -> Option<Filter> {
        if self.schema != other.schema {
            return None;
        }
        // `All` is only ever a root: drop it rather than nest it.
        let root = match (self.root, other.root) {
            (Node::All, r) | (r, Node::All) => r,
            (a, b) => Node::And(Box::new([a, b])),
        };
        Some(Filter::new(self.schema, root))
    }
}

/// The depth of a tree: a leaf is 1. (Recursive: compile bounds the depth,
/// and this frame is small.)
pub(crate) fn depth(node: &Node) -> usize {
    match node {
        Node::All | Node::Test(..) => 1,
        Node::And(xs) | Node::Or(xs) => 1 + xs.iter().map(depth).max().unwrap_or(0),
    }
}

/// A filter's leaves in order, each with where to go when it holds and
/// when it does not: the next leaf to test, or the answer. An AND's child
/// that holds goes on to its next sibling and one that fails fails the
/// AND; an OR's the other way round. Evaluating it is a loop without a
/// stack, whatever the nesting; each leaf is tested at most once, as the
/// tree walk would.
#[derive(Clone, Debug)]
pub(crate) struct Program<L>(Box<[Jump<L>]>);

#[derive(Clone, Debug)]
pub(crate) struct Jump<L> {
    pub(crate) leaf: L,
    on_true: usize,
    on_false: usize,
}

const MATCH: usize = usize::MAX;
const NO_MATCH: usize = usize::MAX - 1;

/// Whether `root` is deep enough to need a [`Program`]. A chain without
/// children (only a hand-built AST has one) has no leaf to jump to, so
/// such a tree keeps the tree walk.
pub(crate) fn needs_program(root: &Node) -> bool {
    fn empty_chain(node: &Node) -> bool {
        match node {
            Node::And(xs) | Node::Or(xs) => xs.is_empty() || xs.iter().any(empty_chain),
            _ => false,
        }
    }
    depth(root) > DEEP && !empty_chain(root)
}

impl<L> Program<L> {
    pub(crate) fn new(root: &Node, leaf: &impl Fn(usize, &Test) -> L) -> Program<L> {
        let mut leaves = Vec::new();
        // The number of leaves of each chain, in preorder, so that a child
        // knows where its next sibling's first leaf will be.
        let mut sizes = Vec::new();
        count(root, &mut sizes);
        let mut at = 0;
        emit(root, MATCH, NO_MATCH, &sizes, &mut at, &mut leaves, leaf);
        Program(leaves.into_boxed_slice())
    }

    /// Run the program: `test` answers for one leaf.
    #[inline]
    pub(crate) fn run(&self, mut test: impl FnMut(&L) -> bool) -> bool {
        let mut pc = 0;
        // The empty query has no leaf: everything matches.
        while let Some(j) = self.0.get(pc) {
            pc = if test(&j.leaf) { j.on_true } else { j.on_false };
        }
        pc != NO_MATCH
    }
}

/// Leaves under `node`, recorded in preorder for every node.
fn count(node: &Node, sizes: &mut Vec<usize>) -> usize {
    let me = sizes.len();
    sizes.push(0);
    let n = match node {
        Node::All => 0,
        Node::Test(..) => 1,
        Node::And(xs) | Node::Or(xs) => xs.iter().map(|x| count(x, sizes)).sum(),
    };
    sizes[me] = n;
    n
}

/// Emit `node`'s leaves, its own targets being `yes` and `no`. `at` walks
/// the preorder of `sizes` alongside.
fn emit<L>(
    node: &Node,
    yes: usize,
    no: usize,
    sizes: &[usize],
    at: &mut usize,
    out: &mut Vec<Jump<L>>,
    leaf: &impl Fn(usize, &Test) -> L,
) {
    *at += 1;
    let (xs, and) = match node {
        // Only the root can be `All` (compile never nests it).
        Node::All => return,
        Node::Test(slot, test) => {
            out.push(Jump {
                leaf: leaf(*slot, test),
                on_true: yes,
                on_false: no,
            });
            return;
        }
        Node::And(xs) => (xs, true),
        Node::Or(xs) => (xs, false),
    };
    for (i, x) in xs.iter().enumerate() {
        let first = out.len();
        let size = sizes[*at];
        let next = if i + 1 == xs.len() {
            None
        } else {
            Some(first + size)
        };
        let (y, n) = match (and, next) {
            (true, Some(next)) => (next, no),
            (false, Some(next)) => (yes, next),
            (_, None) => (yes, no),
        };
        emit(x, y, n, sizes, at, out, leaf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Field, FieldType};
    use crate::{FieldValue, Record};
    use proptest::prelude::*;

    /// A record of booleans, one per field.
    struct Bits(u8);

    impl Record for Bits {
        fn value(&self, field: &Field) -> FieldValue<'_> {
            FieldValue::Bool(self.0 >> field.index() & 1 == 1)
        }
    }

    fn tree() -> impl Strategy<Value = Node> {
        let leaf = (0usize..6, any::<bool>()).prop_map(|(slot, value)| {
            Node::Test(
                slot,
                Test::Bool {
                    value,
                    negate: false,
                },
            )
        });
        leaf.prop_recursive(8, 64, 4, |inner| {
            (any::<bool>(), prop::collection::vec(inner, 1..4)).prop_map(|(and, xs)| {
                let xs = xs.into_boxed_slice();
                if and { Node::And(xs) } else { Node::Or(xs) }
            })
        })
    }

    proptest! {
        /// The jump program answers as the tree walk does, for every
        /// record over the tree's fields.
        #[test]
        fn programs_answer_as_the_tree_does(root in tree()) {
            let mut b = Schema::builder("bits");
            for i in 0..6 {
                b = b.field(format!("B{i}"), FieldType::Boolean);
            }
            let schema = b.build().expect("valid");
            let program = Program::new(&root, &|slot, t| (slot, t.clone()));
            let tree = Filter { schema: schema.clone(), root, deep: None };
            for bits in 0..64u8 {
                let r = Bits(bits);
                let want = tree.matches(&r);
                let got = program.run(|(slot, t)| t.eval_value(r.value(&schema.fields()[*slot])));
                prop_assert_eq!(got, want, "record {:06b}", bits);
            }
        }
    }

    #[test]
    fn the_empty_query_matches_everything() {
        let program: Program<(usize, Test)> = Program::new(&Node::All, &|s, t| (s, t.clone()));
        assert!(program.run(|_| false));
    }
}
