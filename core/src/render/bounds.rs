//! How large a template's values can grow, worked out from its syntax before it ever runs.
//!
//! minijinja bounds the steps a template takes (fuel), not the size of what one step makes:
//! `{% set a = a ~ a %}` written forty times is forty steps and a terabyte. So each template
//! part is walked once when its group is checked, and every expression gets an upper bound
//! on the bytes of its value, from the bounds of the merge fields ([`Shape`]). A part where
//! some value could pass [`MAX_VALUE_BYTES`] is refused, naming the line. What a part writes
//! is capped while it is written (the renderer's part cap), so loops are bounded by fuel and
//! that cap, and no value in between can outgrow the value cap.
//!
//! The walk also keeps templates to what an email merge needs, so that the bound is sound:
//! no function or method calls (`range`, `namespace`, `loop.cycle`), no macros, no tags that
//! reach another template or switch escaping off, no `set` inside a loop (its value could grow
//! each time round), and only the filters in [`FILTERS`], each with a bound of its own.

use minijinja::machinery::ast::{BinOpKind, CallArg, Expr, Stmt, UnaryOpKind};
use minijinja::machinery::{WhitespaceConfig, ast, parse};
use minijinja::syntax::SyntaxConfig;

/// The most bytes one value may hold while a part renders: a merge field after its filters,
/// a `set`, a captured block.
pub const MAX_VALUE_BYTES: u64 = 1024 * 1024;

/// Printed numbers are at most this long (an `i128` or an `f64` in full).
const NUMBER_BYTES: u64 = 48;
/// `true`, `false`, `none`.
const BOOL_BYTES: u64 = 5;
/// How much longer a string's quoted form (in a printed list or map) can be than the string:
/// a control character becomes `\u{1}`.
const REPR: u64 = 6;
/// How much longer HTML escaping makes text: `/` becomes `&#x2f;`.
pub const HTML_ESCAPE: u64 = 6;
/// How much longer changing case can make text (`ß` to `SS`, `ŉ` to `ʼN`; three at most).
const CASE: u64 = 3;

/// An upper bound on a value: its printed size, and when it is iterated, how many items of
/// at most what printed size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    /// Bytes of the value as printed.
    pub bytes: u64,
    /// Items when iterated (characters of a string, elements of a list, keys of a map).
    pub items: u64,
    /// Bytes of each item as printed.
    pub item: u64,
}

impl Size {
    /// A string of at most `bytes` bytes.
    pub fn text(bytes: u64) -> Size {
        Size {
            bytes,
            items: bytes,
            item: 4.min(bytes),
        }
    }

    fn number() -> Size {
        Size::text(NUMBER_BYTES)
    }

    fn boolean() -> Size {
        Size::text(BOOL_BYTES)
    }

    /// Whichever is larger in each part: a value that is one or the other.
    fn max(self, other: Size) -> Size {
        Size {
            bytes: self.bytes.max(other.bytes),
            items: self.items.max(other.items),
            item: self.item.max(other.item),
        }
    }

    /// Both one after the other (`~`, `+`).
    fn plus(self, other: Size) -> Size {
        Size {
            bytes: self.bytes.saturating_add(other.bytes),
            items: self.items.saturating_add(other.items),
            item: self.item.max(other.item),
        }
    }

    /// The value `n` times over (string repetition, `*`).
    fn times(self, n: u64) -> Size {
        Size {
            bytes: self.bytes.saturating_mul(n),
            items: self.items.saturating_mul(n),
            item: self.item,
        }
    }

    /// Every byte made up to `factor` bytes (escaping, case changes).
    fn scaled(self, factor: u64) -> Size {
        Size {
            bytes: self.bytes.saturating_mul(factor),
            items: self.items.saturating_mul(factor),
            item: self.item.saturating_mul(factor),
        }
    }

    /// A list of `items` values of at most `item` bytes, printed as `["a", "b"]`.
    fn list(items: u64, item: u64) -> Size {
        Size {
            bytes: items
                .saturating_mul(item.saturating_mul(REPR).saturating_add(4))
                .saturating_add(2),
            items,
            item,
        }
    }
}

/// What a name in a template stands for: a value, or an object with known fields (the
/// merge fields' `recipient`, `credential`, `attributes`, `group`, a loop's `loop`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    /// A value of at most this size.
    Value(Size),
    /// An object whose fields are known.
    Fields(Vec<(String, Shape)>),
}

impl Shape {
    /// The object's bound as one value: printed as a map, iterated as its keys.
    pub fn size(&self) -> Size {
        match self {
            Shape::Value(size) => *size,
            Shape::Fields(fields) => {
                let bytes = fields.iter().fold(2u64, |sum, (key, shape)| {
                    sum.saturating_add((key.len() as u64).saturating_mul(REPR))
                        .saturating_add(shape.size().bytes.saturating_mul(REPR))
                        .saturating_add(8)
                });
                Size {
                    bytes,
                    items: fields.len() as u64,
                    item: fields
                        .iter()
                        .map(|(key, _)| key.len() as u64)
                        .max()
                        .unwrap_or(0),
                }
            }
        }
    }

    /// One field by name; `None` when the object has no such field or this is a value.
    fn field(&self, name: &str) -> Option<&Shape> {
        match self {
            Shape::Fields(fields) => fields.iter().find(|(k, _)| k == name).map(|(_, s)| s),
            Shape::Value(_) => None,
        }
    }

    /// Any one field or item: what `x[expr]` can be when `expr` is not known.
    fn any_item(&self) -> Shape {
        match self {
            Shape::Fields(fields) => Shape::Value(
                fields
                    .iter()
                    .map(|(_, s)| s.size())
                    .fold(Size::text(0), Size::max),
            ),
            // An item printed in `item` bytes has no more items than bytes.
            Shape::Value(size) => Shape::Value(Size::text(size.item)),
        }
    }
}

/// Why a template part is refused, and at which line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The line in the part, from 1.
    pub line: u16,
    /// What is wrong and how to write it instead.
    pub message: String,
}

type Walked<T> = std::result::Result<T, Refusal>;

fn refuse<T>(line: u16, message: impl Into<String>) -> Walked<T> {
    Err(Refusal {
        line,
        message: message.into(),
    })
}

/// The filters a template may use, each with a bound of its own.
pub const FILTERS: [&str; 31] = [
    "abs",
    "bool",
    "capitalize",
    "count",
    "d",
    "default",
    "dictsort",
    "e",
    "escape",
    "first",
    "float",
    "int",
    "items",
    "join",
    "last",
    "length",
    "lines",
    "list",
    "lower",
    "replace",
    "reverse",
    "round",
    "sort",
    "split",
    "string",
    "title",
    "trim",
    "truncate",
    "unique",
    "upper",
    "urlencode",
];

/// Walks one template part and checks that no value in it can pass [`MAX_VALUE_BYTES`].
/// `root` gives the merge fields; `escape` is how much longer escaping makes written text
/// (1 for a text part, [`HTML_ESCAPE`] for HTML).
///
/// # Errors
/// The first construct that is not allowed or whose value could grow too large. A syntax
/// error is left to the compiler, which words it better: this returns `Ok` then.
// `SyntaxConfig` is a unit struct only while minijinja's `custom_syntax` is off.
#[allow(clippy::default_constructed_unit_structs)]
pub fn check(source: &str, root: &[(String, Shape)], escape: u64) -> Walked<()> {
    let Ok(template) = parse(
        source,
        "template",
        SyntaxConfig::default(),
        WhitespaceConfig::default(),
    ) else {
        return Ok(());
    };
    let mut walk = Walk {
        scopes: vec![root.to_vec()],
        escape,
        loops: 0,
    };
    walk.stmt(&template).map(|_| ())
}

struct Walk {
    /// Names in scope, innermost last: the merge fields, then `set` and loop variables.
    scopes: Vec<Vec<(String, Shape)>>,
    escape: u64,
    /// How many loops the walk is inside.
    loops: u32,
}

/// The line a statement starts on.
fn stmt_line(stmt: &Stmt<'_>) -> u16 {
    match stmt {
        Stmt::Template(s) => s.span().start_line,
        Stmt::EmitExpr(s) => s.span().start_line,
        Stmt::EmitRaw(s) => s.span().start_line,
        Stmt::ForLoop(s) => s.span().start_line,
        Stmt::IfCond(s) => s.span().start_line,
        Stmt::WithBlock(s) => s.span().start_line,
        Stmt::Set(s) => s.span().start_line,
        Stmt::SetBlock(s) => s.span().start_line,
        Stmt::AutoEscape(s) => s.span().start_line,
        Stmt::FilterBlock(s) => s.span().start_line,
        Stmt::Block(s) => s.span().start_line,
        Stmt::Import(s) => s.span().start_line,
        Stmt::FromImport(s) => s.span().start_line,
        Stmt::Extends(s) => s.span().start_line,
        Stmt::Include(s) => s.span().start_line,
        Stmt::Do(s) => s.span().start_line,
        #[allow(unreachable_patterns)]
        _ => 0,
    }
}

/// The tag a statement is written with, for messages.
fn tag_of(stmt: &Stmt<'_>) -> &'static str {
    match stmt {
        Stmt::AutoEscape(_) => "autoescape",
        Stmt::Import(_) => "import",
        Stmt::FromImport(_) => "from",
        Stmt::Extends(_) => "extends",
        Stmt::Include(_) => "include",
        Stmt::Do(_) => "do",
        _ => "macro",
    }
}

impl Walk {
    fn lookup(&self, name: &str) -> Option<&Shape> {
        self.scopes
            .iter()
            .rev()
            .find_map(|scope| scope.iter().rev().find(|(k, _)| k == name).map(|(_, s)| s))
    }

    fn bind(&mut self, name: &str, shape: Shape) {
        if let Some(scope) = self.scopes.last_mut() {
            scope.push((name.to_owned(), shape));
        }
    }

    /// Walks statements in order; gives a bound on what they write, in bytes.
    fn body(&mut self, stmts: &[Stmt<'_>]) -> Walked<u64> {
        stmts
            .iter()
            .try_fold(0u64, |sum, s| Ok(sum.saturating_add(self.stmt(s)?)))
    }

    fn stmt(&mut self, stmt: &Stmt<'_>) -> Walked<u64> {
        let line = stmt_line(stmt);
        match stmt {
            Stmt::Template(t) => self.body(&t.children),
            Stmt::EmitRaw(raw) => Ok(raw.raw.len() as u64),
            Stmt::EmitExpr(emit) => {
                let size = self.value(&emit.expr)?.size();
                Ok(size.bytes.saturating_mul(self.escape))
            }
            Stmt::ForLoop(for_loop) => self.for_loop(for_loop, line),
            Stmt::IfCond(cond) => {
                self.value(&cond.expr)?;
                self.branches(&cond.true_body, &cond.false_body)
            }
            Stmt::WithBlock(with) => {
                let mut bound = Vec::new();
                for (target, expr) in &with.assignments {
                    let shape = self.value(expr)?;
                    bound.push((target, shape));
                }
                self.scopes.push(Vec::new());
                let walked = bound
                    .into_iter()
                    .try_for_each(|(target, shape)| self.assign(target, shape, line))
                    .and_then(|()| self.body(&with.body));
                self.scopes.pop();
                walked
            }
            Stmt::Set(set) => {
                self.outside_loops("set", line)?;
                let shape = self.value(&set.expr)?;
                self.assign(&set.target, shape, line)?;
                Ok(0)
            }
            Stmt::SetBlock(set) => {
                self.outside_loops("set", line)?;
                let written = Size::text(self.body(&set.body)?);
                let size = match &set.filter {
                    Some(f) => self.filtered(f, written, line)?,
                    None => written,
                };
                self.within(size, line)?;
                self.assign(&set.target, Shape::Value(size), line)?;
                Ok(0)
            }
            Stmt::FilterBlock(block) => {
                let written = Size::text(self.body(&block.body)?);
                let size = self.filtered(&block.filter, written, line)?;
                self.within(size, line)?;
                Ok(size.bytes)
            }
            Stmt::Block(block) => self.body(&block.body),
            Stmt::AutoEscape(_)
            | Stmt::Import(_)
            | Stmt::FromImport(_)
            | Stmt::Extends(_)
            | Stmt::Include(_) => refuse(
                line,
                format!(
                    "uses `{{% {} %}}`, which is not allowed: a template part cannot reach another template or turn escaping off; write the part out in full",
                    tag_of(stmt)
                ),
            ),
            #[allow(unreachable_patterns)]
            _ => refuse(
                line,
                format!(
                    "uses `{{% {} %}}`, which email templates do not offer; write the text out with merge fields, `if` and `for`",
                    tag_of(stmt)
                ),
            ),
        }
    }

    fn outside_loops(&self, tag: &str, line: u16) -> Walked<()> {
        if self.loops > 0 {
            return refuse(
                line,
                format!(
                    "uses `{{% {tag} %}}` inside a `for` loop, which is not allowed (a value set each time round could grow without end); set it before the loop"
                ),
            );
        }
        Ok(())
    }

    fn within(&self, size: Size, line: u16) -> Walked<()> {
        if size.bytes > MAX_VALUE_BYTES {
            return refuse(
                line,
                format!(
                    "can make a value of {} with the longest merge fields, more than the {} a value may hold; repeat less, or drop a filter that multiplies text",
                    human_bytes(size.bytes),
                    human_bytes(MAX_VALUE_BYTES)
                ),
            );
        }
        Ok(())
    }

    /// Both branches of an `if`: a name set in either may hold either value after it.
    fn branches(&mut self, yes: &[Stmt<'_>], no: &[Stmt<'_>]) -> Walked<u64> {
        let before = self.scopes.clone();
        let lengths: Vec<usize> = before.iter().map(Vec::len).collect();
        let written_yes = self.body(yes)?;
        let after_yes = std::mem::replace(&mut self.scopes, before);
        let written_no = self.body(no)?;
        // The names the first branch set (statements keep the scope depth they start at),
        // each bound by the larger of its two values; the later binding wins a lookup.
        for (depth, scope) in after_yes.into_iter().enumerate() {
            let from = lengths.get(depth).copied().unwrap_or(0);
            for (name, shape) in scope.into_iter().skip(from) {
                let larger = match self.lookup(&name) {
                    Some(other) => Shape::Value(shape.size().max(other.size())),
                    None => shape,
                };
                if let Some(target) = self.scopes.get_mut(depth) {
                    target.push((name, larger));
                }
            }
        }
        Ok(written_yes.max(written_no))
    }

    fn for_loop(&mut self, for_loop: &ast::ForLoop<'_>, line: u16) -> Walked<u64> {
        if for_loop.recursive {
            return refuse(
                line,
                "uses a recursive `for` loop, which email templates do not offer",
            );
        }
        let iterated = self.value(&for_loop.iter)?.size();
        self.scopes.push(Vec::new());
        self.loops += 1;
        let walked = (|| {
            self.assign(
                &for_loop.target,
                Shape::Value(Size::text(iterated.item)),
                line,
            )?;
            let counter = Shape::Value(Size::number());
            let item = Shape::Value(Size::text(iterated.item));
            self.bind(
                "loop",
                Shape::Fields(vec![
                    ("index".to_owned(), counter.clone()),
                    ("index0".to_owned(), counter.clone()),
                    ("revindex".to_owned(), counter.clone()),
                    ("revindex0".to_owned(), counter.clone()),
                    ("length".to_owned(), counter.clone()),
                    ("depth".to_owned(), counter.clone()),
                    ("depth0".to_owned(), counter),
                    ("first".to_owned(), Shape::Value(Size::boolean())),
                    ("last".to_owned(), Shape::Value(Size::boolean())),
                    ("previtem".to_owned(), item.clone()),
                    ("nextitem".to_owned(), item),
                ]),
            );
            if let Some(filter) = &for_loop.filter_expr {
                self.value(filter)?;
            }
            self.body(&for_loop.body)
        })();
        self.loops -= 1;
        self.scopes.pop();
        let once = walked?;
        let otherwise = self.body(&for_loop.else_body)?;
        Ok(once.saturating_mul(iterated.items).max(otherwise))
    }

    /// Binds a `set`, `with` or loop target: one name, or a tuple unpacked from the value.
    fn assign(&mut self, target: &Expr<'_>, shape: Shape, line: u16) -> Walked<()> {
        match target {
            Expr::Var(var) => {
                self.bind(var.id, shape);
                Ok(())
            }
            Expr::List(list) => {
                let item = shape.any_item();
                for target in &list.items {
                    self.assign(target, item.clone(), line)?;
                }
                Ok(())
            }
            _ => refuse(
                line,
                "sets something other than a name, which email templates do not offer",
            ),
        }
    }

    /// The bound of an expression's value; every value on the way is checked.
    fn value(&mut self, expr: &Expr<'_>) -> Walked<Shape> {
        let line = expr.span().start_line;
        let shape = self.shape(expr, line)?;
        self.within(shape.size(), line)?;
        Ok(shape)
    }

    fn shape(&mut self, expr: &Expr<'_>, line: u16) -> Walked<Shape> {
        let size = match expr {
            Expr::Var(var) => {
                // A name the merge fields lack is reported by the variable check, which
                // suggests the closest one; here it is as good as empty.
                return Ok(self
                    .lookup(var.id)
                    .cloned()
                    .unwrap_or(Shape::Value(Size::text(0))));
            }
            Expr::GetAttr(get) => {
                let of = self.value(&get.expr)?;
                return Ok(match of.field(get.name) {
                    Some(shape) => shape.clone(),
                    None => of.any_item(),
                });
            }
            Expr::GetItem(get) => {
                let of = self.value(&get.expr)?;
                let key = self.constant(&get.subscript_expr);
                self.value(&get.subscript_expr)?;
                return Ok(match key.as_deref().and_then(|k| of.field(k)) {
                    Some(shape) => shape.clone(),
                    None => of.any_item(),
                });
            }
            Expr::Const(c) => const_size(&c.value),
            Expr::Slice(slice) => {
                let of = self.value(&slice.expr)?.size();
                for part in [&slice.start, &slice.stop, &slice.step]
                    .into_iter()
                    .flatten()
                {
                    self.value(part)?;
                }
                of
            }
            Expr::UnaryOp(op) => {
                let of = self.value(&op.expr)?.size();
                match op.op {
                    UnaryOpKind::Not => Size::boolean(),
                    UnaryOpKind::Neg => Size::number().max(of),
                }
            }
            Expr::BinOp(op) => self.bin_op(op, line)?,
            Expr::Compare(compare) => {
                self.value(&compare.expr)?;
                for op in &compare.ops {
                    self.value(&op.expr)?;
                }
                Size::boolean()
            }
            Expr::IfExpr(if_expr) => {
                self.value(&if_expr.test_expr)?;
                let yes = self.value(&if_expr.true_expr)?.size();
                match &if_expr.false_expr {
                    Some(no) => yes.max(self.value(no)?.size()),
                    None => yes,
                }
            }
            Expr::Filter(f) => {
                let input = match &f.expr {
                    Some(e) => self.value(e)?,
                    None => Shape::Value(Size::text(0)),
                };
                self.filter(f.name, &input, &f.args, line)?
            }
            Expr::Test(test) => {
                self.value(&test.expr)?;
                self.args(&test.args, line)?;
                Size::boolean()
            }
            Expr::List(list) => {
                let mut item = 0u64;
                for e in &list.items {
                    item = item.max(self.value(e)?.size().bytes);
                }
                Size::list(list.items.len() as u64, item)
            }
            Expr::Map(map) => {
                let mut key = 0u64;
                let mut value = 0u64;
                for (k, v) in map.keys.iter().zip(&map.values) {
                    key = key.max(self.value(k)?.size().bytes);
                    value = value.max(self.value(v)?.size().bytes);
                }
                let n = map.keys.len() as u64;
                Size {
                    bytes: Size::list(n, key.saturating_add(value)).bytes,
                    items: n,
                    item: key,
                }
            }
            Expr::Call(_) => {
                return refuse(
                    line,
                    "calls a function or method, which email templates do not offer (no `range`, `namespace`, `loop.cycle` or `x.method()`); use merge fields, filters, `if` and `for`",
                );
            }
        };
        Ok(Shape::Value(size))
    }

    /// A constant string or number written in the template, as text.
    fn constant(&self, expr: &Expr<'_>) -> Option<String> {
        match expr {
            Expr::Const(c) => Some(
                c.value
                    .as_str()
                    .map_or_else(|| c.value.to_string(), str::to_owned),
            ),
            _ => None,
        }
    }

    fn bin_op(&mut self, op: &ast::BinOp<'_>, line: u16) -> Walked<Size> {
        let left = self.value(&op.left)?.size();
        let right = self.value(&op.right)?.size();
        Ok(match op.op {
            BinOpKind::Eq
            | BinOpKind::Ne
            | BinOpKind::Lt
            | BinOpKind::Lte
            | BinOpKind::Gt
            | BinOpKind::Gte
            | BinOpKind::In => Size::boolean(),
            // `a and b`, `a or b` are one of their operands.
            BinOpKind::ScAnd | BinOpKind::ScOr => left.max(right),
            BinOpKind::Add | BinOpKind::Concat => left.plus(right),
            BinOpKind::Sub
            | BinOpKind::Div
            | BinOpKind::FloorDiv
            | BinOpKind::Rem
            | BinOpKind::Pow => Size::number(),
            BinOpKind::Mul => {
                // Text or a list times a whole number repeats it: bounded only by a number
                // written in the template.
                let times = |e: &Expr<'_>| match e {
                    Expr::Const(c) => Some(c.value.as_usize().map_or(1, |n| n as u64)),
                    _ => None,
                };
                match (times(&op.left), times(&op.right)) {
                    (_, Some(n)) => left.times(n).max(Size::number()),
                    (Some(n), None) => right.times(n).max(Size::number()),
                    (None, None) => {
                        return refuse(
                            line,
                            "multiplies two merge fields, which is not allowed (text times a number repeats the text); multiply by a number written in the template",
                        );
                    }
                }
            }
        })
    }

    /// The bounds of a call's arguments, in order (keyword arguments by name after).
    fn args(&mut self, args: &[CallArg<'_>], line: u16) -> Walked<Vec<(Option<String>, Size)>> {
        let mut out = Vec::with_capacity(args.len());
        for arg in args {
            match arg {
                CallArg::Pos(e) => out.push((None, self.value(e)?.size())),
                CallArg::Kwarg(name, e) => {
                    out.push((Some((*name).to_owned()), self.value(e)?.size()))
                }
                CallArg::PosSplat(_) | CallArg::KwargSplat(_) => {
                    return refuse(
                        line,
                        "passes arguments with `*` or `**`, which email templates do not offer",
                    );
                }
            }
        }
        Ok(out)
    }

    /// A filter applied to a written block (`{% filter %}`, `{% set x | f %}`).
    fn filtered(&mut self, filter: &Expr<'_>, input: Size, line: u16) -> Walked<Size> {
        match filter {
            Expr::Filter(f) => {
                // A block's filter has no input of its own: the block is it. A chain is
                // written as nested filters, innermost first.
                let input = match &f.expr {
                    Some(inner) => Shape::Value(self.filtered(inner, input, line)?),
                    None => Shape::Value(input),
                };
                self.filter(f.name, &input, &f.args, line)
            }
            _ => Ok(self.value(filter)?.size()),
        }
    }

    fn filter(
        &mut self,
        name: &str,
        input: &Shape,
        args: &[CallArg<'_>],
        line: u16,
    ) -> Walked<Size> {
        let constants: Vec<Option<String>> = args
            .iter()
            .map(|a| match a {
                CallArg::Pos(e) | CallArg::Kwarg(_, e) => self.constant(e),
                _ => None,
            })
            .collect();
        let args = self.args(args, line)?;
        filter(name, input, &args, &constants).ok_or_else(|| {
            let message = if name == "safe" {
                "uses `|safe`, which is not allowed: a value from a roster can never become markup"
                    .to_owned()
            } else {
                format!(
                    "uses the filter `{name}`, which email templates do not offer; they offer {}",
                    FILTERS.join(", ")
                )
            };
            Refusal { line, message }
        })
    }
}

/// The bound of a filter's result from its input's and its arguments' (`args` in order,
/// with the constant text of each that is written in the template). `None` for a filter
/// templates may not use.
fn filter(
    name: &str,
    input: &Shape,
    args: &[(Option<String>, Size)],
    constants: &[Option<String>],
) -> Option<Size> {
    let of = input.size();
    let arg = |i: usize| args.get(i).map_or(Size::text(0), |(_, s)| *s);
    Some(match name {
        "abs" | "bool" | "count" | "float" | "int" | "length" | "round" => {
            Size::number().max(Size::boolean())
        }
        "capitalize" | "lower" | "title" | "upper" => of.scaled(CASE),
        "d" | "default" => of.max(arg(0)),
        "e" | "escape" => of.scaled(HTML_ESCAPE),
        "first" | "last" => Size::text(of.item),
        "items" | "dictsort" => match input {
            Shape::Fields(fields) => {
                let pair = fields
                    .iter()
                    .map(|(k, s)| Size::list(2, (k.len() as u64).max(s.size().bytes)).bytes)
                    .max()
                    .unwrap_or(0);
                Size::list(fields.len() as u64, pair)
            }
            Shape::Value(size) => *size,
        },
        "join" => {
            let separator = arg(0).bytes;
            Size::text(of.items.saturating_mul(of.item.saturating_add(separator)))
        }
        "lines" | "split" => Size::list(of.bytes, of.bytes),
        "list" | "reverse" | "sort" | "unique" => Size::list(of.items, of.item),
        "replace" => {
            let new = arg(1).bytes;
            let ratio = match constants.first().and_then(|c| c.as_ref()) {
                // Each match of a written, non-empty pattern becomes the new text.
                Some(old) if !old.is_empty() => new.div_ceil(old.len() as u64).max(1),
                // An empty or unknown pattern can match between every two characters.
                _ => new.saturating_add(1),
            };
            Size::text(of.bytes.saturating_mul(ratio).saturating_add(new))
        }
        "string" | "trim" => Size::text(of.bytes),
        "truncate" => Size::text(of.bytes.saturating_add(arg(2).bytes).saturating_add(3)),
        "urlencode" => Size::text(of.bytes.saturating_mul(3)),
        _ => return None,
    })
}

/// The bound of a constant written in the template.
fn const_size(value: &minijinja::Value) -> Size {
    let bytes = value.to_string().len() as u64;
    match value.as_str() {
        Some(_) => Size::text(bytes),
        None => Size {
            bytes,
            items: value.len().map_or(0, |n| n as u64),
            item: bytes,
        },
    }
}

/// A byte count in words: `1 MiB`, `1.5 KiB`, `300 bytes`.
pub fn human_bytes(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;
    const GIB: u64 = 1024 * MIB;
    let (unit, name) = match bytes {
        b if b >= 1024 * GIB => return "more than 1 TiB".to_owned(),
        b if b >= GIB => (GIB, "GiB"),
        b if b >= MIB => (MIB, "MiB"),
        b if b >= KIB => (KIB, "KiB"),
        b => return format!("{b} bytes"),
    };
    if bytes.is_multiple_of(unit) {
        format!("{} {name}", bytes / unit)
    } else {
        // Tenths, rounded down so that a size just past a limit never reads as the limit.
        let tenths = bytes.saturating_mul(10) / unit;
        format!("{}.{} {name}", tenths / 10, tenths % 10)
    }
}
